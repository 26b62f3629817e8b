//! Neural models in the hold-out benchmark: trained on everything but the last `h`
//! periods of every series (their own validation split comes from the end of that),
//! then scored on the held-out periods exactly as the statistical models are.

use serde::{Deserialize, Serialize};

#[cfg(not(target_arch = "wasm32"))]
use super::NnError;
#[cfg(not(target_arch = "wasm32"))]
use super::data::NnSeries;
use super::models::{Kind, NetConfig};
#[cfg(not(target_arch = "wasm32"))]
use super::train::{self, TrainConfig};
use crate::forecast::Forecast;
use crate::forecast::bench::ModelReport;
#[cfg(not(target_arch = "wasm32"))]
use crate::forecast::bench::held_out_score;
#[cfg(not(target_arch = "wasm32"))]
use crate::forecast::metrics;

/// Default hyperparameters for a horizon, as chosen by the experiments in the
/// closing note of the neural-forecasting work: two horizons of context (at least two
/// weeks of days), width 64.
pub fn default_config(kind: Kind, horizon: usize) -> NetConfig {
    NetConfig::new(kind, (2 * horizon).max(14), horizon)
}

/// A neural forecast as the engine's [`Forecast`]: the median as the point forecast,
/// P10/P50/P90, and `paths` sample paths drawn per period from the quantiles.
pub fn to_forecast(name: &str, q: [Vec<f64>; 3], paths: usize, seed: u64) -> Forecast {
    let paths = crate::forecast::quantile_paths::paths_from_quantiles(&q, paths, seed)
        .into_iter()
        .map(|p| p.into_iter().map(f64::round).collect())
        .collect();
    Forecast {
        model: name.to_string(),
        point: q[1].clone(),
        quantiles: q,
        paths,
    }
}

/// One neural model's benchmark result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnReport {
    /// The same row as the statistical models get (wall time = training + prediction).
    pub report: ModelReport,
    /// Epochs run and the one kept.
    pub epochs: (usize, usize),
    /// Training windows per second (median over epochs).
    pub windows_per_s: f64,
}

/// Trains `kind` on all series but their last `h` periods, predicts those, scores.
#[cfg(not(target_arch = "wasm32"))]
pub fn run(
    config: NetConfig,
    series: &[NnSeries],
    h: usize,
    season: usize,
    tc: &TrainConfig,
    device: &burn::tensor::Device,
    progress: &mut dyn FnMut(&train::Progress) -> bool,
) -> Result<(NnReport, Vec<Forecast>), NnError> {
    let t0 = train::now_s();
    let eligible: Vec<&NnSeries> = series
        .iter()
        .filter(|s| s.values.len() > h + season)
        .collect();
    let train_set: Vec<NnSeries> = eligible.iter().map(|s| s.truncated(h)).collect();
    let kind = config.kind;
    let trained = super::block_on_native(train::train(
        config.clone(),
        &train_set,
        tc,
        device,
        progress,
    ))?;
    let q = super::block_on_native(train::predict(&trained.net, &config, &train_set, device))?;
    let mut scores = Vec::new();
    let mut forecasts = Vec::new();
    for (s, q) in eligible.iter().zip(q) {
        let f = to_forecast(kind.name(), q, 0, 0);
        scores.extend(held_out_score(&s.values, &f, h, season));
        forecasts.push(f);
    }
    let mut speeds: Vec<f64> = trained.history.iter().map(|p| p.windows_per_s).collect();
    speeds.sort_by(f64::total_cmp);
    Ok((
        NnReport {
            report: ModelReport {
                model: kind.name().to_string(),
                summary: metrics::summarise(&scores),
                wall_s: train::now_s() - t0,
                threads: 1,
            },
            epochs: (trained.history.len(), trained.best_epoch),
            windows_per_s: speeds.get(speeds.len() / 2).copied().unwrap_or(0.0),
        },
        forecasts,
    ))
}

/// What [`auto_with_neural`] returns: the automatic choice's report row, how many SKUs
/// chose each model, and the neural models skipped (with why).
pub type NeuralBench = (ModelReport, Vec<(String, usize)>, Vec<String>);

