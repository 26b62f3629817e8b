//! `supplycast allocate`, `supplycast rebalance` and `supplycast route`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use supplycast::data::csv_field;
use supplycast::logistics::{self, AllocationProblem, RebalanceProblem, fmt_units};

fn read(path: &Path) -> Result<(String, String)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path.display().to_string(), text))
}

/// Which location serves which region's demand.
#[derive(Args)]
pub(crate) struct AllocateArgs {
    /// `location,capacity_units` (units it can ship in the period; empty = no limit),
    /// optional `lat,lon` or `x,y`.
    #[arg(long)]
    locations: PathBuf,
    /// `location,sku,on_hand`, or the shop's Shopify inventory export (per location).
    #[arg(long)]
    stock: PathBuf,
    /// `region,sku,demand`; or, with --region-split, a forecast file
    /// (`sku,date,...,p50`, as `supplycast forecast` writes it).
    #[arg(long)]
    demand: PathBuf,
    /// `region,share` (optionally per `sku`): splits a forecast file given as --demand.
    #[arg(long)]
    region_split: Option<PathBuf>,
    /// `location,region,cost_per_unit`; a pair not listed is not a lane (unless
    /// --rate-per-distance gives it a cost).
    #[arg(long)]
    costs: Option<PathBuf>,
    /// `region,lat,lon` or `region,x,y`: with --rate-per-distance, every location → region
    /// pair without a listed cost costs the rate × the distance (km on lat/lon).
    #[arg(long)]
    region_coords: Option<PathBuf>,
    /// Shipping cost per unit and per km (lat/lon) or per unit of distance (x/y).
    #[arg(long, requires = "region_coords")]
    rate_per_distance: Option<f64>,
    /// Cost of each unit of demand left unmet; without it all demand must be met.
    #[arg(long)]
    unmet_cost: Option<f64>,
    /// Purchase orders arriving (`sku,units`) to split across the locations.
    #[arg(long)]
    orders: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn allocate(a: AllocateArgs) -> Result<()> {
    anyhow::ensure!(
        a.costs.is_some() || a.rate_per_distance.is_some(),
        "give --costs, or --region-coords with --rate-per-distance"
    );
    let c = match &a.costs {
        Some(p) => read(p)?,
        None => (
            "(no costs file)".to_string(),
            "location,region,cost_per_unit\n".to_string(),
        ),
    };
    let (l, mut s) = (read(&a.locations)?, read(&a.stock)?);
    // The shop's own inventory export (Shopify's, per location) serves as the stock
    // file without converting it by hand; its bad lines are named as in the export.
    use supplycast::inventory::stock::{self, StockFormat};
    if stock::format_of(s.1.as_bytes()) == Some(StockFormat::ShopifyInventory) {
        let f = stock::read(&s.0, s.1.as_bytes())?;
        if let Some(csv) = stock::location_csv(&f) {
            eprintln!(
                "stock: {} ({} SKU × location rows)",
                f.format.name(),
                csv.lines().count() - 1
            );
            s.1 = csv;
        }
    }
    let d = read(&a.demand)?;
    // The demand file's own columns are checked by from_csv; a forecast file is
    // converted to region,sku,demand first.
    let mut problem = match &a.region_split {
        None => {
            AllocationProblem::from_csv((&l.0, &l.1), (&s.0, &s.1), (&d.0, &d.1), (&c.0, &c.1))?
        }
        Some(split) => {
            let sp = read(split)?;
            let demand = logistics::allocate::demand_from_forecast((&d.0, &d.1), (&sp.0, &sp.1))?;
            let mut text = String::from("region,sku,demand\n");
            for (r, k, u) in &demand {
                text.push_str(&format!("{},{},{u}\n", csv_field(r), csv_field(k)));
            }
            AllocationProblem::from_csv((&l.0, &l.1), (&s.0, &s.1), (&d.0, &text), (&c.0, &c.1))?
        }
    };
    if let Some(x) = a.unmet_cost {
        anyhow::ensure!(
            x.is_finite() && x >= 0.0,
            "--unmet-cost {x}: must be a number ≥ 0"
        );
    }
    problem.unmet_cost = a.unmet_cost;
    if let (Some(rc), Some(rate)) = (&a.region_coords, a.rate_per_distance) {
        let rc = read(rc)?;
        let regions = logistics::allocate::read_region_coords(&rc.0, &rc.1)?;
        problem.add_distance_costs(&regions, rate)?;
    }
    if let Some(o) = &a.orders {
        let o = read(o)?;
        let mut t = logistics::Table::parse(&o.0, &o.1, &["sku", "units"])?;
        for row in 0..t.len() {
            if let (Some(k), Some(u)) = (t.name(row, "sku"), t.non_negative(row, "units", false)) {
                problem.orders.push((k, u));
            }
        }
        t.finish()?;
    }
    let t = Instant::now();
    let r = problem.solve()?;
    let secs = t.elapsed().as_secs_f64();
    if a.json {
        let out = json!({
            "cost": r.cost,
            "unmet_units": r.unmet_units,
            "shipping_cost": r.breakdown.shipping,
            "unmet_penalty": r.breakdown.unmet_penalty,
            "flows": r.flows,
            "unmet": r.unmet.iter().map(|(reg, k, u)| json!({"region": reg, "sku": k, "units": u})).collect::<Vec<_>>(),
            "receipts": r.receipts,
            "capacity": r.capacity,
            "lp_bound": r.lp_bound,
            "seconds": secs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "cost {:.2} = shipping {:.2} + unmet {} units × {} ({:.2}); {} lanes·SKUs ship; solved in {secs:.2} s",
        r.cost,
        r.breakdown.shipping,
        fmt_units(r.unmet_units),
        a.unmet_cost.unwrap_or(0.0),
        r.breakdown.unmet_penalty,
        r.flows.len(),
    );
    println!(
        "\n{:<16} {:>10} {:>10}  one more unit of capacity saves",
        "location", "shipped", "capacity"
    );
    for c in &r.capacity {
        println!(
            "{:<16} {:>10} {:>10}  {:.2}",
            c.location,
            fmt_units(c.shipped),
            c.capacity.map_or("no limit".into(), fmt_units),
            c.value_of_one_more_unit
        );
    }
    if !r.receipts.is_empty() {
        println!("\nreceive the orders at:");
        for x in &r.receipts {
            println!("  {:<16} {:<16} {}", x.location, x.sku, fmt_units(x.units));
        }
    }
    println!("\nlocation,region,sku,units");
    for f in &r.flows {
        println!(
            "{},{},{},{}",
            csv_field(&f.location),
            csv_field(&f.region),
            csv_field(&f.sku),
            fmt_units(f.units)
        );
    }
    Ok(())
}

/// Transfers between locations up to each one's target.
#[derive(Args)]
pub(crate) struct RebalanceArgs {
    /// `location,sku,on_hand,target_min`; with `--stockout-cost`,
    /// `location,sku,on_hand,lead_time_demand[,lead_time_sd][,target_min]`.
    #[arg(long)]
    stock: PathBuf,
    /// Cost of a unit of lead-time demand a location cannot serve: transfers then
    /// minimise transfer cost plus expected stockout cost (lead-time demand Poisson
    /// with the given mean, or normal with `lead_time_sd`).
    #[arg(long)]
    stockout_cost: Option<f64>,
    /// `from,to,cost_per_unit,capacity_units` (capacity shared by all SKUs; empty = no
    /// limit). A name only in lanes is a transit hub.
    #[arg(long)]
    lanes: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn rebalance(a: RebalanceArgs) -> Result<()> {
    let (s, l) = (read(&a.stock)?, read(&a.lanes)?);
    let p = RebalanceProblem::from_csv_with_risk((&s.0, &s.1), (&l.0, &l.1), a.stockout_cost)?;
    let r = p.solve()?;
    let (before, after) = r.expected_short();
    if a.json {
        let mut out = json!({
            "cost": r.cost,
            "transfers": r.transfers,
            "shortfall": r.shortfall.iter().map(|(l, k, u)| json!({"location": l, "sku": k, "units": u})).collect::<Vec<_>>(),
        });
        if let Some(c) = a.stockout_cost {
            out["expected_short_before"] = json!(before);
            out["expected_short_after"] = json!(after);
            out["expected_stockout_cost_before"] = json!(before * c);
            out["expected_stockout_cost_after"] = json!(after * c);
            out["risk"] = json!(r.risk);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if let Some(c) = a.stockout_cost {
        println!(
            "expected units short over the lead time: {:.1} before, {:.1} after (stockout cost {:.2} → {:.2}); transfer cost {:.2}, total {:.2}",
            before,
            after,
            before * c,
            after * c,
            r.cost,
            r.cost + after * c
        );
    }
    let short: f64 = r.shortfall.iter().map(|s| s.2).sum();
    if a.stockout_cost.is_none() || short > 0.0 {
        println!(
            "transfer cost {:.2}; {} transfers; {} units still below target where stock or lanes do not allow",
            r.cost,
            r.transfers.len(),
            fmt_units(short)
        );
    }
    println!("\nfrom,to,sku,units");
    for t in &r.transfers {
        println!(
            "{},{},{},{}",
            csv_field(&t.from),
            csv_field(&t.to),
            csv_field(&t.sku),
            fmt_units(t.units)
        );
    }
    if !r.shortfall.is_empty() {
        println!("\nstill below target: location,sku,units");
        for (l, k, u) in &r.shortfall {
            println!("{},{},{}", csv_field(l), csv_field(k), fmt_units(*u));
        }
    }
    Ok(())
}

/// Delivery routes for a day.
#[derive(Args)]
pub(crate) struct RouteArgs {
    /// Deliveries: our CSV (`id`, `x,y` or `lat,lon`, `demand`, optional
    /// `ready,due,service` in minutes; the depot is the row with id `depot`), a CVRPLIB
    /// `.vrp` file or a Solomon VRPTW text file.
    file: PathBuf,
    /// Vehicles (CSV; overrides a CVRPLIB file's fleet, which is otherwise unlimited).
    #[arg(long)]
    vehicles: Option<usize>,
    /// Capacity of each vehicle in units (CSV).
    #[arg(long)]
    capacity: Option<f64>,
    /// Longest route in minutes (CSV).
    #[arg(long)]
    shift: Option<f64>,
    /// Travel speed for lat/lon, km/h.
    #[arg(long, default_value_t = 30.0)]
    speed_kmh: f64,
    /// Search time limit in seconds.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Repeatable search (the same random numbers every run; threads still vary).
    #[arg(long)]
    repeatable: bool,
    /// Use as few vehicles as possible first, then the least distance.
    #[arg(long)]
    fewest_vehicles: bool,
    /// Write the stop order as CSV (`vehicle,stop,id,arrival,load_after`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn route(a: RouteArgs) -> Result<()> {
    let f = read(&a.file)?;
    anyhow::ensure!(
        a.time_limit > 0.0 && a.time_limit.is_finite(),
        "--time-limit must be > 0"
    );
    anyhow::ensure!(
        a.speed_kmh > 0.0 && a.speed_kmh.is_finite(),
        "--speed-kmh must be > 0"
    );
    let mut p = logistics::RoutingProblem::parse(&f.0, &f.1, a.vehicles, a.capacity, a.shift)?;
    p.speed_kmh = a.speed_kmh;
    p.fewest_vehicles = a.fewest_vehicles;
    let quiet = a.json;
    let started = Instant::now();
    let options = logistics::RouteOptions {
        time_limit: a.time_limit,
        repeatable: a.repeatable,
        progress: Some(std::sync::Arc::new(move |msg: &str| {
            // The solver logs its best cost every 100 generations.
            if !quiet && msg.contains("rank") {
                eprintln!("[{:5.1}s] {}", started.elapsed().as_secs_f64(), msg.trim());
            }
        })),
        ..Default::default()
    };
    if !a.json {
        eprintln!(
            "{}: {} deliveries, {} vehicles of capacity {}; searching for up to {} s",
            p.name,
            p.deliveries.len(),
            p.vehicles,
            p.capacity,
            a.time_limit
        );
    }
    let r = p.solve(&options, None)?;
    let numeric = p.deliveries.iter().all(|d| d.id.parse::<i64>().is_ok());
    let id = |i: usize| -> serde_json::Value {
        let s = &p.deliveries[i].id;
        if numeric {
            json!(s.parse::<i64>().unwrap_or_default())
        } else {
            json!(s)
        }
    };
    if let Some(out) = &a.out {
        let mut text = String::from("vehicle,stop,id,arrival,load_after\n");
        for (v, route) in r.routes.iter().enumerate() {
            let mut load = route.load;
            for (k, (&s, &t)) in route.stops.iter().zip(&route.arrivals).enumerate() {
                load -= p.deliveries[s].demand;
                text.push_str(&format!(
                    "{},{},{},{t:.1},{}\n",
                    v + 1,
                    k + 1,
                    csv_field(&p.deliveries[s].id),
                    fmt_units(load)
                ));
            }
        }
        std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    if a.json {
        let out = json!({
            "cost": r.cost,
            "vehicles": r.vehicles,
            "routes": r.routes.iter().map(|x| x.stops.iter().map(|&s| id(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "unserved": r.unserved.iter().map(|(i, why)| json!({"id": id(*i), "reason": why})).collect::<Vec<_>>(),
            "seconds": r.seconds,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "distance {:.1} with {} vehicles ({:.1} s)",
        r.cost, r.vehicles, r.seconds
    );
    for (v, route) in r.routes.iter().enumerate() {
        let ids: Vec<&str> = route
            .stops
            .iter()
            .map(|&s| p.deliveries[s].id.as_str())
            .collect();
        println!(
            "Route #{}: {}  (load {}, distance {:.1}, back at {:.1})",
            v + 1,
            ids.join(" "),
            fmt_units(route.load),
            route.distance,
            route.end
        );
    }
    for (i, why) in &r.unserved {
        println!(
            "not served: {} (line {}): {why}",
            p.deliveries[*i].id, p.deliveries[*i].line
        );
    }
    Ok(())
}

/// Region shares from an order export with a region column.
#[derive(Args)]
pub(crate) struct RegionSharesArgs {
    /// The order export (CSV; .gz is decompressed).
    file: PathBuf,
    /// The region column (default: region, country, ship_to, shipping country, …).
    #[arg(long)]
    column: Option<String>,
    /// Write `region,sku,share` here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn region_shares(a: RegionSharesArgs) -> Result<()> {
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let bytes = if a.file.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
            .with_context(|| format!("{} is not gzip", a.file.display()))?;
        out
    } else {
        bytes
    };
    let text = String::from_utf8_lossy(&bytes);
    let name = a.file.display().to_string();
    let shares = logistics::regions::shares_from_orders(&name, &text, a.column.as_deref())?;
    let mut csv = String::from("region,sku,share\n");
    for (r, k, s) in &shares {
        csv.push_str(&format!("{},{},{s:.6}\n", csv_field(r), csv_field(k)));
    }
    match &a.out {
        Some(p) => {
            std::fs::write(p, csv).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{csv}"),
    }
    let regions: std::collections::BTreeSet<&str> = shares.iter().map(|s| s.0.as_str()).collect();
    eprintln!(
        "{} regions, {} SKUs (rows without a SKU: the shares over all SKUs, for SKUs the export lacks)",
        regions.len(),
        shares
            .iter()
            .filter(|s| !s.1.is_empty())
            .map(|s| s.1.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    Ok(())
}
