//! The hold-out benchmark: every model and the automatic choice on the last `h`
//! periods of every series, scored as the StatsForecast reference harness
//! (`../shared/tools/reference_forecast.py`) scores its models.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::backtest::BacktestConfig;
use super::metrics::{self, Scores, Summary};
use super::models::Precomputed;
use super::rule::ChoiceRule;
use super::{Model, models, select};

/// One model's held-out result on all series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Model name ("Auto" for the automatic choice).
    pub model: String,
    /// Scores averaged over series.
    pub summary: Summary,
    /// Wall time of backtests + fit + forecast for this model over all series (s).
    pub wall_s: f64,
    /// Threads used.
    pub threads: usize,
}

/// A held-out forecast of one series by one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Series.
    pub sku: String,
    /// Model.
    pub model: String,
    /// Point forecast, P10, P50, P90 per held-out period.
    pub point: Vec<f64>,
    /// P10.
    pub p10: Vec<f64>,
    /// P50.
    pub p50: Vec<f64>,
    /// P90.
    pub p90: Vec<f64>,
}

/// The benchmark's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Horizon.
    pub h: usize,
    /// Season length (also the MASE scale lag).
    pub season: usize,
    /// Series evaluated.
    pub series: usize,
    /// Series too short to evaluate (length ≤ h + season), as the reference harness.
    pub too_short: usize,
    /// Per model, in the order run; "Auto" last.
    pub models: Vec<ModelReport>,
    /// What the automatic choice picked: (model, series count).
    pub choices: Vec<(String, usize)>,
    /// Series on which Naive has the lowest held-out MASE of the single models.
    pub naive_wins: usize,
    /// Every held-out forecast, when asked for.
    pub forecasts: Vec<HeldOut>,
}

impl BenchReport {
    /// Series for which the automatic choice picked `model`.
    pub fn chosen(&self, model: &str) -> usize {
        self.choices
            .iter()
            .find(|(m, _)| m == model)
            .map_or(0, |(_, n)| *n)
    }
}

/// Runs the benchmark. `progress` gets the fraction done.
///
/// Every series' training part (all but the last `h` periods) is backtested once with
/// every standard model; each model's row is that model alone with the engine's
/// intervals (its group-pooled backtest errors), the automatic choice's row learns
/// its recipes from the same backtests (each series limited to its own candidates,
/// [`models::for_series`]). Everything runs on `threads` threads; `Auto`'s wall time
/// The scores of a forecast of the last `h` periods of `y`, scaled by the training
/// part at lag `season`; `None` where that scale is zero, which the reference harness
/// skips too.
pub fn held_out_score(
    y: &[f64],
    f: &crate::forecast::Forecast,
    h: usize,
    season: usize,
) -> Option<Scores> {
    let (train, test) = y.split_at(y.len() - h);
    let scale = metrics::scales(train, season).filter(|sc| sc.0 > 0.0)?;
    Some(metrics::score(
        test,
        &f.point,
        &f.quantiles[0],
        &f.quantiles[1],
        &f.quantiles[2],
        scale,
    ))
}

/// is the whole engine (backtests, learning, forecasts).
pub fn run(
    series: &[(String, Vec<f64>)],
    cfg: &BacktestConfig,
    keep_forecasts: bool,
    threads: usize,
    progress: &mut dyn FnMut(f64),
) -> BenchReport {
    run_with(
        series,
        &[],
        &[ChoiceRule::default()],
        cfg,
        keep_forecasts,
        threads,
        progress,
    )
}

