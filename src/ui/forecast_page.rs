//! The Forecast page: run the automatic choice for every SKU in the worker, browse the
//! SKUs by error, volume or risk, and look at one SKU's forecast, leaderboard and
//! decomposition; download the forecasts as CSV.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::data_page::fmt_int;
use super::jobs::{Job, JobEvent, JobSlot, NnEvent, NnResult, Pending};
use crate::data::{Dataset, Frequency, fmt_figure};
use crate::field::Field;
use crate::forecast::backtest::{BacktestConfig, Choice};
use crate::forecast::global::GlobalForecasts;
use crate::forecast::models::Mstl;
use crate::forecast::run::ForecastRun;
use crate::forecast::scenarios::{Ranks, Scenarios};
use crate::plot::{DecompositionChart, ForecastChart};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Error,
    Volume,
    Risk,
}

/// What a forecast (or a neural model, or a scenario model's ranks) is for: (the dataset's
/// identity, weekly regrouping, horizon, backtest windows).
type RunKey = (usize, bool, usize, usize);

/// The scenario model's path ranks per SKU and the run they are valid for.
type RanksFor = (RunKey, Arc<Vec<Option<Ranks>>>);

/// A forecast's inputs: the dataset (daily or regrouped weekly), its backtest settings
/// and its key.
type Setup = (Arc<Dataset>, BacktestConfig, RunKey);

/// Backtest MASE of the chosen model (or ensemble).
fn chosen_mase(c: &Choice) -> f64 {
    c.leaderboard
        .iter()
        .find(|s| s.model == c.forecast.model)
        .map(|s| s.scores.mase)
        .unwrap_or(f64::NAN)
}

/// Forecast uncertainty: the P10–P90 width relative to the expected demand, over the
/// horizon (the mean forecast, not the median, which is 0 for sparse SKUs).
fn risk(c: &Choice) -> f64 {
    let q = &c.forecast.quantiles;
    let width: f64 = q[2].iter().zip(&q[0]).map(|(a, b)| a - b).sum();
    width / c.forecast.point.iter().sum::<f64>().max(1.0)
}

/// A model name short enough for the table (the full name is in the tooltip).
fn short_model(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("Ensemble(") {
        format!("Mean of {}", rest.matches(',').count() + 1)
    } else if let Some(rest) = name.strip_prefix("Median(") {
        format!("Median of {}", rest.matches(',').count() + 1)
    } else {
        name.to_string()
    }
}

/// The season of the weekly regrouping of `ds`, without regrouping it.
fn weekly_season(ds: &Dataset) -> usize {
    // Weeks ≈ trading days / trading days per week; `Dataset::season` of the weekly
    // regrouping says 52 from two years on.
    if ds.periods.len() / ds.season().max(1) >= 104 {
        52
    } else {
        1
    }
}

/// The dataset's series of the run's `i`-th SKU: the run keeps the dataset's order, so
/// it is found by index (a search by name for every row would be quadratic).
fn series_of<'a>(ds: &'a Dataset, i: usize, sku: &str) -> Option<&'a crate::data::Series> {
    ds.series
        .get(i)
        .filter(|s| s.sku == sku)
        .or_else(|| ds.get(sku))
}

pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// An inline SVG sparkline of recent demand and the forecast median.
fn sparkline(history: &[f64], forecast: &[f64]) -> String {
    let all: Vec<f64> = history.iter().chain(forecast).copied().collect();
    let max = all.iter().copied().fold(0.0_f64, f64::max).max(1e-9);
    let (w, h) = (120.0, 24.0);
    let step = w / (all.len().max(2) - 1) as f64;
    let pts = |from: usize, v: &[f64]| {
        v.iter()
            .enumerate()
            .map(|(i, y)| {
                format!(
                    "{:.1},{:.1}",
                    (from + i) as f64 * step,
                    h - 1.0 - y / max * (h - 2.0)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        r##"<svg width="120" height="24" viewBox="0 0 120 24"><polyline fill="none" stroke="#2563eb" stroke-width="1" points="{}"/><polyline fill="none" stroke="#ea580c" stroke-width="1.5" points="{}"/></svg>"##,
        pts(0, history),
        pts(
            history.len().saturating_sub(1),
            &[history.last().copied().unwrap_or(0.0)]
                .iter()
                .chain(forecast)
                .copied()
                .collect::<Vec<_>>()
        )
    )
}

/// Offers `text` as a CSV file download.
pub(crate) fn download(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("text/csv");
    save_blob(
        name,
        &web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag)?,
    )
}

/// Offers `bytes` as a binary file download.
pub(crate) fn download_bytes(name: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("application/octet-stream");
    save_blob(
        name,
        &web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &bag)?,
    )
}

fn save_blob(name: &str, blob: &web_sys::Blob) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// The Forecast page.
#[component]
pub fn ForecastPage(
    /// The loaded dataset, shared with the other pages.
    dataset: RwSignal<Option<Arc<Dataset>>>,
    /// The latest forecasts with the dataset they were made from, for the Plan page.
    shared: RwSignal<Option<(Arc<ForecastRun>, Arc<Dataset>)>>,
    /// What was imputed in `dataset` (excluded anomalies), said above the forecasts.
    cleaning: super::anomaly_panel::AnomalyState,
) -> impl IntoView {
    // The horizon as typed (None: the frequency's default); a forecast runs only when
    // it reads, its message beside the box.
    let horizon = RwSignal::new(None::<String>);
    let horizon_error = Memo::new(move |_| horizon.get().and_then(|t| horizon_field().read(&t).err()));
    // Weekly forecasts from a daily dataset regroup its days into weeks.
    let weekly = RwSignal::new(false);
    // The dataset the shown forecasts were made from (daily or regrouped weekly).
    let run_ds = RwSignal::new(None::<Arc<Dataset>>);
    let windows = RwSignal::new(3usize);
    let scenarios = RwSignal::new(Scenarios::default());
    // The scenario model's path ranks per SKU, valid for one (dataset, weekly, h, windows).
    let scenario_ranks = RwSignal::new(None::<RanksFor>);
    let run = RwSignal::new(None::<Arc<ForecastRun>>);
    let slot = JobSlot::new();
    let (progress, message) = (slot.progress, slot.message);
    let job = slot.job;
    let selected = RwSignal::new(None::<String>);
    let sort = RwSignal::new(SortKey::Error);

    // A new dataset makes the old forecasts meaningless.
    // (Keyed on the dataset's identity: reloading the same file differently counts.)
    Effect::new(move |prev: Option<Option<usize>>| {
        let name = dataset.with(|d| d.as_ref().map(|d| Arc::as_ptr(d) as usize));
        if prev.is_some_and(|p| p != name) {
            job.set_value(None);
            progress.set(None);
            run.set(None);
            run_ds.set(None);
            shared.set(None);
            selected.set(None);
        }
        name
    });
    let is_weekly_data = move || {
        dataset.with(|d| {
            d.as_ref()
                .is_some_and(|d| d.frequency() != Frequency::Daily)
        })
    };
    let data_freq = move || dataset.with(|d| d.as_ref().map(|d| d.frequency()).unwrap_or_default());
    // 0: every core (the SKUs split across workers); 1: one worker.
    let workers = RwSignal::new(0usize);
    let used_workers = RwSignal::new(1usize);
    let default_h = move || match data_freq() {
        Frequency::Daily if weekly.get() => Frequency::Weekly.default_horizon(),
        f => f.default_horizon(),
    };
    let h_value = move || {
        horizon
            .get()
            .and_then(|t| horizon_field().read(&t).ok().flatten())
            .map_or_else(default_h, |h| h as usize)
    };

    // Whether the default forecast includes the pretrained model (run in the neural
    // worker), what it said, and whether it is running.
    let with_pretrained = RwSignal::new(true);
    let pretrained_note = RwSignal::new(None::<String>);
    let pretrained_running = RwSignal::new(false);
    // Neural candidates: per model, per SKU, valid for one (dataset, weekly, h, windows).
    let neural = RwSignal::new(Vec::<GlobalForecasts>::new());
    let neural_key = StoredValue::new(None::<RunKey>);
    // The dataset and settings a forecast (or a neural model) is for.
    let setup = move || -> Option<Setup> {
        if horizon_error.get_untracked().is_some() {
            return None;
        }
        let src = dataset.get_untracked()?;
        let w = weekly.get_untracked();
        let key = (
            Arc::as_ptr(&src) as usize,
            w,
            h_value(),
            windows.get_untracked(),
        );
        let ds = if w { Arc::new(src.to_weekly()) } else { src };
        let config = BacktestConfig {
            h: h_value(),
            windows: windows.get_untracked(),
            season: ds.season(),
            paths: 100,
            scenarios: scenarios.get_untracked(),
        };
        Some((ds, config, key))
    };

    let start = move || {
        let Some((ds, config, key)) = setup() else {
            return;
        };
        // Every core: the SKUs are split across workers (one when asked, or too few).
        let k = if workers.get_untracked() == 1 {
            1
        } else {
            super::jobs::workers_for(ds.series.len())
        };
        used_workers.set(k);
        if neural_key.get_value() != Some(key) {
            neural.set(Vec::new());
        }
        let mut globals: Vec<GlobalForecasts> = neural.get_untracked();
        if !with_pretrained.get_untracked() {
            globals.retain(|g| g.name != "pretrained");
        }
        let mut config = config;
        // Generative scenarios need the scenario model's paths for this very setup;
        // without them the copula stands in, and the settings say so.
        let ranks: Vec<Option<Ranks>> = match scenario_ranks.get_untracked() {
            Some((k, r)) if k == key && config.scenarios == Scenarios::Generative => r.to_vec(),
            _ => {
                if config.scenarios == Scenarios::Generative {
                    config.scenarios = Scenarios::Copula;
                    scenarios.set(Scenarios::Copula);
                }
                Vec::new()
            }
        };
        // The pretrained model forecasts every SKU in the neural worker, beside the
        // statistical backtests; the choice's second step waits for it (once per setup:
        // a later run reuses its forecasts).
        let has_pretrained = globals.iter().any(|g| g.name == "pretrained");
        let late = (with_pretrained.get_untracked() && !has_pretrained).then(Pending::new);
        let nn = late.as_ref().map(|pending| {
            let req = super::jobs::NnRequest {
                init: None,
                kind: "pretrained".into(),
                epochs: 1,
                device: "auto".into(),
                backtest: config,
                model: None,
            };
            pretrained_note.set(None);
            pretrained_running.set(true);
            let (pending, t0) = (pending.clone(), now_ms());
            let done = move |note: String, g: Vec<GlobalForecasts>| {
                pretrained_running.set(false);
                pretrained_note.set(Some(note));
                pending.resolve(g);
            };
            super::jobs::NnJob::start(&ds, req, move |ev| match ev {
                NnEvent::Device(_) | NnEvent::Epoch(_) => {}
                NnEvent::Done(bytes) => match postcard::from_bytes::<NnResult>(&bytes) {
                    Ok(r) => {
                        if neural_key.get_value() != Some(key) {
                            neural.set(Vec::new());
                            neural_key.set_value(Some(key));
                        }
                        neural.update(|n| {
                            n.retain(|g| g.name != r.candidates.name);
                            n.push(r.candidates.clone());
                        });
                        let secs = (now_ms() - t0) / 1000.0;
                        done(
                            format!("The pretrained model forecast every SKU in {secs:.1} s beside the statistical models ({}); it is the default each SKU's choice starts from.{}", r.device, r.note),
                            vec![r.candidates],
                        );
                    }
                    Err(e) => done(
                        format!("The pretrained model's answer could not be read ({e}); these forecasts are the statistical models' only."),
                        Vec::new(),
                    ),
                },
                NnEvent::Failed(m) => done(
                    format!("The pretrained model could not run ({m}); these forecasts are the statistical models' only."),
                    Vec::new(),
                ),
            })
        });
        let nn = match nn {
            Some(Ok(j)) => Some(j),
            Some(Err(e)) => {
                pretrained_running.set(false);
                pretrained_note.set(Some(format!("The neural worker could not start ({e:?}); these forecasts are the statistical models' only.")));
                if let Some(p) = &late {
                    p.resolve(Vec::new());
                }
                None
            }
            None => {
                pretrained_running.set(false);
                pretrained_note.set(Some(if with_pretrained.get_untracked() {
                    "The pretrained model's forecasts for these settings are reused; it is the default each SKU's choice starts from.".into()
                } else {
                    "Without the pretrained model, as asked: these forecasts are the statistical models' only.".into()
                }));
                None
            }
        };
        let for_run = ds.clone();
        slot.begin(now_ms());
        let handler = move |ev: JobEvent<ForecastRun>| match ev {
            JobEvent::Partial(_) => {}
            JobEvent::Progress(f) => slot.advance(f),
            JobEvent::Done(r, _) => {
                slot.end(None);
                run_ds.set(Some(for_run.clone()));
                selected.set(
                    r.skus
                        .iter()
                        .find(|s| s.result.is_ok())
                        .map(|s| s.sku.clone()),
                );
                let r = Arc::new(*r);
                shared.set(Some((r.clone(), for_run.clone())));
                run.set(Some(r));
            }
            JobEvent::Failed(e) => {
                pretrained_running.set(false);
                slot.end(Some(e.to_string()))
            }
            JobEvent::Crashed(m) => {
                pretrained_running.set(false);
                slot.end(Some(m))
            }
        };
        let started = if k > 1 || late.is_some() {
            Job::forecast_split(&ds, &config, &globals, &ranks, k, late, handler)
        } else {
            Job::forecast(&ds, &config, &globals, &ranks, handler)
        };
        if started.is_err() {
            pretrained_running.set(false);
        }
        slot.hold(started.map(|j| match nn {
            Some(nn) => j.with_neural(nn),
            None => j,
        }));
    };
    let cancel = move |_| {
        pretrained_running.set(false);
        slot.end(Some(
            "Forecasting cancelled; earlier forecasts (if any) are unchanged.".into(),
        ))
    };

    view! {
        <section class="card" data-testid="forecast-controls">
            <h2>"Demand forecast"</h2>
            {move || cleaning.summary().map(|m| view! { <p class="note" data-testid="forecast-cleaning">{m}</p> })}
            <p class="summary-line" data-testid="forecast-next">{move || match (dataset.get(), run.get()) {
                (None, _) => "Next: load your sales on the Data page; forecasts are made from it.".to_string(),
                (Some(_), None) => "Next: forecast all SKUs. Each SKU's model is chosen by backtests on its own history.".to_string(),
                (Some(_), Some(_)) => "Forecasts ready: pick a SKU below to see its forecast, or go to Plan for what to order.".to_string(),
            }}</p>
            {move || match dataset.get() {
                None => view! { <p class="muted">"Load sales data on the Data page first."</p> }.into_any(),
                Some(ds) => view! {
                    <div class="settings">
                        <label>"Horizon (periods) "
                            <input type="text" inputmode="numeric" data-testid="horizon"
                                aria-invalid=move || horizon_error.get().is_some().to_string()
                                prop:value=move || horizon.get().unwrap_or_else(|| h_value().to_string())
                                on:change=move |ev| horizon.set(Some(event_target_value(&ev))) />
                        </label>
                        <label>"Frequency "
                            <select data-testid="forecast-freq" on:change=move |ev| {
                                weekly.set(event_target_value(&ev) == "weekly");
                                horizon.set(None);
                            }>
                                <option value="daily" selected=move || !weekly.get()>{move || data_freq().label()}</option>
                                <option value="weekly" selected=move || weekly.get() disabled=is_weekly_data()>"weekly"</option>
                            </select>
                        </label>
                        <label title="Forecasting is split across background workers, one per core of this machine (at most 8)">"Workers "
                            <select data-testid="forecast-workers" on:change=move |ev| workers.set(event_target_value(&ev).parse().unwrap_or(0))>
                                <option value="0" selected=move || workers.get() != 1>{move || format!("every core ({})", super::jobs::workers_for(usize::MAX))}</option>
                                <option value="1" selected=move || workers.get() == 1>"one"</option>
                            </select>
                        </label>
                        <label>"Backtest windows "
                            <select on:change=move |ev| windows.set(event_target_value(&ev).parse().unwrap_or(3))>
                                {[2usize, 3, 4, 5].into_iter().map(|w| view! { <option value=w.to_string() selected=move || windows.get() == w>{w}</option> }).collect_view()}
                            </select>
                        </label>
                        <label title="How the periods of each demand scenario (sample path) the planner uses depend on each other: a fitted copula keeps streaks of high or low demand together, so lead-time demand spreads as it really does">"Demand scenarios "
                            <select data-testid="scenarios" on:change=move |ev| scenarios.set(Scenarios::parse(&event_target_value(&ev)).unwrap_or_default())>
                                {[Scenarios::Copula, Scenarios::Generative, Scenarios::Windows, Scenarios::Independent].into_iter().map(|k| {
                                    // The generative model's scenarios once it is trained for this setup.
                                    let off = move || k == Scenarios::Generative && scenario_ranks.with(|r| r.is_none());
                                    view! { <option value=k.key() selected=move || scenarios.get() == k disabled=off>{k.name()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label title="The model pretrained on retail demand forecasts every SKU in a background worker beside the statistical models; each SKU's choice starts from it and switches only when a model or combination beats it clearly on the backtests">
                            <input type="checkbox" data-testid="forecast-pretrained" prop:checked=move || with_pretrained.get()
                                on:change=move |ev| with_pretrained.set(event_target_checked(&ev)) />
                            " Include the pretrained model"
                        </label>
                        <span class="muted">{move || format!("{} SKUs · season {} periods", ds.series.len(), if weekly.get() { weekly_season(&ds) } else { ds.season() })}</span>
                    </div>
                    {move || horizon_error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="forecast-field-error">{e}</p> })}
                    <button data-testid="run-forecast" on:click=move |_| start() disabled=move || progress.get().is_some() || horizon_error.get().is_some()>"Forecast all SKUs"</button>
                }.into_any(),
            }}
            {move || progress.get().map(|(p, t0)| {
                let elapsed = (now_ms() - t0) / 1000.0;
                let eta = if p > 0.02 { format!(", about {:.0} s left", elapsed * f64::from(1.0 - p) / f64::from(p)) } else { String::new() };
                view! {
                    <div class="progress" data-testid="forecast-progress">
                        <progress max="1" prop:value=f64::from(p)></progress>
                        <span>{format!("Backtesting and choosing models … {:.0} %{eta}", 100.0 * p)}</span>
                        {move || pretrained_running.get().then(|| view! { <span class="muted" data-testid="forecast-pretrained-running">" · the pretrained model is forecasting every SKU in the neural worker"</span> })}
                        <button class="secondary" data-testid="cancel-forecast" on:click=cancel>"Cancel"</button>
                    </div>
                }
            })}
            {move || message.get().map(|m| view! { <p class="note" data-testid="forecast-message">{m}</p> })}
            {move || run.get().map(|r| {
                let ok: Vec<&Choice> = r.skus.iter().filter_map(|s| s.result.as_ref().ok()).collect();
                let mut picks: Vec<(String, usize)> = Vec::new();
                for c in &ok {
                    let name = short_model(&c.forecast.model);
                    match picks.iter_mut().find(|(m, _)| *m == name) {
                        Some((_, n)) => *n += 1,
                        None => picks.push((name, 1)),
                    }
                }
                picks.sort_by_key(|p| std::cmp::Reverse(p.1));
                let mases: Vec<f64> = ok.iter().map(|c| chosen_mase(c)).filter(|m| m.is_finite()).collect();
                let mean_mase = mases.iter().sum::<f64>() / mases.len().max(1) as f64;
                let failed = r.skus.len() - ok.len();
                let r2 = r.clone();
                view! {
                    <div class="summary" data-testid="forecast-summary">
                        <p>{format!(
                            "Forecast {} SKUs, {} periods ahead ({} – {}), in {:.1} s ({}). Mean backtest MASE of the chosen models: {:.3}.{}",
                            ok.len(), r.config.h,
                            r.dates.first().map(|d| d.to_string()).unwrap_or_default(),
                            r.dates.last().map(|d| d.to_string()).unwrap_or_default(),
                            r.seconds,
                            match used_workers.get_untracked() { 1 => "one worker".to_string(), k => format!("{k} workers") },
                            mean_mase,
                            if failed > 0 { format!(" {failed} SKUs could not be forecast.") } else { String::new() }
                        )}</p>
                        {move || pretrained_note.get().map(|m| view! { <p class="muted" data-testid="forecast-pretrained-note">{m}</p> })}
                        <p class="muted">"Chosen: " {picks.iter().map(|(m, n)| format!("{m} {n}")).collect::<Vec<_>>().join(" · ")}</p>
                        <button data-testid="download-csv" on:click=move |_| {
                            if let Err(e) = download("forecast.csv", &r2.to_csv()) {
                                message.set(Some(format!("cannot download: {e:?}")));
                            }
                        }>"Download forecasts (CSV)"</button>
                    </div>
                }
            })}
        </section>
        <NeuralPanel dataset=dataset setup=setup neural=neural neural_key=neural_key start=start scenario_ranks=scenario_ranks scenarios=scenarios />
        {move || match (run_ds.get(), run.get()) {
            (Some(ds), Some(r)) => view! { <Results ds=ds run=r selected=selected sort=sort cleaning=cleaning /> }.into_any(),
            _ => view! {
                <section class="card empty" data-testid="forecast-empty">
                    <p>"Each SKU's forecast (median and P10–P90 band over its history), its model's backtest scores and a seasonal decomposition will appear here once the SKUs are forecast."</p>
                </section>
            }.into_any(),
        }}
    }
}

/// Rows a page of the SKU table shows.
const ROWS: usize = 100;

#[component]
fn Results(
    ds: Arc<Dataset>,
    run: Arc<ForecastRun>,
    selected: RwSignal<Option<String>>,
    sort: RwSignal<SortKey>,
    cleaning: super::anomaly_panel::AnomalyState,
) -> impl IntoView {
    let ds2 = ds.clone();
    let run2 = run.clone();
    let rows = move || {
        let mut rows: Vec<(usize, f64, f64, f64)> = run2
            .skus
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let c = s.result.as_ref().ok()?;
                let units = series_of(&ds2, i, &s.sku).map(|x| x.units).unwrap_or(0.0);
                Some((i, chosen_mase(c), units, risk(c)))
            })
            .collect();
        match sort.get() {
            // Undefined errors (no seasonal-naive error in the history) go last.
            SortKey::Error => rows.sort_by(|a, b| match (a.1.is_finite(), b.1.is_finite()) {
                (true, true) => b.1.total_cmp(&a.1),
                (x, y) => y.cmp(&x),
            }),
            SortKey::Volume => rows.sort_by(|a, b| b.2.total_cmp(&a.2)),
            SortKey::Risk => rows.sort_by(|a, b| b.3.total_cmp(&a.3)),
        }
        rows
    };
    let ds3 = ds.clone();
    let run3 = run.clone();
    let page = RwSignal::new(0usize);
    let total = run.skus.iter().filter(|s| s.result.is_ok()).count();
    let table = move || {
        let at = page.get().min(total.div_ceil(ROWS).max(1) - 1);
        rows()
            .into_iter()
            .skip(at * ROWS)
            .take(ROWS)
            .map(|(i, mase, units, risk)| {
                let s = &run3.skus[i];
                let Ok(c) = &s.result else { return ().into_any() };
                let hist: Vec<f64> = series_of(&ds3, i, &s.sku).map(|x| x.values[x.values.len().saturating_sub(60)..].to_vec()).unwrap_or_default();
                let spark = sparkline(&hist, &c.forecast.quantiles[1]);
                let sku = s.sku.clone();
                let sku2 = sku.clone();
                view! {
                    <tr class=move || if selected.get().as_deref() == Some(sku2.as_str()) { "sel" } else { "" } tabindex="0"
                        on:click={let sku = sku.clone(); move |_| selected.set(Some(sku.clone()))}
                        on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { ev.prevent_default(); selected.set(Some(sku.clone())) }>
                        <td>{s.sku.clone()}</td>
                        <td title=c.forecast.model.clone()>{short_model(&c.forecast.model)}</td>
                        <td class="num">{fmt_figure(mase, 3)}</td>
                        <td class="num">{fmt_int(units)}</td>
                        <td class="num">{format!("{risk:.2}")}</td>
                        <td inner_html=spark></td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
    };
    let header = move |label: &'static str, key: Option<SortKey>, class: &'static str| {
        view! {
            <th class=class aria-sort=move || if key.is_some() && key == Some(sort.get()) { "descending" } else { "none" }>
                {match key {
                    Some(k) => view! {
                        <button class="th-sort" on:click=move |_| { sort.set(k); page.set(0); }>
                            {label}{move || (key == Some(sort.get())).then_some(" ▾")}
                        </button>
                    }.into_any(),
                    None => view! { {label} }.into_any(),
                }}
            </th>
        }
    };
    view! {
        <section class="card">
            <div class="split">
                <div class="left">
                    <h2>"SKUs"</h2>
                    <p class="muted">"Sort by backtest error (MASE), volume (units sold) or risk (P10–P90 width relative to the expected demand)."</p>
                    <super::Glossary terms=super::FORECAST_TERMS />
                    <div class="table-wrap tall" tabindex="0" role="region" aria-label="SKUs and their forecasts">
                        <table class="skus" data-testid="forecast-table">
                            <thead><tr>
                                {header("SKU", None, "")}
                                {header("Model", None, "")}
                                {header("MASE", Some(SortKey::Error), "num")}
                                {header("Units", Some(SortKey::Volume), "num")}
                                {header("Risk", Some(SortKey::Risk), "num")}
                                <th>"History · forecast"</th>
                            </tr></thead>
                            <tbody>{table}</tbody>
                        </table>
                    </div>
                    {(total > ROWS).then(|| view! { <super::Pager total=total page=page size=ROWS what="SKUs" name="forecast" /> })}
                </div>
                <div class="right">
                    <SkuForecastView ds=ds run=run selected=selected cleaning=cleaning />
                </div>
            </div>
        </section>
    }
}

#[component]
fn SkuForecastView(
    ds: Arc<Dataset>,
    run: Arc<ForecastRun>,
    selected: RwSignal<Option<String>>,
    cleaning: super::anomaly_panel::AnomalyState,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let marked = RwSignal::new(0usize);
    let decomposition = NodeRef::<Canvas>::new();
    let drawn = RwSignal::new(String::new());
    let (ds2, run2) = (ds.clone(), run.clone());
    let run_figures = run.clone();
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        let sku = selected.get();
        let Some(s) = sku.as_deref().and_then(|k| ds2.get(k)) else {
            return;
        };
        let Some(Ok(c)) = run2.skus.iter().find(|f| f.sku == s.sku).map(|f| &f.result) else {
            return;
        };
        if let Some(el) = canvas.get() {
            let flags = cleaning.flags.get().unwrap_or_default();
            let excluded = cleaning.excluded.get();
            let chart = ForecastChart::new(&ds2, s, c, &run2.dates, 120)
                .with_anomalies(&s.sku, flags.iter().zip(excluded.iter().copied()));
            marked.set(chart.anomalies.len());
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                match chart.draw(&b.into_drawing_area()) {
                    Ok(()) => drawn.set(s.sku.clone()),
                    Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!("chart: {e}"))),
                }
            }
        }
        if let Some(el) = decomposition.get() {
            let mstl = Mstl {
                periods: vec![run2.config.season],
            };
            let dates = s.dates(&ds2);
            let chart = mstl
                .decompose(&s.values)
                .map(|(trend, seasonal, remainder)| {
                    let pts = |v: &[f64]| {
                        dates
                            .iter()
                            .copied()
                            .zip(v.iter().copied())
                            .collect::<Vec<_>>()
                    };
                    let mut components = vec![("trend".to_string(), pts(&trend))];
                    for (k, seas) in seasonal.iter().enumerate() {
                        components.push((
                            format!(
                                "seasonal ({} periods)",
                                mstl.periods.get(k).copied().unwrap_or(0)
                            ),
                            pts(seas),
                        ));
                    }
                    components.push(("remainder".to_string(), pts(&remainder)));
                    DecompositionChart { components }
                });
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                let area = b.into_drawing_area();
                match chart {
                    Some(chart) => {
                        let _ = chart.draw(&area);
                    }
                    // Too short for two cycles: clear the previous SKU's panels.
                    None => {
                        let _ = area.fill(&plotters::style::WHITE);
                        let _ = area.draw_text("Not enough history for a seasonal decomposition (two full cycles needed).", &("sans-serif", 16).into(), (20, 30));
                        let _ = area.present();
                    }
                }
            }
        }
    });
    let details = move || {
        let sku = selected.get()?;
        let f = run.skus.iter().find(|f| f.sku == sku)?;
        let c = f.result.as_ref().ok()?;
        let seasonal = f.seasonal;
        Some(view! {
            <p data-testid="choice-reason">{c.reason.clone()}</p>
            <table class="small" data-testid="leaderboard">
                <thead><tr><th>"Model"</th><th class="num">"MASE"</th><th class="num">"RMSSE"</th><th class="num">"SQL"</th><th class="num">"Cov. 80"</th></tr></thead>
                <tbody>
                    {c.leaderboard.iter().map(|s| {
                        let chosen = s.model == c.forecast.model;
                        view! {
                            <tr class=if chosen { "sel" } else { "" }>
                                <td>{s.model.clone()}</td>
                                <td class="num">{fmt_figure(s.scores.mase, 3)}</td>
                                <td class="num">{fmt_figure(s.scores.rmsse, 3)}</td>
                                <td class="num">{format!("{:.3}", (s.scores.sql[0] + s.scores.sql[1] + s.scores.sql[2]) / 3.0)}</td>
                                <td class="num">{format!("{:.0} %", 100.0 * s.scores.coverage80)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">{if seasonal {
                format!("A cycle of {} periods was detected in this SKU: the decomposition below (MSTL) shows it.", run.config.season)
            } else {
                format!("No significant cycle of {} periods in this SKU (autocorrelation test): seasonal models were not considered. The decomposition below is shown for reference.", run.config.season)
            }}</p>
        })
    };
    // The figures behind the chart, for screen readers and for reading exact values.
    let run4 = run_figures.clone();
    let figures = move || {
        let sku = drawn.get();
        let f = run4.skus.iter().find(|f| f.sku == sku)?;
        let c = f.result.as_ref().ok()?;
        let q = &c.forecast.quantiles;
        Some(view! {
            <details data-testid="forecast-figures">
                <summary>"The figures behind the chart"</summary>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Forecast figures">
                    <table class="small">
                        <thead><tr><th>"Date"</th><th class="num">"P10"</th><th class="num">"Median"</th><th class="num">"P90"</th></tr></thead>
                        <tbody>{run4.dates.iter().enumerate().map(|(i, d)| view! {
                            <tr><td>{d.to_string()}</td>
                                <td class="num">{crate::format::units(q[0].get(i).copied().unwrap_or(f64::NAN))}</td>
                                <td class="num">{crate::format::units(q[1].get(i).copied().unwrap_or(f64::NAN))}</td>
                                <td class="num">{crate::format::units(q[2].get(i).copied().unwrap_or(f64::NAN))}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                </div>
            </details>
        })
    };
    let run5 = run_figures.clone();
    let alt = move || {
        let sku = drawn.get();
        let Some(c) = run5
            .skus
            .iter()
            .find(|f| f.sku == sku)
            .and_then(|f| f.result.as_ref().ok())
        else {
            return "Forecast chart (no SKU selected).".to_string();
        };
        let q = &c.forecast.quantiles;
        format!(
            "Forecast of {sku} with {}: {} units expected over the next {} periods (P10–P90 {}–{} per period on average); history before it.",
            c.forecast.model,
            crate::format::units(q[1].iter().sum::<f64>()),
            q[1].len(),
            crate::format::units(q[0].iter().sum::<f64>() / q[0].len().max(1) as f64),
            crate::format::units(q[2].iter().sum::<f64>() / q[2].len().max(1) as f64),
        )
    };
    view! {
        <h2>"Forecast"</h2>
        <canvas node_ref=canvas width="900" height="360" data-testid="forecast-chart" data-drawn=move || drawn.get() data-anomalies=move || marked.get() role="img" aria-label=alt></canvas>
        {figures}
        {details}
        <h2>"Decomposition"</h2>
        <canvas node_ref=decomposition width="900" height="360" data-testid="decomposition-chart" role="img"
            aria-label=move || format!("Trend, seasonal and remainder components of {}'s demand (MSTL).", drawn.get())></canvas>
    }
}

/// The "Train neural models" panel: trains a global model in the neural worker (a
/// separate wasm loaded on demand), shows the device, a live loss chart and an ETA,
/// then re-runs the forecast with the model among the candidates of every SKU.
#[component]
fn NeuralPanel(
    dataset: RwSignal<Option<Arc<Dataset>>>,
    setup: impl Fn() -> Option<Setup> + Copy + Send + Sync + 'static,
    neural: RwSignal<Vec<GlobalForecasts>>,
    neural_key: StoredValue<Option<RunKey>>,
    start: impl Fn() + Copy + Send + Sync + 'static,
    scenario_ranks: RwSignal<Option<RanksFor>>,
    scenarios: RwSignal<Scenarios>,
) -> impl IntoView {
    use super::jobs::{NnEvent, NnJob, NnProgress, NnRequest, NnResult};
    let notices = super::notices::Notices::get();
    let kind = RwSignal::new("lstm".to_string());
    let epochs = RwSignal::new("20".to_string());
    let epochs_error = Memo::new(move |_| epochs_field().read(&epochs.get()).err());
    let device = RwSignal::new("auto".to_string());
    let job = StoredValue::new_local(None::<NnJob>);
    let running = RwSignal::new(None::<f64>);
    // Whether the job running is a fine-tuning (no early stop) rather than training.
    let tuning = RwSignal::new(false);
    let device_text = RwSignal::new(None::<String>);
    let history = RwSignal::new(Vec::<NnProgress>::new());
    let status = RwSignal::new(None::<String>);
    let saved = RwSignal::new(Vec::<(String, Vec<u8>)>::new());
    let canvas = NodeRef::<Canvas>::new();
    // Models trained before (kept in IndexedDB) can be used again after a reload.
    leptos::task::spawn_local(async move {
        let mut found = Vec::new();
        for k in [
            "lstm",
            "gru",
            "patchtst",
            "mlp",
            "pretrained-ft",
            "scenario-vae",
        ] {
            if let Ok(Some(bytes)) = super::storage::load_key(&format!("model:{k}")).await {
                found.push((k.to_string(), bytes));
            }
        }
        if !found.is_empty() {
            saved.set(found);
        }
    });
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        let h = history.get();
        if let Some(el) = canvas.get() {
            let chart = crate::plot::LossChart {
                title: if kind.get_untracked() == "scenario-vae" {
                    "Training the scenario model (negative ELBO per period)".into()
                } else {
                    "Training (pinball loss, scaled)".into()
                },
                train: h.iter().map(|p| (p.epoch as f64, p.train_loss)).collect(),
                valid: h.iter().map(|p| (p.epoch as f64, p.valid_loss)).collect(),
            };
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                let _ = chart.draw(&b.into_drawing_area());
            }
        }
    });
    let run_nn = move |model: Option<Vec<u8>>, what: Option<&'static str>| {
        let Some((ds, config, key)) = setup() else {
            return;
        };
        let Ok(Some(epochs)) = epochs_field().read(&epochs.get_untracked()) else {
            return;
        };
        let epochs = epochs as usize;
        // Adapting again (after newer sales) continues from the saved fine-tuned
        // weights, a few epochs from where they were.
        let init = (what == Some("pretrained-ft"))
            .then(|| {
                saved.with_untracked(|s| {
                    s.iter()
                        .find(|(k, _)| k == "pretrained-ft")
                        .map(|(_, b)| b.clone())
                })
            })
            .flatten();
        let req = NnRequest {
            init,
            kind: what.map_or_else(|| kind.get_untracked(), str::to_string),
            epochs,
            device: device.get_untracked(),
            backtest: config,
            model,
        };
        tuning.set(what == Some("pretrained-ft"));
        history.set(Vec::new());
        device_text.set(None);
        status.set(None);
        running.set(Some(now_ms()));
        let started = NnJob::start(&ds, req, move |ev| match ev {
            NnEvent::Device(t) => device_text.set(Some(t)),
            NnEvent::Epoch(p) => history.update(|h| h.push(p)),
            NnEvent::Done(bytes) => {
                running.set(None);
                job.set_value(None);
                match postcard::from_bytes::<NnResult>(&bytes) {
                    Ok(r) if !r.scenarios.is_empty() => {
                        let best = r
                            .history
                            .iter()
                            .map(|p| p.valid_loss)
                            .fold(f64::INFINITY, f64::min);
                        status.set(Some(if r.history.is_empty() {
                            format!("{} made {} SKUs' demand scenarios on {}; the forecasts' scenarios now come from it.", r.name, r.scenarios.len(), r.device)
                        } else {
                            format!(
                                "{} trained on {}: {} steps in {:.1} s, best hold-out loss {:.4}; {} SKUs' demand scenarios now come from it (each period's forecast stays its model's). Neural worker memory: {:.0} MB.",
                                r.name, r.device, r.history.last().map_or(0, |p| p.step), r.history.last().map_or(0.0, |p| p.elapsed_s), best, r.scenarios.len(), r.wasm_memory_mb
                            )
                        }));
                        if !r.history.is_empty() && !r.model.is_empty() {
                            let bytes = r.model.clone();
                            notices.save("model:scenario-vae".to_string(), bytes, "the trained scenario model");
                            saved.update(|s| {
                                s.retain(|(n, _)| n != "scenario-vae");
                                s.push(("scenario-vae".to_string(), r.model.clone()));
                            });
                        }
                        scenario_ranks.set(Some((key, Arc::new(r.scenarios))));
                        scenarios.set(Scenarios::Generative);
                        start();
                    }
                    Ok(r) => {
                        if neural_key.get_value() != Some(key) {
                            neural.set(Vec::new());
                            neural_key.set_value(Some(key));
                        }
                        let best = r
                            .history
                            .iter()
                            .min_by(|a, b| a.valid_loss.total_cmp(&b.valid_loss));
                        status.set(Some(match best {
                            Some(b) => {
                                let mut speeds: Vec<f64> = r.history.iter().map(|p| p.windows_per_s).collect();
                                speeds.sort_by(f64::total_cmp);
                                format!(
                                    "{} trained on {}: {} epochs in {:.1} s, best validation loss {:.4} at epoch {}; the forecasts now include it. {:.0} training windows/s; neural worker memory: {:.0} MB.",
                                    r.name, r.device, r.history.len(), r.history.last().map_or(0.0, |p| p.elapsed_s), b.valid_loss, b.epoch,
                                    speeds[speeds.len() / 2], r.wasm_memory_mb
                                )
                            }
                            None => format!("{} forecasts ready on {}; the forecasts now include it.", r.name, r.device),
                        } + &r.note));
                        if !r.model.is_empty() && !r.history.is_empty() {
                            let (name, bytes) = (r.name.clone(), r.model.clone());
                            notices.save(format!("model:{name}"), bytes, "the trained model");
                            saved.update(|s| {
                                s.retain(|(n, _)| *n != r.name);
                                s.push((r.name.clone(), r.model.clone()));
                            });
                        }
                        neural.update(|n| {
                            n.retain(|g| g.name != r.candidates.name);
                            n.push(r.candidates);
                        });
                        start();
                    }
                    Err(e) => status.set(Some(format!(
                        "the neural worker's answer could not be read: {e}"
                    ))),
                }
            }
            NnEvent::Failed(m) => {
                running.set(None);
                job.set_value(None);
                status.set(Some(m));
            }
        });
        match started {
            Ok(j) => job.set_value(Some(j)),
            Err(e) => {
                running.set(None);
                status.set(Some(format!("cannot start the neural worker: {e:?}")));
            }
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => run_nn(Some(js_sys::Uint8Array::new(&buf).to_vec()), None),
                Err(e) => status.set(Some(format!("cannot read {}: {e:?}", file.name()))),
            }
        });
    };
    view! {
        <section class="card" data-testid="neural-panel">
            <h2>"Neural models"</h2>
            <p class="muted">"Global models forecast every SKU at once, in a background worker on this machine's GPU (WebGPU) or CPU. The pretrained demand model (it already knows how retail demand behaves) runs with every forecast; here it can be adapted to this shop in a few minutes, or a model trained from scratch. Each joins every SKU's backtest and the automatic choice, scored only on periods it never saw."</p>
            <div class="settings">
                <label>"Model "
                    <select data-testid="nn-model" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="lstm" selected=true>"LSTM (DeepAR-style)"</option>
                        <option value="gru">"GRU"</option>
                        <option value="patchtst">"PatchTST (Transformer)"</option>
                        <option value="mlp">"MLP (N-BEATS-like)"</option>
                        <option value="scenario-vae">"Scenario model (conditional VAE: demand paths for the planner)"</option>
                    </select>
                </label>
                <label>"Epochs (at most) "
                    <input type="text" inputmode="numeric" data-testid="nn-epochs"
                        aria-invalid=move || epochs_error.get().is_some().to_string()
                        prop:value=move || epochs.get()
                        on:change=move |ev| epochs.set(event_target_value(&ev)) />
                </label>
                <label>"Device "
                    <select data-testid="nn-device" on:change=move |ev| device.set(event_target_value(&ev))>
                        <option value="auto" selected=true>"automatic"</option>
                        <option value="gpu">"GPU (WebGPU)"</option>
                        <option value="cpu">"CPU"</option>
                    </select>
                </label>
            </div>
            {move || epochs_error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="nn-field-error">{e}</p> })}
            <div class="buttons">
                <button data-testid="nn-train" disabled=move || running.get().is_some() || dataset.with(|d| d.is_none()) || epochs_error.get().is_some()
                    on:click=move |_| run_nn(None, None)>"Train"</button>
                <button data-testid="nn-finetune" disabled=move || running.get().is_some() || dataset.with(|d| d.is_none()) || epochs_error.get().is_some()
                    title="Fine-tunes the pretrained model on this shop's history (all but the backtest periods), 10 steps per epoch, continuing from the fine-tuned model saved before when there is one; Cancel keeps the best epoch so far."
                    on:click=move |_| run_nn(None, Some("pretrained-ft"))>{move || if saved.with(|s| s.iter().any(|(k, _)| k == "pretrained-ft")) { "Adapt the model to my shop again" } else { "Adapt the model to my shop" }}</button>
                {move || running.get().is_some().then(|| view! {
                    <button class="secondary" data-testid="nn-cancel" on:click=move |_| {
                        // The worker stops at the next epoch and finishes with the best
                        // weights so far.
                        job.with_value(|j| if let Some(j) = j { j.stop() });
                        status.set(Some("Stopping after this epoch; the best weights so far are kept …".into()));
                    }>"Cancel"</button>
                })}
                <label class="button secondary">"Use a saved model file "
                    <input type="file" data-testid="nn-import" on:change=import />
                </label>
                {move || saved.get().into_iter().map(|(name, bytes)| {
                    let b2 = bytes.clone();
                    let n2 = name.clone();
                    view! {
                        <button class="secondary" data-testid="nn-download" on:click=move |_| {
                            let ext = if bytes.starts_with(b"SCPT") {
                                "sct"
                            } else if bytes.starts_with(b"SCVAE") {
                                // A scenario model file (`nn::scenario`, not in the page's build).
                                "scv"
                            } else {
                                "model"
                            };
                            let _ = download_bytes(&format!("supplycast-{name}.{ext}"), &bytes);
                        }>{format!("Download {n2} model")}</button>
                        <button class="secondary" data-testid="nn-use-saved" disabled=move || running.get().is_some()
                            on:click=move |_| run_nn(Some(b2.clone()), None)>{format!("Use saved {} model", n2)}</button>
                    }
                }).collect_view()}
            </div>
            {move || device_text.get().map(|t| view! { <p data-testid="nn-device-text">{format!("Device: {t}")}</p> })}
            {move || running.get().map(|t0| {
                let h = history.get();
                let text = match h.last() {
                    None => "Starting (loading the neural engine) …".to_string(),
                    Some(p) => {
                        let per = (now_ms() - t0) / 1000.0 / p.epoch as f64;
                        format!(
                            "Epoch {}/{}: training loss {:.4}, validation {:.4} (best {:.4}), {:.0} windows/s; {} {:.0} s left ({})",
                            p.epoch, p.epochs, p.train_loss, p.valid_loss, p.best_loss, p.windows_per_s,
                            if tuning.get() { "about" } else { "at most" },
                            per * (p.epochs - p.epoch) as f64,
                            if tuning.get() {
                                "fine-tuning runs every step and keeps the best epoch"
                            } else {
                                "stops early when validation stops improving"
                            }
                        )
                    }
                };
                view! { <p data-testid="nn-progress">{text}</p> }
            })}
            {move || status.get().map(|m| view! { <p class="note" data-testid="nn-status">{m}</p> })}
            // No chart before the first epoch: a sentence says what will appear.
            <p class="muted" data-testid="loss-empty" style=move || if history.get().is_empty() { "" } else { "display:none" }>
                "The training and validation loss of each epoch will be drawn here while a model trains."
            </p>
            <canvas node_ref=canvas width="900" height="260" data-testid="loss-chart" data-epochs=move || history.get().len().to_string()
                style=move || if history.get().is_empty() { "display:none" } else { "" }
                role="img" aria-label=move || {
                    let h = history.get();
                    match h.iter().min_by(|a, b| a.valid_loss.total_cmp(&b.valid_loss)) {
                        Some(b) => format!("Training loss over {} epochs; the best validation loss {} at epoch {}.", h.len(), crate::format::figure(b.valid_loss, 4), b.epoch),
                        None => "Training loss (no epoch yet).".to_string(),
                    }
                }></canvas>
        </section>
    }
}

/// The forecast's horizon box (periods).
fn horizon_field() -> Field {
    Field::number("Horizon (periods)", 1.0..=365.0).whole()
}

/// The neural panel's epochs box.
fn epochs_field() -> Field {
    Field::number("Epochs (at most)", 1.0..=200.0).whole()
}
