//! The logistics commands as a merchant's scripts call them: exact headers in, JSON out,
//! exit status 2 with file, line and column on bad input.
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/logistics")
        .join(name)
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

/// `allocate --unmet-cost 60 --json` on the small reference instance, with `stock`.
fn allocate_small(stock: &std::path::Path) -> std::process::Output {
    let d = fixture("alloc_small");
    bin()
        .args(["allocate", "--unmet-cost", "60", "--json"])
        .arg("--locations")
        .arg(d.join("locations.csv"))
        .arg("--stock")
        .arg(stock)
        .arg("--demand")
        .arg(d.join("demand.csv"))
        .arg("--costs")
        .arg(d.join("costs.csv"))
        .output()
        .unwrap()
}

#[test]
fn allocate_prints_the_json_the_issue_specifies() {
    let d = fixture("alloc_small");
    let out = allocate_small(&d.join("stock.csv"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let demand: f64 = std::fs::read_to_string(d.join("demand.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(shipped + 2.0, demand);
}

/// The shop's Shopify inventory export (one row per variant and location) is the
/// allocation's stock as it is: the same optimum as the hand-made `location,sku,on_hand`.
#[test]
fn a_shopify_inventory_export_is_the_allocations_stock() {
    let d = fixture("alloc_small");
    let plain = std::fs::read_to_string(d.join("stock.csv")).unwrap();
    let mut export = String::from(
        "Handle,Title,Option1 Name,Option1 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n",
    );
    for line in plain.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (loc, sku, q) = (f[0], f[1], f[2]);
        export.push_str(&format!(
            "{sku},Item,Title,Default,{sku},,,{loc},0,0,0,{q},{q}\n"
        ));
    }
    let path = std::env::temp_dir().join(format!("inventory_export_{}.csv", std::process::id()));
    std::fs::write(&path, export).unwrap();
    let cost = |stock: &std::path::Path| {
        let out = allocate_small(stock);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["cost"].as_f64().unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (from_export, said) = cost(&path);
    assert_eq!(from_export, cost(&d.join("stock.csv")).0);
    assert_eq!(from_export, 926.0);
    assert!(said.contains("Shopify inventory export"), "{said}");
}

#[test]
fn allocate_without_unmet_cost_exits_2_naming_each_short_sku() {
    let d = fixture("alloc_infeasible");
    let out = bin()
        .arg("allocate")
        .arg("--locations")
        .arg(d.join("locations.csv"))
        .arg("--stock")
        .arg(d.join("stock.csv"))
        .arg("--demand")
        .arg(d.join("demand.csv"))
        .arg("--costs")
        .arg(d.join("costs.csv"))
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
    let l = write(
        &d,
        "l.csv",
        "location,capacity_units,x,y\nLondon,100,0,0\nLeeds,,5,5\n",
    );
    let s = write(
        &d,
        "s.csv",
        "location,sku,on_hand\nLondon,A,10\nLeeds,A,4\n",
    );
    let f = write(
        &d,
        "f.csv",
        "sku,date,p10,p50,p90,model\nA,2026-12-01,1,5,9,ets\nA,2026-12-02,1,5,9,ets\nB,2026-12-01,0,6,9,ets\n",
    );
    let r = write(&d, "r.csv", "region,share\nSouth,0.5\nNorth,0.5\n");
    let c = write(
        &d,
        "c.csv",
        "location,region,cost_per_unit\nLondon,South,1\nLondon,North,4\nLeeds,North,1\nLeeds,South,4\n",
    );
    let o = write(&d, "o.csv", "sku,units\nB,6\n");
    let out = bin()
        .args(["allocate", "--json", "--unmet-cost", "20"])
        .arg("--locations")
        .arg(&l)
        .arg("--stock")
        .arg(&s)
        .arg("--demand")
        .arg(&f)
        .arg("--region-split")
        .arg(&r)
        .arg("--costs")
        .arg(&c)
        .arg("--orders")
        .arg(&o)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // A: 5 units to each region, served from the nearer location where stock allows
    // (Leeds has 4: North gets 4 from Leeds and 1 from London). B: 3 per region, the
    // order split 3/3 so that each region is served locally.
    assert_eq!(v["unmet_units"], 0.0);
    assert_eq!(v["cost"], 5.0 + 4.0 + 4.0 + 3.0 + 3.0);
    let receipts = v["receipts"].as_array().unwrap();
    let at = |loc: &str| {
        receipts
            .iter()
            .filter(|x| x["location"] == loc)
            .map(|x| x["units"].as_f64().unwrap())
            .sum::<f64>()
    };
    assert_eq!((at("London"), at("Leeds")), (3.0, 3.0));
}

#[test]
fn rebalance_prints_transfers_through_a_hub() {
    let d = tmp("rebalance");
    let s = write(
        &d,
        "s.csv",
        "location,sku,on_hand,target_min\nA,k,30,10\nB,k,0,8\nC,k,2,5\n",
    );
    let l = write(
        &d,
        "l.csv",
        "from,to,cost_per_unit,capacity_units\nA,HUB,1,\nHUB,B,1,\nHUB,C,1,2\nA,C,5,\n",
    );
    let out = bin()
        .args(["rebalance", "--json"])
        .arg("--stock")
        .arg(&s)
        .arg("--lanes")
        .arg(&l)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // B needs 8 (via the hub, 2 per unit), C needs 3: 2 via the hub (lane limit 2), 1 direct at 5.
    assert_eq!(v["cost"], 8.0 * 2.0 + 2.0 * 2.0 + 5.0);
    assert_eq!(v["shortfall"].as_array().unwrap().len(), 0);
    let t = v["transfers"].as_array().unwrap();
    let on = |from: &str, to: &str| {
        t.iter()
            .filter(|x| x["from"] == from && x["to"] == to)
            .map(|x| x["units"].as_f64().unwrap())
            .sum::<f64>()
    };
    assert_eq!(on("A", "HUB"), 10.0);
    assert_eq!(on("HUB", "C"), 2.0);
    assert_eq!(on("A", "C"), 1.0);
}

/// `rebalance --stockout-cost`: B faces Poisson(12) lead-time demand with nothing on
/// hand, A holds 30 against Poisson(5); a unit moves while its expected stockout saving
/// at B, less the one lost at A, exceeds the lane's 0.5. Reference by enumeration with
/// scipy 1.17.1 (`poisson.pmf`, E[(D − s)⁺] summed to 400):
/// `min(range(31), key=lambda x: 0.5*x + 4*(es(5, 30-x) + es(12, x)))` = 16 units,
/// expected units short after = 0.24667844998962238 (12.000000000000009 before).
#[test]
fn rebalance_by_expected_stockout_cost_matches_enumeration() {
    let d = tmp("rebalance-risk");
    let s = write(
        &d,
        "s.csv",
        "location,sku,on_hand,lead_time_demand\nA,K,30,5\nB,K,0,12\n",
    );
    let l = write(
        &d,
        "l.csv",
        "from,to,cost_per_unit,capacity_units\nA,B,0.5,\nB,A,0.5,\n",
    );
    let out = bin()
        .args(["rebalance", "--json", "--stockout-cost", "4"])
        .arg("--stock")
        .arg(&s)
        .arg("--lanes")
        .arg(&l)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = v["transfers"].as_array().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0]["from"].as_str(), t[0]["units"].as_f64()),
        (Some("A"), Some(16.0))
    );
    assert_eq!(v["cost"], 8.0);
    let after = v["expected_short_after"].as_f64().unwrap();
    let before = v["expected_short_before"].as_f64().unwrap();
    assert!((after - 0.24667844998962238).abs() < 1e-9, "{after}");
    assert!((before - 12.000000000000009).abs() < 1e-9, "{before}");
    // Without the column the stockout objective needs, the file is refused by name.
    let bad = write(&d, "bad.csv", "location,sku,on_hand\nA,K,30\n");
    let out = bin()
        .args(["rebalance", "--stockout-cost", "4", "--stock"])
        .arg(&bad)
        .arg("--lanes")
        .arg(&l)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("bad.csv") && e.contains("lead_time_demand"),
        "{e}"
    );
}

