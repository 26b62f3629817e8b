//! The Web Worker side: receives a job (load a file, forecast a dataset, plan
//! replenishment, allocate, rebalance, route), runs it with
//! the core and posts progress and the result back. Nothing here touches the page.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::data::{self, DataError, Dataset, LoadOptions};
use crate::forecast::backtest::BacktestConfig;
use crate::forecast::run;
use crate::inventory::plan::PlanRequest;

/// Sets up the message handler and tells the page the worker is ready.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let s2 = scope.clone();
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| handle(&s2, &e.data()));
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&message("ready"));
}

/// A message object `{kind}`.
pub(crate) fn message(kind: &str) -> Object {
    let o = Object::new();
    let _ = Reflect::set(&o, &"kind".into(), &kind.into());
    o
}

fn post_bytes(
    scope: &DedicatedWorkerGlobalScope,
    kind: &str,
    field: &str,
    bytes: &[u8],
    elapsed_ms: f64,
) {
    let o = message(kind);
    let _ = Reflect::set(&o, &"elapsed_ms".into(), &JsValue::from_f64(elapsed_ms));
    let arr = Uint8Array::from(bytes);
    let _ = Reflect::set(&o, &field.into(), &arr);
    let _ = scope.post_message_with_transfer(&o, &Array::of1(&arr.buffer()));
}

fn post_progress(scope: &DedicatedWorkerGlobalScope, f: f64) {
    let o = message("progress");
    let _ = Reflect::set(&o, &"value".into(), &JsValue::from_f64(f));
    let _ = scope.post_message(&o);
}

/// Reports a request the worker cannot read: the page shows it, the job does not run
/// with defaults in its place.
fn post_unreadable(scope: &DedicatedWorkerGlobalScope, what: &str, e: impl std::fmt::Display, ms: f64) {
    post_bytes(
        scope,
        "error",
        "error",
        &postcard::to_allocvec(&DataError::Stored(format!("{what} could not be read: {e}")))
            .unwrap_or_default(),
        ms,
    );
}

fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) {
    let get = |k: &str| Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let now = || scope.performance().map(|p| p.now()).unwrap_or(0.0);
    let t0 = now();
    let bytes = Uint8Array::new(&get("bytes")).to_vec();
    match get("kind").as_string().as_deref() {
        Some("load") => {
            let file = get("file").as_string().unwrap_or_else(|| "upload".into());
            let opts: LoadOptions = match postcard::from_bytes(&Uint8Array::new(&get("opts")).to_vec()) {
                Ok(o) => o,
                Err(e) => return post_unreadable(scope, "the loading options", e, now() - t0),
            };
            let mut last = -1.0_f32;
            let mut progress = |f: f32| {
                if f - last >= 0.02 || f >= 1.0 {
                    last = f;
                    post_progress(scope, f64::from(f));
                }
            };
            match data::load(&file, &bytes, &opts, &mut progress) {
                Ok(ds) => post_bytes(scope, "done", "dataset", &ds.to_bytes(), now() - t0),
                Err(e) => post_bytes(
                    scope,
                    "error",
                    "error",
                    &postcard::to_allocvec(&e).unwrap_or_default(),
                    now() - t0,
                ),
            }
        }
        Some("forecast") => {
            let config: BacktestConfig = match postcard::from_bytes(&Uint8Array::new(&get("config")).to_vec()) {
                Ok(c) => c,
                Err(e) => return post_unreadable(scope, "the forecast settings", e, now() - t0),
            };
            let ds = match Dataset::from_bytes(&bytes) {
                Ok(ds) => ds,
                Err(e) => {
                    return post_bytes(
                        scope,
                        "error",
                        "error",
                        &postcard::to_allocvec(&e).unwrap_or_default(),
                        now() - t0,
                    );
                }
            };
            let mut last = t0;
            let mut progress = |done: usize, total: usize| {
                // At most ~20 messages a second: the page only redraws a bar.
                let t = now();
                if t - last >= 50.0 || done == total {
                    last = t;
                    post_progress(scope, done as f64 / total.max(1) as f64);
                }
                true
            };
            let globals: Vec<crate::forecast::global::GlobalForecasts> =
                match postcard::from_bytes(&Uint8Array::new(&get("globals")).to_vec()) {
                    Ok(g) => g,
                    Err(e) => {
                        return post_bytes(
                            scope,
                            "error",
                            "error",
                            &postcard::to_allocvec(&DataError::Stored(format!(
                                "the global models' forecasts could not be read: {e}"
                            )))
                            .unwrap_or_default(),
                            now() - t0,
                        );
                    }
                };
            let mut result = run::forecast_dataset_with(&ds, config, &globals, &mut progress);
            result.seconds = (now() - t0) / 1000.0;
            post_bytes(scope, "done", "run", &result.to_bytes(), now() - t0);
        }
        Some("plan") => {
            let Some(req) = PlanRequest::from_bytes(&bytes) else {
                return post_bytes(
                    scope,
                    "error",
                    "error",
                    &postcard::to_allocvec(&DataError::Stored(
                        "the planning request could not be read".into(),
                    ))
                    .unwrap_or_default(),
                    now() - t0,
                );
            };
            let mut last = t0;
            let mut progress = |done: usize, total: usize| {
                let t = now();
                if t - last >= 50.0 || done == total {
                    last = t;
                    post_progress(scope, done as f64 / total.max(1) as f64);
                }
                true
            };
            let mut plan = req.run(&mut progress);
            plan.seconds = (now() - t0) / 1000.0;
            post_bytes(scope, "done", "plan", &plan.to_bytes(), now() - t0);
        }
        Some("logistics") => {
            let outcome: Result<crate::logistics::Outcome, String> =
                match postcard::from_bytes::<crate::logistics::Request>(&bytes) {
                    Err(e) => Err(format!("the logistics request could not be read: {e}")),
                    Ok(req) => {
                        let mut partial = |f: f64, o: &crate::logistics::Outcome| {
                            post_progress(scope, f);
                            let ok: Result<&crate::logistics::Outcome, String> = Ok(o);
                            post_bytes(
                                scope,
                                "partial",
                                "partial",
                                &postcard::to_allocvec(&ok).unwrap_or_default(),
                                now() - t0,
                            );
                        };
                        crate::logistics::run(&req, &mut partial).map_err(|e| e.to_string())
                    }
                };
            post_bytes(
                scope,
                "done",
                "outcome",
                &postcard::to_allocvec(&outcome).unwrap_or_default(),
                now() - t0,
            );
        }
        other => post_unreadable(
            scope,
            "the job",
            format_args!("unknown kind {:?}", other.unwrap_or("(none)")),
            now() - t0,
        ),
    }
}
