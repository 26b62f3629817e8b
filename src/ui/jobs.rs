//! The page's side of the worker: one job per worker, cancelled by terminating it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::protocol::{self, NnCommand, NnReply, Reply, Request};
use crate::data::{DataError, Dataset, LoadOptions};
use crate::forecast::backtest::BacktestConfig;
use crate::forecast::global::GlobalForecasts;
use crate::forecast::run::ForecastRun;
use crate::forecast::scenarios::Ranks;
use crate::inventory::plan::{Plan, PlanRequest};

/// What a job reports.
pub enum JobEvent<T> {
    /// Fraction done.
    Progress(f32),
    /// The result, and how long the worker took (ms).
    Done(Box<T>, f64),
    /// The best result so far of a job that improves it (routing).
    Partial(Box<T>),
    /// The input could not be used.
    Failed(DataError),
    /// The worker itself failed.
    Crashed(String),
}

/// What a page keeps for its one background job: the job itself, its progress
/// (fraction done, start time in ms) and the message shown under it.
#[derive(Clone, Copy)]
pub struct JobSlot {
    /// The running job (dropping it stops the worker).
    pub job: leptos::prelude::StoredValue<Option<Job>, leptos::prelude::LocalStorage>,
    /// Fraction done and start time, while a job runs.
    pub progress: leptos::prelude::RwSignal<Option<(f32, f64)>>,
    /// The last message (an error, a cancellation).
    pub message: leptos::prelude::RwSignal<Option<String>>,
}

impl JobSlot {
    /// An empty slot.
    pub fn new() -> JobSlot {
        use leptos::prelude::*;
        JobSlot {
            job: StoredValue::new_local(None),
            progress: RwSignal::new(None),
            message: RwSignal::new(None),
        }
    }

    /// A job is starting at `t0_ms`.
    pub fn begin(&self, t0_ms: f64) {
        use leptos::prelude::*;
        self.message.set(None);
        self.progress.set(Some((0.0, t0_ms)));
    }

    /// Keeps the started job, or says why it could not start.
    pub fn hold(&self, started: Result<Job, JsValue>) {
        use leptos::prelude::*;
        match started {
            Ok(j) => self.job.set_value(Some(j)),
            Err(e) => self.end(Some(format!("cannot start the background worker: {e:?}"))),
        }
    }

    /// The job reported progress.
    pub fn advance(&self, f: f32) {
        use leptos::prelude::*;
        self.progress.update(|p| {
            if let Some(p) = p {
                p.0 = f;
            }
        });
    }

    /// The job is over (done, failed or cancelled), with a message to show, if any.
    pub fn end(&self, message: Option<String>) {
        use leptos::prelude::*;
        self.progress.set(None);
        self.job.set_value(None);
        if message.is_some() {
            self.message.set(message);
        }
    }
}

impl Default for JobSlot {
    fn default() -> Self {
        JobSlot::new()
    }
}

/// A running job; dropping it stops the worker (and, for a job split across
/// workers, every one of them).
pub struct Job {
    worker: Option<Worker>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(ErrorEvent)>>,
    /// The jobs of a job split across workers, kept for their drop (their callbacks
    /// hold it weakly, so that dropping this handle stops them all).
    _group: Rc<RefCell<Vec<Job>>>,
    /// A neural job that belongs to this one (the pretrained model run beside a
    /// forecast), stopped with it.
    _neural: Option<NnJob>,
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(w) = &self.worker {
            w.terminate();
        }
    }
}

/// How many workers a forecast or a plan of `skus` SKUs is split across: the machine's logical
/// cores (`navigator.hardwareConcurrency`), at most 8, and at least 25 SKUs each.
pub fn workers_for(skus: usize) -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .filter(|c| c.is_finite() && *c >= 1.0)
        .map_or(1, |c| c as usize);
    cores.min(8).min(skus / 25).max(1)
}

