//! The pretrained demand model: one network, pretrained once on a corpus of synthetic
//! and real demand ([`super::corpus`]) by `supplycast pretrain`, shipped with the app,
//! forecasting any SKU zero-shot and fine-tuned on a shop's own history.
//!
//! It is a patch mixer (TSMixer, Chen et al. 2023; the patching of PatchTST and
//! TinyTimeMixer): the context, up to [`PretrainedConfig::context`] periods, is cut
//! into patches of `patch` periods; each patch (values, zero flags, an observed mask)
//! plus the frequency is embedded, then `layers` blocks mix across patches and across
//! channels, and a head maps the whole encoding to nine quantiles (P10…P90) of every
//! period of the horizon at once. Mixers rather than attention: at this size they
//! forecast as well (TTM) and train several times faster on a CPU, which is where most
//! merchants fine-tune.
//!
//! Scale and zeros: each window is divided by the mean of its observed context (1 when
//! that is zero), and the input passes through arcsinh so that a bulk order does not
//! swamp the rest. The head's quantiles are of arcsinh(scaled target)
//! ([`PretrainedConfig::asinh_targets`]; weights files of format 1 predicted the scaled
//! target itself): quantiles commute with a monotone map, so sinh of them are the
//! quantiles in units, while a launch whose targets are hundreds of times its context
//! adds a bounded, logarithmic error instead of swamping the batch. Quantiles never
//! cross: the head gives the median and softplus gaps that are summed outwards.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::{gelu, softplus};
use burn::tensor::{Device, Tensor, TensorData, s};
use serde::{Deserialize, Serialize};

use super::corpus::{CorpusSeries, FreqCode};
use super::{NnError, read_back};
use crate::rng::SplitMix;

/// The quantile levels the pretrained model outputs.
pub const LEVELS: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// Features per context period: arcsinh of the scaled value, a zero-sale flag, and
/// whether the period is observed (1) or padding before the series began (0).
const STEP_FEATURES: usize = 3;
/// Features per window besides the context: the frequency one-hot and the share of
/// the context that is observed.
const WINDOW_FEATURES: usize = 5;

/// The network's hyperparameters.
#[derive(Config, Debug, PartialEq)]
pub struct PretrainedConfig {
    /// Longest context in periods (a multiple of `patch`).
    #[config(default = 512)]
    pub context: usize,
    /// Periods per patch.
    #[config(default = 16)]
    pub patch: usize,
    /// Periods forecast in one pass (longer horizons roll forward on the median).
    #[config(default = 96)]
    pub horizon: usize,
    /// Width of a patch's embedding.
    #[config(default = 96)]
    pub width: usize,
    /// Mixer blocks.
    #[config(default = 4)]
    pub layers: usize,
    /// Width of the head's hidden layer.
    #[config(default = 256)]
    pub head: usize,
    /// The head predicts quantiles of arcsinh(target / scale) (true) or of
    /// target / scale (false, the weights of format 1, trained with a target-weighted
    /// loss that pulled every quantile low).
    #[config(default = true)]
    pub asinh_targets: bool,
}

/// The configuration as format-1 weights files stored it (before `asinh_targets`).
#[derive(Debug, Serialize, Deserialize)]
struct ConfigV1 {
    context: usize,
    patch: usize,
    horizon: usize,
    width: usize,
    layers: usize,
    head: usize,
}

/// [`PretrainedMeta`] as format-1 weights files stored it (written only by tests).
#[derive(Debug, Serialize, Deserialize)]
struct MetaV1 {
    config: ConfigV1,
    provenance: Vec<String>,
    fitted_through: Option<chrono::NaiveDate>,
    steps: usize,
    valid_loss: f64,
}

impl From<MetaV1> for PretrainedMeta {
    fn from(m: MetaV1) -> Self {
        let c = m.config;
        PretrainedMeta {
            config: PretrainedConfig {
                context: c.context,
                patch: c.patch,
                horizon: c.horizon,
                width: c.width,
                layers: c.layers,
                head: c.head,
                asinh_targets: false,
            },
            provenance: m.provenance,
            fitted_through: m.fitted_through,
            steps: m.steps,
            valid_loss: m.valid_loss,
        }
    }
}

/// One mixer block: across patches, then across channels, each a residual MLP after a
/// layer norm.
#[derive(Module, Debug)]
pub struct MixerBlock {
    norm_t: LayerNorm,
    tok1: Linear,
    tok2: Linear,
    norm_c: LayerNorm,
    ch1: Linear,
    ch2: Linear,
}

/// The pretrained demand network.
#[derive(Module, Debug)]
pub struct DemandNet {
    embed: Linear,
    blocks: Vec<MixerBlock>,
    norm: LayerNorm,
    head1: Linear,
    head2: Linear,
    horizon: usize,
    patch: usize,
}

impl PretrainedConfig {
    /// Patches in the context.
    pub fn patches(&self) -> usize {
        self.context / self.patch.max(1)
    }

    /// The number of parameters [`Self::init`] builds, counted without building
    /// anything (`None` when it overflows), so that a file's configuration can be
    /// checked against the bytes it holds before a network is allocated for it.
    pub fn param_count(&self) -> Option<usize> {
        let linear = |i: usize, o: usize| i.checked_mul(o)?.checked_add(o);
        let (n, d) = (self.patches(), self.width);
        let norm = d.checked_mul(2)?;
        let block = [
            Some(norm),
            linear(n, n.checked_mul(2)?),
            linear(n.checked_mul(2)?, n),
            Some(norm),
            linear(d, d.checked_mul(2)?),
            linear(d.checked_mul(2)?, d),
        ]
        .into_iter()
        .try_fold(0usize, |a, b| a.checked_add(b?))?;
        [
            linear(
                self.patch
                    .checked_mul(STEP_FEATURES)?
                    .checked_add(WINDOW_FEATURES)?,
                d,
            ),
            block.checked_mul(self.layers),
            Some(norm),
            linear(n.checked_mul(d)?, self.head),
            linear(self.head, self.horizon.checked_mul(LEVELS.len())?),
        ]
        .into_iter()
        .try_fold(0usize, |a, b| a.checked_add(b?))
    }

    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> DemandNet {
        let n = self.patches();
        let d = self.width;
        DemandNet {
            embed: LinearConfig::new(self.patch * STEP_FEATURES + WINDOW_FEATURES, d).init(device),
            blocks: (0..self.layers)
                .map(|_| MixerBlock {
                    norm_t: LayerNormConfig::new(d).init(device),
                    tok1: LinearConfig::new(n, 2 * n).init(device),
                    tok2: LinearConfig::new(2 * n, n).init(device),
                    norm_c: LayerNormConfig::new(d).init(device),
                    ch1: LinearConfig::new(d, 2 * d).init(device),
                    ch2: LinearConfig::new(2 * d, d).init(device),
                })
                .collect(),
            norm: LayerNormConfig::new(d).init(device),
            head1: LinearConfig::new(n * d, self.head).init(device),
            head2: LinearConfig::new(self.head, self.horizon * LEVELS.len()).init(device),
            horizon: self.horizon,
            patch: self.patch,
        }
    }
}