/// The automatic choice with neural candidates next to the statistical models, on the
/// same hold-out: each neural model is trained once on the history before the first
/// backtest window of the training part ([`train::candidates`]).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::too_many_arguments)]
pub fn auto_with_neural(
    kinds: &[Kind],
    series: &[NnSeries],
    bt: &crate::forecast::backtest::BacktestConfig,
    tc: &TrainConfig,
    device: &burn::tensor::Device,
    threads: usize,
    pretrained: Option<(
        &super::pretrained::DemandNet,
        &super::pretrained::PretrainedConfig,
        super::corpus::FreqCode,
    )>,
    progress: &mut dyn FnMut(&train::Progress) -> bool,
) -> Result<NeuralBench, NnError> {
    use crate::forecast::models;
    let mut skipped = Vec::new();
    let t0 = train::now_s();
    let h = bt.h;
    let eligible: Vec<&NnSeries> = series
        .iter()
        .filter(|s| s.values.len() > h + bt.season)
        .collect();
    let train_set: Vec<NnSeries> = eligible.iter().map(|s| s.truncated(h)).collect();
    let mut extra: Vec<Vec<models::Precomputed>> = vec![Vec::new(); train_set.len()];
    for &kind in kinds {
        let per = match super::block_on_native(train::candidates(
            default_config(kind, h),
            &train_set,
            bt,
            tc,
            device,
            progress,
        )) {
            Ok((g, _)) => {
                let dates: Vec<&[chrono::NaiveDate]> =
                    train_set.iter().map(|s| s.dates.as_slice()).collect();
                g.candidates(&dates)
            }
            // Too little history before the first backtest window (short weekly data):
            // the choice goes on without this model.
            Err(NnError::NoData(why)) => {
                skipped.push(format!("{}: {why}", kind.name()));
                continue;
            }
            Err(e) => return Err(e),
        };
        for (e, p) in extra.iter_mut().zip(per) {
            e.push(p);
        }
    }
    if let Some((net, cfg, freq)) = pretrained {
        let g = super::block_on_native(super::pretrained::global_forecasts(
            net,
            cfg,
            "pretrained",
            &train_set,
            freq,
            bt,
            None,
            device,
        ))?;
        let dates: Vec<&[chrono::NaiveDate]> =
            train_set.iter().map(|s| s.dates.as_slice()).collect();
        for (e, p) in extra.iter_mut().zip(g.candidates(&dates)) {
            e.push(p);
        }
    }
    let ys: Vec<&[f64]> = train_set.iter().map(|s| s.values.as_slice()).collect();
    let candidates = |i: usize| -> Vec<Box<dyn crate::forecast::Model>> {
        let mut ms = models::for_series(ys[i], bt.season);
        ms.extend(
            extra[i]
                .iter()
                .cloned()
                .map(|m| Box::new(m) as Box<dyn crate::forecast::Model>),
        );
        ms
    };
    let results: Vec<Option<crate::forecast::backtest::Choice>> =
        crate::forecast::select::choose_all(&ys, &candidates, bt, threads, 7, &mut |_, _| true)
            .into_iter()
            .map(Result::ok)
            .collect();
    let mut scores = Vec::new();
    let mut choices: Vec<(String, usize)> = Vec::new();
    for (s, c) in eligible.iter().zip(results) {
        let Some(c) = c else { continue };
        let name = c.forecast.model.clone();
        match choices.iter_mut().find(|(m, _)| *m == name) {
            Some((_, n)) => *n += 1,
            None => choices.push((name, 1)),
        }
        scores.extend(held_out_score(&s.values, &c.forecast, h, bt.season));
    }
    choices.sort_by_key(|c| std::cmp::Reverse(c.1));
    Ok((
        ModelReport {
            model: {
                let mut names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                if pretrained.is_some() {
                    names.push("pretrained");
                }
                format!("Auto+{}", names.join("+"))
            },
            summary: metrics::summarise(&scores),
            wall_s: train::now_s() - t0,
            threads,
        },
        choices,
        skipped,
    ))
}

/// The pretrained model in the hold-out benchmark: zero-shot (`finetune` = None) or
/// fine-tuned on the training part of every series first; its own P10/P50/P90 are
/// scored on the held-out last `h` periods exactly as the other rows are. Series and
/// scale are those of [`run`] (more than `h + season` periods).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::too_many_arguments)]
pub fn run_pretrained(
    net: &super::pretrained::DemandNet,
    cfg: &super::pretrained::PretrainedConfig,
    series: &[NnSeries],
    freq: super::corpus::FreqCode,
    h: usize,
    season: usize,
    finetune: Option<&super::pretrained::PretrainSettings>,
    device: &burn::tensor::Device,
) -> Result<(NnReport, Vec<Forecast>), NnError> {
    use super::pretrained::{self, Request};
    let t0 = train::now_s();
    let eligible: Vec<&NnSeries> = series
        .iter()
        .filter(|s| s.values.len() > h + season)
        .collect();
    let train_set: Vec<NnSeries> = eligible.iter().map(|s| s.truncated(h)).collect();
    let (name, tuned, steps, speed) = match finetune {
        None => ("pretrained (own quantiles)", None, 0, 0.0),
        Some(st) => {
            let (n, reports, _) = super::block_on_native(pretrained::finetune(
                net.clone(),
                cfg,
                &train_set,
                freq,
                h,
                st,
                device,
                &mut |p, _| {
                    eprintln!(
                        "pretrained-ft: step {}/{} train {:.4} valid {:.4} {:.0} windows/s",
                        p.step, p.steps, p.train_loss, p.valid_loss, p.windows_per_s
                    );
                    true
                },
                || async {},
            ))?;
            let mut speeds: Vec<f64> = reports.iter().map(|p| p.windows_per_s).collect();
            speeds.sort_by(f64::total_cmp);
            let speed = speeds.get(speeds.len() / 2).copied().unwrap_or(0.0);
            ("pretrained-ft", Some(n), reports.len(), speed)
        }
    };
    let use_net = tuned.as_ref().unwrap_or(net);
    let reqs: Vec<Request<'_>> = train_set
        .iter()
        .map(|s| Request {
            history: &s.values,
            freq,
        })
        .collect();
    let q = super::block_on_native(pretrained::predict(use_net, cfg, &reqs, h, device))?;
    let mut scores = Vec::new();
    let mut forecasts = Vec::new();
    for (s, q) in eligible.iter().zip(q) {
        let q3: [Vec<f64>; 3] = [0, 4, 8].map(|k| q.iter().map(|p| p[k]).collect());
        let f = to_forecast(name, q3, 0, 0);
        scores.extend(held_out_score(&s.values, &f, h, season));
        forecasts.push(f);
    }
    Ok((
        NnReport {
            report: ModelReport {
                model: name.to_string(),
                summary: metrics::summarise(&scores),
                wall_s: train::now_s() - t0,
                threads: 1,
            },
            epochs: (steps, steps),
            windows_per_s: speed,
        },
        forecasts,
    ))
}
