//! The automatic choice across a dataset: rolling-origin backtests of every candidate
//! on every series, one forecast recipe (a model, or the mean or median of a few)
//! learnt per group of similar series, and intervals from the recipe's backtest errors.
//!
//! Why not the best model per SKU: with three windows of one SKU's history, the model
//! with the lowest backtest error is mostly the luckiest one. On unseen shops that rule
//! lost to its own candidates (a run of zeros makes "repeat the last value" look best,
//! and it then forecasts zero). The evidence for *which kind of model suits which kind
//! of series* is strong when it is pooled over every SKU of the same demand class and
//! volume band, so the recipe is chosen there, on a probabilistic score (the scaled
//! pinball loss at P10/P50/P90), and applied to each SKU of the group.
//!
//! Errors are measured relative to the series' local dispersion (the mean absolute
//! change over the recent history before each origin), which makes them comparable
//! across SKUs of any volume: the intervals of a SKU take the shape of its group's
//! errors at each step ahead, stretched by how much the SKU's own backtest errors
//! differ from the group's (shrunk toward the group when the SKU has few errors).

use std::collections::HashMap;

use super::backtest::{self, BacktestConfig, Choice, Standing, origins, quantile};
use super::metrics::{self, Scores};
use super::rule::{ChoiceRule, Evidence};
use super::scenarios::{self, Dependence, Scenarios};
use super::{Forecast, ForecastError, Model, check_history};
use crate::data::quality::{DemandClass, intermittency};
use crate::par::par_map;

/// The model a recipe falls back on where none of its members forecasts: simple
/// exponential smoothing forecasts every history of two periods or more.
const FALLBACK: &str = "SESOpt";

/// Groups smaller than this borrow from a wider one (class only, then every series).
const MIN_GROUP: usize = 24;

/// Errors per step ahead below which a step's interval uses the group's errors over
/// all steps.
const MIN_STEP_ERRORS: usize = 30;

/// Combinations tried: the mean of the best k single models for k in 2..=MAX_MEAN,
/// and the median of the best 3 and 5.
const MAX_MEAN: usize = 5;

/// One series' backtests.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SeriesBacktest {
    /// Forecast origins (history lengths), oldest first.
    pub origins: Vec<usize>,
    /// Error scale at each origin for errors pooled across series ([`local_scale`]).
    pub scales: Vec<f64>,
    /// Error scale at each origin for the series' own errors ([`backtest::level`]).
    pub levels: Vec<f64>,
    /// Per model id: its forecast from each origin (cut to the periods observed).
    pub forecasts: Vec<(usize, Vec<Option<Vec<f64>>>)>,
    /// The group of the series ([`Group`]).
    pub group: Group,
    /// In-sample MASE/RMSSE scales of the history before the first origin.
    pub mase_scale: Option<(f64, f64)>,
}

/// Similar series: demand class and volume band.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Group {
    /// Syntetos–Boylan class (index into [`CLASSES`]).
    pub class: u8,
    /// Mean demand per period: 0 under 1, 1 under 10, 2 from 10.
    pub band: u8,
    /// Whether the series shows its seasonal cycle ([`super::season::is_seasonal`]).
    pub seasonal: bool,
}

const CLASSES: [DemandClass; 5] = [
    DemandClass::Smooth,
    DemandClass::Erratic,
    DemandClass::Intermittent,
    DemandClass::Lumpy,
    DemandClass::TooFewSales,
];

const BANDS: [&str; 3] = ["under 1 unit", "1–10 units", "over 10 units"];

impl Group {
    fn of(y: &[f64], season: usize) -> Group {
        let (_, _, class) = intermittency(y);
        let seasonal = season > 1 && super::season::is_seasonal(y, season);
        let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
        Group {
            class: CLASSES.iter().position(|c| *c == class).unwrap_or(4) as u8,
            band: if mean < 1.0 {
                0
            } else if mean < 10.0 {
                1
            } else {
                2
            },
            seasonal,
        }
    }
}

/// The candidate models of series `i` (they may borrow from the caller).
pub type Candidates<'a> = dyn Fn(usize) -> Vec<Box<dyn Model + 'a>> + Sync + 'a;

/// Every series' backtests, with the names of the models.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Backtests {
    /// Model names (ids index this).
    pub names: Vec<String>,
    /// Per series.
    pub series: Vec<SeriesBacktest>,
}

/// The error scale of `y` at `origin`: the mean absolute change between consecutive
/// periods over the recent history (the last `max(2h, 2 × season, 8)` periods), or
/// over the whole history when that is flat, or the mean level, or 1.
pub fn local_scale(y: &[f64], origin: usize, h: usize, season: usize) -> f64 {
    let w = (2 * h).max(2 * season).max(8);
    let mad = |x: &[f64]| {
        if x.len() < 2 {
            return 0.0;
        }
        x.windows(2).map(|p| (p[1] - p[0]).abs()).sum::<f64>() / (x.len() - 1) as f64
    };
    let past = &y[..origin.min(y.len())];
    let recent = &past[past.len().saturating_sub(w)..];
    for v in [
        mad(recent),
        mad(past),
        past.iter().map(|v| v.abs()).sum::<f64>() / past.len().max(1) as f64,
    ] {
        if v > 0.0 && v.is_finite() {
            return v;
        }
    }
    1.0
}

fn clip(v: Vec<f64>) -> Vec<f64> {
    v.into_iter()
        .map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 })
        .collect()
}

