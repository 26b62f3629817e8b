//! The Data page: load a file (or the sample store), check the detected format and
//! mapping, watch the worker's progress, read the cleaning report, browse SKUs.

use std::sync::Arc;

use js_sys::{ArrayBuffer, Uint8Array};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::Glossary;
use super::jobs::{Job, JobEvent};
use super::storage;
use crate::data::{
    self, CancellationRule, ColumnMapping, DataError, Dataset, DateStyle, Format, Frequency,
    LoadOptions, Role, Sniff, ingest,
};
use crate::plot::DemandChart;

/// The bundled sample store, served beside the app.
pub const SAMPLE_URL: &str = "./sample_store.csv";
const SAMPLE_NAME: &str = "sample_store.csv";
/// How much of a file the page reads itself to show the format and preview.
const SNIFF_BYTES: u32 = 256 * 1024;
/// SKU rows shown at once in the table.
const TABLE_ROWS: usize = 100;

#[derive(Clone)]
enum Source {
    File(web_sys::File),
    Sample,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Sku,
    Units,
    Revenue,
    History,
    Zeros,
    Class,
    Flags,
}

async fn read_source(src: &Source) -> Result<ArrayBuffer, String> {
    let promise = match src {
        Source::File(f) => f.array_buffer(),
        Source::Sample => {
            let window = web_sys::window().ok_or("no window")?;
            let resp = JsFuture::from(window.fetch_with_str(SAMPLE_URL))
                .await
                .map_err(|e| format!("cannot fetch the sample store: {e:?}"))?;
            let resp: web_sys::Response =
                resp.dyn_into().map_err(|_| "not a response".to_string())?;
            if !resp.ok() {
                return Err(format!(
                    "cannot fetch the sample store: HTTP {}",
                    resp.status()
                ));
            }
            resp.array_buffer().map_err(|e| format!("{e:?}"))?
        }
    };
    let buf = JsFuture::from(promise)
        .await
        .map_err(|e| format!("cannot read the file: {e:?}"))?;
    buf.dyn_into::<ArrayBuffer>()
        .map_err(|_| "cannot read the file".to_string())
}

/// The first bytes of a file, cut after the last complete line.
fn head(buf: &ArrayBuffer) -> Vec<u8> {
    let n = buf.byte_length().min(SNIFF_BYTES);
    let mut v = Uint8Array::new_with_byte_offset_and_length(buf, 0, n).to_vec();
    if n < buf.byte_length()
        && let Some(p) = v.iter().rposition(|b| *b == b'\n')
    {
        v.truncate(p + 1);
    }
    v
}

