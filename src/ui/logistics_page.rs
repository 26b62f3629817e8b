//! The Logistics page: where each region's demand ships from (allocation), which
//! transfers put stock where it will be needed (rebalancing), and the order in which
//! a van visits the day's deliveries (routing). Inputs are CSV files (or the bundled
//! two-location example), kept in IndexedDB; the solvers run in the worker.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::data_page::fmt_int;
use super::forecast_page::{download, now_ms};
use super::jobs::{Job, JobEvent, JobSlot};
use super::plan_page::money;
use super::storage;
use crate::data::{Dataset, csv_field};
use crate::forecast::run::ForecastRun;
use crate::inventory::plan::Plan;
use crate::logistics::{
    self, Allocation, AllocationProblem, Outcome, Rebalance, RebalanceProblem, Request, Routes,
    RoutingProblem, fmt_units,
};
use crate::plot::{AllocationChart, RouteChart};

const KEY: &str = "logistics";
/// The stored inputs' format: bumped when [`Inputs`] changes shape.
const FORMAT: u8 = 2;
/// Tables show this many rows; the downloads have them all.
const ROWS: usize = 200;

/// One input file as the merchant gave it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct FileText {
    name: String,
    text: String,
}

/// Every input of the page, stored together.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Inputs {
    locations: Option<FileText>,
    stock: Option<FileText>,
    costs: Option<FileText>,
    regions: Option<FileText>,
    demand: Option<FileText>,
    lanes: Option<FileText>,
    deliveries: Option<FileText>,
    unmet_cost: f64,
    vehicles: usize,
    capacity: f64,
    seconds: f64,
    /// Region coordinates, for shipping costs by distance.
    region_coords: Option<FileText>,
    /// Shipping cost per unit and km (0: only the costs file's lanes).
    rate_per_distance: f64,
    /// Routes with as few vehicles as possible, then the least distance.
    fewest_vehicles: bool,
}

/// The inputs as format 1 stored them (before region coordinates, the distance rate
/// and the fewest-vehicles switch), read so that an upgrade keeps the merchant's files.
#[derive(Deserialize)]
struct InputsV1 {
    locations: Option<FileText>,
    stock: Option<FileText>,
    costs: Option<FileText>,
    regions: Option<FileText>,
    demand: Option<FileText>,
    lanes: Option<FileText>,
    deliveries: Option<FileText>,
    unmet_cost: f64,
    vehicles: usize,
    capacity: f64,
    seconds: f64,
}

impl From<InputsV1> for Inputs {
    fn from(v: InputsV1) -> Inputs {
        Inputs {
            locations: v.locations,
            stock: v.stock,
            costs: v.costs,
            regions: v.regions,
            demand: v.demand,
            lanes: v.lanes,
            deliveries: v.deliveries,
            unmet_cost: v.unmet_cost,
            vehicles: v.vehicles,
            capacity: v.capacity,
            seconds: v.seconds,
            ..Inputs::new()
        }
    }
}

impl Inputs {
    fn new() -> Inputs {
        Inputs {
            unmet_cost: 10.0,
            vehicles: 4,
            capacity: 80.0,
            seconds: 10.0,
            ..Default::default()
        }
    }

    fn example() -> Inputs {
        let f = |name: &str, text: &str| {
            Some(FileText {
                name: name.into(),
                text: text.into(),
            })
        };
        Inputs {
            locations: f(
                "example/locations.csv",
                include_str!("../../assets/logistics/locations.csv"),
            ),
            stock: f(
                "example/stock.csv",
                include_str!("../../assets/logistics/stock.csv"),
            ),
            costs: f(
                "example/costs.csv",
                include_str!("../../assets/logistics/costs.csv"),
            ),
            regions: f(
                "example/regions.csv",
                include_str!("../../assets/logistics/regions.csv"),
            ),
            demand: None,
            lanes: f(
                "example/lanes.csv",
                include_str!("../../assets/logistics/lanes.csv"),
            ),
            deliveries: f(
                "example/deliveries.csv",
                include_str!("../../assets/logistics/deliveries.csv"),
            ),
            // 335 units to deliver: five vans of 80.
            vehicles: 5,
            capacity: 80.0,
            ..Inputs::new()
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut b = vec![FORMAT];
        b.extend(postcard::to_allocvec(self).unwrap_or_default());
        b
    }

    fn from_bytes(b: &[u8]) -> Result<Inputs, String> {
        match b.split_first() {
            Some((&FORMAT, rest)) => postcard::from_bytes(rest)
                .map_err(|e| format!("the saved logistics inputs could not be read: {e}")),
            Some((1, rest)) => postcard::from_bytes::<InputsV1>(rest)
                .map(Inputs::from)
                .map_err(|e| format!("the saved logistics inputs could not be read: {e}")),
            Some((v, _)) => Err(format!(
                "the saved logistics inputs are format {v}, this app reads format {FORMAT}"
            )),
            None => Err("the saved logistics inputs are empty".into()),
        }
    }
}

/// Which input a file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Locations,
    Stock,
    Costs,
    Regions,
    Demand,
    Lanes,
    Deliveries,
    RegionCoords,
}

