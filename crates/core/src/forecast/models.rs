//! The statistical models. Each follows StatsForecast 2.1.1's definition (same
//! initialisation, same parameter bounds) so that its numbers can be checked against
//! the reference fixtures.

use serde::{Deserialize, Serialize};

use super::{ForecastError, Model, check_history};

/// One-step simple exponential smoothing as StatsForecast computes it: the level
/// starts at the first value and the forecast is the level after the last value.
/// Returns (forecast, sum of squared one-step errors).
fn ses(x: &[f64], alpha: f64) -> (f64, f64) {
    let Some(&first) = x.first() else {
        return (0.0, 0.0);
    };
    let mut level = first;
    let mut sse = 0.0;
    for &v in &x[1..] {
        sse += (v - level) * (v - level);
        level = alpha * v + (1.0 - alpha) * level;
    }
    (level, sse)
}

/// The smoothing parameter in `[lo, hi]` with the least squared one-step error,
/// found by golden-section search (StatsForecast's `golden_section_ses`).
fn ses_alpha(x: &[f64], lo: f64, hi: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let f = |al: f64| ses(x, al).1;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    while (b - a).abs() >= 1e-12 {
        if fc == fd {
            // An exact tie (a constant series): StatsForecast stops at the midpoint.
            break;
        }
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

fn ses_optimized(x: &[f64], lo: f64, hi: f64) -> f64 {
    ses(x, ses_alpha(x, lo, hi)).0
}

/// Intervals between demands (the first counts from the start), as StatsForecast.
fn intervals(y: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut prev = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            out.push((i + 1 - prev) as f64);
            prev = i + 1;
        }
    }
    out
}

fn demand(y: &[f64]) -> Vec<f64> {
    y.iter().copied().filter(|v| *v > 0.0).collect()
}

/// Python's `round` (ties to even), which StatsForecast uses for aggregation levels.
fn py_round(v: f64) -> usize {
    v.round_ties_even().max(1.0) as usize
}

/// Sums of consecutive chunks of `size`, dropping the oldest `len % size` values.
fn chunk_sums(y: &[f64], size: usize) -> Vec<f64> {
    y[y.len() % size..]
        .chunks(size)
        .map(|c| c.iter().sum())
        .collect()
}

fn flat(v: f64, h: usize) -> Vec<f64> {
    vec![v; h]
}

macro_rules! simple_model {
    ($(#[$doc:meta])* $ty:ident, $name:expr, |$s:ident, $y:ident, $h:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;
        impl Model for $ty {
            fn name(&self) -> String {
                $name.to_string()
            }
            fn forecast(&self, $y: &[f64], $h: usize) -> Result<Vec<f64>, ForecastError> {
                check_history($y)?;
                if $h == 0 {
                    return Err(ForecastError::ZeroHorizon);
                }
                let $s = self;
                let _ = $s;
                $body
            }
        }
    };
}

simple_model!(
    /// The last value, repeated.
    Naive, "Naive", |s, y, h| Ok(flat(y[y.len() - 1], h))
);

simple_model!(
    /// The mean of the whole history.
    HistoricAverage, "HistoricAverage", |s, y, h| Ok(flat(y.iter().sum::<f64>() / y.len() as f64, h))
);

simple_model!(
    /// Croston's method with α = 0.1 on demand sizes and intervals.
    CrostonClassic, "CrostonClassic", |s, y, h| Ok(flat(croston(y, |x| ses(x, 0.1).0).unwrap_or(y[y.len() - 1]), h))
);

simple_model!(
    /// Croston's method with α optimised in [0.1, 0.3] for sizes and intervals separately.
    CrostonOptimized, "CrostonOptimized", |s, y, h| Ok(flat(croston(y, |x| ses_optimized(x, 0.1, 0.3)).unwrap_or(y[y.len() - 1]), h))
);

simple_model!(
    /// Syntetos–Boylan approximation: Croston classic × (1 − α/2) = × 0.95.
    CrostonSBA, "CrostonSBA", |s, y, h| Ok(flat(croston(y, |x| ses(x, 0.1).0).map(|v| v * 0.95).unwrap_or(y[y.len() - 1]), h))
);

simple_model!(
    /// Simple exponential smoothing with α optimised in [0.01, 0.99].
    SesOptimized, "SESOpt", |s, y, h| Ok(flat(ses_optimized(y, 0.01, 0.99), h))
);

simple_model!(
    /// Aggregate–disaggregate intermittent demand approach: SES (α in [0.1, 0.3]) on
    /// sums over buckets of the mean inter-demand interval, spread back evenly.
    Adida, "ADIDA", |s, y, h| {
        let iv = intervals(y);
        if iv.is_empty() {
            return Ok(flat(0.0, h));
        }
        let level = py_round(iv.iter().sum::<f64>() / iv.len() as f64);
        let sums = chunk_sums(y, level);
        if sums.is_empty() {
            return Ok(flat(y[y.len() - 1] / level as f64, h));
        }
        Ok(flat(ses_optimized(&sums, 0.1, 0.3) / level as f64, h))
    }
);

simple_model!(
    /// Intermittent multiple aggregation prediction algorithm: the mean of ADIDA-style
    /// forecasts at every aggregation level from 1 to the mean inter-demand interval.
    Imapa, "IMAPA", |s, y, h| {
        let iv = intervals(y);
        if iv.is_empty() {
            return Ok(flat(0.0, h));
        }
        let max_level = py_round(iv.iter().sum::<f64>() / iv.len() as f64);
        let mut total = 0.0;
        let mut n = 0.0;
        for level in 1..=max_level {
            let sums = chunk_sums(y, level);
            if sums.is_empty() {
                continue;
            }
            total += ses_optimized(&sums, 0.1, 0.3) / level as f64;
            n += 1.0;
        }
        Ok(flat(if n > 0.0 { total / n } else { 0.0 }, h))
    }
);

fn croston(y: &[f64], smooth: impl Fn(&[f64]) -> f64) -> Option<f64> {
    let d = demand(y);
    if d.is_empty() {
        return None;
    }
    let size = smooth(&d);
    let interval = smooth(&intervals(y));
    Some(if interval != 0.0 {
        size / interval
    } else {
        size
    })
}

/// The value of the same season one cycle back, repeated.
#[derive(Debug, Clone, Copy)]
pub struct SeasonalNaive {
    /// Season length.
    pub season: usize,
}

impl Model for SeasonalNaive {
    fn name(&self) -> String {
        "SeasonalNaive".into()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        let m = self.season.max(1);
        if y.len() < m {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: m,
                have: y.len(),
            });
        }
        let last = &y[y.len() - m..];
        Ok((0..h).map(|j| last[j % m]).collect())
    }
    fn min_history(&self) -> usize {
        // One cycle repeats; two show that it is a cycle.
        2 * self.season.max(1)
    }
}