pub(crate) fn fmt_int(v: f64) -> String {
    crate::format::int(v)
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

/// The Data page.
#[component]
pub fn DataPage(
    /// The loaded dataset, shared with the other pages.
    dataset: RwSignal<Option<Arc<Dataset>>>,
    /// Its anomalies and what the merchant decided about them.
    anomalies: super::anomaly_panel::AnomalyState,
    /// Kept forecasts, their scores and the updates.
    history: RwSignal<crate::store::History>,
    /// The price elasticities of the last order export read.
    prices: RwSignal<Arc<Vec<crate::pricing::Elasticity>>>,
) -> impl IntoView {
    // The next file read is newer sales to add to the data, not a replacement (stays
    // set until it is added, so that fixing its columns adds it too).
    let append_mode = StoredValue::new(false);
    let notices = super::notices::Notices::get();
    let appended = RwSignal::new(None::<String>);
    let source = StoredValue::new_local(None::<Source>);
    let source_name = RwSignal::new(String::new());
    let sniff = RwSignal::new(None::<Sniff>);
    let opts = RwSignal::new(LoadOptions::default());
    let progress = RwSignal::new(None::<f32>);
    let error = RwSignal::new(None::<DataError>);
    let message = RwSignal::new(None::<String>);
    // Saved bytes this version cannot read: kept, offered for download, never replaced
    // behind the merchant's back.
    let unreadable = RwSignal::new(None::<Vec<u8>>);
    let job = StoredValue::new_local(None::<Job>);
    let selected = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new((SortKey::Units, true));
    let unknown_columns = RwSignal::new(None::<Vec<String>>);
    let timing = RwSignal::new(None::<String>);

    // Reads the current source and loads it in the worker with the current options.
    // Each run has a number: a run that finishes reading after a newer one started
    // (the merchant picked another file meanwhile) gives way.
    let generation = StoredValue::new(0u64);
    let run = move || {
        let Some(src) = source.get_value() else {
            return;
        };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        let name = source_name.get_untracked();
        let o = opts.get_untracked();
        spawn_local(async move {
            error.set(None);
            message.set(None);
            let buf = match read_source(&src).await {
                Ok(b) => b,
                Err(e) => {
                    message.set(Some(e));
                    return;
                }
            };
            if generation.get_value() != mine {
                return;
            }
            // A store file (`supplycast ingest --store`, or "Download the store"): the
            // data and its forecast history as they were saved.
            let magic =
                Uint8Array::new_with_byte_offset_and_length(&buf, 0, buf.byte_length().min(4))
                    .to_vec();
            if !append_mode.get_value() && magic == crate::store::MAGIC {
                let bytes = Uint8Array::new(&buf).to_vec();
                match crate::store::Store::from_bytes(&name, &bytes) {
                    Ok(st) => {
                        let stored = st.dataset.to_stored_bytes();
                        let kept = st.history.clone();
                        message.set(Some(format!(
                            "Opened the store {name}: {} SKUs, {} kept forecasts, {} scores.",
                            fmt_int(st.dataset.series.len() as f64),
                            st.history.snapshots.len(),
                            st.history.evaluations.len()
                        )));
                        selected.set(st.dataset.series.first().map(|s| s.sku.clone()));
                        history.set(st.history);
                        dataset.set(Some(Arc::new(st.dataset)));
                        // Its history replaces the saved one only once its data is saved.
                        spawn_local(async move {
                            match storage::save(&stored).await {
                                Ok(()) => super::save_history(notices, &kept),
                                Err(e) => message.set(Some(format!("The data could not be kept in this browser's storage ({e:?}); it is lost on reload."))),
                            }
                        });
                    }
                    Err(e) => message.set(Some(e.to_string())),
                }
                return;
            }
            match ingest::sniff(&name, &head(&buf), &o.read) {
                Ok(s) => {
                    unknown_columns.set(None);
                    sniff.set(Some(s));
                }
                Err(e) => {
                    if let DataError::UnknownFormat { columns, .. } = &e {
                        unknown_columns.set(Some(columns.clone()));
                    }
                    sniff.set(None);
                    error.set(Some(e));
                    return;
                }
            }
            progress.set(Some(0.0));
            let started = Job::load(&name, buf, &o, move |ev| match ev {
                JobEvent::Partial(_) => {}
                JobEvent::Progress(f) => progress.set(Some(f)),
                JobEvent::Done(loaded, ms) => {
                    let (ds, orders, elasticities) = *loaded;
                    if append_mode.get_value() {
                        progress.set(None);
                        job.set_value(None);
                        let Some(current) = dataset.get_untracked() else {
                            append_mode.set_value(false);
                            message.set(Some("There is no data to add to: the file was not read as newer sales. Load it as the data instead.".into()));
                            return;
                        };
                        let mut h = history.get_untracked();
                        match h.update(&current, &ds) {
                            Err(e) => error.set(Some(e)),
                            Ok((merged, report, eval)) => {
                                // Still in append mode: reading this export again (after
                                // fixing its columns, say) adds it again, which replaces
                                // what it added and never counts it twice.
                                let mut text = report.summary();
                                match &eval {
                                    Some(e) => text.push_str(&format!(
                                        " The forecast made through {} met {} new periods: see Forecast accuracy below.",
                                        e.data_end, e.periods
                                    )),
                                    None => text.push_str(" No kept forecast covers the new periods yet: forecast now, and the next update scores it."),
                                }
                                timing.set(Some(format!(
                                    "Read and added {} rows in {:.2} s.",
                                    fmt_int(ds.report.rows as f64),
                                    ms / 1000.0
                                )));
                                appended.set(Some(text));
                                let bytes = merged.to_stored_bytes();
                                let kept = h.clone();
                                history.set(h);
                                dataset.set(Some(Arc::new(merged)));
                                spawn_local(async move {
                                    match storage::save(&bytes).await {
                                        Ok(()) => super::save_history(notices, &kept),
                                        Err(e) => message.set(Some(format!("The data could not be kept in this browser's storage ({e:?}); it is lost on reload."))),
                                    }
                                });
                            }
                        }
                        return;
                    }
                    // A new file: a new history and its own prices.
                    appended.set(None);
                    history.set(crate::store::History::default());
                    let mut pb = vec![1u8];
                    pb.extend(postcard::to_allocvec(&elasticities).unwrap_or_default());
                    prices.set(Arc::new(elasticities));
                    let ds = Box::new(ds);
                    // The order lines' anomalies join the list once the series' are found.
                    anomalies.set_orders(&ds, orders);
                    progress.set(None);
                    job.set_value(None);
                    timing.set(Some(format!(
                        "Read {} rows in {:.2} s (in a background worker).",
                        fmt_int(ds.report.rows as f64),
                        ms / 1000.0
                    )));
                    let bytes = ds.to_stored_bytes();
                    unreadable.set(None);
                    selected.set(ds.series.first().map(|s| s.sku.clone()));
                    dataset.set(Some(Arc::new(*ds)));
                    // The old file's history and prices are replaced only once the new
                    // data is saved: a failed save leaves the saved state whole.
                    spawn_local(async move {
                        match storage::save(&bytes).await {
                            Ok(()) => {
                                super::save_history(notices, &crate::store::History::default());
                                notices.save(super::PRICES_KEY.to_string(), pb, "the price elasticities");
                            }
                            Err(e) => message.set(Some(format!("The data could not be kept in this browser's storage ({e:?}); it is lost on reload."))),
                        }
                    });
                }
                JobEvent::Failed(e) => {
                    progress.set(None);
                    job.set_value(None);
                    error.set(Some(e));
                }
                JobEvent::Crashed(m) => {
                    progress.set(None);
                    job.set_value(None);
                    message.set(Some(m));
                }
            });
            match started {
                Ok(j) => job.set_value(Some(j)),
                Err(e) => {
                    progress.set(None);
                    message.set(Some(format!("cannot start the background worker: {e:?}")));
                }
            }
        });
    };

    let load_new = move |src: Source, name: String| {
        append_mode.set_value(false);
        source.set_value(Some(src));
        source_name.set(name);
        // A new file gets fresh detection; frequency and cancellation rule stay.
        opts.update(|o| o.read = Default::default());
        run();
    };

    let cancel = move |_| {
        job.set_value(None);
        progress.set(None);
        message.set(Some(
            "Loading cancelled; the data shown before is unchanged.".into(),
        ));
    };

    // First visit: the sample store; later visits: what was loaded last time.
    spawn_local(async move {
        match storage::load().await {
            Ok(Some(bytes)) => match Dataset::from_stored_bytes(&bytes) {
                Ok(ds) => {
                    selected.set(ds.series.first().map(|s| s.sku.clone()));
                    source_name.set(ds.name.clone());
                    message.set(Some(format!(
                        "Restored {} from this browser's storage.",
                        ds.name
                    )));
                    dataset.set(Some(Arc::new(ds)));
                }
                // Never replace the merchant's saved data with the sample store: say
                // what happened, keep the bytes, offer them for download.
                Err(e) => {
                    message.set(Some(format!(
                        "The data saved in this browser could not be read: {e}. It is kept as it was: download it below, or load a file (which replaces it)."
                    )));
                    unreadable.set(Some(bytes));
                }
            },
            Ok(None) => load_new(Source::Sample, SAMPLE_NAME.into()),
            Err(e) => message.set(Some(format!(
                "This browser's storage could not be opened ({e:?}); nothing was loaded. Load a file or the sample store."
            ))),
        }
    });

    let on_file = move |ev: web_sys::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input.files().and_then(|l| l.get(0)) {
            let name = f.name();
            load_new(Source::File(f), name);
        }
        input.set_value("");
    };
    let on_newer = move |ev: web_sys::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let (Some(f), Some(ds)) = (
            input.files().and_then(|l| l.get(0)),
            dataset.get_untracked(),
        ) {
            append_mode.set_value(true);
            source.set_value(Some(Source::File(f.clone())));
            source_name.set(f.name());
            // Read with fresh detection, at the stored data's period.
            opts.update(|o| {
                o.read = Default::default();
                o.freq = ds.freq;
            });
            run();
        }
        input.set_value("");
    };
    let download_store = move |_| {
        let Some(ds) = dataset.get_untracked() else {
            return;
        };
        let store = crate::store::Store {
            dataset: (*ds).clone(),
            history: history.get_untracked(),
        };
        if let Err(e) = super::forecast_page::download_bytes("supplycast.sc", &store.to_bytes()) {
            message.set(Some(format!("cannot download: {e:?}")));
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            let name = f.name();
            load_new(Source::File(f), name);
        }
    };

    view! {
        <section class="card load" data-testid="load">
            <h2>"Sales data"</h2>
            <p class="summary-line" data-testid="data-next">{move || match dataset.get() {
                None => "Next: drop your shop's order or sales export below (it stays in this browser), or use the sample store.".to_string(),
                Some(ds) => format!(
                    "{} SKUs over {} periods loaded. Next: check the cleaning report below, then forecast on the Forecast page.",
                    fmt_int(ds.series.len() as f64),
                    fmt_int(ds.periods.len() as f64)
                ),
            }}</p>
            <div class="drop" on:dragover=|ev: web_sys::DragEvent| ev.prevent_default() on:drop=on_drop>
                <p>"Drop an order or sales export (CSV) here, or "</p>
                <label class="button">
                    "choose a file"
                    <input type="file" accept=".csv,.tsv,.txt,.sc,text/csv" data-testid="file-input" on:change=on_file />
                </label>
                <button class="secondary" data-testid="load-sample" on:click=move |_| load_new(Source::Sample, SAMPLE_NAME.into())>
                    "Load the sample store"
                </button>
                <p class="hint">
                    "Shopify and similar order exports, UCI Online Retail invoices, long series (date, sku, quantity or unique_id, ds, y) or wide series (a column per SKU). The file is read in this browser only."
                </p>
            </div>
            {move || progress.get().map(|p| view! {
                <div class="progress" data-testid="progress">
                    <progress max="1" prop:value=f64::from(p)></progress>
                    <span>{format!("Reading {} … {:.0} %", source_name.get(), 100.0 * p)}</span>
                    <button class="secondary" data-testid="cancel" on:click=cancel>"Cancel"</button>
                </div>
            })}
            {move || dataset.get().is_some().then(|| view! {
                <div class="buttons">
                    <label class="button secondary" title="A newer export of the same shop: periods it covers again are replaced, never counted twice">"Add newer sales "
                        <input type="file" accept=".csv,.tsv,.txt,text/csv" data-testid="add-newer" on:change=on_newer />
                    </label>
                    <button class="secondary" data-testid="download-store" on:click=download_store
                        title="The data with its kept forecasts and their scores, for `supplycast update` and `supplycast accuracy`">"Download the store"</button>
                </div>
            })}
            {move || appended.get().map(|m| view! { <p class="note" data-testid="append-report">{m}</p> })}
            {move || message.get().map(|m| view! { <p class="note" data-testid="message">{m}</p> })}
            {move || unreadable.get().map(|b| view! {
                <button class="secondary" data-testid="download-unreadable" on:click=move |_| {
                    let _ = super::forecast_page::download_bytes("supplycast-saved-data.bin", &b);
                }>"Download the saved data"</button>
            })}
            {move || timing.get().map(|m| view! { <p class="muted" data-testid="timing">{m}</p> })}
            <ErrorView error=error opts=opts run=run />
            <MappingEditor sniff=sniff unknown=unknown_columns opts=opts run=run />
        </section>
        {move || dataset.get().map(|ds| view! {
            <Report ds=ds.clone() />
            <Accuracy history=history />
            <super::anomaly_panel::AnomalyPanel state=anomalies dataset=dataset selected=selected />
            <SkuBrowser ds=ds selected=selected search=search sort=sort anomalies=anomalies />
        })}
    }
}