/// `[q, q]` matrix of ones where `keep(row, col)`, for summing gaps outwards.
fn triangle(q: usize, keep: impl Fn(usize, usize) -> bool, device: &Device) -> Tensor<2> {
    let v: Vec<f32> = (0..q * q)
        .map(|i| if keep(i / q, i % q) { 1.0 } else { 0.0 })
        .collect();
    Tensor::<2>::from_data(TensorData::new(v, [q, q]), device)
}

impl DemandNet {
    /// Nine quantiles per period, in scaled units.
    ///
    /// # Shapes
    /// - `x`: `[batch, context, 3]` (arcsinh scaled value, zero flag, observed flag)
    /// - `w`: `[batch, 5]` (frequency one-hot, observed share)
    /// - output: `[batch, horizon, 9]`, non-decreasing along the last dimension
    pub fn forward(&self, x: Tensor<3>, w: Tensor<2>) -> Tensor<3> {
        let [b, c, f] = x.dims();
        let n = c / self.patch;
        let device = x.device();
        let patches = x.reshape([b, n, self.patch * f]);
        let wf = w
            .reshape([b, 1, WINDOW_FEATURES])
            .expand([b, n, WINDOW_FEATURES]);
        let mut z = self.embed.forward(Tensor::cat(vec![patches, wf], 2));
        for blk in &self.blocks {
            let t = blk.norm_t.forward(z.clone()).swap_dims(1, 2);
            let t = blk.tok2.forward(gelu(blk.tok1.forward(t))).swap_dims(1, 2);
            z = z + t;
            let u = blk.norm_c.forward(z.clone());
            z = z.clone() + blk.ch2.forward(gelu(blk.ch1.forward(u)));
        }
        let [_, _, d] = z.dims();
        let z = self.norm.forward(z).reshape([b, n * d]);
        let raw = self.head2.forward(gelu(self.head1.forward(z)));
        let q = LEVELS.len();
        let h = self.horizon;
        let raw = raw.reshape([b * h, q]);
        let mid = q / 2;
        let median = raw.clone().slice(s![.., mid..mid + 1]);
        let down = softplus(raw.clone().slice(s![.., 0..mid]), 1.0);
        let up = softplus(raw.slice(s![.., mid + 1..q]), 1.0);
        // q_k = median − Σ_{j ≥ k} down_j below the median, median + Σ_{j ≤ k} up_j above.
        let below = median.clone().expand([b * h, mid])
            - down.matmul(triangle(mid, |j, k| j >= k, &device));
        let above = median.clone().expand([b * h, q - mid - 1])
            + up.matmul(triangle(q - mid - 1, |j, k| j <= k, &device));
        Tensor::cat(vec![below, median, above], 1).reshape([b, h, q])
    }
}

/// The pinball loss over the nine quantiles, averaged over the targets that exist
/// (`mask` = 1). `y` is the scaled target.
///
/// With `asinh` the quantiles are of arcsinh(y) and every target counts the same: the
/// few windows whose targets are hundreds of times their context (a launch after a
/// quiet spell, the end of a long stock-out) add only a logarithmic error, and the
/// optimum is still the true quantile (arcsinh is monotone), so nothing is biased.
///
/// Without it (format-1 weights), each window is weighted by 1 / max(1, its mean scaled
/// target) so that those windows cannot swamp the loss. That weight depends on the
/// targets and pulls every quantile low (among windows with the same context, those
/// that rose count less): the format-1 model forecast Tourism's growing series about
/// 15–20 % low, which is why the targets moved to arcsinh.
///
/// # Shapes
/// - `pred`: `[batch, horizon, 9]`, `y`, `mask`: `[batch, horizon]`; output `[1]`.
pub fn masked_pinball(pred: Tensor<3>, y: Tensor<2>, mask: Tensor<2>, asinh: bool) -> Tensor<1> {
    let [b, h, q] = pred.dims();
    let device = pred.device();
    let (y, level) = if asinh {
        // arcsinh(y) = ln(y + sqrt(y² + 1)); the targets are never negative.
        let t = (y.clone() * y.clone()).add_scalar(1.0).sqrt().add(y).log();
        (t, Tensor::<2>::ones([b, 1], &device))
    } else {
        let per = mask.clone().sum_dim(1).clamp_min(1.0);
        let level = ((y.clone() * mask.clone()).sum_dim(1) / per).clamp_min(1.0);
        (y, level)
    };
    let e = y.reshape([b, h, 1]).expand([b, h, q]) - pred;
    let w = Tensor::<1>::from_floats(LEVELS.map(|l| (l - 0.5) as f32).as_slice(), &device)
        .reshape([1, 1, q]);
    let loss = (e.clone().abs().mul_scalar(0.5) + e * w)
        .mean_dim(2)
        .reshape([b, h]);
    let count = mask.clone().sum().clamp_min(1.0);
    (loss * mask / level.expand([b, h])).sum() / count
}

/// Windows in flat arrays, ready for tensors.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    /// Windows.
    pub size: usize,
    /// `[size, context, 3]`.
    pub x: Vec<f32>,
    /// `[size, 5]`.
    pub w: Vec<f32>,
    /// `[size, horizon]` scaled targets (zeros when predicting).
    pub y: Vec<f32>,
    /// `[size, horizon]`: 1 where a target exists.
    pub mask: Vec<f32>,
    /// Scale of each window.
    pub scale: Vec<f32>,
}

impl Encoded {
    /// Appends a window: `ctx` (the most recent periods last; at most `context` are
    /// used) and `target` (at most `horizon`, of which only the first `use_h` count).
    pub fn push(
        &mut self,
        cfg: &PretrainedConfig,
        ctx: &[f32],
        target: &[f32],
        use_h: usize,
        freq: FreqCode,
    ) {
        let c = cfg.context;
        let ctx = &ctx[ctx.len().saturating_sub(c)..];
        let observed = ctx.len();
        let mean = ctx.iter().map(|v| v.max(0.0)).sum::<f32>() / observed.max(1) as f32;
        let scale = if mean > 0.0 && mean.is_finite() {
            mean
        } else {
            1.0
        };
        let pad = c - observed;
        self.x.reserve(c * STEP_FEATURES);
        for _ in 0..pad {
            self.x.extend_from_slice(&[0.0, 0.0, 0.0]);
        }
        for &v in ctx {
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            self.x
                .extend_from_slice(&[(v / scale).asinh(), f32::from(v == 0.0), 1.0]);
        }
        let mut wf = [0.0f32; WINDOW_FEATURES];
        wf[freq.index()] = 1.0;
        wf[4] = observed as f32 / c as f32;
        self.w.extend_from_slice(&wf);
        for k in 0..cfg.horizon {
            match target.get(k) {
                Some(&v) if k < use_h && v.is_finite() => {
                    self.y.push(v.max(0.0) / scale);
                    self.mask.push(1.0);
                }
                _ => {
                    self.y.push(0.0);
                    self.mask.push(0.0);
                }
            }
        }
        self.scale.push(scale);
        self.size += 1;
    }

