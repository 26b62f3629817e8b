//! `supplycast elasticity` and `supplycast price`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use supplycast::data::{self, LoadOptions};
use supplycast::forecast::{self, backtest::BacktestConfig};
use supplycast::inventory::params::SkuParams;
use supplycast::inventory::plan::PlanRequest;
use supplycast::pricing::{self, Method};

fn write_or_print(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Every SKU's elasticity of an order file, and a count per method on standard error.
pub(crate) fn elasticity(
    name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    out: Option<&Path>,
) -> Result<()> {
    let t0 = Instant::now();
    let parsed = data::ingest::parse(name, bytes, &opts.read, &mut |_| {})?;
    let list = pricing::elasticities(&parsed, opts.cancellations);
    if list.is_empty() {
        return Err(pricing::PricingError::NoPrices { file: name.into() }.into());
    }
    write_or_print(out, &pricing::elasticity::to_csv(&list))?;
    let count = |m: Method| list.iter().filter(|e| e.method == m).count();
    let own: Vec<f64> = list.iter().filter_map(|e| e.elasticity).collect();
    let mut sorted = own.clone();
    sorted.sort_by(f64::total_cmp);
    eprintln!(
        "{} SKUs sold at a price: {} with enough price variation ({} own, {} pooled with similar SKUs), {} not enough; median elasticity {}; {:.2} s",
        list.len(),
        own.len(),
        count(Method::Own),
        count(Method::Pooled),
        count(Method::NotEnough),
        sorted
            .get(sorted.len() / 2)
            .map_or("-".into(), |m| format!("{m:.2}")),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Margin-maximising prices for the SKUs of a costs file, with what each price does
/// to today's order (the forecast scaled by the demand change, planned again).
pub(crate) fn price(
    name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    costs: &Path,
    out: Option<&Path>,
) -> Result<()> {
    let cname = costs.display().to_string();
    let ctext = std::fs::read_to_string(costs).with_context(|| format!("cannot read {cname}"))?;
    let cost_lines = pricing::parse_costs(&cname, &ctext)?;
    let parsed = data::ingest::parse(name, bytes, &opts.read, &mut |_| {})?;
    let list = pricing::elasticities(&parsed, opts.cancellations);
    if list.is_empty() {
        return Err(pricing::PricingError::NoPrices { file: name.into() }.into());
    }
    let mut choices = Vec::new();
    let mut unknown = Vec::new();
    for c in &cost_lines {
        match list.iter().find(|e| e.sku.eq_ignore_ascii_case(&c.sku)) {
            Some(e) => choices.push(pricing::recommend(e, c)),
            None => unknown.push(c.sku.clone()),
        }
    }
    if !unknown.is_empty() {
        bail!(
            "{cname}: {} SKU(s) never sold at a price in {name}: {}",
            unknown.len(),
            unknown.join(", ")
        );
    }
    write_or_print(out, &pricing::optimise::to_csv(&choices))?;

    // The inventory consequence: plan the same SKUs at today's price and at the
    // recommended one (demand scaled by the elasticity).
    let mut ds = data::from_parsed(name, &parsed, opts, &mut |_| {})?;
    ds.series
        .retain(|s| choices.iter().any(|c| c.sku.eq_ignore_ascii_case(&s.sku)));
    let h = ds.frequency().default_horizon();
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season: ds.season(),
        paths: 200,
        scenarios: Default::default(),
    };
    let run = forecast::run::forecast_dataset(&ds, cfg, &mut |_, _| true);
    let params: Vec<SkuParams> = choices
        .iter()
        .map(|c| {
            let mut p = SkuParams::defaults(&c.sku, c.current_price);
            p.unit_cost = c.unit_cost;
            p
        })
        .collect();
    let Some(base) = PlanRequest::from_forecast(&run, &ds, params) else {
        bail!("{name}: nothing to forecast for the SKUs of {cname}");
    };
    let w = supplycast::inventory::whatif::WhatIf {
        prices: choices
            .iter()
            .filter(|c| c.price != c.current_price)
            .map(|c| supplycast::inventory::whatif::PriceChange {
                sku: c.sku.clone(),
                price: c.price,
                demand_factor: c.demand_factor,
            })
            .collect(),
        ..Default::default()
    };
    let cmp = supplycast::inventory::whatif::compare(&base, &w, &mut |_, _| true)?;
    let (p0, p1) = (&cmp.base, &cmp.changed);
    eprintln!("sku: price now -> recommended, weekly margin, today's order (units)");
    for c in &choices {
        let order = |p: &supplycast::inventory::plan::Plan| {
            p.skus
                .iter()
                .find(|s| s.sku == c.sku)
                .map_or("-".into(), |s| supplycast::format::units(s.order_qty))
        };
        eprintln!(
            "{}: {:.2} -> {:.2}, margin {:.2} -> {:.2} a week, order {} -> {} ({})",
            c.sku,
            c.current_price,
            c.price,
            c.weekly_margin.0,
            c.weekly_margin.1,
            order(p0),
            order(p1),
            c.reason
        );
    }
    Ok(())
}

/// `supplycast bench-elasticity`.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchElasticityArgs {
    /// SKUs per generated file.
    #[arg(long, default_value_t = 200)]
    skus: usize,
    /// Days per generated file.
    #[arg(long, default_value_t = 730)]
    days: usize,
    /// Seeds (a file per seed and structure), comma-separated.
    #[arg(long, default_value = "1")]
    seeds: String,
    /// Knot spacings in days to compare, comma-separated.
    #[arg(long, default_value = "42")]
    knots: String,
    /// Smoothing penalties to compare, comma-separated.
    #[arg(long, default_value = "100")]
    smooth: String,
    /// Orders of the level's penalised differences to compare (1 random walk, 2 bend).
    #[arg(long, default_value = "2")]
    order: String,
    /// Days per standard-error cluster to compare, comma-separated.
    #[arg(long, default_value = "7")]
    cluster_days: String,
    /// Whether the shop's other units are a control: 0, 1 or 0,1.
    #[arg(long, default_value = "1")]
    shop: String,
    /// Standard-error factors to compare, comma-separated.
    #[arg(long, default_value = "1.4")]
    se_scale: String,
}

fn list<T: std::str::FromStr>(flag: &str, s: &str) -> Result<Vec<T>> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--{flag} {s}: \"{x}\" is not a number"))
        })
        .collect()
}

