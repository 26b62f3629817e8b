//! The Plan page's decisions beyond today's order: the catalogue's risk, what-if
//! scenarios on the same sample paths, what a supplier is sent, and prices.

use std::sync::Arc;

use leptos::prelude::*;

use super::forecast_page::{download, download_bytes};
use super::jobs::{Job, JobEvent, JobSlot};
use super::plan_page::money;
use crate::field::{Field, read_date};
use crate::inventory::plan::{Plan, PlanRequest};
use crate::inventory::supplier;
use crate::inventory::whatif::{PriceChange, Summary, WhatIf};
use crate::pricing::{self, CostLine, Elasticity, Method};

fn pct(v: f64) -> String {
    crate::format::percent(v)
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Money at risk over the catalogue and the SKUs that carry most of it.
#[component]
pub fn Risk(
    /// The plan shown.
    plan: Arc<Plan>,
) -> impl IntoView {
    let total: f64 = plan.skus.iter().map(|s| s.money_at_risk).sum();
    let at_risk = plan.skus.iter().filter(|s| s.stockout_risk >= 0.5).count();
    let mut ranked: Vec<&crate::inventory::plan::SkuPlan> = plan.skus.iter().collect();
    ranked.sort_by(|a, b| b.money_at_risk.total_cmp(&a.money_at_risk));
    let top: f64 = ranked.iter().take(10).map(|s| s.money_at_risk).sum();
    let rows = ranked
        .iter()
        .take(10)
        .map(|s| {
            view! {
                <tr>
                    <td>{s.sku.clone()}</td>
                    <td class="num">{pct(s.stockout_risk)}</td>
                    <td class="num">{money(s.money_at_risk)}</td>
                    <td class="num">{crate::format::days(s.days_of_cover)}</td>
                    <td>{s.arrival.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="risk">
            <h2>"Risk"</h2>
            <p data-testid="risk-summary">{format!(
                "Money at risk across the catalogue: {} — the margin expected to be lost to stockouts before orders placed today can arrive. {} SKUs have a 50 % or higher chance of running out first; the 10 below carry {} of it.",
                money(total), crate::format::int(at_risk as f64),
                if total > 0.0 { pct(top / total) } else { pct(0.0) }
            )}</p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="SKUs with the most money at risk">
                <table>
                    <thead><tr><th>"SKU"</th><th class="num">"Stockout risk"</th><th class="num">"Money at risk"</th><th class="num">"Days of cover"</th><th>"An order today arrives"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// What-if scenarios: the plan again with a change, side by side.
#[component]
pub fn WhatIfPanel(
    /// The request the plan shown was made from.
    request: StoredValue<Option<PlanRequest>>,
    /// The plan shown.
    plan: Arc<Plan>,
    /// The latest comparison (shared with the Prices panel, which asks for one too).
    result: RwSignal<Option<Summary>>,
    /// Its job (not `slot`: the view macro keeps that name for slots).
    job: JobSlot,
) -> impl IntoView {
    let slot = job;
    let suppliers = request.with_value(|r| r.as_ref().map(supplier::suppliers).unwrap_or_default());
    let scope = RwSignal::new(String::new());
    let lead = RwSignal::new(String::new());
    let sd = RwSignal::new(String::new());
    let demand = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let moq = RwSignal::new(String::new());
    let budget = RwSignal::new(String::new());
    let today = plan.config.today;
    // What the boxes say, read in one place: the change, or every box's message.
    let read = move || -> Result<WhatIf, Vec<String>> {
        let mut errors = Vec::new();
        let mut num = |f: Field, text: String| {
            f.read(&text).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let lead_days = num(
            Field::number("Lead time longer by (days)", -365.0..=365.0).or_empty("no change"),
            lead.get(),
        );
        let sd_factor = num(
            Field::number("Lead-time variability ×", 0.0..=10.0).or_empty("no change"),
            sd.get(),
        );
        let change = num(
            Field::number("Demand change (%)", -100.0..=1000.0).or_empty("no change"),
            demand.get(),
        );
        let moq_v = num(
            Field::number("MOQ", 1.0..=1e9).whole().or_empty("unchanged"),
            moq.get(),
        );
        let budget_v = num(
            Field::number("Budget", 0.0..=1e15).or_empty("unchanged"),
            budget.get(),
        );
        let mut date = |label: &str, text: String| {
            read_date(label, &text).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let (f, t) = (date("from", from.get()), date("to", to.get()));
        if let (Some(f), Some(t)) = (f, t)
            && f > t
        {
            errors.push(format!("Demand change dates: from {f} is after to {t}."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(WhatIf {
            supplier: Some(scope.get()).filter(|s| !s.is_empty()),
            lead_time_extra_days: lead_days.unwrap_or(0.0),
            lead_time_sd_factor: sd_factor.unwrap_or(1.0),
            demand_change: change.unwrap_or(0.0) / 100.0,
            demand_window: (f.is_some() || t.is_some()).then(|| {
                (
                    f.unwrap_or(chrono::NaiveDate::MIN),
                    t.unwrap_or(chrono::NaiveDate::MAX),
                )
            }),
            moq: moq_v,
            budget: budget_v,
            prices: Vec::new(),
        })
    };
    let errors = Memo::new(move |_| read().err().unwrap_or_default());
    let run = move |_| {
        if let Ok(w) = untrack(read) {
            start_what_if(request, w, result, slot);
        }
    };
    view! {
        <section class="card" data-testid="whatif">
            <h2>"What if…"</h2>
            <p class="muted">"Plan again with a change — on the same demand scenarios and random draws as the plan above, so the difference is the change alone."</p>
            <div class="settings">
                <label>"Only the SKUs of "
                    <select data-testid="whatif-supplier" on:change=move |ev| scope.set(event_target_value(&ev))>
                        <option value="">"every supplier"</option>
                        {suppliers.into_iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Lead time longer by (days) "
                    <input type="text" inputmode="decimal" placeholder="0" data-testid="whatif-lead" on:input=move |ev| lead.set(event_target_value(&ev)) />
                </label>
                <label>"Lead-time variability × "
                    <input type="text" inputmode="decimal" placeholder="1" data-testid="whatif-sd" on:input=move |ev| sd.set(event_target_value(&ev)) />
                </label>
                <label>"Demand change (%) "
                    <input type="text" inputmode="decimal" placeholder="0" data-testid="whatif-demand" on:input=move |ev| demand.set(event_target_value(&ev)) />
                </label>
                <label>"from "
                    <input type="date" data-testid="whatif-from" prop:value=today.to_string() on:input=move |ev| from.set(event_target_value(&ev)) />
                </label>
                <label>"to "
                    <input type="date" data-testid="whatif-to" on:input=move |ev| to.set(event_target_value(&ev)) />
                </label>
                <label>"MOQ "
                    <input type="text" inputmode="numeric" placeholder="unchanged" data-testid="whatif-moq" on:input=move |ev| moq.set(event_target_value(&ev)) />
                </label>
                <label>"Budget "
                    <input type="text" inputmode="decimal" placeholder="unchanged" data-testid="whatif-budget" on:input=move |ev| budget.set(event_target_value(&ev)) />
                </label>
            </div>
            {move || errors.get().into_iter().map(|e| view! { <p class="field-error" role="alert" data-testid="whatif-field-error">{e}</p> }).collect_view()}
            <div class="buttons">
                <button data-testid="whatif-run" on:click=run disabled=move || slot.progress.get().is_some() || !errors.get().is_empty()>"Compare with the plan"</button>
            </div>
            {move || slot.progress.get().map(|(p, _)| view! {
                <div class="progress"><progress max="1" prop:value=f64::from(p)></progress>
                    <span>{format!("Planning twice … {:.0} %", 100.0 * p)}</span>
                    <button class="secondary" on:click=move |_| slot.end(Some("Cancelled.".into()))>"Cancel"</button>
                </div>
            })}
            {move || slot.message.get().map(|m| view! { <p class="note" data-testid="whatif-message">{m}</p> })}
            {move || result.get().map(|s| view! { <Comparison summary=s /> })}
        </section>
    }
}

fn start_what_if(
    request: StoredValue<Option<PlanRequest>>,
    w: WhatIf,
    result: RwSignal<Option<Summary>>,
    slot: JobSlot,
) {
    if let Err(e) = w.validate() {
        slot.message.set(Some(e.to_string()));
        return;
    }
    let Some(req) = request.get_value() else {
        slot.message.set(Some("Make a plan first.".into()));
        return;
    };
    slot.begin(now_ms());
    let started = Job::what_if(&req, &w, move |ev| match ev {
        JobEvent::Partial(_) => {}
        JobEvent::Progress(f) => slot.advance(f),
        JobEvent::Done(r, ms) => match *r {
            Ok(s) => {
                slot.end(Some(format!("Planned twice in {:.1} s.", ms / 1000.0)));
                result.set(Some(s));
            }
            Err(e) => slot.end(Some(e)),
        },
        JobEvent::Failed(e) => slot.end(Some(e.to_string())),
        JobEvent::Crashed(m) => slot.end(Some(m)),
    });
    slot.hold(started);
}

#[component]
fn Comparison(summary: Summary) -> impl IntoView {
    let (b, c) = (summary.base, summary.changed);
    let row = |name: &'static str, x: String, y: String, d: String| {
        view! { <tr><th scope="row">{name}</th><td class="num">{x}</td><td class="num">{y}</td><td class="num">{d}</td></tr> }
    };
    let signed = |v: f64, f: &dyn Fn(f64) -> String| {
        if v > 0.0 {
            format!("+{}", f(v))
        } else if v < 0.0 {
            format!("−{}", f(-v))
        } else {
            "0".into()
        }
    };
    let units = |v: f64| crate::format::units(v.round());
    let points = |v: f64| format!("{} pts", crate::format::figure(100.0 * v, 1));
    view! {
        <div data-testid="whatif-result">
            <p>{format!("What-if: {}. {} SKUs change.", summary.what_if.describe(), crate::format::int(summary.changed_skus as f64))}</p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="The plan and the what-if side by side">
                <table data-testid="whatif-table">
                    <thead><tr><th></th><th class="num">"Plan"</th><th class="num">"What-if"</th><th class="num">"Change"</th></tr></thead>
                    <tbody>
                        {row("SKUs to order today", crate::format::int(b.orders as f64), crate::format::int(c.orders as f64), signed(c.orders as f64 - b.orders as f64, &|v| crate::format::int(v)))}
                        {row("Units ordered today", units(b.units), units(c.units), signed(c.units - b.units, &units))}
                        {row("Order value today", money(b.order_value), money(c.order_value), signed(c.order_value - b.order_value, &|v| money(v)))}
                        {row("Simulated fill rate", pct(b.fill_rate), pct(c.fill_rate), signed(c.fill_rate - b.fill_rate, &points))}
                        {row("Simulated cost", money(b.total_cost), money(c.total_cost), signed(c.total_cost - b.total_cost, &|v| money(v)))}
                        {row("Money at risk", money(b.money_at_risk), money(c.money_at_risk), signed(c.money_at_risk - b.money_at_risk, &|v| money(v)))}
                        {row("SKUs at 50 %+ stockout risk", crate::format::int(b.at_risk as f64), crate::format::int(c.at_risk as f64), signed(c.at_risk as f64 - b.at_risk as f64, &|v| crate::format::int(v)))}
                    </tbody>
                </table>
            </div>
            {(!summary.skus.is_empty()).then(|| view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="SKUs that change most">
                    <table data-testid="whatif-skus">
                        <caption>{format!("The {} SKUs that change most", summary.skus.len())}</caption>
                        <thead><tr><th>"SKU"</th><th class="num">"Order today"</th><th class="num">"Reorder level"</th><th class="num">"Stockout risk"</th><th class="num">"Money at risk"</th></tr></thead>
                        <tbody>{summary.skus.iter().map(|s| view! {
                            <tr><td>{s.sku.clone()}</td>
                            <td class="num">{format!("{} → {}", units(s.order_qty.0), units(s.order_qty.1))}</td>
                            <td class="num">{format!("{} → {}", units(s.reorder_level.0), units(s.reorder_level.1))}</td>
                            <td class="num">{format!("{} → {}", pct(s.stockout_risk.0), pct(s.stockout_risk.1))}</td>
                            <td class="num">{format!("{} → {}", money(s.money_at_risk.0), money(s.money_at_risk.1))}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                </div>
            })}
        </div>
    }
}

/// What a supplier is sent, shown exactly before it is saved.
#[component]
pub fn SupplierPanel(
    /// The request the plan shown was made from.
    request: StoredValue<Option<PlanRequest>>,
    /// The plan shown.
    plan: Arc<Plan>,
) -> impl IntoView {
    let suppliers = request.with_value(|r| r.as_ref().map(supplier::suppliers).unwrap_or_default());
    let chosen = RwSignal::new(suppliers.first().cloned().unwrap_or_default());
    let p2 = plan.clone();
    let share = Memo::new(move |_| {
        let name = chosen.get();
        request.with_value(|r| {
            r.as_ref()
                .map(|r| supplier::share(r, &p2, &name, 12).map_err(|e| e.to_string()))
        })
    });
    view! {
        <section class="card" data-testid="supplier-share">
            <h2>"Share with a supplier"</h2>
            {if suppliers.is_empty() {
                view! { <p class="muted" data-testid="supplier-none">"Name each SKU's supplier (the supplier column of the parameters: download them, fill it in, import) to send a supplier its purchase order and 12 weeks of forecast — and nothing else."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">"A supplier gets its SKUs' purchase order and the next 12 weeks' forecast (P10/P50/P90 per week): no customers, no order lines, no selling prices, no other supplier's products. Below is the whole file."</p>
                    <label>"Supplier "
                        <select data-testid="supplier-select" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            {suppliers.iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    {move || match share.get() {
                        None => view! { <p class="muted">"Make a plan first."</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                        Some(Ok(s)) => {
                            let csv = s.to_csv();
                            let html = s.to_html();
                            let name = s.supplier.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
                            let (n1, n2) = (name.clone(), name);
                            let c2 = csv.clone();
                            view! {
                                <p data-testid="supplier-counts">{format!("{} order lines and {} SKU-{}s of forecast.", s.order.len(), s.forecast.len(), s.period)}</p>
                                <pre class="file-preview" tabindex="0" data-testid="supplier-preview" aria-label="The file as it will be saved">{csv}</pre>
                                <div class="buttons">
                                    <button data-testid="supplier-download" on:click=move |_| { let _ = download(&format!("supplier_{n1}.csv"), &c2); }>"Save this file (CSV)"</button>
                                    <button class="secondary" data-testid="supplier-print" on:click=move |_| { let _ = download_bytes(&format!("supplier_{n2}.html"), html.as_bytes()); }>"Save a printable page"</button>
                                </div>
                            }.into_any()
                        }
                    }}
                }.into_any()
            }}
        </section>
    }
}

/// Price elasticities and the margin-maximising prices, with what they do to the plan.
#[component]
pub fn PricesPanel(
    /// The elasticities of the last order export.
    prices: RwSignal<Arc<Vec<Elasticity>>>,
    /// The request the plan shown was made from.
    request: StoredValue<Option<PlanRequest>>,
    /// The what-if comparison the "plan at these prices" button fills.
    result: RwSignal<Option<Summary>>,
    /// Its job (not `slot`: the view macro keeps that name for slots).
    job: JobSlot,
) -> impl IntoView {
    let slot = job;
    let page = RwSignal::new(0usize);
    let choices = Memo::new(move |_| {
        let list = prices.get();
        request.with_value(|r| {
            let Some(r) = r else { return Vec::new() };
            r.params
                .iter()
                .filter_map(|p| {
                    let e = list.iter().find(|e| e.sku == p.sku)?;
                    let c = CostLine {
                        sku: p.sku.clone(),
                        unit_cost: p.unit_cost,
                        min_price: None,
                        max_price: None,
                    };
                    Some((e.clone(), pricing::recommend(e, &c)))
                })
                .collect::<Vec<_>>()
        })
    });
    let apply = move |_| {
        let w = WhatIf {
            prices: choices
                .get_untracked()
                .iter()
                .filter(|(_, c)| c.price != c.current_price)
                .map(|(_, c)| PriceChange {
                    sku: c.sku.clone(),
                    price: c.price,
                    demand_factor: c.demand_factor,
                })
                .collect(),
            ..Default::default()
        };
        start_what_if(request, w, result, slot);
    };
    view! {
        <section class="card" data-testid="prices">
            <h2>"Prices"</h2>
            {move || {
                let all = choices.get();
                if prices.with(|p| p.is_empty()) {
                    return view! { <p class="muted" data-testid="prices-none">"Price elasticities come from the prices in an order export (a price column per line): load one on the Data page. Series files have no prices."</p> }.into_any();
                }
                let n_est = all.iter().filter(|(e, _)| e.method != Method::NotEnough).count();
                let changed = all.iter().filter(|(_, c)| c.price != c.current_price).count();
                let gain: f64 = all.iter().map(|(_, c)| c.weekly_margin.1 - c.weekly_margin.0).sum();
                let rows = all.iter().skip(page.get() * 50).take(50).map(|(e, c)| {
                    let el = match (e.elasticity, e.lo, e.hi) {
                        (Some(x), Some(lo), Some(hi)) => format!("{} ({} to {})", crate::format::figure(x, 2), crate::format::figure(lo, 2), crate::format::figure(hi, 2)),
                        _ => "—".into(),
                    };
                    view! {
                        <tr>
                            <td>{e.sku.clone()}</td>
                            <td class="num">{el}</td>
                            <td>{e.method.label()}</td>
                            <td class="num">{money(c.current_price)}</td>
                            <td class="num">{money(c.price)}</td>
                            <td class="num">{format!("{} → {}", crate::format::units(c.weekly_units.0), crate::format::units(c.weekly_units.1))}</td>
                            <td class="num">{format!("{} → {}", money(c.weekly_revenue.0), money(c.weekly_revenue.1))}</td>
                            <td class="num">{format!("{} → {}", money(c.weekly_margin.0), money(c.weekly_margin.1))}</td>
                            <td>{c.reason.clone()}</td>
                        </tr>
                    }
                }).collect_view();
                let total = all.len();
                view! {
                    <p data-testid="prices-summary">{format!(
                        "{} of the plan's SKUs sold at a price in the order export; {} have enough price variation to estimate how demand answers a price (80 % intervals; pooled with similar-priced SKUs where their own data says little). At the unit costs of the parameters, {} would sell at another price, for {} more margin a week at the estimated elasticities. Prices stay within those each SKU has sold at.",
                        crate::format::int(total as f64), crate::format::int(n_est as f64), crate::format::int(changed as f64), money(gain)
                    )}</p>
                    <div class="buttons">
                        <button data-testid="prices-apply" disabled=move || changed == 0 || slot.progress.get().is_some() on:click=apply>"Plan at these prices (what-if)"</button>
                        <button class="secondary" data-testid="prices-download" on:click=move |_| {
                            let list: Vec<Elasticity> = prices.get_untracked().to_vec();
                            let _ = download("elasticities.csv", &pricing::elasticity::to_csv(&list));
                        }>"Download elasticities (CSV)"</button>
                    </div>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Prices per SKU">
                        <table data-testid="prices-table">
                            <thead><tr><th>"SKU"</th><th class="num">"Elasticity (80 %)"</th><th>"From"</th><th class="num">"Price now"</th><th class="num">"Best price"</th><th class="num">"Units a week"</th><th class="num">"Revenue a week"</th><th class="num">"Margin a week"</th><th>"Why"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <super::Pager total=total page=page size=50 what="SKUs" name="prices" />
                }.into_any()
            }}
        </section>
    }
}
