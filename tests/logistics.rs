//! The logistics commands as a merchant's scripts call them: exact headers in, JSON out,
//! exit status 2 with file, line and column on bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/logistics").join(name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("supplycast-logistics-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn allocate_prints_the_json_the_issue_specifies() {
    let d = fixture("alloc_small");
    let out = bin()
        .args(["allocate", "--unmet-cost", "60", "--json"])
        .arg("--locations").arg(d.join("locations.csv"))
        .arg("--stock").arg(d.join("stock.csv"))
        .arg("--demand").arg(d.join("demand.csv"))
        .arg("--costs").arg(d.join("costs.csv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // scipy HiGHS: 926 (tests/reference/logistics/alloc_small/expected.json).
    assert_eq!(v["cost"], 926.0);
    assert_eq!(v["unmet_units"], 2.0);
    let flows = v["flows"].as_array().unwrap();
    assert!(!flows.is_empty());
    for f in flows {
        for key in ["location", "region", "sku", "units"] {
            assert!(f.get(key).is_some(), "{f}");
        }
    }
    let shipped: f64 = flows.iter().map(|f| f["units"].as_f64().unwrap()).sum();
    let demand: f64 = std::fs::read_to_string(d.join("demand.csv")).unwrap().lines().skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap()).sum();
    assert_eq!(shipped + 2.0, demand);
}

#[test]
fn allocate_without_unmet_cost_exits_2_naming_each_short_sku() {
    let d = fixture("alloc_infeasible");
    let out = bin()
        .arg("allocate")
        .arg("--locations").arg(d.join("locations.csv"))
        .arg("--stock").arg(d.join("stock.csv"))
        .arg("--demand").arg(d.join("demand.csv"))
        .arg("--costs").arg(d.join("costs.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("demand cannot be met"), "{err}");
    assert!(err.contains("SKU000 short by"), "{err}");
}

#[test]
fn allocate_splits_a_forecast_by_region_and_an_order_across_locations() {
    let d = tmp("forecast");
    let l = write(&d, "l.csv", "location,capacity_units,x,y\nLondon,100,0,0\nLeeds,,5,5\n");
    let s = write(&d, "s.csv", "location,sku,on_hand\nLondon,A,10\nLeeds,A,4\n");
    let f = write(&d, "f.csv", "sku,date,p10,p50,p90,model\nA,2026-12-01,1,5,9,ets\nA,2026-12-02,1,5,9,ets\nB,2026-12-01,0,6,9,ets\n");
    let r = write(&d, "r.csv", "region,share\nSouth,0.5\nNorth,0.5\n");
    let c = write(&d, "c.csv", "location,region,cost_per_unit\nLondon,South,1\nLondon,North,4\nLeeds,North,1\nLeeds,South,4\n");
    let o = write(&d, "o.csv", "sku,units\nB,6\n");
    let out = bin()
        .args(["allocate", "--json", "--unmet-cost", "20"])
        .arg("--locations").arg(&l).arg("--stock").arg(&s).arg("--demand").arg(&f)
        .arg("--region-split").arg(&r).arg("--costs").arg(&c).arg("--orders").arg(&o)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // A: 5 units to each region, served from the nearer location where stock allows
    // (Leeds has 4: North gets 4 from Leeds and 1 from London). B: 3 per region, the
    // order split 3/3 so that each region is served locally.
    assert_eq!(v["unmet_units"], 0.0);
    assert_eq!(v["cost"], 5.0 + 4.0 + 4.0 + 3.0 + 3.0);
    let receipts = v["receipts"].as_array().unwrap();
    let at = |loc: &str| receipts.iter().filter(|x| x["location"] == loc).map(|x| x["units"].as_f64().unwrap()).sum::<f64>();
    assert_eq!((at("London"), at("Leeds")), (3.0, 3.0));
}

#[test]
fn rebalance_prints_transfers_through_a_hub() {
    let d = tmp("rebalance");
    let s = write(&d, "s.csv", "location,sku,on_hand,target_min\nA,k,30,10\nB,k,0,8\nC,k,2,5\n");
    let l = write(&d, "l.csv", "from,to,cost_per_unit,capacity_units\nA,HUB,1,\nHUB,B,1,\nHUB,C,1,2\nA,C,5,\n");
    let out = bin().args(["rebalance", "--json"]).arg("--stock").arg(&s).arg("--lanes").arg(&l).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // B needs 8 (via the hub, 2 per unit), C needs 3: 2 via the hub (lane limit 2), 1 direct at 5.
    assert_eq!(v["cost"], 8.0 * 2.0 + 2.0 * 2.0 + 5.0);
    assert_eq!(v["shortfall"].as_array().unwrap().len(), 0);
    let t = v["transfers"].as_array().unwrap();
    let on = |from: &str, to: &str| t.iter().filter(|x| x["from"] == from && x["to"] == to).map(|x| x["units"].as_f64().unwrap()).sum::<f64>();
    assert_eq!(on("A", "HUB"), 10.0);
    assert_eq!(on("HUB", "C"), 2.0);
    assert_eq!(on("A", "C"), 1.0);
}

#[test]
fn bad_logistics_files_exit_2_naming_file_line_and_column() {
    let d = tmp("bad");
    let s = write(&d, "s.csv", "location,sku,on_hand,target_min\nA,k,30,10\nB,k,x,8\n");
    let l = write(&d, "l.csv", "from,to,cost_per_unit,capacity_units\nA,B,-1,\n");
    let out = bin().args(["rebalance"]).arg("--stock").arg(&s).arg("--lanes").arg(&l).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s.csv") && err.contains("line 3, column on_hand: \"x\" is not a number"), "{err}");
    let s = write(&d, "s.csv", "location,sku,on_hand,target_min\nA,k,30,10\n");
    let out = bin().args(["rebalance"]).arg("--stock").arg(&s).arg("--lanes").arg(&l).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("l.csv") && err.contains("line 2, column cost_per_unit: -1 is negative"), "{err}");
}