/// The shared state of a forecast split across workers.
struct Split {
    parts: Vec<(u32, u32)>,
    progress: Vec<f32>,
    backtests: Vec<Option<crate::forecast::select::Backtests>>,
    forecasts: Vec<Option<Vec<crate::forecast::run::SkuForecast>>>,
    failed: bool,
}

/// What every worker of a split forecast shares: its state, the page's callback, the
/// workers (held weakly, so that dropping the [`Job`] stops them all) and the request.
struct SplitCtx {
    state: RefCell<Split>,
    on_event: RefCell<Box<dyn FnMut(JobEvent<ForecastRun>)>>,
    group: std::rc::Weak<RefCell<Vec<Job>>>,
    bytes: Vec<u8>,
    dates: Vec<chrono::NaiveDate>,
    config: BacktestConfig,
    globals: Vec<GlobalForecasts>,
    scenarios: Vec<Option<Ranks>>,
    t0: f64,
}

fn perf_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl SplitCtx {
    /// Reports one progress for all workers; `phase` 0 (backtests) or 1 (forecasts).
    fn report(&self, i: usize, phase: usize, f: f32) {
        let mean = {
            let mut st = self.state.borrow_mut();
            st.progress[i] = f;
            st.progress.iter().sum::<f32>() / st.progress.len() as f32
        };
        (self.on_event.borrow_mut())(JobEvent::Progress(0.5 * (phase as f32 + mean)));
    }

    /// The first failure is reported; the others are the same job's.
    fn fail(&self, ev: JobEvent<ForecastRun>) {
        let first = !std::mem::replace(&mut self.state.borrow_mut().failed, true);
        if first {
            (self.on_event.borrow_mut())(ev);
        }
    }

    /// Second step: each worker forecasts its share from every part's backtests, with
    /// the global models `more` that arrived after the backtests.
    fn finish(
        self: Rc<Self>,
        merged: crate::forecast::select::Backtests,
        more: Vec<GlobalForecasts>,
    ) {
        let Some(group) = self.group.upgrade() else {
            return;
        };
        if self.state.borrow().failed {
            return;
        }
        // The second step's progress starts from zero for every worker.
        self.state
            .borrow_mut()
            .progress
            .iter_mut()
            .for_each(|p| *p = 0.0);
        let mut globals = self.globals.clone();
        globals.extend(more);
        let payload = postcard::to_allocvec(&super::protocol::FinishPayload {
            dataset: self.bytes.clone(),
            backtests: merged,
        })
        .unwrap_or_default();
        let parts = self.state.borrow().parts.clone();
        for (j, &part) in parts.iter().enumerate() {
            let ctx = self.clone();
            let started = Job::start(
                Request::ForecastFinish {
                    config: self.config,
                    globals: globals.clone(),
                    scenarios: self.scenarios.clone(),
                    part,
                },
                Uint8Array::from(payload.as_slice()),
                |b| postcard::from_bytes::<Vec<crate::forecast::run::SkuForecast>>(b).ok(),
                move |ev| match ev {
                    JobEvent::Progress(f) => ctx.report(j, 1, f),
                    JobEvent::Partial(_) => {}
                    JobEvent::Failed(e) => ctx.fail(JobEvent::Failed(e)),
                    JobEvent::Crashed(m) => ctx.fail(JobEvent::Crashed(m)),
                    JobEvent::Done(skus, _) => {
                        let run = {
                            let mut st = ctx.state.borrow_mut();
                            st.forecasts[j] = Some(*skus);
                            if st.failed || st.forecasts.iter().any(Option::is_none) {
                                return;
                            }
                            let skus: Vec<_> = st
                                .forecasts
                                .iter_mut()
                                .filter_map(Option::take)
                                .flatten()
                                .collect();
                            ForecastRun {
                                config: ctx.config,
                                dates: ctx.dates.clone(),
                                skus,
                                seconds: (perf_now() - ctx.t0) / 1000.0,
                            }
                        };
                        let ms = run.seconds * 1000.0;
                        (ctx.on_event.borrow_mut())(JobEvent::Done(Box::new(run), ms));
                    }
                },
            );
            match started {
                Ok(job) => group.borrow_mut().push(job),
                Err(e) => self.fail(JobEvent::Crashed(format!(
                    "cannot start a background worker: {e:?}"
                ))),
            }
        }
    }
}

