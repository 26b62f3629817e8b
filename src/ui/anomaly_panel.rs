//! Anomalies on the Data page: the list (sortable by impact on the forecast, by
//! strength or by date; filtered by kind), keep or exclude each, and the cleaned
//! dataset the other pages forecast from.

use std::sync::Arc;

use leptos::prelude::*;

use super::Pager;
use super::jobs::{Job, JobEvent};
use crate::anomaly::{self, Anomaly, ImputeReport, Kind};
use crate::data::Dataset;

/// Rows shown at once.
const ROWS: usize = 50;

/// The merchant's keep / exclude choices in IndexedDB: a format byte, then postcard.
const CHOICES_KEY: &str = "anomaly-choices";
const CHOICES_FORMAT: u8 = 1;

/// Saved choices: for which dataset, and per flag (SKU, kind, first period) whether
/// it is excluded.
#[derive(serde::Serialize, serde::Deserialize)]
struct Choices {
    dataset: String,
    decided: Vec<(Option<String>, Kind, usize, bool)>,
}

/// Which dataset choices belong to: its name and first period. A file loaded again
/// gets its choices back, and so does the data after "Add newer sales" (which keeps
/// both and only adds periods and SKUs); the choices are matched flag by flag (SKU,
/// kind, first period), so another file's never apply.
fn fingerprint(ds: &Dataset) -> String {
    format!("{}|{:?}", ds.name, ds.periods.first())
}

/// The fingerprint before it left out the sizes (choices saved by earlier versions).
fn legacy_fingerprint(ds: &Dataset) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}",
        ds.name,
        ds.series.len(),
        ds.periods.len(),
        ds.periods.first(),
        ds.periods.last()
    )
}

/// The anomalies of the loaded dataset and what the merchant decided about them.
#[derive(Clone, Copy)]
pub struct AnomalyState {
    /// The flags (None while they are being found).
    pub flags: RwSignal<Option<Arc<Vec<Anomaly>>>>,
    /// Per flag: excluded (imputed) or kept.
    pub excluded: RwSignal<Vec<bool>>,
    /// The dataset with the excluded anomalies imputed: what Forecast, Plan and
    /// Logistics work from (None until the flags are known).
    pub clean: RwSignal<Option<Arc<Dataset>>>,
    /// What the imputation changed.
    pub report: RwSignal<ImputeReport>,
    /// Why there are no flags (the detection job failed), in words.
    pub note: RwSignal<Option<String>>,
    /// The autoencoder's run: progress or its outcome, in words.
    pub autoencoder: RwSignal<Option<String>>,
    /// Seconds the worker took to check the history.
    pub seconds: RwSignal<f64>,
    /// Whether the saved choices were applied to the flags (choices are saved only
    /// from then on, so that the defaults never overwrite them).
    restored: RwSignal<bool>,
    /// The order-line anomalies found while the file was read, and for which dataset.
    orders: RwSignal<Option<(String, Arc<Vec<Anomaly>>)>>,
}

