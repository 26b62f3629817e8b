//! Seasonal exponential smoothing: ETS(A,N,A) and ETS(A,Ad,A) (Holt–Winters with
//! additive seasonality, without or with a damped trend), the one chosen by AICc.
//!
//! Written here because `augurs-ets` 0.10 has no seasonal states (its AutoETS is the
//! non-seasonal search, [`super::models::AutoEts`]). Additive error and seasonality
//! only: retail series are full of zeros, where multiplicative forms are undefined.

use super::{ForecastError, Model, check_history};

/// Seasonal ETS chosen by AICc between ETS(A,N,A) and ETS(A,Ad,A).
#[derive(Debug, Clone, Copy)]
pub struct SeasonalEts {
    /// Season length.
    pub season: usize,
}

#[derive(Debug, Clone, Copy)]
struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    trend: bool,
}

/// Runs the recursions; returns (sum of squared errors, final level, trend, seasonals).
fn pass(y: &[f64], m: usize, p: Params) -> (f64, f64, f64, Vec<f64>) {
    let l0 = y[..m].iter().sum::<f64>() / m as f64;
    let b0 = if p.trend && y.len() >= 2 * m {
        (y[m..2 * m].iter().sum::<f64>() / m as f64 - l0) / m as f64
    } else {
        0.0
    };
    let mut season: Vec<f64> = y[..m].iter().map(|v| v - l0).collect();
    let (mut l, mut b) = (l0, b0);
    let mut sse = 0.0;
    for (t, &v) in y.iter().enumerate() {
        let s = season[t % m];
        let fitted = l + p.phi * b + s;
        let e = v - fitted;
        sse += e * e;
        let new_l = l + p.phi * b + p.alpha * e;
        b = p.phi * b + p.beta * e;
        l = new_l;
        season[t % m] = s + p.gamma * e;
    }
    (sse, l, b, season)
}

/// A small bounded Nelder–Mead over `x0.len()` parameters (standard coefficients).
/// (`theta.rs` keeps its own copy of StatsForecast's adaptive variant: its match with
/// the reference depends on every detail of that one.)
fn minimise(f: impl Fn(&[f64]) -> f64, x0: Vec<f64>, lo: &[f64], hi: &[f64]) -> Vec<f64> {
    let n = x0.len();
    let clamp = |mut x: Vec<f64>| {
        for k in 0..n {
            x[k] = x[k].clamp(lo[k], hi[k]);
        }
        x
    };
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut pts: Vec<Vec<f64>> = vec![x0.clone()];
    for k in 0..n {
        let mut x = x0.clone();
        x[k] += 0.1 * (hi[k] - lo[k]);
        pts.push(clamp(x));
    }
    let mut vals: Vec<f64> = pts.iter().map(|x| eval(x)).collect();
    for _ in 0..300 {
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.iter().map(|&i| pts[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        if (vals[n] - vals[0]).abs() <= 1e-8 * (1.0 + vals[0].abs()) {
            break;
        }
        let c: Vec<f64> = (0..n)
            .map(|k| pts[..n].iter().map(|x| x[k]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| clamp((0..n).map(|k| c[k] + t * (pts[n][k] - c[k])).collect());
        let xr = along(-1.0);
        let fr = eval(&xr);
        if fr < vals[0] {
            let xe = along(-2.0);
            let fe = eval(&xe);
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
        } else {
            let xc = along(if fr < vals[n] { -0.5 } else { 0.5 });
            let fc = eval(&xc);
            if fc < vals[n].min(fr) {
                pts[n] = xc;
                vals[n] = fc;
            } else {
                for i in 1..=n {
                    pts[i] = (0..n)
                        .map(|k| pts[0][k] + 0.5 * (pts[i][k] - pts[0][k]))
                        .collect();
                    vals[i] = eval(&pts[i]);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    pts[best].clone()
}

/// Fits one form; returns (AICc, forecast).
fn fit(y: &[f64], m: usize, trend: bool, h: usize) -> Option<(f64, Vec<f64>)> {
    let to_params = |x: &[f64]| -> Params {
        let alpha = x[0];
        let gamma = x[1].min(1.0 - alpha);
        if trend {
            Params {
                alpha,
                beta: x[2].min(alpha),
                gamma,
                phi: x[3],
                trend,
            }
        } else {
            Params {
                alpha,
                beta: 0.0,
                gamma,
                phi: 0.0,
                trend,
            }
        }
    };
    let (x0, lo, hi): (Vec<f64>, Vec<f64>, Vec<f64>) = if trend {
        (
            vec![0.2, 0.05, 0.02, 0.95],
            vec![1e-4, 1e-4, 1e-4, 0.8],
            vec![0.9999, 0.9999, 0.9999, 0.98],
        )
    } else {
        (vec![0.2, 0.05], vec![1e-4, 1e-4], vec![0.9999, 0.9999])
    };
    let best = minimise(|x| pass(y, m, to_params(x)).0, x0, &lo, &hi);
    let p = to_params(&best);
    let (sse, l, b, season) = pass(y, m, p);
    let n = y.len() as f64;
    if !(sse.is_finite()) {
        return None;
    }
    // Parameters and initial states (level, trend, m − 1 free seasonals) plus σ².
    let k = (if trend { 4.0 + 2.0 } else { 2.0 + 1.0 }) + (m as f64 - 1.0) + 1.0;
    let sigma2 = (sse / n).max(1e-12);
    let aic = n * (2.0 * std::f64::consts::PI * sigma2).ln() + n + 2.0 * k;
    let aicc = aic + 2.0 * k * (k + 1.0) / (n - k - 1.0).max(1.0);
    let len = y.len();
    let mut damp = 0.0;
    let fc = (1..=h)
        .map(|j| {
            damp += p.phi.powi(j as i32);
            l + if trend { damp * b } else { 0.0 } + season[(len + j - 1) % m]
        })
        .collect();
    Some((aicc, fc))
}

impl Model for SeasonalEts {
    fn name(&self) -> String {
        "SeasonalETS".into()
    }

    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        let m = self.season;
        if m < 2 || y.len() < 2 * m + 4 {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: 2 * m.max(2) + 4,
                have: y.len(),
            });
        }
        let best = [false, true]
            .into_iter()
            .filter_map(|trend| fit(y, m, trend, h))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .ok_or_else(|| ForecastError::Fit {
                model: self.name(),
                detail: "the optimiser found no finite fit".into(),
            })?;
        Ok(best
            .1
            .into_iter()
            .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 })
            .collect())
    }
    fn min_history(&self) -> usize {
        2 * self.season.max(2) + 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_weekly_pattern_and_trend() {
        let pattern = [20.0, 8.0, 6.0, 6.0, 10.0, 24.0, 30.0];
        let y: Vec<f64> = (0..140).map(|t| pattern[t % 7] + 0.1 * t as f64).collect();
        let f = SeasonalEts { season: 7 }.forecast(&y, 14).unwrap();
        for (j, v) in f.iter().enumerate() {
            let truth = pattern[(140 + j) % 7] + 0.1 * (140 + j) as f64;
            assert!((v - truth).abs() < 2.0, "step {j}: {v} vs {truth}");
        }
    }

    #[test]
    fn short_or_flat_histories() {
        assert!(SeasonalEts { season: 7 }.forecast(&[1.0; 10], 3).is_err());
        let f = SeasonalEts { season: 7 }.forecast(&[5.0; 60], 7).unwrap();
        assert!(f.iter().all(|v| (v - 5.0).abs() < 1e-6), "{f:?}");
    }
}
