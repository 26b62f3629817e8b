//! The Dynamic Optimised Theta model (Fiorucci et al. 2016), as StatsForecast 2.1.1's
//! `DynamicOptimizedTheta`: a seasonality test and classical decomposition, then the
//! dynamic theta state-space model with its initial level, smoothing α and θ fitted by
//! a bounded Nelder–Mead.
//!
//! Written here because no crate provides Theta models (augurs has none); the steps,
//! starting values, bounds and the optimiser's settings follow StatsForecast's
//! `theta.cpp`/`nelder_mead.h` so that the results can be compared with it.

use super::season::acf_test;
use super::{ForecastError, Model, check_history};

/// Dynamic Optimised Theta.
#[derive(Debug, Clone, Copy)]
pub struct DynamicOptimizedTheta {
    /// Season length (1 for none).
    pub season: usize,
}

/// Runs the model's recursions over `y` and `h` further periods; returns the sum of
/// squared errors from the fourth value on and the `h` forecasts.
// (index loops: the index takes part in the arithmetic, as in the formulas)
#[allow(clippy::needless_range_loop)]
fn theta_pass(y: &[f64], level0: f64, alpha: f64, theta: f64, h: usize) -> (f64, Vec<f64>) {
    let n = y.len();
    let mut level = alpha * y[0] + (1.0 - alpha) * level0;
    let (mut mean, mut a, mut b) = (y[0], y[0], 0.0);
    let mut sse = 0.0;
    let mut out = Vec::with_capacity(h);
    for i in 1..n + h {
        let fi = i as f64;
        let mu = level
            + (1.0 - 1.0 / theta)
                * (a * (1.0 - alpha).powi(i as i32)
                    + b * (1.0 - (1.0 - alpha).powi(i as i32 + 1)) / alpha);
        let yi = if i < n { y[i] } else { mu };
        if i < n {
            if i >= 3 {
                sse += (yi - mu) * (yi - mu);
            }
        } else {
            out.push(mu);
        }
        level = alpha * yi + (1.0 - alpha) * level;
        let new_mean = (fi * mean + yi) / (fi + 1.0);
        b = ((fi - 1.0) * b + 6.0 * (yi - mean) / (fi + 1.0)) / (fi + 2.0);
        mean = new_mean;
        a = mean - b * (fi + 2.0) / 2.0;
    }
    (sse, out)
}

const LOWER: [f64; 3] = [-1e10, 0.1, 1.0];
const UPPER: [f64; 3] = [1e10, 0.99, 1e10];

fn clamp(x: &mut [f64; 3]) {
    for k in 0..3 {
        x[k] = x[k].clamp(LOWER[k], UPPER[k]);
    }
}

/// Bounded Nelder–Mead with adaptive coefficients (Gao & Han) for three parameters,
/// stopping when the spread of the simplex' values falls below 1e-4.
fn nelder_mead(f: impl Fn(&[f64; 3]) -> f64, x0: [f64; 3]) -> [f64; 3] {
    let nd = 3.0;
    let (alpha, gamma, rho, sigma) = (1.0, 1.0 + 2.0 / nd, 0.75 - 1.0 / (2.0 * nd), 1.0 - 1.0 / nd);
    let eval = |x: &[f64; 3]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<[f64; 3]> = (0..3)
        .map(|i| {
            let mut x = x0;
            x[i] = if x[i] != 0.0 { x[i] * 1.05 } else { 1e-4 };
            clamp(&mut x);
            x
        })
        .collect();
    simplex.push(x0);
    let mut values: Vec<f64> = simplex.iter().map(eval).collect();
    for _ in 0..1000 {
        let mut order: Vec<usize> = (0..4).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        simplex = order.iter().map(|&i| simplex[i]).collect();
        values = order.iter().map(|&i| values[i]).collect();
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.len() == 4 {
            let m = finite.iter().sum::<f64>() / 4.0;
            let sd = (finite.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 4.0).sqrt();
            if sd < 1e-4 {
                break;
            }
        }
        let mut c = [0.0; 3];
        for x in &simplex[..3] {
            for k in 0..3 {
                c[k] += x[k] / 3.0;
            }
        }
        let toward = |t: f64, from: &[f64; 3]| {
            let mut x = [0.0; 3];
            for k in 0..3 {
                x[k] = c[k] + t * (from[k] - c[k]);
            }
            clamp(&mut x);
            x
        };
        let worst = simplex[3];
        let xr = toward(-alpha, &worst);
        let fr = eval(&xr);
        let (best, second_worst, worst_v) = (values[0], values[2], values[3]);
        if best <= fr && fr < second_worst {
            simplex[3] = xr;
            values[3] = fr;
            continue;
        }
        if fr < best {
            let xe = toward(gamma, &xr);
            let fe = eval(&xe);
            if fe < fr {
                simplex[3] = xe;
                values[3] = fe;
            } else {
                simplex[3] = xr;
                values[3] = fr;
            }
            continue;
        }
        let accepted = if fr < worst_v {
            let xc = toward(rho, &xr);
            let fc = eval(&xc);
            (fc <= fr).then_some((xc, fc))
        } else {
            let xc = toward(-rho, &xr);
            let fc = eval(&xc);
            (fc < worst_v).then_some((xc, fc))
        };
        match accepted {
            Some((x, v)) => {
                simplex[3] = x;
                values[3] = v;
            }
            None => {
                let b = simplex[0];
                for i in 1..4 {
                    for k in 0..3 {
                        simplex[i][k] = b[k] + sigma * (simplex[i][k] - b[k]);
                    }
                    values[i] = eval(&simplex[i]);
                }
            }
        }
    }
    let best = (0..4)
        .min_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap_or(0);
    simplex[best]
}