impl AnomalyState {
    /// Finds the anomalies of every dataset loaded into `dataset` (in the worker) and
    /// keeps [`AnomalyState::clean`] up to date with the merchant's choices.
    pub fn watch(dataset: RwSignal<Option<Arc<Dataset>>>) -> AnomalyState {
        let notices = super::notices::Notices::get();
        let st = AnomalyState {
            flags: RwSignal::new(None),
            excluded: RwSignal::new(Vec::new()),
            clean: RwSignal::new(None),
            report: RwSignal::new(ImputeReport::default()),
            note: RwSignal::new(None),
            autoencoder: RwSignal::new(None),
            seconds: RwSignal::new(0.0),
            restored: RwSignal::new(false),
            orders: RwSignal::new(None),
        };
        let job = StoredValue::new_local(None::<Job>);
        Effect::new(move |_| {
            st.autoencoder.set(None);
            let Some(ds) = dataset.get() else {
                job.set_value(None);
                st.flags.set(None);
                st.clean.set(None);
                return;
            };
            st.flags.set(None);
            st.clean.set(None);
            st.note.set(None);
            let mine = Arc::as_ptr(&ds) as usize;
            let started = Job::anomalies(&ds, move |ev| {
                // A newer dataset arrived meanwhile: this answer is for the old one.
                let current =
                    dataset.with_untracked(|d| d.as_ref().map(|d| Arc::as_ptr(d) as usize));
                if current != Some(mine) {
                    return;
                }
                let fail = |m: String| {
                    st.note.set(Some(format!(
                        "Anomalies could not be checked ({m}); forecasts use the data as loaded."
                    )));
                    st.excluded.set(Vec::new());
                    st.flags.set(Some(Arc::new(Vec::new())));
                };
                match ev {
                    JobEvent::Done(mut flags, ms) => {
                        st.seconds.set(ms / 1000.0);
                        let print = dataset.with_untracked(|d| d.as_deref().map(fingerprint));
                        if let Some((_, o)) = st
                            .orders
                            .get_untracked()
                            .filter(|(p, _)| Some(p) == print.as_ref())
                        {
                            flags.extend(o.iter().cloned());
                        }
                        flags.sort_by(|a, b| b.impact.total_cmp(&a.impact));
                        let mut excluded: Vec<bool> =
                            flags.iter().map(|a| a.kind.excluded_by_default()).collect();
                        let flags = Arc::new(*flags);
                        st.restored.set(false);
                        st.excluded.set(excluded.clone());
                        st.flags.set(Some(flags.clone()));
                        job.set_value(None);
                        // The merchant's earlier choices for this very dataset.
                        let prints = dataset.with_untracked(|d| {
                            d.as_deref().map(|d| [fingerprint(d), legacy_fingerprint(d)])
                        });
                        leptos::task::spawn_local(async move {
                            let bytes = super::storage::load_key(CHOICES_KEY).await.ok().flatten();
                            let saved = bytes.and_then(|b| match b.split_first() {
                                Some((&CHOICES_FORMAT, rest)) => match postcard::from_bytes::<Choices>(rest) {
                                    Ok(c) => Some(c),
                                    Err(e) => {
                                        notices.unreadable("anomaly choices", CHOICES_KEY, b, &e.to_string());
                                        None
                                    }
                                },
                                // Another format: a copy is kept before the defaults replace it.
                                Some((&f, _)) => {
                                    notices.unreadable("anomaly choices", CHOICES_KEY, b, &format!("format {f}; this version reads format {CHOICES_FORMAT}"));
                                    None
                                }
                                None => None,
                            });
                            let still = st.flags.with_untracked(|f| {
                                f.as_ref().is_some_and(|f| Arc::ptr_eq(f, &flags))
                            });
                            if !still {
                                return;
                            }
                            if let Some(c) = saved.filter(|c| prints.as_ref().is_some_and(|p| p.contains(&c.dataset))) {
                                let by: std::collections::HashMap<
                                    (Option<String>, Kind, usize),
                                    bool,
                                > = c
                                    .decided
                                    .into_iter()
                                    .map(|(s, k, p, e)| ((s, k, p), e))
                                    .collect();
                                for (a, e) in flags.iter().zip(excluded.iter_mut()) {
                                    if let Some(v) = by.get(&(a.sku.clone(), a.kind, a.start)) {
                                        *e = *v;
                                    }
                                }
                                st.excluded.set(excluded);
                            }
                            st.restored.set(true);
                        });
                    }
                    JobEvent::Failed(e) => fail(e.to_string()),
                    JobEvent::Crashed(m) => fail(m),
                    JobEvent::Progress(_) | JobEvent::Partial(_) => {}
                }
            });
            match started {
                Ok(j) => job.set_value(Some(j)),
                Err(e) => {
                    st.note.set(Some(format!(
                        "Anomalies could not be checked (cannot start the background worker: {e:?}); forecasts use the data as loaded."
                    )));
                    st.flags.set(Some(Arc::new(Vec::new())));
                }
            }
        });
        // Every change of the choices is saved (once the saved ones were applied).
        Effect::new(move |_| {
            let (Some(ds), Some(flags)) = (dataset.get(), st.flags.get()) else {
                return;
            };
            if !st.restored.get() {
                return;
            }
            let choices = Choices {
                dataset: fingerprint(&ds),
                decided: st.excluded.with(|ex| {
                    flags
                        .iter()
                        .zip(ex)
                        .map(|(a, e)| (a.sku.clone(), a.kind, a.start, *e))
                        .collect()
                }),
            };
            let mut bytes = vec![CHOICES_FORMAT];
            bytes.extend(postcard::to_allocvec(&choices).unwrap_or_default());
            notices.save(CHOICES_KEY.to_string(), bytes, "the anomaly keep/exclude choices");
        });
        Effect::new(move |_| {
            let (Some(ds), Some(flags)) = (dataset.get(), st.flags.get()) else {
                return;
            };
            let excluded: Vec<Anomaly> = st.excluded.with(|ex| {
                flags
                    .iter()
                    .zip(ex)
                    .filter(|(_, e)| **e)
                    .map(|(a, _)| a.clone())
                    .collect()
            });
            if excluded.is_empty() {
                st.report.set(ImputeReport::default());
                st.clean.set(Some(ds));
            } else {
                let (clean, rep) = anomaly::impute(&ds, &excluded);
                st.report.set(rep);
                st.clean.set(Some(Arc::new(clean)));
            }
        });
        st
    }

