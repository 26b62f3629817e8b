//! Windows for the network: a stretch of a series' context and targets, scaled and
//! encoded in flat arrays ([`Encoded`]), drawn at random from a corpus for pretraining,
//! fixed for validation ([`validation_windows`]), or at set origins of a shop's series
//! for fine-tuning ([`finetune_windows`]); and where a training run draws its windows
//! from ([`WindowSource`]).

use burn::tensor::{Device, Tensor, TensorData};

use super::{PretrainedConfig, STEP_FEATURES, WINDOW_FEATURES};
use crate::nn::corpus::{CorpusSeries, FreqCode};
use crate::rng::SplitMix;

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

    pub(super) fn tensors(&self, cfg: &PretrainedConfig, device: &Device) -> [Tensor<2>; 3] {
        let h = cfg.horizon;
        [
            Tensor::<2>::from_data(TensorData::new(self.w.clone(), [self.size, 5]), device),
            Tensor::<2>::from_data(TensorData::new(self.y.clone(), [self.size, h]), device),
            Tensor::<2>::from_data(TensorData::new(self.mask.clone(), [self.size, h]), device),
        ]
    }

    pub(super) fn x(&self, cfg: &PretrainedConfig, device: &Device) -> Tensor<3> {
        Tensor::<3>::from_data(
            TensorData::new(self.x.clone(), [self.size, cfg.context, STEP_FEATURES]),
            device,
        )
    }
}

/// Draws a training window from a corpus series: a target start anywhere after the
/// first few periods, and a context of a random length (a third of the windows see a
/// short history, so that new SKUs are forecast from what little there is).
pub(super) fn sample_window(
    cfg: &PretrainedConfig,
    s: &CorpusSeries,
    rng: &mut SplitMix,
    out: &mut Encoded,
) {
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
pub(super) fn push_at(
    cfg: &PretrainedConfig,
    s: &CorpusSeries,
    end: usize,
    h: usize,
    out: &mut Encoded,
) {
    let end = end.min(s.values.len());
    let ctx = &s.values[end.saturating_sub(cfg.context)..end];
    let target = &s.values[end..(end + cfg.horizon).min(s.values.len())];
    out.push(cfg, ctx, target, h, s.freq);
}

/// Where a training run gets its windows.
pub enum WindowSource<'a> {
    /// Random windows from a corpus (pretraining).
    Corpus(&'a [CorpusSeries]),
    /// Windows (series, target start) of a shop's series, drawn with replacement, with
    /// the first `h` targets counted (fine-tuning).
    Windows(&'a [CorpusSeries], &'a [(usize, usize)], usize),
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
