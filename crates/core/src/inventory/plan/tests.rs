//! The planner's unit tests: policy choice, budget, shares merged, typed errors, the
//! normal approximation, and the recommended policy against its baseline.

use super::*;
use crate::rng::SplitMix;

fn paths(mean: f64, n: usize, h: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = SplitMix::new(seed);
    (0..n)
        .map(|_| {
            (0..h)
                .map(|_| (mean + mean.sqrt() * rng.normal()).max(0.0).round())
                .collect()
        })
        .collect()
}

fn cfg() -> PlanConfig {
    let mut c = PlanConfig::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 1.0, 7);
    c.simulations = 400;
    c
}

fn plan_one(p: &SkuParams, paths: &[Vec<f64>]) -> SkuPlan {
    let d = DemandInput {
        sku: &p.sku,
        description: "",
        paths,
        point: &[],
    };
    plan_sku(&d, p, &cfg(), 1).unwrap()
}

#[test]
fn shares_planned_apart_and_merged_give_the_plan() {
    // What the browser does on several workers.
    let mut c = cfg();
    c.budget = Some(300.0);
    let req = PlanRequest {
        config: c,
        params: (0..10)
            .map(|k| SkuParams::defaults(&format!("S{k}"), 5.0))
            .collect(),
        demand: (0..10)
            .map(|k| OwnedDemand {
                sku: format!("S{k}"),
                description: String::new(),
                paths: paths(2.0 + k as f64, 100, 28, k as u64),
                point: vec![2.0 + k as f64; 28],
            })
            .collect(),
    };
    let whole = req.run(&mut |_, _| true);
    let parts = [0..3, 3..7, 7..10]
        .into_iter()
        .map(|r| req.run_part(r, &mut |_, _| true))
        .collect();
    let merged = Plan::merge(&req.config, parts);
    assert_eq!(merged, whole);
    assert!(whole.skus.iter().any(|s| !s.in_budget), "the budget binds");
}

#[test]
fn a_sku_that_cannot_be_planned_says_why_in_a_typed_error() {
    let p = SkuParams::defaults("A", 5.0);
    let none = DemandInput {
        sku: "A",
        description: "",
        paths: &[],
        point: &[],
    };
    assert_eq!(
        plan_sku(&none, &p, &cfg(), 1).unwrap_err(),
        InventoryError::NoForecast
    );
    let ps = paths(10.0, 50, 28, 2);
    let d = DemandInput {
        sku: "A",
        description: "",
        paths: &ps,
        point: &[],
    };
    let mut bad = p.clone();
    bad.lead_time_days = -3.0;
    match plan_sku(&d, &bad, &cfg(), 1) {
        Err(InventoryError::InvalidParameters { problems }) => {
            assert!(problems.iter().any(|m| m.contains("lead")), "{problems:?}")
        }
        other => panic!("{other:?}"),
    }
    // The catalogue lists it as skipped with the reason, and plans the rest.
    let plan = plan_catalogue(&[none, d], std::slice::from_ref(&p), &cfg(), &mut |_, _| {
        true
    });
    assert_eq!(plan.skus.len(), 1);
    assert_eq!(
        plan.skipped,
        vec![("A".to_string(), "no forecast".to_string())]
    );
}

#[test]
fn normal_approximation_on_request() {
    let ps = paths(10.0, 200, 28, 5);
    let mut p = SkuParams::defaults("A", 5.0);
    p.review_days = 0.0;
    let mut c = cfg();
    c.normal_approximation = true;
    let d = DemandInput {
        sku: "A",
        description: "",
        paths: &ps,
        point: &[],
    };
    let s = plan_sku(&d, &p, &c, 1).unwrap();
    let (m, sd) = s.lead_time_demand;
    let want = m + sd * crate::inventory::dist::ppf(0.95);
    assert!((s.policy.reorder_level() - want).abs() < 1e-9, "{s:?}");
}