impl Slot {
    const ALL: [Slot; 8] = [
        Slot::Locations,
        Slot::Stock,
        Slot::Costs,
        Slot::RegionCoords,
        Slot::Regions,
        Slot::Demand,
        Slot::Lanes,
        Slot::Deliveries,
    ];

    fn label(self) -> &'static str {
        match self {
            Slot::Locations => "Locations",
            Slot::Stock => "Stock",
            Slot::Costs => "Shipping costs",
            Slot::Regions => "Region shares",
            Slot::Demand => "Demand (instead of forecasts)",
            Slot::Lanes => "Transfer lanes",
            Slot::Deliveries => "Deliveries",
            Slot::RegionCoords => "Region coordinates (costs by distance)",
        }
    }

    fn columns(self) -> &'static str {
        match self {
            Slot::Locations => "location,capacity_units[,lat,lon or x,y]",
            Slot::Stock => "location,sku,on_hand",
            Slot::Costs => "location,region,cost_per_unit",
            Slot::Regions => "region,share[,sku]; or an order export with a Country/ship-to column",
            Slot::Demand => "region,sku,demand",
            Slot::Lanes => "from,to,cost_per_unit,capacity_units",
            Slot::Deliveries => "id,lat,lon or x,y,demand[,ready,due,service]; or CVRPLIB/Solomon",
            Slot::RegionCoords => "region,lat,lon or x,y",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Slot::Locations => "locations",
            Slot::Stock => "stock",
            Slot::Costs => "costs",
            Slot::Regions => "regions",
            Slot::Demand => "demand",
            Slot::Lanes => "lanes",
            Slot::Deliveries => "deliveries",
            Slot::RegionCoords => "region-coords",
        }
    }

    fn get(self, i: &Inputs) -> &Option<FileText> {
        match self {
            Slot::Locations => &i.locations,
            Slot::Stock => &i.stock,
            Slot::Costs => &i.costs,
            Slot::Regions => &i.regions,
            Slot::Demand => &i.demand,
            Slot::Lanes => &i.lanes,
            Slot::Deliveries => &i.deliveries,
            Slot::RegionCoords => &i.region_coords,
        }
    }

    fn set(self, i: &mut Inputs, f: Option<FileText>) {
        match self {
            Slot::Locations => i.locations = f,
            Slot::Stock => i.stock = f,
            Slot::Costs => i.costs = f,
            Slot::Regions => i.regions = f,
            Slot::Demand => i.demand = f,
            Slot::Lanes => i.lanes = f,
            Slot::Deliveries => i.deliveries = f,
            Slot::RegionCoords => i.region_coords = f,
        }
    }
}

/// Where the demand to allocate comes from, in words, with the totals per SKU.
fn demand_totals(
    forecast: &Option<(Arc<ForecastRun>, Arc<Dataset>)>,
    dataset: &Option<Arc<Dataset>>,
) -> Option<(String, BTreeMap<String, f64>)> {
    if let Some((run, _)) = forecast {
        let mut totals = BTreeMap::new();
        for s in &run.skus {
            if let Ok(c) = &s.result {
                totals.insert(s.sku.clone(), c.forecast.quantiles[1].iter().sum::<f64>());
            }
        }
        return Some((
            format!(
                "the forecast median over the next {} periods",
                run.dates.len()
            ),
            totals,
        ));
    }
    let ds = dataset.as_ref()?;
    let n = ds.periods.len();
    let last = 28.min(n);
    let mut totals = BTreeMap::new();
    for s in &ds.series {
        let from = (n - last).saturating_sub(s.start);
        totals.insert(s.sku.clone(), s.values.iter().skip(from).sum::<f64>());
    }
    Some((
        format!("the last {last} periods of sales (forecast on the Forecast page to plan ahead)"),
        totals,
    ))
}

fn file(f: &Option<FileText>, slot: Slot) -> Result<(&str, &str), String> {
    f.as_ref()
        .map(|f| (f.name.as_str(), f.text.as_str()))
        .ok_or_else(|| {
            format!(
                "{} ({}) is needed: load a file or the example.",
                slot.label(),
                slot.columns()
            )
        })
}