/// The mean of the last `window` values.
#[derive(Debug, Clone, Copy)]
pub struct WindowAverage {
    /// Values averaged.
    pub window: usize,
}

impl Model for WindowAverage {
    fn name(&self) -> String {
        "WindowAverage".into()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        let w = self.window.max(1);
        if y.len() < w {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: w,
                have: y.len(),
            });
        }
        Ok(flat(y[y.len() - w..].iter().sum::<f64>() / w as f64, h))
    }
    fn min_history(&self) -> usize {
        self.window.max(1)
    }
}

/// Teunter–Syntetos–Babai: SES of the demand probability (every period, α_p) times
/// SES of the demand size (at demands, α_d).
#[derive(Debug, Clone, Copy)]
pub struct Tsb {
    /// Smoothing of the demand size.
    pub alpha_d: f64,
    /// Smoothing of the demand probability.
    pub alpha_p: f64,
}

impl Model for Tsb {
    fn name(&self) -> String {
        "TSB".into()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        let d = demand(y);
        if d.is_empty() {
            return Ok(flat(0.0, h));
        }
        let p: Vec<f64> = y
            .iter()
            .map(|v| if *v != 0.0 { 1.0 } else { 0.0 })
            .collect();
        Ok(flat(ses(&p, self.alpha_p).0 * ses(&d, self.alpha_d).0, h))
    }
}

/// Automatic exponential smoothing (error, trend and damping chosen by AICc) from
/// `augurs-ets`, a port of StatsForecast's AutoETS. Non-seasonal: augurs' ETS has
/// no seasonal states yet, so seasonality is left to [`Mstl`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoEts;

/// A history with one repeated value continues it: nothing to estimate (and the
/// optimisers would return tiny non-zero noise for an all-zero history).
fn constant_history(y: &[f64], h: usize) -> Option<Vec<f64>> {
    y.iter().all(|v| *v == y[0]).then(|| vec![y[0].max(0.0); h])
}

/// Demand is never negative: models whose states can drift below zero are clipped.
fn non_negative(v: Vec<f64>) -> Vec<f64> {
    v.into_iter().map(|x| x.max(0.0)).collect()
}

fn fit_error(model: &str, e: impl std::fmt::Display) -> ForecastError {
    ForecastError::Fit {
        model: model.to_string(),
        detail: e.to_string(),
    }
}