#[test]
fn bad_logistics_files_exit_2_naming_file_line_and_column() {
    let d = tmp("bad");
    let s = write(
        &d,
        "s.csv",
        "location,sku,on_hand,target_min\nA,k,30,10\nB,k,x,8\n",
    );
    let l = write(
        &d,
        "l.csv",
        "from,to,cost_per_unit,capacity_units\nA,B,-1,\n",
    );
    let out = bin()
        .args(["rebalance"])
        .arg("--stock")
        .arg(&s)
        .arg("--lanes")
        .arg(&l)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("s.csv") && err.contains("line 3, column on_hand: \"x\" is not a number"),
        "{err}"
    );
    let s = write(&d, "s.csv", "location,sku,on_hand,target_min\nA,k,30,10\n");
    let out = bin()
        .args(["rebalance"])
        .arg("--stock")
        .arg(&s)
        .arg("--lanes")
        .arg(&l)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("l.csv") && err.contains("line 2, column cost_per_unit: -1 is negative"),
        "{err}"
    );
}

mod routing {
    use std::path::Path;

    use supplycast::logistics::{RouteOptions, Routes, RoutingProblem};

    fn routing(name: &str) -> (String, String) {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reference/routing")
            .join(name);
        (
            p.display().to_string(),
            std::fs::read_to_string(&p).unwrap(),
        )
    }