/// The allocation problem from the inputs, with where its demand came from.
fn allocation_problem(
    i: &Inputs,
    forecast: &Option<(Arc<ForecastRun>, Arc<Dataset>)>,
    dataset: &Option<Arc<Dataset>>,
) -> Result<(AllocationProblem, String), String> {
    let locations = file(&i.locations, Slot::Locations)?;
    let stock = file(&i.stock, Slot::Stock)?;
    let by_distance = i.rate_per_distance > 0.0 && i.region_coords.is_some();
    let costs = match file(&i.costs, Slot::Costs) {
        Err(_) if by_distance => ("(no costs file)", "location,region,cost_per_unit\n"),
        other => other.map_err(|e| {
            format!("{e} Or load region coordinates and set a cost per unit and km.")
        })?,
    };
    let (demand, source) = match (&i.demand, &i.regions) {
        (Some(d), _) => (
            logistics::allocate::read_demand(&d.name, &d.text).map_err(|e| e.to_string())?,
            format!("the demand file {}", d.name),
        ),
        (None, Some(r)) => {
            let (source, totals) = demand_totals(forecast, dataset).ok_or(
                "Load sales data (Data page) or a demand file: there is no demand to allocate.",
            )?;
            (
                logistics::allocate::split_by_region(&totals, (&r.name, &r.text))
                    .map_err(|e| e.to_string())?,
                format!("{source}, split by {}", r.name),
            )
        }
        (None, None) => {
            return Err(
                "Region shares (region,share) or a demand file (region,sku,demand) are needed."
                    .into(),
            );
        }
    };
    let mut p = AllocationProblem::from_csv_with_demand(locations, stock, demand, costs)
        .map_err(|e| e.to_string())?;
    p.unmet_cost = Some(i.unmet_cost);
    if by_distance && let Some(r) = &i.region_coords {
        let regions =
            logistics::allocate::read_region_coords(&r.name, &r.text).map_err(|e| e.to_string())?;
        p.add_distance_costs(&regions, i.rate_per_distance)
            .map_err(|e| e.to_string())?;
    }
    Ok((p, source))
}

/// A region shares file as given, or the shares of an order export with a region column
/// (`region,sku,share`, net of cancellations; see [`logistics::regions`]).
fn region_shares_input(f: FileText) -> Result<FileText, String> {
    let has_share = logistics::Table::parse(&f.name, &f.text, &[])
        .map_err(|e| e.to_string())?
        .has("share");
    if has_share {
        return Ok(f);
    }
    let rows = logistics::regions::shares_from_orders(&f.name, &f.text, None)
        .map_err(|e| format!("{e}\n(A region shares file needs the columns region,share[,sku]; an order export needs a SKU, a quantity and a region column such as Country.)"))?;
    let mut text = String::from("region,sku,share\n");
    for (r, k, v) in &rows {
        text.push_str(&format!("{},{},{v}\n", csv_field(r), csv_field(k)));
    }
    Ok(FileText {
        name: format!("{} (region shares)", f.name),
        text,
    })
}

fn routing_problem(i: &Inputs) -> Result<RoutingProblem, String> {
    let (name, text) = file(&i.deliveries, Slot::Deliveries)?;
    let mut p = RoutingProblem::parse(name, text, Some(i.vehicles), Some(i.capacity), None)
        .map_err(|e| e.to_string())?;
    p.fewest_vehicles = i.fewest_vehicles;
    Ok(p)
}

/// Whole units with thousands separators.
fn units(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() >= 1000.0 {
        fmt_int(v)
    } else {
        fmt_units(v)
    }
}

fn clock(minutes: f64) -> String {
    if !minutes.is_finite() || minutes < 0.0 {
        return "—".into();
    }
    let m = minutes.round() as i64;
    format!("{:02}:{:02}", (m / 60) % 24, m % 60)
}

