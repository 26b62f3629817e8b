//! Training a network: the one loop that pretrains it on a corpus and fine-tunes it
//! on a shop's series ([`train`]), its settings and progress reports, the validation
//! loss, and fine-tuning on a shop's history up to its cutoff ([`finetune`]).

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::windows::{push_at, sample_window};
use super::{DemandNet, Encoded, PretrainedConfig, WindowSource, finetune_windows, masked_pinball};
use crate::nn::corpus::{CorpusSeries, FreqCode};
use crate::nn::{NnError, read_back};
use crate::rng::SplitMix;

/// Training settings for pretraining and fine-tuning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PretrainSettings {
    /// Optimiser steps.
    pub steps: usize,
    /// Windows per step.
    pub batch: usize,
    /// Peak learning rate (AdamW; linear warm-up over the first 5 %, cosine to 5 %).
    pub lr: f64,
    /// Seed for weights, corpus and batches.
    pub seed: u64,
    /// Steps between progress reports (and checkpoints).
    pub report_every: usize,
}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PretrainProgress {
    /// Steps done.
    pub step: usize,
    /// Steps in all.
    pub steps: usize,
    /// Mean training loss since the last report.
    pub train_loss: f64,
    /// Loss on the fixed validation windows.
    pub valid_loss: f64,
    /// Windows per second since the last report.
    pub windows_per_s: f64,
    /// Seconds so far (this run).
    pub elapsed_s: f64,
    /// Estimated seconds left.
    pub eta_s: f64,
}

/// The validation loss of `net` on fixed windows ([`validation_windows`](super::validation_windows)).
pub async fn valid_loss(
    net: &DemandNet,
    cfg: &PretrainedConfig,
    valid: &[Encoded],
    device: &Device,
) -> Result<f64, NnError> {
    let (mut sum, mut n) = (0.0, 0.0);
    for e in valid {
        let [w, y, m] = e.tensors(cfg, device);
        let count: f64 = e.mask.iter().map(|v| *v as f64).sum();
        let l = read_back(masked_pinball(
            net.forward(e.x(cfg, device), w),
            y,
            m,
            cfg.asinh_targets,
        ))
        .await?;
        sum += l.first().copied().unwrap_or(f32::NAN) as f64 * count;
        n += count;
    }
    Ok(if n > 0.0 { sum / n } else { f64::NAN })
}

