//! The Plan page: per-SKU replenishment policies from the forecasts, today's purchase
//! list, the simulated outcome against a baseline, and the parameters that drive them
//! (edited here or imported as CSV, kept in IndexedDB).

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::forecast_page::download;
use super::jobs::{Job, JobEvent, JobSlot};
use super::storage;
use crate::data::{Dataset, fmt_figure};
use crate::field::Field;
use crate::forecast::run::ForecastRun;
use crate::inventory::params::{self, PolicyChoice, SkuParams};
use crate::inventory::plan::{self, Plan, PlanRequest, SkuPlan, Status};
use crate::inventory::policy::Service;
use crate::inventory::sim::{SimSummary, Unmet};
use crate::plot::{InventoryChart, TradeoffChart};

const PARAMS_KEY: &str = "params";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    OrderNow,
    AtRisk,
    Overstocked,
}

/// The purchase list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    MoneyAtRisk,
    Spend,
    StockoutRisk,
    Priority,
}

impl Order {
    const ALL: [Order; 4] = [
        Order::MoneyAtRisk,
        Order::Spend,
        Order::StockoutRisk,
        Order::Priority,
    ];

    fn label(self) -> &'static str {
        match self {
            Order::MoneyAtRisk => "money at risk",
            Order::Spend => "value of today's order",
            Order::StockoutRisk => "stockout risk",
            Order::Priority => "margin protected per money spent",
        }
    }

    fn key(self, s: &SkuPlan) -> f64 {
        match self {
            Order::MoneyAtRisk => s.money_at_risk,
            Order::Spend => s.order_value,
            Order::StockoutRisk => s.stockout_risk,
            Order::Priority => s.priority,
        }
    }
}

/// Rows a page of the purchase list shows.
const PAGE: usize = 200;

impl Filter {
    fn keeps(self, s: &SkuPlan) -> bool {
        match self {
            Filter::All => true,
            Filter::OrderNow => s.status == Status::OrderNow,
            Filter::AtRisk => {
                s.status == Status::AtRisk || (s.stockout_risk >= 0.5 && s.on_hand > 0.0)
            }
            Filter::Overstocked => s.status == Status::Overstocked,
        }
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

fn pct(v: f64) -> String {
    crate::format::percent(v)
}

fn days(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.0}")
    } else {
        "∞".into()
    }
}

/// Money in the shop's currency (the Plan page's setting), as every page shows it.
pub(crate) fn money(v: f64) -> String {
    crate::format::money(v, &super::currency())
}

