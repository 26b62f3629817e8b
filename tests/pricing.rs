//! Price elasticity and price recommendations (`supplycast::pricing`).

use supplycast::data::{self, CancellationRule, ReadOptions};
use supplycast::pricing::{self, Method, synthetic};

/// Median absolute error and 80 % interval coverage over the SKUs with an estimate,
/// and how many of those whose price never moved were (rightly) refused.
fn recovery(seed: u64, skus: usize, weeks: usize) -> (f64, f64, usize, usize, usize) {
    let syn = synthetic::generate(seed, skus, weeks);
    let parsed = data::ingest::parse(
        "synthetic.csv",
        syn.csv.as_bytes(),
        &ReadOptions::default(),
        &mut |_| {},
    )
    .expect("the generated file reads");
    let list = pricing::elasticities(&parsed, CancellationRule::RemoveMatchedOrders);
    let mut errors = Vec::new();
    let mut covered = 0usize;
    let (mut fixed, mut fixed_refused) = (0usize, 0usize);
    for (sku, truth) in &syn.truth {
        let e = list.iter().find(|e| &e.sku == sku).expect("every SKU sold");
        match truth {
            None => {
                fixed += 1;
                if e.method == Method::NotEnough {
                    fixed_refused += 1;
                }
            }
            Some(t) => {
                if let (Some(x), Some(lo), Some(hi)) = (e.elasticity, e.lo, e.hi) {
                    errors.push((x - t).abs());
                    if (lo..=hi).contains(t) {
                        covered += 1;
                    }
                }
            }
        }
    }
    let n = errors.len();
    errors.sort_by(f64::total_cmp);
    (
        errors[n / 2],
        covered as f64 / n as f64,
        n,
        fixed,
        fixed_refused,
    )
}

#[test]
fn elasticities_are_recovered_on_generated_orders() {
    // 200 SKUs over two years (seed 7): the README's figures.
    let (mae, coverage, n, fixed, refused) = recovery(7, 200, 104);
    eprintln!(
        "median abs error {mae:.6}, 80% coverage {coverage:.4}, {n} estimated, {refused}/{fixed} fixed-price refused"
    );
    assert!((mae - 0.2000).abs() < 5e-4, "median absolute error {mae}");
    assert!(
        (coverage - 0.805).abs() < 5e-4,
        "80 % interval coverage {coverage}"
    );
    assert_eq!((n, fixed, refused), (159, 38, 38));
}

#[test]
fn price_recommendation_follows_the_estimate_and_a_file_without_prices_is_refused() {
    let syn = synthetic::generate(3, 40, 104);
    let parsed = data::ingest::parse(
        "synthetic.csv",
        syn.csv.as_bytes(),
        &ReadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let list = pricing::elasticities(&parsed, CancellationRule::RemoveMatchedOrders);
    for e in list.iter().filter(|e| e.elasticity.is_some()) {
        let cost = pricing::CostLine {
            sku: e.sku.clone(),
            unit_cost: 0.4 * e.current_price,
            min_price: None,
            max_price: None,
        };
        let r = pricing::recommend(e, &cost);
        // Never outside the prices the SKU sold at, never a worse margin than today's
        // at its own elasticity.
        assert!(r.price >= e.price_range.0 - 0.005 && r.price <= e.price_range.1 + 0.005);
        assert!(r.weekly_margin.1 >= r.weekly_margin.0 - 1e-6, "{}", e.sku);
    }
    let series = "date,sku,quantity\n2024-01-01,A,3\n2024-01-02,A,4\n";
    let parsed = data::ingest::parse(
        "s.csv",
        series.as_bytes(),
        &ReadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(pricing::elasticities(&parsed, CancellationRule::RemoveMatchedOrders).is_empty());
}