#[component]
fn ErrorView<F: Fn() + Copy + Send + Sync + 'static>(
    error: RwSignal<Option<DataError>>,
    opts: RwSignal<LoadOptions>,
    run: F,
) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let problems = match &e {
                DataError::BadRows { problems, .. } => problems.clone(),
                _ => Vec::new(),
            };
            let bad = match &e {
                DataError::BadRows { bad, .. } => *bad,
                _ => 0,
            };
            view! {
                <div class="error" data-testid="error">
                    <p>{e.to_string()}</p>
                    {(!problems.is_empty()).then(|| view! {
                        <ul class="problems">
                            {problems.iter().map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}
                        </ul>
                        <button data-testid="skip-bad-rows" on:click=move |_| {
                            opts.update(|o| o.read.skip_bad_rows = true);
                            run();
                        }>{format!("Load without these {bad} rows")}</button>
                    })}
                </div>
            }
        })
    }
}

#[component]
fn MappingEditor<F: Fn() + Copy + Send + Sync + 'static>(
    sniff: RwSignal<Option<Sniff>>,
    unknown: RwSignal<Option<Vec<String>>>,
    opts: RwSignal<LoadOptions>,
    run: F,
) -> impl IntoView {
    // The settings being edited; applied with the button.
    let draft_format = RwSignal::new(Format::OrderLines);
    let draft_cols = RwSignal::new(Vec::<(Role, usize)>::new());
    let draft_delim = RwSignal::new(b',');
    let draft_date = RwSignal::new(DateStyle::Iso);
    Effect::new(move |_| {
        if let Some(s) = sniff.get() {
            draft_format.set(s.mapping.format);
            draft_cols.set(s.mapping.columns.clone());
            draft_delim.set(s.delimiter);
            draft_date.set(s.date_style);
        } else if unknown.get().is_some() {
            draft_cols.set(Vec::new());
        }
    });
    let headers = move || {
        sniff
            .get()
            .map(|s| s.headers)
            .or_else(|| unknown.get())
            .unwrap_or_default()
    };
    let apply = move |_| {
        opts.update(|o| {
            o.read.mapping = Some(ColumnMapping {
                format: draft_format.get_untracked(),
                columns: draft_cols.get_untracked(),
            });
            o.read.delimiter = Some(draft_delim.get_untracked());
            o.read.date_style = Some(draft_date.get_untracked());
        });
        run();
    };
    let visible = move || sniff.get().is_some() || unknown.get().is_some();
    view! {
        <Show when=visible>
            <details class="mapping" data-testid="mapping" open=move || unknown.get().is_some()>
                <summary>
                    {move || match sniff.get() {
                        Some(s) => format!(
                            "Detected: {} · {} delimiter · dates {} · {:?} — change",
                            s.mapping.format.label(),
                            delimiter_name(s.delimiter),
                            s.date_style.label(),
                            s.encoding
                        ),
                        None => "Choose the columns by hand".to_string(),
                    }}
                </summary>
                <div class="settings">
                    <label>"Format "
                        <select data-testid="format-select" on:change=move |ev| {
                            let i: usize = event_target_value(&ev).parse().unwrap_or(0);
                            draft_format.set(Format::ALL[i.min(2)]);
                        }>
                            {Format::ALL.iter().enumerate().map(|(i, f)| {
                                let f = *f;
                                view! { <option value=i.to_string() selected=move || draft_format.get() == f>{f.label()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Delimiter "
                        <select on:change=move |ev| draft_delim.set(event_target_value(&ev).parse::<u8>().unwrap_or(b','))>
                            {[b',', b';', b'\t', b'|'].into_iter().map(|d| view! {
                                <option value=d.to_string() selected=move || draft_delim.get() == d>{delimiter_name(d)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Dates "
                        <select on:change=move |ev| {
                            let i: usize = event_target_value(&ev).parse().unwrap_or(0);
                            draft_date.set(DateStyle::ALL[i.min(2)]);
                        }>
                            {DateStyle::ALL.iter().enumerate().map(|(i, d)| {
                                let d = *d;
                                view! { <option value=i.to_string() selected=move || draft_date.get() == d>{d.label()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Series "
                        <select data-testid="freq" on:change=move |ev| {
                            let f = Frequency::from_label(&event_target_value(&ev)).unwrap_or_default();
                            opts.update(|o| o.freq = f);
                        }>
                            <option value="daily" selected=move || opts.get().freq == Frequency::Daily>"as in the file"</option>
                            <option value="weekly" selected=move || opts.get().freq == Frequency::Weekly>"weekly"</option>
                            <option value="monthly" selected=move || opts.get().freq == Frequency::Monthly>"monthly"</option>
                            <option value="quarterly" selected=move || opts.get().freq == Frequency::Quarterly>"quarterly"</option>
                        </select>
                    </label>
                    <label>"Cancellations "
                        <select on:change=move |ev| {
                            let r = if event_target_value(&ev) == "net" { CancellationRule::Net } else { CancellationRule::RemoveMatchedOrders };
                            opts.update(|o| o.cancellations = r);
                        }>
                            <option value="match" selected=move || opts.get().cancellations == CancellationRule::RemoveMatchedOrders>"remove the order they cancel"</option>
                            <option value="net" selected=move || opts.get().cancellations == CancellationRule::Net>"subtract on their day"</option>
                        </select>
                    </label>
                </div>
                <div class="roles">
                    {Role::ALL.into_iter().map(|role| view! {
                        <label>{role.label()}" "
                            <select data-testid=format!("role-{}", role.label().replace(' ', "-")) on:change=move |ev| {
                                let v = event_target_value(&ev);
                                draft_cols.update(|cols| {
                                    cols.retain(|(r, _)| *r != role);
                                    if let Ok(c) = v.parse::<usize>() {
                                        cols.push((role, c));
                                        cols.sort();
                                    }
                                });
                            }>
                                <option value="" selected=move || draft_cols.get().iter().all(|(r, _)| *r != role)>"—"</option>
                                {move || headers().into_iter().enumerate().map(|(i, h)| view! {
                                    <option value=i.to_string() selected=move || draft_cols.get().contains(&(role, i))>{h}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }).collect_view()}
                </div>
                <button data-testid="apply-mapping" on:click=apply>"Load with these settings"</button>
                {move || sniff.get().map(|s| {
                    let roles = s.mapping.columns.clone();
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="The file's first rows">
                            <table class="preview" data-testid="preview">
                                <thead><tr>
                                    {s.headers.iter().enumerate().map(|(i, h)| {
                                        let role = roles.iter().find(|(_, c)| *c == i).map(|(r, _)| r.label()).unwrap_or("");
                                        view! { <th>{h.clone()}<br/><span class="role">{role}</span></th> }
                                    }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {s.preview.iter().map(|row| view! {
                                        <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })}
            </details>
        </Show>
    }
}

/// How the kept forecasts did on the sales that arrived after them.
#[component]
fn Accuracy(history: RwSignal<crate::store::History>) -> impl IntoView {
    let page = RwSignal::new(0usize);
    move || {
        let h = history.get();
        let e = h.evaluations.last()?.clone();
        let drifted: Vec<crate::forecast::tracking::SkuAccuracy> =
            e.skus.iter().filter(|s| s.drift).cloned().collect();
        let n = drifted.len();
        let pct = |v: f64| crate::format::percent(v);
        let rows = drifted
            .into_iter()
            .skip(page.get() * 50)
            .take(50)
            .map(|s| {
                view! {
                    <tr>
                        <td>{s.sku.clone()}</td>
                        <td class="num">{format!("{} of {}", s.above + s.below, s.periods)}</td>
                        <td class="num">{s.above}</td>
                        <td class="num">{s.below}</td>
                        <td class="num">{crate::format::units(s.actual)}</td>
                        <td class="num">{crate::format::units(s.forecast.round())}</td>
                        <td>{s.action.clone().unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <section class="card" data-testid="accuracy">
                <h2>"Forecast accuracy"</h2>
                <p data-testid="accuracy-summary">{format!(
                    "The forecast made through {} met {} periods of new sales (through {}): MASE {}, bias {}{}, {} of SKU-periods inside P10–P90 (80 % expected). {} SKUs drifted: their demand left P10–P90 far more often than 1 period in 5.",
                    e.data_end, e.periods, e.through, crate::format::figure(e.mase, 3),
                    if e.bias > 0.0 { "+" } else { "" }, pct(e.bias), pct(e.coverage), n
                )}</p>
                {(h.evaluations.len() > 1).then(|| view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Accuracy history">
                        <table data-testid="accuracy-history">
                            <caption>"Every forecast scored so far"</caption>
                            <thead><tr><th>"Made through"</th><th>"Scored through"</th><th class="num">"Periods"</th><th class="num">"MASE"</th><th class="num">"Bias"</th><th class="num">"Coverage"</th><th class="num">"Drifting SKUs"</th></tr></thead>
                            <tbody>{h.evaluations.iter().rev().map(|x| view! {
                                <tr><td>{x.data_end.to_string()}</td><td>{x.through.to_string()}</td><td class="num">{x.periods}</td>
                                <td class="num">{crate::format::figure(x.mase, 3)}</td><td class="num">{pct(x.bias)}</td>
                                <td class="num">{pct(x.coverage)}</td><td class="num">{x.drifted()}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    </div>
                })}
                {(n > 0).then(|| view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Drifting SKUs">
                        <table data-testid="drift-table">
                            <caption>"Drifting SKUs, most periods outside first"</caption>
                            <thead><tr><th>"SKU"</th><th class="num">"Outside P10–P90"</th><th class="num">"Above"</th><th class="num">"Below"</th><th class="num">"Sold"</th><th class="num">"Forecast"</th><th>"What to do"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <super::Pager total=n page=page size=50 what="SKUs" name="drift" />
                })}
                <button class="secondary" data-testid="download-accuracy" on:click=move |_| {
                    let _ = super::forecast_page::download("forecast_accuracy.csv", &crate::forecast::tracking::to_csv(&e));
                }>"Download the scores per SKU (CSV)"</button>
            </section>
        })
    }
}

#[component]
fn Report(ds: Arc<Dataset>) -> impl IntoView {
    let r = &ds.report;
    let q = ds.quality_summary();
    let cal = &r.calendar;
    let range = format!(
        "{} – {}",
        ds.periods
            .first()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        ds.periods.last().map(|d| d.to_string()).unwrap_or_default()
    );
    let card = |label: &'static str, value: String, id: &'static str| {
        view! { <div class="stat"><div class="value" data-testid=id>{value}</div><div class="label">{label}</div></div> }
    };
    let closed: Vec<&str> = cal
        .closed_weekdays
        .iter()
        .map(|w| data::weekday_name(*w))
        .collect();
    let closures: Vec<String> = cal.closure_days.iter().map(|d| d.to_string()).collect();
    view! {
        <section class="card report" data-testid="report">
            <h2>"Cleaning report — " {ds.name.clone()}</h2>
            <div class="stats">
                {card("rows read", fmt_int(r.rows as f64), "stat-rows")}
                {card("lines kept as demand", fmt_int(r.counts.kept.lines as f64), "stat-kept-lines")}
                {card("units kept", fmt_int(r.counts.kept.units), "stat-kept-units")}
                {card("SKUs with sales", fmt_int(ds.series.len() as f64), "stat-skus")}
                {card(match ds.frequency() { Frequency::Daily => "trading days", Frequency::Weekly => "weeks", Frequency::Monthly => "months", Frequency::Quarterly => "quarters" }, fmt_int(ds.periods.len() as f64), "stat-periods")}
                {card("flagged spikes", fmt_int(r.flagged_points as f64), "stat-flags")}
            </div>
            <p class="muted">
                {format!("{} · {} · {} series (season {}) · ", r.sniff.mapping.format.label(), range, ds.frequency().label(), ds.season())}
                {(r.bad_rows > 0).then(|| format!("{} unreadable rows left out at your request · ", r.bad_rows))}
                {(r.customers > 0).then(|| format!("{} customers · {} countries", r.customers, r.countries))}
            </p>
            <table class="steps" data-testid="steps">
                <thead><tr><th>"Step"</th><th class="num">"Lines"</th><th class="num">"Units"</th><th>"Rule"</th></tr></thead>
                <tbody>
                    {r.steps().into_iter().map(|s| view! {
                        <tr><td>{s.name}</td><td class="num">{fmt_int(s.lines as f64)}</td><td class="num">{fmt_int(s.units)}</td><td class="muted">{s.rule}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!r.counts.non_product_codes.is_empty()).then(|| view! {
                <details>
                    <summary>{format!("{} non-product codes excluded", r.counts.non_product_codes.len())}</summary>
                    <table class="small">
                        <thead><tr><th>"Code"</th><th>"Description"</th><th class="num">"Lines"</th></tr></thead>
                        <tbody>
                            {r.counts.non_product_codes.iter().map(|n| view! {
                                <tr><td>{n.code.clone()}</td><td>{n.description.clone()}</td><td class="num">{n.tally.lines}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            })}
            <ul class="calendar">
                {(!closed.is_empty()).then(|| view! { <li>"Closed weekdays: " {closed.join(", ")}</li> })}
                {(!closures.is_empty()).then(|| view! { <li>{format!("Closures ({} days without any sale): {}", closures.len(), closures.join(", "))}</li> })}
                {(ds.frequency() != Frequency::Daily).then(|| view! { <li>{format!("Detected frequency: {} (a season of {} periods). Change it under \"Series\" to aggregate further.", ds.frequency().label(), ds.season())}</li> })}
                {(!cal.partial_weeks.is_empty()).then(|| view! { <li>{format!("{} partial {}s at the ends left out ({} units)", cal.partial_weeks.len(), ds.frequency().unit(), fmt_int(cal.partial_week_units))}</li> })}
                {(r.counts.case_merged_codes > 0).then(|| view! { <li>{format!("{} SKU codes differed only in letter case and were merged", r.counts.case_merged_codes)}</li> })}
                {(r.skus_without_sales > 0).then(|| view! { <li>{format!("{} SKUs have no sale left after cleaning", r.skus_without_sales)}</li> })}
                <li>{format!(
                    "Demand: {} — {:.0} % of SKU-periods without a sale, median history {} periods, {} SKUs with short histories",
                    q.classes.iter().map(|(c, n)| format!("{n} {}", c.label())).collect::<Vec<_>>().join(", "),
                    100.0 * q.zero_share,
                    q.median_history,
                    q.short_histories
                )}</li>
            </ul>
            {(!r.problems.is_empty()).then(|| view! {
                <details>
                    <summary>{format!("{} rows left out", r.bad_rows)}</summary>
                    <ul class="problems">{r.problems.iter().map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}</ul>
                </details>
            })}
        </section>
    }
}

#[component]
fn SkuBrowser(
    ds: Arc<Dataset>,
    selected: RwSignal<Option<String>>,
    search: RwSignal<String>,
    sort: RwSignal<(SortKey, bool)>,
    anomalies: super::anomaly_panel::AnomalyState,
) -> impl IntoView {
    let ds2 = ds.clone();
    let rows = Memo::new(move |_| {
        let needle = search.get().to_lowercase();
        let (key, desc) = sort.get();
        let mut idx: Vec<usize> = (0..ds2.series.len())
            .filter(|&i| {
                let s = &ds2.series[i];
                needle.is_empty()
                    || s.sku.to_lowercase().contains(&needle)
                    || s.description.to_lowercase().contains(&needle)
            })
            .collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (&ds2.series[a], &ds2.series[b]);
            let o = match key {
                SortKey::Sku => x.sku.cmp(&y.sku),
                SortKey::Units => x.units.total_cmp(&y.units),
                SortKey::Revenue => x.revenue.total_cmp(&y.revenue),
                SortKey::History => x.quality.periods.cmp(&y.quality.periods),
                SortKey::Zeros => x.quality.zero_share.total_cmp(&y.quality.zero_share),
                SortKey::Class => x.quality.class.cmp(&y.quality.class),
                SortKey::Flags => x.quality.flags.len().cmp(&y.quality.flags.len()),
            };
            if desc { o.reverse() } else { o }
        });
        idx
    });
    let header = move |label: &'static str, key: SortKey, class: &'static str| {
        view! {
            <th class=class aria-sort=move || { let (k, d) = sort.get(); if k != key { "none" } else if d { "descending" } else { "ascending" } }>
                <button class="th-sort" on:click=move |_| sort.update(|s| *s = (key, if s.0 == key { !s.1 } else { key != SortKey::Sku }))>
                    {label}
                    {move || { let (k, d) = sort.get(); (k == key).then_some(if d { " ▾" } else { " ▴" }) }}
                </button>
            </th>
        }
    };
    let ds3 = ds.clone();
    let page = RwSignal::new(0usize);
    // A new sort or search starts again at the first page.
    Effect::new(move |_| {
        rows.track();
        page.set(0);
    });
    let table = move || {
        let idx = rows.get();
        let total = idx.len();
        let at = page.get().min(total.div_ceil(TABLE_ROWS).max(1) - 1);
        let body = idx
            .into_iter()
            .skip(at * TABLE_ROWS)
            .take(TABLE_ROWS)
            .map(|i| {
                let s = &ds3.series[i];
                let sku = s.sku.clone();
                let sku2 = sku.clone();
                let q = &s.quality;
                view! {
                    <tr class=move || if selected.get().as_deref() == Some(sku2.as_str()) { "sel" } else { "" } tabindex="0"
                        on:click={let sku = sku.clone(); move |_| selected.set(Some(sku.clone()))}
                        on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { ev.prevent_default(); selected.set(Some(sku.clone())) }>
                        <td>{s.sku.clone()}</td>
                        <td class="desc">{s.description.clone()}</td>
                        <td class="num">{fmt_int(s.units)}</td>
                        <td class="num">{if s.revenue > 0.0 { fmt_int(s.revenue) } else { "—".into() }}</td>
                        <td class="num">{q.periods}</td>
                        <td class="num">{format!("{:.0} %", 100.0 * q.zero_share)}</td>
                        <td>{q.class.label()}</td>
                        <td class="num">{q.flags.len()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="muted" data-testid="sku-count">{format!("{} SKUs{}", fmt_int(total as f64), if total > TABLE_ROWS { format!(", {TABLE_ROWS} a page") } else { String::new() })}</p>
            <div class="table-wrap tall" tabindex="0" role="region" aria-label="SKUs in the data">
                <table class="skus" data-testid="sku-table">
                    <thead><tr>
                        {header("SKU", SortKey::Sku, "")}
                        <th>"Description"</th>
                        {header("Units", SortKey::Units, "num")}
                        {header("Revenue", SortKey::Revenue, "num")}
                        {header("History", SortKey::History, "num")}
                        {header("Zero", SortKey::Zeros, "num")}
                        {header("Class", SortKey::Class, "")}
                        {header("Flags", SortKey::Flags, "num")}
                    </tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
            {(total > TABLE_ROWS).then(|| view! { <super::Pager total=total page=page size=TABLE_ROWS what="SKUs" name="data" /> })}
        }
    };
    view! {
        <section class="card skus-card">
            <div class="split">
                <div class="left">
                    <h2>"SKUs"</h2>
                    <input type="search" placeholder="Search SKU or description" data-testid="sku-search"
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    {table}
                </div>
                <div class="right">
                    <SkuChart ds=ds selected=selected anomalies=anomalies />
                </div>
            </div>
        </section>
    }
}

#[component]
fn SkuChart(
    ds: Arc<Dataset>,
    selected: RwSignal<Option<String>>,
    anomalies: super::anomaly_panel::AnomalyState,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let drawn = RwSignal::new(String::new());
    let marked = RwSignal::new(0usize);
    let ds2 = ds.clone();
    Effect::new(move |_| {
        let sku = selected.get();
        let Some(el) = canvas.get() else { return };
        let Some(s) = sku.as_deref().and_then(|k| ds2.get(k)) else {
            return;
        };
        let flags = anomalies.flags.get();
        let chart = match &flags {
            Some(f) => anomalies.excluded.with(|ex| {
                DemandChart::new(&ds2, s).with_anomalies(
                    &s.sku,
                    f.iter()
                        .zip(ex.iter().copied().chain(std::iter::repeat(false))),
                )
            }),
            None => DemandChart::new(&ds2, s),
        };
        marked.set(chart.anomalies.len());
        match plotters_canvas::CanvasBackend::with_canvas_object(el) {
            Some(backend) => {
                use plotters::prelude::IntoDrawingArea;
                let area = backend.into_drawing_area();
                match chart.draw(&area) {
                    Ok(()) => drawn.set(s.sku.clone()),
                    Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!("chart: {e}"))),
                }
            }
            None => web_sys::console::error_1(&JsValue::from_str("no 2d canvas context")),
        }
    });
    let ds3 = ds.clone();
    let details = move || {
        let sku = selected.get()?;
        let s = ds.get(&sku)?;
        let q = &s.quality;
        let dates = s.dates(&ds);
        let flags: Vec<String> = q
            .flags
            .iter()
            .map(|f| {
                format!(
                    "{} ({} units, z {:.1})",
                    dates[f.index],
                    data::fmt_qty(f.value),
                    f.score
                )
            })
            .collect();
        Some(view! {
            <dl class="facts">
                <dt>"Class"</dt><dd>{format!("{} (ADI {}, CV² {})", q.class.label(), data::fmt_figure(q.adi, 2), data::fmt_figure(q.cv2, 2))}</dd>
                <dt>"First / last sale"</dt><dd>{format!("{} / {}", q.first_sale, q.last_sale)}</dd>
                <dt>"History"</dt><dd>{format!("{} periods, {:.0} % without a sale", q.periods, 100.0 * q.zero_share)}</dd>
                <dt>"Flagged"</dt><dd data-testid="flag-list">{if flags.is_empty() { "none".to_string() } else { flags.join("; ") }}</dd>
            </dl>
        })
    };
    view! {
        <h2>"Demand history"</h2>
        <Glossary terms=super::DATA_TERMS />
        <canvas node_ref=canvas width="900" height="340" data-testid="chart" data-drawn=move || drawn.get()
            data-anomalies=move || marked.get()
            role="img" aria-label=move || {
                let sku = drawn.get();
                match ds3.get(&sku) {
                    Some(s) => format!(
                        "Demand of {} per period from {} to {}: {} units in all, at most {} in a period.",
                        s.sku,
                        s.dates(&ds3).first().map(|d| d.to_string()).unwrap_or_default(),
                        s.dates(&ds3).last().map(|d| d.to_string()).unwrap_or_default(),
                        fmt_int(s.units),
                        crate::format::units(s.values.iter().copied().fold(0.0, f64::max))
                    ),
                    None => "Demand history (no SKU selected).".to_string(),
                }
            }></canvas>
        <p class="muted">"Red dots: extreme one-off spikes (robust z-score of log demand above 6), flagged for review and kept in the data. Orange triangles: the periods listed under Anomalies (hollow: excluded, so imputed before forecasting)."</p>
        {details}
    }
}