    fn tensors(&self, cfg: &PretrainedConfig, device: &Device) -> [Tensor<2>; 3] {
        let h = cfg.horizon;
        [
            Tensor::<2>::from_data(TensorData::new(self.w.clone(), [self.size, 5]), device),
            Tensor::<2>::from_data(TensorData::new(self.y.clone(), [self.size, h]), device),
            Tensor::<2>::from_data(TensorData::new(self.mask.clone(), [self.size, h]), device),
        ]
    }

    fn x(&self, cfg: &PretrainedConfig, device: &Device) -> Tensor<3> {
        Tensor::<3>::from_data(
            TensorData::new(self.x.clone(), [self.size, cfg.context, STEP_FEATURES]),
            device,
        )
    }
}

/// Draws a training window from a corpus series: a target start anywhere after the
/// first few periods, and a context of a random length (a third of the windows see a
/// short history, so that new SKUs are forecast from what little there is).
fn sample_window(cfg: &PretrainedConfig, s: &CorpusSeries, rng: &mut SplitMix, out: &mut Encoded) {
    let n = s.values.len();
    // A context without a single sale says nothing about the level: draw again (a few
    // times; a series that never sells is left to its zeros).
    let (mut end, mut len) = (n - 1, 1);
    for _ in 0..16 {
        end = (4 + rng.below(n.saturating_sub(4).max(1))).min(n - 1);
        len = end.min(cfg.context);
        if rng.uniform() < 0.33 {
            let short = (8.0f64.ln() + rng.uniform() * ((cfg.context as f64).ln() - 8.0f64.ln()))
                .exp() as usize;
            len = len.min(short.max(4));
        }
        if s.values[end - len..end].iter().any(|v| *v > 0.0) {
            break;
        }
    }
    let h = if rng.uniform() < 0.5 {
        cfg.horizon
    } else {
        1 + rng.below(cfg.horizon)
    };
    let ctx = &s.values[end - len..end];
    let target = &s.values[end..(end + cfg.horizon).min(n)];
    out.push(cfg, ctx, target, h, s.freq);
}

/// Appends the window of `s` whose targets start at `end`, counting `h` of them.
fn push_at(cfg: &PretrainedConfig, s: &CorpusSeries, end: usize, h: usize, out: &mut Encoded) {
    let end = end.min(s.values.len());
    let ctx = &s.values[end.saturating_sub(cfg.context)..end];
    let target = &s.values[end..(end + cfg.horizon).min(s.values.len())];
    out.push(cfg, ctx, target, h, s.freq);
}

/// A forecast request: the history (oldest first) and the frequency.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Demand per period up to the origin.
    pub history: &'a [f64],
    /// The calendar.
    pub freq: FreqCode,
}

