//! The page ↔ worker protocol: one postcard-encoded enum each way ([`Request`],
//! [`Reply`]) and, beside it, the job's large payload (a file, a dataset, a plan, a
//! result) as a transferred buffer, so that a 45 MB export is not copied through the
//! page's wasm memory on its way. A message that does not decode is an error shown to
//! the merchant, never a job run with defaults.

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::jobs::{NnProgress, NnRequest};
use crate::data::{DataError, LoadOptions};
use crate::forecast::backtest::BacktestConfig;
use crate::forecast::global::GlobalForecasts;

/// What the page asks the worker for; the payload travels beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Read a file into a dataset (payload: the file's bytes).
    Load {
        /// The file's name, for messages.
        file: String,
        /// Format, columns, frequency, cleaning choices.
        opts: LoadOptions,
    },
    /// Forecast every SKU (payload: the dataset's bytes).
    Forecast {
        /// Horizon, backtest windows, season.
        config: BacktestConfig,
        /// The global models' forecasts among every SKU's candidates.
        globals: Vec<GlobalForecasts>,
        /// The scenario model's path ranks per SKU (dataset order; empty without it),
        /// for `config.scenarios` = generative.
        scenarios: Vec<Option<crate::forecast::scenarios::Ranks>>,
    },
    /// One worker's share of a forecast split across workers, first step: the
    /// backtests of the SKUs `part.0..part.1` (payload: the dataset's bytes; answer:
    /// [`crate::forecast::select::Backtests`]).
    ForecastBacktest {
        /// Horizon, backtest windows, season.
        config: BacktestConfig,
        /// The global models' forecasts among every SKU's candidates.
        globals: Vec<GlobalForecasts>,
        /// First and past-the-last SKU index.
        part: (u32, u32),
    },
    /// Second step: the forecasts of the SKUs `part.0..part.1` from every part's
    /// backtests (payload: [`FinishPayload`]; answer: the part's
    /// [`crate::forecast::run::SkuForecast`]s).
    ForecastFinish {
        /// Horizon, backtest windows, season.
        config: BacktestConfig,
        /// The global models' forecasts among every SKU's candidates.
        globals: Vec<GlobalForecasts>,
        /// The scenario model's path ranks per SKU (dataset order; empty without it).
        scenarios: Vec<Option<crate::forecast::scenarios::Ranks>>,
        /// First and past-the-last SKU index.
        part: (u32, u32),
    },
    /// Flag the anomalies of a dataset (payload: the dataset's bytes).
    Anomalies,
    /// Plan replenishment (payload: the encoded plan request).
    Plan,
    /// Plan the SKUs `part.0..part.1` of a request only (one worker's share; payload:
    /// the encoded plan request; answer: [`crate::inventory::plan::Planned`]).
    PlanPart {
        /// First and past-the-last SKU index.
        part: (u32, u32),
    },
    /// Plan as it is and with a what-if, on the same paths (payload: the encoded plan
    /// request).
    WhatIf(crate::inventory::whatif::WhatIf),
    /// Allocate, rebalance or route (payload: the encoded logistics request).
    Logistics,
}

/// What the worker answers; results travel as the payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// The worker's handler is installed: the page may send its request.
    Ready,
    /// Fraction done.
    Progress(f64),
    /// The best result so far of a job that improves it (payload).
    Partial,
    /// The result (payload), and how long the worker took (ms).
    Done {
        /// Milliseconds in the worker.
        elapsed_ms: f64,
    },
    /// The input could not be used.
    Failed(DataError),
}

/// A loaded file, as the worker answers a [`Request::Load`]: the dataset's bytes and,
/// for an order-line file, its order-line anomalies (found from the lines, which only
/// exist while the file is read).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Loaded {
    /// [`crate::data::Dataset::to_bytes`].
    pub dataset: Vec<u8>,
    /// Extreme order lines and one-off buyers' peaks.
    pub orders: Vec<crate::anomaly::Anomaly>,
    /// Price elasticities from the order lines' prices (empty without prices).
    pub elasticities: Vec<crate::pricing::Elasticity>,
}

/// The payload of [`Request::ForecastFinish`]: the dataset and every part's backtests,
/// merged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinishPayload {
    /// [`crate::data::Dataset::to_bytes`].
    pub dataset: Vec<u8>,
    /// Every SKU's backtests, in dataset order.
    pub backtests: crate::forecast::select::Backtests,
}

/// What the page asks the neural worker for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum NnCommand {
    /// Train (or forecast with a saved or the pretrained model; payload: the dataset's
    /// bytes).
    Train(NnRequest),
    /// Stop at the next report and finish with the best weights so far.
    Stop,
}

/// What the neural worker answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum NnReply {
    /// The handler is installed.
    Ready,
    /// The device chosen, in words.
    Device(String),
    /// An epoch (or a fine-tuning report) finished.
    Epoch(NnProgress),
    /// The result (payload: the encoded `NnResult`).
    Done,
    /// The job failed, in words.
    Failed(String),
}

/// A message as it crosses: `{message: Uint8Array, payload?: Uint8Array}`, with the
/// payload's buffer in the transfer list.
pub fn envelope(message: &impl Serialize, payload: Option<&Uint8Array>) -> (Object, Array) {
    let o = Object::new();
    let bytes = postcard::to_allocvec(message).unwrap_or_default();
    let _ = Reflect::set(&o, &"message".into(), &Uint8Array::from(bytes.as_slice()));
    let transfer = Array::new();
    if let Some(p) = payload {
        let _ = Reflect::set(&o, &"payload".into(), p);
        transfer.push(&p.buffer());
    }
    (o, transfer)
}

/// Opens an envelope: the message, and the payload's bytes (empty without one).
pub fn open<T: DeserializeOwned>(data: &JsValue) -> Result<(T, Vec<u8>), String> {
    let field = |k: &str| Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let message = field("message");
    if !message.is_instance_of::<Uint8Array>() {
        return Err("not a supplycast message".into());
    }
    let message: T = postcard::from_bytes(&Uint8Array::new(&message).to_vec())
        .map_err(|e| format!("the message could not be decoded: {e}"))?;
    let payload = field("payload");
    let payload = if payload.is_instance_of::<Uint8Array>() {
        Uint8Array::new(&payload).to_vec()
    } else {
        Vec::new()
    };
    Ok((message, payload))
}