#[test]
fn empty_shelf_orders_now_and_full_shelf_does_not() {
    let ps = paths(10.0, 200, 28, 1);
    let mut p = SkuParams::defaults("A", 5.0);
    let empty = plan_one(&p, &ps);
    assert_eq!(empty.status, Status::OrderNow);
    assert!(empty.order_qty > 0.0);
    assert!(empty.stockout_risk > 0.99);
    assert!(empty.safety_stock > 0.0);
    p.on_hand = 10_000.0;
    let full = plan_one(&p, &ps);
    assert_eq!(full.order_qty, 0.0);
    assert_eq!(full.status, Status::Overstocked);
    assert!((full.days_of_cover - 1000.0).abs() < 50.0);
}

#[test]
fn recommended_beats_no_safety_stock_on_service() {
    let ps = paths(4.0, 200, 28, 2);
    let mut p = SkuParams::defaults("A", 20.0);
    p.on_hand = 60.0;
    let s = plan_one(&p, &ps);
    assert!(s.simulated.fill_rate > s.baseline.fill_rate, "{s:?}");
    assert!(s.simulated.avg_on_hand.mean > s.baseline.avg_on_hand.mean);
    // Trade-off: more service costs more.
    assert!(
        s.tradeoff
            .windows(2)
            .all(|w| w[1].investment >= w[0].investment)
    );
    assert!(
        s.tradeoff
            .windows(2)
            .all(|w| w[1].fill_rate >= w[0].fill_rate - 1e-12)
    );
}

#[test]
fn policy_choice_follows_the_parameters() {
    let ps = paths(3.0, 100, 28, 3);
    let mut p = SkuParams::defaults("A", 10.0);
    p.review_days = 0.0;
    assert!(matches!(
        plan_one(&p, &ps).policy,
        PolicyKind::ReorderPoint { .. }
    ));
    p.review_days = 7.0;
    p.order_cost = 500.0;
    assert!(matches!(
        plan_one(&p, &ps).policy,
        PolicyKind::MinMax { .. }
    ));
    p.order_cost = 0.5;
    assert!(matches!(
        plan_one(&p, &ps).policy,
        PolicyKind::OrderUpTo { .. }
    ));
    p.shelf_life_days = Some(10.0);
    let nv = plan_one(&p, &ps);
    assert!(matches!(nv.policy, PolicyKind::Newsvendor { .. }));
    // Never more than sells in its life.
    assert!(nv.order_qty <= 3.0 * (10.0 + 7.0) + 1.0);
    p.shelf_life_days = None;
    p.case_pack = 12.0;
    p.moq = 30.0;
    let packs = plan_one(&p, &ps);
    assert!(packs.order_qty >= 30.0 && packs.order_qty % 12.0 == 0.0);
}

#[test]
fn budget_takes_the_best_orders_first() {
    let ps = paths(5.0, 100, 28, 4);
    let demand: Vec<_> = ["A", "B", "C"]
        .iter()
        .map(|s| DemandInput {
            sku: s,
            description: "",
            paths: &ps,
            point: &[],
        })
        .collect();
    let mut params = vec![
        SkuParams::defaults("A", 10.0),
        SkuParams::defaults("B", 10.0),
        SkuParams::defaults("C", 10.0),
    ];
    params[1].price = 40.0; // Higher margin: higher priority.
    let mut c = cfg();
    let all = plan_catalogue(&demand, &params, &c, &mut |_, _| true);
    assert!(all.skus.iter().all(|s| s.in_budget && s.order_qty > 0.0));
    c.budget = Some(all.skus[1].order_value + 1.0);
    let capped = plan_catalogue(&demand, &params, &c, &mut |_, _| true);
    assert!(capped.skus[1].in_budget);
    assert!(!capped.skus[0].in_budget && !capped.skus[2].in_budget);
    let csv = capped.purchase_csv();
    assert!(csv.lines().nth(1).unwrap().starts_with("B,"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    let back = Plan::from_bytes(&capped.to_bytes()).unwrap();
    assert_eq!(back.purchase_csv(), csv);
}