impl Model for AutoEts {
    fn name(&self) -> String {
        "AutoETS".into()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        use augurs_core::{Fit, Predict};
        check_history(y)?;
        if y.len() < 4 {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: 4,
                have: y.len(),
            });
        }
        // Trends are searched damped only (plus no trend): an undamped linear trend
        // extrapolated over weeks is rarely right for retail demand, and dropping it
        // cuts a third of the search.
        if let Some(c) = constant_history(y, h) {
            return Ok(c);
        }
        let search = augurs_ets::AutoETS::non_seasonal()
            .damped(true)
            .map_err(|e| fit_error("AutoETS", e))?;
        let fitted = search.fit(y).map_err(|e| fit_error("AutoETS", e))?;
        let f = fitted
            .predict(h, None)
            .map_err(|e| fit_error("AutoETS", e))?;
        Ok(non_negative(f.point))
    }
    fn min_history(&self) -> usize {
        4
    }
}

/// Trend, seasonal components (one a period) and remainder of a series.
pub type Decomposition = (Vec<f64>, Vec<Vec<f64>>, Vec<f64>);

/// MSTL (`augurs-mstl`): the series less its seasonal components (STL per period),
/// forecast by a damped-trend ETS, plus the last cycle of each seasonal component.
#[derive(Debug, Clone)]
pub struct Mstl {
    /// Season lengths (e.g. a week of trading days, a year).
    pub periods: Vec<usize>,
}

impl Mstl {
    /// The periods that fit in a history of `n` values (two full cycles each).
    fn usable(&self, n: usize) -> Vec<usize> {
        self.periods
            .iter()
            .copied()
            .filter(|&p| p > 1 && n >= 2 * p)
            .collect()
    }

    /// Trend, seasonal components and remainder of `y` (for the decomposition chart).
    pub fn decompose(&self, y: &[f64]) -> Option<Decomposition> {
        let periods = self.usable(y.len());
        if periods.is_empty() {
            return None;
        }
        let y32: Vec<f32> = y.iter().map(|v| *v as f32).collect();
        let fit = stlrs::MstlParams::new().fit(&y32, &periods).ok()?;
        let f64s = |v: &[f32]| v.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>();
        Some((
            f64s(fit.trend()),
            fit.seasonal().iter().map(|s| f64s(s)).collect(),
            f64s(fit.remainder()),
        ))
    }
}

impl Model for Mstl {
    fn name(&self) -> String {
        "MSTL".into()
    }
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        use augurs_core::{Fit, Predict};
        check_history(y)?;
        let periods = self.usable(y.len());
        let needed = 2 * self
            .periods
            .iter()
            .copied()
            .filter(|&p| p > 1)
            .min()
            .unwrap_or(2);
        if periods.is_empty() {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed,
                have: y.len(),
            });
        }
        // The deseasonalised series gets one damped additive-trend ETS rather than a
        // search: MSTL is one candidate among many, and the search would double its cost.
        if let Some(c) = constant_history(y, h) {
            return Ok(c);
        }
        let ets = augurs_ets::AutoETS::new(1, "AAN")
            .and_then(|e| e.damped(true))
            .map_err(|e| fit_error("MSTL", e))?;
        let trend = augurs_ets::trend::AutoETSTrendModel::from(ets);
        let fitted = augurs_mstl::MSTLModel::new(periods, trend)
            .fit(y)
            .map_err(|e| fit_error("MSTL", e))?;
        let f = fitted.predict(h, None).map_err(|e| fit_error("MSTL", e))?;
        Ok(non_negative(f.point))
    }
    fn min_history(&self) -> usize {
        2 * self
            .periods
            .iter()
            .copied()
            .filter(|&p| p > 1)
            .min()
            .unwrap_or(2)
    }
}

/// The candidates for one series: every standard model. (Seasonal models used to be
/// left out of series that fail the seasonality test; the automatic choice now groups
/// series by that test and lets each group's backtests decide, which measured better
/// on every held-out data shape.)
pub fn for_series(_y: &[f64], season: usize) -> Vec<Box<dyn Model>> {
    standard(season)
}

/// One SKU's view of a global model's forecasts, made ahead for known origins. Built
/// only by [`GlobalForecasts::candidates`](super::global::GlobalForecasts::candidates),
/// which keeps just the origins the model never saw; it takes part in backtests and the
/// automatic choice like any model: `forecast(y, h)` answers for a history of `y.len()`
/// periods if that origin was forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Precomputed {
    /// The model's name.
    pub name: String,
    /// (origin = history length, forecasts from there).
    pub by_origin: Vec<(usize, Vec<f64>)>,
}

impl Model for Precomputed {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        match self.by_origin.iter().find(|(o, _)| *o == y.len()) {
            Some((_, f)) if f.len() >= h => Ok(f[..h].to_vec()),
            _ => Err(ForecastError::Fit {
                model: self.name.clone(),
                detail: format!("no forecast from a history of {} periods", y.len()),
            }),
        }
    }
    fn min_history(&self) -> usize {
        1
    }
}

