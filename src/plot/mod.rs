//! Charts drawn from core types on any plotters backend (a canvas in the browser).

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{Dataset, Series};
use crate::format::{tick, tick_decimals};

/// A range that can be drawn: a degenerate one (all values equal) is widened around
/// its value so that the axis has distinct ticks.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo > 1e-12 * hi.abs().max(1.0) {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        let pad = lo.abs() * 0.1;
        (lo - pad, hi + pad)
    }
}

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
    let ymax = widen(0.0, ymax).1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .margin_right(28)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0.0..ymax)?;
    let decimals = tick_decimals(ymax, 6);
    let y_fmt = |v: &f64| tick(*v, decimals);
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
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        area.present()?;
        Ok(())
    }
}

/// Colours for one series each (vehicles, regions), distinct on white.
const SERIES: [RGBColor; 8] = [
    RGBColor(37, 99, 235),
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(219, 39, 119),
    RGBColor(13, 148, 136),
    RGBColor(161, 98, 7),
    RGBColor(71, 85, 105),
];

/// A day's delivery routes: the depot, every stop in visiting order, one colour per
/// vehicle; stops left unserved are crosses.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteChart {
    /// Title.
    pub title: String,
    /// The depot (x, y; for lat/lon, x = longitude, y = latitude).
    pub depot: (f64, f64),
    /// Each route's stops in order.
    pub routes: Vec<Vec<(f64, f64)>>,
    /// Stops not served.
    pub unserved: Vec<(f64, f64)>,
}

impl RouteChart {
    /// From a problem and its routes.
    pub fn new(
        title: &str,
        p: &crate::logistics::RoutingProblem,
        r: &crate::logistics::Routes,
    ) -> RouteChart {
        let xy = |c: crate::logistics::Coord| match c {
            crate::logistics::Coord::Xy { x, y } => (x, y),
            crate::logistics::Coord::LatLon { lat, lon } => (lon, lat),
        };
        RouteChart {
            title: title.to_string(),
            depot: xy(p.depot),
            routes: r
                .routes
                .iter()
                .map(|route| {
                    route
                        .stops
                        .iter()
                        .map(|&s| xy(p.deliveries[s].coord))
                        .collect()
                })
                .collect(),
            unserved: r
                .unserved
                .iter()
                .map(|u| xy(p.deliveries[u.0].coord))
                .collect(),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let all = self
            .routes
            .iter()
            .flatten()
            .chain(&self.unserved)
            .chain(std::iter::once(&self.depot));
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        // A margin of 5 % (and a span for a single point) keeps ticks distinct.
        let pad = |a: f64, b: f64| ((b - a) * 0.05).max(1e-3 * (1.0 + a.abs()));
        let (px, py) = (pad(x0, x1), pad(y0, y1));
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))?;
        let (dx, dy) = (
            tick_decimals(x1 - x0 + 2.0 * px, 8),
            tick_decimals(y1 - y0 + 2.0 * py, 8),
        );
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .x_label_formatter(&|v: &f64| tick(*v, dx))
            .y_label_formatter(&|v: &f64| tick(*v, dy))
            .draw()?;
        for (i, stops) in self.routes.iter().enumerate() {
            let colour = SERIES[i % SERIES.len()];
            let path: Vec<(f64, f64)> = std::iter::once(self.depot)
                .chain(stops.iter().copied())
                .chain(std::iter::once(self.depot))
                .collect();
            chart
                .draw_series(LineSeries::new(path, colour.stroke_width(2)))?
                .label(format!("vehicle {} ({} stops)", i + 1, stops.len()))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart.draw_series(stops.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
        chart.draw_series(
            self.unserved
                .iter()
                .map(|&p| Cross::new(p, 5, palette::FLAG.stroke_width(2))),
        )?;
        chart.draw_series(std::iter::once(
            EmptyElement::at(self.depot)
                + Rectangle::new([(-6, -6), (6, 6)], BLACK.filled())
                + Text::new("depot", (8, -14), ("sans-serif", 12)),
        ))?;
        if !self.routes.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(palette::GRID)
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
        area.present()?;
        Ok(())
    }
}

/// Units shipped from each location, stacked by region.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationChart {
    /// Title.
    pub title: String,
    /// Location names.
    pub locations: Vec<String>,
    /// Region names.
    pub regions: Vec<String>,
    /// units[location][region].
    pub units: Vec<Vec<f64>>,
    /// Each location's capacity, when it has one.
    pub capacity: Vec<Option<f64>>,
}

