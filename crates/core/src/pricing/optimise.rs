//! The margin-maximising price for a unit cost, from a SKU's elasticity.
//!
//! Demand at price `p` is taken as `q(p) = q₀ · (p / p₀)^e` around the current price
//! `p₀` and demand rate `q₀` (constant elasticity), so the weekly margin
//! `(p − c) · q(p)` peaks at `p* = c · e / (1 + e)` when demand is elastic (`e < −1`)
//! and grows with the price without end when it is not. Neither is trusted beyond
//! the prices the data has seen: the search stays inside the merchant's range, by
//! default the SKU's own lowest and highest weekly prices.

use serde::{Deserialize, Serialize};

use super::CostLine;
use super::elasticity::Elasticity;

/// The recommendation for one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceChoice {
    /// The SKU.
    pub sku: String,
    /// Its unit cost.
    pub unit_cost: f64,
    /// The price it sells at now (its last week with a sale).
    pub current_price: f64,
    /// The recommended price (to the cent; the current one when nothing is known).
    pub price: f64,
    /// The range searched.
    pub range: (f64, f64),
    /// The elasticity used (`None`: not enough price variation).
    pub elasticity: Option<f64>,
    /// Units a week now and at the recommended price.
    pub weekly_units: (f64, f64),
    /// Revenue a week now and at the recommended price.
    pub weekly_revenue: (f64, f64),
    /// Margin a week now and at the recommended price.
    pub weekly_margin: (f64, f64),
    /// Demand at the recommended price over demand now (what the planner scales the
    /// forecast by).
    pub demand_factor: f64,
    /// Why, in a sentence.
    pub reason: String,
}

fn round_cents(p: f64) -> f64 {
    (p * 100.0).round() / 100.0
}

/// The margin-maximising price of one SKU for its cost line.
pub fn recommend(e: &Elasticity, cost: &CostLine) -> PriceChoice {
    let p0 = e.current_price;
    let q0 = e.weekly_units;
    let c = cost.unit_cost;
    let mut lo = cost.min_price.unwrap_or(e.price_range.0);
    let mut hi = cost.max_price.unwrap_or(e.price_range.1);
    if !(lo.is_finite() && hi.is_finite()) || lo <= 0.0 || hi < lo {
        (lo, hi) = (p0, p0);
    }
    let demand = |p: f64, el: f64| q0 * (p / p0).powf(el);
    let margin = |p: f64, el: f64| (p - c) * demand(p, el);
    let now = (q0, q0 * p0, (p0 - c) * q0);
    let keep = |reason: String| PriceChoice {
        sku: e.sku.clone(),
        unit_cost: c,
        current_price: p0,
        price: p0,
        range: (lo, hi),
        elasticity: e.elasticity,
        weekly_units: (q0, q0),
        weekly_revenue: (now.1, now.1),
        weekly_margin: (now.2, now.2),
        demand_factor: 1.0,
        reason,
    };
    let Some(el) = e.elasticity else {
        return keep(
            "not enough price variation in the orders to tell how demand answers a price change: keep the current price".into(),
        );
    };
    if p0 <= 0.0 {
        return keep("no current price to start from".into());
    }
    let interior = (el < -1.0).then(|| c * el / (1.0 + el));
    let mut candidates = vec![lo, hi];
    if let Some(p) = interior {
        candidates.push(p.clamp(lo, hi));
    }
    let best = candidates
        .into_iter()
        .map(round_cents)
        .max_by(|a, b| margin(*a, el).total_cmp(&margin(*b, el)))
        .unwrap_or(p0);
    let q1 = demand(best, el);
    let reason = match interior {
        Some(p) if (lo..=hi).contains(&p) => format!(
            "demand is elastic ({el:.2}): the margin peaks at cost × e/(1+e) = {:.2}",
            p
        ),
        Some(p) => format!(
            "demand is elastic ({el:.2}); the margin would peak at {p:.2}, outside the range {lo:.2}–{hi:.2}, so the nearest end"
        ),
        None => format!(
            "demand falls by less than the price rises ({el:.2}): the margin grows with the price, so the top of the range {lo:.2}–{hi:.2} (prices beyond what the data has seen are not trusted)"
        ),
    };
    PriceChoice {
        sku: e.sku.clone(),
        unit_cost: c,
        current_price: p0,
        price: best,
        range: (lo, hi),
        elasticity: Some(el),
        weekly_units: (q0, q1),
        weekly_revenue: (now.1, q1 * best),
        weekly_margin: (now.2, margin(best, el)),
        demand_factor: if q0 > 0.0 { q1 / q0 } else { 1.0 },
        reason,
    }
}