/// Backtests `models` on `y` from the common origins ([`origins`]); a model is skipped
/// at origins with less history than it needs ([`Model::min_history`]).
pub fn backtest_series(
    models: &[Box<dyn Model + '_>],
    y: &[f64],
    cfg: &BacktestConfig,
    ids: &mut dyn FnMut(&str) -> usize,
) -> SeriesBacktest {
    // A history with a non-finite value is refused when it is forecast; kept out of the
    // backtests, it cannot spoil its group's scores.
    let os = if check_history(y).is_ok() {
        origins(y.len(), cfg)
    } else {
        Vec::new()
    };
    let scales = os
        .iter()
        .map(|&o| local_scale(y, o, cfg.h, cfg.season))
        .collect();
    let levels = os.iter().map(|&o| backtest::level(y, o, cfg.h)).collect();
    let forecasts = models
        .iter()
        .map(|m| (ids(&m.name()), from_origins(m.as_ref(), y, &os, cfg.h)))
        .collect();
    let first = os.first().copied().unwrap_or(y.len());
    let mase_scale = metrics::scales(&y[..first], cfg.season.max(1))
        .filter(|s| s.0 > 0.0)
        .or_else(|| metrics::scales(&y[..first], 1).filter(|s| s.0 > 0.0));
    SeriesBacktest {
        origins: os,
        scales,
        levels,
        forecasts,
        group: Group::of(y, cfg.season),
        mase_scale,
    }
}

/// `m`'s forecasts of `y` from each origin in `os`, cut to the periods observed; `None`
/// where it has too little history or fails.
fn from_origins(m: &dyn Model, y: &[f64], os: &[usize], h: usize) -> Vec<Option<Vec<f64>>> {
    let need = m.min_history();
    os.iter()
        .map(|&o| {
            if o < need || o > y.len() {
                return None;
            }
            let f = m.forecast(&y[..o], h).ok()?;
            let keep = h.min(y.len() - o).min(f.len());
            (keep > 0).then(|| clip(f[..keep].to_vec()))
        })
        .collect()
}

/// Series handled between two progress reports: enough to keep `threads` busy, few
/// enough for at least eight reports (and a prompt stop).
fn chunk_size(threads: usize, n: usize) -> usize {
    (threads.max(1) * 4).min(n / 8).max(1)
}

/// Backtests every series (`candidates(i)` gives series `i`'s models) on `threads`
/// threads. `progress(done)` is called as series finish and may return `false` to
/// stop: the series backtested so far are returned.
pub fn backtest_all(
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    threads: usize,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Backtests {
    let mut out = Backtests::default();
    let chunk = chunk_size(threads, ys.len());
    let idx: Vec<usize> = (0..ys.len()).collect();
    for part in idx.chunks(chunk) {
        let results = par_map(part, threads, |&i| {
            let mut local: Vec<String> = Vec::new();
            let bt = backtest_series(&candidates(i), ys[i], cfg, &mut |n| {
                local.iter().position(|x| x == n).unwrap_or_else(|| {
                    local.push(n.to_string());
                    local.len() - 1
                })
            });
            (bt, local)
        });
        for (mut bt, local) in results {
            for f in &mut bt.forecasts {
                let name = &local[f.0];
                f.0 = match out.names.iter().position(|x| x == name) {
                    Some(k) => k,
                    None => {
                        out.names.push(name.clone());
                        out.names.len() - 1
                    }
                };
            }
            out.series.push(bt);
        }
        if !progress(out.series.len()) {
            break;
        }
    }
    out
}

impl Backtests {
    /// These backtests with more models added, from the same origins, as if they had
    /// been among the candidates from the start: `extra(i)` gives series `i`'s added
    /// models. A model a series already has is skipped. This is how a global
    /// model that finishes after the statistical backtests (the pretrained model in the
    /// browser's neural worker, run beside them) joins the choice.
    pub fn with_models(mut self, ys: &[&[f64]], extra: &Candidates<'_>, h: usize) -> Backtests {
        for (i, s) in self.series.iter_mut().enumerate() {
            let Some(y) = ys.get(i) else { break };
            for m in extra(i) {
                let name = m.name();
                let id = match self.names.iter().position(|x| *x == name) {
                    Some(k) => k,
                    None => {
                        self.names.push(name);
                        self.names.len() - 1
                    }
                };
                if s.forecasts.iter().any(|(k, _)| *k == id) {
                    continue;
                }
                s.forecasts
                    .push((id, from_origins(m.as_ref(), y, &s.origins, h)));
            }
        }
        self
    }

    /// The backtests of consecutive parts of the series (made apart, e.g. in several
    /// workers) as one, in order: model ids are renumbered into one list of names.
    pub fn merge(parts: Vec<Backtests>) -> Backtests {
        let mut out = Backtests::default();
        for part in parts {
            let ids: Vec<usize> = part
                .names
                .iter()
                .map(|n| match out.names.iter().position(|x| x == n) {
                    Some(k) => k,
                    None => {
                        out.names.push(n.clone());
                        out.names.len() - 1
                    }
                })
                .collect();
            for mut s in part.series {
                for f in &mut s.forecasts {
                    f.0 = ids[f.0];
                }
                out.series.push(s);
            }
        }
        out
    }
}

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
    fn only(&self, keep: &[bool]) -> Recipe {
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
    fn combine(&self, fcs: &[Option<&[f64]>]) -> Option<Vec<f64>> {
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
    fn at(&self, s: &SeriesBacktest, k: usize, fallback: Option<usize>) -> Option<Vec<f64>> {
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
enum By {
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
fn recipe_errors(
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
const Q: [f64; 3] = [0.1, 0.5, 0.9];

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

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A recipe's standing in a group of series.
#[derive(Debug, Clone)]
struct Evaluated {
    recipe: Recipe,
    /// Mean over series of the mean pinball loss of the relative errors (P10/P50/P90
    /// at the group's pooled quantiles of those errors).
    score: f64,
    /// Per member series (aligned with the group's members): its own mean pinball loss
    /// (NaN where the recipe has no error on it).
    per_series: Vec<f64>,
}

fn evaluate(
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

/// What was learnt for one group of series.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GroupPlan {
    /// The recipe and its score, then the runner-up's name and score.
    recipe: Recipe,
    score: f64,
    runner_up: Option<(String, f64)>,
    /// Series the recipe was chosen on, and what they are.
    evidence: usize,
    label: String,
    /// Quantile offsets of the recipe's relative errors per step ahead.
    step_offsets: Vec<[f64; 3]>,
    /// How the interval widens with the steps ahead: the group's P10–P90 spread at each
    /// step over its mean spread.
    profile: Vec<f64>,
    /// How much a SKU's own-error interval must be widened (or narrowed) to cover 80 %
    /// ([`calibrate`]).
    width: f64,
    /// Whether P50 moves from the point forecast by the median backtest error (learnt as
    /// the width is: where it helped on the last origin).
    shift: bool,
    /// Error windows (relative) of the recipe in the group, for sample paths.
    windows: Vec<Vec<f64>>,
    /// The group's errors at each step ahead, sorted (the marginals of sample paths of
    /// SKUs without enough errors of their own).
    step_sorted: Vec<Vec<f64>>,
    /// How the errors of consecutive periods depend on each other (the copula of the
    /// sample paths).
    dependence: Dependence,
    /// Pooled quantile offsets of each single model (by id), for the leaderboards.
    single_offsets: HashMap<usize, [f64; 3]>,
    /// How the recipe was decided (none where the rule has no default in the pool).
    decision: Option<Decision>,
}

/// How a group's recipe was decided: its default, the best of the rest, and the
/// evidence between them ([`ChoiceRule::switches`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// The default recipe's name and backtest score.
    pub default: String,
    /// Its score.
    pub default_score: f64,
    /// The best other recipe's name.
    pub challenger: String,
    /// Its score.
    pub challenger_score: f64,
    /// The challenger's gain over the default, and whether it replaced it.
    pub evidence: Evidence,
    /// The rule that decided.
    pub rule: ChoiceRule,
}

/// The recipes learnt per group.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Learnt {
    /// Per series: index into `plans`.
    pub of_series: Vec<usize>,
    plans: Vec<GroupPlan>,
}

impl Learnt {
    /// What was learnt, for the series in `range` only (renumbered from 0): a part of
    /// the catalogue forecast elsewhere ([`finish_range`] on that part's backtests)
    /// with the recipes learnt across the whole of it.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Learnt {
        let end = range.end.min(self.of_series.len());
        Learnt {
            of_series: self.of_series[range.start.min(end)..end].to_vec(),
            plans: self.plans.clone(),
        }
    }

    /// Serialises for sending to another process or machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Learnt::to_bytes`] wrote, checking that every series has a plan.
    pub fn from_bytes(bytes: &[u8]) -> Option<Learnt> {
        let l: Learnt = postcard::from_bytes(bytes).ok()?;
        l.of_series.iter().all(|&p| p < l.plans.len()).then_some(l)
    }
}

impl Backtests {
    /// Serialises for sending to another process or machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Backtests::to_bytes`] wrote, checking that model ids are in range.
    pub fn from_bytes(bytes: &[u8]) -> Option<Backtests> {
        let b: Backtests = postcard::from_bytes(bytes).ok()?;
        let n = b.names.len();
        b.series
            .iter()
            .all(|s| s.forecasts.iter().all(|(m, _)| *m < n))
            .then_some(b)
    }
}

fn group_label(g: Group, level: u8) -> String {
    let cycle = if g.seasonal {
        "seasonal "
    } else {
        "non-seasonal "
    };
    match level {
        0 => format!(
            "{cycle}{} SKUs selling {} a period",
            CLASSES[g.class as usize].label(),
            BANDS[g.band as usize]
        ),
        1 => format!("{cycle}{} SKUs", CLASSES[g.class as usize].label()),
        2 => format!("{cycle}SKUs"),
        _ => "SKUs".into(),
    }
}

/// Learns the recipe of every group with the default rule. `only`: restrict the
/// candidates to one model (the benchmark's single-model rows).
pub fn learn(bt: &Backtests, ys: &[&[f64]], h: usize, only: Option<&str>) -> Learnt {
    learn_with(bt, ys, h, only, &ChoiceRule::default())
}

/// [`learn`] with a given rule (the benchmark compares rules on the same backtests).
pub fn learn_with(
    bt: &Backtests,
    ys: &[&[f64]],
    h: usize,
    only: Option<&str>,
    rule: &ChoiceRule,
) -> Learnt {
    let n = bt.series.len();
    // Group each series at the finest level with enough series: (class, band), class,
    // everything.
    type Key = (u8, u8, u8, bool);
    let keys = |g: Group| -> [Key; 4] {
        [
            (0, g.class, g.band, g.seasonal),
            (1, g.class, 0, g.seasonal),
            (2, 0, 0, g.seasonal),
            (3, 0, 0, false),
        ]
    };
    let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, s) in bt.series.iter().enumerate() {
        for key in keys(s.group) {
            by_key.entry(key).or_default().push(i);
        }
    }
    let mut key_of = Vec::with_capacity(n);
    for s in &bt.series {
        let key = keys(s.group)
            .into_iter()
            .find(|k| by_key[k].len() >= MIN_GROUP)
            .unwrap_or((3, 0, 0, false));
        key_of.push(key);
    }
    let fallback = bt.names.iter().position(|x| x == FALLBACK);
    let only_id = only.and_then(|o| bt.names.iter().position(|x| x == o));
    let mut plans = Vec::new();
    let mut plan_of_key: HashMap<Key, usize> = HashMap::new();
    let mut of_series = Vec::with_capacity(n);
    for (i, key) in key_of.iter().enumerate() {
        if let Some(&p) = plan_of_key.get(key) {
            of_series.push(p);
            continue;
        }
        let members = &by_key[key];
        let plan = learn_group(
            bt,
            ys,
            members,
            h,
            fallback,
            only_id,
            rule,
            group_label(bt.series[i].group, key.0),
        );
        plans.push(plan);
        plan_of_key.insert(*key, plans.len() - 1);
        of_series.push(plans.len() - 1);
    }
    Learnt { of_series, plans }
}

fn learn_group(
    bt: &Backtests,
    ys: &[&[f64]],
    members: &[usize],
    h: usize,
    fallback: Option<usize>,
    only: Option<usize>,
    rule: &ChoiceRule,
    label: String,
) -> GroupPlan {
    let mut ids: Vec<usize> = members
        .iter()
        .flat_map(|&i| bt.series[i].forecasts.iter().map(|(m, _)| *m))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if let Some(o) = only {
        ids.retain(|&m| m == o);
    } else {
        ids = distinct_candidates(bt, members, ids);
    }
    let single = |m: usize| Recipe {
        members: vec![m],
        median: false,
        weights: Vec::new(),
    };
    let mut singles: Vec<Evaluated> = ids
        .iter()
        .filter_map(|&m| evaluate(&single(m), members, bt, ys, fallback))
        .filter(|e| e.score.is_finite())
        .collect();
    singles.sort_by(|a, b| a.score.total_cmp(&b.score));
    let single_offsets: HashMap<usize, [f64; 3]> = ids
        .iter()
        .map(|&m| {
            let pooled = sorted(
                members
                    .iter()
                    .flat_map(|&i| {
                        recipe_errors(&single(m), &bt.series[i], ys[i], fallback, By::Dispersion)
                            .concat()
                    })
                    .collect(),
            );
            (m, Q.map(|q| quantile(&pooled, q)))
        })
        .collect();
    let mut all = singles.clone();
    if only.is_none() {
        let ranked: Vec<usize> = singles.iter().map(|e| e.recipe.members[0]).collect();
        let mut combos = Vec::new();
        for k in 2..=MAX_MEAN.min(ranked.len()) {
            combos.push(Recipe {
                members: ranked[..k].to_vec(),
                median: false,
                weights: Vec::new(),
            });
        }
        for k in [3, 5] {
            if ranked.len() >= k {
                combos.push(Recipe {
                    members: ranked[..k].to_vec(),
                    median: true,
                    weights: Vec::new(),
                });
            }
        }
        all.extend(
            combos
                .iter()
                .filter_map(|r| evaluate(r, members, bt, ys, fallback))
                .filter(|e| e.score.is_finite()),
        );
    }
    all.sort_by(|a, b| a.score.total_cmp(&b.score));
    // The default, kept unless the best of the rest beats it with strong evidence
    // ([`rule`]): taking the lowest backtest score outright lost to the pool's own best
    // single model on six unseen data sets.
    let default = if only.is_none() {
        rule.anchor_weights(&bt.names, &ids)
            .map(|(members, weights)| Recipe {
                members,
                median: false,
                weights,
            })
            .and_then(|r| evaluate(&r, members, bt, ys, fallback))
            .filter(|e| e.score.is_finite())
    } else {
        None
    };
    // Without a default, the lowest score among recipes of `min_members` models or more.
    let big = |e: &&Evaluated| e.recipe.members.len() >= rule.min_members;
    let (best, decision) = match default {
        None => (
            all.iter()
                .find(big)
                .or(all.first())
                .cloned()
                .unwrap_or(Evaluated {
                    recipe: Recipe {
                        members: fallback.or(ids.first().copied()).into_iter().collect(),
                        median: false,
                        weights: Vec::new(),
                    },
                    score: f64::NAN,
                    per_series: Vec::new(),
                }),
            None,
        ),
        Some(d) => {
            // Any recipe may challenge a default, a single model too: a strong candidate
            // diluted into a combination of three would be worse than itself alone.
            let challenger = all.iter().find(|e| e.recipe != d.recipe).cloned();
            match challenger {
                None => (d, None),
                Some(c) => {
                    let ev = rule.switches(&d.per_series, &c.per_series);
                    let decision = Decision {
                        default: d.recipe.name(&bt.names),
                        default_score: d.score,
                        challenger: c.recipe.name(&bt.names),
                        challenger_score: c.score,
                        evidence: ev,
                        rule: *rule,
                    };
                    (if ev.switch { c } else { d }, Some(decision))
                }
            }
        }
    };
    all.retain(|e| e.recipe != best.recipe);
    let runner_up = all.first().map(|e| (e.recipe.name(&bt.names), e.score));
    // The chosen recipe's errors by step ahead, for the intervals.
    let wins: Vec<Vec<f64>> = members
        .iter()
        .flat_map(|&i| recipe_errors(&best.recipe, &bt.series[i], ys[i], fallback, By::Dispersion))
        .collect();
    let all_steps = sorted(wins.iter().flatten().copied().collect());
    let overall = Q.map(|q| quantile(&all_steps, q));
    let step_sorted: Vec<Vec<f64>> = (0..h)
        .map(|j| {
            let at = sorted(wins.iter().filter_map(|w| w.get(j).copied()).collect());
            if at.len() >= MIN_STEP_ERRORS {
                at
            } else {
                all_steps.clone()
            }
        })
        .collect();
    let step_offsets: Vec<[f64; 3]> = step_sorted
        .iter()
        .map(|at| {
            if at.is_empty() {
                overall
            } else {
                Q.map(|q| quantile(at, q))
            }
        })
        .collect();
    // The copula: lag correlations of the recipe's errors, each series' windows ranked
    // on their own (a series' errors in units of its level).
    // The copula: lag correlations of the recipe's errors (in units of each series'
    // level), ranked across the whole group. Ranked within each series instead, a miss
    // shared by a whole window passes partly for the series' usual error and the level
    // shock comes out too small: measured with `bench-scenarios` on the validation
    // origin, 28-period sums covered 77 % against 86 % pooled, with a worse CRPS
    // (0.354 against 0.353 scaled).
    let pooled: Vec<Vec<f64>> = members
        .iter()
        .flat_map(|&i| recipe_errors(&best.recipe, &bt.series[i], ys[i], fallback, By::Level))
        .collect();
    let dependence = Dependence::fit(&[pooled]);
    let profile = profile(&best.recipe, members, bt, ys, fallback, h);
    let (width, shift) = calibrate(&best.recipe, members, bt, ys, fallback, &profile);
    GroupPlan {
        recipe: best.recipe,
        score: best.score,
        runner_up,
        evidence: members.len(),
        label,
        step_offsets,
        profile,
        width,
        shift,
        windows: wins,
        step_sorted,
        dependence,
        single_offsets,
        decision,
    }
}

/// The candidates worth combining in a group: those that forecast from at least half
/// as many origins as the most available one (a seasonal model without two seasons of
/// history would only stand in for the fallback), and one of any that forecast exactly
/// alike (seasonal naive with a season of 1 is naive): a "combination" of clones would
/// be one model under several names.
fn distinct_candidates(bt: &Backtests, members: &[usize], ids: Vec<usize>) -> Vec<usize> {
    let forecasts_of = |m: usize, i: usize| {
        bt.series[i]
            .forecasts
            .iter()
            .find(|(id, _)| *id == m)
            .map(|(_, f)| f)
    };
    let available = |m: usize| -> usize {
        members
            .iter()
            .filter_map(|&i| forecasts_of(m, i))
            .map(|f| f.iter().filter(|x| x.is_some()).count())
            .sum()
    };
    let most = ids.iter().map(|&m| available(m)).max().unwrap_or(0);
    let mut kept: Vec<usize> = Vec::new();
    for m in ids {
        if 2 * available(m) < most {
            continue;
        }
        let clone = kept.iter().any(|&k| {
            members
                .iter()
                .all(|&i| forecasts_of(m, i) == forecasts_of(k, i))
        });
        if !clone {
            kept.push(m);
        }
    }
    kept
}

/// Forecasts every series with its group's recipe: the members fitted on the whole
/// history, intervals and sample paths from the recipe's backtest errors.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    bt: &Backtests,
    learnt: &Learnt,
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    threads: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Vec<Result<Choice, ForecastError>> {
    finish_with(
        bt,
        learnt,
        ys,
        candidates,
        cfg,
        &[],
        threads,
        seed,
        progress,
    )
}

/// [`finish`] with a generative model's path ranks: `uniforms[i]`, when present, gives
/// series `i`'s paths as per-period uniforms (path × period, see
/// [`scenarios::from_template`]) and is used when `cfg.scenarios` is
/// [`Scenarios::Generative`]; series without them take the copula.
#[allow(clippy::too_many_arguments)]
pub fn finish_with(
    bt: &Backtests,
    learnt: &Learnt,
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    uniforms: &[Option<Vec<Vec<f64>>>],
    threads: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Vec<Result<Choice, ForecastError>> {
    finish_range(
        bt,
        learnt,
        ys,
        candidates,
        cfg,
        uniforms,
        threads,
        seed,
        0..bt.series.len(),
        progress,
    )
}

/// [`finish_with`] for the series in `range` only (one worker's share): the same
/// forecasts, seeds and paths as for the whole dataset.
#[allow(clippy::too_many_arguments)]
pub fn finish_range(
    bt: &Backtests,
    learnt: &Learnt,
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    uniforms: &[Option<Vec<Vec<f64>>>],
    threads: usize,
    seed: u64,
    range: std::ops::Range<usize>,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Vec<Result<Choice, ForecastError>> {
    let n = range.len();
    let idx: Vec<usize> = range.collect();
    let mut out = Vec::with_capacity(n);
    let chunk = chunk_size(threads, n);
    for part in idx.chunks(chunk) {
        out.extend(par_map(part, threads, |&i| {
            finish_one(
                bt,
                learnt,
                i,
                ys[i],
                &candidates(i),
                cfg,
                uniforms.get(i).and_then(|u| u.as_deref()),
                seed.wrapping_add(i as u64),
            )
        }));
        if !progress(out.len()) {
            break;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn finish_one(
    bt: &Backtests,
    learnt: &Learnt,
    i: usize,
    y: &[f64],
    models: &[Box<dyn Model + '_>],
    cfg: &BacktestConfig,
    uniforms: Option<&[Vec<f64>]>,
    seed: u64,
) -> Result<Choice, ForecastError> {
    check_history(y)?;
    if cfg.h == 0 {
        return Err(ForecastError::ZeroHorizon);
    }
    let s = &bt.series[i];
    let plan = &learnt.plans[learnt.of_series[i]];
    let names = &bt.names;
    let by_name = |id: usize| models.iter().find(|m| m.name() == names[id]);
    // The members fitted on the whole history.
    let finals: Vec<Option<Vec<f64>>> = plan
        .recipe
        .members
        .iter()
        .map(|&m| {
            let model = by_name(m)?;
            if y.len() < model.min_history() {
                return None;
            }
            model
                .forecast(y, cfg.h)
                .ok()
                .filter(|f| f.len() == cfg.h)
                .map(clip)
        })
        .collect();
    let used: Vec<usize> = plan
        .recipe
        .members
        .iter()
        .zip(&finals)
        .filter(|(_, f)| f.is_some())
        .map(|(m, _)| *m)
        .collect();
    let mut note = String::new();
    let (name, point) = match plan
        .recipe
        .combine(&finals.iter().map(|f| f.as_deref()).collect::<Vec<_>>())
    {
        Some(p) => {
            let r = plan
                .recipe
                .only(&finals.iter().map(Option::is_some).collect::<Vec<_>>());
            if used.len() < plan.recipe.members.len() {
                note = format!(
                    " ({} of its models cannot forecast this history)",
                    plan.recipe.members.len() - used.len()
                );
            }
            (r.name(names), p)
        }
        None => {
            // None of the recipe's models forecasts this history: the first candidate
            // that does, in the fallback's place.
            let (m, p) = std::iter::once(FALLBACK.to_string())
                .chain(models.iter().map(|m| m.name()))
                .find_map(|nm| {
                    let model = models.iter().find(|m| m.name() == nm)?;
                    let p = model.forecast(y, cfg.h).ok().filter(|f| f.len() == cfg.h)?;
                    Some((nm, clip(p)))
                })
                .ok_or_else(|| ForecastError::TooShort {
                    model: "every model".into(),
                    needed: 2,
                    have: y.len(),
                })?;
            note = format!(
                " ({} cannot forecast this history; {m} used instead)",
                plan.recipe.name(names)
            );
            (m, p)
        }
    };
    // Intervals: from the SKU's own backtest errors of the recipe when it has a
    // horizon's worth of them (relative to its level at each origin, so that they
    // widen as demand grows), else from its group's errors at each step ahead
    // (relative to each series' dispersion).
    let fallback = names.iter().position(|x| x == FALLBACK);
    let own = recipe_errors(&plan.recipe, s, y, fallback, By::Level);
    let own_sorted = sorted(own.iter().flatten().copied().collect());
    // Own errors that never varied (a SKU that sold nothing in any backtest window) say
    // nothing about its spread: the group's errors do.
    let varied = own_sorted.first() != own_sorted.last();
    let use_own = own_sorted.len() >= cfg.h && varied;
    let level_now = backtest::level(y, y.len(), cfg.h);
    let dispersion_now = local_scale(y, y.len(), cfg.h, cfg.season);
    // Without errors of its own, a SKU's P50 moves by its group's median error unless
    // its own history is smooth. The group's median is learnt on members with long
    // backtests: a median below the mean is what skewed (erratic, intermittent, lumpy)
    // demand does at any length, but the drift of long smooth series (trends a model
    // trails) is not what a short smooth one does. Measured on the validation periods
    // (the h before the held-out h) of the quality suite's eight shapes: on M3
    // quarterly (52 of 756 series with 8 quarters) N1183's P50 went 7,151 → 8,571
    // against sales of 6,480–7,414, and the automatic choice's scaled pinball was
    // 0.4458 moved against 0.4273 unmoved; the daily shop's 0.3268 became 0.3269
    // (0.3272 with no group shift at all, 0.3271 moving only intermittent, lumpy and
    // too-few-sales SKUs), the other six shapes unchanged, MASE unchanged everywhere.
    let group_shift = plan.shift && intermittency(y).2 != DemandClass::Smooth;
    // Without errors of its own, a SKU's interval (and paths) stay within four times
    // its history's range of the point. The group's offsets are in units of each
    // member's dispersion at its backtest origins, and where every member is new (a
    // shop with 8 weeks of data: the origins have 4 periods before them, a launch's
    // dispersion is tiny or the unit fallback) they run to hundreds of units: SKU 21088
    // of the shared export, 8 weeks [0, 0, 3, 0, 0, 0, 7128, 2], got a P90 of 1,377,715.
    // Measured on the validation periods (the h before the held-out h) with every SKU cut
    // to K periods: daily K = 28 scaled pinball 1.415 → 1.338 (a cap of 2: 1.334; of 1:
    // 1.329 but weekly K = 4 coverage 0.729 → 0.680), weekly K = 4 8.307 → 8.292 and
    // K = 8 4.862 → 4.852, coverage within 0.001; the eight full-history shapes unchanged
    // but M1 quarterly 0.5740 → 0.5736.
    let reach = if use_own {
        f64::INFINITY
    } else {
        let (lo, hi) = y
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(*v), h.max(*v))
            });
        4.0 * (hi - lo).max(dispersion_now)
    };
    let own_q = [
        backtest::conformal_quantile(&own_sorted, 0.1),
        quantile(&own_sorted, 0.5),
        backtest::conformal_quantile(&own_sorted, 0.9),
    ];
    let mut quantiles = [vec![0.0; cfg.h], vec![0.0; cfg.h], vec![0.0; cfg.h]];
    for (j, p) in point.iter().enumerate() {
        let mut qs = if use_own {
            let w = plan.width * plan.profile.get(j).copied().unwrap_or(1.0);
            let q = own_q;
            let c = if plan.shift { q[1] } else { 0.0 };
            [c + w * (q[0] - q[1]), c, c + w * (q[2] - q[1])].map(|d| (p + d * level_now).max(0.0))
        } else {
            let o = plan.step_offsets.get(j).copied().unwrap_or([0.0; 3]);
            let c = if group_shift { o[1] } else { 0.0 };
            [c + o[0] - o[1], c, c + o[2] - o[1]]
                .map(|d| (p + (d * dispersion_now).clamp(-reach, reach)).max(0.0))
        };
        qs.sort_by(f64::total_cmp);
        for k in 0..3 {
            quantiles[k][j] = qs[k];
        }
    }
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
            own_spread(j, quantile(&own_sorted, u))
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
    let paths: Vec<Vec<f64>> = if !has_errors || cfg.paths == 0 {
        Vec::new()
    } else {
        match cfg.scenarios {
            Scenarios::Windows => window_paths(
                if use_own { &own } else { &plan.windows },
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
    };
    // The SKU's leaderboard: every candidate (and the recipe) on its own backtest.
    let mut leaderboard: Vec<Standing> = s
        .forecasts
        .iter()
        .filter_map(|(m, _)| {
            let r = Recipe {
                members: vec![*m],
                median: false,
                weights: Vec::new(),
            };
            let offs = plan.single_offsets.get(m).copied().unwrap_or([0.0; 3]);
            standing(&r, s, y, None, &offs, names)
        })
        .collect();
    if plan.recipe.members.len() > 1 {
        let offs = [
            quantile_of(&plan.step_offsets, 0),
            quantile_of(&plan.step_offsets, 1),
            quantile_of(&plan.step_offsets, 2),
        ];
        if let Some(st) = standing(&plan.recipe, s, y, fallback, &offs, names) {
            leaderboard.push(st);
        }
    }
    let key = |s: &Scores| (s.sql[0] + s.sql[1] + s.sql[2]) / 3.0;
    leaderboard.sort_by(|a, b| key(&a.scores).total_cmp(&key(&b.scores)));
    let windows: Vec<(usize, Vec<f64>)> = (0..s.origins.len())
        .filter_map(|k| Some((s.origins[k], plan.recipe.at(s, k, fallback)?)))
        .collect();
    let runner = plan
        .runner_up
        .as_ref()
        .map(|(n, sc)| format!(" (next: {n}, {sc:.3})"))
        .unwrap_or_default();
    let intervals = if use_own {
        "intervals from this SKU's own backtest errors"
    } else {
        "too little history for its own errors: intervals from errors pooled across its group"
    };
    let why = match &plan.decision {
        Some(d) if d.evidence.switch => format!(
            "it beat the default {} on the backtests of the {} {} over {} rolling origins: scaled pinball loss {:.3} against {:.3}, {:.1} % lower, {:.1} standard errors on {} SKUs",
            d.default,
            plan.evidence,
            plan.label,
            s.origins.len(),
            d.challenger_score,
            d.default_score,
            100.0 * d.evidence.gain,
            d.evidence.z,
            d.evidence.series,
        ),
        Some(d) => format!(
            "the default; no model or combination beat it with strong evidence on the backtests of the {} {} over {} rolling origins (scaled pinball loss {:.3}; best other {} {:.3}, {:.1} % lower at {:.1} standard errors, short of {:.0} % and {:.1})",
            plan.evidence,
            plan.label,
            s.origins.len(),
            d.default_score,
            d.challenger,
            d.challenger_score,
            100.0 * d.evidence.gain,
            d.evidence.z,
            100.0 * d.rule.margin,
            d.rule.z,
        ),
        None => format!(
            "of the models and combinations tried, it had the lowest backtest error (scaled pinball loss {:.3}) across the {} {} over {} rolling origins{runner}",
            plan.score,
            plan.evidence,
            plan.label,
            s.origins.len(),
        ),
    };
    let reason = format!("{name}{note}: {why}; {intervals}");
    Ok(Choice {
        forecast: Forecast {
            model: name,
            point,
            quantiles,
            paths,
        },
        reason,
        leaderboard,
        windows,
    })
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

/// The width factor of own-error intervals that covers 80 % out of sample, learnt on
/// the backtests themselves: each series' interval from its earlier origins (those
/// whose windows end before the last origin's starts) is tried on its last origin's
/// errors, over the group; the factor in [0.7, 3] whose coverage is nearest 80 % wins
/// (1 when no series has three origins).
///
/// Why: a handful of overlapping backtest windows understate how far a forecast can
/// miss (the errors are correlated, and demand drifts), so intervals taken from them
/// as they are cover less than they claim on the next periods.
fn calibrate(
    r: &Recipe,
    members: &[usize],
    bt: &Backtests,
    ys: &[&[f64]],
    fallback: Option<usize>,
    profile: &[f64],
) -> (f64, bool) {
    // Per series: (q10, q50, q90) from the earlier origins, and the last origin's errors.
    let mut cases: Vec<([f64; 3], Vec<f64>)> = Vec::new();
    for &i in members {
        let s = &bt.series[i];
        let errs = recipe_errors(r, s, ys[i], fallback, By::Level);
        let k = errs.len();
        if k < 3 || s.origins.len() != k {
            continue;
        }
        let last = s.origins[k - 1];
        let early: Vec<f64> = (0..k - 1)
            .filter(|&w| s.origins[w] < last)
            .flat_map(|w| errs[w].iter().copied())
            .collect();
        if early.is_empty() {
            continue;
        }
        let e = sorted(early);
        let q = [
            backtest::conformal_quantile(&e, 0.1),
            quantile(&e, 0.5),
            backtest::conformal_quantile(&e, 0.9),
        ];
        cases.push((q, errs[k - 1].clone()));
    }
    if cases.is_empty() {
        return (1.0, true);
    }
    // Does moving the median by the earlier median error help on the last origin? For
    // sporadic demand it does (most periods sell less than the mean); for smooth series
    // the past median error is mostly noise.
    let (mut moved, mut kept) = (0.0, 0.0);
    for (q, test) in &cases {
        moved += test.iter().map(|e| (e - q[1]).abs()).sum::<f64>();
        kept += test.iter().map(|e| e.abs()).sum::<f64>();
    }
    let shift = moved <= kept;
    let coverage = |m: f64| {
        let (mut inside, mut all) = (0usize, 0usize);
        for (q, test) in &cases {
            let c = if shift { q[1] } else { 0.0 };
            for (j, e) in test.iter().enumerate() {
                let g = m * profile.get(j).copied().unwrap_or(1.0);
                let (lo, hi) = (c + g * (q[0] - q[1]), c + g * (q[2] - q[1]));
                inside += usize::from(*e >= lo && *e <= hi);
                all += 1;
            }
        }
        inside as f64 / all.max(1) as f64
    };
    let width = (0..=46)
        .map(|k| 0.7 + 0.05 * k as f64)
        .min_by(|a, b| {
            (coverage(*a) - 0.8)
                .abs()
                .total_cmp(&(coverage(*b) - 0.8).abs())
                .then(a.total_cmp(b))
        })
        .unwrap_or(1.0);
    (width, shift)
}

/// How errors grow with the steps ahead: per series, the mean absolute error at each
/// step over its mean absolute error at all steps, averaged over the group's series
/// (1 everywhere when unknown).
///
/// A SKU's own errors are too few to tell how uncertainty grows with the steps ahead
/// (five origins give five errors per step), so their interval, pooled over the
/// steps, is too wide near and too narrow far out (measured: 89 % coverage one
/// quarter ahead, 64 % six ahead); its group shows the shape. Each series counts once,
/// so that a few trending series with huge far-out misses do not set it alone.
fn profile(
    r: &Recipe,
    members: &[usize],
    bt: &Backtests,
    ys: &[&[f64]],
    fallback: Option<usize>,
    h: usize,
) -> Vec<f64> {
    let mut sum = vec![0.0; h];
    let mut count = vec![0.0; h];
    for &i in members {
        let errs = recipe_errors(r, &bt.series[i], ys[i], fallback, By::Level);
        let (mut at, mut n_at) = (vec![0.0; h], vec![0.0; h]);
        for w in &errs {
            for (j, e) in w.iter().enumerate().take(h) {
                at[j] += e.abs();
                n_at[j] += 1.0;
            }
        }
        let total: f64 = at.iter().sum::<f64>() / n_at.iter().sum::<f64>().max(1.0);
        if total <= 0.0 || !total.is_finite() {
            continue;
        }
        for j in 0..h {
            if n_at[j] > 0.0 {
                sum[j] += at[j] / n_at[j] / total;
                count[j] += 1.0;
            }
        }
    }
    let raw: Vec<f64> = (0..h)
        .map(|j| {
            if count[j] > 0.0 {
                sum[j] / count[j]
            } else {
                f64::NAN
            }
        })
        .collect();
    // A straight line through the steps' ratios: each step's own ratio is noisy (on
    // daily data a weekday with a bulk order shows as a spike), the trend is the signal.
    let known: Vec<(f64, f64)> = raw
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(j, v)| (j as f64, *v))
        .collect();
    if known.len() < 2 {
        return vec![1.0; h];
    }
    let k = known.len() as f64;
    let (mx, my) = (
        known.iter().map(|p| p.0).sum::<f64>() / k,
        known.iter().map(|p| p.1).sum::<f64>() / k,
    );
    let sxx: f64 = known.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = known.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let line: Vec<f64> = (0..h)
        .map(|j| (my + slope * (j as f64 - mx)).max(0.25 * my))
        .collect();
    let mean = line.iter().sum::<f64>() / h.max(1) as f64;
    if mean > 0.0 && mean.is_finite() {
        line.iter().map(|v| v / mean).collect()
    } else {
        vec![1.0; h]
    }
}

fn quantile_of(steps: &[[f64; 3]], q: usize) -> f64 {
    let v = sorted(steps.iter().map(|s| s[q]).collect());
    quantile(&v, 0.5)
}

fn standing(
    r: &Recipe,
    s: &SeriesBacktest,
    y: &[f64],
    fallback: Option<usize>,
    offs: &[f64; 3],
    names: &[String],
) -> Option<Standing> {
    let scale = s.mase_scale?;
    let (mut actual, mut point, mut q) =
        (Vec::new(), Vec::new(), [Vec::new(), Vec::new(), Vec::new()]);
    for k in 0..s.origins.len() {
        let Some(f) = r.at(s, k, fallback) else {
            continue;
        };
        let o = s.origins[k];
        for (j, v) in f.iter().enumerate() {
            if o + j >= y.len() {
                break;
            }
            actual.push(y[o + j]);
            point.push(*v);
            for c in 0..3 {
                q[c].push((v + offs[c] * s.scales[k]).max(0.0));
            }
        }
    }
    if actual.is_empty() {
        return None;
    }
    Some(Standing {
        model: r.name(names),
        scores: metrics::score(&actual, &point, &q[0], &q[1], &q[2], scale),
    })
}

/// The whole automatic choice for many series: backtests, learning, forecasts.
/// `progress(done, total)` counts backtested then forecast series (total = 2 × series)
/// and may return `false` to stop: the series done so far are forecast and returned.
pub fn choose_all(
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    threads: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Vec<Result<Choice, ForecastError>> {
    choose_all_with(ys, candidates, cfg, &[], threads, seed, progress)
}

/// [`choose_all`] with a generative model's path ranks per series (see [`finish_with`]).
pub fn choose_all_with(
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    uniforms: &[Option<Vec<Vec<f64>>>],
    threads: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Vec<Result<Choice, ForecastError>> {
    let total = 2 * ys.len();
    let mut stopped = false;
    let bt = backtest_all(ys, candidates, cfg, threads, &mut |d| {
        let go = progress(d, total);
        stopped |= !go;
        go
    });
    let ys = &ys[..bt.series.len()];
    let learnt = learn(&bt, ys, cfg.h, None);
    let n = bt.series.len();
    finish_with(
        &bt,
        &learnt,
        ys,
        candidates,
        cfg,
        uniforms,
        threads,
        seed,
        &mut |d| {
            // After a stop the series backtested so far are still forecast.
            let go = progress(n + d, total);
            stopped || go
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::models;

    fn cfg(h: usize, season: usize) -> BacktestConfig {
        BacktestConfig {
            h,
            windows: 3,
            season,
            paths: 50,
            scenarios: Default::default(),
        }
    }

    /// A deterministic pseudo-random stream in [0, 1).
    fn noise(seed: u64) -> impl FnMut() -> f64 {
        let mut rng = crate::rng::SplitMix::new(seed);
        move || rng.uniform()
    }

    /// Weekly-cycle Poisson-like counts around `level`.
    fn seasonal_counts(n: usize, level: f64, seed: u64) -> Vec<f64> {
        let mut u = noise(seed);
        (0..n)
            .map(|t| {
                let mean = level * (1.0 + 0.5 * ((t % 7) as f64 / 6.0 - 0.5));
                // Sum of uniforms: mean `mean`, spread about its square root.
                (mean + mean.sqrt() * 2.0 * (u() + u() + u() - 1.5))
                    .max(0.0)
                    .round()
            })
            .collect()
    }

    #[test]
    fn a_weighted_recipe_weighs_its_members_and_rescales_without_one() {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let r = Recipe {
            members: vec![0, 1, 2],
            median: false,
            weights: vec![0.5, 0.25, 0.25],
        };
        assert_eq!(r.name(&names), "Blend(a 50 %, b 25 %, c 25 %)");
        let (fa, fb, fc) = ([4.0, 8.0], [0.0, 0.0], [2.0, 4.0]);
        assert_eq!(
            r.combine(&[Some(&fa), Some(&fb), Some(&fc)]),
            Some(vec![2.5, 5.0])
        );
        // b cannot forecast: a and c at 0.5 and 0.25, rescaled to 2/3 and 1/3.
        let got = r.combine(&[Some(&fa), None, Some(&fc)]).unwrap();
        assert!((got[0] - (4.0 * 2.0 + 2.0) / 3.0).abs() < 1e-12, "{got:?}");
        let kept = r.only(&[true, false, true]);
        assert_eq!((kept.members, kept.weights), (vec![0, 2], vec![0.5, 0.25]));
        // Equal weights name and combine as the plain ensemble.
        let eq = Recipe {
            members: vec![0, 1],
            median: false,
            weights: vec![0.5, 0.5],
        };
        assert_eq!(eq.name(&names), "Ensemble(a, b)");
        assert_eq!(eq.combine(&[Some(&fa), Some(&fb)]), Some(vec![2.0, 4.0]));
    }

    #[test]
    fn without_a_strong_model_recipes_combine_three_or_more_and_intervals_cover() {
        let ys: Vec<Vec<f64>> = (0..40)
            .map(|i| seasonal_counts(200, 5.0 + i as f64, i as u64))
            .collect();
        let refs: Vec<&[f64]> = ys.iter().map(|y| &y[..172]).collect();
        let c = cfg(28, 7);
        let all = |_: usize| models::standard(7);
        let res = choose_all(&refs, &all, &c, 2, 1, &mut |_, _| true);
        let (mut inside, mut total) = (0, 0);
        for (y, r) in ys.iter().zip(&res) {
            let ch = r.as_ref().unwrap();
            let name = &ch.forecast.model;
            assert!(
                name.starts_with("Ensemble(") || name.starts_with("Median("),
                "{name}"
            );
            assert!(name.matches(", ").count() >= 2, "{name}");
            assert!(ch.reason.contains("lowest backtest error"), "{}", ch.reason);
            assert!(ch.reason.contains("rolling origins"), "{}", ch.reason);
            assert_eq!(ch.forecast.paths.len(), 50);
            for j in 0..28 {
                let [lo, mid, hi] = [0, 1, 2].map(|k| ch.forecast.quantiles[k][j]);
                assert!(lo <= mid && mid <= hi);
                inside += usize::from(y[172 + j] >= lo && y[172 + j] <= hi);
                total += 1;
            }
        }
        let cover = inside as f64 / total as f64;
        assert!((0.7..=0.9).contains(&cover), "coverage {cover}");
    }

    /// The held-out mean MASE of the default over `ys` (last `h` held out) with the
    /// standard models plus `extra(i, origin)`'s forecasts as candidates, and the
    /// forecasts.
    fn held_out_default(
        ys: &[Vec<f64>],
        h: usize,
        extra: &[(&str, &(dyn Fn(usize, usize) -> Vec<f64> + Sync))],
    ) -> (f64, Vec<Vec<f64>>) {
        let c = cfg(h, 7);
        let trains: Vec<&[f64]> = ys.iter().map(|y| &y[..y.len() - h]).collect();
        let candidates = |i: usize| -> Vec<Box<dyn Model>> {
            let mut m = models::standard(7);
            let n = trains[i].len();
            for (name, f) in extra {
                let by_origin = origins(n, &c)
                    .into_iter()
                    .chain([n])
                    .map(|o| (o, f(i, o)))
                    .collect();
                m.push(Box::new(models::Precomputed {
                    name: name.to_string(),
                    by_origin,
                }));
            }
            m
        };
        let res = choose_all(&trains, &candidates, &c, 2, 1, &mut |_, _| true);
        let mut total = 0.0;
        let mut points = Vec::new();
        for (y, r) in ys.iter().zip(res) {
            let f = r.unwrap().forecast;
            total += crate::forecast::bench::held_out_score(y, &f, h, 7)
                .unwrap()
                .mase;
            points.push(f.point);
        }
        (total / ys.len() as f64, points)
    }

    #[test]
    fn adding_a_candidate_never_makes_the_default_worse() {
        // Weekly-cycle counts whose mean profile a strong candidate knows (as a pretrained
        // model knows retail demand); a poor candidate forecasts three times the level.
        let levels: Vec<f64> = (0..40).map(|i| 5.0 + i as f64).collect();
        let ys: Vec<Vec<f64>> = levels
            .iter()
            .enumerate()
            .map(|(i, &l)| seasonal_counts(200, l, 300 + i as u64))
            .collect();
        let h = 28;
        let strong = |i: usize, o: usize| -> Vec<f64> {
            (o..o + h)
                .map(|t| levels[i] * (1.0 + 0.5 * ((t % 7) as f64 / 6.0 - 0.5)))
                .collect()
        };
        let poor = |i: usize, _: usize| -> Vec<f64> { vec![3.0 * levels[i]; h] };
        // The pretrained model's stand-in: the series' level without its weekly cycle.
        let flat = |i: usize, _: usize| -> Vec<f64> { vec![levels[i]; h] };
        let pre: (&str, &(dyn Fn(usize, usize) -> Vec<f64> + Sync)) = ("pretrained", &flat);
        let (base, base_points) = held_out_default(&ys, h, &[pre]);
        let (with_poor, poor_points) = held_out_default(&ys, h, &[pre, ("poor", &poor)]);
        let (with_strong, _) = held_out_default(&ys, h, &[pre, ("strong", &strong)]);
        let (with_both, _) = held_out_default(&ys, h, &[pre, ("strong", &strong), ("poor", &poor)]);
        let (strong_alone, _) = {
            let f = |i: usize| crate::forecast::Forecast {
                model: "strong".into(),
                point: strong(i, 172),
                quantiles: [strong(i, 172), strong(i, 172), strong(i, 172)],
                paths: Vec::new(),
            };
            let m: f64 = (0..ys.len())
                .map(|i| {
                    crate::forecast::bench::held_out_score(&ys[i], &f(i), h, 7)
                        .unwrap()
                        .mase
                })
                .sum::<f64>()
                / ys.len() as f64;
            (m, ())
        };
        // A poor candidate changes nothing.
        assert_eq!(poor_points, base_points, "MASE {with_poor} against {base}");
        // A strong one makes the default better, and the default is within 1 % of it
        // (a combination forced to three or more models would dilute it).
        assert!(with_strong < base, "{with_strong} against {base}");
        assert!(
            with_strong <= 1.01 * strong_alone,
            "default {with_strong}, the strong candidate alone {strong_alone}"
        );
        assert!(
            with_both <= with_strong * 1.0001,
            "{with_both} against {with_strong}"
        );
    }

    #[test]
    fn short_histories_borrow_their_groups_errors() {
        // 30 long series and one of 5 periods: the short one is still backtested (one short
        // window) and its interval comes from its group's errors, with a width.
        let mut ys: Vec<Vec<f64>> = (0..30)
            .map(|i| seasonal_counts(120, 8.0, 100 + i as u64))
            .collect();
        ys.push(vec![6.0, 9.0, 7.0, 8.0, 10.0]);
        let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let all = |_: usize| models::standard(7);
        let res = choose_all(&refs, &all, &cfg(14, 7), 1, 1, &mut |_, _| true);
        let short = res[30].as_ref().unwrap();
        assert!(
            short.reason.contains("pooled across its group"),
            "{}",
            short.reason
        );
        assert!((0..14).all(|j| short.forecast.quantiles[2][j] > short.forecast.quantiles[0][j]));
        let long = res[0].as_ref().unwrap();
        assert!(
            long.reason.contains("own backtest errors"),
            "{}",
            long.reason
        );
    }

    #[test]
    fn a_short_smooth_sku_keeps_its_point_as_p50_when_its_group_drifts() {
        // Thirty long series climbing steadily: Naive trails them, its median error is
        // positive and moving P50 by it helps the long ones. A five-period flat SKU of
        // the same group (smooth, over 10 units) has no errors of its own; the group's
        // drift says nothing about it, so its P50 stays at its point forecast.
        let mut ys: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                let mut u = noise(900 + i as u64);
                (0..120)
                    .map(|t| (40.0 + 2.0 * t as f64 + 6.0 * (u() - 0.5)).round())
                    .collect()
            })
            .collect();
        ys.push(vec![50.0, 52.0, 49.0, 51.0, 50.0]);
        let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let naive = |_: usize| -> Vec<Box<dyn Model>> { vec![Box::new(models::Naive)] };
        let res = choose_all(&refs, &naive, &cfg(8, 1), 1, 1, &mut |_, _| true);
        let long = &res[0].as_ref().unwrap().forecast;
        assert!(
            (0..8).all(|j| long.quantiles[1][j] > long.point[j] + 1.0),
            "the long series' P50 moves up: {:?} vs {:?}",
            long.quantiles[1],
            long.point
        );
        let short = res[30].as_ref().unwrap();
        assert!(
            short.reason.contains("pooled across its group"),
            "{}",
            short.reason
        );
        let f = &short.forecast;
        assert_eq!(f.quantiles[1], f.point, "P50 of the short smooth SKU");
        assert!((0..8).all(|j| f.quantiles[0][j] < f.point[j] && f.quantiles[2][j] > f.point[j]));
        // Sample paths drawn from the group's error windows centre on that P50 too.
        let windows = BacktestConfig {
            paths: 400,
            scenarios: Scenarios::Windows,
            ..cfg(8, 1)
        };
        let res = choose_all(&refs, &naive, &windows, 1, 1, &mut |_, _| true);
        let f = &res[30].as_ref().unwrap().forecast;
        assert_eq!(f.paths.len(), 400);
        for j in 0..8 {
            let mut at: Vec<f64> = f.paths.iter().map(|p| p[j]).collect();
            at.sort_by(f64::total_cmp);
            let median = at[200];
            let spread = f.quantiles[2][j] - f.quantiles[0][j];
            assert!(
                (median - f.quantiles[1][j]).abs() <= 0.1 * spread + 1.0,
                "step {j}: paths' median {median}, P50 {}, P10–P90 {spread}",
                f.quantiles[1][j]
            );
        }
    }

    #[test]
    fn a_new_shops_lumpy_skus_keep_their_intervals_near_their_history() {
        // Forty SKUs of 8 weeks, each launched with one big week after almost nothing:
        // their backtest windows start after 4 weeks, whose dispersion is the unit
        // fallback or tiny, so the group's relative errors run to hundreds.
        let mut u = noise(77);
        let mut ys: Vec<Vec<f64>> = (0..40)
            .map(|i| {
                let mut y = vec![0.0; 8];
                y[2 + i % 2] = (3.0 * u()).round();
                y[4 + i % 4] = (500.0 + 5000.0 * u()).round();
                y
            })
            .collect();
        ys.push(vec![0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 7128.0, 2.0]);
        let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let all = |_: usize| models::standard(1);
        let res = choose_all(&refs, &all, &cfg(8, 1), 1, 1, &mut |_, _| true);
        let f = &res[40].as_ref().unwrap().forecast;
        for j in 0..8 {
            assert!(
                f.quantiles[2][j] <= f.point[j] + 4.0 * 7128.0 + 1e-6,
                "step {j}: P90 {} for a SKU whose best week sold 7,128",
                f.quantiles[2][j]
            );
            assert!(f.quantiles[2][j] > f.point[j], "the interval stays open");
        }
        assert!(f.paths.iter().flatten().all(|v| *v <= 7128.0 * 5.0));
    }

    #[test]
    fn clones_and_models_that_never_forecast_are_not_combined() {
        // Season 1: seasonal naive is naive, and the seasonal ETS never forecasts.
        let ys: Vec<Vec<f64>> = (0..10)
            .map(|i| seasonal_counts(80, 3.0 + i as f64, 7 + i as u64))
            .collect();
        let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let all = |_: usize| models::standard(1);
        let c = cfg(8, 1);
        let bt = backtest_all(&refs, &all, &c, 1, &mut |_| true);
        let members: Vec<usize> = (0..refs.len()).collect();
        let ids: Vec<usize> = (0..bt.names.len()).collect();
        let kept: Vec<&str> = distinct_candidates(&bt, &members, ids)
            .into_iter()
            .map(|m| bt.names[m].as_str())
            .collect();
        assert!(kept.contains(&"Naive"));
        assert!(!kept.contains(&"SeasonalNaive"), "{kept:?}");
        assert!(!kept.contains(&"SeasonalETS"), "{kept:?}");
    }

    #[test]
    fn uncertainty_grows_with_the_horizon_for_wandering_series() {
        // Random walks: errors grow like the square root of the steps ahead.
        let ys: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                let mut u = noise(500 + i as u64);
                let mut v = 1000.0;
                (0..150)
                    .map(|_| {
                        v += 20.0 * (u() - 0.5);
                        v
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let c = cfg(12, 1);
        let naive = |_: usize| -> Vec<Box<dyn Model>> { vec![Box::new(models::Naive)] };
        let bt = backtest_all(&refs, &naive, &c, 1, &mut |_| true);
        let members: Vec<usize> = (0..refs.len()).collect();
        let r = Recipe {
            members: vec![0],
            median: false,
            weights: Vec::new(),
        };
        let p = profile(&r, &members, &bt, &refs, None, 12);
        assert!(p[11] > 1.5 * p[0], "{p:?}");
        assert!(((p.iter().sum::<f64>() / 12.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn origins_for_every_history_length() {
        let c = cfg(8, 52);
        assert_eq!(origins(100, &c), vec![76, 80, 84, 88, 92]);
        // Too short for a whole window: one shorter window from the middle.
        assert_eq!(origins(9, &c), vec![4]);
        assert!(origins(3, &c).is_empty());
        // Seasonal models join only where two seasons of history stand before.
        let s = models::SeasonalNaive { season: 52 };
        assert_eq!(s.min_history(), 104);
    }
}
