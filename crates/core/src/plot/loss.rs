//! The loss chart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{legend, palette, widen};
use crate::format::{tick, tick_decimals};

/// What a training-loss chart shows: training and validation loss per epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct LossChart {
    /// Title.
    pub title: String,
    /// (epoch, training loss).
    pub train: Vec<(f64, f64)>,
    /// (epoch, validation loss).
    pub valid: Vec<(f64, f64)>,
}

impl LossChart {
    /// Whether there is anything to draw (no chart is drawn before the first epoch).
    pub fn is_empty(&self) -> bool {
        self.train.is_empty() && self.valid.is_empty()
    }

    /// Draws the chart onto `area` (only a white frame when it is empty).
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        if self.is_empty() {
            return area.present();
        }
        let xmax = self.train.iter().map(|p| p.0).fold(1.0_f64, f64::max) + 0.5;
        let ys = self
            .train
            .iter()
            .chain(&self.valid)
            .map(|p| p.1)
            .filter(|v| v.is_finite());
        let (lo, hi) = widen(
            ys.clone().fold(f64::INFINITY, f64::min),
            ys.fold(f64::NEG_INFINITY, f64::max),
        );
        let pad = (hi - lo) * 0.1;
        let (ymin, ymax) = ((lo - pad).max(0.0), hi + pad);
        let y_decimals = tick_decimals(ymax - ymin, 6);
        let epochs = xmax.floor() as usize;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .margin_right(28)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(0.5..xmax, ymin..ymax)?;
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .x_desc("epoch")
            .y_desc("loss")
            // Whole epochs only.
            .x_labels(epochs.clamp(1, 10) + 1)
            .x_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-6 && *v >= 1.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_labels(6)
            .y_label_formatter(&|v: &f64| tick(*v, y_decimals))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                self.train.iter().copied(),
                palette::DEMAND.stroke_width(2),
            ))?
            .label("training")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], palette::DEMAND.stroke_width(2))
            });
        chart
            .draw_series(LineSeries::new(
                self.valid.iter().copied(),
                palette::FORECAST.stroke_width(2),
            ))?
            .label("validation")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], palette::FORECAST.stroke_width(2))
            });
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        area.present()?;
        Ok(())
    }
}
