//! The inventory chart.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{dated_chart, legend, palette};

/// What a projected-inventory chart shows: the P10–P90 band and median of on-hand
/// stock over the simulation, the reorder level and safety stock, and order arrivals.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryChart {
    /// Title.
    pub title: String,
    /// (date, P10, P50, P90) of on hand at the end of each period.
    pub band: Vec<(NaiveDate, f64, f64, f64)>,
    /// The level at or below which an order is placed.
    pub reorder_level: f64,
    /// Safety stock.
    pub safety_stock: f64,
    /// (expected arrival, units) of open orders and today's order.
    pub arrivals: Vec<(NaiveDate, f64)>,
}

impl InventoryChart {
    /// The chart of one SKU's plan.
    pub fn new(
        plan: &crate::inventory::plan::SkuPlan,
        cfg: &crate::inventory::plan::PlanConfig,
    ) -> InventoryChart {
        let n = plan.band[1].len();
        let dates = crate::inventory::plan::period_dates(cfg, n);
        let band = (0..n)
            .map(|t| (dates[t], plan.band[0][t], plan.band[1][t], plan.band[2][t]))
            .collect();
        InventoryChart {
            title: format!(
                "{} — projected stock on hand ({})",
                plan.sku,
                plan.policy.name()
            ),
            band,
            reorder_level: plan.policy.reorder_level(),
            safety_stock: plan.safety_stock,
            arrivals: plan.arrivals.clone(),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let (Some(first), Some(last)) = (self.band.first(), self.band.last()) else {
            return Ok(());
        };
        let (x0, x1) = (first.0, last.0);
        let ymax = self
            .band
            .iter()
            .map(|p| p.3)
            .chain([self.reorder_level, self.safety_stock])
            .chain(self.arrivals.iter().map(|a| a.1))
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.1;
        let mut chart = dated_chart(area, &self.title, x0, x1, ymax, Some("units on hand"))?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                self.band
                    .iter()
                    .map(|p| (p.0, p.3))
                    .chain(self.band.iter().rev().map(|p| (p.0, p.1)))
                    .collect::<Vec<_>>(),
                palette::DEMAND.mix(0.18).filled(),
            )))?
            .label("on hand P10–P90")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    palette::DEMAND.mix(0.18).filled(),
                )
            });
        chart
            .draw_series(LineSeries::new(
                self.band.iter().map(|p| (p.0, p.2)),
                palette::DEMAND.stroke_width(2),
            ))?
            .label("on hand, median")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], palette::DEMAND.stroke_width(2))
            });
        let hline = |v: f64| vec![(x0, v), (x1, v)];
        chart
            .draw_series(LineSeries::new(
                hline(self.reorder_level.max(0.0)),
                palette::FORECAST.stroke_width(2),
            ))?
            .label("reorder level")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], palette::FORECAST.stroke_width(2))
            });
        chart
            .draw_series(LineSeries::new(
                hline(self.safety_stock.max(0.0)),
                palette::FLAG.stroke_width(1),
            ))?
            .label("safety stock")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], palette::FLAG));
        if !self.arrivals.is_empty() {
            chart
                .draw_series(
                    self.arrivals
                        .iter()
                        .filter(|a| a.0 >= x0 && a.0 <= x1)
                        .map(|a| {
                            TriangleMarker::new(
                                (a.0, a.1.min(ymax / 1.1)),
                                7,
                                palette::BACKTEST.filled(),
                            )
                        }),
                )?
                .label("order arrives (units)")
                .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, palette::BACKTEST.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        area.present()?;
        Ok(())
    }
}