/// Global models' forecasts still being made when a split forecast starts (the
/// pretrained model in the neural worker): [`Pending::resolve`] hands them over (empty
/// when the model could not run), and the forecast's second step waits for that.
#[derive(Clone, Default)]
pub struct Pending(Rc<RefCell<PendingState>>);

#[derive(Default)]
struct PendingState {
    resolved: bool,
    ready: Option<Vec<GlobalForecasts>>,
    waiter: Option<Box<dyn FnOnce(Vec<GlobalForecasts>)>>,
}

impl Pending {
    /// Nothing yet.
    pub fn new() -> Pending {
        Pending::default()
    }

    /// The forecasts arrived (empty: the model could not run); a second call is
    /// ignored.
    pub fn resolve(&self, globals: Vec<GlobalForecasts>) {
        let waiter = {
            let mut st = self.0.borrow_mut();
            if std::mem::replace(&mut st.resolved, true) {
                return;
            }
            let w = st.waiter.take();
            if w.is_none() {
                st.ready = Some(globals.clone());
            }
            w
        };
        // Called with the state released: `w` starts workers and may touch it.
        if let Some(w) = waiter {
            w(globals);
        }
    }

    /// Runs `f` with the forecasts once they are there (now, if they are).
    fn then(&self, f: impl FnOnce(Vec<GlobalForecasts>) + 'static) {
        let ready = {
            let mut st = self.0.borrow_mut();
            if !st.resolved {
                st.waiter = Some(Box::new(f));
                return;
            }
            st.ready.take().unwrap_or_default()
        };
        f(ready);
    }
}

impl Job {
    /// This job with `nn` stopped with it.
    pub fn with_neural(mut self, nn: NnJob) -> Job {
        self._neural = Some(nn);
        self
    }