/// Mean absolute error and 80 % coverage per generated structure and setting.
pub(crate) fn bench_elasticity(a: &BenchElasticityArgs) -> Result<()> {
    use pricing::elasticity::Settings;
    use pricing::generators::{self, Structure};
    if a.skus == 0 || a.skus > 100_000 || a.days < 56 || a.days > 3650 {
        bail!("--skus 1..100000 and --days 56..3650 expected");
    }
    let seeds: Vec<u64> = list("seeds", &a.seeds)?;
    let knots: Vec<usize> = list("knots", &a.knots)?;
    let smooth: Vec<f64> = list("smooth", &a.smooth)?;
    let scales: Vec<f64> = list("se-scale", &a.se_scale)?;
    let clusters: Vec<usize> = list("cluster-days", &a.cluster_days)?;
    let shops: Vec<u8> = list("shop", &a.shop)?;
    let orders: Vec<usize> = list("order", &a.order)?;
    if orders.iter().any(|o| !(1..=2).contains(o)) {
        bail!("--order {}: 1 or 2 expected", a.order);
    }
    let mut combos = Vec::new();
    for &c in &clusters {
        for &s in &scales {
            for &h in &shops {
                for &o in &orders {
                    combos.push((c, s, h, o));
                }
            }
        }
    }
    println!(
        "knots,smooth,order,cluster_days,se_scale,shop,structure,seed,mae,coverage80,estimated,missed,fixed_refused,seconds"
    );
    for &k in &knots {
        for &sm in &smooth {
            for &(cl, sc, sh, or) in &combos {
                let settings = Settings {
                    knot_days: k,
                    smooth: sm,
                    order: or,
                    cluster_days: cl,
                    se_scale: sc,
                    shop: sh != 0,
                };
                for st in Structure::ALL {
                    for &seed in &seeds {
                        let t = Instant::now();
                        let r = generators::score(st, seed, a.skus, a.days, &settings);
                        println!(
                            "{k},{sm},{or},{cl},{sc},{sh},{},{seed},{:.4},{:.4},{},{},{}/{},{:.2}",
                            st.label(),
                            r.mae,
                            r.coverage,
                            r.estimated,
                            r.missed,
                            r.fixed.1,
                            r.fixed.0,
                            t.elapsed().as_secs_f64()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
