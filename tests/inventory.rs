//! Integration tests of replenishment planning: the sample store forecast and planned
//! end to end, property tests of the policies, and the `supplycast policy` / `plan`
//! command lines.
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

use proptest::prelude::*;
use supplycast::data::{self, LoadOptions};
use supplycast::forecast::{backtest::BacktestConfig, run};
use supplycast::inventory::params::{self, SkuParams};
use supplycast::inventory::plan::{self, PlanRequest, Status};
use supplycast::inventory::policy::{self, Demand, Service};

fn sample_store(top: usize) -> data::Dataset {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/sample_store.csv"
    ))
    .unwrap();
    let mut ds = data::load(
        "sample_store.csv",
        &bytes,
        &LoadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    ds.keep_top(top);
    ds
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("supplycast-inventory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn sample_store_forecast_to_purchase_list() {
    let ds = sample_store(25);
    let cfg = BacktestConfig {
        h: 28,
        windows: 3,
        season: ds.season(),
        paths: 100,
        scenarios: Default::default(),
    };
    let fr = run::forecast_dataset(&ds, cfg, &mut |_, _| true);
    let mut params = plan::default_params(&ds);
    // Real prices from the data: every SKU of the sample store has revenue.
    assert!(
        params
            .iter()
            .all(|p| p.price > 0.0 && p.unit_cost < p.price)
    );
    // Half the SKUs well stocked, half empty.
    for (i, p) in params.iter_mut().enumerate() {
        if i % 2 == 0 {
            p.on_hand = 100_000.0;
        }
    }
    let mut req = PlanRequest::from_forecast(&fr, &ds, params).unwrap();
    req.config.simulations = 300;
    // 6 trading days a week in this shop.
    assert!(
        (req.config.period_days - 7.0 / 6.0).abs() < 0.05,
        "{}",
        req.config.period_days
    );
    let mut calls = 0;
    let p = req.run(&mut |_, _| {
        calls += 1;
        true
    });
    assert!(calls >= 1);
    assert_eq!(p.skus.len(), 25);
    for (i, s) in p.skus.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(s.order_qty, 0.0, "{}", s.sku);
            assert_eq!(s.status, Status::Overstocked, "{}", s.sku);
        } else {
            assert!(s.order_qty > 0.0, "{} has no stock and must order", s.sku);
            assert!(s.safety_stock >= 0.0);
            assert!(
                s.simulated.fill_rate > s.baseline.fill_rate - 0.02,
                "{}",
                s.sku
            );
        }
        assert_eq!(s.band[1].len(), s.simulated.periods);
    }
    let csv = p.purchase_csv();
    assert_eq!(csv.lines().count(), 1 + 12, "{csv}");
    assert!(
        csv.starts_with("sku,description,on_hand,on_order,order_qty,order_value,expected_arrival")
    );
    // The catalogue trade-off rises with the target.
    assert!(
        p.tradeoff
            .windows(2)
            .all(|w| w[1].investment >= w[0].investment)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn higher_service_never_lowers_the_reorder_point(
        mean in 0.0f64..500.0, sd in 0.0f64..200.0, q in 1.0f64..1000.0,
        a in 0.01f64..0.99, b in 0.01f64..0.99, fill in any::<bool>(),
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let svc = |v| if fill { Service::FillRate(v) } else { Service::Csl(v) };
        let r_lo = policy::reorder_point(mean, sd, q, svc(lo)).unwrap();
        let r_hi = policy::reorder_point(mean, sd, q, svc(hi)).unwrap();
        prop_assert!(r_hi.reorder_point >= r_lo.reorder_point - 1e-9 * (1.0 + mean));
    }

    #[test]
    fn longer_lead_time_never_lowers_safety_stock(
        mean in 0.0f64..100.0, sd in 0.0f64..50.0, l1 in 0.0f64..60.0, dl in 0.0f64..60.0,
        h in 0.01f64..10.0, p in 0.01f64..100.0,
    ) {
        // Base-stock with a critical ratio above one half: safety stock z·σ·√(L+1).
        prop_assume!(p > h);
        let d = Demand::Normal { mean, sd };
        let a = policy::base_stock(h, p, d, l1).unwrap();
        let b = policy::base_stock(h, p, d, l1 + dl).unwrap();
        prop_assert!(b.safety_stock >= a.safety_stock - 1e-9 * (1.0 + a.safety_stock.abs()));
    }

    #[test]
    fn planner_reorder_level_rises_with_service_and_lead_time(
        mean in 0.2f64..30.0, lead in 0.0f64..30.0, extra in 0.0f64..30.0,
        a in 0.5f64..0.99, da in 0.0f64..0.009,
    ) {
        // The planner's empirical lead-time demand: the same draws for both settings.
        let paths: Vec<Vec<f64>> = (0..50u64)
            .map(|i| (0..28u64).map(|t| ((i * 31 + t * 17) % 7) as f64 / 3.0 * mean).collect())
            .collect();
        let mut cfg = plan::PlanConfig::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), 1.0, 7);
        cfg.simulations = 50;
        let d = plan::DemandInput { sku: "A", description: "", paths: &paths, point: &[] };
        let mut p = SkuParams::defaults("A", 10.0);
        p.review_days = 0.0;
        p.lead_time_sd_days = 0.0;
        p.lead_time_days = lead;
        p.service = Service::Csl(a);
        let base = plan::plan_sku(&d, &p, &cfg, 3).unwrap();
        p.service = Service::Csl(a + da);
        let more_service = plan::plan_sku(&d, &p, &cfg, 3).unwrap();
        p.service = Service::Csl(a);
        p.lead_time_days = lead + extra;
        let longer = plan::plan_sku(&d, &p, &cfg, 3).unwrap();
        prop_assert!(more_service.policy.reorder_level() >= base.policy.reorder_level());
        prop_assert!(longer.policy.reorder_level() >= base.policy.reorder_level());
    }
}

