//! Rolling-origin backtests, conformal intervals from backtest errors, and the
//! automatic choice of a model (or an ensemble) per series.

use serde::{Deserialize, Serialize};

use super::metrics::{self, Scores};
use super::{Forecast, ForecastError, Model, check_history};

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
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            h: 28,
            windows: 3,
            season: 7,
            paths: 100,
        }
    }
}

/// One model's backtest on one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// The model.
    pub model: String,
    /// Forecast origin (index of the first forecast period) of each window.
    pub origins: Vec<usize>,
    /// The forecasts of each window.
    pub forecasts: Vec<Vec<f64>>,
    /// Scores over all windows together.
    pub scores: Scores,
}

/// The smallest training length a backtest window gets.
fn min_train(cfg: &BacktestConfig) -> usize {
    (2 * cfg.season).max(cfg.h).max(4)
}

/// The origins of the backtest windows of a series of length `n`, oldest first.
pub fn origins(n: usize, cfg: &BacktestConfig) -> Vec<usize> {
    (1..=cfg.windows)
        .rev()
        .filter_map(|k| n.checked_sub(k * cfg.h))
        .filter(|&o| o >= min_train(cfg))
        .collect()
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

fn clip(v: Vec<f64>) -> Vec<f64> {
    v.into_iter()
        .map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 })
        .collect()
}

/// Backtests `model` on `y`; `None` when the series is too short for one window.
pub fn backtest(
    model: &dyn Model,
    y: &[f64],
    cfg: &BacktestConfig,
) -> Result<Option<Backtest>, ForecastError> {
    check_history(y)?;
    let os = origins(y.len(), cfg);
    if os.is_empty() {
        return Ok(None);
    }
    let mut forecasts = Vec::with_capacity(os.len());
    for &o in &os {
        forecasts.push(clip(model.forecast(&y[..o], cfg.h)?));
    }
    Ok(Some(Backtest {
        model: model.name(),
        scores: score_windows(y, &os, &forecasts, cfg),
        origins: os,
        forecasts,
    }))
}

/// The error scale just before `end`: the square root of the demand level, the mean
/// of the last `2h` values (of the whole history when those are all zero; 1 for an
/// all-zero history).
///
/// The square root because demand is counts: their spread grows like the square root of
/// their mean (Poisson), not like the mean. Measured on the shared data's hold-outs,
/// scaling by the level itself over-widens the upper quantile of low-volume SKUs
/// (weekly scaled pinball 0.634, daily 0.436); by its square root both intervals stay
/// calibrated (80 % interval covering 76.6 % and 76.7 %) with a pinball of 0.445 and 0.361.
pub fn level(y: &[f64], end: usize, h: usize) -> f64 {
    let recent = &y[end.saturating_sub(2 * h.max(1))..end];
    let m = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    if m > 0.0 {
        return m.sqrt();
    }
    let all = y[..end].iter().sum::<f64>() / end.max(1) as f64;
    if all > 0.0 { all.sqrt() } else { 1.0 }
}

/// Signed errors (actual − forecast) of all windows relative to the error scale at
/// each window's origin ([`level`]), sorted.
///
/// Relative, because demand (and so the size of errors) moves with the season: an
/// interval learnt from quiet months and applied as is to the run-up to Christmas
/// covers far too little. Scaled, it widens as demand grows.
pub fn errors(y: &[f64], origins: &[usize], forecasts: &[Vec<f64>], h: usize) -> Vec<f64> {
    let mut e: Vec<f64> = origins
        .iter()
        .zip(forecasts)
        .flat_map(|(&o, f)| {
            let l = level(y, o, h);
            f.iter()
                .enumerate()
                .filter(move |(j, _)| o + j < y.len())
                .map(move |(j, v)| (y[o + j] - v) / l)
        })
        .collect();
    e.sort_by(f64::total_cmp);
    e
}

/// Scores the windows' point forecasts and their conformal quantiles (each window's
/// quantiles from the errors of the other windows, so no window grades itself).
fn score_windows(
    y: &[f64],
    origins: &[usize],
    forecasts: &[Vec<f64>],
    cfg: &BacktestConfig,
) -> Scores {
    let scale = metrics::scales(&y[..origins[0]], cfg.season).unwrap_or((f64::NAN, f64::NAN));
    let (mut actual, mut point, mut q) =
        (Vec::new(), Vec::new(), [Vec::new(), Vec::new(), Vec::new()]);
    for (w, (&o, f)) in origins.iter().zip(forecasts).enumerate() {
        let others: Vec<usize> = (0..origins.len())
            .filter(|&k| k != w || origins.len() == 1)
            .collect();
        let e = errors(
            y,
            &others.iter().map(|&k| origins[k]).collect::<Vec<_>>(),
            &others
                .iter()
                .map(|&k| forecasts[k].clone())
                .collect::<Vec<_>>(),
            cfg.h,
        );
        let l = level(y, o, cfg.h);
        let qs = [
            conformal_quantile(&e, 0.1) * l,
            quantile(&e, 0.5) * l,
            conformal_quantile(&e, 0.9) * l,
        ];
        for (j, v) in f.iter().enumerate() {
            if o + j >= y.len() {
                break;
            }
            actual.push(y[o + j]);
            point.push(*v);
            for k in 0..3 {
                q[k].push((v + qs[k]).max(0.0));
            }
        }
    }
    metrics::score(&actual, &point, &q[0], &q[1], &q[2], scale)
}

