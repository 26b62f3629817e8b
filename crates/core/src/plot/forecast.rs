//! The forecast chart.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{dated_chart, legend, palette};
use crate::data::{Dataset, Series};

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
    /// (date, demand shown, excluded) of the history's flagged periods.
    pub anomalies: Vec<(NaiveDate, f64, bool)>,
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
            anomalies: Vec::new(),
        }
    }

    /// Marks the periods of this SKU's anomalies (and the whole shop's) in the history
    /// shown, each with whether it is excluded (then the history shows its imputed value).
    pub fn with_anomalies<'a>(
        mut self,
        sku: &str,
        flags: impl IntoIterator<Item = (&'a crate::anomaly::Anomaly, bool)>,
    ) -> ForecastChart {
        self.anomalies = super::anomaly_marks(&self.history, sku, flags);
        self
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
        super::draw_anomalies(&mut chart, &self.anomalies)?;
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
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        area.present()?;
        Ok(())
    }
}