    fn optimum(name: &str) -> f64 {
        let (_, text) = routing("small_optima.json");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v[name].as_f64().unwrap()
    }

    /// Every delivery served exactly once, every route within capacity, shift and the
    /// time windows (service starts by the window's end).
    pub(super) fn check_valid(p: &RoutingProblem, r: &Routes) {
        let mut seen = vec![0; p.deliveries.len()];
        for route in &r.routes {
            let load: f64 = route.stops.iter().map(|&s| p.deliveries[s].demand).sum();
            assert!(load <= p.capacity, "route load {load} > {}", p.capacity);
            assert_eq!(load, route.load);
            for (&s, &t) in route.stops.iter().zip(&route.arrivals) {
                seen[s] += 1;
                if let Some((_, due)) = p.deliveries[s].window {
                    assert!(
                        t <= due + 1e-9,
                        "{} reached at {t} after {due}",
                        p.deliveries[s].id
                    );
                }
            }
            if let Some((_, close)) = p.depot_window {
                assert!(
                    route.end <= close + 1e-9,
                    "back at {} after {close}",
                    route.end
                );
            }
        }
        for (i, n) in seen.iter().enumerate() {
            let unserved = r.unserved.iter().any(|u| u.0 == i);
            assert_eq!(
                *n + usize::from(unserved),
                1,
                "delivery {} served {n} times",
                p.deliveries[i].id
            );
        }
        let total: f64 = r.routes.iter().map(|x| x.distance).sum();
        assert!((total - r.cost).abs() < 1e-6);
    }

    /// A fixed amount of search (generations), not of time, so that a busy machine
    /// running the other tests beside it does not cut the search short; `seconds` is a
    /// guard only.
    fn options(seconds: f64) -> RouteOptions {
        RouteOptions {
            time_limit: seconds * 12.0,
            max_generations: Some(10_000),
            repeatable: true,
            ..Default::default()
        }
    }