    /// Starts a worker, sends it `request` with `payload` (transferred) once it is
    /// ready, and decodes the payload of its answers with `decode`.
    fn start<T: 'static>(
        request: Request,
        payload: Uint8Array,
        decode: impl Fn(&[u8]) -> Option<T> + 'static,
        on_event: impl FnMut(JobEvent<T>) + 'static,
    ) -> Result<Job, JsValue> {
        let wo = WorkerOptions::new();
        wo.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("./worker_loader.js", &wo)?;
        let pending = RefCell::new(Some((request, payload)));
        let on_event = Rc::new(RefCell::new(on_event));
        let w2 = worker.clone();
        let ev = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let event = match protocol::open::<Reply>(&e.data()) {
                Err(e) => JobEvent::Crashed(format!("the worker's answer could not be read: {e}")),
                // The worker's handler exists only once it says so: send the job then.
                Ok((Reply::Ready, _)) => {
                    if let Some((req, payload)) = pending.borrow_mut().take() {
                        let (o, transfer) = protocol::envelope(&req, Some(&payload));
                        if let Err(e) = w2.post_message_with_transfer(&o, &transfer) {
                            (ev.borrow_mut())(JobEvent::Crashed(format!("{e:?}")));
                        }
                    }
                    return;
                }
                Ok((Reply::Progress(f), _)) => JobEvent::Progress(f as f32),
                Ok((Reply::Partial, bytes)) => match decode(&bytes) {
                    Some(v) => JobEvent::Partial(Box::new(v)),
                    None => return,
                },
                Ok((Reply::Done { elapsed_ms }, bytes)) => match decode(&bytes) {
                    Some(v) => JobEvent::Done(Box::new(v), elapsed_ms),
                    None => JobEvent::Crashed("the worker's answer could not be read".into()),
                },
                Ok((Reply::Failed(e), _)) => JobEvent::Failed(e),
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
            worker: Some(worker),
            _on_message: Some(on_message),
            _on_error: Some(on_error),
            _group: Rc::new(RefCell::new(Vec::new())),
            _neural: None,
        })
    }

    /// Loads a file (its bytes in `buffer`) into a dataset, with the order-line
    /// anomalies and the price elasticities of an order-line file.
    pub fn load(
        file: &str,
        buffer: ArrayBuffer,
        opts: &LoadOptions,
        on_event: impl FnMut(
            JobEvent<(
                Dataset,
                Vec<crate::anomaly::Anomaly>,
                Vec<crate::pricing::Elasticity>,
            )>,
        ) + 'static,
    ) -> Result<Job, JsValue> {
        let request = Request::Load {
            file: file.to_string(),
            opts: opts.clone(),
        };
        Job::start(
            request,
            Uint8Array::new(&buffer),
            |b| {
                let l: super::protocol::Loaded = postcard::from_bytes(b).ok()?;
                Some((
                    Dataset::from_bytes(&l.dataset).ok()?,
                    l.orders,
                    l.elasticities,
                ))
            },
            on_event,
        )
    }

    /// Forecasts every SKU of a dataset, with the global models' forecasts (neural,
    /// pretrained, fine-tuned; empty for none) among every SKU's candidates.
    pub fn forecast(
        ds: &Dataset,
        config: &BacktestConfig,
        globals: &[crate::forecast::global::GlobalForecasts],
        scenarios: &[Option<crate::forecast::scenarios::Ranks>],
        on_event: impl FnMut(JobEvent<ForecastRun>) + 'static,
    ) -> Result<Job, JsValue> {
        let request = Request::Forecast {
            config: *config,
            globals: globals.to_vec(),
            scenarios: scenarios.to_vec(),
        };
        Job::start(
            request,
            Uint8Array::from(ds.to_bytes().as_slice()),
            ForecastRun::from_bytes,
            on_event,
        )
    }

    /// [`Job::forecast`] split across `workers` workers: each backtests a consecutive
    /// share of the SKUs, the backtests are put together, and each forecasts its share
    /// from all of them (the recipes are learnt across the whole dataset, so the
    /// forecasts are those of one worker). One progress (backtests the first half,
    /// forecasts the second); dropping the handle stops every worker.
    ///
    /// With `late`, global models still being made (the pretrained model in the neural
    /// worker, run beside the backtests) join before the second step: it waits for
    /// them, and they are backtested from the same origins there
    /// ([`crate::forecast::run::finish_part`]).
    pub fn forecast_split(
        ds: &Dataset,
        config: &BacktestConfig,
        globals: &[GlobalForecasts],
        scenarios: &[Option<Ranks>],
        workers: usize,
        late: Option<Pending>,
        on_event: impl FnMut(JobEvent<ForecastRun>) + 'static,
    ) -> Result<Job, JsValue> {
        let n = ds.series.len();
        let k = workers.clamp(1, n.max(1));
        let parts: Vec<(u32, u32)> = (0..k)
            .map(|i| ((i * n / k) as u32, ((i + 1) * n / k) as u32))
            .collect();
        let group: Rc<RefCell<Vec<Job>>> = Rc::new(RefCell::new(Vec::new()));
        let ctx = Rc::new(SplitCtx {
            state: RefCell::new(Split {
                parts: parts.clone(),
                progress: vec![0.0; k],
                backtests: vec![None; k],
                forecasts: vec![None; k],
                failed: false,
            }),
            on_event: RefCell::new(Box::new(on_event)),
            group: Rc::downgrade(&group),
            bytes: ds.to_bytes(),
            dates: ds.future_periods(config.h),
            config: *config,
            globals: globals.to_vec(),
            scenarios: scenarios.to_vec(),
            t0: perf_now(),
        });
        for (i, &part) in parts.iter().enumerate() {
            let (ctx2, late) = (ctx.clone(), late.clone());
            let job = Job::start(
                Request::ForecastBacktest {
                    config: *config,
                    globals: globals.to_vec(),
                    part,
                },
                Uint8Array::from(ctx.bytes.as_slice()),
                |b| postcard::from_bytes::<crate::forecast::select::Backtests>(b).ok(),
                move |ev| match ev {
                    JobEvent::Progress(f) => ctx2.report(i, 0, f),
                    JobEvent::Partial(_) => {}
                    JobEvent::Failed(e) => ctx2.fail(JobEvent::Failed(e)),
                    JobEvent::Crashed(m) => ctx2.fail(JobEvent::Crashed(m)),
                    JobEvent::Done(bt, _) => {
                        let merged = {
                            let mut st = ctx2.state.borrow_mut();
                            st.backtests[i] = Some(*bt);
                            if st.failed || st.backtests.iter().any(Option::is_none) {
                                return;
                            }
                            let all: Vec<_> =
                                st.backtests.iter_mut().filter_map(Option::take).collect();
                            crate::forecast::select::Backtests::merge(all)
                        };
                        // Every part is backtested: the backtesting workers are stopped
                        // (not dropped: one of them is running this callback).
                        if let Some(group) = ctx2.group.upgrade() {
                            for j in group.borrow().iter() {
                                if let Some(w) = &j.worker {
                                    w.terminate();
                                }
                            }
                        }
                        let ctx3 = ctx2.clone();
                        let finish = move |more: Vec<GlobalForecasts>| ctx3.finish(merged, more);
                        match &late {
                            Some(p) => p.then(finish),
                            None => finish(Vec::new()),
                        }
                    }
                },
            )?;
            group.borrow_mut().push(job);
        }
        Ok(Job {
            worker: None,
            _on_message: None,
            _on_error: None,
            _group: group,
            _neural: None,
        })
    }

    /// Flags the anomalies of a dataset ([`crate::anomaly::detect`]).
    pub fn anomalies(
        ds: &Dataset,
        on_event: impl FnMut(JobEvent<Vec<crate::anomaly::Anomaly>>) + 'static,
    ) -> Result<Job, JsValue> {
        Job::start(
            Request::Anomalies,
            Uint8Array::from(ds.to_bytes().as_slice()),
            |b| postcard::from_bytes(b).ok(),
            on_event,
        )
    }

    /// Allocates, rebalances or routes; the answer is the outcome or the error in words.
    pub fn logistics(
        req: &crate::logistics::Request,
        on_event: impl FnMut(JobEvent<Result<crate::logistics::Outcome, String>>) + 'static,
    ) -> Result<Job, JsValue> {
        Job::start(
            Request::Logistics,
            Uint8Array::from(postcard::to_allocvec(req).unwrap_or_default().as_slice()),
            |b| postcard::from_bytes(b).ok(),
            on_event,
        )
    }

    /// Plans as it is and with a what-if; the answer is the comparison or the error in
    /// words.
    pub fn what_if(
        req: &PlanRequest,
        w: &crate::inventory::whatif::WhatIf,
        on_event: impl FnMut(JobEvent<Result<crate::inventory::whatif::Summary, String>>) + 'static,
    ) -> Result<Job, JsValue> {
        Job::start(
            Request::WhatIf(w.clone()),
            Uint8Array::from(req.to_bytes().as_slice()),
            |b| postcard::from_bytes(b).ok(),
            on_event,
        )
    }

    /// [`Job::plan`] split across `workers` workers, each planning a consecutive share
    /// of the SKUs (the same plans: seeds follow the SKU's place in the catalogue); the
    /// budget and the catalogue's curve are applied to the shares put together.
    pub fn plan_split(
        req: &PlanRequest,
        workers: usize,
        on_event: impl FnMut(JobEvent<Plan>) + 'static,
    ) -> Result<Job, JsValue> {
        let n = req.demand.len();
        let k = workers.clamp(1, n.max(1));
        let now = || {
            web_sys::window()
                .and_then(|w| w.performance())
                .map_or(0.0, |p| p.now())
        };
        let t0 = now();
        let bytes = req.to_bytes();
        let config = req.config;
        let on_event: Rc<RefCell<dyn FnMut(JobEvent<Plan>)>> = Rc::new(RefCell::new(on_event));
        let parts: Rc<RefCell<Vec<Option<crate::inventory::plan::Planned>>>> =
            Rc::new(RefCell::new(vec![None; k]));
        let progress = Rc::new(RefCell::new(vec![0.0f32; k]));
        let failed = Rc::new(std::cell::Cell::new(false));
        let group: Rc<RefCell<Vec<Job>>> = Rc::new(RefCell::new(Vec::new()));
        for i in 0..k {
            let part = ((i * n / k) as u32, ((i + 1) * n / k) as u32);
            let (on_event, parts, progress, failed) = (
                on_event.clone(),
                parts.clone(),
                progress.clone(),
                failed.clone(),
            );
            let job = Job::start(
                Request::PlanPart { part },
                Uint8Array::from(bytes.as_slice()),
                |b| postcard::from_bytes::<crate::inventory::plan::Planned>(b).ok(),
                move |ev| {
                    let event = match ev {
                        JobEvent::Partial(_) => return,
                        JobEvent::Progress(f) => {
                            let mean = {
                                let mut p = progress.borrow_mut();
                                p[i] = f;
                                p.iter().sum::<f32>() / p.len() as f32
                            };
                            JobEvent::Progress(mean)
                        }
                        JobEvent::Done(planned, _) => {
                            let mut all = parts.borrow_mut();
                            all[i] = Some(*planned);
                            if failed.get() || all.iter().any(Option::is_none) {
                                return;
                            }
                            let shares: Vec<_> = all.iter_mut().filter_map(Option::take).collect();
                            drop(all);
                            let mut plan = Plan::merge(&config, shares);
                            plan.seconds = (now() - t0) / 1000.0;
                            let ms = plan.seconds * 1000.0;
                            JobEvent::Done(Box::new(plan), ms)
                        }
                        JobEvent::Failed(e) => {
                            if failed.replace(true) {
                                return;
                            }
                            JobEvent::Failed(e)
                        }
                        JobEvent::Crashed(m) => {
                            if failed.replace(true) {
                                return;
                            }
                            JobEvent::Crashed(m)
                        }
                    };
                    (on_event.borrow_mut())(event);
                },
            )?;
            group.borrow_mut().push(job);
        }
        Ok(Job {
            worker: None,
            _on_message: None,
            _on_error: None,
            _group: group,
            _neural: None,
        })
    }

    /// Plans replenishment for every SKU.
    pub fn plan(
        req: &PlanRequest,
        on_event: impl FnMut(JobEvent<Plan>) + 'static,
    ) -> Result<Job, JsValue> {
        Job::start(
            Request::Plan,
            Uint8Array::from(req.to_bytes().as_slice()),
            Plan::from_bytes,
            on_event,
        )
    }
}

