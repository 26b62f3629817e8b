//! The neural worker (a separate wasm, loaded only when the merchant trains a model, so
//! that Burn never weighs on the first screen): picks the device, trains a global model
//! with per-epoch progress, and returns its forecasts from every backtest origin for the
//! automatic choice, plus the model file.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::jobs::{NnProgress, NnRequest, NnResult};
use crate::data::Dataset;
use crate::forecast::models::Precomputed;
use crate::nn::data::NnSeries;
use crate::nn::device::{self, Choice};
use crate::nn::models::Kind;
use crate::nn::train::{self, ModelMeta, Progress, TrainConfig};

/// Sets up the handler and says ready.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let s2 = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let scope = s2.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(msg) = handle(&scope, &e.data()).await {
                let o = super::worker::message("error_text");
                let _ = Reflect::set(&o, &"text".into(), &msg.into());
                let _ = scope.post_message(&o);
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&super::worker::message("ready"));
}

fn post(scope: &DedicatedWorkerGlobalScope, kind: &str, fields: &[(&str, JsValue)]) {
    let o: Object = super::worker::message(kind);
    for (k, v) in fields {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    let _ = scope.post_message(&o);
}

/// Lets the worker's event loop run (messages out get delivered while training).
async fn yield_now() {
    let p = Promise::new(&mut |resolve, _| {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(p).await;
}

/// The WebGPU adapter's description and whether it is software, without initialising
/// Burn on it.
async fn adapter() -> Option<(String, bool)> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gpu = Reflect::get(&nav, &"gpu".into())
        .ok()
        .filter(|g| !g.is_undefined())?;
    let request = Reflect::get(&gpu, &"requestAdapter".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let adapter = JsFuture::from(request.call0(&gpu).ok()?.dyn_into::<Promise>().ok()?)
        .await
        .ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| {
        Reflect::get(&info, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let name = [
        field("vendor"),
        field("architecture"),
        field("device"),
        field("description"),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    let fallback = Reflect::get(&adapter, &"isFallbackAdapter".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
        || Reflect::get(&info, &"isFallbackAdapter".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    let software = fallback || device::is_software("", &name);
    Some((
        if name.is_empty() {
            "unnamed adapter".into()
        } else {
            name
        },
        software,
    ))
}

async fn pick(choice: Choice) -> Result<(burn::tensor::Device, String, bool), String> {
    let found = adapter().await;
    let use_gpu = match (&choice, &found) {
        (Choice::Cpu, _) => false,
        (Choice::Gpu, Some(_)) => true,
        (Choice::Gpu, None) => return Err("this browser offers no WebGPU adapter".into()),
        (Choice::Auto, Some((_, software))) => !software,
        (Choice::Auto, None) => false,
    };
    if use_gpu {
        let dev = device::webgpu().await.map_err(|e| e.to_string())?;
        let name = found.map(|f| f.0).unwrap_or_default();
        return Ok((dev, format!("WebGPU: {name}"), true));
    }
    let why = match (&choice, &found) {
        (Choice::Cpu, _) => "as asked".to_string(),
        (_, Some((name, true))) => {
            format!("the only WebGPU adapter ({name}) is a software renderer")
        }
        _ => "no WebGPU adapter in this browser".to_string(),
    };
    Ok((device::cpu(), format!("CPU: {why}"), false))
}

async fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) -> Result<(), String> {
    let get = |k: &str| Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if get("kind").as_string().as_deref() != Some("train") {
        return Ok(());
    }
    let req: NnRequest = postcard::from_bytes(&Uint8Array::new(&get("request")).to_vec())
        .map_err(|e| format!("bad request: {e}"))?;
    let ds =
        Dataset::from_bytes(&Uint8Array::new(&get("bytes")).to_vec()).map_err(|e| e.to_string())?;
    let choice =
        Choice::parse(&req.device).ok_or_else(|| format!("unknown device {}", req.device))?;
    let kind = Kind::parse(&req.kind).ok_or_else(|| format!("unknown model {}", req.kind))?;
    let (dev, label, on_gpu) = pick(choice).await?;
    post(scope, "device", &[("text", label.clone().into())]);
    let series = NnSeries::from_dataset(&ds, req.backtest.h);
    let bt = req.backtest;
    let (candidates, history, model, name) = match &req.model {
        Some(bytes) => {
            let (net, meta) = train::load(bytes, &dev).map_err(|e| e.to_string())?;
            if meta.config.horizon < bt.h {
                return Err(format!(
                    "the saved {} model forecasts {} periods; the forecast asks for {}",
                    meta.config.kind.name(),
                    meta.config.horizon,
                    bt.h
                ));
            }
            let mut at = Vec::new();
            for (i, s) in series.iter().enumerate() {
                let n = s.values.len();
                for o in crate::forecast::backtest::origins(n, &bt)
                    .into_iter()
                    .chain([n])
                {
                    at.push((i, o));
                }
            }
            let q = train::predict_at(&net, &meta.config, &series, &at, &dev)
                .await
                .map_err(|e| e.to_string())?;
            let name = format!("{} (saved)", meta.config.kind.name());
            let mut per: Vec<Precomputed> = series
                .iter()
                .map(|_| Precomputed {
                    name: name.clone(),
                    by_origin: Vec::new(),
                })
                .collect();
            for ((i, o), [_, p50, _]) in at.into_iter().zip(q) {
                per[i].by_origin.push((o, p50[..bt.h].to_vec()));
            }
            (per, Vec::new(), bytes.clone(), name)
        }
        None => {
            let config = crate::nn::bench::default_config(kind, bt.h);
            let tc = TrainConfig {
                epochs: req.epochs.max(1),
                ..TrainConfig::default()
            };
            let mut on_epoch = |p: &Progress| {
                let bytes = postcard::to_allocvec(p).unwrap_or_default();
                post(
                    scope,
                    "epoch",
                    &[("progress", Uint8Array::from(bytes.as_slice()).into())],
                );
                true
            };
            let run = train::candidates_yielding(
                config.clone(),
                &series,
                &bt,
                &tc,
                &dev,
                &mut on_epoch,
                yield_now,
            );
            let (per, trained) = run.await.map_err(|e| e.to_string())?;
            // Weights on WebGPU cannot be read back synchronously for the record.
            let model = if on_gpu {
                Vec::new()
            } else {
                let meta = ModelMeta {
                    config,
                    period_days: ds.period_days(),
                    series: series.len(),
                    valid_loss: trained
                        .history
                        .iter()
                        .map(|p| p.valid_loss)
                        .fold(f64::INFINITY, f64::min),
                    epochs: trained.history.len(),
                };
                train::save(&trained.net, &meta).map_err(|e| e.to_string())?
            };
            (
                per,
                trained
                    .history
                    .iter()
                    .map(|p| NnProgress {
                        epoch: p.epoch,
                        epochs: p.epochs,
                        step: p.step,
                        train_loss: p.train_loss,
                        valid_loss: p.valid_loss,
                        best_loss: p.best_loss,
                        windows_per_s: p.windows_per_s,
                        elapsed_s: p.elapsed_s,
                    })
                    .collect(),
                model,
                kind.name().to_string(),
            )
        }
    };
    let memory = wasm_bindgen::memory();
    let wasm_memory_mb = Reflect::get(&memory, &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
        / 1e6;
    let result = NnResult {
        candidates,
        history,
        model,
        device: label,
        name,
        wasm_memory_mb,
    };
    let bytes = postcard::to_allocvec(&result).map_err(|e| e.to_string())?;
    let arr = Uint8Array::from(bytes.as_slice());
    let o = super::worker::message("done");
    let _ = Reflect::set(&o, &"result".into(), &arr);
    let _ = scope.post_message_with_transfer(&o, &Array::of1(&arr.buffer()));
    Ok(())
}