/// The Logistics page.
#[component]
pub fn LogisticsPage(
    /// The loaded dataset.
    dataset: RwSignal<Option<Arc<Dataset>>>,
    /// The latest forecasts and the dataset they were made from.
    forecast: RwSignal<Option<(Arc<ForecastRun>, Arc<Dataset>)>>,
    /// The latest plan, whose purchase orders can be split across the locations.
    plan: RwSignal<Option<Arc<Plan>>>,
) -> impl IntoView {
    let inputs = RwSignal::new(Inputs::new());
    let split_orders = RwSignal::new(true);
    let allocation = RwSignal::new(None::<(Arc<Allocation>, String)>);
    let rebalance = RwSignal::new(None::<Arc<Rebalance>>);
    let routes = RwSignal::new(None::<(Arc<RoutingProblem>, Arc<Routes>)>);
    let slot = JobSlot::new();
    let (progress, message) = (slot.progress, slot.message);
    let running = RwSignal::new(None::<&'static str>);

    // The inputs survive reloads (IndexedDB, versioned).
    leptos::task::spawn_local(async move {
        match storage::load_key(KEY).await {
            Ok(Some(b)) => match Inputs::from_bytes(&b) {
                Ok(i) => inputs.set(i),
                Err(e) => message.set(Some(format!("{e}; load the files again."))),
            },
            Ok(None) => {}
            Err(e) => message.set(Some(format!("the saved inputs could not be read: {e:?}"))),
        }
    });
    let save = move || {
        let bytes = inputs.get_untracked().to_bytes();
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::save_key(KEY, &bytes).await {
                message.set(Some(format!(
                    "the inputs could not be saved in this browser: {e:?}"
                )));
            }
        });
    };

    // A new file replaces the old one only if it reads: a bad file changes nothing.
    let accept = move |slot_: Slot, f: FileText| {
        // An order export in the region shares slot is turned into shares at once, so
        // that only the shares (not the whole export) are kept.
        let f = match slot_ {
            Slot::Regions => match region_shares_input(f) {
                Ok(f) => f,
                Err(e) => {
                    message.set(Some(format!(
                        "{e}\nThe previous region shares file is kept."
                    )));
                    return;
                }
            },
            _ => f,
        };
        let mut next = inputs.get_untracked();
        slot_.set(&mut next, Some(f));
        let check = match slot_ {
            Slot::Deliveries => routing_problem(&next).map(|_| ()),
            Slot::Lanes => logistics::rebalance::read_lanes(
                &next
                    .lanes
                    .as_ref()
                    .map(|f| f.name.clone())
                    .unwrap_or_default(),
                &next
                    .lanes
                    .as_ref()
                    .map(|f| f.text.clone())
                    .unwrap_or_default(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string()),
            _ if next.locations.is_some()
                && next.stock.is_some()
                && (next.costs.is_some() || next.region_coords.is_some()) =>
            {
                allocation_problem(&next, &forecast.get_untracked(), &dataset.get_untracked())
                    .map(|_| ())
                    .or_else(|e| {
                        if e.contains("needed") || e.contains("no demand") {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
            }
            _ => Ok(()),
        };
        match check {
            Ok(()) => {
                message.set(None);
                inputs.set(next);
                save();
            }
            Err(e) => message.set(Some(format!(
                "{e}\nThe previous {} file is kept.",
                slot_.label().to_lowercase()
            ))),
        }
    };

    let start = move |what: &'static str| {
        let i = inputs.get_untracked();
        let req = match what {
            "allocate" => {
                allocation_problem(&i, &forecast.get_untracked(), &dataset.get_untracked()).map(
                    |(mut p, source)| {
                        // Today's purchase orders from the Plan page arrive to be split.
                        if split_orders.get_untracked()
                            && let Some(plan) = plan.get_untracked()
                        {
                            p.orders = plan
                                .skus
                                .iter()
                                .filter(|s| s.order_qty > 0.0)
                                .map(|s| (s.sku.clone(), s.order_qty))
                                .collect();
                        }
                        (Request::Allocate(p), source)
                    },
                )
            }
            "rebalance" => {
                allocation_problem(&i, &forecast.get_untracked(), &dataset.get_untracked())
                    .and_then(|(p, _)| {
                        let (name, text) = file(&i.lanes, Slot::Lanes)?;
                        let lanes = logistics::rebalance::read_lanes(name, text)
                            .map_err(|e| e.to_string())?;
                        Ok((
                            Request::Rebalance(RebalanceProblem::from_allocation_with_risk(
                                &p,
                                lanes,
                                i.unmet_cost,
                            )),
                            String::new(),
                        ))
                    })
            }
            _ => routing_problem(&i).map(|p| {
                (
                    Request::Route {
                        problem: p,
                        seconds: i.seconds,
                    },
                    String::new(),
                )
            }),
        };
        let (req, source) = match req {
            Ok(r) => r,
            Err(e) => {
                message.set(Some(e));
                return;
            }
        };
        let problem = match &req {
            Request::Route { problem, .. } => Some(Arc::new(problem.clone())),
            _ => None,
        };
        slot.begin(now_ms());
        running.set(Some(what));
        let show = move |o: Outcome| match o {
            Outcome::Allocation(a) => allocation.set(Some((Arc::new(a), source.clone()))),
            Outcome::Rebalance(r) => rebalance.set(Some(Arc::new(r))),
            Outcome::Routes(r) => {
                if let Some(p) = &problem {
                    routes.set(Some((p.clone(), Arc::new(r))));
                }
            }
        };
        let started = Job::logistics(&req, move |ev| match ev {
            JobEvent::Progress(f) => slot.advance(f),
            JobEvent::Partial(o) => {
                if let Ok(o) = *o {
                    show(o);
                }
            }
            JobEvent::Done(o, _) => {
                running.set(None);
                match *o {
                    Ok(o) => {
                        show(o);
                        slot.end(None);
                    }
                    // The previous result stays on screen.
                    Err(e) => slot.end(Some(e)),
                }
            }
            JobEvent::Failed(e) => {
                running.set(None);
                slot.end(Some(e.to_string()));
            }
            JobEvent::Crashed(m) => {
                running.set(None);
                slot.end(Some(m));
            }
        });
        slot.hold(started);
    };
    let cancel = move |_| {
        let what = running.get_untracked();
        running.set(None);
        slot.end(Some(match what {
            Some("route") => "Stopped: the best routes found so far are shown.".into(),
            _ => "Stopped; the previous result is kept.".into(),
        }));
    };

    let picker = move |s: Slot| {
        let on_change = move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let Some(f) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(f.text()).await {
                    Ok(t) => accept(
                        s,
                        FileText {
                            name: f.name(),
                            text: t.as_string().unwrap_or_default(),
                        },
                    ),
                    Err(e) => message.set(Some(format!("cannot read {}: {e:?}", f.name()))),
                }
            });
        };
        let id = format!("logistics-file-{}", s.key());
        view! {
            <tr>
                <td><label for=id.clone()>{s.label()}</label></td>
                <td class="muted"><code>{s.columns()}</code></td>
                <td data-testid=format!("logistics-loaded-{}", s.key())>
                    {move || inputs.with(|i| s.get(i).as_ref().map(|f| format!("{} ({} lines)", f.name, f.text.lines().count())).unwrap_or_else(|| "—".into()))}
                </td>
                <td><input type="file" accept=".csv,.txt,.vrp" id=id data-testid=format!("logistics-input-{}", s.key()) on:change=on_change /></td>
            </tr>
        }
    };
    let number = move |label: &'static str,
                       testid: &'static str,
                       get: fn(&Inputs) -> f64,
                       set: fn(&mut Inputs, f64),
                       min: f64| {
        view! {
            <label>{label} " "
                <input type="number" step="any" min=min.to_string() data-testid=testid
                    prop:value=move || inputs.with(|i| format!("{}", get(i)))
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>()
                            && v.is_finite() && v >= min {
                            inputs.update(|i| set(i, v));
                            save();
                        }
                    } />
            </label>
        }
    };

    view! {
        <section class="card" data-testid="logistics-page">
            <h2>"Logistics"</h2>
            <p class="summary-line" data-testid="logistics-next">{move || {
                let i = inputs.get();
                if i.locations.is_none() || i.stock.is_none() || (i.costs.is_none() && i.region_coords.is_none()) {
                    "Next: load your locations, stock and shipping costs (or the two-warehouse example), then allocate demand to them.".to_string()
                } else if allocation.with(|a| a.is_none()) {
                    "Next: allocate each region's demand to the locations that serve it at least cost.".to_string()
                } else {
                    "Allocated. Rebalance stock between locations, or plan the day's delivery routes below.".to_string()
                }
            }}</p>
            <div class="settings">
                <button data-testid="logistics-example" on:click=move |_| {
                    inputs.set(Inputs::example());
                    message.set(None);
                    save();
                }>"Load the two-warehouse example"</button>
                <button data-testid="logistics-clear" on:click=move |_| {
                    inputs.set(Inputs::new());
                    save();
                }>"Clear the inputs"</button>
            </div>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Input files"><table class="inputs" data-testid="logistics-inputs">
                <thead><tr><th>"Input"</th><th>"Columns"</th><th>"Loaded"</th><th>"File"</th></tr></thead>
                <tbody>{Slot::ALL.into_iter().map(picker).collect_view()}</tbody>
            </table></div>
            <p class="muted">"Demand to allocate: a demand file if one is loaded; otherwise the forecasts (or, before forecasting, recent sales) split by the region shares. Extra columns are ignored; a file with a problem is rejected with its line and column, and the previous one is kept."</p>
            <div class="settings">
                {number("Cost of a unit left unmet", "logistics-unmet-cost", |i| i.unmet_cost, |i, v| i.unmet_cost = v, 0.0)}
                <span title="Lanes the shipping costs file does not list are priced at this rate times the straight-line distance (km on lat/lon) between the location and the region's coordinates; 0 uses the costs file only">
                    {number("Shipping cost per unit and km", "logistics-rate", |i| i.rate_per_distance, |i, v| i.rate_per_distance = v, 0.0)}
                </span>
                <label title="The Plan page's purchase list: where each order should be received so that it serves the regions at least cost">
                    <input type="checkbox" data-testid="logistics-split-orders" prop:checked=move || split_orders.get()
                        on:change=move |ev| split_orders.set(event_target_checked(&ev)) />
                    {move || match plan.get() {
                        Some(p) => format!(" Split today's {} purchase orders from the Plan page across the locations", p.skus.iter().filter(|s| s.order_qty > 0.0).count()),
                        None => " Split today's purchase orders (make a plan on the Plan page first)".to_string(),
                    }}
                </label>
                <button data-testid="logistics-allocate" disabled=move || progress.get().is_some() on:click=move |_| start("allocate")>"Allocate"</button>
                <button data-testid="logistics-rebalance" disabled=move || progress.get().is_some() on:click=move |_| start("rebalance")>"Rebalance stock"</button>
            </div>
            <div class="settings">
                {number("Vehicles", "logistics-vehicles", |i| i.vehicles as f64, |i, v| i.vehicles = v.round().max(1.0) as usize, 1.0)}
                {number("Capacity per vehicle (units)", "logistics-capacity", |i| i.capacity, |i, v| i.capacity = v, 1.0)}
                {number("Search time (s)", "logistics-seconds", |i| i.seconds, |i, v| i.seconds = v.clamp(1.0, 600.0), 1.0)}
                <label title="Use as few vehicles as possible, then the least distance (otherwise the least distance, which may use more vehicles)">
                    <input type="checkbox" data-testid="logistics-fewest-vehicles" prop:checked=move || inputs.with(|i| i.fewest_vehicles)
                        on:change=move |ev| { let v = event_target_checked(&ev); inputs.update(|i| i.fewest_vehicles = v); save(); } />
                    " Fewest vehicles first"
                </label>
                <button data-testid="logistics-route" disabled=move || progress.get().is_some() on:click=move |_| start("route")>"Plan routes"</button>
            </div>
            {move || progress.get().map(|(f, _)| view! {
                <div class="progress" data-testid="logistics-progress">
                    <progress max="1" value=f.to_string() aria-label="search progress"></progress>
                    " " {format!("{:.0} %", f * 100.0)} " "
                    <button data-testid="logistics-cancel" on:click=cancel>"Cancel"</button>
                </div>
            })}
            {move || message.get().map(|m| view! { <pre class="error" role="alert" data-testid="logistics-message">{m}</pre> })}
        </section>
        {move || allocation.get().map(|(a, source)| view! { <AllocationView a=a source=source /> })}
        {move || rebalance.get().map(|r| view! { <RebalanceView r=r /> })}
        {move || routes.get().map(|(p, r)| view! { <RoutesView p=p r=r /> })}
    }
}