/// What the page asks the neural worker for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NnRequest {
    /// lstm, gru, patchtst or mlp (trained from scratch), `pretrained` (the shipped
    /// pretrained model, zero-shot), `pretrained-ft` (it fine-tuned on the shop) or
    /// `scenario-vae` (the generative scenario model) or `autoencoder` (the same
    /// network trained to flag anomalies); ignored with `model`.
    pub kind: String,
    /// Most epochs.
    pub epochs: usize,
    /// auto, gpu or cpu.
    pub device: String,
    /// The forecast settings the candidates are for.
    pub backtest: BacktestConfig,
    /// A saved model file to forecast with instead of training.
    pub model: Option<Vec<u8>>,
    /// For `pretrained-ft`: fine-tuned weights saved before, to continue from instead
    /// of the shipped ones (after newer sales were added).
    pub init: Option<Vec<u8>>,
}

/// What the neural worker answers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NnResult {
    /// The model's forecasts from each backtest origin it never saw and from the end
    /// of the data, per SKU (dataset order).
    pub candidates: crate::forecast::global::GlobalForecasts,
    /// A note for the merchant (e.g. why a saved model cannot be backtested).
    pub note: String,
    /// Per-epoch history (empty for a saved model).
    pub history: Vec<NnProgress>,
    /// The model file (empty when the weights live on a WebGPU device).
    pub model: Vec<u8>,
    /// The device used, in words.
    pub device: String,
    /// The model's name.
    pub name: String,
    /// The scenario model's path ranks per SKU (dataset order; empty for a
    /// forecaster).
    pub scenarios: Vec<Option<crate::forecast::scenarios::Ranks>>,
    /// The autoencoder's anomalies (kind `autoencoder` only).
    pub anomalies: Vec<crate::anomaly::Anomaly>,
    /// The neural worker's WebAssembly memory at the end (MB): linear memory only
    /// grows, so this is its peak.
    pub wasm_memory_mb: f64,
}

