//! The Web Worker side: receives a job (load a file, flag anomalies, forecast a dataset, plan
//! replenishment, allocate, rebalance, route) as a [`Request`], runs it with the core
//! and posts progress and the result back as [`Reply`]s. Nothing here touches the page.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{self, Reply, Request};
use crate::data::{DataError, Dataset};
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
    post(&scope, &Reply::Ready, None);
}

fn post(scope: &DedicatedWorkerGlobalScope, reply: &Reply, payload: Option<&[u8]>) {
    let payload = payload.map(Uint8Array::from);
    let (o, transfer) = protocol::envelope(reply, payload.as_ref());
    let _ = scope.post_message_with_transfer(&o, &transfer);
}

fn failed(scope: &DedicatedWorkerGlobalScope, e: DataError) {
    post(scope, &Reply::Failed(e), None);
}

fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) {
    let now = || scope.performance().map(|p| p.now()).unwrap_or(0.0);
    let t0 = now();
    // A request that does not decode is reported, never run with defaults.
    let (request, bytes) = match protocol::open::<Request>(data) {
        Ok(r) => r,
        Err(e) => {
            return failed(
                scope,
                DataError::Stored(format!("the job could not be read: {e}")),
            );
        }
    };
    let mut last_post = t0;
    // At most ~20 progress messages a second: the page only redraws a bar.
    let mut progress = |f: f64, finished: bool| {
        let t = now();
        if t - last_post >= 50.0 || finished {
            last_post = t;
            post(scope, &Reply::Progress(f), None);
        }
    };
    match request {
        Request::Load { file, opts } => {
            let mut on = |f: f32| progress(f64::from(f), f >= 1.0);
            let z = crate::anomaly::Settings::default().spike_z;
            // One parse for the series, the order-line anomalies and the prices.
            let parsed =
                crate::data::ingest::parse(&file, &bytes, &opts.read, &mut |f| on(0.85 * f));
            let read = parsed.and_then(|parsed| {
                let ds = crate::data::from_parsed(&file, &parsed, &opts, &mut on)?;
                let orders = crate::anomaly::orders::detect_orders(&parsed, &ds, z);
                let elasticities = crate::pricing::elasticities(&parsed, opts.cancellations);
                Ok((ds, orders, elasticities))
            });
            match read {
                Ok((ds, orders, elasticities)) => {
                    let loaded = protocol::Loaded {
                        dataset: ds.to_bytes(),
                        orders,
                        elasticities,
                    };
                    post(
                        scope,
                        &Reply::Done {
                            elapsed_ms: now() - t0,
                        },
                        Some(&postcard::to_allocvec(&loaded).unwrap_or_default()),
                    )
                }
                Err(e) => failed(scope, e),
            }
        }
        Request::Forecast {
            config,
            globals,
            scenarios,
        } => {
            let ds = match Dataset::from_bytes(&bytes) {
                Ok(ds) => ds,
                Err(e) => return failed(scope, e),
            };
            let mut on = |done: usize, total: usize| {
                progress(done as f64 / total.max(1) as f64, done == total);
                true
            };
            let mut result =
                run::forecast_dataset_scenarios(&ds, config, &globals, &scenarios, &mut on);
            result.seconds = (now() - t0) / 1000.0;
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&result.to_bytes()),
            );
        }
        Request::ForecastBacktest {
            config,
            globals,
            part,
        } => {
            let ds = match Dataset::from_bytes(&bytes) {
                Ok(ds) => ds,
                Err(e) => return failed(scope, e),
            };
            let (a, b) = (part.0 as usize, (part.1 as usize).min(ds.series.len()));
            let n = b.saturating_sub(a);
            let mut on = |done: usize| {
                progress(done as f64 / n.max(1) as f64, done >= n);
                true
            };
            let bt = run::backtest_part(&ds, &config, &globals, a.min(b)..b, &mut on);
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&bt).unwrap_or_default()),
            );
        }
        Request::ForecastFinish {
            config,
            globals,
            scenarios,
            part,
        } => {
            let Ok(p) = postcard::from_bytes::<protocol::FinishPayload>(&bytes) else {
                return failed(
                    scope,
                    DataError::Stored("the forecast's backtests could not be read".into()),
                );
            };
            let ds = match Dataset::from_bytes(&p.dataset) {
                Ok(ds) => ds,
                Err(e) => return failed(scope, e),
            };
            let (a, b) = (part.0 as usize, (part.1 as usize).min(ds.series.len()));
            let n = b.saturating_sub(a);
            let mut on = |done: usize| {
                progress(done as f64 / n.max(1) as f64, done >= n);
                true
            };
            let skus = run::finish_part(
                &ds,
                &config,
                &globals,
                &scenarios,
                &p.backtests,
                a.min(b)..b,
                &mut on,
            );
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&skus).unwrap_or_default()),
            );
        }
        Request::Anomalies => {
            let ds = match Dataset::from_bytes(&bytes) {
                Ok(ds) => ds,
                Err(e) => return failed(scope, e),
            };
            let flags = crate::anomaly::detect(&ds, &crate::anomaly::Settings::default());
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&flags).unwrap_or_default()),
            );
        }
        Request::Plan => {
            let Some(req) = PlanRequest::from_bytes(&bytes) else {
                return failed(
                    scope,
                    DataError::Stored("the planning request could not be read".into()),
                );
            };
            let mut on = |done: usize, total: usize| {
                progress(done as f64 / total.max(1) as f64, done == total);
                true
            };
            let mut plan = req.run(&mut on);
            plan.seconds = (now() - t0) / 1000.0;
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&plan.to_bytes()),
            );
        }
        Request::PlanPart { part } => {
            let Some(req) = PlanRequest::from_bytes(&bytes) else {
                return failed(
                    scope,
                    DataError::Stored("the planning request could not be read".into()),
                );
            };
            let mut on = |done: usize, total: usize| {
                progress(done as f64 / total.max(1) as f64, done == total);
                true
            };
            let planned = req.run_part(part.0 as usize..part.1 as usize, &mut on);
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&planned).unwrap_or_default()),
            );
        }
        Request::WhatIf(w) => {
            let summary: Result<crate::inventory::whatif::Summary, String> =
                match PlanRequest::from_bytes(&bytes) {
                    None => Err("the planning request could not be read".into()),
                    Some(req) => {
                        let mut on = |done: usize, total: usize| {
                            progress(done as f64 / total.max(1) as f64, done == total);
                            true
                        };
                        crate::inventory::whatif::compare(&req, &w, &mut on)
                            .map(|c| c.summary(20))
                            .map_err(|e| e.to_string())
                    }
                };
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&summary).unwrap_or_default()),
            );
        }
        Request::Logistics => {
            let outcome: Result<crate::logistics::Outcome, String> =
                match postcard::from_bytes::<crate::logistics::Request>(&bytes) {
                    Err(e) => Err(format!("the logistics request could not be read: {e}")),
                    Ok(req) => {
                        let mut partial = |f: f64, o: &crate::logistics::Outcome| {
                            post(scope, &Reply::Progress(f), None);
                            let ok: Result<&crate::logistics::Outcome, String> = Ok(o);
                            post(
                                scope,
                                &Reply::Partial,
                                Some(&postcard::to_allocvec(&ok).unwrap_or_default()),
                            );
                        };
                        crate::logistics::run(&req, &mut partial).map_err(|e| e.to_string())
                    }
                };
            post(
                scope,
                &Reply::Done {
                    elapsed_ms: now() - t0,
                },
                Some(&postcard::to_allocvec(&outcome).unwrap_or_default()),
            );
        }
    }
}
