//! The network: its configuration ([`PretrainedConfig`]), the patch embedding, mixer
//! blocks and non-crossing quantile head ([`DemandNet`]), and the pinball loss it is
//! trained on ([`masked_pinball`]).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, softplus};
use burn::tensor::{Device, Tensor, TensorData, s};

use super::{LEVELS, STEP_FEATURES, WINDOW_FEATURES};

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

/// Parameters in the network.
pub fn parameters(net: &DemandNet) -> usize {
    net.num_params()
}
