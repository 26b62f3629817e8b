//! Charts drawn from core types on any plotters backend (a canvas in the browser).

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{Dataset, Series};

/// Colours shared by the charts.
pub mod palette {
    use plotters::style::RGBColor;
    /// Demand line.
    pub const DEMAND: RGBColor = RGBColor(37, 99, 235);
    /// Flagged points.
    pub const FLAG: RGBColor = RGBColor(220, 38, 38);
    /// Grid lines.
    pub const GRID: RGBColor = RGBColor(229, 231, 235);
}

/// What a demand chart shows: the series and its flagged points, as plain numbers
/// so that callers and tests can check it without a drawing backend.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandChart {
    /// Title.
    pub title: String,
    /// (date, demand) per period.
    pub points: Vec<(NaiveDate, f64)>,
    /// (date, demand) of flagged spikes.
    pub flagged: Vec<(NaiveDate, f64)>,
}

impl DemandChart {
    /// The chart of one SKU's history.
    pub fn new(ds: &Dataset, s: &Series) -> DemandChart {
        let dates = s.dates(ds);
        let points: Vec<(NaiveDate, f64)> = dates
            .iter()
            .copied()
            .zip(s.values.iter().copied())
            .collect();
        let flagged = s
            .quality
            .flags
            .iter()
            .filter_map(|f| points.get(f.index).copied())
            .collect();
        let name = if s.description.is_empty() {
            s.sku.clone()
        } else {
            format!("{} — {}", s.sku, s.description)
        };
        DemandChart {
            title: format!("{name} ({} demand)", ds.freq.label()),
            points,
            flagged,
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return Ok(());
        };
        let x0 = first.0;
        let x1 = if last.0 > x0 {
            last.0
        } else {
            x0 + chrono::Duration::days(1)
        };
        let ymax = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.05;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .margin_right(28)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, 0.0..ymax)?;
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|d: &NaiveDate| d.format("%Y-%m-%d").to_string())
            .y_label_formatter(&|v: &f64| {
                if ymax >= 10.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            })
            .y_desc("units")
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                self.points.iter().copied(),
                palette::DEMAND.stroke_width(1),
            ))?
            .label("demand")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], palette::DEMAND));
        if !self.flagged.is_empty() {
            chart
                .draw_series(
                    self.flagged
                        .iter()
                        .map(|p| Circle::new(*p, 5, palette::FLAG.filled())),
                )?
                .label("flagged spike")
                .legend(|(x, y)| Circle::new((x + 8, y), 4, palette::FLAG.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        area.present()?;
        Ok(())
    }
}
