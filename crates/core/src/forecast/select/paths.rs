//! The fourth stage, for one SKU: sample paths of its demand from the same errors as
//! its intervals ([`Spread`]), the marginal of each period as the intervals and the
//! dependence between periods as the configuration says ([`Scenarios`]).

use super::intervals::Spread;
use super::learn::GroupPlan;
use crate::forecast::backtest::{BacktestConfig, quantile};
use crate::forecast::scenarios::{self, Dependence, Scenarios};

/// The sample paths of SKU `y` around `point` with `plan`'s errors as `spread` takes
/// them; `uniforms`: a generative model's per-period ranks of each path
/// ([`Scenarios::Generative`]).
pub(super) fn sample_paths(
    plan: &GroupPlan,
    spread: &Spread,
    point: &[f64],
    y: &[f64],
    cfg: &BacktestConfig,
    uniforms: Option<&[Vec<f64>]>,
    seed: u64,
) -> Vec<Vec<f64>> {
    let (own, own_sorted, own_q) = (&spread.own, &spread.own_sorted, spread.own_q);
    let (use_own, group_shift) = (spread.use_own, spread.group_shift);
    let (level_now, dispersion_now) = (spread.level_now, spread.dispersion_now);
    let reach = spread.reach;
    // Sample paths: the marginal of each period as the intervals (the SKU's own errors
    // pooled over the steps and widened by the step's growth, or its group's errors at
    // that step), the dependence between periods as `cfg.scenarios` says.
    let integer = y.iter().all(|v| v.fract() == 0.0);
    let mut rng = crate::rng::SplitMix::new(seed);
    let value = |j: usize, e: f64| -> f64 {
        let mult = if use_own { level_now } else { dispersion_now };
        let v = (point[j] + (e * mult).clamp(-reach, reach)).max(0.0);
        if integer { v.round() } else { v }
    };
    // A SKU's own error spread as its intervals are: around the median error, by the
    // step's growth and the calibrated width.
    let own_spread = |j: usize, e: f64| -> f64 {
        let g = plan.width * plan.profile.get(j).copied().unwrap_or(1.0);
        let c = if plan.shift { own_q[1] } else { 0.0 };
        c + g * (e - own_q[1])
    };
    // The relative error of period j at uniform u.
    let error_at = |j: usize, u: f64| -> f64 {
        if use_own {
            own_spread(j, quantile(own_sorted, u))
        } else {
            let at = &plan.step_sorted[j.min(plan.step_sorted.len().saturating_sub(1))];
            let o = plan.step_offsets.get(j).copied().unwrap_or([0.0; 3]);
            let c = if group_shift { o[1] } else { 0.0 };
            c + quantile(at, u) - o[1]
        }
    };
    let has_errors = if use_own {
        !own_sorted.is_empty()
    } else {
        plan.step_sorted.iter().any(|s| !s.is_empty())
    };
    if !has_errors || cfg.paths == 0 {
        Vec::new()
    } else {
        match cfg.scenarios {
            Scenarios::Windows => window_paths(
                if use_own { own } else { &plan.windows },
                cfg.paths,
                cfg.h,
                &mut rng,
                // A group window's errors carry the group's median error: moved off
                // it where P50 is not (the same rule as the quantiles).
                |j, e| {
                    let e = if use_own {
                        own_spread(j, e)
                    } else if group_shift {
                        e
                    } else {
                        e - plan.step_offsets.get(j).map_or(0.0, |o| o[1])
                    };
                    value(j, e)
                },
            ),
            Scenarios::Generative if uniforms.is_some_and(|u| !u.is_empty()) => uniforms
                .unwrap_or_default()
                .iter()
                .map(|u| {
                    (0..cfg.h)
                        .map(|j| value(j, error_at(j, u.get(j).copied().unwrap_or(0.5))))
                        .collect()
                })
                .collect(),
            Scenarios::Independent | Scenarios::Copula | Scenarios::Generative => {
                let dep = if cfg.scenarios != Scenarios::Independent {
                    plan.dependence
                } else {
                    Dependence::default()
                };
                (0..cfg.paths)
                    .map(|_| {
                        dep.sample(cfg.h, &mut rng)
                            .into_iter()
                            .enumerate()
                            .map(|(j, z)| value(j, error_at(j, scenarios::normal_cdf(z))))
                            .collect()
                    })
                    .collect()
            }
        }
    }
}

/// Paths from whole error windows (so that a run of high or low errors stays a run):
/// `value(step, error)` turns a window's error into demand.
fn window_paths(
    pool: &[Vec<f64>],
    n: usize,
    h: usize,
    rng: &mut crate::rng::SplitMix,
    value: impl Fn(usize, f64) -> f64,
) -> Vec<Vec<f64>> {
    if pool.iter().all(|w| w.is_empty()) {
        return Vec::new();
    }
    (0..n)
        .map(|_| {
            let w = loop {
                let w = &pool[rng.below(pool.len())];
                if !w.is_empty() {
                    break w;
                }
            };
            (0..h).map(|j| value(j, w[j % w.len()])).collect()
        })
        .collect()
}