/// What the neural worker reports.
pub enum NnEvent {
    /// The device chosen, in words.
    Device(String),
    /// An epoch finished (postcard-encoded [`crate::nn::train::Progress`] fields).
    Epoch(NnProgress),
    /// Training (or the saved model's forecasts) done: the encoded result.
    Done(Vec<u8>),
    /// Something failed.
    Failed(String),
}

/// One epoch's figures, as the neural worker sends them (the same fields as
/// `nn::train::Progress`, which the page cannot name without the `nn` feature).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NnProgress {
    /// Epoch just finished (1-based).
    pub epoch: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Optimiser steps so far.
    pub step: usize,
    /// Mean training loss of the epoch.
    pub train_loss: f64,
    /// Validation loss after the epoch.
    pub valid_loss: f64,
    /// Best validation loss so far.
    pub best_loss: f64,
    /// Training windows per second.
    pub windows_per_s: f64,
    /// Seconds since training began.
    pub elapsed_s: f64,
}

/// The neural worker: a separate wasm, started only when the merchant trains a model.
pub struct NnJob {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for NnJob {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

impl NnJob {
    /// Asks the worker to stop training at the next report and finish with the best
    /// weights so far.
    pub fn stop(&self) {
        let (o, transfer) = protocol::envelope(&NnCommand::Stop, None);
        let _ = self.worker.post_message_with_transfer(&o, &transfer);
    }

