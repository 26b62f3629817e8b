//! `supplycast policy ...` (single policy computations, one JSON object each) and
//! `supplycast plan` (purchase list from a forecast file).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use supplycast::inventory::forecast_file;
use supplycast::inventory::params::{self, SkuParams};
use supplycast::inventory::plan::{self, PlanConfig, PlanRequest};
use supplycast::inventory::policy::{self, Demand, RqInputs, Service};
use supplycast::inventory::sim::Unmet;
use supplycast::inventory::whatif::{self, WhatIf};

/// Days a plan simulates: a positive, finite number of at most ten years (a plan of
/// 1e9 days would run for hours), checked as the flag is read, for `plan` and
/// `bench-plan` alike.
pub(crate) fn horizon_days(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 && d <= 3650.0 => Ok(d),
        _ => Err(format!(
            "expected a number of days above 0 and at most 3650, not '{s}'"
        )),
    }
}

/// Monte Carlo replications per SKU: 1 to 100,000.
pub(crate) fn simulations(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number of simulations from 1 to 100000, not '{s}'"
        )),
    }
}

/// One policy computation.
#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Economic order quantity (with planned backorders when --backorder-cost is given).
    Eoq {
        /// Fixed cost per order K.
        #[arg(long, allow_negative_numbers = true)]
        fixed_cost: f64,
        /// Holding cost per unit per time unit h.
        #[arg(long, allow_negative_numbers = true)]
        holding: f64,
        /// Demand per time unit D.
        #[arg(long, allow_negative_numbers = true)]
        demand: f64,
        /// Backorder cost per unit per time unit p.
        #[arg(long, allow_negative_numbers = true)]
        backorder_cost: Option<f64>,
    },
    /// Newsvendor: the optimal order-up-to level, or the cost of a given one.
    Newsvendor {
        #[command(flatten)]
        costs: Costs,
        #[command(flatten)]
        demand: DemandArg,
        /// Cost this level instead of optimising.
        #[arg(long, allow_negative_numbers = true)]
        order_up_to: Option<f64>,
    },
    /// Periodic-review base-stock level with L periods of lead time.
    BaseStock {
        #[command(flatten)]
        costs: Costs,
        #[command(flatten)]
        demand: DemandArg,
        /// Lead time (periods).
        #[arg(long, allow_negative_numbers = true)]
        lead_time: f64,
    },
    /// Continuous-review (r, Q) with backorders: exact optimum, or the exact cost of a given r and Q.
    Rq {
        #[command(flatten)]
        costs: Costs,
        /// Fixed cost per order K.
        #[arg(long, allow_negative_numbers = true)]
        fixed_cost: f64,
        /// Mean demand per time unit λ.
        #[arg(long, allow_negative_numbers = true)]
        demand: f64,
        /// Standard deviation of demand per time unit τ (normal demand).
        #[arg(long, conflicts_with = "poisson", required_unless_present = "poisson")]
        demand_sd: Option<f64>,
        /// Poisson demand.
        #[arg(long)]
        poisson: bool,
        /// Lead time L.
        #[arg(long, allow_negative_numbers = true)]
        lead_time: f64,
        /// Reorder point to cost (with --q).
        #[arg(long, requires = "q", allow_negative_numbers = true)]
        r: Option<f64>,
        /// Order quantity to cost (with --r).
        #[arg(long, requires = "r")]
        q: Option<f64>,
    },
    /// Periodic-review (s, S) under Poisson demand: the exact optimum (Zheng–Federgruen).
    Ss {
        #[command(flatten)]
        costs: Costs,
        /// Fixed cost per order K.
        #[arg(long, allow_negative_numbers = true)]
        fixed_cost: f64,
        /// Mean demand per period.
        #[arg(long, allow_negative_numbers = true)]
        poisson: f64,
    },
    /// Reorder point for normal lead-time demand, for a cycle service level or a fill rate.
    ReorderPoint {
        /// Mean and standard deviation of lead-time demand.
        #[arg(long, num_args = 2, value_names = ["MEAN", "SD"], allow_negative_numbers = true, required = true)]
        lead_time_demand: Vec<f64>,
        /// Order quantity Q.
        #[arg(long, allow_negative_numbers = true)]
        order_qty: f64,
        /// Cycle service level (0–1).
        #[arg(
            long,
            conflicts_with = "fill_rate",
            required_unless_present = "fill_rate"
        )]
        csl: Option<f64>,
        /// Fill rate (0–1).
        #[arg(long, allow_negative_numbers = true)]
        fill_rate: Option<f64>,
    },
}

