//! The neural forecasters: one definition each, used on every backend.
//!
//! All of them map a context window `[batch, context, IN_FEATURES]` and the calendar
//! of the periods to forecast `[batch, horizon, CAL_FEATURES]` to P10/P50/P90 per period
//! `[batch, horizon, 3]` in scaled units, trained with the pinball loss. The quantile
//! head predicts the median and two softplus gaps, so the quantiles never cross.
//! The recurrent models decode all periods at once from the encoder state (the
//! MQ-RNN form of DeepAR, Wen et al. 2017): one pass instead of `horizon` sequential
//! steps, which matters on a GPU in a browser.

use burn::config::Config;
use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{
    Gru, GruConfig, Linear, LinearConfig, Lstm, LstmConfig, PositionalEncoding,
    PositionalEncodingConfig,
};
use burn::tensor::activation::{relu, softplus};
use burn::tensor::{Device, Tensor, s};
use serde::{Deserialize, Serialize};

use super::data::{CAL_FEATURES, IN_FEATURES};

/// The quantiles every model outputs.
pub const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// DeepAR-style global LSTM.
    Lstm,
    /// The same with a GRU cell.
    Gru,
    /// PatchTST-style Transformer over patches of the context.
    PatchTst,
    /// N-BEATS/N-HiTS-like MLP on the flattened window.
    Mlp,
}

impl Kind {
    /// The name used on the command line and in leaderboards.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lstm => "lstm",
            Kind::Gru => "gru",
            Kind::PatchTst => "patchtst",
            Kind::Mlp => "mlp",
        }
    }

    /// Reads [`Kind::name`].
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "lstm" | "deepar" => Kind::Lstm,
            "gru" => Kind::Gru,
            "patchtst" | "patch" | "transformer" => Kind::PatchTst,
            "mlp" | "nbeats" | "n-beats" => Kind::Mlp,
            _ => return None,
        })
    }

    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Lstm, Kind::Gru, Kind::PatchTst, Kind::Mlp];
}

/// A network's hyperparameters.
#[derive(Config, Debug, PartialEq)]
pub struct NetConfig {
    /// Which network.
    pub kind: Kind,
    /// Periods of context.
    pub context: usize,
    /// Periods forecast.
    pub horizon: usize,
    /// Hidden width (RNN state, MLP layers, Transformer model width).
    #[config(default = 64)]
    pub hidden: usize,
    /// Patch length (PatchTST).
    #[config(default = 7)]
    pub patch: usize,
    /// Attention heads (PatchTST).
    #[config(default = 4)]
    pub heads: usize,
    /// Encoder layers (PatchTST).
    #[config(default = 2)]
    pub layers: usize,
    /// Dropout (PatchTST).
    #[config(default = 0.1)]
    pub dropout: f64,
}

/// The quantile head's input width per period.
const OUT: usize = 3;

/// Turns `[batch, horizon·3]` raw outputs into monotone quantiles `[batch, horizon, 3]`.
fn quantile_head(raw: Tensor<2>, horizon: usize) -> Tensor<3> {
    let [b, _] = raw.dims();
    let raw = raw.reshape([b, horizon, OUT]);
    let median = raw.clone().slice(s![.., .., 0..1]);
    let down = softplus(raw.clone().slice(s![.., .., 1..2]), 1.0);
    let up = softplus(raw.slice(s![.., .., 2..3]), 1.0);
    Tensor::cat(vec![median.clone() - down, median.clone(), median + up], 2)
}

/// MLP on the flattened window and future calendar.
#[derive(Module, Debug)]
pub struct Mlp {
    l1: Linear,
    l2: Linear,
    l3: Linear,
    out: Linear,
    horizon: usize,
}

/// DeepAR-style recurrent encoder with a direct multi-horizon decoder.
#[derive(Module, Debug)]
pub struct Rnn {
    lstm: Option<Lstm>,
    gru: Option<Gru>,
    dec: Linear,
    out: Linear,
    horizon: usize,
}

/// PatchTST-style encoder: patches of the context, linear embedding, sinusoidal
/// positions, a Transformer encoder, and a linear head on the flattened encoding.
#[derive(Module, Debug)]
pub struct PatchTst {
    embed: Linear,
    pos: PositionalEncoding,
    encoder: TransformerEncoder,
    out: Linear,
    horizon: usize,
    patch: usize,
}

/// Any of the networks.
// (One network lives per training run: boxing the large variant would save nothing.)
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Net {
    /// MLP.
    Mlp(Mlp),
    /// LSTM or GRU.
    Rnn(Rnn),
    /// PatchTST.
    Patch(PatchTst),
}

