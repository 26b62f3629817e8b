//! Weights files: what one records beside the weights ([`PretrainedMeta`]), its three
//! formats (SCPTv001, read only; SCPTv002, f32; SCPTv003, f16) written by [`save`] and
//! [`save_f16`] and read by [`load`], which refuses a wrong, truncated or implausible
//! file before a network is built for it; the weights shipped with the app; and the
//! weight-space [`blend`] of two networks, matched parameter by parameter in the same
//! visiting order as the f16 format.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{DemandNet, PretrainedConfig};
use crate::nn::NnError;

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

/// The configuration as format-1 weights files stored it (before `asinh_targets`).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ConfigV1 {
    pub(super) context: usize,
    pub(super) patch: usize,
    pub(super) horizon: usize,
    pub(super) width: usize,
    pub(super) layers: usize,
    pub(super) head: usize,
}

/// [`PretrainedMeta`] as format-1 weights files stored it (written only by tests).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MetaV1 {
    pub(super) config: ConfigV1,
    pub(super) provenance: Vec<String>,
    pub(super) fitted_through: Option<chrono::NaiveDate>,
    pub(super) steps: usize,
    pub(super) valid_loss: f64,
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

/// Format 2: the configuration carries `asinh_targets`.
pub(super) const MAGIC: &[u8; 8] = b"SCPTv002";
/// Format 3: format 2's metadata, then the parameters in half precision ([`save_f16`]).
pub(super) const MAGIC_F16: &[u8; 8] = b"SCPTv003";
/// Format 1 (read, never written): quantiles of the scaled target.
pub(super) const MAGIC_V1: &[u8; 8] = b"SCPTv001";

/// Why a weights file cannot be used.
fn bad(why: impl std::fmt::Display) -> NnError {
    NnError::Model(format!("not a supplycast pretrained weights file: {why}"))
}

/// Serialises: magic, the length and postcard bytes of the metadata, Burn's record.
pub fn save(net: &DemandNet, meta: &PretrainedMeta) -> Result<Vec<u8>, NnError> {
    crate::nn::pack(MAGIC, meta, net)
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
    let params = crate::nn::flat_params(net);
    if let Some((first, _)) = params.first() {
        let shapes = |p: &[(Tensor<1>, Vec<usize>)]| -> Vec<Vec<usize>> {
            p.iter().map(|(_, d)| d.clone()).collect()
        };
        let want = crate::nn::flat_params(&meta.config.init(&first.device()));
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
    let (_, head, record) = crate::nn::unpack(bytes).ok_or_else(|| bad("truncated"))?;
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
    include_bytes!("../../../assets/pretrained.sct")
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
    let params = crate::nn::flat_params(b);
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