    /// `VEHICLES : 1000000000000000000` aborted `route` on a failed allocation; a
    /// fleet read from a file (or given beside it) is bounded before anything is built.
    #[test]
    fn huge_fleets_are_refused_with_the_line() {
        let (f, t) = routing("small_cvrp.vrp");
        let huge = t.replace(
            "CAPACITY : 30",
            "CAPACITY : 30\nVEHICLES : 1000000000000000000",
        );
        let e = RoutingProblem::parse(&f, &huge, None, None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "line 7: VEHICLES 1000000000000000000 must be a whole number from 1 to 3000"
            ),
            "{e}"
        );
        let e = RoutingProblem::parse(&f, &t, Some(usize::MAX), None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 3000"), "{e}");
        let (f, t) = routing("small_vrptw.txt");
        let huge = t.replace("  10         40", "  1e18         40");
        let e = RoutingProblem::parse(&f, &huge, None, None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "line 5: VEHICLE NUMBER 1000000000000000000 must be a whole number from 1 to 3000"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_small_cvrplib_instance_is_solved_within_1_percent_of_its_proven_optimum() {
        let (f, t) = routing("small_cvrp.vrp");
        let p = RoutingProblem::parse(&f, &t, None, None, None).unwrap();
        assert_eq!(p.deliveries.len(), 12);
        let r = p.solve(&options(5.0), None).unwrap();
        check_valid(&p, &r);
        assert!(r.unserved.is_empty());
        assert!(
            r.cost <= optimum("small_cvrp.vrp") * 1.01 + 1e-6,
            "{} vs {}",
            r.cost,
            optimum("small_cvrp.vrp")
        );
    }

    #[test]
    fn a_small_solomon_form_instance_with_time_windows_is_solved_within_1_percent_of_its_proven_optimum()
     {
        let (f, t) = routing("small_vrptw.txt");
        let p = RoutingProblem::parse(&f, &t, None, None, None).unwrap();
        assert_eq!((p.deliveries.len(), p.vehicles, p.capacity), (10, 10, 40.0));
        let r = p.solve(&options(5.0), None).unwrap();
        check_valid(&p, &r);
        assert!(r.unserved.is_empty());
        assert!(
            r.cost <= optimum("small_vrptw.txt") * 1.01 + 1e-6,
            "{} vs {}",
            r.cost,
            optimum("small_vrptw.txt")
        );
    }

    #[test]
    fn deliveries_that_no_vehicle_can_serve_are_listed_with_the_reason() {
        let text = "id,x,y,demand,ready,due,service\ndepot,0,0,0,0,100,0\na,3,4,2,,,\nb,30,40,50,,,\nc,60,80,1,0,20,0\nd,40,30,1,,,60\n";
        let p = RoutingProblem::from_csv("day.csv", text, 2, 10.0, None).unwrap();
        let r = p.solve(&options(1.0), None).unwrap();
        check_valid(&p, &r);
        let why = |id: &str| {
            r.unserved
                .iter()
                .find(|u| p.deliveries[u.0].id == id)
                .map(|u| u.1.clone())
                .unwrap_or_default()
        };
        assert!(
            why("b").contains("larger than a vehicle's capacity"),
            "{:?}",
            r.unserved
        );
        assert!(
            why("c").contains("after the window closes"),
            "{:?}",
            r.unserved
        );
        assert!(
            why("d").contains("cannot be back at the depot"),
            "{:?}",
            r.unserved
        );
        assert_eq!(r.routes.iter().map(|x| x.stops.len()).sum::<usize>(), 1);
    }

    #[test]
    fn fewest_vehicles_trades_distance_for_a_vehicle() {
        // Two 6-unit stops in the east, two 4-unit stops in the west, vans of 10: the
        // least distance takes three vans (each 6 alone, the 4s together: 200 + 200 + 201.015);
        // two vans must each go east and west (about 800).
        let text = "id,x,y,demand\ndepot,0,0,0\ne1,100,0,6\ne2,100,1,6\nw1,-100,0,4\nw2,-100,1,4\n";
        let mut p = RoutingProblem::from_csv("day.csv", text, 4, 10.0, None).unwrap();
        let shortest = p.solve(&options(2.0), None).unwrap();
        check_valid(&p, &shortest);
        assert_eq!(shortest.vehicles, 3);
        assert!((shortest.cost - 601.015).abs() < 0.001, "{}", shortest.cost);
        p.fewest_vehicles = true;
        let fewest = p.solve(&options(2.0), None).unwrap();
        check_valid(&p, &fewest);
        assert_eq!(fewest.vehicles, 2);
        assert!(fewest.cost > 790.0, "{}", fewest.cost);
    }

    #[test]
    fn bad_delivery_files_name_line_and_column() {
        let e = RoutingProblem::from_csv(
            "day.csv",
            "id,x,y,demand\ndepot,0,0,0\na,,4,2\nb,1,1,-3\n",
            2,
            10.0,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("day.csv") && e.contains("line 3, column x"),
            "{e}"
        );
        assert!(e.contains("line 4, column demand: -3 is negative"), "{e}");
        let e = RoutingProblem::from_csv("day.csv", "id,x,y,demand\na,1,4,2\n", 2, 10.0, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no row with id \"depot\""), "{e}");
        let e = RoutingProblem::from_cvrplib(
            "x.vrp",
            "NAME : x\nDIMENSION : 3\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : GEO\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 4") && e.contains("only EUC_2D"), "{e}");
        // A file too large to route says so instead of exhausting memory.
        let mut big = String::from("id,x,y,demand\ndepot,0,0,0\n");
        for i in 0..3001 {
            big.push_str(&format!("s{i},{i},1,1\n"));
        }
        let e = RoutingProblem::from_csv("big.csv", &big, 2, 10.0, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("3001 deliveries: at most 3000"), "{e}");
    }
}