/// Nine quantiles for `h` periods after each request's history (in units, never
/// negative), in batches of 256. Horizons beyond the network's roll forward: the
/// median of the first pass extends the history for the next.
pub async fn predict(
    net: &DemandNet,
    cfg: &PretrainedConfig,
    requests: &[Request<'_>],
    h: usize,
    device: &Device,
) -> Result<Vec<Vec<[f64; 9]>>, NnError> {
    let mut out: Vec<Vec<[f64; 9]>> = vec![Vec::with_capacity(h); requests.len()];
    let mut ext: Vec<Vec<f32>> = requests
        .iter()
        .map(|r| {
            r.history[r.history.len().saturating_sub(cfg.context)..]
                .iter()
                .map(|v| *v as f32)
                .collect()
        })
        .collect();
    while out.first().is_some_and(|o| o.len() < h) {
        let done = out[0].len();
        for start in (0..requests.len()).step_by(256) {
            let chunk = start..(start + 256).min(requests.len());
            let mut e = Encoded::default();
            for i in chunk.clone() {
                e.push(cfg, &ext[i], &[], 0, requests[i].freq);
            }
            let x = e.x(cfg, device);
            let [w, _, _] = e.tensors(cfg, device);
            let v = read_back(net.forward(x, w)).await?;
            for (k, i) in chunk.enumerate() {
                let take = (h - done).min(cfg.horizon);
                for t in 0..take {
                    let mut q = [0.0f64; 9];
                    for (j, qj) in q.iter_mut().enumerate() {
                        let out = v[(k * cfg.horizon + t) * 9 + j] as f64;
                        // Beyond ±20 (sinh ≈ 2.4e8 times the context's mean) nothing is a demand.
                        let out = if cfg.asinh_targets {
                            out.clamp(-20.0, 20.0).sinh()
                        } else {
                            out
                        };
                        let raw = out * e.scale[k] as f64;
                        *qj = if raw.is_finite() { raw.max(0.0) } else { 0.0 };
                    }
                    out[i].push(q);
                    ext[i].push(q[4] as f32);
                }
            }
        }
    }
    Ok(out)
}

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

/// The validation loss of `net` on fixed windows ([`validation_windows`]).
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

/// Where a training run gets its windows.
pub enum WindowSource<'a> {
    /// Random windows from a corpus (pretraining).
    Corpus(&'a [CorpusSeries]),
    /// Windows (series, target start) of a shop's series, drawn with replacement, with
    /// the first `h` targets counted (fine-tuning).
    Windows(&'a [CorpusSeries], &'a [(usize, usize)], usize),
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
    let t0 = super::train::now_s();
    let mut tr = super::train::now_s();
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
            let now = super::train::now_s();
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

/// Fixed validation windows from a corpus: `n` windows drawn with their own seed.
pub fn validation_windows(
    cfg: &PretrainedConfig,
    corpus: &[CorpusSeries],
    n: usize,
    seed: u64,
) -> Vec<Encoded> {
    let mut rng = SplitMix::new(seed ^ 0x7A11D);
    let mut out = Vec::new();
    let mut e = Encoded::default();
    for _ in 0..n {
        if corpus.is_empty() {
            break;
        }
        let s = &corpus[rng.below(corpus.len())];
        sample_window(cfg, s, &mut rng, &mut e);
        if e.size == 128 {
            out.push(std::mem::take(&mut e));
        }
    }
    if e.size > 0 {
        out.push(e);
    }
    out
}

/// The pretrained model's forecasts for the automatic choice, zero-shot: the median
/// from every backtest origin and from the end of each series (it never saw the
/// merchant's data, so every origin is out of sample), and its own P10/P50/P90 from
/// the end, for SKUs too new to backtest. `through` is the fine-tuning cutoff when the
/// weights were fine-tuned on this data (then only later origins are forecast).
#[allow(clippy::too_many_arguments)]
pub async fn global_forecasts(
    net: &DemandNet,
    cfg: &PretrainedConfig,
    name: &str,
    series: &[super::data::NnSeries],
    freq: FreqCode,
    bt: &crate::forecast::backtest::BacktestConfig,
    through: Option<chrono::NaiveDate>,
    device: &Device,
) -> Result<crate::forecast::global::GlobalForecasts, NnError> {
    use crate::forecast::global::{self, GlobalForecasts};
    let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
    let at = global::requests(&dates, bt, through);
    let reqs: Vec<Request<'_>> = at
        .iter()
        .map(|&(i, o)| Request {
            history: &series[i].values[..o.min(series[i].values.len())],
            freq,
        })
        .collect();
    let q = predict(net, cfg, &reqs, bt.h, device).await?;
    let mut own: Vec<Option<[Vec<f64>; 3]>> = vec![None; series.len()];
    let mut p50 = Vec::with_capacity(at.len());
    for (&(i, o), q) in at.iter().zip(q) {
        if o == series[i].values.len() {
            own[i] = Some([0, 4, 8].map(|k| q.iter().map(|p| p[k]).collect()));
        }
        p50.push(q.iter().map(|p| p[4]).collect());
    }
    let mut g =
        GlobalForecasts::from_predictions(name.to_string(), through, series.len(), &at, p50);
    g.own_quantiles = own;
    Ok(g)
}

/// Windows as (series index, target start).
pub type WindowRefs = Vec<(usize, usize)>;

/// Fine-tuning windows of a shop's series (already cut at the fine-tuning cutoff):
/// validation targets are the last `h` periods of every series with at least `h + 8`;
/// training targets end before them, starting every `stride` periods.
pub fn finetune_windows(
    series: &[CorpusSeries],
    h: usize,
    stride: usize,
) -> (WindowRefs, WindowRefs) {
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, s) in series.iter().enumerate() {
        let n = s.values.len();
        if n < h + 8 {
            continue;
        }
        valid.push((i, n - h));
        let mut end = n.saturating_sub(2 * h);
        while end >= 4 {
            train.push((i, end));
            if end < stride + 4 {
                break;
            }
            end -= stride.max(1);
        }
    }
    (train, valid)
}

/// Fine-tunes pretrained weights on a shop's series (cut at the cutoff), with
/// validation on the last `h` periods before the cutoff; the best weights are kept,
/// also when `progress` stops the run. Returns the weights, the reports and the date
/// the model was fitted through.
#[allow(clippy::too_many_arguments)]
pub async fn finetune<Y, F>(
    net: DemandNet,
    cfg: &PretrainedConfig,
    series: &[super::data::NnSeries],
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
    let through = super::train::fitted_through(series);
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

/// What a weights file records besides the weights: the configuration and where the
/// weights came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainedMeta {
    /// The network's configuration.
    pub config: PretrainedConfig,
    /// How the weights were made (pretraining, then any fine-tuning).
    pub provenance: Vec<String>,
    /// Fine-tuned on a shop's data through this date (its last target period): its
    /// forecasts from origins on or before it are in-sample. `None` for the pretrained
    /// weights, which never saw a merchant's data.
    pub fitted_through: Option<chrono::NaiveDate>,
    /// Optimiser steps of the last schedule (`pretrain --resume` goes on counting, a
    /// `pretrain --init` run starts a new one; the provenance lists every run).
    pub steps: usize,
    /// Last validation loss.
    pub valid_loss: f64,
}

/// Format 2: the configuration carries `asinh_targets`.
const MAGIC: &[u8; 8] = b"SCPTv002";
/// Format 3: format 2's metadata, then the parameters in half precision ([`save_f16`]).
const MAGIC_F16: &[u8; 8] = b"SCPTv003";
/// Format 1 (read, never written): quantiles of the scaled target.
const MAGIC_V1: &[u8; 8] = b"SCPTv001";

/// Why a weights file cannot be used.
fn bad(why: impl std::fmt::Display) -> NnError {
    NnError::Model(format!("not a supplycast pretrained weights file: {why}"))
}

/// Serialises: magic, the length and postcard bytes of the metadata, Burn's record.
pub fn save(net: &DemandNet, meta: &PretrainedMeta) -> Result<Vec<u8>, NnError> {
    super::pack(MAGIC, meta, net)
}

/// Serialises with every parameter in half precision (IEEE f16), half the size of
/// [`save`]'s file: for the weights shipped with the app, which every merchant's browser
/// downloads. Magic, the length and postcard bytes of the metadata, the number of
/// values, then the values (little-endian f16) in the network's visiting order. The
/// record [`save`] writes keeps each parameter's own dtype (f32), hence this small
/// format. The rounding moves a weight by at most 2⁻¹¹ of itself (below 2⁻¹⁴, where f16
/// is subnormal, by at most 3e-8); `pretrain --f16` records the validation loss before
/// and after it. The network must be of `meta`'s configuration, tensor by tensor (the
/// file stores only their values).
pub fn save_f16(net: &DemandNet, meta: &PretrainedMeta) -> Result<Vec<u8>, NnError> {
    use burn::tensor::f16;
    let head = postcard::to_allocvec(meta).map_err(|e| NnError::Model(e.to_string()))?;
    // Counted before a network of `meta`'s configuration is built to compare shapes.
    if meta.config.param_count() != Some(net.num_params()) {
        return Err(NnError::Model(format!(
            "cannot save: the network is not of the configuration {:?}",
            meta.config
        )));
    }
    let params = super::flat_params(net);
    if let Some((first, _)) = params.first() {
        let shapes = |p: &[(Tensor<1>, Vec<usize>)]| -> Vec<Vec<usize>> {
            p.iter().map(|(_, d)| d.clone()).collect()
        };
        let want = super::flat_params(&meta.config.init(&first.device()));
        if shapes(&want) != shapes(&params) {
            return Err(NnError::Model(format!(
                "cannot save: the network is not of the configuration {:?}",
                meta.config
            )));
        }
    }
    let count: usize = params
        .iter()
        .map(|(_, d)| d.iter().product::<usize>())
        .sum();
    let mut out = Vec::with_capacity(24 + head.len() + 2 * count);
    out.extend_from_slice(MAGIC_F16);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&(count as u64).to_le_bytes());
    for (t, _) in params {
        let values = t
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| NnError::Model(format!("{e:?}")))?;
        for v in values {
            if !v.is_finite() || v.abs() > 65504.0 {
                return Err(NnError::Model(format!(
                    "a weight of {v} does not fit half precision"
                )));
            }
            out.extend_from_slice(&f16::from_f32(v).to_le_bytes());
        }
    }
    Ok(out)
}

