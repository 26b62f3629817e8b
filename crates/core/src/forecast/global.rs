//! Models fitted across all SKUs at once — the neural models, the pretrained demand
//! model zero-shot, and the pretrained model fine-tuned on the shop — next to the
//! per-series models.
//!
//! Such a model is fitted once on a dataset up to a cutoff date and then forecasts any
//! SKU from any origin after it, in one batched pass (on a GPU, or asynchronously in a
//! browser worker), so it cannot be a per-series [`Model`](super::Model) that is refitted
//! at every backtest origin. Its forecasts are made ahead for the origins the choice
//! needs ([`requests`]) and handed over as [`GlobalForecasts`], which carries the date
//! the model was fitted through: [`GlobalForecasts::candidates`] drops every forecast
//! from an origin whose periods the model saw, so the automatic choice never scores a
//! model on the data it was trained on, whoever made the forecasts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::backtest::{self, BacktestConfig};
use super::models::Precomputed;

/// A global model's forecasts for one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalForecasts {
    /// The model's name as the merchant sees it.
    pub name: String,
    /// The last period the model was fitted on (its training targets end there);
    /// `None` when it never saw this dataset (the pretrained model, zero-shot).
    pub fitted_through: Option<NaiveDate>,
    /// Per series of the dataset (same order): (origin = history length, point
    /// forecasts from there).
    pub per_series: Vec<Vec<(usize, Vec<f64>)>>,
    /// Per series: the model's own P10/P50/P90 from the end of the data, where it has
    /// them (the pretrained model); used for SKUs too new to backtest.
    pub own_quantiles: Vec<Option<[Vec<f64>; 3]>>,
}

/// Whether a forecast from `origin` (the first forecast period's index) of a series
/// with these period dates is out of sample for a model fitted through `through`.
pub fn out_of_sample(dates: &[NaiveDate], origin: usize, through: Option<NaiveDate>) -> bool {
    match (through, dates.get(origin)) {
        (None, _) => true,
        // The end of the data: the future, never seen.
        (Some(_), None) => origin >= dates.len(),
        (Some(t), Some(d)) => *d > t,
    }
}

/// The (series, origin) pairs a global model fitted through `through` should forecast
/// for the automatic choice: every backtest origin whose periods it never saw, and the
/// end of each series.
pub fn requests(
    dates: &[&[NaiveDate]],
    cfg: &BacktestConfig,
    through: Option<NaiveDate>,
) -> Vec<(usize, usize)> {
    let mut at = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        let n = d.len();
        for o in backtest::origins(n, cfg).into_iter().chain([n]) {
            if out_of_sample(d, o, through) {
                at.push((i, o));
            }
        }
    }
    at
}

impl GlobalForecasts {
    /// Gathers forecasts made for `at` (as from [`requests`]) for `series` series.
    pub fn from_predictions(
        name: String,
        fitted_through: Option<NaiveDate>,
        series: usize,
        at: &[(usize, usize)],
        forecasts: Vec<Vec<f64>>,
    ) -> GlobalForecasts {
        let mut per_series = vec![Vec::new(); series];
        for (&(i, o), f) in at.iter().zip(forecasts) {
            if let Some(p) = per_series.get_mut(i) {
                p.push((o, f));
            }
        }
        GlobalForecasts {
            name,
            fitted_through,
            per_series,
            own_quantiles: vec![None; series],
        }
    }

    /// The per-series candidates for the automatic choice (index-aligned with `dates`),
    /// keeping only forecasts from origins the model never saw.
    pub fn candidates(&self, dates: &[&[NaiveDate]]) -> Vec<Precomputed> {
        dates
            .iter()
            .enumerate()
            .map(|(i, d)| Precomputed {
                name: self.name.clone(),
                by_origin: self
                    .per_series
                    .get(i)
                    .map(|p| {
                        p.iter()
                            .filter(|(o, _)| out_of_sample(d, *o, self.fitted_through))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// How many series have at least one backtest origin the model can be scored on.
    pub fn scorable(&self, dates: &[&[NaiveDate]]) -> usize {
        self.candidates(dates)
            .iter()
            .zip(dates)
            .filter(|(c, d)| c.by_origin.iter().any(|(o, _)| *o < d.len()))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecasts_from_seen_periods_are_dropped() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..60).map(|i| start + chrono::Duration::days(i)).collect();
        let cfg = BacktestConfig {
            h: 7,
            windows: 2,
            season: 7,
            paths: 10,
            scenarios: Default::default(),
        };
        let all = requests(&[&dates], &cfg, None);
        assert_eq!(all, vec![(0, 47), (0, 50), (0, 53), (0, 60)]);
        // Fitted through period 48: origin 47 is in sample.
        let through = Some(dates[48]);
        assert_eq!(
            requests(&[&dates], &cfg, through),
            vec![(0, 50), (0, 53), (0, 60)]
        );
        // Whatever a producer sends, the candidates keep only out-of-sample origins.
        let g =
            GlobalForecasts::from_predictions("m".into(), through, 1, &all, vec![vec![1.0; 7]; 4]);
        let c = g.candidates(&[&dates]);
        assert_eq!(
            c[0].by_origin.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![50, 53, 60]
        );
        // Fitted through the last period: only the future is left, nothing to score.
        let g = GlobalForecasts {
            fitted_through: Some(dates[59]),
            ..g
        };
        assert_eq!(g.candidates(&[&dates])[0].by_origin.len(), 1);
        assert_eq!(g.scorable(&[&dates]), 0);
    }
}