#[derive(Args)]
pub(crate) struct Costs {
    /// Holding cost per unit per time unit h.
    #[arg(long, allow_negative_numbers = true)]
    holding: f64,
    /// Stockout (backorder) cost per unit p.
    #[arg(long, allow_negative_numbers = true)]
    stockout: f64,
}

#[derive(Args)]
pub(crate) struct DemandArg {
    /// Normal demand per period: mean and standard deviation.
    #[arg(long, num_args = 2, value_names = ["MEAN", "SD"], allow_negative_numbers = true, conflicts_with = "poisson", required_unless_present = "poisson")]
    normal: Option<Vec<f64>>,
    /// Poisson demand per period with this mean.
    #[arg(long, allow_negative_numbers = true)]
    poisson: Option<f64>,
}

impl DemandArg {
    fn demand(&self) -> Demand {
        match (&self.normal, self.poisson) {
            (Some(v), _) => Demand::Normal {
                mean: v[0],
                sd: v[1],
            },
            (None, Some(mean)) => Demand::Poisson { mean },
            (None, None) => Demand::Poisson { mean: f64::NAN },
        }
    }
}

/// Runs a policy command and prints its JSON.
pub(crate) fn policy(cmd: PolicyCmd) -> anyhow::Result<()> {
    let out = match cmd {
        PolicyCmd::Eoq {
            fixed_cost,
            holding,
            demand,
            backorder_cost,
        } => {
            let e = policy::eoq(fixed_cost, holding, demand, backorder_cost)?;
            json!({"q": e.q, "cost": e.cost})
        }
        PolicyCmd::Newsvendor {
            costs,
            demand,
            order_up_to,
        } => {
            let n =
                policy::newsvendor(costs.holding, costs.stockout, demand.demand(), order_up_to)?;
            json!({"s": n.s, "cost": n.cost})
        }
        PolicyCmd::BaseStock {
            costs,
            demand,
            lead_time,
        } => {
            let b = policy::base_stock(costs.holding, costs.stockout, demand.demand(), lead_time)?;
            json!({"s": b.s, "safety_stock": b.safety_stock, "cost": b.cost})
        }
        PolicyCmd::Rq {
            costs,
            fixed_cost,
            demand,
            demand_sd,
            poisson,
            lead_time,
            r,
            q,
        } => {
            let inputs = RqInputs {
                h: costs.holding,
                p: costs.stockout,
                k: fixed_cost,
                demand: match (demand_sd, poisson) {
                    (Some(sd), false) => Demand::Normal { mean: demand, sd },
                    _ => Demand::Poisson { mean: demand },
                },
                lead_time,
            };
            match (r, q) {
                (Some(r), Some(q)) => {
                    let cost = policy::rq_cost(inputs, r, q)?;
                    json!({"r": r, "q": q, "cost": cost})
                }
                _ => {
                    let o = policy::rq_optimal(inputs)?;
                    json!({"r": o.r, "q": o.q, "cost": o.cost})
                }
            }
        }
        PolicyCmd::Ss {
            costs,
            fixed_cost,
            poisson,
        } => {
            let o = policy::ss_optimal(costs.holding, costs.stockout, fixed_cost, poisson)?;
            json!({"s": o.s, "S": o.big_s, "cost": o.cost})
        }
        PolicyCmd::ReorderPoint {
            lead_time_demand,
            order_qty,
            csl,
            fill_rate,
        } => {
            let service = match (csl, fill_rate) {
                (Some(a), _) => Service::Csl(a),
                (None, Some(b)) => Service::FillRate(b),
                (None, None) => bail!("give --csl or --fill-rate"),
            };
            let r = policy::reorder_point(
                lead_time_demand[0],
                lead_time_demand[1],
                order_qty,
                service,
            )?;
            json!({"reorder_point": r.reorder_point, "safety_stock": r.safety_stock})
        }
    };
    println!("{out}");
    Ok(())
}