impl NetConfig {
    /// The context rounded up to whole patches for PatchTST.
    pub fn effective_context(&self) -> usize {
        match self.kind {
            Kind::PatchTst => self.context.div_ceil(self.patch.max(1)) * self.patch.max(1),
            _ => self.context,
        }
    }

    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Net {
        let (c, h, d) = (self.effective_context(), self.horizon, self.hidden);
        let fut = h * CAL_FEATURES;
        match self.kind {
            Kind::Mlp => Net::Mlp(Mlp {
                l1: LinearConfig::new(c * IN_FEATURES + fut, 4 * d).init(device),
                l2: LinearConfig::new(4 * d, 4 * d).init(device),
                l3: LinearConfig::new(4 * d, 4 * d).init(device),
                out: LinearConfig::new(4 * d, h * OUT).init(device),
                horizon: h,
            }),
            Kind::Lstm | Kind::Gru => Net::Rnn(Rnn {
                lstm: (self.kind == Kind::Lstm)
                    .then(|| LstmConfig::new(IN_FEATURES, d, true).init(device)),
                gru: (self.kind == Kind::Gru)
                    .then(|| GruConfig::new(IN_FEATURES, d, true).init(device)),
                dec: LinearConfig::new(d + fut, 2 * d).init(device),
                out: LinearConfig::new(2 * d, h * OUT).init(device),
                horizon: h,
            }),
            Kind::PatchTst => {
                let n = c / self.patch.max(1);
                Net::Patch(PatchTst {
                    embed: LinearConfig::new(self.patch * IN_FEATURES, d).init(device),
                    pos: PositionalEncodingConfig::new(d).init(device),
                    encoder: TransformerEncoderConfig::new(d, 2 * d, self.heads, self.layers)
                        .with_dropout(self.dropout)
                        .with_norm_first(true)
                        .init(device),
                    out: LinearConfig::new(n * d + fut, h * OUT).init(device),
                    horizon: h,
                    patch: self.patch.max(1),
                })
            }
        }
    }
}

impl Net {
    /// P10/P50/P90 per period, scaled.
    ///
    /// # Shapes
    /// - `x`: `[batch, context, IN_FEATURES]`
    /// - `future`: `[batch, horizon, CAL_FEATURES]`
    /// - output: `[batch, horizon, 3]`
    pub fn forward(&self, x: Tensor<3>, future: Tensor<3>) -> Tensor<3> {
        let [b, c, f] = x.dims();
        let fut = future.reshape([b as i64, -1]);
        match self {
            Net::Mlp(m) => {
                let z = Tensor::cat(vec![x.reshape([b, c * f]), fut], 1);
                let z = relu(m.l1.forward(z));
                let z = relu(m.l2.forward(z.clone())) + z;
                let z = relu(m.l3.forward(z.clone())) + z;
                quantile_head(m.out.forward(z), m.horizon)
            }
            Net::Rnn(r) => {
                let enc = match (&r.lstm, &r.gru) {
                    (Some(l), _) => l.forward(x, None).0,
                    (None, Some(g)) => g.forward(x, None),
                    (None, None) => unreachable!("an RNN has a cell"),
                };
                let [_, _, d] = enc.dims();
                let last = enc.slice(s![.., (c - 1)..c, ..]).reshape([b, d]);
                let z = relu(r.dec.forward(Tensor::cat(vec![last, fut], 1)));
                quantile_head(r.out.forward(z), r.horizon)
            }
            Net::Patch(p) => {
                let n = c / p.patch;
                let patches = x.reshape([b, n, p.patch * f]);
                let z = p.pos.forward(p.embed.forward(patches));
                let z = p.encoder.forward(TransformerEncoderInput::new(z));
                let [_, _, d] = z.dims();
                let z = Tensor::cat(vec![z.reshape([b, n * d]), fut], 1);
                quantile_head(p.out.forward(z), p.horizon)
            }
        }
    }
}

/// The pinball (quantile) loss averaged over batch, periods and quantiles:
/// ρ_q(e) = |e|/2 + (q − ½)e with e = y − ŷ_q.
///
/// # Shapes
/// - `pred`: `[batch, horizon, 3]`, `y`: `[batch, horizon]`; output: `[1]`.
pub fn pinball_loss(pred: Tensor<3>, y: Tensor<2>) -> Tensor<1> {
    let [b, h, q] = pred.dims();
    let device = pred.device();
    let e = y.reshape([b, h, 1]).expand([b, h, q]) - pred;
    let w = Tensor::<1>::from_floats(
        [
            (QUANTILES[0] - 0.5) as f32,
            (QUANTILES[1] - 0.5) as f32,
            (QUANTILES[2] - 0.5) as f32,
        ],
        &device,
    )
    .reshape([1, 1, q]);
    (e.clone().abs().mul_scalar(0.5) + e * w).mean()
}