#[component]
fn AllocationView(a: Arc<Allocation>, source: String) -> impl IntoView {
    let served: f64 = a.flows.iter().map(|f| f.units).sum();
    let canvas = NodeRef::<Canvas>::new();
    let a2 = a.clone();
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        if let Some(el) = canvas.get()
            && let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el)
        {
            let _ = AllocationChart::new(
                "Units shipped from each location, by region (line: capacity)",
                &a2,
            )
            .draw(&b.into_drawing_area());
        }
    });
    // Per location and region, largest first; per SKU in the download.
    let mut by_lane: BTreeMap<(String, String), f64> = BTreeMap::new();
    for f in &a.flows {
        *by_lane
            .entry((f.location.clone(), f.region.clone()))
            .or_default() += f.units;
    }
    let mut lanes: Vec<_> = by_lane.into_iter().collect();
    lanes.sort_by(|x, y| y.1.total_cmp(&x.1));
    let mut unmet_by_sku: BTreeMap<String, f64> = BTreeMap::new();
    for (_, k, u) in &a.unmet {
        *unmet_by_sku.entry(k.clone()).or_default() += u;
    }
    let mut unmet: Vec<_> = unmet_by_sku.into_iter().collect();
    unmet.sort_by(|x, y| y.1.total_cmp(&x.1));
    let total_unmet = unmet.len();
    let a3 = a.clone();
    let alt = format!(
        "Bar chart: {}",
        a.capacity
            .iter()
            .map(|c| format!(
                "{} ships {} of {}",
                c.location,
                units(c.shipped),
                c.capacity.map_or("no limit".into(), units)
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    view! {
        <section class="card" data-testid="allocation-result">
            <h3>"Allocation"</h3>
            <p data-testid="allocation-summary">{if a.unmet_units > 0.0 {
                format!(
                    "Total cost {}: shipping {} plus {} units left unmet at {} each ({}). {} units shipped. Demand: {}.",
                    money(a.cost), money(a.breakdown.shipping), units(a.unmet_units),
                    money(a.breakdown.unmet_penalty / a.unmet_units),
                    money(a.breakdown.unmet_penalty), units(served), source
                )
            } else {
                format!(
                    "Total cost {}: shipping only, all demand met. {} units shipped. Demand: {}.",
                    money(a.cost), units(served), source
                )
            }}</p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Capacity of each location"><table data-testid="allocation-capacity">
                <thead><tr><th>"Location"</th><th>"Ships"</th><th>"Capacity"</th><th title="What one more unit of shipping capacity at this location would save, from re-solving the plan with it">"One more unit of capacity saves"</th></tr></thead>
                <tbody>{a.capacity.iter().map(|c| view! {
                    <tr>
                        <td>{c.location.clone()}</td>
                        <td class="num">{units(c.shipped)}</td>
                        <td class="num">{c.capacity.map_or("no limit".into(), units)}</td>
                        <td class="num">{if c.value_of_one_more_unit > 0.0 { money(c.value_of_one_more_unit) } else { "nothing (not full)".into() }}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
            <canvas node_ref=canvas width="900" height="300" data-testid="allocation-chart" role="img" aria-label=alt></canvas>
            {(!a.receipts.is_empty()).then(|| {
                let total: f64 = a.receipts.iter().map(|r| r.units).sum();
                let mut by_loc: BTreeMap<String, f64> = BTreeMap::new();
                for r in &a.receipts {
                    *by_loc.entry(r.location.clone()).or_default() += r.units;
                }
                let a4 = a.clone();
                view! {
                    <h4>"Where to receive today's purchase orders"</h4>
                    <p data-testid="allocation-receipts-summary">{format!(
                        "{} units on order: {}. Whole units by largest remainder from the LP's split, then shipped optimally (LP bound {}, cost {}).",
                        units(total),
                        by_loc.iter().map(|(l, u)| format!("{} to {l}", units(*u))).collect::<Vec<_>>().join(", "),
                        a.lp_bound.map_or("—".into(), money), money(a.cost)
                    )}</p>
                    <button data-testid="download-receipts" on:click=move |_| {
                        let mut csv = String::from("location,sku,units\n");
                        for r in &a4.receipts {
                            csv.push_str(&format!("{},{},{}\n", csv_field(&r.location), csv_field(&r.sku), fmt_units(r.units)));
                        }
                        let _ = download("receipts.csv", &csv);
                    }>"Download the receiving split (CSV)"</button>
                }
            })}
            <h4>"Shipments by location and region"</h4>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Units per location and region"><table data-testid="allocation-lanes">
                <thead><tr><th>"From"</th><th>"To region"</th><th>"Units"</th></tr></thead>
                <tbody>{lanes.into_iter().map(|((l, r), u)| view! {
                    <tr><td>{l}</td><td>{r}</td><td class="num">{units(u)}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
            {(total_unmet > 0).then(|| view! {
                <h4>{format!("Short: {} SKUs cannot be fully served{}", total_unmet, if total_unmet > ROWS { format!(" (the {ROWS} shortest are shown; the download has all)") } else { String::new() })}</h4>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Unmet demand per SKU"><table data-testid="allocation-unmet">
                    <thead><tr><th>"SKU"</th><th>"Units unmet"</th></tr></thead>
                    <tbody>{unmet.into_iter().take(ROWS).map(|(k, u)| view! { <tr><td>{k}</td><td class="num">{units(u)}</td></tr> }).collect_view()}</tbody>
                </table></div>
            })}
            <button data-testid="download-allocation" on:click=move |_| {
                let mut csv = String::from("location,region,sku,units\n");
                for f in &a3.flows {
                    csv.push_str(&format!("{},{},{},{}\n", csv_field(&f.location), csv_field(&f.region), csv_field(&f.sku), fmt_units(f.units)));
                }
                for (r, k, u) in &a3.unmet {
                    csv.push_str(&format!("(unmet),{},{},{}\n", csv_field(r), csv_field(k), fmt_units(*u)));
                }
                let _ = download("allocation.csv", &csv);
            }>"Download the shipments (CSV)"</button>
        </section>
    }
}

#[component]
fn RebalanceView(r: Arc<Rebalance>) -> impl IntoView {
    let short: f64 = r.shortfall.iter().map(|s| s.2).sum();
    let moved: f64 = r.transfers.iter().map(|t| t.units).sum();
    let (before, after) = r.expected_short();
    let mut transfers = r.transfers.clone();
    transfers.sort_by(|a, b| b.units.total_cmp(&a.units));
    let n = transfers.len();
    // Where the transfers lower the expected stockouts most, first.
    let mut risk: Vec<_> = r
        .risk
        .iter()
        .filter(|x| (x.before - x.after).abs() > 0.005)
        .cloned()
        .collect();
    risk.sort_by(|a, b| (b.before - b.after).total_cmp(&(a.before - a.after)));
    let n_risk = risk.len();
    let r2 = r.clone();
    let summary = if r.risk.is_empty() {
        format!(
            "{} transfers move {} units for {}, so that each location holds the demand of the regions it serves most cheaply. {}",
            n,
            units(moved),
            money(r.cost),
            if short > 0.0 {
                format!(
                    "{} units stay below target where stock or lane capacity does not allow more.",
                    units(short)
                )
            } else {
                "Every location reaches its target.".into()
            }
        )
    } else if n == 0 {
        format!(
            "No transfer pays for itself: expected units short over the period stay at {}, and moving stock would cost more than the stockouts it saves.",
            crate::format::units(before)
        )
    } else {
        format!(
            "{} transfers move {} units for {}. Each location faces the demand of the regions it serves most cheaply; the expected units short over the period fall from {} to {} (at the unmet cost, {} → {}), a net saving of {}. Stock moves only where the stockouts it prevents are worth more than the lane's cost.",
            n,
            units(moved),
            money(r.cost),
            crate::format::units(before),
            crate::format::units(after),
            money(before * r.stockout_per_unit()),
            money(after * r.stockout_per_unit()),
            money((before - after) * r.stockout_per_unit() - r.cost)
        )
    };
    view! {
        <section class="card" data-testid="rebalance-result">
            <h3>"Rebalancing"</h3>
            <p data-testid="rebalance-summary">{summary}</p>
            {(n > ROWS).then(|| view! { <p class="muted">{format!("The {ROWS} largest of {n} transfers are shown; the download has all.")}</p> })}
            <div class="table-scroll" tabindex="0" role="region" aria-label="Transfers"><table data-testid="rebalance-transfers">
                <caption>"Transfers, largest first"</caption>
                <thead><tr><th>"From"</th><th>"To"</th><th>"SKU"</th><th>"Units"</th></tr></thead>
                <tbody>{transfers.into_iter().take(ROWS).map(|t| view! {
                    <tr><td>{t.from}</td><td>{t.to}</td><td>{t.sku}</td><td class="num">{units(t.units)}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
            {(n_risk > 0).then(|| view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Expected units short"><table data-testid="rebalance-risk">
                    <caption>{format!("Expected units short over the period, where the transfers change it{}", if n_risk > ROWS { format!(" (the {ROWS} largest changes of {n_risk})") } else { String::new() })}</caption>
                    <thead><tr><th>"Location"</th><th>"SKU"</th><th>"Before"</th><th>"After"</th></tr></thead>
                    <tbody>{risk.into_iter().take(ROWS).map(|x| view! {
                        <tr><td>{x.location}</td><td>{x.sku}</td><td class="num">{crate::format::units(x.before)}</td><td class="num">{crate::format::units(x.after)}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
            <button data-testid="download-transfers" on:click=move |_| {
                let mut csv = String::from("from,to,sku,units\n");
                for t in &r2.transfers {
                    csv.push_str(&format!("{},{},{},{}\n", csv_field(&t.from), csv_field(&t.to), csv_field(&t.sku), fmt_units(t.units)));
                }
                let _ = download("transfers.csv", &csv);
            }>"Download the transfers (CSV)"</button>
        </section>
    }
}

#[component]
fn RoutesView(p: Arc<RoutingProblem>, r: Arc<Routes>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let (p2, r2) = (p.clone(), r.clone());
    let drawn = RwSignal::new(false);
    Effect::new(move |_| {
        use plotters::prelude::IntoDrawingArea;
        if let Some(el) = canvas.get()
            && let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(el)
        {
            let ok = RouteChart::new("Routes (straight lines between stops)", &p2, &r2)
                .draw(&b.into_drawing_area())
                .is_ok();
            drawn.set(ok);
        }
    });
    let unit = if matches!(p.depot, logistics::Coord::LatLon { .. }) {
        "km"
    } else {
        ""
    };
    let (p3, r3) = (p.clone(), r.clone());
    let alt = format!(
        "Map of {} routes from the depot; the table below lists every stop in order.",
        r.routes.len()
    );
    view! {
        <section class="card" data-testid="routes-result">
            <h3>"Delivery routes"</h3>
            <p data-testid="routes-summary">{format!(
                "{} vehicles drive {:.1} {unit} in all to serve {} of {} deliveries (searched {:.1} s).",
                r.vehicles, r.cost, r.routes.iter().map(|x| x.stops.len()).sum::<usize>(), p.deliveries.len(), r.seconds
            )}</p>
            <p class="muted">"Distances are straight lines (great-circle on latitude/longitude, at the set speed for times): road distances are not available offline, so allow for detours."</p>
            <canvas node_ref=canvas width="900" height="420" data-testid="routes-chart" data-drawn=move || drawn.get().to_string() role="img" aria-label=alt></canvas>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Routes"><table data-testid="routes-table">
                <thead><tr><th>"Vehicle"</th><th>"Stops in order (arrival)"</th><th>"Load"</th><th>"Distance"</th><th>"Back"</th></tr></thead>
                <tbody>{r.routes.iter().enumerate().map(|(v, route)| view! {
                    <tr>
                        <td>{v + 1}</td>
                        <td class="wrap">{route.stops.iter().zip(&route.arrivals).map(|(&s, &t)| format!("{} ({})", p.deliveries[s].id, clock(t))).collect::<Vec<_>>().join(" → ")}</td>
                        <td class="num">{units(route.load)}</td>
                        <td class="num">{format!("{:.1}", route.distance)}</td>
                        <td class="num">{clock(route.end)}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
            {(!r.unserved.is_empty()).then(|| view! {
                <h4>"Not served"</h4>
                <ul data-testid="routes-unserved">{r.unserved.iter().map(|(i, why)| view! { <li>{format!("{}: {why}", p.deliveries[*i].id)}</li> }).collect_view()}</ul>
            })}
            <button data-testid="download-routes" on:click=move |_| {
                let mut csv = String::from("vehicle,stop,id,arrival,load_after\n");
                for (v, route) in r3.routes.iter().enumerate() {
                    let mut load = route.load;
                    for (k, (&s, &t)) in route.stops.iter().zip(&route.arrivals).enumerate() {
                        load -= p3.deliveries[s].demand;
                        csv.push_str(&format!("{},{},{},{},{}\n", v + 1, k + 1, csv_field(&p3.deliveries[s].id), clock(t), fmt_units(load)));
                    }
                }
                let _ = download("routes.csv", &csv);
            }>"Download the stop order (CSV)"</button>
        </section>
    }
}