/// Options of `supplycast plan`.
#[derive(Args)]
pub(crate) struct PlanArgs {
    /// Forecast file: sku,date,p10,p50,p90[,model] (as `supplycast forecast` writes it).
    forecast: PathBuf,
    /// Per-SKU parameters CSV (stock, lead times, costs; see README). SKUs not in it get defaults.
    #[arg(long)]
    params: Option<PathBuf>,
    /// The shop's stock export, merged over the parameters: Shopify products or inventory
    /// export, WooCommerce products export, or sku,on_hand[,cost,price,supplier,location]
    /// (recognised from the header; a report goes to standard error).
    #[arg(long)]
    stock: Option<PathBuf>,
    /// Open purchase orders: sku, quantity, expected date[, supplier, po number], or
    /// Shopify's purchase order export; they replace each named SKU's "on order"
    /// (received, rejected and closed lines left out).
    #[arg(long)]
    orders: Option<PathBuf>,
    /// Write the purchase list here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Spend at most this on today's orders (highest priority first).
    #[arg(long, allow_negative_numbers = true)]
    budget: Option<f64>,
    /// Days to simulate.
    #[arg(long, default_value_t = 90.0, value_parser = horizon_days)]
    horizon_days: f64,
    /// Monte Carlo replications per SKU.
    #[arg(long, default_value_t = 1000, value_parser = simulations)]
    simulations: usize,
    /// Unmet demand waits (default: it is lost).
    #[arg(long)]
    backorders: bool,
    /// Write a parameters template (every SKU with its defaults) here and stop.
    #[arg(long)]
    params_template: Option<PathBuf>,
    /// The forecast's own sample paths (`sku,path,date,quantity`, from `supplycast
    /// forecast --paths-out`): their dependence between periods sets the spread of
    /// lead-time demand. Without it, paths are drawn from each period's P10/P50/P90
    /// independently (too narrow when demand runs in streaks).
    #[arg(long)]
    paths: Option<PathBuf>,
    /// What-if: only the SKUs of this supplier (the parameters' `supplier` column).
    #[arg(long)]
    supplier: Option<String>,
    /// What-if: days added to every lead time.
    #[arg(long, allow_negative_numbers = true)]
    lead_time_extra_days: Option<f64>,
    /// What-if: factor on the lead times' standard deviation.
    #[arg(long)]
    lead_time_sd_factor: Option<f64>,
    /// What-if: demand change in per cent (e.g. 20 or -30).
    #[arg(long, allow_negative_numbers = true)]
    demand_change: Option<f64>,
    /// What-if: first day of the demand change (YYYY-MM-DD; default: today).
    #[arg(long)]
    demand_from: Option<chrono::NaiveDate>,
    /// What-if: last day of the demand change (YYYY-MM-DD; default: the horizon's end).
    #[arg(long)]
    demand_to: Option<chrono::NaiveDate>,
    /// What-if: a new minimum order quantity.
    #[arg(long)]
    moq: Option<f64>,
    /// What-if: a new budget cap for today's orders.
    #[arg(long)]
    what_if_budget: Option<f64>,
    /// Write what this supplier is sent — its SKUs' purchase order and 12 weeks of
    /// weekly P10/P50/P90, nothing else — to --share-out (CSV) and/or --share-html.
    #[arg(long)]
    share: Option<String>,
    /// The supplier share as CSV.
    #[arg(long, requires = "share")]
    share_out: Option<PathBuf>,
    /// The supplier share as a printable page.
    #[arg(long, requires = "share")]
    share_html: Option<PathBuf>,
    /// Weeks of forecast in the supplier share.
    #[arg(long, default_value_t = 12)]
    share_weeks: usize,
}

impl PlanArgs {
    fn what_if(&self) -> Option<WhatIf> {
        let w = WhatIf {
            supplier: self.supplier.clone(),
            lead_time_extra_days: self.lead_time_extra_days.unwrap_or(0.0),
            lead_time_sd_factor: self.lead_time_sd_factor.unwrap_or(1.0),
            demand_change: self.demand_change.unwrap_or(0.0) / 100.0,
            demand_window: match (self.demand_from, self.demand_to) {
                (None, None) => None,
                (a, b) => Some((
                    a.unwrap_or(chrono::NaiveDate::MIN),
                    b.unwrap_or(chrono::NaiveDate::MAX),
                )),
            },
            moq: self.moq,
            budget: self.what_if_budget,
            prices: Vec::new(),
        };
        let only_scope = WhatIf {
            supplier: w.supplier.clone(),
            ..Default::default()
        };
        (w != only_scope).then_some(w)
    }
}

