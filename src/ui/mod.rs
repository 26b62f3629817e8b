//! The Leptos app (wasm only): navigation over the merchant's stages and the pages.
//!
//! The UI is a thin shell: it reads files, hands them to the worker ([`jobs`]), keeps
//! the result in IndexedDB ([`storage`]) and shows core types.

pub mod anomaly_panel;
pub mod data_page;
pub mod decisions;
pub mod forecast_page;
pub mod jobs;
pub mod logistics_page;
pub mod notices;
#[cfg(feature = "nn")]
pub mod nn_worker;
pub mod plan_page;
pub mod protocol;
pub mod storage;
pub mod worker;

use std::cell::RefCell;
use std::sync::Arc;

use leptos::prelude::*;

use crate::data::Dataset;
use crate::forecast::run::ForecastRun;

/// The stages a merchant goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Load and check sales data.
    Data,
    /// Demand forecasts.
    Forecast,
    /// Inventory plan.
    Plan,
    /// Allocation across warehouses.
    Logistics,
}

impl Page {
    const ALL: [Page; 4] = [Page::Data, Page::Forecast, Page::Plan, Page::Logistics];

    fn label(self) -> &'static str {
        match self {
            Page::Data => "Data",
            Page::Forecast => "Forecast",
            Page::Plan => "Plan",
            Page::Logistics => "Logistics",
        }
    }

    fn hash(self) -> &'static str {
        match self {
            Page::Data => "#data",
            Page::Forecast => "#forecast",
            Page::Plan => "#plan",
            Page::Logistics => "#logistics",
        }
    }

    fn from_hash(h: &str) -> Page {
        Page::ALL
            .into_iter()
            .find(|p| p.hash() == h)
            .unwrap_or(Page::Data)
    }
}