/// Classical decomposition's seasonal component (statsmodels' `seasonal_decompose`):
/// a centred moving-average trend, per-position means of the detrended series,
/// normalised. Multiplicative for positive series unless an index falls below 0.01.
fn seasonal_component(y: &[f64], m: usize) -> (Vec<f64>, bool) {
    let n = y.len();
    let weights: Vec<f64> = if m.is_multiple_of(2) {
        let mut w = vec![1.0 / m as f64; m + 1];
        w[0] = 0.5 / m as f64;
        w[m] = 0.5 / m as f64;
        w
    } else {
        vec![1.0 / m as f64; m]
    };
    let half = weights.len() / 2;
    let trend: Vec<Option<f64>> = (0..n)
        .map(|t| {
            (t >= half && t + half < n).then(|| {
                weights
                    .iter()
                    .enumerate()
                    .map(|(k, w)| w * y[t + k - half])
                    .sum()
            })
        })
        .collect();
    let build = |mult: bool| -> Vec<f64> {
        let mut idx = vec![0.0; m];
        for (p, slot) in idx.iter_mut().enumerate() {
            let vals: Vec<f64> = (p..n)
                .step_by(m)
                .filter_map(|t| trend[t].map(|tr| if mult { y[t] / tr } else { y[t] - tr }))
                .filter(|v| v.is_finite())
                .collect();
            *slot = if vals.is_empty() {
                if mult { 1.0 } else { 0.0 }
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            };
        }
        let mean = idx.iter().sum::<f64>() / m as f64;
        for v in &mut idx {
            if mult {
                *v /= mean;
            } else {
                *v -= mean;
            }
        }
        idx
    };
    let multiplicative = y.iter().all(|v| *v > 0.0);
    if multiplicative {
        let idx = build(true);
        if idx.iter().all(|v| *v >= 0.01) {
            return ((0..n).map(|t| idx[t % m]).collect(), true);
        }
    }
    let idx = build(false);
    ((0..n).map(|t| idx[t % m]).collect(), false)
}

impl Model for DynamicOptimizedTheta {
    fn name(&self) -> String {
        "DynamicOptimizedTheta".into()
    }

    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        let n = y.len();
        if n <= 3 {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: 4,
                have: n,
            });
        }
        let m = self.season;
        let seasonal = m >= 4 && acf_test(y, m);
        let (season, mult) = if seasonal {
            seasonal_component(y, m)
        } else {
            (Vec::new(), false)
        };
        let adjusted: Vec<f64> = if seasonal {
            y.iter()
                .zip(&season)
                .map(|(v, s)| if mult { v / s } else { v - s })
                .collect()
        } else {
            y.to_vec()
        };
        let scale = (adjusted.iter().map(|v| v.abs()).sum::<f64>() / n as f64).max(1e-10);
        let objective = |x: &[f64; 3]| theta_pass(&adjusted, x[0], x[1], x[2], 0).0 / scale;
        let best = nelder_mead(objective, [adjusted[0] / 2.0, 0.5, 2.0]);
        let (_, mut fc) = theta_pass(&adjusted, best[0], best[1], best[2], h);
        if seasonal {
            let last = &season[n - m..];
            for (j, v) in fc.iter_mut().enumerate() {
                *v = if mult {
                    *v * last[j % m]
                } else {
                    *v + last[j % m]
                };
            }
        }
        Ok(fc
            .into_iter()
            .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 })
            .collect())
    }
    fn min_history(&self) -> usize {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_linear_trend() {
        // Theta with θ = 2 extrapolates half the linear trend plus SES; on a clean
        // line the optimum tracks it closely.
        let y: Vec<f64> = (0..60).map(|t| 10.0 + 2.0 * t as f64).collect();
        let f = DynamicOptimizedTheta { season: 1 }.forecast(&y, 5).unwrap();
        for (j, v) in f.iter().enumerate() {
            let truth = 10.0 + 2.0 * (60 + j) as f64;
            assert!((v - truth).abs() / truth < 0.05, "step {j}: {v} vs {truth}");
        }
    }

    #[test]
    fn keeps_a_weekly_pattern() {
        let pattern = [20.0, 8.0, 6.0, 6.0, 10.0, 24.0, 30.0];
        let y: Vec<f64> = (0..140)
            .map(|t| pattern[t % 7] + (t % 3) as f64 * 0.5)
            .collect();
        let f = DynamicOptimizedTheta { season: 7 }.forecast(&y, 7).unwrap();
        let (lo, hi) = (
            f.iter().copied().fold(f64::INFINITY, f64::min),
            f.iter().copied().fold(0.0, f64::max),
        );
        assert!(hi / lo > 3.0, "the weekly cycle survives: {f:?}");
    }

    #[test]
    fn nelder_mead_finds_a_bowl_minimum() {
        let x = nelder_mead(
            |x| (x[0] - 3.0).powi(2) + 10.0 * (x[1] - 0.4).powi(2) + (x[2] - 5.0).powi(2),
            [1.0, 0.5, 2.0],
        );
        assert!(
            (x[0] - 3.0).abs() < 0.05 && (x[1] - 0.4).abs() < 0.02 && (x[2] - 5.0).abs() < 0.1,
            "{x:?}"
        );
    }
}