    /// Starts the neural worker on `ds` with `request`.
    pub fn start(
        ds: &Dataset,
        request: NnRequest,
        on_event: impl FnMut(NnEvent) + 'static,
    ) -> Result<NnJob, JsValue> {
        let wo = WorkerOptions::new();
        wo.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("./nn_worker_loader.js", &wo)?;
        let payload = Uint8Array::from(ds.to_bytes().as_slice());
        let pending = RefCell::new(Some((NnCommand::Train(request), payload)));
        let on_event = Rc::new(RefCell::new(on_event));
        let (w2, ev) = (worker.clone(), on_event.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let event = match protocol::open::<NnReply>(&e.data()) {
                Err(e) => {
                    NnEvent::Failed(format!("the neural worker's answer could not be read: {e}"))
                }
                Ok((NnReply::Ready, _)) => {
                    if let Some((cmd, payload)) = pending.borrow_mut().take() {
                        let (o, transfer) = protocol::envelope(&cmd, Some(&payload));
                        if let Err(e) = w2.post_message_with_transfer(&o, &transfer) {
                            (ev.borrow_mut())(NnEvent::Failed(format!("{e:?}")));
                        }
                    }
                    return;
                }
                Ok((NnReply::Device(text), _)) => NnEvent::Device(text),
                Ok((NnReply::Epoch(p), _)) => NnEvent::Epoch(p),
                Ok((NnReply::Done, bytes)) => NnEvent::Done(bytes),
                Ok((NnReply::Failed(text), _)) => NnEvent::Failed(text),
            };
            (ev.borrow_mut())(event);
        });
        let ev = on_event;
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            (ev.borrow_mut())(NnEvent::Failed(format!(
                "the neural worker stopped: {}",
                e.message()
            )));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(NnJob {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}
