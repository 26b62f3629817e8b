//! The last stage: every series forecast with its group's recipe, its members fitted on
//! the whole history, with its intervals (`intervals.rs`), sample paths (`paths.rs`),
//! its leaderboard and the reason sentence → a [`Choice`] per series; and the whole
//! choice, every stage in turn ([`choose_all`]).

use super::FALLBACK;
use super::backtests::{Backtests, Candidates, SeriesBacktest, backtest_all, chunk_size, clip};
use super::learn::{GroupPlan, Learnt, learn};
use super::recipe::{Recipe, sorted};
use super::{intervals, paths};
use crate::forecast::backtest::{BacktestConfig, Choice, Standing, quantile};
use crate::forecast::metrics::{self, Scores};
use crate::forecast::{Forecast, ForecastError, Model, check_history};
use crate::par::par_map;

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
    let Point { name, note, point } = point_forecast(plan, names, models, y, cfg.h)?;
    let fallback = names.iter().position(|x| x == FALLBACK);
    let spread = intervals::spread(plan, s, y, fallback, cfg);
    let quantiles = spread.quantiles(plan, &point, cfg.h);
    let paths = paths::sample_paths(plan, &spread, &point, y, cfg, uniforms, seed);
    let leaderboard = leaderboard(plan, s, y, fallback, names);
    let windows: Vec<(usize, Vec<f64>)> = (0..s.origins.len())
        .filter_map(|k| Some((s.origins[k], plan.recipe.at(s, k, fallback)?)))
        .collect();
    let reason = reason(plan, s, &name, &note, spread.use_own);
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

/// A SKU's point forecast and what it is called.
struct Point {
    /// The recipe's name (of the members that forecast), or the model used instead.
    name: String,
    /// What the reason sentence says after the name (empty when the recipe forecast
    /// in full).
    note: String,
    point: Vec<f64>,
}

/// The point forecast of `y` with `plan`'s recipe over `h` periods: its members fitted
/// on the whole history (`models`, named by `names`).
fn point_forecast(
    plan: &GroupPlan,
    names: &[String],
    models: &[Box<dyn Model + '_>],
    y: &[f64],
    h: usize,
) -> Result<Point, ForecastError> {
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
            model.forecast(y, h).ok().filter(|f| f.len() == h).map(clip)
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
                    let p = model.forecast(y, h).ok().filter(|f| f.len() == h)?;
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
    Ok(Point { name, note, point })
}

/// The SKU's leaderboard, best first.
fn leaderboard(
    plan: &GroupPlan,
    s: &SeriesBacktest,
    y: &[f64],
    fallback: Option<usize>,
    names: &[String],
) -> Vec<Standing> {
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
    leaderboard
}

/// Why the SKU got its forecast: what was chosen (`name` and `note`), on what evidence,
/// and where its intervals come from (`use_own`: its own errors).
fn reason(plan: &GroupPlan, s: &SeriesBacktest, name: &str, note: &str, use_own: bool) -> String {
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
    format!("{name}{note}: {why}; {intervals}")
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