/// The statistical models for a series of season length `season`.
pub fn standard(season: usize) -> Vec<Box<dyn Model>> {
    vec![
        Box::new(Naive),
        Box::new(SeasonalNaive { season }),
        Box::new(HistoricAverage),
        Box::new(WindowAverage {
            window: season.max(7),
        }),
        Box::new(SesOptimized),
        Box::new(CrostonClassic),
        Box::new(CrostonOptimized),
        Box::new(CrostonSBA),
        Box::new(Tsb {
            alpha_d: 0.1,
            alpha_p: 0.1,
        }),
        Box::new(Adida),
        Box::new(Imapa),
        Box::new(AutoEts),
        Box::new(super::ets::SeasonalEts { season }),
        Box::new(super::arima::AutoArima { season }),
        Box::new(super::theta::DynamicOptimizedTheta { season }),
        // Weekly and yearly cycles; a cycle enters only with two full cycles of history
        // (`Mstl::usable`), so the yearly one needs two years.
        Box::new(Mstl {
            periods: vec![season, 52 * season.max(1)],
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 11] = [3.0, 0.0, 5.0, 2.0, 0.0, 0.0, 7.0, 1.0, 4.0, 0.0, 2.0];

    /// Values printed by StatsForecast 2.1.1's compiled helpers for the series `X`
    /// (`statsforecast._lib.ses`: ses_forecast, golden_section_ses, chunk_forecast).
    #[test]
    fn matches_statsforecast_helpers() {
        assert!((ses(&X, 0.3).0 - 2.0157371696999995).abs() < 1e-12);
        assert!((ses_alpha(&X, 0.01, 0.99) - 0.020671979289924428).abs() < 1e-7);
        assert!((ses_alpha(&X, 0.1, 0.3) - 0.1).abs() < 1e-7);
        // chunk_forecast(X, 2) and (X, 3): ADIDA's aggregated forecasts.
        assert!((ses_optimized(&chunk_sums(&X, 2), 0.1, 0.3) - 4.643299999998975).abs() < 1e-6);
        assert!((ses_optimized(&chunk_sums(&X, 3), 0.1, 0.3) - 6.989999999999936).abs() < 1e-6);
        assert_eq!(
            intervals(&[0.0, 2.0, 0.0, 0.0, 1.0, 3.0]),
            vec![2.0, 3.0, 1.0]
        );
        assert_eq!(py_round(2.5), 2);
        assert_eq!(py_round(3.5), 4);
    }

    #[test]
    fn simple_models() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        assert_eq!(Naive.forecast(&y, 2).unwrap(), vec![8.0, 8.0]);
        assert_eq!(
            SeasonalNaive { season: 3 }.forecast(&y, 4).unwrap(),
            vec![6.0, 7.0, 8.0, 6.0]
        );
        assert_eq!(HistoricAverage.forecast(&y, 1).unwrap(), vec![4.5]);
        assert_eq!(
            WindowAverage { window: 2 }.forecast(&y, 1).unwrap(),
            vec![7.5]
        );
        assert!(SeasonalNaive { season: 10 }.forecast(&y, 1).is_err());
        assert_eq!(Naive.forecast(&[], 1), Err(ForecastError::Empty));
        assert_eq!(
            Naive.forecast(&[1.0, f64::NAN], 1),
            Err(ForecastError::NonFinite(1))
        );
    }

    #[test]
    fn intermittent_edge_cases() {
        let zeros = [0.0; 20];
        for m in standard(7) {
            let f = m.forecast(&zeros, 3).unwrap();
            assert_eq!(f, vec![0.0; 3], "{}", m.name());
        }
        // One non-zero point.
        let mut one = [0.0; 20];
        one[5] = 4.0;
        for m in standard(7) {
            let f = m.forecast(&one, 2).unwrap();
            assert!(
                f.iter().all(|v| v.is_finite() && *v >= 0.0),
                "{} {f:?}",
                m.name()
            );
        }
        // Croston on sizes [2, 4] and intervals [2, 3] with α = 0.1: 2.2 / 2.1.
        let y = [0.0, 2.0, 0.0, 0.0, 4.0];
        assert!((CrostonClassic.forecast(&y, 1).unwrap()[0] - 2.2 / 2.1).abs() < 1e-12);
        assert!((CrostonSBA.forecast(&y, 1).unwrap()[0] - 0.95 * 2.2 / 2.1).abs() < 1e-12);
        // TSB: probability SES over [0,1,0,0,1] and size SES over [2,4] at 0.1.
        let p = ses(&[0.0, 1.0, 0.0, 0.0, 1.0], 0.1).0;
        assert!(
            (Tsb {
                alpha_d: 0.1,
                alpha_p: 0.1
            }
            .forecast(&y, 1)
            .unwrap()[0]
                - p * 2.2)
                .abs()
                < 1e-12
        );
    }
}