/// Mounts the app on the page.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let page = RwSignal::new(Page::from_hash(&current_hash()));
    // Saves that failed and saved bytes that could not be read, shown above every page.
    let notices = notices::Notices::new();
    provide_context(notices);
    init_currency();
    // The loaded dataset, shared by the pages (data flows one way: Data -> Forecast).
    let dataset = RwSignal::new(None::<Arc<Dataset>>);
    // The latest forecasts and the dataset they were made from (Forecast -> Plan).
    let forecast = RwSignal::new(None::<(Arc<ForecastRun>, Arc<Dataset>)>);
    // The latest plan (Plan -> Logistics: today's orders are split across locations).
    let plan = RwSignal::new(None::<Arc<crate::inventory::plan::Plan>>);
    // Its anomalies, the merchant's keep/exclude choices, and the cleaned dataset that
    // the forecasts are made from (Data -> anomalies -> Forecast).
    let anomalies = anomaly_panel::AnomalyState::watch(dataset);
    // Forecasts kept for scoring when newer sales arrive, their scores and the updates
    // (Data page), and the price elasticities of the last order export (Plan page).
    let history = RwSignal::new(crate::store::History::default());
    let prices = RwSignal::new(Arc::new(Vec::<crate::pricing::Elasticity>::new()));
    leptos::task::spawn_local(async move {
        if let Ok(Some(b)) = storage::load_key(HISTORY_KEY).await {
            match crate::store::History::from_bytes("saved forecast history", &b) {
                Ok(h) => history.set(h),
                // A copy is kept before the next forecast saves a new history.
                Err(e) => notices.unreadable("forecast history", HISTORY_KEY, b, &e.to_string()),
            }
        }
        if let Ok(Some(b)) = storage::load_key(PRICES_KEY).await {
            match b.split_first().map(|(f, rest)| {
                (*f, postcard::from_bytes::<Vec<crate::pricing::Elasticity>>(rest))
            }) {
                Some((1, Ok(v))) => prices.set(Arc::new(v)),
                Some((f, _)) if f != 1 => notices.unreadable(
                    "price elasticities",
                    PRICES_KEY,
                    b,
                    &format!("format {f}; this version reads format 1"),
                ),
                _ => notices.unreadable("price elasticities", PRICES_KEY, b, "damaged bytes"),
            }
        }
    });
    // Every new forecast is kept (one per data end) so that the next update can score it.
    Effect::new(move |_| {
        let Some((run, ds)) = forecast.get() else {
            return;
        };
        let snap = crate::forecast::tracking::Snapshot::from_run(&run, &ds);
        history.update(|h| h.keep(snap));
        save_history(notices, &history.get_untracked());
    });
    // Back and forward move between pages too.
    if let Some(w) = web_sys::window() {
        let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            page.set(Page::from_hash(&current_hash()))
        });
        let _ = w.add_event_listener_with_callback(
            "hashchange",
            wasm_bindgen::JsCast::unchecked_ref(on_hash.as_ref()),
        );
        on_hash.forget();
    }
    let go = move |p: Page| {
        page.set(p);
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(p.hash());
        }
    };
    view! {
        <header class="top">
            <h1 class="brand">"supplycast"</h1>
            <nav>
                {Page::ALL
                    .into_iter()
                    .map(|p| {
                        view! {
                            <a
                                href=p.hash()
                                class=move || if page.get() == p { "tab active" } else { "tab" }
                                data-testid=format!("nav-{}", p.label().to_lowercase())
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    go(p);
                                }
                            >
                                {p.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="privacy" title="Files are read and models run inside this browser tab; no request leaves the page.">
                "Your data stays in this browser"
            </div>
        </header>
        <main>
            <notices::NoticeBar notices=notices />
            // Every page stays mounted so that their state (and a
            // running job) survives tab switches.
            <div style=move || if page.get() == Page::Data { "" } else { "display:none" }>
                <data_page::DataPage dataset=dataset anomalies=anomalies history=history prices=prices />
            </div>
            <div style=move || if page.get() == Page::Forecast { "" } else { "display:none" }>
                <forecast_page::ForecastPage dataset=anomalies.clean shared=forecast cleaning=anomalies />
            </div>
            <div style=move || if page.get() == Page::Plan { "" } else { "display:none" }>
                <plan_page::PlanPage forecast=forecast plan=plan prices=prices />
            </div>
            <div style=move || if page.get() == Page::Logistics { "" } else { "display:none" }>
                <logistics_page::LogisticsPage dataset=dataset forecast=forecast plan=plan />
            </div>
        </main>
    }
}

/// IndexedDB key of the forecast history ([`crate::store::History`] bytes).
pub(crate) const HISTORY_KEY: &str = "tracking";
/// IndexedDB key of the price elasticities (a format byte, 1, then postcard).
pub(crate) const PRICES_KEY: &str = "prices";

/// Keeps the forecast history in IndexedDB (a failure becomes a notice).
pub(crate) fn save_history(notices: notices::Notices, h: &crate::store::History) {
    notices.save(HISTORY_KEY.to_string(), h.to_bytes(), "the forecast history");
}

/// Paging for a long table: "SKUs 101–200 of 3,793" with Previous and Next, so that no
/// table stops at a fixed number of rows without saying so.
#[component]
pub fn Pager(
    /// Rows in all.
    total: usize,
    /// The page shown (0-based).
    page: RwSignal<usize>,
    /// Rows per page.
    size: usize,
    /// What the rows are ("SKUs").
    what: &'static str,
    /// Which table it pages (`data-for`, and in the label), e.g. "forecast".
    name: &'static str,
) -> impl IntoView {
    let pages = total.div_ceil(size.max(1)).max(1);
    view! {
        <nav class="pager" data-testid="pager" data-for=name aria-label=format!("Pages of the {name} table")>
            <button class="secondary" data-testid="pager-prev" disabled=move || page.get() == 0
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
            <span aria-live="polite" data-testid="pager-text">{move || {
                let p = page.get().min(pages - 1);
                format!("{what} {}–{} of {}", crate::format::int((p * size + 1) as f64), crate::format::int(((p + 1) * size).min(total) as f64), crate::format::int(total as f64))
            }}</span>
            <button class="secondary" data-testid="pager-next" disabled=move || { page.get() + 1 >= pages }
                on:click=move |_| page.update(|p| *p = (*p + 1).min(pages - 1))>"Next"</button>
        </nav>
    }
}

thread_local! {
    /// The shop's currency for every amount shown (empty: none), kept in IndexedDB.
    static CURRENCY: RefCell<Option<RwSignal<String>>> = const { RefCell::new(None) };
}

/// The currency setting as a signal. The app creates it at its root (so that no page's
/// re-render disposes it) and loads it from IndexedDB; before that (tests) a fresh one.
pub(crate) fn currency_signal() -> RwSignal<String> {
    CURRENCY.with(|c| {
        *c.borrow_mut()
            .get_or_insert_with(|| RwSignal::new(String::new()))
    })
}

/// Creates the currency setting under the app's root owner and loads the saved value.
fn init_currency() {
    let sig = RwSignal::new(String::new());
    CURRENCY.with(|c| *c.borrow_mut() = Some(sig));
    leptos::task::spawn_local(async move {
        if let Ok(Some(b)) = storage::load_key("currency").await
            && let Ok(text) = String::from_utf8(b)
        {
            sig.set(text);
        }
    });
}

/// The shop's currency, tracked where a view reads it.
pub(crate) fn currency() -> String {
    currency_signal().try_get().unwrap_or_default()
}

/// Sets (and keeps) the shop's currency.
pub(crate) fn set_currency(text: String) {
    let text: String = text.trim().chars().take(8).collect();
    currency_signal().try_set(text.clone());
    notices::Notices::get().save("currency".to_string(), text.into_bytes(), "the currency setting");
}

/// Plain-words meanings of the derived figures a page shows.
#[component]
pub fn Glossary(
    /// (term, meaning).
    terms: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <details class="glossary" data-testid="glossary">
            <summary>"What the figures mean"</summary>
            <dl>{terms.iter().map(|(t, m)| view! { <dt>{*t}</dt><dd>{*m}</dd> }).collect_view()}</dl>
        </details>
    }
}

/// The forecast page's figures.
pub(crate) const FORECAST_TERMS: &[(&str, &str)] = &[
    (
        "MASE",
        "Mean absolute scaled error of the backtests: the model's average miss divided by the average miss of simply repeating last season. Below 1 beats that naive rule; lower is better.",
    ),
    (
        "RMSSE",
        "Root mean squared scaled error: like MASE, but large misses count more.",
    ),
    (
        "SQL",
        "Scaled quantile (pinball) loss of the P10, P50 and P90 forecasts: how good the whole range is, not just the middle. Lower is better; the automatic choice uses it.",
    ),
    (
        "Cov. 80",
        "How often the actual demand fell inside the P10–P90 band in the backtests; 80 % is right, much less means the band is too narrow.",
    ),
    (
        "Risk",
        "Width of the P10–P90 band relative to the expected demand: how uncertain the forecast is.",
    ),
    (
        "P10, P50, P90",
        "Demand levels that actual demand stays below 10 %, 50 % and 90 % of the time.",
    ),
];

/// The plan page's figures.
pub(crate) const PLAN_TERMS: &[(&str, &str)] = &[
    (
        "Stockout risk",
        "Probability of running out before an order placed today can arrive.",
    ),
    (
        "Money at risk",
        "Margin expected to be lost to stockouts before an order placed today can arrive: expected units short over the lead time times the margin per unit.",
    ),
    (
        "Fill rate",
        "Share of demand served from stock (simulated); the rest is lost or back-ordered.",
    ),
    (
        "Cycle service level",
        "Share of replenishment cycles that end without a stockout.",
    ),
    (
        "Days of cover",
        "How many days the stock on hand lasts at the forecast demand.",
    ),
    (
        "Safety stock",
        "Stock kept above the expected demand over the lead time (and review period) to absorb its uncertainty.",
    ),
    (
        "EOQ",
        "Economic order quantity: the order size that balances the cost of ordering against the cost of holding stock.",
    ),
    (
        "(r, Q), (R, S), (s, S)",
        "Reorder rules: order Q units when stock falls to r; every R days order up to S; every review, if at or below s, order up to S.",
    ),
];

/// The data page's figures.
pub(crate) const DATA_TERMS: &[(&str, &str)] = &[
    (
        "Class",
        "How a SKU sells: smooth (regularly, steady amounts), erratic (regularly, very varied amounts), intermittent (rarely, steady amounts) or lumpy (rarely, varied amounts). It decides which models are tried.",
    ),
    (
        "ADI",
        "Average demand interval: periods between two sales on average (1 = sells every period).",
    ),
    (
        "CV²",
        "Squared coefficient of variation of the non-zero sales: how much the amounts vary.",
    ),
    ("Zero", "Share of periods without a sale."),
    (
        "Flags",
        "Points to review: extreme one-off spikes, long gaps and other oddities found while cleaning; they are kept in the data.",
    ),
];
