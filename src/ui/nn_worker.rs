//! The neural worker (a separate wasm, loaded only when the merchant trains a model, so
//! that Burn never weighs on the first screen): picks the device, trains a global model
//! with per-epoch progress, and returns its forecasts from every backtest origin for the
//! automatic choice, plus the model file.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::jobs::{NnProgress, NnRequest, NnResult};
use super::protocol::{NnCommand, NnReply};
use crate::data::Dataset;
use crate::forecast::global::GlobalForecasts;
use crate::nn::corpus::FreqCode;
use crate::nn::data::NnSeries;
use crate::nn::device::{self, Choice};
use crate::nn::models::Kind;
use crate::nn::pretrained::{self, PretrainProgress, PretrainSettings, PretrainedMeta};
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
                reply(&scope, &NnReply::Failed(msg), None);
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    reply(&scope, &NnReply::Ready, None);
}

fn reply(scope: &DedicatedWorkerGlobalScope, r: &NnReply, payload: Option<&[u8]>) {
    let payload = payload.map(Uint8Array::from);
    let (o, transfer) = super::protocol::envelope(r, payload.as_ref());
    let _ = scope.post_message_with_transfer(&o, &transfer);
}

/// An epoch report as the page reads it.
fn report_of(p: &Progress) -> NnProgress {
    NnProgress {
        epoch: p.epoch,
        epochs: p.epochs,
        step: p.step,
        train_loss: p.train_loss,
        valid_loss: p.valid_loss,
        best_loss: p.best_loss,
        windows_per_s: p.windows_per_s,
        elapsed_s: p.elapsed_s,
    }
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

thread_local! {
    /// Set by a "stop" message: training stops at its next report, keeping the best
    /// weights so far.
    static STOP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Fetches the shipped pretrained weights (cached by the browser like any asset).
async fn fetch_weights() -> Result<Vec<u8>, String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let resp = JsFuture::from(scope.fetch_with_str("./pretrained.sct"))
        .await
        .map_err(|e| format!("cannot fetch the pretrained weights: {e:?}"))?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!(
            "cannot fetch the pretrained weights: HTTP {}",
            resp.status()
        ));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("cannot read the pretrained weights: {e:?}"))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// What the merchant is told when a model cannot be scored on this data.
fn scorable_note(g: &GlobalForecasts, series: &[NnSeries]) -> String {
    let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
    if g.scorable(&dates) == 0 {
        match g.fitted_through {
            Some(d) if d == chrono::NaiveDate::MAX => format!(
                " {} does not record which periods it was trained on, so it is not backtested and cannot be chosen; train it again with this version.",
                g.name
            ),
            Some(d) => format!(
                " It was trained on this data through {d}, so no backtest period is new to it: it is not scored on periods it saw and cannot be chosen (its forecasts need backtests after {d})."
            ),
            None => String::new(),
        }
    } else {
        String::new()
    }
}

fn progress_of(p: &PretrainProgress, k: usize, reports: usize, best: f64) -> NnProgress {
    NnProgress {
        epoch: k,
        epochs: reports,
        step: p.step,
        train_loss: p.train_loss,
        valid_loss: p.valid_loss,
        best_loss: best,
        windows_per_s: p.windows_per_s,
        elapsed_s: p.elapsed_s,
    }
}

async fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) -> Result<(), String> {
    // A command that does not decode is reported, never run with defaults.
    let (command, payload) = super::protocol::open::<NnCommand>(data)
        .map_err(|e| format!("the job could not be read: {e}"))?;
    let req: NnRequest = match command {
        NnCommand::Stop => {
            STOP.with(|s| s.set(true));
            return Ok(());
        }
        NnCommand::Train(req) => {
            STOP.with(|s| s.set(false));
            req
        }
    };
    let ds = Dataset::from_bytes(&payload).map_err(|e| e.to_string())?;
    let choice =
        Choice::parse(&req.device).ok_or_else(|| format!("unknown device {}", req.device))?;
    let (dev, label, on_gpu) = pick(choice).await?;
    reply(scope, &NnReply::Device(label.clone()), None);
    let is_scenario_file = req
        .model
        .as_deref()
        .is_some_and(crate::nn::scenario::is_model_file);
    if req.kind == "autoencoder" {
        return autoencoder_job(scope, &req, &ds, dev, label).await;
    }
    if req.kind == "scenario-vae" || is_scenario_file {
        return scenario_job(scope, &req, &ds, dev, label, on_gpu).await;
    }
    let series = NnSeries::from_dataset(&ds, req.backtest.h);
    let bt = req.backtest;
    let freq = FreqCode::of(ds.frequency());
    let stopped = || STOP.with(|s| s.get());
    let (candidates, history, model, name, note) = match (&req.model, req.kind.as_str()) {
        (Some(bytes), _) if bytes.starts_with(b"SCPT") => {
            let (net, meta) = pretrained::load(bytes, &dev).map_err(|e| e.to_string())?;
            let name = "pretrained-ft (saved)".to_string();
            let g = pretrained::global_forecasts(
                &net,
                &meta.config,
                &name,
                &series,
                freq,
                &bt,
                meta.fitted_through,
                &dev,
            )
            .await
            .map_err(|e| e.to_string())?;
            let note = scorable_note(&g, &series);
            (g, Vec::new(), bytes.clone(), name, note)
        }
        (Some(bytes), _) => {
            let (net, meta) = train::load(bytes, &dev).map_err(|e| e.to_string())?;
            meta.check_fits(bt.h, ds.period_days())
                .map_err(|e| e.to_string())?;
            let name = format!("{} (saved)", meta.config.kind.name());
            let mut g =
                train::forecasts_from(&net, &meta.config, &series, &bt, meta.fitted_through, &dev)
                    .await
                    .map_err(|e| e.to_string())?;
            g.name = name.clone();
            let note = scorable_note(&g, &series);
            (g, Vec::new(), bytes.clone(), name, note)
        }
        (None, "pretrained") => {
            let weights = fetch_weights().await?;
            let (net, meta) = pretrained::load(&weights, &dev).map_err(|e| e.to_string())?;
            let g = pretrained::global_forecasts(
                &net,
                &meta.config,
                "pretrained",
                &series,
                freq,
                &bt,
                None,
                &dev,
            )
            .await
            .map_err(|e| e.to_string())?;
            (
                g,
                Vec::new(),
                Vec::new(),
                "pretrained".to_string(),
                String::new(),
            )
        }
        (None, "pretrained-ft") => {
            // Fine-tuned on all but the backtest periods, so that the choice scores it
            // on periods it never saw.
            let cut = bt.windows * bt.h;
            // Continue from weights fine-tuned before (newer sales were added) when they
            // saw nothing of this data's backtest periods; else the shipped weights.
            let first_backtest = ds
                .periods
                .len()
                .checked_sub(cut)
                .and_then(|i| ds.periods.get(i))
                .copied();
            let mut continued = None;
            if let Some(b) = &req.init
                && let Ok((net, meta)) = pretrained::load(b, &dev)
                && meta
                    .fitted_through
                    .zip(first_backtest)
                    .is_some_and(|(f, b)| f < b)
            {
                continued = Some((net, meta));
            }
            let from_saved = continued.is_some();
            let (net, meta) = match continued {
                Some(x) => x,
                None => {
                    let weights = fetch_weights().await?;
                    pretrained::load(&weights, &dev).map_err(|e| e.to_string())?
                }
            };
            let train_set: Vec<NnSeries> = series.iter().map(|s| s.truncated(cut)).collect();
            let steps = req.epochs.max(1) * 10;
            let st = PretrainSettings {
                steps,
                batch: 64,
                lr: 1e-4,
                seed: 7,
                report_every: 10,
            };
            let reports = req.epochs.max(1);
            let mut history: Vec<NnProgress> = Vec::new();
            let mut on_report = |p: &PretrainProgress, _: &pretrained::DemandNet| {
                let best = history
                    .iter()
                    .map(|h| h.valid_loss)
                    .fold(p.valid_loss, f64::min);
                let np = progress_of(p, history.len() + 1, reports, best);
                history.push(np);
                reply(scope, &NnReply::Epoch(np), None);
                !stopped()
            };
            let (tuned, _, through) = pretrained::finetune(
                net,
                &meta.config,
                &train_set,
                freq,
                bt.h,
                &st,
                &dev,
                &mut on_report,
                yield_now,
            )
            .await
            .map_err(|e| e.to_string())?;
            let name = "pretrained-ft".to_string();
            let g = pretrained::global_forecasts(
                &tuned,
                &meta.config,
                &name,
                &series,
                freq,
                &bt,
                through,
                &dev,
            )
            .await
            .map_err(|e| e.to_string())?;
            let best = history
                .iter()
                .map(|p| p.valid_loss)
                .fold(f64::INFINITY, f64::min);
            let mut provenance = meta.provenance.clone();
            provenance.push(format!(
                "fine-tuned in the browser{} on {} ({} series through {}) for {} steps on {label}",
                if from_saved {
                    ", continuing from the saved fine-tuned weights,"
                } else {
                    ""
                },
                ds.name,
                train_set.len(),
                through.map(|d| d.to_string()).unwrap_or_default(),
                history.last().map_or(0, |p| p.step)
            ));
            let new_meta = PretrainedMeta {
                config: meta.config.clone(),
                provenance,
                fitted_through: through,
                steps: meta.steps + history.last().map_or(0, |p| p.step),
                valid_loss: best,
            };
            // On WebGPU the weights are read back asynchronously onto the CPU first.
            let cpu_net = if on_gpu {
                crate::nn::to_cpu_async(&tuned, meta.config.init(&device::cpu()))
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                tuned
            };
            let model = pretrained::save(&cpu_net, &new_meta).map_err(|e| e.to_string())?;
            let note = if from_saved {
                "continued from the fine-tuned model saved before".to_string()
            } else if req.init.is_some() {
                "started again from the shipped weights: the saved fine-tuned model had seen periods this data keeps for its backtests".to_string()
            } else {
                String::new()
            };
            (g, history, model, name, note)
        }
        (None, kind_name) => {
            let kind =
                Kind::parse(kind_name).ok_or_else(|| format!("unknown model {kind_name}"))?;
            let config = crate::nn::bench::default_config(kind, bt.h);
            let tc = TrainConfig {
                epochs: req.epochs.max(1),
                ..TrainConfig::default()
            };
            let mut on_epoch = |p: &Progress| {
                reply(scope, &NnReply::Epoch(report_of(p)), None);
                !stopped()
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
            let (g, trained) = run.await.map_err(|e| e.to_string())?;
            let meta = ModelMeta {
                config: config.clone(),
                period_days: ds.period_days(),
                series: series.len(),
                valid_loss: trained
                    .history
                    .iter()
                    .map(|p| p.valid_loss)
                    .fold(f64::INFINITY, f64::min),
                epochs: trained.history.len(),
                fitted_through: g.fitted_through,
            };
            // On WebGPU the weights are read back asynchronously onto the CPU first.
            let net = if on_gpu {
                crate::nn::to_cpu_async(&trained.net, config.init(&device::cpu()))
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                trained.net.clone()
            };
            let model = train::save(&net, &meta).map_err(|e| e.to_string())?;
            (
                g,
                trained.history.iter().map(report_of).collect(),
                model,
                kind.name().to_string(),
                String::new(),
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
        note,
        candidates,
        history,
        model,
        device: label,
        name,
        scenarios: Vec::new(),
        anomalies: Vec::new(),
        wasm_memory_mb,
    };
    let bytes = postcard::to_allocvec(&result).map_err(|e| e.to_string())?;
    reply(scope, &NnReply::Done, Some(&bytes));
    Ok(())
}

/// The neural worker's WebAssembly memory (MB): linear memory only grows, so this is
/// its peak.
fn wasm_memory_mb() -> f64 {
    let memory = wasm_bindgen::memory();
    Reflect::get(&memory, &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
        / 1e6
}

/// Trains the generative scenario model on the shop (or loads a saved one) and
/// answers with its path ranks for every SKU.
async fn scenario_job(
    scope: &DedicatedWorkerGlobalScope,
    req: &NnRequest,
    ds: &Dataset,
    dev: burn::tensor::Device,
    label: String,
    on_gpu: bool,
) -> Result<(), String> {
    use crate::forecast::scenarios::Ranks;
    use crate::nn::scenario::{self, VaeMeta};
    const PATHS: usize = 100;
    let h = req.backtest.h;
    let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
    let (model, config, history, bytes, name) = match &req.model {
        Some(bytes) => {
            let (m, meta) = scenario::load(bytes, &dev).map_err(|e| e.to_string())?;
            if meta.config.horizon != h {
                return Err(format!(
                    "this scenario model generates {} periods, the forecast needs {h}: train one for this horizon",
                    meta.config.horizon
                ));
            }
            (
                m,
                meta.config,
                Vec::new(),
                bytes.clone(),
                "scenario-vae (saved)".to_string(),
            )
        }
        None => {
            let (trained, history) = train_scenario_net(scope, &ys, h, req.epochs, &dev).await?;
            let best = history
                .iter()
                .map(|p| p.valid_loss)
                .fold(f64::INFINITY, f64::min);
            let meta = VaeMeta {
                config: trained.config.clone(),
                period_days: ds.period_days(),
                valid_loss: best,
                provenance: format!(
                    "trained in the browser on {} ({} series) for {} steps on {label}",
                    ds.name,
                    ys.len(),
                    history.last().map_or(0, |p| p.step)
                ),
            };
            // On WebGPU the weights are read back asynchronously onto the CPU first.
            let cpu = if on_gpu {
                crate::nn::to_cpu_async(&trained.model, trained.config.init(&device::cpu()))
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                trained.model.clone()
            };
            let bytes = scenario::save(&cpu, &meta).map_err(|e| e.to_string())?;
            (
                trained.model,
                trained.config,
                history,
                bytes,
                "scenario-vae".to_string(),
            )
        }
    };
    let paths = scenario::generate(&model, &config, &ys, PATHS, 1, &dev)
        .await
        .map_err(|e| e.to_string())?;
    let scenarios: Vec<Option<Ranks>> = paths.iter().map(|p| Ranks::of(p)).collect();
    let result = NnResult {
        note: String::new(),
        candidates: GlobalForecasts {
            name: name.clone(),
            fitted_through: None,
            per_series: Vec::new(),
            own_quantiles: Vec::new(),
        },
        history,
        model: bytes,
        device: label,
        name,
        scenarios,
        anomalies: Vec::new(),
        wasm_memory_mb: wasm_memory_mb(),
    };
    let bytes = postcard::to_allocvec(&result).map_err(|e| e.to_string())?;
    reply(scope, &NnReply::Done, Some(&bytes));
    Ok(())
}

/// Trains the scenario network on the shop (as it was loaded: anomalies and all) and
/// flags the periods it reconstructs worst for their SKU ([`crate::anomaly::from_reconstruction`]).
async fn autoencoder_job(
    scope: &DedicatedWorkerGlobalScope,
    req: &NnRequest,
    ds: &Dataset,
    dev: burn::tensor::Device,
    label: String,
) -> Result<(), String> {
    use crate::nn::scenario;
    let h = req.backtest.h.clamp(1, 28);
    let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
    let (trained, history) = train_scenario_net(scope, &ys, h, req.epochs, &dev).await?;
    let recon = scenario::reconstruction(&trained.model, &trained.config, &ys, &dev)
        .await
        .map_err(|e| e.to_string())?;
    let z = crate::anomaly::Settings::default().autoencoder_z;
    let anomalies = crate::anomaly::from_reconstruction(ds, &recon, z, &[]);
    let result = NnResult {
        note: String::new(),
        candidates: GlobalForecasts {
            name: "autoencoder".into(),
            fitted_through: None,
            per_series: Vec::new(),
            own_quantiles: Vec::new(),
        },
        history,
        model: Vec::new(),
        device: label,
        name: "autoencoder".into(),
        scenarios: Vec::new(),
        anomalies,
        wasm_memory_mb: wasm_memory_mb(),
    };
    let bytes = postcard::to_allocvec(&result).map_err(|e| e.to_string())?;
    reply(scope, &NnReply::Done, Some(&bytes));
    Ok(())
}

/// Trains the scenario network on `ys` (the last `h` periods of each held out), one
/// progress report to the page per tenth, Stop honoured: 75 steps an "epoch", so the
/// default 20 train for about 1,500 steps.
async fn train_scenario_net(
    scope: &DedicatedWorkerGlobalScope,
    ys: &[&[f64]],
    h: usize,
    epochs: usize,
    dev: &burn::tensor::Device,
) -> Result<(crate::nn::scenario::TrainedVae, Vec<NnProgress>), String> {
    use crate::nn::scenario::{self, VaeConfig};
    let config = VaeConfig::new(h).with_steps(epochs.max(1) * 75);
    let mut history: Vec<NnProgress> = Vec::new();
    let mut on_report = |p: &scenario::VaeProgress| {
        let best = history
            .iter()
            .map(|x| x.valid_loss)
            .fold(p.valid_loss, f64::min);
        let np = NnProgress {
            epoch: p.report,
            epochs: 10,
            step: p.step,
            train_loss: p.train_loss,
            valid_loss: p.valid_loss,
            best_loss: best,
            windows_per_s: p.windows_per_s,
            elapsed_s: p.elapsed_s,
        };
        history.push(np);
        reply(scope, &NnReply::Epoch(np), None);
        !STOP.with(|s| s.get())
    };
    let trained = scenario::train(config, ys, h, dev, &mut on_report, yield_now)
        .await
        .map_err(|e| e.to_string())?;
    Ok((trained, history))
}