/// `sku,unit_cost,current_price,price,elasticity,units_now,units_new,revenue_now,
/// revenue_new,margin_now,margin_new,reason` (weekly figures).
pub fn to_csv(list: &[PriceChoice]) -> String {
    let mut out = String::from(
        "sku,unit_cost,current_price,price,elasticity,weekly_units_now,weekly_units_new,weekly_revenue_now,weekly_revenue_new,weekly_margin_now,weekly_margin_new,reason\n",
    );
    for p in list {
        out.push_str(&format!(
            "{},{},{:.2},{:.2},{},{:.3},{:.3},{:.2},{:.2},{:.2},{:.2},{}\n",
            crate::data::csv_field(&p.sku),
            p.unit_cost,
            p.current_price,
            p.price,
            p.elasticity.map(|e| format!("{e:.4}")).unwrap_or_default(),
            p.weekly_units.0,
            p.weekly_units.1,
            p.weekly_revenue.0,
            p.weekly_revenue.1,
            p.weekly_margin.0,
            p.weekly_margin.1,
            crate::data::csv_field(&p.reason)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::elasticity::Method;
    use super::*;

    fn est(el: Option<f64>) -> Elasticity {
        Elasticity {
            sku: "A".into(),
            description: String::new(),
            elasticity: el,
            lo: None,
            hi: None,
            own: None,
            n_prices: 4,
            n_lines: 40,
            n_weeks: 20,
            method: Method::Own,
            current_price: 10.0,
            price_range: (6.0, 14.0),
            weekly_units: 20.0,
        }
    }

    fn cost(c: f64) -> CostLine {
        CostLine {
            sku: "A".into(),
            unit_cost: c,
            min_price: None,
            max_price: None,
        }
    }

    #[test]
    fn elastic_demand_gives_the_textbook_markup() {
        // e = -2: p* = 2c = 8 for c = 4, inside 6–14.
        let r = recommend(&est(Some(-2.0)), &cost(4.0));
        assert_eq!(r.price, 8.0);
        assert!((r.weekly_units.1 - 20.0 * (0.8f64).powf(-2.0)).abs() < 1e-9);
        assert!(r.weekly_margin.1 > r.weekly_margin.0);
        // No price in the range does better (a grid check).
        for k in 0..=80 {
            let p = 6.0 + 0.1 * k as f64;
            let m = (p - 4.0) * 20.0 * (p / 10.0f64).powf(-2.0);
            assert!(m <= r.weekly_margin.1 + 1e-9, "{p}: {m}");
        }
    }

    #[test]
    fn inelastic_demand_stops_at_the_top_of_the_range_and_unknown_keeps_the_price() {
        let r = recommend(&est(Some(-0.5)), &cost(4.0));
        assert_eq!(r.price, 14.0);
        let mut c = cost(4.0);
        c.max_price = Some(11.0);
        assert_eq!(recommend(&est(Some(-0.5)), &c).price, 11.0);
        let k = recommend(&est(None), &cost(4.0));
        assert_eq!(k.price, 10.0);
        assert_eq!(k.demand_factor, 1.0);
        assert!(k.reason.contains("not enough price variation"));
    }
}
