//! Rolling-origin backtest origins, quantile helpers and the automatic choice for one
//! series on its own (the dataset-wide choice is [`super::select`]).

use serde::{Deserialize, Serialize};

use super::metrics::Scores;
use super::{Forecast, ForecastError, Model};

/// How a series is backtested.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// Forecast horizon (and the step between backtest origins).
    pub h: usize,
    /// Rolling-origin windows (the last `h × windows` periods are forecast in turn).
    pub windows: usize,
    /// Season length: the lag of the MASE scale.
    pub season: usize,
    /// Sample paths per forecast.
    pub paths: usize,
    /// Where the sample paths take their dependence between periods from.
    #[serde(default)]
    pub scenarios: super::scenarios::Scenarios,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            h: 28,
            windows: 3,
            season: 7,
            paths: 100,
            scenarios: Default::default(),
        }
    }
}

/// The least history before a backtest origin.
pub const MIN_ORIGIN: usize = 3;

/// The origins of the backtest windows of a series of length `n`, oldest first:
/// `2 × windows − 1` origins half a horizon apart, the last one `h` periods before the
/// end, so that they span the same `windows × h` periods as back-to-back windows with
/// twice the forecasts. Origins need [`MIN_ORIGIN`] periods before them; a series too
/// short for one whole window gets one shorter window from the middle of its history
/// (every series is backtested: no model is taken on trust).
pub fn origins(n: usize, cfg: &BacktestConfig) -> Vec<usize> {
    let step = (cfg.h / 2).max(1);
    let count = (2 * cfg.windows).saturating_sub(1).max(1);
    let os: Vec<usize> = (0..count)
        .rev()
        .filter_map(|k| n.checked_sub(cfg.h + k * step))
        .filter(|&o| o >= MIN_ORIGIN)
        .collect();
    if os.is_empty() && n > MIN_ORIGIN {
        return vec![MIN_ORIGIN.max(n / 2)];
    }
    os
}

/// Empirical quantile with linear interpolation (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The `q` quantile of `n` sorted errors with split-conformal's finite-sample
/// correction: the ⌈(n + 1)q⌉-th smallest for an upper quantile, the ⌊(n + 1)q⌋-th for
/// a lower one, so that a new error falls beyond it with probability at most 1 − q
/// (resp. q). With few errors (3 weekly windows of 8 weeks: 24) the plain empirical
/// quantile is noticeably too narrow.
pub fn conformal_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let k = if q >= 0.5 {
        ((n + 1) as f64 * q).ceil()
    } else {
        ((n + 1) as f64 * q).floor()
    };
    let k = (k as usize).clamp(1, n);
    sorted[k - 1]
}

/// The error scale just before `end`: the square root of the demand level, the mean
/// of the last `2h` values (of the whole history when those are all zero; 1 for an
/// all-zero history).
///
/// A series' own backtest errors are divided by it at each origin and multiplied by
/// it now, so that an interval learnt in quiet months widens in the run-up to
/// Christmas. The square root because demand is counts, whose spread grows like the
/// square root of their mean (Poisson); the width is then calibrated on the backtests
/// ([`super::select`]), not on any hold-out.
pub fn level(y: &[f64], end: usize, h: usize) -> f64 {
    let recent = &y[end.saturating_sub(2 * h.max(1))..end];
    let m = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    if m > 0.0 {
        return m.sqrt();
    }
    let all = y[..end].iter().sum::<f64>() / end.max(1) as f64;
    if all > 0.0 { all.sqrt() } else { 1.0 }
}

/// A model's standing in a series' backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    /// Model (or "Ensemble(...)").
    pub model: String,
    /// Backtest scores.
    pub scores: Scores,
}

/// The automatic choice for one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The forecast of the chosen model (or ensemble).
    pub forecast: Forecast,
    /// Why it was chosen, in a sentence.
    pub reason: String,
    /// Every candidate's backtest, best first.
    pub leaderboard: Vec<Standing>,
    /// The chosen model's backtest windows (origin, forecasts).
    pub windows: Vec<(usize, Vec<f64>)>,
}