    /// The order-line anomalies of the file `ds` was just loaded from (set before the
    /// dataset itself, so that its check finds them).
    pub fn set_orders(&self, ds: &Dataset, orders: Vec<Anomaly>) {
        self.orders.set(Some((fingerprint(ds), Arc::new(orders))));
    }

    /// Adds flags found later (the autoencoder's), kept by default, skipping those of
    /// a SKU and period already listed; the list stays sorted by impact.
    pub fn add(&self, more: Vec<Anomaly>) -> usize {
        let Some(flags) = self.flags.get_untracked() else {
            return 0;
        };
        let seen: std::collections::HashSet<(Option<String>, usize)> =
            flags.iter().map(|a| (a.sku.clone(), a.start)).collect();
        let ex = self.excluded.get_untracked();
        let mut all: Vec<(Anomaly, bool)> = flags
            .iter()
            .cloned()
            .zip(ex.into_iter().chain(std::iter::repeat(false)))
            .collect();
        let before = all.len();
        all.extend(
            more.into_iter()
                .filter(|a| !seen.contains(&(a.sku.clone(), a.start)))
                .map(|a| (a, false)),
        );
        let added = all.len() - before;
        all.sort_by(|a, b| b.0.impact.total_cmp(&a.0.impact));
        self.excluded.set(all.iter().map(|x| x.1).collect());
        self.flags
            .set(Some(Arc::new(all.into_iter().map(|x| x.0).collect())));
        added
    }