#[test]
fn route_command_solves_a_lat_lon_day_and_writes_the_stop_order() {
    let d = tmp("route");
    let csv = d.join("stops.csv");
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/routing/small_latlon.csv");
    let out = bin()
        .args([
            "route",
            "--vehicles",
            "5",
            "--capacity",
            "20",
            "--time-limit",
            "5",
            "--repeatable",
            "--json",
        ])
        .arg(&file)
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let optima: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/routing/small_optima.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let best = optima["small_latlon.csv"].as_f64().unwrap();
    assert!(
        v["cost"].as_f64().unwrap() <= best * 1.01 + 1e-6,
        "{} vs {best}",
        v["cost"]
    );
    let stops: Vec<String> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(stops.len(), 9);
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with("vehicle,stop,id,arrival,load_after\n"));
    assert_eq!(written.lines().count(), 10);
}

mod benchmarks {
    use std::path::Path;

    use supplycast::logistics::{RouteOptions, RoutingProblem};

    /// CVRPLIB instances with proven optima (X: Uchoa et al. 2017; M: Christofides,
    /// Mingozzi & Toth 1979), from the PyVRP/VRPLIB repository's test data. The
    /// issue's bar (within 1 % in 30 s) is measured by scripts/route-bench.sh (all seven
    /// instances within 0.07 %); this asserts the same 1 % after a fixed 5,000
    /// generations of the hybrid genetic search with a fixed seed (one thread, so the run
    /// is repeatable and a busy CI machine cannot cut it short; both end at the optimum
    /// in about 2.5 s).
    fn within(name: &str, bound: f64) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/routing");
        let text = std::fs::read_to_string(dir.join(format!("{name}.vrp"))).unwrap();
        let sol = std::fs::read_to_string(dir.join(format!("{name}.sol"))).unwrap();
        let best: f64 = sol
            .lines()
            .find_map(|l| l.strip_prefix("Cost "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let p = RoutingProblem::parse(name, &text, None, None, None).unwrap();
        let options = RouteOptions {
            time_limit: 120.0,
            max_generations: Some(5000),
            repeatable: true,
            ..Default::default()
        };
        let r = p.solve(&options, None).unwrap();
        super::routing::check_valid(&p, &r);
        assert!(r.unserved.is_empty());
        let gap = (r.cost - best) / best;
        eprintln!(
            "{name}: {} vs optimum {best} ({:.2} %) in {:.1} s",
            r.cost,
            gap * 100.0,
            r.seconds
        );
        assert!(
            gap < bound,
            "{name}: {} is {:.2} % above the optimum {best}",
            r.cost,
            gap * 100.0
        );
    }

    #[test]
    fn x_n110_k13_within_1_percent_of_its_optimum() {
        within("X-n110-k13", 0.01);
    }

    #[test]
    fn x_n101_k25_within_1_percent_of_its_optimum() {
        within("X-n101-k25", 0.01);
    }

    #[test]
    fn a_search_continued_from_earlier_routes_never_ends_worse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/routing");
        let text = std::fs::read_to_string(dir.join("X-n101-k25.vrp")).unwrap();
        let p = RoutingProblem::parse("X-n101-k25", &text, None, None, None).unwrap();
        let short = RouteOptions {
            time_limit: 60.0,
            max_generations: Some(50),
            repeatable: true,
            ..Default::default()
        };
        let first = p.solve(&short, None).unwrap();
        let second = p.solve(&short, Some(&first)).unwrap();
        super::routing::check_valid(&p, &second);
        assert!(
            second.cost <= first.cost,
            "{} after {}",
            second.cost,
            first.cost
        );
    }
}