/// The values of a [`save_f16`] file (after its metadata): their count, checked
/// against the bytes there before any network is allocated for them.
fn f16_values(rest: &[u8]) -> Result<&[u8], NnError> {
    let count = rest
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
        .ok_or_else(|| bad("truncated"))?;
    let values = &rest[8..];
    if u64::try_from(values.len()).ok() != count.checked_mul(2) {
        let why = if (values.len() as u64) < count.saturating_mul(2) {
            "truncated"
        } else {
            "bytes after the weights"
        };
        return Err(bad(format!(
            "{why}: {} bytes of weights for {count} values (2 bytes each)",
            values.len()
        )));
    }
    Ok(values)
}

/// The parameters of a [`save_f16`] file ([`f16_values`]) onto a network of its
/// configuration.
fn load_f16_values(net: DemandNet, values: &[u8]) -> Result<DemandNet, NnError> {
    use burn::module::{ModuleMapper, Param};
    use burn::tensor::f16;
    let expected = net.num_params();
    if expected.checked_mul(2) != Some(values.len()) {
        return Err(bad(format!(
            "the weights do not fit the configuration: {} values for {expected} parameters",
            values.len() / 2
        )));
    }
    struct Fill<'a>(&'a [u8]);
    impl ModuleMapper for Fill<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| {
                let dims = t.dims();
                let n = dims.iter().product::<usize>();
                let (mine, rest) = self.0.split_at(2 * n);
                self.0 = rest;
                let v: Vec<f32> = mine
                    .chunks_exact(2)
                    .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect();
                Tensor::<1>::from_data(TensorData::new(v, [n]), &t.device()).reshape(dims)
            })
        }
    }
    Ok(net.map(&mut Fill(values)))
}

/// Reads what [`save`] or [`save_f16`] wrote onto `device`; a wrong, truncated or
/// mismatched file is a clear error.
pub fn load(bytes: &[u8], device: &Device) -> Result<(DemandNet, PretrainedMeta), NnError> {
    if bytes.len() < 16 {
        return Err(bad(format!("{} bytes is too short", bytes.len())));
    }
    if &bytes[..8] != MAGIC && &bytes[..8] != MAGIC_V1 && &bytes[..8] != MAGIC_F16 {
        return Err(if &bytes[..4] == b"SCNN" {
            bad("this is a model trained from scratch (load it as a neural model instead)")
        } else {
            bad("wrong header")
        });
    }
    if &bytes[..8] == MAGIC_F16 {
        let n = usize::try_from(u64::from_le_bytes(
            bytes[8..16].try_into().unwrap_or_default(),
        ))
        .ok()
        .and_then(|n| n.checked_add(16))
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| bad("truncated"))?;
        let meta: PretrainedMeta = postcard::from_bytes(&bytes[16..n]).map_err(bad)?;
        check_config(&meta.config, bytes.len() - n)?;
        let values = f16_values(&bytes[n..])?;
        let net = load_f16_values(meta.config.init(device), values)?;
        return Ok((net, meta));
    }
    let (_, head, record) = super::unpack(bytes).ok_or_else(|| bad("truncated"))?;
    let meta: PretrainedMeta = if &bytes[..8] == MAGIC_V1 {
        postcard::from_bytes::<MetaV1>(head).map_err(bad)?.into()
    } else {
        postcard::from_bytes(head).map_err(bad)?
    };
    // The record follows the metadata; its length bounds the network it can hold.
    let head_end = 16 + head.len();
    check_config(&meta.config, bytes.len().saturating_sub(head_end))?;
    let net = meta
        .config
        .init(device)
        .try_load_record(record)
        .map_err(|e| bad(format!("the weights do not fit the configuration: {e:?}")))?;
    Ok((net, meta))
}

/// Refuses a configuration no file of ours has, or one whose parameters could not
/// fit in the `stored` bytes that follow it (at least two bytes a parameter), before a
/// network is allocated for it.
fn check_config(c: &PretrainedConfig, stored: usize) -> Result<(), NnError> {
    let fits = c
        .param_count()
        .and_then(|n| n.checked_mul(2))
        .is_some_and(|need| need <= stored);
    if !fits {
        return Err(bad(format!(
            "the weights do not fit the configuration: it asks for {} parameters, more than the {stored} bytes of weights in the file hold",
            c.param_count()
                .map_or("too many".to_string(), |n| n.to_string())
        )));
    }
    if c.patch == 0
        || !c.context.is_multiple_of(c.patch)
        || c.context > 8192
        || c.horizon == 0
        || c.horizon > 1024
        || c.width == 0
        || c.width > 4096
        || c.layers > 64
        || c.head > 65536
    {
        return Err(bad(format!("implausible configuration {c:?}")));
    }
    Ok(())
}

/// The weights shipped with the app (`assets/pretrained.sct`, made by
/// `supplycast pretrain`; its provenance is in `assets/pretrained.sct.json`). Natively
/// they are built into the program; the browser fetches the same file lazily.
#[cfg(not(target_arch = "wasm32"))]
pub fn shipped() -> &'static [u8] {
    include_bytes!("../../assets/pretrained.sct")
}

/// The weight-space blend `(1 − w)·a + w·b` of two networks of one configuration,
/// parameter by parameter (a "model soup"; WiSE-FT, Wortsman et al. 2022): when `b`
/// was trained on from `a` (a new corpus prior, a shop's history), blending keeps
/// much of what `a` knew while taking part of what `b` learnt, often better than
/// either alone. Parameters are matched in visiting order, which is the structure.
pub fn blend(a: &DemandNet, b: &DemandNet, w: f64) -> Result<DemandNet, NnError> {
    use burn::module::{ModuleMapper, Param};
    if !(0.0..=1.0).contains(&w) {
        return Err(NnError::Model(format!("blend weight {w}: expected 0 to 1")));
    }
    struct Mix(std::vec::IntoIter<(Tensor<1>, Vec<usize>)>, f64, bool);
    impl ModuleMapper for Mix {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let w = self.1;
            match self.0.next() {
                Some((other, dims)) if dims == param.val().dims().to_vec() => param.map(|t| {
                    let shape: [usize; D] = std::array::from_fn(|i| dims[i]);
                    t.mul_scalar(1.0 - w) + other.reshape(shape).mul_scalar(w)
                }),
                _ => {
                    self.2 = true;
                    param
                }
            }
        }
    }
    let params = super::flat_params(b);
    let count = params.len();
    let mut mix = Mix(params.into_iter(), w, false);
    let out = a.clone().map(&mut mix);
    if mix.2 || mix.0.next().is_some() {
        return Err(NnError::Model(format!(
            "cannot blend: the networks' {count} parameters do not match"
        )));
    }
    Ok(out)
}