/// [`run`] with global models' forecasts among the candidates (`extra[i]`: series `i`'s,
/// made on its training part for the backtest origins and its end; empty for none) and
/// one automatic-choice row per rule on the same backtests: the first rule's row is
/// "Auto", the others "Auto[label]".
pub fn run_with(
    series: &[(String, Vec<f64>)],
    extra: &[Vec<Precomputed>],
    rules: &[ChoiceRule],
    cfg: &BacktestConfig,
    keep_forecasts: bool,
    threads: usize,
    progress: &mut dyn FnMut(f64),
) -> BenchReport {
    let h = cfg.h;
    let kept: Vec<usize> = (0..series.len())
        .filter(|&i| series[i].1.len() > h + cfg.season)
        .collect();
    let eligible: Vec<&(String, Vec<f64>)> = kept.iter().map(|&i| &series[i]).collect();
    let globals = |k: usize| -> Vec<Box<dyn Model>> {
        extra
            .get(kept[k])
            .into_iter()
            .flatten()
            .map(|p| Box::new(p.clone()) as Box<dyn Model>)
            .collect()
    };
    let too_short = series.len() - eligible.len();
    let trains: Vec<&[f64]> = eligible.iter().map(|(_, y)| &y[..y.len() - h]).collect();
    let mut names: Vec<String> = models::standard(cfg.season)
        .iter()
        .map(|m| m.name())
        .collect();
    for p in extra.iter().flatten() {
        if !names.contains(&p.name) {
            names.push(p.name.clone());
        }
    }
    let all = |i: usize| -> Vec<Box<dyn Model>> {
        let mut m = models::standard(cfg.season);
        m.extend(globals(i));
        m
    };
    let own = |i: usize| -> Vec<Box<dyn Model>> {
        let mut m = models::for_series(trains[i], cfg.season);
        m.extend(globals(i));
        m
    };
    let score_one = |y: &[f64], f: &crate::forecast::Forecast| held_out_score(y, f, h, cfg.season);
    let t = Instant::now();
    let n = trains.len();
    let steps = (names.len() + 2) as f64;
    let bt = select::backtest_all(&trains, &all, cfg, threads, &mut |d| {
        progress(d as f64 / n.max(1) as f64 / steps);
        true
    });
    let backtest_s = t.elapsed().as_secs_f64();
    let mut reports = Vec::new();
    let mut forecasts = Vec::new();
    // Per series, each single model's held-out MASE (to count where Naive wins).
    let mut mase_by_model: Vec<Vec<f64>> = Vec::new();
    for (mi, name) in names.iter().enumerate() {
        let t = Instant::now();
        let learnt = select::learn(&bt, &trains, h, Some(name));
        let res = select::finish(
            &bt,
            &learnt,
            &trains,
            &all,
            cfg,
            threads,
            mi as u64,
            &mut |_| true,
        );
        let mut scores = Vec::new();
        let mut mases = vec![f64::NAN; n];
        for (k, ((sku, y), c)) in eligible.iter().zip(&res).enumerate() {
            let Ok(c) = c else { continue };
            if let Some(s) = score_one(y, &c.forecast) {
                mases[k] = s.mase;
                scores.push(s);
            }
            if keep_forecasts {
                let mut ho = held_out(sku, &c.forecast);
                ho.model = name.clone();
                forecasts.push(ho);
            }
        }
        mase_by_model.push(mases);
        reports.push(ModelReport {
            model: name.clone(),
            summary: metrics::summarise(&scores),
            wall_s: t.elapsed().as_secs_f64(),
            threads,
        });
        progress((mi + 2) as f64 / steps);
    }
    // The automatic choice: each series' own candidates only.
    let mut bt_auto = bt.clone();
    for (i, s) in bt_auto.series.iter_mut().enumerate() {
        let keep: Vec<String> = own(i).iter().map(|m| m.name()).collect();
        s.forecasts.retain(|(m, _)| keep.contains(&bt.names[*m]));
    }
    let mut auto_rows = Vec::new();
    let mut choices: Vec<(String, usize)> = Vec::new();
    for (ri, rule) in rules.iter().enumerate() {
        let t = Instant::now();
        let learnt = select::learn_with(&bt_auto, &trains, h, None, rule);
        let results = select::finish(
            &bt_auto,
            &learnt,
            &trains,
            &own,
            cfg,
            threads,
            7,
            &mut |_| true,
        );
        let auto_s = backtest_s + t.elapsed().as_secs_f64();
        let label = if ri == 0 {
            "Auto".to_string()
        } else {
            format!("Auto[{}]", rule.label())
        };
        let mut scores = Vec::new();
        for ((sku, y), choice) in eligible.iter().zip(results) {
            let Ok(choice) = choice else { continue };
            if ri == 0 {
                match choices
                    .iter_mut()
                    .find(|(m, _)| *m == choice.forecast.model)
                {
                    Some((_, n)) => *n += 1,
                    None => choices.push((choice.forecast.model.clone(), 1)),
                }
            }
            if let Some(s) = score_one(y, &choice.forecast) {
                scores.push(s);
            }
            if keep_forecasts {
                let mut ho = held_out(sku, &choice.forecast);
                ho.model = format!("{label}:{}", ho.model);
                forecasts.push(ho);
            }
        }
        auto_rows.push(ModelReport {
            model: label,
            summary: metrics::summarise(&scores),
            wall_s: auto_s,
            threads,
        });
    }
    progress(1.0);
    choices.sort_by_key(|c| std::cmp::Reverse(c.1));
    // Where Naive is the best single model out of sample (ties with a better-ranked
    // model go to that model).
    let naive_wins = names.iter().position(|m| m == "Naive").map_or(0, |ni| {
        (0..n)
            .filter(|&k| {
                let best = (0..names.len())
                    .filter(|&m| mase_by_model[m][k].is_finite())
                    .min_by(|&a, &b| mase_by_model[a][k].total_cmp(&mase_by_model[b][k]));
                best == Some(ni)
            })
            .count()
    });
    reports.extend(auto_rows);
    BenchReport {
        h,
        season: cfg.season,
        series: eligible.len(),
        too_short,
        models: reports,
        choices,
        naive_wins,
        forecasts,
    }
}

/// A series' held-out forecast, named by the forecast's model.
pub fn held_out(sku: &str, f: &crate::forecast::Forecast) -> HeldOut {
    HeldOut {
        sku: sku.to_string(),
        model: f.model.clone(),
        point: f.point.clone(),
        p10: f.quantiles[0].clone(),
        p50: f.quantiles[1].clone(),
        p90: f.quantiles[2].clone(),
    }
}