impl AllocationChart {
    /// From a solved allocation.
    pub fn new(title: &str, a: &crate::logistics::Allocation) -> AllocationChart {
        let locations: Vec<String> = a.capacity.iter().map(|c| c.location.clone()).collect();
        let mut regions: Vec<String> = a.flows.iter().map(|f| f.region.clone()).collect();
        regions.sort();
        regions.dedup();
        let mut units = vec![vec![0.0; regions.len()]; locations.len()];
        for f in &a.flows {
            if let (Some(l), Ok(r)) = (
                locations.iter().position(|x| *x == f.location),
                regions.binary_search(&f.region),
            ) {
                units[l][r] += f.units;
            }
        }
        AllocationChart {
            title: title.to_string(),
            locations,
            regions,
            units,
            capacity: a.capacity.iter().map(|c| c.capacity).collect(),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let n = self.locations.len();
        let top = self
            .units
            .iter()
            .map(|r| r.iter().sum::<f64>())
            .chain(self.capacity.iter().flatten().copied())
            .fold(0.0, f64::max)
            .max(1.0)
            // Headroom for the legend above the bars.
            * 1.35;
        let names = self.locations.clone();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..n as f64, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .disable_x_mesh()
            .x_labels(n.max(1) * 2 + 1)
            .x_label_formatter(&|v: &f64| {
                let i = (v - 0.5).round();
                if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("units shipped")
            .y_label_formatter(&|v: &f64| tick(*v, tick_decimals(top, 6)))
            .draw()?;
        for (r, region) in self.regions.iter().enumerate() {
            let colour = SERIES[r % SERIES.len()];
            let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
                .map(|l| {
                    let below: f64 = self.units[l][..r].iter().sum();
                    let x = l as f64;
                    Rectangle::new(
                        [(x + 0.2, below), (x + 0.8, below + self.units[l][r])],
                        colour.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)?
                .label(region.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        for (l, cap) in self.capacity.iter().enumerate() {
            if let Some(c) = cap {
                let x = l as f64;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x + 0.1, *c), (x + 0.9, *c)],
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        if !self.regions.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(palette::GRID)
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
        area.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A backend that keeps the text drawn on it, so that axis labels can be read back.
    #[derive(Clone, Default)]
    struct Texts(Rc<RefCell<Vec<(String, BackendCoord)>>>);

    #[derive(Debug)]
    struct Never;
    impl std::fmt::Display for Never {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("never")
        }
    }
    impl std::error::Error for Never {}

    impl DrawingBackend for Texts {
        type ErrorType = Never;
        fn get_size(&self) -> (u32, u32) {
            (900, 300)
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_pixel(
            &mut self,
            _: BackendCoord,
            _: BackendColor,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            _: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Never>> {
            self.0.borrow_mut().push((text.to_string(), pos));
            Ok(())
        }
        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            _: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<Never>> {
            Ok((7 * text.chars().count() as u32, 12))
        }
        fn draw_line<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: BackendCoord,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_rect<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: BackendCoord,
            _: &S,
            _: bool,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_circle<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: u32,
            _: &S,
            _: bool,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            _: I,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            _: I,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
    }

    fn numeric(texts: &[(String, BackendCoord)]) -> Vec<String> {
        texts
            .iter()
            .map(|t| t.0.clone())
            .filter(|t| {
                !t.is_empty()
                    && t.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == '-')
            })
            .collect()
    }

    /// One epoch with losses 0.00091–0.00112 used to print six "0.001" and an epoch
    /// axis "0 1 1 1 1 1 1 1 1 1 2": every tick now reads differently, epochs whole.
    #[test]
    fn loss_chart_ticks_are_distinct_whatever_the_range() {
        for (train, valid) in [
            (vec![(1.0, 0.00112)], vec![(1.0, 0.00091)]),
            (vec![(1.0, 0.5)], vec![(1.0, 0.5)]),
            (
                (1..=37).map(|e| (e as f64, 1.0 / e as f64)).collect(),
                vec![],
            ),
        ] {
            let b = Texts::default();
            let chart = LossChart {
                title: "t".into(),
                train,
                valid,
            };
            chart.draw(&b.clone().into_drawing_area()).unwrap();
            let labels = numeric(&b.0.borrow());
            let mut seen = std::collections::HashSet::new();
            for l in &labels {
                assert!(seen.insert(l.clone()), "repeated tick {l} in {labels:?}");
            }
            assert!(labels.len() >= 3, "{labels:?}");
        }
        // Nothing at all before the first epoch.
        let b = Texts::default();
        let empty = LossChart {
            title: "t".into(),
            train: vec![],
            valid: vec![],
        };
        assert!(empty.is_empty());
        empty.draw(&b.clone().into_drawing_area()).unwrap();
        assert!(b.0.borrow().is_empty());
    }

    /// A slow SKU's trade-off (investment 0.2–1.4) used to read "0 0 0 0 0 1 1 1" with
    /// overlapping point labels: distinct ticks, and no two target labels on top of
    /// each other.
    #[test]
    fn tradeoff_chart_ticks_distinct_labels_apart() {
        let points: Vec<(f64, f64, f64)> =
            [0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995]
                .iter()
                .enumerate()
                .map(|(i, &t)| (0.2 + 0.12 * i as f64, 90.0 + 9.0 * t, t))
                .collect();
        let chart = TradeoffChart {
            title: "t".into(),
            points,
            current: Some((0.9, 98.0)),
        };
        let b = Texts::default();
        chart.draw(&b.clone().into_drawing_area()).unwrap();
        let texts = b.0.borrow();
        let labels = numeric(&texts);
        let mut seen = std::collections::HashSet::new();
        for l in &labels {
            assert!(seen.insert(l.clone()), "repeated tick {l} in {labels:?}");
        }
        let targets: Vec<&(String, BackendCoord)> =
            texts.iter().filter(|t| t.0.ends_with('%')).collect();
        assert!(targets.len() >= 3, "{targets:?}");
        for (i, a) in targets.iter().enumerate() {
            for b in &targets[i + 1..] {
                let (dx, dy) = ((a.1.0 - b.1.0).abs(), (a.1.1 - b.1.1).abs());
                assert!(dx > 40 || dy > 12, "{} and {} overlap", a.0, b.0);
            }
        }
    }
}