#[test]
fn policy_command_prints_json_and_rejects_bad_values() {
    let out = bin()
        .args([
            "policy",
            "eoq",
            "--fixed-cost",
            "8",
            "--holding",
            "0.225",
            "--demand",
            "1300",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["q"].as_f64().unwrap() - 304.05).abs() < 0.01);
    let out = bin()
        .args([
            "policy",
            "ss",
            "--holding",
            "1",
            "--stockout",
            "4",
            "--fixed-cost",
            "5",
            "--poisson",
            "6",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["s"].as_i64(), v["S"].as_i64()), (Some(4), Some(10)));
    let out = bin()
        .args([
            "policy",
            "reorder-point",
            "--lead-time-demand",
            "100",
            "20",
            "--order-qty",
            "50",
            "--csl",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cycle service level"), "{err}");
    let out = bin()
        .args([
            "policy",
            "rq",
            "--holding",
            "1",
            "--stockout",
            "5",
            "--fixed-cost",
            "10",
            "--demand",
            "20",
            "--demand-sd",
            "4",
            "--lead-time",
            "-1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lead time"));
}

#[test]
fn plan_command_writes_the_purchase_list() {
    let fc = tmp("forecast.csv");
    let mut text = String::from("sku,date,p10,p50,p90,model\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for sku in ["A", "B"] {
        for t in 0..28 {
            let d = start + chrono::Duration::days(t);
            text.push_str(&format!("{sku},{d},2,4,7,AutoETS\n"));
        }
    }
    std::fs::write(&fc, text).unwrap();
    let params_path = tmp("skus.csv");
    std::fs::write(
        &params_path,
        "sku,on_hand,lead_time_days,unit_cost,price\nA,0,5,3,10\nB,1000,5,3,10\n",
    )
    .unwrap();
    let orders = tmp("orders.csv");
    let out = bin()
        .arg("plan")
        .arg(&fc)
        .arg("--params")
        .arg(&params_path)
        .arg("--out")
        .arg(&orders)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = std::fs::read_to_string(&orders).unwrap();
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[1].starts_with("A,,0,0,"),
        "the stock used is in the list: {list}"
    );
    // The shop's own stock export over the parameters: Shopify's products export gives
    // A 500 units, so nothing is left to order; the report names what did not match.
    let stock = tmp("products_export.csv");
    std::fs::write(
        &stock,
        "Handle,Title,Vendor,Variant SKU,Variant Inventory Qty,Variant Price,Cost per item,Status\nx,X,Acme,A,500,10,3,active\ny,Y,Acme,GONE,4,10,3,archived\n",
    )
    .unwrap();
    let orders3 = tmp("orders3.csv");
    let out = bin()
        .arg("plan")
        .arg(&fc)
        .arg("--params")
        .arg(&params_path)
        .arg("--stock")
        .arg(&stock)
        .arg("--out")
        .arg(&orders3)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("(Shopify products export (legacy headers)): stock of 1 SKUs matched; 1 sold SKUs are not in the file and keep their stock as it was (B); 1 SKUs in the file have no sales in the data (GONE)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&orders3).unwrap().lines().count(),
        1
    );
    // Open purchase orders: an order for A shows in the plan's stock.
    let pos = tmp("po.csv");
    std::fs::write(
        &pos,
        "sku,quantity,expected date,po number\nA,7,2026-11-30,PO-1\n",
    )
    .unwrap();
    let orders4 = tmp("orders4.csv");
    let out = bin()
        .arg("plan")
        .arg(&fc)
        .arg("--params")
        .arg(&params_path)
        .arg("--orders")
        .arg(&pos)
        .arg("--out")
        .arg(&orders4)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("po.csv: 7 units on 1 open order lines for 1 SKUs now count as on order"),
        "{err}"
    );
    let list = std::fs::read_to_string(&orders4).unwrap();
    assert!(
        list.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("A,,0,7,")),
        "{list}"
    );
    // An unknown SKU in the parameters: exit 2, line and column named, nothing written.
    std::fs::write(&params_path, "sku,on_hand\nA,1\nZZZ,4\n").unwrap();
    let orders2 = tmp("orders2.csv");
    let out = bin()
        .arg("plan")
        .arg(&fc)
        .arg("--params")
        .arg(&params_path)
        .arg("--out")
        .arg(&orders2)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3, column sku: unknown SKU \"ZZZ\""),
        "{err}"
    );
    assert!(!orders2.exists());
    // The template has every SKU with its defaults and reads back.
    let template = tmp("template.csv");
    let out = bin()
        .arg("plan")
        .arg(&fc)
        .arg("--params-template")
        .arg(&template)
        .output()
        .unwrap();
    assert!(out.status.success());
    let t = std::fs::read(&template).unwrap();
    let back = params::merge_csv(
        "template.csv",
        &t,
        &[SkuParams::defaults("A", 0.0), SkuParams::defaults("B", 0.0)],
    )
    .unwrap();
    assert_eq!(back.len(), 2);
}

