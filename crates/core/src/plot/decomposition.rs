//! The decomposition chart.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{palette, widen};
use crate::format::{tick, tick_decimals};

/// A trend and seasonal decomposition chart.
#[derive(Debug, Clone, PartialEq)]
pub struct DecompositionChart {
    /// (name, values) of each component, drawn in its own panel.
    pub components: Vec<(String, Vec<(NaiveDate, f64)>)>,
}

impl DecompositionChart {
    /// Draws the panels stacked onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let panels = area.split_evenly((self.components.len().max(1), 1));
        for ((name, pts), panel) in self.components.iter().zip(&panels) {
            let (Some(x0), Some(x1)) = (pts.first().map(|p| p.0), pts.last().map(|p| p.0)) else {
                continue;
            };
            let lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            let (lo, hi) = widen(lo, hi);
            let pad = (hi - lo) * 0.05;
            let decimals = tick_decimals(hi - lo, 3);
            let mut chart = ChartBuilder::on(panel)
                .caption(name, ("sans-serif", 13))
                .margin(6)
                .margin_right(20)
                .x_label_area_size(18)
                .y_label_area_size(48)
                .build_cartesian_2d(
                    x0..x1.max(x0 + chrono::Duration::days(1)),
                    (lo - pad)..(hi + pad),
                )?;
            chart
                .configure_mesh()
                .light_line_style(palette::GRID)
                .x_labels(6)
                .y_labels(3)
                .x_label_formatter(&|d: &NaiveDate| d.format("%Y-%m").to_string())
                .y_label_formatter(&|v: &f64| tick(*v, decimals))
                .draw()?;
            chart.draw_series(LineSeries::new(
                pts.iter().copied(),
                palette::DEMAND.stroke_width(1),
            ))?;
        }
        area.present()?;
        Ok(())
    }
}
