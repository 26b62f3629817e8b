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
//!
//! One job per file:
//!
//! - `net.rs`: the network, its configuration ([`PretrainedConfig`]), the patch
//!   embedding, mixer blocks and quantile head ([`DemandNet`]), and the loss it is
//!   trained on ([`masked_pinball`]);
//! - `windows.rs`: windows of a series scaled and encoded for the network
//!   ([`Encoded`]), drawn at random from a corpus, fixed for validation, or at set
//!   origins of a shop's series for fine-tuning, and where a training run draws them
//!   from ([`WindowSource`]);
//! - `forecast.rs`: forecasts from a network ([`predict`], rolled forward past its
//!   horizon) and those the automatic choice scores ([`global_forecasts`]);
//! - `train.rs`: the loop that pretrains and fine-tunes ([`train()`], [`finetune`]),
//!   its settings, progress reports and validation loss;
//! - `file.rs`: the weights files (formats 1, 2 and 3: [`save`], [`save_f16`],
//!   [`load`]), the weights shipped with the app, and the weight-space [`blend`] of two
//!   networks;
//! - `tests.rs` and `gpu_tests.rs` (feature `gpu`, on native wgpu): the tests.

mod file;
mod forecast;
mod net;
mod train;
mod windows;

#[cfg(all(test, feature = "gpu", not(target_arch = "wasm32")))]
mod gpu_tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

#[cfg(not(target_arch = "wasm32"))]
pub use file::shipped;
pub use file::{PretrainedMeta, blend, load, save, save_f16};
pub use forecast::{Request, global_forecasts, predict};
pub use net::{DemandNet, MixerBlock, PretrainedConfig, masked_pinball, parameters};
pub use train::{PretrainProgress, PretrainSettings, finetune, train, valid_loss};
pub use windows::{Encoded, WindowRefs, WindowSource, finetune_windows, validation_windows};

/// The quantile levels the pretrained model outputs.
pub const LEVELS: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// Features per context period: arcsinh of the scaled value, a zero-sale flag, and
/// whether the period is observed (1) or padding before the series began (0).
const STEP_FEATURES: usize = 3;
/// Features per window besides the context: the frequency one-hot and the share of
/// the context that is observed.
const WINDOW_FEATURES: usize = 5;