/// Parameters in the network.
pub fn parameters(net: &DemandNet) -> usize {
    net.num_params()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::nn::{block_on, device};

    fn small() -> PretrainedConfig {
        PretrainedConfig::new()
            .with_context(64)
            .with_patch(8)
            .with_horizon(16)
            .with_width(16)
            .with_layers(2)
            .with_head(32)
    }

    #[test]
    fn quantiles_are_ordered_and_the_file_round_trips() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(1);
        let cfg = small();
        let net = cfg.init(&dev);
        let hist: Vec<f64> = (0..40).map(|t| (t % 7) as f64 * 3.0).collect();
        let req = [
            Request {
                history: &hist,
                freq: FreqCode::Daily,
            },
            Request {
                history: &hist[..3],
                freq: FreqCode::Weekly,
            },
        ];
        // 40 periods: two passes of 16 and a third, rolled forward on the median.
        let q = block_on(predict(&net, &cfg, &req, 40, &dev)).unwrap();
        assert_eq!(q.len(), 2);
        assert!(q.iter().all(|s| s.len() == 40));
        assert!(
            q.iter()
                .flatten()
                .all(|p| p.windows(2).all(|w| w[0] <= w[1]) && p[0] >= 0.0)
        );
        let meta = PretrainedMeta {
            config: cfg.clone(),
            provenance: vec!["test".into()],
            fitted_through: None,
            steps: 0,
            valid_loss: 0.0,
        };
        let bytes = save(&net, &meta).unwrap();
        let (net2, meta2) = load(&bytes, &dev).unwrap();
        assert_eq!(meta2, meta);
        assert_eq!(block_on(predict(&net2, &cfg, &req, 40, &dev)).unwrap(), q);
        // Corrupt and mismatched files are clear errors, never panics.
        for broken in [
            &bytes[..10],
            &bytes[..bytes.len() / 2],
            b"SCNNv001xxxxxxxxxx",
        ] {
            let e = load(broken, &dev).unwrap_err().to_string();
            assert!(
                e.contains("not a supplycast pretrained weights file"),
                "{e}"
            );
        }
        let other = PretrainedMeta {
            config: cfg.clone().with_width(24),
            ..meta
        };
        let mut mismatched = save(&net, &other).unwrap();
        let e = load(&mismatched, &dev).unwrap_err().to_string();
        assert!(e.contains("do not fit"), "{e}");
        mismatched[9] = 0xFF;
        assert!(load(&mismatched, &dev).is_err());
    }

    #[test]
    fn blending_mixes_every_parameter_and_refuses_other_shapes() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        let cfg = small();
        dev.seed(2);
        let a = cfg.init(&dev);
        dev.seed(3);
        let b = cfg.init(&dev);
        let flat = |n: &DemandNet| -> Vec<f32> {
            use burn::module::{ModuleVisitor, Param};
            struct All(Vec<f32>);
            impl ModuleVisitor for All {
                fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
                    self.0.extend(
                        p.val()
                            .into_data()
                            .convert::<f32>()
                            .try_to_vec::<f32>()
                            .unwrap(),
                    );
                }
            }
            let mut all = All(Vec::new());
            n.visit(&mut all);
            all.0
        };
        let (fa, fb) = (flat(&a), flat(&b));
        assert_eq!(fa.len(), parameters(&a));
        assert!(fa.iter().zip(&fb).filter(|(x, y)| x != y).count() * 2 > fa.len());
        assert_eq!(flat(&blend(&a, &b, 0.0).unwrap()), fa);
        assert_eq!(flat(&blend(&a, &b, 1.0).unwrap()), fb);
        let mid = flat(&blend(&a, &b, 0.25).unwrap());
        for ((m, x), y) in mid.iter().zip(&fa).zip(&fb) {
            assert!((m - (0.75 * x + 0.25 * y)).abs() < 1e-6);
        }
        let wide = cfg.clone().with_width(24).init(&dev);
        assert!(
            blend(&a, &wide, 0.5)
                .unwrap_err()
                .to_string()
                .contains("do not match")
        );
        assert!(blend(&a, &b, 1.5).is_err());
    }

    /// `save_f16` (format 3) halves the file, moves no weight by more than f16's
    /// rounding, forecasts as the f32 weights do within that, and a truncated file or
    /// one whose values do not fit its configuration is refused by name.
    #[test]
    fn half_precision_files_are_half_the_size_and_forecast_alike() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(11);
        let cfg = small();
        let net = cfg.init(&dev);
        let meta = PretrainedMeta {
            config: cfg.clone(),
            provenance: vec!["test".into()],
            fitted_through: None,
            steps: 3,
            valid_loss: 0.5,
        };
        let full = save(&net, &meta).unwrap();
        let half = save_f16(&net, &meta).unwrap();
        assert!(half.starts_with(MAGIC_F16));
        let n = parameters(&net);
        assert!(half.len() < 2 * n + 200 + postcard::to_allocvec(&meta).unwrap().len());
        assert!(
            full.len() > 4 * n,
            "{} bytes for {n} f32 values",
            full.len()
        );
        let (back, meta2) = load(&half, &dev).unwrap();
        assert_eq!(meta2, meta);
        let flat = |m: &DemandNet| -> Vec<f32> {
            super::super::flat_params(m)
                .into_iter()
                .flat_map(|(t, _)| t.into_data().try_to_vec::<f32>().unwrap())
                .collect()
        };
        let (a, b) = (flat(&net), flat(&back));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).any(|(x, y)| x != y), "nothing was rounded");
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= x.abs() / 2048.0 + 6e-8,
                "{x} stored as {y}"
            );
        }
        let hist: Vec<f64> = (0..60).map(|t| 5.0 + (t % 7) as f64).collect();
        let req = [Request {
            history: &hist,
            freq: FreqCode::Daily,
        }];
        let q = block_on(predict(&net, &cfg, &req, 12, &dev)).unwrap();
        let q2 = block_on(predict(&back, &cfg, &req, 12, &dev)).unwrap();
        for (x, y) in q[0].iter().flatten().zip(q2[0].iter().flatten()) {
            assert!((x - y).abs() <= 1e-2 * (1.0 + x.abs()), "{x} vs {y}");
        }
        let cut = load(&half[..half.len() - 1], &dev).unwrap_err().to_string();
        assert!(cut.contains("truncated"), "{cut}");
        let mut long = half.clone();
        long.push(0);
        let err = load(&long, &dev).unwrap_err().to_string();
        assert!(err.contains("bytes after the weights"), "{err}");
        // A file whose metadata names another configuration than its values fit.
        let other = PretrainedMeta {
            config: cfg.clone().with_width(24),
            ..meta.clone()
        };
        assert!(
            save_f16(&net, &other).is_err(),
            "saving refuses the mismatch"
        );
        let head = postcard::to_allocvec(&meta).unwrap();
        let other_head = postcard::to_allocvec(&other).unwrap();
        let mut wrong = MAGIC_F16.to_vec();
        wrong.extend_from_slice(&(other_head.len() as u64).to_le_bytes());
        wrong.extend_from_slice(&other_head);
        wrong.extend_from_slice(&half[16 + head.len()..]);
        let err = load(&wrong, &dev).unwrap_err().to_string();
        assert!(err.contains("do not fit the configuration"), "{err}");
    }

    /// A format-1 file (no `asinh_targets`, magic SCPTv001, as the weights shipped
    /// until the targets moved to arcsinh) still loads, as quantiles of the scaled
    /// target; what is saved again is format 2.
    #[test]
    fn format_1_files_load_with_linear_targets() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(4);
        let cfg = small().with_asinh_targets(false);
        let net = cfg.init(&dev);
        let old = MetaV1 {
            config: ConfigV1 {
                context: cfg.context,
                patch: cfg.patch,
                horizon: cfg.horizon,
                width: cfg.width,
                layers: cfg.layers,
                head: cfg.head,
            },
            provenance: vec!["format 1".into()],
            fitted_through: chrono::NaiveDate::from_ymd_opt(2010, 9, 2),
            steps: 7,
            valid_loss: 0.25,
        };
        let bytes = super::super::pack(MAGIC_V1, &old, &net).unwrap();
        let (net1, meta) = load(&bytes, &dev).unwrap();
        assert_eq!(meta.config, cfg);
        assert!(!meta.config.asinh_targets);
        assert_eq!(meta.steps, 7);
        assert_eq!(meta.fitted_through, old.fitted_through);
        let hist: Vec<f64> = (0..40).map(|t| 5.0 + (t % 7) as f64).collect();
        let req = [Request {
            history: &hist,
            freq: FreqCode::Daily,
        }];
        let q1 = block_on(predict(&net1, &meta.config, &req, 8, &dev)).unwrap();
        assert_eq!(q1, block_on(predict(&net, &cfg, &req, 8, &dev)).unwrap());
        // The same weights read as arcsinh targets give sinh of the linear quantiles
        // (where those are positive): the decoding follows the file's format.
        let asinh = cfg.clone().with_asinh_targets(true);
        let q2 = block_on(predict(&net1, &asinh, &req, 8, &dev)).unwrap();
        for (a, b) in q1[0].iter().flatten().zip(q2[0].iter().flatten()) {
            if *a > 0.0 {
                let scale = hist[hist.len() - cfg.context.min(hist.len())..]
                    .iter()
                    .sum::<f64>()
                    / cfg.context.min(hist.len()) as f64;
                let want = (a / scale).sinh() * scale;
                assert!(
                    (b - want).abs() <= 1e-3 * (1.0 + want.abs()),
                    "{b} vs {want}"
                );
            }
        }
        assert!(save(&net1, &meta).unwrap().starts_with(MAGIC));
    }

    /// With arcsinh targets the loss is the plain pinball loss of arcsinh(y): a window
    /// whose targets are 100 times another's is not weighted down (the format-1 loss
    /// divided it by its mean target), and the optimum is arcsinh of the quantile.
    #[test]
    fn the_arcsinh_loss_is_the_unweighted_pinball_of_arcsinh_targets() {
        let dev = device::cpu();
        let (b, h, q) = (2, 3, 9);
        let y = [0.0f32, 1.0, 3.0, 100.0, 200.0, 0.5];
        let pred: Vec<f32> = (0..b * h * q).map(|i| (i % 7) as f32 * 0.4).collect();
        let mask = [1.0f32, 1.0, 0.0, 1.0, 1.0, 1.0];
        let t = |v: Vec<f32>, shape: [usize; 2]| {
            Tensor::<2>::from_data(TensorData::new(v, shape), &dev)
        };
        let p = Tensor::<3>::from_data(TensorData::new(pred.clone(), [b, h, q]), &dev);
        let got = read_back_sync(masked_pinball(
            p,
            t(y.to_vec(), [b, h]),
            t(mask.to_vec(), [b, h]),
            true,
        ));
        let (mut sum, mut n) = (0.0f64, 0.0f64);
        for i in 0..b * h {
            if mask[i] == 0.0 {
                continue;
            }
            let target = (y[i] as f64).asinh();
            let mut l = 0.0;
            for (j, level) in LEVELS.iter().enumerate() {
                let e = target - pred[i * q + j] as f64;
                l += e.max(0.0) * level + (-e).max(0.0) * (1.0 - level);
            }
            sum += l / q as f64;
            n += 1.0;
        }
        assert!((got - sum / n).abs() < 1e-5, "{got} vs {}", sum / n);
        // The nine levels average to 0.5, so for one value at every level the loss is
        // 4.5 |error| summed: lowest at arcsinh of the targets' median (2), however large
        // the largest target (50).
        let targets = [0.0f32, 1.0, 2.0, 4.0, 50.0];
        let loss_at = |c: f64| {
            let p = Tensor::<3>::from_data(TensorData::new(vec![c as f32; 5 * 9], [1, 5, 9]), &dev);
            read_back_sync(masked_pinball(
                p,
                t(targets.to_vec(), [1, 5]),
                t(vec![1.0; 5], [1, 5]),
                true,
            ))
        };
        let at_median = loss_at(2.0f64.asinh());
        assert!(at_median < loss_at(1.0f64.asinh()) && at_median < loss_at(4.0f64.asinh()));
    }

    fn read_back_sync(t: Tensor<1>) -> f64 {
        block_on(read_back(t)).unwrap()[0] as f64
    }

    #[test]
    fn pretraining_on_the_synthetic_corpus_lowers_the_loss() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(2);
        let cfg = small();
        let corpus = super::super::corpus::synthetic(400, 200, 5);
        let valid = validation_windows(&cfg, &corpus, 256, 9);
        let st = PretrainSettings {
            steps: 120,
            batch: 64,
            lr: 3e-3,
            seed: 3,
            report_every: 40,
        };
        let init = cfg.init(&dev);
        let before = block_on(valid_loss(&init, &cfg, &valid, &dev)).unwrap();
        let (_, reports) = block_on(train(
            init,
            &cfg,
            WindowSource::Corpus(&corpus),
            &valid,
            &st,
            0,
            true,
            &dev,
            &mut |_, _| true,
            || async {},
        ))
        .unwrap();
        assert_eq!(reports.len(), 3);
        let after = reports[2].valid_loss;
        assert!(after < 0.8 * before, "{before} -> {reports:?}");
    }

    /// A shop: 30 SKUs of 200 days with a weekly cycle at different levels.
    fn shop() -> Vec<crate::nn::data::NnSeries> {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<chrono::NaiveDate> = (0..200)
            .map(|i| start + chrono::Duration::days(i))
            .collect();
        let mut rng = SplitMix::new(4);
        (0..30)
            .map(|k| crate::nn::data::NnSeries {
                sku: format!("S{k}"),
                values: (0..200)
                    .map(|t| {
                        let level = 1.0 + k as f64;
                        let season = [1.8, 1.2, 1.0, 0.8, 0.7, 0.5, 1.0][t % 7];
                        (level * season + level.sqrt() * 0.3 * rng.normal())
                            .max(0.0)
                            .round()
                    })
                    .collect(),
                dates: dates.clone(),
                future: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn fine_tuning_lowers_the_validation_loss_and_records_the_cutoff() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(5);
        let cfg = small();
        let series = shop();
        let train_set: Vec<_> = series.iter().map(|s| s.truncated(14)).collect();
        let st = PretrainSettings {
            steps: 60,
            batch: 32,
            lr: 3e-3,
            seed: 1,
            report_every: 20,
        };
        let shop_series: Vec<CorpusSeries> = train_set
            .iter()
            .map(|s| CorpusSeries {
                values: s.values.iter().map(|v| *v as f32).collect(),
                freq: FreqCode::Daily,
                source: "shop",
            })
            .collect();
        let (_, valid_at) = finetune_windows(&shop_series, 7, 2);
        let mut valid = Encoded::default();
        for &(i, end) in &valid_at {
            push_at(&cfg, &shop_series[i], end, 7, &mut valid);
        }
        let net = cfg.init(&dev);
        let before = block_on(valid_loss(&net, &cfg, std::slice::from_ref(&valid), &dev)).unwrap();
        let mut calls = 0;
        let (tuned, reports, through) = block_on(finetune(
            net,
            &cfg,
            &train_set,
            FreqCode::Daily,
            7,
            &st,
            &dev,
            &mut |_, _| {
                calls += 1;
                // Cancel after the second report: the best weights so far are kept.
                calls < 2
            },
            || async {},
        ))
        .unwrap();
        assert_eq!(reports.len(), 2);
        assert_eq!(through, Some(series[0].dates[185]));
        let after = block_on(valid_loss(&tuned, &cfg, std::slice::from_ref(&valid), &dev)).unwrap();
        let best = reports
            .iter()
            .map(|p| p.valid_loss)
            .fold(f64::INFINITY, f64::min);
        assert!((after - best).abs() < 1e-4, "{after} vs {reports:?}");
        assert!(after < 0.8 * before, "{before} -> {after}");
        // Its forecasts for the choice start after the cutoff.
        let bt = crate::forecast::backtest::BacktestConfig {
            h: 7,
            windows: 2,
            season: 7,
            paths: 10,
            scenarios: Default::default(),
        };
        let g = block_on(global_forecasts(
            &tuned,
            &cfg,
            "ft",
            &series,
            FreqCode::Daily,
            &bt,
            through,
            &dev,
        ))
        .unwrap();
        let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
        assert!(g.scorable(&dates) == series.len());
        assert!(
            g.per_series[0]
                .iter()
                .all(|(o, _)| series[0].dates.get(*o).is_none_or(|d| Some(*d) > through))
        );
        assert!(
            g.own_quantiles
                .iter()
                .all(|q| q.as_ref().is_some_and(|q| q[1].len() == 7))
        );
    }

    #[test]
    fn weights_copy_onto_the_cpu_asynchronously() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        dev.seed(8);
        let cfg = small();
        let a = cfg.init(&dev);
        let b = cfg.init(&dev);
        let hist: Vec<f64> = (0..50).map(|t| (t % 5) as f64).collect();
        let req = [Request {
            history: &hist,
            freq: FreqCode::Daily,
        }];
        let qa = block_on(predict(&a, &cfg, &req, 16, &dev)).unwrap();
        assert_ne!(block_on(predict(&b, &cfg, &req, 16, &dev)).unwrap(), qa);
        let c = block_on(crate::nn::to_cpu_async(&a, b)).unwrap();
        assert_eq!(block_on(predict(&c, &cfg, &req, 16, &dev)).unwrap(), qa);
        // A module of another shape is refused, not silently mixed.
        let other = cfg.clone().with_layers(1).init(&dev);
        assert!(block_on(crate::nn::to_cpu_async(&a, other)).is_err());
    }
}

