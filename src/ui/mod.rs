//! The Leptos app (wasm only): navigation over the merchant's stages and the pages.
//!
//! The UI is a thin shell: it reads files, hands them to the worker ([`jobs`]), keeps
//! the result in IndexedDB ([`storage`]) and shows core types.

pub mod data_page;
pub mod forecast_page;
pub mod jobs;
pub mod logistics_page;
#[cfg(feature = "nn")]
pub mod nn_worker;
pub mod plan_page;
pub mod storage;
pub mod worker;

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
    // The loaded dataset, shared by the pages (data flows one way: Data -> Forecast).
    let dataset = RwSignal::new(None::<Arc<Dataset>>);
    // The latest forecasts and the dataset they were made from (Forecast -> Plan).
    let forecast = RwSignal::new(None::<(Arc<ForecastRun>, Arc<Dataset>)>);
    // The latest plan (Plan -> Logistics: today's orders are split across locations).
    let plan = RwSignal::new(None::<Arc<crate::inventory::plan::Plan>>);
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
            <div class="brand">"supplycast"</div>
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
            // Every page stays mounted so that their state (and a
            // running job) survives tab switches.
            <div style=move || if page.get() == Page::Data { "" } else { "display:none" }>
                <data_page::DataPage dataset=dataset />
            </div>
            <div style=move || if page.get() == Page::Forecast { "" } else { "display:none" }>
                <forecast_page::ForecastPage dataset=dataset shared=forecast />
            </div>
            <div style=move || if page.get() == Page::Plan { "" } else { "display:none" }>
                <plan_page::PlanPage forecast=forecast plan=plan />
            </div>
            <div style=move || if page.get() == Page::Logistics { "" } else { "display:none" }>
                <logistics_page::LogisticsPage dataset=dataset forecast=forecast plan=plan />
            </div>
        </main>
    }
}