/// The automatic choice for one series on its own ([`super::select::choose_all`] with
/// one series: its recipe is learnt from its own backtest).
pub fn choose(
    models: &[Box<dyn Model>],
    y: &[f64],
    cfg: &BacktestConfig,
    seed: u64,
) -> Result<Choice, ForecastError> {
    let borrowed = |_: usize| -> Vec<Box<dyn Model + '_>> {
        models
            .iter()
            .map(|m| Box::new(Borrowed(m.as_ref())) as Box<dyn Model + '_>)
            .collect()
    };
    super::select::choose_all(&[y], &borrowed, cfg, 1, seed, &mut |_, _| true)
        .pop()
        .unwrap_or(Err(ForecastError::Empty))
}

/// A model borrowed for the automatic choice.
struct Borrowed<'a>(&'a dyn Model);

impl Model for Borrowed<'_> {
    fn name(&self) -> String {
        self.0.name()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        self.0.forecast(y, h)
    }
    fn min_history(&self) -> usize {
        self.0.min_history()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::models;

    fn cfg(h: usize) -> BacktestConfig {
        BacktestConfig {
            h,
            windows: 3,
            season: 7,
            paths: 30,
            scenarios: Default::default(),
        }
    }

    #[test]
    fn edge_cases_of_the_choice() {
        let m = models::standard(7);
        // All zeros: zero forecasts, zero intervals.
        let c = choose(&m, &[0.0; 100], &cfg(7), 1).unwrap();
        assert!(c.forecast.quantiles.iter().flatten().all(|v| *v == 0.0));
        // One non-zero point.
        let mut one = vec![0.0; 100];
        one[40] = 5.0;
        let c = choose(&m, &one, &cfg(7), 1).unwrap();
        assert!(
            c.forecast.quantiles[2]
                .iter()
                .all(|v| v.is_finite() && *v >= 0.0)
        );
        // Shorter than a season and than one horizon: still backtested (one short
        // window), and its interval is not a point.
        let c = choose(&m, &[3.0, 1.0, 2.0, 4.0, 2.0], &cfg(7), 1).unwrap();
        assert!(
            c.reason.contains("too little history for its own errors"),
            "{}",
            c.reason
        );
        assert_eq!(c.forecast.point.len(), 7);
        assert!(
            (0..7).all(|j| c.forecast.quantiles[2][j] > c.forecast.quantiles[0][j]),
            "{:?}",
            c.forecast.quantiles
        );
        // Constant: the constant, with no spread.
        let c = choose(&m, &[4.0; 80], &cfg(7), 1).unwrap();
        assert!(
            c.forecast.point.iter().all(|v| (v - 4.0).abs() < 1e-6),
            "{:?}",
            c.forecast.point
        );
        // Huge values stay finite.
        let huge: Vec<f64> = (0..120)
            .map(|t| 1e12 * (1.0 + (t % 7) as f64 / 10.0))
            .collect();
        let c = choose(&m, &huge, &cfg(14), 1).unwrap();
        assert!(
            c.forecast
                .quantiles
                .iter()
                .flatten()
                .all(|v| v.is_finite() && *v > 1e11)
        );
        // NaN is rejected with a clear error; so is a zero horizon.
        let mut bad = vec![1.0; 50];
        bad[17] = f64::NAN;
        assert_eq!(
            choose(&m, &bad, &cfg(7), 1).unwrap_err(),
            ForecastError::NonFinite(17)
        );
        assert_eq!(
            choose(&m, &[1.0; 50], &cfg(0), 1).unwrap_err(),
            ForecastError::ZeroHorizon
        );
        assert_eq!(
            ForecastError::NonFinite(17).to_string(),
            "the history holds a non-finite value at position 17"
        );
    }

    #[test]
    fn conformal_intervals_cover_noise() {
        // Stationary noise around 20: the P10–P90 interval of the chosen model covers
        // about 80 % of fresh values from the same process.
        let noise = |t: usize| ((t * 7919 + 13) % 101) as f64 / 101.0 * 20.0 - 10.0;
        let y: Vec<f64> = (0..400).map(|t| 20.0 + noise(t)).collect();
        let c = choose(&models::standard(7), &y, &cfg(28), 3).unwrap();
        let future: Vec<f64> = (400..428).map(|t| 20.0 + noise(t)).collect();
        let inside = future
            .iter()
            .enumerate()
            .filter(|(j, v)| {
                **v >= c.forecast.quantiles[0][*j] && **v <= c.forecast.quantiles[2][*j]
            })
            .count();
        assert!((15..=27).contains(&inside), "{inside} of 28 inside");
        assert_eq!(c.forecast.paths.len(), 30);
        assert!(c.forecast.paths.iter().flatten().all(|v| *v >= 0.0));
    }
}
