//! Allocation and rebalancing optima against SciPy 1.17.1's HiGHS (linprog for the
//! allocation LP, milp for rebalancing with whole units) on generated instances: a
//! small one, a degenerate one (equal costs, stock exactly equal to demand), one with
//! unmet demand, one with a location of zero capacity, a must-meet one that is
//! feasible and one that is not, and the 5 locations × 200 SKUs × 30 regions size.
//! Fixtures and the script that made them: tests/reference/logistics/.
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use supplycast::logistics::{AllocationProblem, LogisticsError, RebalanceProblem};

fn read(dir: &Path, name: &str) -> (String, String) {
    let p = dir.join(name);
    (
        p.display().to_string(),
        std::fs::read_to_string(&p).unwrap(),
    )
}

fn expected(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn allocation(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/logistics")
        .join(name);
    let (l, s, d, c) = (
        read(&dir, "locations.csv"),
        read(&dir, "stock.csv"),
        read(&dir, "demand.csv"),
        read(&dir, "costs.csv"),
    );
    let mut p = AllocationProblem::from_csv((&l.0, &l.1), (&s.0, &s.1), (&d.0, &d.1), (&c.0, &c.1))
        .unwrap();
    let want = expected(&dir);
    p.unmet_cost = want["unmet_cost"].as_f64();
    match p.solve() {
        Ok(a) => {
            assert!(
                rel(a.cost, want["objective"].as_f64().unwrap()) < 1e-6,
                "{name}: cost {} vs {}",
                a.cost,
                want["objective"]
            );
            assert!(
                rel(a.unmet_units, want["unmet_units"].as_f64().unwrap()) < 1e-6,
                "{name}: unmet {}",
                a.unmet_units
            );
            assert!(
                rel(a.breakdown.shipping, want["shipping"].as_f64().unwrap()) < 1e-6,
                "{name}: shipping"
            );
            assert!(
                a.flows
                    .iter()
                    .all(|f| f.units.fract() == 0.0 && f.units > 0.0)
            );
            // Every location within capacity; every region·SKU served at most its demand.
            for cap in &a.capacity {
                if let Some(c) = cap.capacity {
                    assert!(
                        cap.shipped <= c,
                        "{name}: {} ships {} > {c}",
                        cap.location,
                        cap.shipped
                    );
                }
            }
            assert_ne!(
                want["feasible"],
                serde_json::json!(false),
                "{name}: solved an infeasible instance"
            );
        }
        Err(LogisticsError::Infeasible { short }) => {
            assert_eq!(
                want["feasible"],
                serde_json::json!(false),
                "{name}: said infeasible"
            );
            let total: f64 = short.iter().map(|s| s.1).sum();
            assert!(
                rel(total, want["unmet_units"].as_f64().unwrap()) < 1e-6,
                "{name}: short {total}"
            );
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn allocation_small_matches_highs() {
    allocation("alloc_small");
}

#[test]
fn allocation_degenerate_matches_highs() {
    allocation("alloc_degenerate");
}

#[test]
fn allocation_with_unmet_demand_matches_highs() {
    allocation("alloc_unmet");
}

#[test]
fn allocation_with_a_zero_capacity_location_matches_highs() {
    allocation("alloc_zero_capacity");
}

#[test]
fn allocation_that_must_meet_all_demand_matches_highs() {
    allocation("alloc_must_meet");
}

#[test]
fn allocation_that_cannot_meet_demand_names_the_shortfall_as_highs_finds_it() {
    allocation("alloc_infeasible");
}

#[test]
fn allocation_5_locations_200_skus_30_regions_matches_highs() {
    allocation("alloc_5x200x30");
}

fn rebalance(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/logistics")
        .join(name);
    let (s, l) = (read(&dir, "stock.csv"), read(&dir, "lanes.csv"));
    let p = RebalanceProblem::from_csv((&s.0, &s.1), (&l.0, &l.1)).unwrap();
    let r = p.solve().unwrap();
    let want = expected(&dir);
    let short: f64 = r.shortfall.iter().map(|s| s.2).sum();
    assert!(
        rel(short, want["shortfall_units"].as_f64().unwrap()) < 1e-6,
        "{name}: shortfall {short} vs {}",
        want["shortfall_units"]
    );
    assert!(
        rel(r.cost, want["cost"].as_f64().unwrap()) < 1e-6,
        "{name}: cost {} vs {}",
        r.cost,
        want["cost"]
    );
    // Lanes within capacity, shared by all SKUs.
    for lane in &p.lanes {
        let moved: f64 = r
            .transfers
            .iter()
            .filter(|t| t.from == lane.from && t.to == lane.to)
            .map(|t| t.units)
            .sum();
        assert!(
            lane.capacity.is_none_or(|c| moved <= c),
            "{name}: {} → {} moves {moved}",
            lane.from,
            lane.to
        );
    }
}

#[test]
fn rebalancing_without_lane_limits_matches_highs() {
    rebalance("rebal_open");
}

#[test]
fn rebalancing_with_shared_lane_capacity_matches_highs() {
    rebalance("rebal_shared_lanes");
}

#[test]
fn rebalancing_short_of_stock_matches_highs() {
    rebalance("rebal_short");
}