#[test]
fn plan_command_compares_a_what_if_and_writes_a_supplier_share() {
    let fc = tmp("forecast_w.csv");
    let mut text = String::from("sku,date,p10,p50,p90,model\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for sku in ["A", "B", "C"] {
        for t in 0..28 {
            let d = start + chrono::Duration::days(t);
            text.push_str(&format!("{sku},{d},2,4,7,AutoETS\n"));
        }
    }
    std::fs::write(&fc, text).unwrap();
    let params_path = tmp("skus_w.csv");
    std::fs::write(
        &params_path,
        "sku,on_hand,supplier\nA,10,Acme\nB,10,Acme\nC,10,Birch\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "plan".as_ref(),
            fc.as_os_str(),
            "--params".as_ref(),
            params_path.as_os_str(),
        ])
        .args(["--supplier", "acme", "--lead-time-extra-days", "14"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("what-if: lead time +14 days (supplier acme)"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("reorder levels"))
        .unwrap();
    let nums: Vec<f64> = row
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(nums[1] > nums[0], "{row}");
    let share = tmp("acme.csv");
    let out = bin()
        .args([
            "plan".as_ref(),
            fc.as_os_str(),
            "--params".as_ref(),
            params_path.as_os_str(),
        ])
        .args([
            "--share".as_ref(),
            "Acme".as_ref(),
            "--share-out".as_ref(),
            share.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&share).unwrap();
    assert!(csv.contains("forecast,A,") && csv.contains("forecast,B,") && !csv.contains(",C,"));
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("forecast,")).count(),
        2 * 12
    );
    let out = bin()
        .args([
            "plan".as_ref(),
            fc.as_os_str(),
            "--params".as_ref(),
            params_path.as_os_str(),
        ])
        .args([
            "--share".as_ref(),
            "Nobody".as_ref(),
            "--share-out".as_ref(),
            share.as_os_str(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("suppliers in the parameters: Acme, Birch")
    );
}

/// `--bundles`: a gift set's sales become demand for its mug and spoons before
/// forecasting and planning; the set itself is neither forecast nor on the purchase
/// list; a bad bundle file exits 2 naming its line and column.
#[test]
fn bundles_become_their_components_demand_in_forecast_and_plan() {
    let mut sales = String::from("date,sku,quantity\n");
    for d in 0..120 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d);
        sales.push_str(&format!("{day},MUG,{}\n", 3 + d % 3));
        sales.push_str(&format!("{day},GIFTSET,{}\n", 1 + d % 2));
    }
    let (input, bundles, series, fc) = (
        tmp("b_sales.csv"),
        tmp("b_bundles.csv"),
        tmp("b_series.csv"),
        tmp("b_fc.csv"),
    );
    std::fs::write(&input, sales).unwrap();
    std::fs::write(
        &bundles,
        "bundle sku,component sku,quantity per bundle\nGIFTSET,MUG,1\nGIFTSET,SPOON,4\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "ingest",
            input.to_str().unwrap(),
            "--bundles",
            bundles.to_str().unwrap(),
            "--out",
            series.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bundles: 1 sold, their 180 units became 900 units of 2 components"),
        "{err}"
    );
    let text = std::fs::read_to_string(&series).unwrap();
    assert!(!text.contains("GIFTSET"), "the bundle is not a series");
    let units = |sku: &str| -> f64 {
        text.lines()
            .filter(|l| l.split(',').nth(1) == Some(sku))
            .filter_map(|l| l.split(',').nth(2)?.parse::<f64>().ok())
            .sum()
    };
    assert_eq!(units("MUG"), 480.0 + 180.0);
    assert_eq!(units("SPOON"), 720.0);
    let out = bin()
        .args([
            "forecast",
            input.to_str().unwrap(),
            "--bundles",
            bundles.to_str().unwrap(),
            "--no-pretrained",
            "--h",
            "14",
            "--out",
            fc.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = std::fs::read_to_string(&fc).unwrap();
    assert!(f.contains("SPOON") && f.contains("MUG") && !f.contains("GIFTSET"));
    let plan = bin().args(["plan", fc.to_str().unwrap()]).output().unwrap();
    assert!(plan.status.success());
    assert!(!String::from_utf8_lossy(&plan.stdout).contains("GIFTSET"));
    std::fs::write(
        &bundles,
        "bundle sku,component sku,quantity per bundle\nGIFTSET,MUG,-1\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "ingest",
            input.to_str().unwrap(),
            "--bundles",
            bundles.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2, column quantity per bundle"), "{err}");
}

/// Flags are checked as they are read, into their plausible ranges, with exit 2 and the
/// value named: a plan of 1e9 days ran for hours, `bench-plan` took `inf` as the largest
/// number, and `forecast --model` ignored the flags of the automatic choice.
#[test]
fn implausible_or_conflicting_flags_are_refused_as_they_are_read() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample_store.csv");
    let refused = |args: &[&str], says: &str| {
        let out = bin().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let s = store.to_str().unwrap();
    for (flag, value) in [
        ("--horizon-days", "1e9"),
        ("--horizon-days", "inf"),
        ("--horizon-days", "0"),
        ("--simulations", "0"),
        ("--simulations", "1e12"),
    ] {
        refused(&["plan", s, flag, value], &format!("'{value}'"));
        refused(&["bench-plan", s, flag, value], &format!("'{value}'"));
    }
    refused(&["bench-plan", s, "--runs", "0"], "--runs");
    refused(&["bench-plan", s, "--h", "0"], "--h");
    for extra in [
        &["--season", "7"][..],
        &["--windows", "2"],
        &["--no-pretrained"],
        &["--paths-out", "p.csv"],
        &["--scenarios", "windows", "--paths-out", "p.csv"],
    ] {
        let mut args = vec!["forecast", s, "--model", "pretrained"];
        args.extend_from_slice(extra);
        refused(&args, "cannot be used with");
    }
    // Paths and their dependence mean nothing without a file to write them to.
    refused(&["forecast", s, "--paths", "5"], "--paths-out");
    refused(&["forecast", s, "--scenarios", "windows"], "--paths-out");
}