/// Trains `net` (pretraining from fresh weights or fine-tuning from pretrained ones)
/// for `st.steps` steps starting at `start_step` (to resume a checkpoint), with the
/// loss on `valid` every `st.report_every` steps. `progress` may return false to stop;
/// `keep_best` restores the weights with the lowest validation loss at the end (and
/// when stopped). Returns the net and every report.
#[allow(clippy::too_many_arguments)]
pub async fn train<Y, F>(
    net: DemandNet,
    cfg: &PretrainedConfig,
    source: WindowSource<'_>,
    valid: &[Encoded],
    st: &PretrainSettings,
    start_step: usize,
    keep_best: bool,
    device: &Device,
    progress: &mut dyn FnMut(&PretrainProgress, &DemandNet) -> bool,
    yield_now: Y,
) -> Result<(DemandNet, Vec<PretrainProgress>), NnError>
where
    Y: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let ad = device.clone().autodiff();
    // Weights loaded or made on the plain device are copied into a network built on
    // the autodiff device, whose parameters are tracked (a fork of a plain module is not).
    let mut net = cfg.init(&ad).load_record(net.into_record());
    let mut optim = AdamWConfig::new()
        .with_weight_decay(1e-4)
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(1.0)))
        .init();
    let mut rng = SplitMix::new(st.seed ^ 0x9E7A ^ (start_step as u64).wrapping_mul(0x9E37));
    let mut reports = Vec::new();
    let first = valid_loss(&net.valid(), cfg, valid, device).await?;
    let mut best = (first, net.valid());
    let t0 = crate::nn::train::now_s();
    let mut tr = crate::nn::train::now_s();
    let mut loss_sum: Option<Tensor<1>> = None;
    let mut since = 0usize;
    let warm = (st.steps / 20).max(1);
    for step in start_step..st.steps {
        let lr = if step < warm {
            st.lr * (step + 1) as f64 / warm as f64
        } else {
            let p = (step - warm) as f64 / (st.steps - warm).max(1) as f64;
            st.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
        };
        let mut e = Encoded::default();
        match &source {
            WindowSource::Corpus(corpus) => {
                for _ in 0..st.batch {
                    let s = &corpus[rng.below(corpus.len())];
                    sample_window(cfg, s, &mut rng, &mut e);
                }
            }
            WindowSource::Windows(series, at, h) => {
                if at.is_empty() {
                    return Err(NnError::NoData("no training windows".into()));
                }
                for _ in 0..st.batch {
                    let (i, end) = at[rng.below(at.len())];
                    push_at(cfg, &series[i], end, *h, &mut e);
                }
            }
        }
        let [w, y, m] = e.tensors(cfg, &ad);
        let loss = masked_pinball(net.forward(e.x(cfg, &ad), w), y, m, cfg.asinh_targets);
        loss_sum = Some(match loss_sum {
            Some(s) => s + loss.clone().detach(),
            None => loss.clone().detach(),
        });
        since += 1;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(lr, net, grads);
        let done = step + 1;
        if done % st.report_every.max(1) == 0 || done == st.steps {
            let train_loss = match loss_sum.take() {
                Some(s) => {
                    read_back(s).await?.first().copied().unwrap_or(f32::NAN) as f64 / since as f64
                }
                None => f64::NAN,
            };
            let plain = net.valid();
            let vl = valid_loss(&plain, cfg, valid, device).await?;
            let now = crate::nn::train::now_s();
            let elapsed = now - t0;
            let p = PretrainProgress {
                step: done,
                steps: st.steps,
                train_loss,
                valid_loss: vl,
                windows_per_s: (since * st.batch) as f64 / (now - tr).max(1e-9),
                elapsed_s: elapsed,
                eta_s: elapsed / (done - start_step) as f64 * (st.steps - done) as f64,
            };
            tr = now;
            since = 0;
            let better = vl < best.0;
            if better {
                best = (vl, plain.clone());
            }
            reports.push(p);
            let go_on = progress(&p, &plain);
            yield_now().await;
            if !go_on || !train_loss.is_finite() {
                break;
            }
        }
    }
    let last = net.valid();
    Ok((if keep_best { best.1 } else { last }, reports))
}

/// Fine-tunes pretrained weights on a shop's series (cut at the cutoff), with
/// validation on the last `h` periods before the cutoff; the best weights are kept,
/// also when `progress` stops the run. Returns the weights, the reports and the date
/// the model was fitted through.
#[allow(clippy::too_many_arguments)]
pub async fn finetune<Y, F>(
    net: DemandNet,
    cfg: &PretrainedConfig,
    series: &[crate::nn::data::NnSeries],
    freq: FreqCode,
    h: usize,
    st: &PretrainSettings,
    device: &Device,
    progress: &mut dyn FnMut(&PretrainProgress, &DemandNet) -> bool,
    yield_now: Y,
) -> Result<(DemandNet, Vec<PretrainProgress>, Option<chrono::NaiveDate>), NnError>
where
    Y: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let through = crate::nn::train::fitted_through(series);
    let shop: Vec<CorpusSeries> = series
        .iter()
        .map(|s| CorpusSeries {
            values: s.values.iter().map(|v| v.max(0.0) as f32).collect(),
            freq,
            source: "shop",
        })
        .collect();
    let (train_at, valid_at) = finetune_windows(&shop, h, (h / 4).max(1));
    if train_at.is_empty() || valid_at.is_empty() {
        return Err(NnError::NoData(format!(
            "no series is long enough to fine-tune: it needs at least {} periods before the fine-tuning cutoff",
            (2 * h + 4).max(h + 8)
        )));
    }
    let mut valid = Vec::new();
    for chunk in valid_at.chunks(256) {
        let mut e = Encoded::default();
        for &(i, end) in chunk {
            push_at(cfg, &shop[i], end, h, &mut e);
        }
        valid.push(e);
    }
    let (net, reports) = train(
        net,
        cfg,
        WindowSource::Windows(&shop, &train_at, h),
        &valid,
        st,
        0,
        true,
        device,
        progress,
        yield_now,
    )
    .await?;
    Ok((net, reports, through))
}