/// The Plan page.
#[component]
pub fn PlanPage(
    /// The latest forecasts and the dataset they were made from.
    forecast: RwSignal<Option<(Arc<ForecastRun>, Arc<Dataset>)>>,
    /// The latest plan (shared with the Logistics page, which splits its orders).
    plan: RwSignal<Option<Arc<Plan>>>,
    /// The price elasticities of the last order export.
    prices: RwSignal<Arc<Vec<crate::pricing::Elasticity>>>,
) -> impl IntoView {
    // The request the plan shown was made from (what-ifs and supplier shares start
    // from it), the latest what-if and its job.
    let last_request = StoredValue::new(None::<PlanRequest>);
    let what_if = RwSignal::new(None::<crate::inventory::whatif::Summary>);
    let what_if_slot = JobSlot::new();
    let params = RwSignal::new(Vec::<SkuParams>::new());
    let slot = JobSlot::new();
    let (progress, message) = (slot.progress, slot.message);
    let problems = RwSignal::new(Vec::<String>::new());
    // What the last imported file did (kept while the plan is re-made from it).
    let imported = RwSignal::new(None::<String>);
    let job = slot.job;
    let filter = RwSignal::new(Filter::All);
    let selected = RwSignal::new(None::<String>);
    // The boxes as typed; a plan runs only when both read (the message shows beside them).
    let budget = RwSignal::new(String::new());
    let horizon = RwSignal::new("90".to_string());
    let budget_error = Memo::new(move |_| budget_field().read(&budget.get()).err());
    let horizon_error = Memo::new(move |_| horizon_field().read(&horizon.get()).err());
    let sims = RwSignal::new(1000usize);
    let backorders = RwSignal::new(false);
    let normal = RwSignal::new(false);

    let start = move || {
        let Some((run, ds)) = forecast.get_untracked() else {
            return;
        };
        let (Ok(budget), Ok(Some(horizon))) = (
            budget_field().read(&budget.get_untracked()),
            horizon_field().read(&horizon.get_untracked()),
        ) else {
            return;
        };
        let Some(mut req) = PlanRequest::from_forecast(&run, &ds, params.get_untracked()) else {
            message.set(Some("The forecast has no dates to plan over.".into()));
            return;
        };
        req.config.budget = budget;
        req.config.horizon_days = horizon;
        req.config.simulations = sims.get_untracked();
        req.config.normal_approximation = normal.get_untracked();
        req.config.unmet = if backorders.get_untracked() {
            Unmet::Backorder
        } else {
            Unmet::Lost
        };
        slot.begin(now_ms());
        last_request.set_value(Some(req.clone()));
        what_if.set(None);
        // Every core: the SKUs are split across workers (one for a small catalogue).
        let k = super::jobs::workers_for(req.demand.len());
        let handler = move |ev: JobEvent<Plan>| match ev {
            JobEvent::Partial(_) => {}
            JobEvent::Progress(f) => slot.advance(f),
            JobEvent::Done(p, _) => {
                slot.end(None);
                if selected
                    .get_untracked()
                    .is_none_or(|s| !p.skus.iter().any(|x| x.sku == s))
                {
                    selected.set(
                        p.skus
                            .iter()
                            .filter(|s| s.order_qty > 0.0)
                            .max_by(|a, b| a.priority.total_cmp(&b.priority))
                            .or(p.skus.first())
                            .map(|s| s.sku.clone()),
                    );
                }
                plan.set(Some(Arc::new(*p)));
            }
            JobEvent::Failed(e) => slot.end(Some(e.to_string())),
            JobEvent::Crashed(m) => slot.end(Some(m)),
        };
        let started = if k > 1 {
            Job::plan_split(&req, k, handler)
        } else {
            Job::plan(&req, handler)
        };
        slot.hold(started);
    };

    // New forecasts: parameters for their SKUs (what was entered before is kept), then
    // a plan straight away.
    Effect::new(move |prev: Option<Option<usize>>| {
        let key = forecast.with(|f| f.as_ref().map(|(r, _)| Arc::as_ptr(r) as usize));
        if prev.as_ref() != Some(&key) {
            job.set_value(None);
            progress.set(None);
            plan.set(None);
            if let Some((_, ds)) = forecast.get_untracked() {
                let defaults = plan::default_params(&ds);
                leptos::task::spawn_local(async move {
                    let stored: Vec<SkuParams> = match storage::load_key(PARAMS_KEY)
                        .await
                        .ok()
                        .flatten()
                    {
                        None => Vec::new(),
                        Some(b) => match params::from_stored_bytes(&b) {
                            Ok(p) => p,
                            Err(e) => {
                                // The saved bytes stay where they are (never overwritten
                                // until the merchant changes a parameter).
                                problems.set(vec![format!("Your saved parameters could not be read: {e}. Defaults are shown; import your parameters file again.")]);
                                Vec::new()
                            }
                        },
                    };
                    params.set(plan::merge_params(defaults, &stored));
                    start();
                });
            }
        }
        key
    });

    let notices = super::notices::Notices::get();
    let save_params = move || {
        let bytes = params::to_stored_bytes(&params.get_untracked());
        notices.save(PARAMS_KEY.to_string(), bytes, "the planning parameters");
    };

    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => t.as_string().unwrap_or_default(),
                Err(e) => {
                    problems.set(vec![format!("{name}: cannot read the file: {e:?}")]);
                    return;
                }
            };
            // The shop's own stock export (Shopify, WooCommerce, sku,on_hand) or our
            // parameters file, told apart by the header.
            use crate::inventory::purchase_orders;
            let merged = if purchase_orders::is_purchase_order_file(text.as_bytes()) {
                purchase_orders::read(&name, text.as_bytes()).and_then(|f| {
                    purchase_orders::merge(&f, &params.get_untracked())
                        .map(|(p, r)| (p, r.summary()))
                })
            } else if crate::inventory::stock::is_stock_file(text.as_bytes()) {
                crate::inventory::stock::read(&name, text.as_bytes()).and_then(|f| {
                    crate::inventory::stock::merge(&f, &params.get_untracked())
                        .map(|(p, r)| (p, r.summary()))
                })
            } else {
                params::merge_csv(&name, text.as_bytes(), &params.get_untracked())
                    .map(|p| (p, format!("Imported parameters from {name}.")))
            };
            match merged {
                Ok((p, said)) => {
                    problems.set(Vec::new());
                    imported.set(Some(said));
                    params.set(p);
                    save_params();
                    start();
                }
                Err(crate::inventory::InventoryError::ParamsFile {
                    file,
                    problems: list,
                }) => {
                    problems.set(
                        std::iter::once(format!(
                            "{file}: nothing was changed; fix these and import again:"
                        ))
                        .chain(list)
                        .collect(),
                    );
                }
                Err(e) => problems.set(vec![e.to_string()]),
            }
        });
    };

    view! {
        <section class="card" data-testid="plan-controls">
            <h2>"Replenishment plan"</h2>
            {move || match forecast.get() {
                None => view! {
                    <p class="muted" data-testid="plan-needs-forecast">
                        "Plans are made from the demand forecasts: run them on the "
                        <a href="#forecast">"Forecast page"</a> " first."
                    </p>
                }.into_any(),
                Some((run, _)) => view! {
                    <p class="summary-line" data-testid="plan-next">{move || match plan.get() {
                        None => "Planning: what to order today follows from the forecasts, your stock and each SKU's costs.".to_string(),
                        Some(p) => {
                            let n = p.skus.iter().filter(|s| s.order_qty > 0.0).count();
                            if n > 0 {
                                format!("Next: review the {n} orders below (largest money at risk first) and download the purchase list; import your stock levels and costs for exact numbers.")
                            } else {
                                "Nothing needs ordering today. Import your stock levels and costs (Parameters) to plan with your real numbers.".to_string()
                            }
                        }
                    }}</p>
                    <p class="muted">{format!(
                        "From the forecasts of {} SKUs starting {}. Lead-time demand is drawn from each forecast's sample paths; each policy is simulated over the horizon.",
                        run.skus.iter().filter(|s| s.result.is_ok()).count(),
                        run.dates.first().map(|d| d.to_string()).unwrap_or_default()
                    )}</p>
                    <div class="settings">
                        <label title="A symbol (£, $, €) is put before amounts, a code (EUR) after them">"Currency "
                            <input type="text" size="4" maxlength="8" data-testid="plan-currency" prop:value=super::currency
                                on:change=move |ev| {
                                    super::set_currency(event_target_value(&ev));
                                    // Redraw what shows money.
                                    plan.update(|_| {});
                                } />
                        </label>
                        <label>"Budget for today's orders "
                            <input type="text" inputmode="decimal" placeholder="no limit" data-testid="plan-budget"
                                aria-invalid=move || budget_error.get().is_some().to_string()
                                prop:value=move || budget.get()
                                on:change=move |ev| budget.set(event_target_value(&ev)) />
                        </label>
                        <label>"Simulate (days) "
                            <input type="text" inputmode="numeric" data-testid="plan-horizon"
                                aria-invalid=move || horizon_error.get().is_some().to_string()
                                prop:value=move || horizon.get()
                                on:change=move |ev| horizon.set(event_target_value(&ev)) />
                        </label>
                        <label>"Runs per SKU "
                            <select on:change=move |ev| sims.set(event_target_value(&ev).parse().unwrap_or(1000))>
                                {[200usize, 500, 1000, 2000].into_iter().map(|n| view! { <option value=n.to_string() selected=move || sims.get() == n>{n}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Unmet demand "
                            <select on:change=move |ev| backorders.set(event_target_value(&ev) == "backorder")>
                                <option value="lost" selected=move || !backorders.get()>"is lost"</option>
                                <option value="backorder" selected=move || backorders.get()>"waits (backorder)"</option>
                            </select>
                        </label>
                        <label>"Lead-time demand "
                            <select data-testid="plan-ltd" on:change=move |ev| normal.set(event_target_value(&ev) == "normal")>
                                <option value="paths" selected=move || !normal.get()>"from the forecast paths"</option>
                                <option value="normal" selected=move || normal.get()>"normal approximation"</option>
                            </select>
                        </label>
                    </div>
                    {move || [budget_error.get(), horizon_error.get()].into_iter().flatten().map(|e| view! {
                        <p class="field-error" role="alert" data-testid="plan-field-error">{e}</p>
                    }).collect_view()}
                    <div class="buttons">
                        <button data-testid="run-plan" on:click=move |_| start() disabled=move || progress.get().is_some() || budget_error.get().is_some() || horizon_error.get().is_some()>"Re-plan"</button>
                        <button class="secondary" data-testid="export-params" on:click=move |_| {
                            if let Err(e) = download("parameters.csv", &params::to_csv(&params.get_untracked())) {
                                message.set(Some(format!("cannot download: {e:?}")));
                            }
                        }>"Download parameters (CSV)"</button>
                        <label class="button secondary" title="Your shop's stock export (Shopify products or inventory, WooCommerce products, or sku,on_hand[,cost,price,supplier,location]), open purchase orders (sku, quantity, expected date, or Shopify's purchase order export) or a parameters file downloaded here">"Import stock, orders or parameters (CSV) "
                            <input type="file" accept=".csv,.tsv,text/csv,text/tab-separated-values" data-testid="import-params" on:change=import />
                        </label>
                    </div>
                }.into_any(),
            }}
            {move || progress.get().map(|(p, t0)| {
                let elapsed = (now_ms() - t0) / 1000.0;
                let eta = if p > 0.02 { format!(", about {:.0} s left", elapsed * f64::from(1.0 - p) / f64::from(p)) } else { String::new() };
                view! {
                    <div class="progress" data-testid="plan-progress">
                        <progress max="1" prop:value=f64::from(p)></progress>
                        <span>{format!("Setting policies and simulating … {:.0} %{eta}", 100.0 * p)}</span>
                        <button class="secondary" on:click=move |_| {
                            slot.end(Some("Planning cancelled; the previous plan (if any) is unchanged.".into()))
                        }>"Cancel"</button>
                    </div>
                }
            })}
            {move || message.get().map(|m| view! { <p class="note" data-testid="plan-message">{m}</p> })}
            {move || imported.get().map(|m| view! { <p class="note" data-testid="plan-import-report">{m}</p> })}
            {move || {
                let p = problems.get();
                (!p.is_empty()).then(|| view! {
                    <div class="error" data-testid="params-errors">
                        <ul>{p.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || plan.get().map(|p| view! { <Summary plan=p /> })}
        </section>
        {move || plan.get().map(|p| view! {
            <Catalogue plan=p.clone() filter=filter selected=selected />
            <SkuDetail plan=p.clone() params=params selected=selected on_apply=move || { save_params(); start(); } />
            <super::decisions::Risk plan=p.clone() />
            <super::decisions::WhatIfPanel request=last_request plan=p.clone() result=what_if job=what_if_slot />
            <super::decisions::PricesPanel prices=prices request=last_request result=what_if job=what_if_slot />
            <super::decisions::SupplierPanel request=last_request plan=p />
        })}
    }
}

#[component]
fn Summary(plan: Arc<Plan>) -> impl IntoView {
    let orders: Vec<&SkuPlan> = plan.skus.iter().filter(|s| s.order_qty > 0.0).collect();
    let in_budget: Vec<&&SkuPlan> = orders.iter().filter(|s| s.in_budget).collect();
    let value: f64 = in_budget.iter().map(|s| s.order_value).sum();
    let (mut d, mut f_rec, mut f_base, mut c_rec, mut c_base) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for s in &plan.skus {
        d += s.daily_demand;
        f_rec += s.daily_demand * s.simulated.fill_rate;
        f_base += s.daily_demand * s.baseline.fill_rate;
        c_rec += s.simulated.total_cost.mean;
        c_base += s.baseline.total_cost.mean;
    }
    let w = |v: f64| if d > 0.0 { v / d } else { 1.0 };
    let canvas = NodeRef::<Canvas>::new();
    let p2 = plan.clone();
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        if let Some(el) = canvas.get() {
            let chart = TradeoffChart::new(
                "Catalogue: fill rate against inventory investment",
                &p2.tradeoff,
                None,
            );
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                let _ = chart.draw(&b.into_drawing_area());
            }
        }
    });
    let p3 = plan.clone();
    view! {
        <div class="summary" data-testid="plan-summary">
            <p>{format!(
                "{} SKUs planned in {:.1} s ({} runs × {:.0} days each). {} to order today for {}{}.",
                plan.skus.len(), plan.seconds, plan.config.simulations, plan.config.horizon_days,
                orders.len(), money(value),
                match plan.config.budget {
                    Some(b) => format!(" within the budget of {} ({} orders wait)", money(b), orders.len() - in_budget.len()),
                    None => String::new(),
                }
            )}</p>
            <p>{format!(
                "Simulated over {:.0} days: fill rate {} with the recommended policies against {} without safety stock or with your current rules; expected cost {} against {} (holding, ordering and lost margin).",
                plan.config.horizon_days, pct(w(f_rec)), pct(w(f_base)), money(c_rec), money(c_base)
            )}</p>
            <p data-testid="plan-scenarios">{format!(
                "Demand scenarios: {}.",
                match plan.config.scenarios {
                    Some(k) => format!("the forecasts' sample paths, {} (set on the Forecast page)", k.name()),
                    None => "drawn from each period's P10/P50/P90".to_string(),
                }
            )}</p>
            {(!plan.skipped.is_empty()).then(|| view! { <p class="note">{format!("{} SKUs could not be planned: {}", plan.skipped.len(), plan.skipped.iter().take(5).map(|(s, e)| format!("{s} ({e})")).collect::<Vec<_>>().join("; "))}</p> })}
            <button data-testid="download-orders" disabled=orders.is_empty() on:click=move |_| {
                let _ = download("purchase_orders.csv", &p3.purchase_csv());
            }>"Download purchase list (CSV)"</button>
            <canvas node_ref=canvas width="900" height="300" data-testid="tradeoff-chart" role="img"
                aria-label="Catalogue fill rate against average inventory investment for service targets from 50 % to 99.5 %; the table below lists the points."></canvas>
            {tradeoff_table(&plan.tradeoff)}
        </div>
    }
}

#[component]
fn Catalogue(
    plan: Arc<Plan>,
    filter: RwSignal<Filter>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let p2 = plan.clone();
    let count = move |f: Filter| p2.skus.iter().filter(|s| f.keeps(s)).count();
    let order = RwSignal::new(Order::MoneyAtRisk);
    let page = RwSignal::new(0usize);
    let tabs = [
        (Filter::All, "All"),
        (Filter::OrderNow, "Order now"),
        (Filter::AtRisk, "At risk"),
        (Filter::Overstocked, "Overstocked"),
    ];
    view! {
        <section class="card" data-testid="plan-table">
            <h2>"Purchase list"</h2>
            <div class="filters" role="group" aria-label="Show">
                {tabs.into_iter().map(|(f, label)| {
                    let n = count(f);
                    view! {
                        <button class=move || if filter.get() == f { "chip active" } else { "chip" }
                            aria-pressed=move || (filter.get() == f).to_string()
                            data-testid=format!("filter-{}", label.to_lowercase().replace(' ', "-"))
                            on:click=move |_| { filter.set(f); page.set(0); }>{format!("{label} ({n})")}</button>
                    }
                }).collect_view()}
                <label class="sort">"Sort by "
                    <select data-testid="plan-sort" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(o) = Order::ALL.into_iter().find(|o| o.label() == v) {
                            order.set(o);
                            page.set(0);
                        }
                    }>
                        {Order::ALL.into_iter().map(|o| view! { <option value=o.label() selected=move || order.get() == o>{o.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <super::Glossary terms=super::PLAN_TERMS />
            <p class="muted" data-testid="plan-order-note">{move || format!(
                "Sorted by {}, largest first. Money at risk is the margin expected to be lost to stockouts before an order placed today could arrive.",
                order.get().label()
            )}</p>
            {move || {
                let mut rows: Vec<&SkuPlan> = plan.skus.iter().filter(|s| filter.get().keeps(s)).collect();
                let o = order.get();
                rows.sort_by(|a, b| {
                    o.key(b).total_cmp(&o.key(a))
                        .then(b.money_at_risk.total_cmp(&a.money_at_risk))
                        .then(b.order_value.total_cmp(&a.order_value))
                });
                let total = rows.len();
                let pages = total.div_ceil(PAGE).max(1);
                let at = page.get().min(pages - 1);
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Purchase list"><table class="skus">
                        <thead><tr>
                            <th>"SKU"</th><th>"Product"</th><th class="num">"On hand"</th><th class="num">"Days of cover"</th>
                            <th class="num" title="Probability of running out before an order placed today arrives">"Stockout risk"</th>
                            <th class="num" title="Margin expected to be lost to stockouts before an order placed today could arrive">"Money at risk"</th>
                            <th class="num">"Order"</th><th class="num">"Value"</th><th>"Arrives"</th>
                            <th class="num" title="Simulated cost over the horizon: holding + ordering + lost margin">"Cost"</th><th>"Status"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().skip(at * PAGE).take(PAGE).map(|s| {
                                let sku = s.sku.clone();
                                let sku2 = s.sku.clone();
                                let sku3 = s.sku.clone();
                                view! {
                                    <tr class=move || if selected.get().as_deref() == Some(sku2.as_str()) { "selected" } else { "" }
                                        data-testid="plan-row" tabindex="0"
                                        on:click=move |_| selected.set(Some(sku.clone()))
                                        on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { ev.prevent_default(); selected.set(Some(sku3.clone())) }>
                                        <td>{s.sku.clone()}</td>
                                        <td class="desc">{s.description.clone()}</td>
                                        <td class="num">{crate::format::units(s.on_hand)}</td>
                                        <td class="num">{days(s.days_of_cover)}</td>
                                        <td class="num">{pct(s.stockout_risk)}</td>
                                        <td class="num" data-testid="plan-money-at-risk">{money(s.money_at_risk)}</td>
                                        <td class="num" data-testid="plan-order">{if s.order_qty > 0.0 { crate::format::units(s.order_qty) } else { String::new() }}</td>
                                        <td class="num">{if s.order_qty > 0.0 { money(s.order_value) } else { String::new() }}</td>
                                        <td>{if s.order_qty > 0.0 { s.arrival.to_string() } else { String::new() }}</td>
                                        <td class="num">{money(s.simulated.total_cost.mean)}</td>
                                        <td><span class=format!("status {}", s.status.label().replace(' ', "-"))>
                                            {if s.order_qty > 0.0 && !s.in_budget { "over budget" } else { s.status.label() }}
                                        </span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    {(total > PAGE).then(|| view! { <super::Pager total=total page=page size=PAGE what="SKUs" name="plan" /> })}
                }
            }}
        </section>
    }
}

/// The points of a fill-rate/investment chart as a table (the chart's text alternative).
fn tradeoff_table(points: &[crate::inventory::plan::TradeoffPoint]) -> impl IntoView + use<> {
    let rows: Vec<_> = points
        .iter()
        .map(|p| {
            (
                pct(p.target),
                crate::format::units(p.safety_stock),
                money(p.investment),
                pct(p.fill_rate),
            )
        })
        .collect();
    view! {
        <details data-testid="tradeoff-figures">
            <summary>"The figures behind the chart"</summary>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Fill rate against investment">
                <table class="small">
                    <thead><tr><th class="num">"Service target"</th><th class="num">"Safety stock"</th><th class="num">"Investment"</th><th class="num">"Fill rate"</th></tr></thead>
                    <tbody>{rows.into_iter().map(|(t, s, i, f)| view! {
                        <tr><td class="num">{t}</td><td class="num">{s}</td><td class="num">{i}</td><td class="num">{f}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </div>
        </details>
    }
}

fn sim_row(label: &'static str, a: String, b: String) -> impl IntoView {
    view! { <tr><td>{label}</td><td class="num">{a}</td><td class="num">{b}</td></tr> }
}

fn comparison(rec: &SimSummary, base: &SimSummary, base_name: &str) -> impl IntoView + use<> {
    let band = |s: &crate::inventory::sim::Stat| {
        format!("{} ({}–{})", money(s.mean), money(s.lo), money(s.hi))
    };
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Simulated comparison"><table class="compare" data-testid="policy-comparison">
            <thead><tr><th><span class="sr-only">"Measure"</span></th><th>"Recommended"</th><th>{base_name.to_string()}</th></tr></thead>
            <tbody>
                {sim_row("Fill rate", pct(rec.fill_rate), pct(base.fill_rate))}
                {sim_row("Cycle service level", pct(rec.cycle_service), pct(base.cycle_service))}
                {sim_row("P(any stockout)", pct(rec.stockout_probability), pct(base.stockout_probability))}
                {sim_row("Average on hand", crate::format::units(rec.avg_on_hand.mean), crate::format::units(base.avg_on_hand.mean))}
                {sim_row("Orders placed", crate::format::units(rec.orders.mean), crate::format::units(base.orders.mean))}
                {sim_row("Holding cost", band(&rec.holding_cost), band(&base.holding_cost))}
                {sim_row("Ordering cost", band(&rec.ordering_cost), band(&base.ordering_cost))}
                {sim_row("Stockout cost", band(&rec.shortage_cost), band(&base.shortage_cost))}
                {sim_row("Total cost", band(&rec.total_cost), band(&base.total_cost))}
            </tbody>
        </table></div>
        <p class="muted">"Means over the runs, with the 5–95 % range across runs in brackets; both policies see the same demand paths and lead times."</p>
    }
}

#[component]
fn SkuDetail(
    plan: Arc<Plan>,
    params: RwSignal<Vec<SkuParams>>,
    selected: RwSignal<Option<String>>,
    on_apply: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let tradeoff = NodeRef::<Canvas>::new();
    let drawn = RwSignal::new(String::new());
    let p2 = plan.clone();
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        let Some(s) = selected
            .get()
            .and_then(|k| p2.skus.iter().find(|s| s.sku == k))
        else {
            return;
        };
        if let Some(el) = canvas.get() {
            let chart = InventoryChart::new(s, &p2.config);
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                match chart.draw(&b.into_drawing_area()) {
                    Ok(()) => drawn.set(s.sku.clone()),
                    Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!("chart: {e}"))),
                }
            }
        }
        if let Some(el) = tradeoff.get() {
            let chart = TradeoffChart::new(
                &format!("{}: fill rate against investment", s.sku),
                &s.tradeoff,
                None,
            );
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el) {
                let _ = chart.draw(&b.into_drawing_area());
            }
        }
    });
    view! {
        <section class="card" data-testid="plan-detail">
            {move || selected.get().and_then(|k| plan.skus.iter().find(|s| s.sku == k).cloned()).map(|s| view! {
                <h3>{format!("{} {}", s.sku, s.description)}</h3>
                <p data-testid="plan-policy"><strong>{format!("{}: {}", s.policy.name(), s.policy.levels())}</strong>
                    {format!(" · safety stock {} · EOQ {} · demand {}/day · lead-time demand {} ± {}",
                        crate::format::units(s.safety_stock.round()), crate::format::units(s.eoq), crate::format::units(s.daily_demand),
                        crate::format::units(s.lead_time_demand.0), crate::format::units(s.lead_time_demand.1))}</p>
                <p>{if s.order_qty > 0.0 {
                    format!("Order {} today ({}), expected {}; {} days of cover now, {} when it arrives. Stockout risk before it can arrive: {}.",
                        crate::format::units(s.order_qty), money(s.order_value), s.arrival, days(s.days_of_cover), days(s.cover_at_arrival_days), pct(s.stockout_risk))
                } else {
                    format!("No order today: position {} (on hand {}, on order {}); {} days of cover. Stockout risk within the lead time: {}.",
                        crate::format::units(s.position), crate::format::units(s.on_hand), crate::format::units(s.on_order), days(s.days_of_cover), pct(s.stockout_risk))
                }}</p>
                <ul class="explain">{s.explanation.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                {comparison(&s.simulated, &s.baseline, &s.baseline_name)}
            })}
            <p class="muted" data-testid="plan-detail-empty" style=move || if drawn.get().is_empty() { "" } else { "display:none" }>
                "Pick a SKU in the purchase list to see why its order is what it is, its projected stock and its fill rate against investment."
            </p>
            <canvas node_ref=canvas width="900" height="340" data-testid="inventory-chart" data-drawn=move || drawn.get()
                style=move || if drawn.get().is_empty() { "display:none" } else { "" }
                role="img" aria-label=move || format!("Projected stock on hand of {} over the simulation: median and P10–P90 band, the reorder level, the safety stock and order arrivals.", drawn.get())></canvas>
            <canvas node_ref=tradeoff width="900" height="260" data-testid="sku-tradeoff-chart"
                style=move || if drawn.get().is_empty() { "display:none" } else { "" }
                role="img" aria-label=move || format!("Fill rate of {} against average inventory investment for service targets from 50 % to 99.5 %.", drawn.get())></canvas>
            {move || selected.get().map(|k| view! { <ParamsEditor sku=k params=params on_apply=on_apply /> })}
        </section>
    }
}

#[component]
fn ParamsEditor(
    sku: String,
    params: RwSignal<Vec<SkuParams>>,
    on_apply: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let Some(initial) = params.with_untracked(|ps| ps.iter().find(|p| p.sku == sku).cloned())
    else {
        return ().into_any();
    };
    let draft = RwSignal::new(initial);
    let errors = RwSignal::new(Vec::<String>::new());
    let num = move |label: &'static str,
                    id: &'static str,
                    get: fn(&SkuParams) -> f64,
                    set: fn(&mut SkuParams, f64)| {
        view! {
            <label>{label}" "
                <input type="number" step="any" data-testid=format!("param-{id}") prop:value=move || fmt_figure(draft.with(get), 4).trim_end_matches('0').trim_end_matches('.').to_string()
                    on:change=move |ev| {
                        match event_target_value(&ev).trim().parse::<f64>() {
                            Ok(v) => draft.update(|d| set(d, v)),
                            Err(_) => errors.set(vec![format!("{label}: not a number")]),
                        }
                    } />
            </label>
        }
    };
    let apply = move |_| {
        let d = draft.get_untracked();
        match d.validate() {
            Ok(()) => {
                errors.set(Vec::new());
                params.update(|ps| {
                    if let Some(p) = ps.iter_mut().find(|p| p.sku == d.sku) {
                        *p = d.clone();
                    }
                });
                on_apply();
            }
            // The draft stays as typed, so nothing entered is lost.
            Err(e) => errors.set(e),
        }
    };
    view! {
        <div class="params" data-testid="params-editor">
            <h4>"Parameters"</h4>
            <div class="settings wrap">
                {num("On hand", "on_hand", |p| p.on_hand, |p, v| p.on_hand = v)}
                {num("Lead time (days)", "lead_time_days", |p| p.lead_time_days, |p, v| p.lead_time_days = v)}
                {num("± s.d. (days)", "lead_time_sd_days", |p| p.lead_time_sd_days, |p, v| p.lead_time_sd_days = v)}
                {num("Review every (days, 0 = any day)", "review_days", |p| p.review_days, |p, v| p.review_days = v)}
                <label>"Target "
                    <select data-testid="param-service_type" on:change=move |ev| {
                        let v = draft.with_untracked(|d| d.service.value());
                        draft.update(|d| d.service = if event_target_value(&ev) == "fill" { Service::FillRate(v) } else { Service::Csl(v) });
                    }>
                        <option value="csl" selected=move || matches!(draft.with(|d| d.service), Service::Csl(_))>"cycle service level"</option>
                        <option value="fill" selected=move || matches!(draft.with(|d| d.service), Service::FillRate(_))>"fill rate"</option>
                    </select>
                </label>
                {num("Level (0–1)", "service_level", |p| p.service.value(), |p, v| p.service = p.service.with_value(v))}
                {num("Unit cost", "unit_cost", |p| p.unit_cost, |p, v| p.unit_cost = v)}
                {num("Price", "price", |p| p.price, |p, v| p.price = v)}
                {num("Holding (per year, × cost)", "holding_rate", |p| p.holding_rate, |p, v| p.holding_rate = v)}
                {num("Cost per order", "order_cost", |p| p.order_cost, |p, v| p.order_cost = v)}
                {num("MOQ", "moq", |p| p.moq, |p, v| p.moq = v)}
                {num("Case pack", "case_pack", |p| p.case_pack, |p, v| p.case_pack = v)}
                <label>"Policy "
                    <select data-testid="param-policy" on:change=move |ev| {
                        if let Some(c) = PolicyChoice::parse(&event_target_value(&ev)) { draft.update(|d| d.policy = c) }
                    }>
                        {PolicyChoice::ALL.into_iter().map(|c| view! { <option value=c.as_str() selected=move || draft.with(|d| d.policy) == c>{c.as_str()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <button data-testid="apply-params" on:click=apply>"Apply and re-plan"</button>
            {move || {
                let e = errors.get();
                (!e.is_empty()).then(|| view! { <div class="error" data-testid="param-errors"><ul>{e.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul></div> })
            }}
        </div>
    }
    .into_any()
}

/// The plan's budget box.
fn budget_field() -> Field {
    Field::number("Budget for today's orders", 0.0..=1e15).or_empty("no limit")
}

/// The plan's simulated days box.
fn horizon_field() -> Field {
    Field::number("Simulate (days)", 7.0..=365.0).whole()
}
