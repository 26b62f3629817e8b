//! The page's side of the worker: one load job per worker, cancelled by terminating it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::worker::message;
use crate::data::{DataError, Dataset, LoadOptions};

/// What a job reports.
pub enum JobEvent {
    /// Fraction done.
    Progress(f32),
    /// The dataset, and how long the worker took (ms).
    Done(Box<Dataset>, f64),
    /// The file could not be loaded.
    Failed(DataError),
    /// The worker itself failed.
    Crashed(String),
}

/// A running load; dropping it stops the worker.
pub struct Job {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

impl Job {
    /// Starts a worker and hands it the file; `on_event` hears from it.
    pub fn start(
        file: &str,
        bytes: ArrayBuffer,
        opts: &LoadOptions,
        on_event: impl FnMut(JobEvent) + 'static,
    ) -> Result<Job, JsValue> {
        let wo = WorkerOptions::new();
        wo.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("./worker_loader.js", &wo)?;
        let request = message("load");
        Reflect::set(&request, &"file".into(), &file.into())?;
        Reflect::set(
            &request,
            &"opts".into(),
            &Uint8Array::from(postcard::to_allocvec(opts).unwrap_or_default().as_slice()),
        )?;
        Reflect::set(&request, &"bytes".into(), &bytes)?;
        let pending = RefCell::new(Some((request, bytes)));
        let on_event = Rc::new(RefCell::new(on_event));
        let w2 = worker.clone();
        let ev = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
            let event = match get("kind").as_string().as_deref() {
                // The worker's handler exists only once it says so: send the file then.
                Some("ready") => {
                    if let Some((req, buf)) = pending.borrow_mut().take() {
                        if let Err(e) = w2.post_message_with_transfer(&req, &Array::of1(&buf)) {
                            (ev.borrow_mut())(JobEvent::Crashed(format!("{e:?}")));
                        }
                    }
                    return;
                }
                Some("progress") => JobEvent::Progress(get("value").as_f64().unwrap_or(0.0) as f32),
                Some("done") => {
                    match Dataset::from_bytes(&Uint8Array::new(&get("dataset")).to_vec()) {
                        Ok(ds) => {
                            JobEvent::Done(Box::new(ds), get("elapsed_ms").as_f64().unwrap_or(0.0))
                        }
                        Err(e) => JobEvent::Failed(e),
                    }
                }
                Some("error") => match postcard::from_bytes::<DataError>(
                    &Uint8Array::new(&get("error")).to_vec(),
                ) {
                    Ok(e) => JobEvent::Failed(e),
                    Err(e) => JobEvent::Crashed(e.to_string()),
                },
                _ => return,
            };
            (ev.borrow_mut())(event);
        });
        let ev = on_event;
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            (ev.borrow_mut())(JobEvent::Crashed(format!(
                "the background worker stopped: {}",
                e.message()
            )));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Job {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}