#[test]
fn region_shares_from_an_order_export_split_a_forecast_for_allocation() {
    let d = tmp("shares");
    let orders = write(
        &d,
        "orders.csv",
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
         1,A,\"MUG, RED\",30,2010-01-04 10:00:00,1.5,1,United Kingdom\n\
         2,A,\"MUG, RED\",10,2010-01-05 10:00:00,1.5,2,France\n\
         C3,A,\"MUG, RED\",-10,2010-01-05 11:00:00,1.5,2,France\n\
         4,B,PLATE,5,2010-01-06 10:00:00,2.0,3,France\n",
    );
    let shares = d.join("shares.csv");
    let out = bin()
        .arg("region-shares")
        .arg(&orders)
        .arg("--out")
        .arg(&shares)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&shares).unwrap();
    assert!(text.starts_with("region,sku,share\n"));
    // A went only to the UK once France's order was cancelled; overall 30 of 35 units.
    assert!(text.contains("United Kingdom,A,1.000000\n"), "{text}");
    assert!(text.contains("France,B,1.000000\n"), "{text}");
    assert!(text.contains("United Kingdom,,0.857143\n"), "{text}");
    // C is not in the export: it takes the shares over all SKUs.
    let l = write(&d, "l.csv", "location,capacity_units\nLondon,\nParis,\n");
    let s = write(
        &d,
        "s.csv",
        "location,sku,on_hand\nLondon,A,100\nParis,B,100\nLondon,C,100\n",
    );
    let f = write(
        &d,
        "f.csv",
        "sku,date,p10,p50,p90,model\nA,2026-12-01,1,10,20,ets\nB,2026-12-01,1,4,20,ets\nC,2026-12-01,1,7,20,ets\n",
    );
    let c = write(
        &d,
        "c.csv",
        "location,region,cost_per_unit\nLondon,United Kingdom,1\nParis,France,1\nLondon,France,3\n",
    );
    let out = bin()
        .args(["allocate", "--json"])
        .arg("--locations")
        .arg(&l)
        .arg("--stock")
        .arg(&s)
        .arg("--demand")
        .arg(&f)
        .arg("--region-split")
        .arg(&shares)
        .arg("--costs")
        .arg(&c)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let units = |region: &str, sku: &str| -> f64 {
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["region"] == region && x["sku"] == sku)
            .map(|x| x["units"].as_f64().unwrap())
            .sum()
    };
    assert_eq!(units("United Kingdom", "A"), 10.0);
    assert_eq!(units("France", "B"), 4.0);
    // C: 7 × 6/7 = 6 to the UK, 1 to France (from London at 3).
    assert_eq!(units("United Kingdom", "C"), 6.0);
    assert_eq!(units("France", "C"), 1.0);
}

#[test]
fn allocate_prices_lanes_by_distance_where_no_cost_is_given() {
    let d = tmp("distance");
    let l = write(
        &d,
        "l.csv",
        "location,capacity_units,x,y\nA,,0,0\nB,,10,0\n",
    );
    let s = write(&d, "s.csv", "location,sku,on_hand\nA,k,5\nB,k,5\n");
    let dm = write(&d, "d.csv", "region,sku,demand\nnear_a,k,3\nnear_b,k,4\n");
    let rc = write(&d, "r.csv", "region,x,y\nnear_a,0,3\nnear_b,10,4\n");
    // One lane given: B → near_a at 1 per unit, cheaper than A's 2 × 3 = 6.
    let c = write(&d, "c.csv", "location,region,cost_per_unit\nB,near_a,1\n");
    let out = bin()
        .args(["allocate", "--json", "--rate-per-distance", "2"])
        .arg("--locations")
        .arg(&l)
        .arg("--stock")
        .arg(&s)
        .arg("--demand")
        .arg(&dm)
        .arg("--costs")
        .arg(&c)
        .arg("--region-coords")
        .arg(&rc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Costs: A→near_a 2 × 3 = 6, A→near_b 2 × √116 ≈ 21.5, B→near_a 1 (given), B→near_b
    // 2 × 4 = 8. B's 5 units: 4 to near_b (32) and 1 to near_a (1); A sends near_a the
    // other 2 (12): 45.
    assert!(
        (v["cost"].as_f64().unwrap() - 45.0).abs() < 1e-6,
        "{}",
        v["cost"]
    );
    // Without coordinates for a location, the error names it.
    let l2 = write(&d, "l2.csv", "location,capacity_units\nA,\nB,\n");
    let out = bin()
        .args(["allocate", "--rate-per-distance", "2"])
        .arg("--locations")
        .arg(&l2)
        .arg("--stock")
        .arg(&s)
        .arg("--demand")
        .arg(&dm)
        .arg("--region-coords")
        .arg(&rc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("location \"A\" has no coordinates"), "{err}");
}