/// A forecast with conformal P10/P50/P90 from backtest errors (relative to the level,
/// see [`errors`]) scaled by the current `level`, and bootstrapped paths.
pub fn probabilistic(
    model: String,
    point: Vec<f64>,
    bt_errors: &[f64],
    level: f64,
    integer: bool,
    paths: usize,
    seed: u64,
) -> Forecast {
    let point = clip(point);
    let qs = [
        conformal_quantile(bt_errors, 0.1) * level,
        quantile(bt_errors, 0.5) * level,
        conformal_quantile(bt_errors, 0.9) * level,
    ];
    let quantiles = [0, 1, 2].map(|k| {
        point
            .iter()
            .map(|p| (p + qs[k]).max(0.0))
            .collect::<Vec<f64>>()
    });
    let mut rng = crate::rng::SplitMix::new(seed);
    let paths = (0..if bt_errors.is_empty() { 0 } else { paths })
        .map(|_| {
            point
                .iter()
                .map(|p| {
                    let e = bt_errors[(rng.next() % bt_errors.len() as u64) as usize] * level;
                    let v = (p + e).max(0.0);
                    if integer { v.round() } else { v }
                })
                .collect()
        })
        .collect();
    Forecast {
        model,
        point,
        quantiles,
        paths,
    }
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

/// The errors of the choice procedure itself, for its intervals: for each window, the
/// model that the *other* windows would have chosen, scored on this window.
///
/// The chosen model's own backtest errors are optimistic (it was chosen because they
/// were small), and intervals built from them under-cover; this nested choice is
/// what the procedure really achieves out of sample.
fn selection_errors(
    y: &[f64],
    os: &[usize],
    runs: &[(usize, Backtest)],
    ensemble: Option<&Vec<Vec<f64>>>,
    h: usize,
) -> Vec<f64> {
    let same: Vec<&Vec<Vec<f64>>> = runs
        .iter()
        .map(|(_, b)| b)
        .filter(|b| b.origins == os)
        .map(|b| &b.forecasts)
        .chain(ensemble)
        .collect();
    let abs_err = |b: &Vec<Vec<f64>>, w: usize| -> f64 {
        b[w].iter()
            .enumerate()
            .filter(|(j, _)| os[w] + j < y.len())
            .map(|(j, v)| (y[os[w] + j] - v).abs())
            .sum()
    };
    let mut out = Vec::new();
    for w in 0..os.len() {
        let pick = same
            .iter()
            .min_by(|a, b| {
                let score = |m: &Vec<Vec<f64>>| {
                    (0..os.len())
                        .filter(|&k| k != w || os.len() == 1)
                        .map(|k| abs_err(m, k))
                        .sum::<f64>()
                };
                score(a).total_cmp(&score(b))
            })
            .copied();
        if let Some(m) = pick {
            out.extend(errors(y, &os[w..=w], &m[w..=w], h));
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

/// How many of the best models the ensemble combines.
const ENSEMBLE_SIZE: usize = 3;

fn elementwise_median(rows: &[&Vec<f64>]) -> Vec<f64> {
    let h = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    (0..h)
        .map(|j| {
            let mut v: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            v.sort_by(f64::total_cmp);
            quantile(&v, 0.5)
        })
        .collect()
}

/// Backtests every model on `y`, picks the one with the lowest backtest MASE, tries
/// the median of the best three as an ensemble and keeps it if it backtests better,
/// then forecasts `cfg.h` periods with the winner on the whole history.
pub fn choose(
    models: &[Box<dyn Model>],
    y: &[f64],
    cfg: &BacktestConfig,
    seed: u64,
) -> Result<Choice, ForecastError> {
    check_history(y)?;
    if cfg.h == 0 {
        return Err(ForecastError::ZeroHorizon);
    }
    let integer = y.iter().all(|v| v.fract() == 0.0);
    let mut runs: Vec<(usize, Backtest)> = Vec::new();
    for (i, m) in models.iter().enumerate() {
        if let Ok(Some(bt)) = backtest(m.as_ref(), y, cfg) {
            runs.push((i, bt));
        }
    }
    let key = |s: &Scores| if s.mase.is_finite() { s.mase } else { s.mae };
    runs.sort_by(|a, b| {
        key(&a.1.scores)
            .total_cmp(&key(&b.1.scores))
            .then(a.0.cmp(&b.0))
    });
    if runs.is_empty() {
        // Too short to backtest: the first model that forecasts, without intervals
        // learnt from errors (the interval is the point itself).
        for m in models {
            if let Ok(p) = m.forecast(y, cfg.h) {
                let f = probabilistic(m.name(), p, &[], 1.0, integer, cfg.paths, seed);
                return Ok(Choice {
                    forecast: f,
                    reason: format!(
                        "history of {} periods is too short to backtest; {} used without a backtest",
                        y.len(),
                        m.name()
                    ),
                    leaderboard: Vec::new(),
                    windows: Vec::new(),
                });
            }
        }
        return Err(ForecastError::TooShort {
            model: "every model".into(),
            needed: min_train(cfg) + cfg.h,
            have: y.len(),
        });
    }
    let mut leaderboard: Vec<Standing> = runs
        .iter()
        .map(|(_, b)| Standing {
            model: b.model.clone(),
            scores: b.scores,
        })
        .collect();
    let best = &runs[0].1;
    let os = best.origins.clone();
    // The ensemble: median of the top models' window forecasts.
    let top: Vec<&(usize, Backtest)> = runs
        .iter()
        .take(ENSEMBLE_SIZE)
        .filter(|(_, b)| b.origins == os)
        .collect();
    let ensemble = (top.len() == ENSEMBLE_SIZE).then(|| {
        let fcs: Vec<Vec<f64>> = (0..os.len())
            .map(|w| {
                elementwise_median(&top.iter().map(|(_, b)| &b.forecasts[w]).collect::<Vec<_>>())
            })
            .collect();
        let name = format!(
            "Ensemble({})",
            top.iter()
                .map(|(_, b)| b.model.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let scores = score_windows(y, &os, &fcs, cfg);
        (name, fcs, scores)
    });
    let use_ensemble = ensemble
        .as_ref()
        .is_some_and(|(_, _, s)| key(s) < key(&best.scores));
    if let Some((name, _, s)) = &ensemble {
        leaderboard.push(Standing {
            model: name.clone(),
            scores: *s,
        });
        leaderboard.sort_by(|a, b| key(&a.scores).total_cmp(&key(&b.scores)));
    }
    let runner_up = leaderboard
        .get(1)
        .map(|s| format!("; next {} ({:.3})", s.model, key(&s.scores)))
        .unwrap_or_default();
    // The ensemble needs all its members to forecast the full history; otherwise (and
    // when a single model wins) the best model that does forecast it is used.
    let ensemble_points: Option<Vec<Vec<f64>>> = use_ensemble
        .then(|| {
            top.iter()
                .filter_map(|(i, _)| models[*i].forecast(y, cfg.h).ok())
                .collect()
        })
        .filter(|p: &Vec<Vec<f64>>| p.len() == top.len());
    let (name, point, window_fcs) = match (ensemble_points, &ensemble) {
        (Some(points), Some((name, fcs, _))) => (
            name.clone(),
            elementwise_median(&points.iter().collect::<Vec<_>>()),
            fcs.clone(),
        ),
        _ => {
            let (run, point) = runs
                .iter()
                .find_map(|(i, b)| {
                    models[*i]
                        .forecast(y, cfg.h)
                        .ok()
                        .filter(|p| p.len() == cfg.h)
                        .map(|p| (b, p))
                })
                .ok_or_else(|| ForecastError::Fit {
                    model: best.model.clone(),
                    detail: "no model could forecast the whole history".into(),
                })?;
            (run.model.clone(), point, run.forecasts.clone())
        }
    };
    let chosen_scores = leaderboard
        .iter()
        .find(|s| s.model == name)
        .map(|s| s.scores)
        .unwrap_or_default();
    let metric = if chosen_scores.mase.is_finite() {
        "MASE"
    } else {
        "mean absolute error (MASE undefined: no seasonal-naive error in the history)"
    };
    let reason = format!(
        "{} has the lowest backtest {metric} ({:.3}) over {} rolling windows of {} periods{}",
        name,
        key(&chosen_scores),
        os.len(),
        cfg.h,
        runner_up
    );
    let e = selection_errors(y, &os, &runs, ensemble.as_ref().map(|(_, f, _)| f), cfg.h);
    let forecast = probabilistic(
        name,
        point,
        &e,
        level(y, y.len(), cfg.h),
        integer,
        cfg.paths,
        seed,
    );
    Ok(Choice {
        forecast,
        reason,
        leaderboard,
        windows: os.into_iter().zip(window_fcs).collect(),
    })
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
        // Shorter than a season, and too short to backtest: a model without a backtest.
        let c = choose(&m, &[3.0, 1.0, 2.0, 4.0, 2.0], &cfg(7), 1).unwrap();
        assert!(c.reason.contains("too short to backtest"), "{}", c.reason);
        assert_eq!(c.forecast.point.len(), 7);
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