    /// One line on what the forecasts are made from, when anything was imputed.
    pub fn summary(&self) -> Option<String> {
        let r = self.report.get();
        (r.points > 0 || r.shifts > 0).then(|| {
            let mut s = format!(
                "Forecasting from cleaned history: {} period{} of {} SKU{} imputed from each SKU's own demand around them ({} units in the data, {} put in their place)",
                crate::format::int(r.points as f64),
                if r.points == 1 { "" } else { "s" },
                crate::format::int(r.skus as f64),
                if r.skus == 1 { "" } else { "s" },
                crate::format::int(r.units_before),
                crate::format::int(r.units_after),
            );
            if r.shifts > 0 {
                s.push_str(&format!(
                    "; history before {} level shift{} left out",
                    r.shifts,
                    if r.shifts == 1 { "" } else { "s" }
                ));
            }
            s.push_str(". Change it under Anomalies on the Data page.");
            s
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Impact,
    Score,
    Date,
}

/// The list of anomalies with keep / exclude.
#[component]
pub fn AnomalyPanel(
    /// The anomalies and the choices.
    state: AnomalyState,
    /// The loaded dataset (for the unit of its periods).
    dataset: RwSignal<Option<Arc<Dataset>>>,
    /// The SKU shown in the SKU browser: a click on a row shows it there.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let kind = RwSignal::new(None::<Kind>);
    let sort = RwSignal::new(Sort::Impact);
    let page = RwSignal::new(0usize);
    let set_kind = move |k: Option<Kind>| {
        kind.set(k);
        page.set(0);
    };
    let set_all = move |which: fn(Kind) -> bool| {
        if let Some(flags) = state.flags.get_untracked() {
            state
                .excluded
                .set(flags.iter().map(|a| which(a.kind)).collect());
        }
    };
    let ae_job = StoredValue::new_local(None::<super::jobs::NnJob>);
    let ae_running = RwSignal::new(false);
    let run_autoencoder = move || {
        use super::jobs::{NnEvent, NnJob, NnRequest, NnResult};
        let Some(ds) = dataset.get_untracked() else {
            return;
        };
        let req = NnRequest {
            init: None,
            kind: "autoencoder".into(),
            epochs: 20,
            device: "auto".into(),
            backtest: crate::forecast::backtest::BacktestConfig {
                h: ds.frequency().default_horizon(),
                ..Default::default()
            },
            model: None,
        };
        let mine = Arc::as_ptr(&ds) as usize;
        state.autoencoder.set(Some(
            "Training the autoencoder in the neural worker …".into(),
        ));
        let started = NnJob::start(&ds, req, move |ev| {
            let current = dataset.with_untracked(|d| d.as_ref().map(|d| Arc::as_ptr(d) as usize));
            if current != Some(mine) {
                return;
            }
            match ev {
                NnEvent::Device(_) => {}
                NnEvent::Epoch(p) => state.autoencoder.set(Some(format!(
                    "Training the autoencoder: {}/10, hold-out loss {:.4}, {:.0} windows/s …",
                    p.epoch, p.valid_loss, p.windows_per_s
                ))),
                NnEvent::Done(bytes) => {
                    ae_job.set_value(None);
                    ae_running.set(false);
                    match postcard::from_bytes::<NnResult>(&bytes) {
                        Ok(r) => {
                            let found = r.anomalies.len();
                            let added = state.add(r.anomalies);
                            state.autoencoder.set(Some(format!(
                                "The autoencoder (trained on {} in {:.1} s) flagged {found} periods; {added} were not listed yet and are added, kept (not excluded) until you exclude them.",
                                r.device,
                                r.history.last().map_or(0.0, |p| p.elapsed_s)
                            )));
                        }
                        Err(e) => state.autoencoder.set(Some(format!(
                            "the neural worker's answer could not be read: {e}"
                        ))),
                    }
                }
                NnEvent::Failed(m) => {
                    ae_job.set_value(None);
                    ae_running.set(false);
                    state
                        .autoencoder
                        .set(Some(format!("The autoencoder could not run: {m}")));
                }
            }
        });
        match started {
            Ok(j) => {
                ae_job.set_value(Some(j));
                ae_running.set(true);
            }
            Err(e) => state
                .autoencoder
                .set(Some(format!("cannot start the neural worker: {e:?}"))),
        }
    };
    let rows = move || -> Vec<usize> {
        let Some(flags) = state.flags.get() else {
            return Vec::new();
        };
        let k = kind.get();
        let mut idx: Vec<usize> = (0..flags.len())
            .filter(|&i| k.is_none_or(|k| flags[i].kind == k))
            .collect();
        match sort.get() {
            Sort::Impact => {}
            Sort::Score => idx.sort_by(|&a, &b| flags[b].score.total_cmp(&flags[a].score)),
            Sort::Date => idx.sort_by_key(|&i| std::cmp::Reverse(flags[i].start)),
        }
        idx
    };
    view! {
        <section class="card" data-testid="anomalies">
            <h2>"Anomalies"</h2>
            {move || state.note.get().map(|m| view! { <p class="note" data-testid="anomaly-note">{m}</p> })}
            {move || match state.flags.get() {
                None => view! { <p class="muted" data-testid="anomaly-status">"Checking the history for anomalies in the background worker …"</p> }.into_any(),
                Some(flags) => {
                    let count = |k: Kind| flags.iter().filter(|a| a.kind == k).count();
                    let counts: Vec<String> = Kind::ALL
                        .iter()
                        .filter(|k| count(**k) > 0)
                        .map(|k| format!("{} {}", count(*k), k.label().replace('_', " ")))
                        .collect();
                    let excluded = state.excluded.with(|e| e.iter().filter(|x| **x).count());
                    view! {
                        <p class="summary-line" data-testid="anomaly-summary">{format!(
                            "{} anomalies ({}); {} excluded — their periods are imputed from the SKU's own demand around them before forecasting. Stock-outs and missing data are excluded unless you keep them: zeros there are demand that could not be recorded, not a lack of demand. (Checked in {:.1} s in the background worker.)",
                            flags.len(),
                            if counts.is_empty() { "none".to_string() } else { counts.join(", ") },
                            excluded,
                            state.seconds.get()
                        )}</p>
                        <p class="hint">
                            "Spikes and dips: a period far from the SKU's robust weekly pattern. Level shift: the level stepped and stayed. Stock-out: a run of zero periods improbable for how often the SKU sells. Missing: the whole shop sold far less than usual (data missing from the export) or had no line on open days. Order: an order line extreme for its SKU and customer, or a period bought almost all by one customer who rarely buys the SKU (excluding it takes the excess out of that period). Rows that begin \"autoencoder:\" come from the neural check."
                        </p>
                    }.into_any()
                }
            }}
            <div class="controls">
                <label>"Show "
                    <select data-testid="anomaly-kind" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        set_kind(Kind::ALL.into_iter().find(|k| k.label() == v));
                    }>
                        <option value="all">"every kind"</option>
                        {Kind::ALL.into_iter().map(|k| view! { <option value=k.label()>{k.label().replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
                <label>" sorted by "
                    <select data-testid="anomaly-sort" on:change=move |ev| {
                        sort.set(match event_target_value(&ev).as_str() {
                            "score" => Sort::Score,
                            "date" => Sort::Date,
                            _ => Sort::Impact,
                        });
                        page.set(0);
                    }>
                        <option value="impact">"impact on the forecast"</option>
                        <option value="score">"strength of evidence"</option>
                        <option value="date">"date, newest first"</option>
                    </select>
                </label>
                <button class="secondary" data-testid="anomaly-default" on:click=move |_| set_all(Kind::excluded_by_default)>
                    "Exclude stock-outs and missing data only"
                </button>
                <button class="secondary" data-testid="anomaly-keep-all" on:click=move |_| set_all(|_| false)>
                    "Keep everything as loaded"
                </button>
                <button class="secondary" data-testid="anomaly-autoencoder"
                    title="Trains a neural autoencoder on every SKU's windows in the neural worker (about a minute on a CPU) and lists the periods it reconstructs worst for their SKU as spikes or dips. It finds more injected spikes than the rules above but also flags many more ordinary busy days: review before excluding."
                    disabled=move || state.flags.with(|f| f.is_none()) || ae_running.get()
                    on:click=move |_| run_autoencoder()>
                    "Also check with the autoencoder"
                </button>
            </div>
            {move || state.autoencoder.get().map(|m| view! { <p class="note" data-testid="anomaly-autoencoder-status">{m}</p> })}
            {move || {
                let Some(flags) = state.flags.get() else { return ().into_any() };
                let idx = rows();
                let total = idx.len();
                let p = page.get().min(total.saturating_sub(1) / ROWS);
                let unit = dataset.with(|d| d.as_ref().map(|d| d.frequency().unit()).unwrap_or("day"));
                view! {
                    <div class="table-wrap tall" tabindex="0" role="region" aria-label="Anomalies in the history">
                    <table class="anomalies" data-testid="anomaly-table">
                        <thead><tr>
                            <th>"Exclude"</th><th>"SKU"</th><th>"Kind"</th><th>"From"</th><th>{format!("{unit}s")}</th>
                            <th title="Units away from the expected demand, halved for every 90 days of age">"Impact (units)"</th>
                            <th>"Why"</th>
                        </tr></thead>
                        <tbody>
                            {idx.into_iter().skip(p * ROWS).take(ROWS).map(|i| {
                                let a = flags[i].clone();
                                let show = a.sku.clone();
                                let periods = if a.len > 0 { a.len } else { a.dates.len() };
                                view! {
                                    <tr data-testid="anomaly-row" data-kind=a.kind.label()>
                                        <td><input type="checkbox" data-testid="anomaly-exclude"
                                            aria-label="Exclude this anomaly (impute its periods)"
                                            prop:checked=move || state.excluded.with(|e| e.get(i).copied().unwrap_or(false))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                state.excluded.update(|e| if let Some(x) = e.get_mut(i) { *x = on });
                                            } /></td>
                                        <td>{match show {
                                            Some(s) => {
                                                let s2 = s.clone();
                                                view! { <a href="#data" on:click=move |ev| { ev.prevent_default(); selected.set(Some(s2.clone())); }>{s}</a> }.into_any()
                                            }
                                            None => view! { <span>"whole shop"</span> }.into_any(),
                                        }}</td>
                                        <td>{a.kind.label().replace('_', " ")}</td>
                                        <td>{a.dates.first().map(|d| d.to_string()).unwrap_or_default()}</td>
                                        <td class="num">{periods}</td>
                                        <td class="num">{crate::format::int(a.impact)}</td>
                                        <td class="wrap" data-testid="anomaly-reason">{a.reason.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                    {(total > ROWS).then(|| view! { <Pager total=total page=page size=ROWS what="anomalies" name="anomalies" /> })}
                }.into_any()
            }}
        </section>
    }
}
