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
    /// Forecast median and fan.
    pub const FORECAST: RGBColor = RGBColor(234, 88, 12);
    /// Backtest windows' forecasts.
    pub const BACKTEST: RGBColor = RGBColor(22, 163, 74);
}

/// A chart over dates and non-negative values with the shared styling: title, grid,
/// dates on the x axis, whole numbers on the y axis once values pass 10.
fn dated_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x0: NaiveDate,
    x1: NaiveDate,
    ymax: f64,
    y_desc: Option<&str>,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<
            plotters::coord::types::RangedDate<NaiveDate>,
            plotters::coord::types::RangedCoordf64,
        >,
    >,
    DrawingAreaErrorKind<DB::ErrorType>,
> {
    let x1 = if x1 > x0 {
        x1
    } else {
        x0 + chrono::Duration::days(1)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .margin_right(28)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(x0..x1, 0.0..ymax)?;
    let y_fmt = |v: &f64| {
        if ymax >= 10.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(palette::GRID)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|d: &NaiveDate| d.format("%Y-%m-%d").to_string())
        .y_label_formatter(&y_fmt);
    if let Some(d) = y_desc {
        mesh.y_desc(d);
    }
    mesh.draw()?;
    Ok(chart)
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
        let (x0, x1) = (first.0, last.0);
        let ymax = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.05;
        let mut chart = dated_chart(area, &self.title, x0, x1, ymax, Some("units"))?;
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

/// What a forecast chart shows: recent history, the backtest windows' forecasts, and
/// the forecast's median with its P10–P90 fan.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastChart {
    /// Title.
    pub title: String,
    /// (date, demand) of the history shown.
    pub history: Vec<(NaiveDate, f64)>,
    /// Each backtest window's forecasts.
    pub backtests: Vec<Vec<(NaiveDate, f64)>>,
    /// (date, P10, P50, P90) of the forecast.
    pub fan: Vec<(NaiveDate, f64, f64, f64)>,
}

impl ForecastChart {
    /// The chart of one SKU's forecast; `show` periods of history.
    pub fn new(
        ds: &Dataset,
        s: &Series,
        choice: &crate::forecast::backtest::Choice,
        future: &[NaiveDate],
        show: usize,
    ) -> ForecastChart {
        let dates = s.dates(ds);
        let from = dates.len().saturating_sub(show);
        let history = dates[from..]
            .iter()
            .copied()
            .zip(s.values[from..].iter().copied())
            .collect();
        let backtests = choice
            .windows
            .iter()
            .filter(|(o, _)| *o >= from)
            .map(|(o, f)| {
                f.iter()
                    .enumerate()
                    .filter_map(|(j, v)| dates.get(o + j).map(|d| (*d, *v)))
                    .collect()
            })
            .collect();
        let q = &choice.forecast.quantiles;
        let fan = future
            .iter()
            .enumerate()
            .filter_map(|(j, d)| Some((*d, *q[0].get(j)?, *q[1].get(j)?, *q[2].get(j)?)))
            .collect();
        ForecastChart {
            title: format!("{} — {}", s.sku, choice.forecast.model),
            history,
            backtests,
            fan,
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let dates = self
            .history
            .iter()
            .map(|p| p.0)
            .chain(self.fan.iter().map(|p| p.0));
        let (Some(x0), Some(x1)) = (dates.clone().min(), dates.max()) else {
            return Ok(());
        };
        let ymax = self
            .history
            .iter()
            .map(|p| p.1)
            .chain(self.fan.iter().map(|p| p.3))
            .chain(self.backtests.iter().flatten().map(|p| p.1))
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.05;
        let mut chart = dated_chart(area, &self.title, x0, x1, ymax, None)?;
        let fan_color = palette::FORECAST.mix(0.18);
        chart
            .draw_series(std::iter::once(Polygon::new(
                self.fan
                    .iter()
                    .map(|p| (p.0, p.3))
                    .chain(self.fan.iter().rev().map(|p| (p.0, p.1)))
                    .collect::<Vec<_>>(),
                fan_color.filled(),
            )))?
            .label("P10–P90")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    palette::FORECAST.mix(0.18).filled(),
                )
            });
        chart
            .draw_series(LineSeries::new(
                self.history.iter().copied(),
                palette::DEMAND.stroke_width(1),
            ))?
            .label("demand")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], palette::DEMAND));
        for (i, bt) in self.backtests.iter().enumerate() {
            let s = chart.draw_series(LineSeries::new(
                bt.iter().copied(),
                palette::BACKTEST.stroke_width(2),
            ))?;
            if i == 0 {
                s.label("backtest forecasts").legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], palette::BACKTEST.stroke_width(2))
                });
            }
        }
        chart
            .draw_series(LineSeries::new(
                self.fan.iter().map(|p| (p.0, p.2)),
                palette::FORECAST.stroke_width(2),
            ))?
            .label("forecast P50")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], palette::FORECAST.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        area.present()?;
        Ok(())
    }
}

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
            let pad = ((hi - lo) * 0.05).max(1e-6);
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
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        area.present()?;
        Ok(())
    }
}

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
        let xmax = xs.clone().fold(0.0_f64, f64::max).max(1.0) * 1.05;
        let xmin = xs.fold(f64::INFINITY, f64::min).min(xmax) * 0.95;
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
            .x_label_formatter(&|v: &f64| format!("{v:.0}"))
            .draw()?;
        chart.draw_series(LineSeries::new(
            self.points.iter().map(|p| (p.0, p.1)),
            palette::DEMAND.stroke_width(2),
        ))?;
        chart.draw_series(self.points.iter().map(|p| {
            EmptyElement::at((p.0, p.1))
                + Circle::new((0, 0), 3, palette::DEMAND.filled())
                + Text::new(format!("{:.1}%", p.2 * 100.0), (4, 6), ("sans-serif", 11))
        }))?;
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
    /// Draws the chart onto `area` (an empty frame before the first epoch).
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let xmax = self.train.iter().map(|p| p.0).fold(1.0_f64, f64::max) + 0.5;
        let ys = self
            .train
            .iter()
            .chain(&self.valid)
            .map(|p| p.1)
            .filter(|v| v.is_finite());
        let ymax = ys.clone().fold(0.0_f64, f64::max).max(1e-3) * 1.1;
        let ymin = ys.fold(f64::INFINITY, f64::min).min(ymax) * 0.9;
        let ymin = if ymin.is_finite() { ymin } else { 0.0 };
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
            .x_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_label_formatter(&|v: &f64| format!("{v:.3}"))
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
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        area.present()?;
        Ok(())
    }
}
