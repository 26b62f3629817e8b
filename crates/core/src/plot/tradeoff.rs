//! The tradeoff chart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{palette, widen};
use crate::format::{tick, tick_decimals};

/// What a trade-off chart shows: expected fill rate against average inventory
/// investment as the service target rises.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeoffChart {
    /// Title.
    pub title: String,
    /// (investment, fill rate %, target) per point.
    pub points: Vec<(f64, f64, f64)>,
    /// The current targets' point, highlighted.
    pub current: Option<(f64, f64)>,
}

impl TradeoffChart {
    /// From trade-off points.
    pub fn new(
        title: &str,
        points: &[crate::inventory::plan::TradeoffPoint],
        current: Option<(f64, f64)>,
    ) -> TradeoffChart {
        TradeoffChart {
            title: title.to_string(),
            points: points
                .iter()
                .map(|p| (p.investment, p.fill_rate * 100.0, p.target))
                .collect(),
            current: current.map(|(i, f)| (i, f * 100.0)),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        if self.points.is_empty() {
            return Ok(());
        }
        let xs = self
            .points
            .iter()
            .map(|p| p.0)
            .chain(self.current.map(|c| c.0));
        let (xmin, xmax) = widen(
            xs.clone().fold(f64::INFINITY, f64::min),
            xs.fold(f64::NEG_INFINITY, f64::max),
        );
        let pad = (xmax - xmin) * 0.05;
        let (xmin, xmax) = ((xmin - pad).max(0.0), xmax + pad);
        let x_decimals = tick_decimals(xmax - xmin, 8);
        let ymin = self
            .points
            .iter()
            .map(|p| p.1)
            .chain(self.current.map(|c| c.1))
            .fold(100.0_f64, f64::min)
            .min(99.0)
            .floor()
            - 1.0;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .margin_right(28)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(xmin..xmax, ymin.max(0.0)..100.5)?;
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .x_desc("average inventory investment")
            .y_desc("fill rate %")
            .x_labels(8)
            .x_label_formatter(&|v: &f64| tick(*v, x_decimals))
            .y_label_formatter(&|v: &f64| tick(*v, 1))
            .draw()?;
        chart.draw_series(LineSeries::new(
            self.points.iter().map(|p| (p.0, p.1)),
            palette::DEMAND.stroke_width(2),
        ))?;
        chart.draw_series(
            self.points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 3, palette::DEMAND.filled())),
        )?;
        // A target's label only where it does not overlap one already placed (points
        // crowd where the curve flattens).
        let mut placed: Vec<(i32, i32)> = Vec::new();
        let mut labels = Vec::new();
        for p in &self.points {
            let (px, py) = chart.backend_coord(&(p.0, p.1));
            if placed
                .iter()
                .all(|&(x, y)| (x - px).abs() > 44 || (y - py).abs() > 14)
            {
                placed.push((px, py));
                labels.push(
                    EmptyElement::at((p.0, p.1))
                        + Text::new(format!("{:.1}%", p.2 * 100.0), (4, 6), ("sans-serif", 11)),
                );
            }
        }
        chart.draw_series(labels)?;
        if let Some(c) = self.current {
            chart.draw_series(std::iter::once(Circle::new(
                c,
                6,
                palette::FORECAST.filled(),
            )))?;
        }
        area.present()?;
        Ok(())
    }
}