#[cfg(all(test, feature = "gpu", not(target_arch = "wasm32")))]
mod gpu_tests {
    use super::*;
    use crate::nn::{block_on, device};

    /// The shipped weights load on native wgpu (a software Vulkan/GL adapter such as
    /// llvmpipe on a machine without a GPU) and forecast as on the CPU; read back
    /// asynchronously they are the same weights.
    #[test]
    fn shipped_weights_agree_on_cpu_and_wgpu() {
        let _turn = super::super::train::tests::TURN
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (gpu, name, _) = device::native_gpu().expect("a wgpu adapter (mesa-vulkan-drivers)");
        eprintln!("wgpu adapter: {name}");
        let cpu = device::cpu();
        let (a, meta) = load(shipped(), &cpu).unwrap();
        let (b, _) = load(shipped(), &gpu).unwrap();
        let hist: Vec<Vec<f64>> = (0..8)
            .map(|k| {
                (0..(40 + 60 * k))
                    .map(|t| ((k + 1) * (1 + t % 7)) as f64 * 0.5)
                    .collect()
            })
            .collect();
        let req: Vec<Request<'_>> = hist
            .iter()
            .map(|h| Request {
                history: h,
                freq: FreqCode::Daily,
            })
            .collect();
        let qa = block_on(predict(&a, &meta.config, &req, 28, &cpu)).unwrap();
        let qb = block_on(predict(&b, &meta.config, &req, 28, &gpu)).unwrap();
        for (x, y) in qa
            .iter()
            .flatten()
            .flatten()
            .zip(qb.iter().flatten().flatten())
        {
            assert!((x - y).abs() <= 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
        }
        let back = block_on(crate::nn::to_cpu_async(&b, meta.config.init(&cpu))).unwrap();
        let qc = block_on(predict(&back, &meta.config, &req, 28, &cpu)).unwrap();
        for (x, y) in qa
            .iter()
            .flatten()
            .flatten()
            .zip(qc.iter().flatten().flatten())
        {
            assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }
}
