//! The second stage's vocabulary: a [`Recipe`] (a model, or the mean, weighted mean or
//! median of a few), its relative errors on a series' backtests, and its score over a
//! group of series ([`evaluate`]), on which recipes are learnt.

use super::backtests::{Backtests, SeriesBacktest};
use crate::forecast::backtest::quantile;
use crate::forecast::metrics;

/// How a forecast is made from the candidates' forecasts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recipe {
    /// Model ids combined.
    pub members: Vec<usize>,
    /// The element-wise median rather than the mean.
    pub median: bool,
    /// The mean's weight of each member (aligned with `members`); empty: equal weights.
    /// A member without a forecast drops out and the others' weights are rescaled.
    #[serde(default)]
    pub weights: Vec<f64>,
}

impl Recipe {
    /// The recipe's name: the model's, or "Ensemble(a, b)" (mean) / "Median(a, b, c)".
    pub fn name(&self, names: &[String]) -> String {
        let list = || {
            self.members
                .iter()
                .map(|&m| names[m].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.members.len(), self.median) {
            (1, _) => names[self.members[0]].clone(),
            (_, false) if self.weighted() => format!(
                "Blend({})",
                self.members
                    .iter()
                    .zip(&self.weights)
                    .map(|(&m, w)| format!("{} {:.0} %", names[m], 100.0 * w))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (_, false) => format!("Ensemble({})", list()),
            (_, true) => format!("Median({})", list()),
        }
    }

    /// Whether the mean weighs its members unequally.
    fn weighted(&self) -> bool {
        self.weights.len() == self.members.len()
            && self
                .weights
                .iter()
                .any(|w| (w - self.weights[0]).abs() > 1e-12)
    }

    /// The recipe restricted to the members `keep` says (weights kept with them).
    pub(super) fn only(&self, keep: &[bool]) -> Recipe {
        let pick = |v: &[usize]| -> Vec<usize> {
            v.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(m, _)| *m)
                .collect()
        };
        Recipe {
            members: pick(&self.members),
            median: self.median,
            weights: if self.weights.len() == self.members.len() {
                self.weights
                    .iter()
                    .zip(keep)
                    .filter(|(_, k)| **k)
                    .map(|(w, _)| *w)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Combines the members' forecasts that exist (None when none does).
    pub(super) fn combine(&self, fcs: &[Option<&[f64]>]) -> Option<Vec<f64>> {
        let weight = |i: usize| {
            if self.weights.len() == self.members.len() {
                self.weights[i]
            } else {
                1.0
            }
        };
        let have: Vec<(f64, &[f64])> = fcs
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (weight(i), f)))
            .collect();
        let len = have.iter().map(|(_, f)| f.len()).min()?;
        let total: f64 = have.iter().map(|(w, _)| w).sum();
        // Not `total <= 0.0`: a NaN total has no mean either.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !self.median && !(total > 0.0) {
            return None;
        }
        Some(
            (0..len)
                .map(|j| {
                    if self.median {
                        let mut v: Vec<f64> = have.iter().map(|(_, f)| f[j]).collect();
                        v.sort_by(f64::total_cmp);
                        quantile(&v, 0.5)
                    } else {
                        have.iter().map(|(w, f)| w * f[j]).sum::<f64>() / total
                    }
                })
                .collect(),
        )
    }

    /// The recipe's forecast from origin `k` of a series (the fallback model's when
    /// no member has one).
    pub(super) fn at(
        &self,
        s: &SeriesBacktest,
        k: usize,
        fallback: Option<usize>,
    ) -> Option<Vec<f64>> {
        let get = |id: usize| {
            s.forecasts
                .iter()
                .find(|(m, _)| *m == id)
                .and_then(|(_, f)| f[k].as_deref())
        };
        let fcs: Vec<Option<&[f64]>> = self.members.iter().map(|&m| get(m)).collect();
        self.combine(&fcs)
            .or_else(|| fallback.and_then(get).map(<[f64]>::to_vec))
    }
}

/// What errors are divided by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum By {
    /// The series' in-sample MASE scale: the score the benchmark reports, so that the
    /// choice optimises what is measured and every series weighs the same.
    Mase,
    /// The local dispersion at the origin ([`local_scale`]): errors pooled across
    /// series of any volume.
    Dispersion,
    /// The square root of the recent level ([`backtest::level`]): a series' own errors,
    /// which then widen and narrow with its demand.
    Level,
}

/// A recipe's errors on one series: per origin, the relative errors by step ahead.
pub(super) fn recipe_errors(
    r: &Recipe,
    s: &SeriesBacktest,
    y: &[f64],
    fallback: Option<usize>,
    by: By,
) -> Vec<Vec<f64>> {
    (0..s.origins.len())
        .filter_map(|k| {
            let f = r.at(s, k, fallback)?;
            let o = s.origins[k];
            let d = match by {
                By::Mase => s.mase_scale.map_or(s.scales[k], |m| m.0),
                By::Dispersion => s.scales[k],
                By::Level => s.levels[k],
            };
            Some(
                f.iter()
                    .enumerate()
                    .filter(|(j, _)| o + j < y.len())
                    .map(|(j, v)| (y[o + j] - v) / d)
                    .collect(),
            )
        })
        .collect()
}

/// The quantile levels of every forecast.
pub(super) const Q: [f64; 3] = [0.1, 0.5, 0.9];

fn mean_pinball(errs: &[f64], offsets: &[f64; 3]) -> f64 {
    if errs.is_empty() {
        return f64::NAN;
    }
    errs.iter()
        .map(|&e| {
            (0..3)
                .map(|q| metrics::pinball(e, offsets[q], Q[q]))
                .sum::<f64>()
                / 3.0
        })
        .sum::<f64>()
        / errs.len() as f64
}

pub(super) fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A recipe's standing in a group of series.
#[derive(Debug, Clone)]
pub(super) struct Evaluated {
    pub(super) recipe: Recipe,
    /// Mean over series of the mean pinball loss of the relative errors (P10/P50/P90
    /// at the group's pooled quantiles of those errors).
    pub(super) score: f64,
    /// Per member series (aligned with the group's members): its own mean pinball loss
    /// (NaN where the recipe has no error on it).
    pub(super) per_series: Vec<f64>,
}

pub(super) fn evaluate(
    r: &Recipe,
    members: &[usize],
    bt: &Backtests,
    ys: &[&[f64]],
    fallback: Option<usize>,
) -> Option<Evaluated> {
    let per: Vec<Vec<Vec<f64>>> = members
        .iter()
        .map(|&i| recipe_errors(r, &bt.series[i], ys[i], fallback, By::Mase))
        .collect();
    let pooled = sorted(per.iter().flatten().flatten().copied().collect());
    if pooled.is_empty() {
        return None;
    }
    let offsets = Q.map(|q| quantile(&pooled, q));
    let (mut score, mut n) = (0.0, 0.0);
    let mut per_series = Vec::with_capacity(per.len());
    for windows in &per {
        let e: Vec<f64> = windows.concat();
        if e.is_empty() {
            per_series.push(f64::NAN);
            continue;
        }
        let l = mean_pinball(&e, &offsets);
        per_series.push(l);
        score += l;
        n += 1.0;
    }
    let score = score / n;
    Some(Evaluated {
        recipe: r.clone(),
        score,
        per_series,
    })
}