/// Plans purchases from a forecast file.
pub(crate) fn plan(a: PlanArgs) -> anyhow::Result<()> {
    let name = a.forecast.display().to_string();
    let bytes = std::fs::read(&a.forecast).with_context(|| format!("cannot read {name}"))?;
    let table = forecast_file::read_forecast_csv(&name, &bytes)?;
    let defaults: Vec<SkuParams> = table
        .skus
        .iter()
        .map(|s| SkuParams::defaults(&s.sku, 0.0))
        .collect();
    if let Some(t) = &a.params_template {
        std::fs::write(t, params::to_csv(&defaults))
            .with_context(|| format!("cannot write {}", t.display()))?;
        eprintln!(
            "wrote parameters of {} SKUs to {}",
            defaults.len(),
            t.display()
        );
        return Ok(());
    }
    let params = match &a.params {
        Some(p) => {
            let pname = p.display().to_string();
            let b = std::fs::read(p).with_context(|| format!("cannot read {pname}"))?;
            params::merge_csv(&pname, &b, &defaults)?
        }
        None => defaults,
    };
    let params = match &a.stock {
        Some(p) => {
            let sname = p.display().to_string();
            let b = std::fs::read(p).with_context(|| format!("cannot read {sname}"))?;
            let file = supplycast::inventory::stock::read(&sname, &b)?;
            let (merged, report) = supplycast::inventory::stock::merge(&file, &params)?;
            eprintln!("{}", report.summary());
            merged
        }
        None => params,
    };
    let params = match &a.orders {
        Some(p) => {
            let oname = p.display().to_string();
            let b = std::fs::read(p).with_context(|| format!("cannot read {oname}"))?;
            let file = supplycast::inventory::purchase_orders::read(&oname, &b)?;
            let (merged, report) = supplycast::inventory::purchase_orders::merge(&file, &params)?;
            eprintln!("{}", report.summary());
            merged
        }
        None => params,
    };
    let t0 = Instant::now();
    let Some(today) = table.dates.first().copied() else {
        bail!("{name}: no forecast dates");
    };
    let mut cfg = PlanConfig::new(today, table.period_days(), table.season());
    cfg.horizon_days = a.horizon_days;
    cfg.simulations = a.simulations;
    cfg.budget = a.budget;
    cfg.unmet = if a.backorders {
        Unmet::Backorder
    } else {
        Unmet::Lost
    };
    let mut given = match &a.paths {
        Some(p) => {
            let pname = p.display().to_string();
            let b = std::fs::read(p).with_context(|| format!("cannot read {pname}"))?;
            forecast_file::read_paths_csv(&pname, &b, &table)?
        }
        None => Default::default(),
    };
    let (demand, drawn) = table.demand(&mut given);
    eprintln!(
        "demand scenarios: {}",
        match (&a.paths, drawn) {
            (Some(p), 0) => format!("the forecast's own paths from {}", p.display()),
            (Some(p), n) => format!(
                "the forecast's own paths from {} ({n} SKUs without paths: independent draws from P10/P50/P90)",
                p.display()
            ),
            (None, _) =>
                "independent draws from each period's P10/P50/P90 (give --paths for the forecast's own)"
                    .to_string(),
        }
    );
    let request = PlanRequest {
        config: cfg,
        params,
        demand,
    };
    if let Some(w) = a.what_if() {
        if let Some(s) = &w.supplier
            && !request
                .params
                .iter()
                .any(|p| p.supplier.eq_ignore_ascii_case(s))
        {
            bail!("no SKU has the supplier \"{s}\" (give it in the parameters' supplier column)");
        }
        let c = whatif::compare(&request, &w, &mut |_, _| true)?;
        print_comparison(&c);
        return Ok(());
    }
    let mut result = request.run(&mut |_, _| true);
    result.seconds = t0.elapsed().as_secs_f64();
    if let Some(sup) = &a.share {
        let share = supplycast::inventory::supplier::share(&request, &result, sup, a.share_weeks)?;
        if a.share_out.is_none() && a.share_html.is_none() {
            bail!("--share needs --share-out or --share-html");
        }
        if let Some(p) = &a.share_out {
            std::fs::write(p, share.to_csv())
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        if let Some(p) = &a.share_html {
            std::fs::write(p, share.to_html())
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        eprintln!(
            "supplier {}: {} order lines and {} SKU-{}s of forecast written (no customers, order lines or sales prices)",
            share.supplier,
            share.order.len(),
            share.forecast.len(),
            share.period
        );
    }
    let csv = result.purchase_csv();
    match &a.out {
        Some(p) => {
            std::fs::write(p, &csv).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{csv}"),
    }
    let orders: Vec<_> = result.skus.iter().filter(|s| s.order_qty > 0.0).collect();
    let value: f64 = orders
        .iter()
        .filter(|s| s.in_budget)
        .map(|s| s.order_value)
        .sum();
    let (mut d, mut served) = (0.0, 0.0);
    for s in &result.skus {
        d += s.daily_demand;
        served += s.daily_demand * s.simulated.fill_rate;
    }
    eprintln!(
        "planned {} SKUs in {:.2} s ({} simulations × {} days each): {} to order today, {:.2} in total{}; simulated fill rate {:.1} %",
        result.skus.len(),
        result.seconds,
        cfg.simulations,
        cfg.horizon_days,
        orders.len(),
        value,
        if a.budget.is_some() {
            " within the budget"
        } else {
            ""
        },
        if d > 0.0 { served / d * 100.0 } else { 100.0 }
    );
    for (sku, why) in &result.skipped {
        eprintln!("skipped {sku}: {why}");
    }
    if let Some(p) = &a.out {
        eprintln!("wrote the purchase list to {}", p.display());
    }
    Ok(())
}

/// The base plan and the what-if side by side, and the SKUs whose order changed most.
fn print_comparison(c: &whatif::Comparison) {
    let (b, w) = (&c.base_outcome, &c.changed_outcome);
    println!("what-if: {}", c.what_if.describe());
    println!(
        "{:<34} {:>14} {:>14} {:>14}",
        "", "base", "what-if", "change"
    );
    let row = |name: &str, x: f64, y: f64, dec: usize| {
        println!(
            "{name:<34} {:>14.dec$} {:>14.dec$} {:>+14.dec$}",
            x,
            y,
            y - x
        );
    };
    row("SKUs to order today", b.orders as f64, w.orders as f64, 0);
    row("units ordered today", b.units, w.units, 0);
    row("order value today", b.order_value, w.order_value, 2);
    row(
        "simulated fill rate (%)",
        100.0 * b.fill_rate,
        100.0 * w.fill_rate,
        1,
    );
    row(
        "simulated cost over the horizon",
        b.total_cost,
        w.total_cost,
        2,
    );
    row("money at risk", b.money_at_risk, w.money_at_risk, 2);
    row(
        "SKUs at 50 %+ stockout risk",
        b.at_risk as f64,
        w.at_risk as f64,
        0,
    );
    row(
        "reorder levels (units)",
        b.reorder_levels,
        w.reorder_levels,
        0,
    );
    let mut changes: Vec<(&str, f64, f64)> = c
        .base
        .skus
        .iter()
        .filter_map(|s| {
            let t = c.changed.skus.iter().find(|x| x.sku == s.sku)?;
            (t.order_qty != s.order_qty).then_some((s.sku.as_str(), s.order_qty, t.order_qty))
        })
        .collect();
    changes.sort_by(|x, y| (y.2 - y.1).abs().total_cmp(&(x.2 - x.1).abs()));
    for (sku, x, y) in changes.iter().take(10) {
        println!("  {sku}: order {x} -> {y}");
    }
    if changes.len() > 10 {
        println!(
            "  ... {} more SKUs with a changed order",
            changes.len() - 10
        );
    }
}

/// Plans every SKU of `ds` from its automatic forecasts and prints timing figures.
pub(crate) fn bench_plan(
    ds: &supplycast::data::Dataset,
    h: usize,
    simulations: usize,
    horizon_days: f64,
    runs: usize,
) -> anyhow::Result<()> {
    use supplycast::forecast::{backtest::BacktestConfig, run};
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season: ds.season(),
        paths: 100,
        scenarios: Default::default(),
    };
    let t0 = Instant::now();
    let fr = run::forecast_dataset(ds, cfg, &mut |_, _| true);
    let t_forecast = t0.elapsed().as_secs_f64();
    let mut req = plan::PlanRequest::from_forecast(&fr, ds, plan::default_params(ds))
        .context("the forecast has no dates")?;
    // Default parameters, as the app starts with (no stock entered: every SKU orders,
    // the heavier case for the simulation), so that native and browser figures compare.
    req.config.simulations = simulations;
    req.config.horizon_days = horizon_days;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let p = req.run(&mut |_, _| true);
        times.push(t.elapsed().as_secs_f64());
        last = Some(p);
    }
    times.sort_by(f64::total_cmp);
    let p = last.context("no run")?;
    let orders = p.skus.iter().filter(|s| s.order_qty > 0.0).count();
    let steps = p.skus.len() as f64
        * 2.0
        * simulations as f64
        * p.skus.first().map_or(0.0, |s| s.simulated.periods as f64);
    println!(
        "forecast {} SKUs (h={h}, 100 paths): {t_forecast:.2} s (not part of the plan figure)",
        fr.skus.len()
    );
    println!(
        "plan {} SKUs ({} runs × {} days, recommended + baseline policy each): median {:.3} s, min {:.3} s over {} repetitions; {:.0} M simulated SKU-periods/s; {} SKUs to order",
        p.skus.len(),
        simulations,
        horizon_days,
        times[times.len() / 2],
        times[0],
        times.len(),
        steps / times[times.len() / 2] / 1e6,
        orders
    );
    Ok(())
}
