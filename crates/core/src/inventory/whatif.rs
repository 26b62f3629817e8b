//! What-if scenarios on a plan: a supplier's lead time grows (or wobbles more), demand
//! rises or falls for a stretch of days, an MOQ changes, a budget cap — each planned
//! again on the *same* sample paths and random numbers as the base plan, so the
//! difference is the change and not simulation noise.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::plan::{OwnedDemand, Plan, PlanRequest, period_dates};

/// One what-if: every field left at its default changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    /// Only the SKUs of this supplier (the parameters' `supplier`); `None`: every SKU.
    pub supplier: Option<String>,
    /// Days added to every lead time (negative shortens, never below 0).
    pub lead_time_extra_days: f64,
    /// Factor on the lead times' standard deviation (1: unchanged).
    pub lead_time_sd_factor: f64,
    /// Demand change as a fraction (0.2: +20 %, −0.3: −30 %).
    pub demand_change: f64,
    /// First and last day the demand change applies (`None`: the whole horizon).
    pub demand_window: Option<(NaiveDate, NaiveDate)>,
    /// A new minimum order quantity.
    pub moq: Option<f64>,
    /// A new budget cap for today's orders (`None`: the base plan's).
    pub budget: Option<f64>,
    /// New selling prices, each with the demand change it brings (from the SKU's
    /// price elasticity).
    pub prices: Vec<PriceChange>,
}

/// A SKU sold at a new price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceChange {
    /// The SKU.
    pub sku: String,
    /// The new selling price.
    pub price: f64,
    /// Demand at the new price over demand now.
    pub demand_factor: f64,
}

impl Default for WhatIf {
    fn default() -> WhatIf {
        WhatIf {
            supplier: None,
            lead_time_extra_days: 0.0,
            lead_time_sd_factor: 1.0,
            demand_change: 0.0,
            demand_window: None,
            moq: None,
            budget: None,
            prices: Vec::new(),
        }
    }
}

impl WhatIf {
    /// A short description ("lead time +14 days, demand +20 % from … to …").
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.lead_time_extra_days != 0.0 {
            parts.push(format!("lead time {:+} days", self.lead_time_extra_days));
        }
        if self.lead_time_sd_factor != 1.0 {
            parts.push(format!(
                "lead-time variability ×{}",
                crate::format::figure(self.lead_time_sd_factor, 2)
            ));
        }
        if self.demand_change != 0.0 {
            let window = match self.demand_window {
                Some((a, b)) => format!(" from {a} to {b}"),
                None => String::new(),
            };
            let sign = if self.demand_change > 0.0 { "+" } else { "" };
            parts.push(format!(
                "demand {sign}{}%{window}",
                crate::format::figure(100.0 * self.demand_change, 1)
            ));
        }
        if let Some(m) = self.moq {
            parts.push(format!("MOQ {}", crate::format::units(m)));
        }
        if let Some(b) = self.budget {
            parts.push(format!("budget {}", crate::format::figure(b, 2)));
        }
        if !self.prices.is_empty() {
            parts.push(format!("new prices for {} SKUs", self.prices.len()));
        }
        let scope = match &self.supplier {
            Some(s) => format!(" (supplier {s})"),
            None => String::new(),
        };
        if parts.is_empty() {
            format!("no change{scope}")
        } else {
            format!("{}{scope}", parts.join(", "))
        }
    }

    /// Checks the figures; every problem named.
    pub fn validate(&self) -> Result<(), super::InventoryError> {
        let bad = |name: &'static str, value: f64, rule: &'static str| {
            Err(super::InventoryError::Parameter { name, value, rule })
        };
        if !self.lead_time_extra_days.is_finite() {
            return bad(
                "lead_time_extra_days",
                self.lead_time_extra_days,
                "a number of days",
            );
        }
        if !(self.lead_time_sd_factor.is_finite() && self.lead_time_sd_factor >= 0.0) {
            return bad("lead_time_sd_factor", self.lead_time_sd_factor, "0 or more");
        }
        if !(self.demand_change.is_finite() && self.demand_change > -1.0) {
            return bad("demand_change", self.demand_change, "above -100 %");
        }
        if let Some(m) = self.moq
            && !(m.is_finite() && m >= 1.0)
        {
            return bad("moq", m, "at least 1");
        }
        if let Some(b) = self.budget
            && !(b.is_finite() && b >= 0.0)
        {
            return bad("budget", b, "0 or more");
        }
        for p in &self.prices {
            if !(p.price.is_finite() && p.price > 0.0) {
                return bad("price", p.price, "above 0");
            }
            if !(p.demand_factor.is_finite() && p.demand_factor >= 0.0) {
                return bad("demand_factor", p.demand_factor, "0 or more");
            }
        }
        Ok(())
    }
}

/// Multiplies a SKU's demand (every path and the point forecast) by `factor` from
/// period `from` to period `to` (exclusive).
pub fn scale_demand_range(d: &mut OwnedDemand, factor: f64, from: usize, to: usize) {
    for path in &mut d.paths {
        for v in path.iter_mut().take(to).skip(from) {
            *v *= factor;
        }
    }
    for v in d.point.iter_mut().take(to).skip(from) {
        *v *= factor;
    }
}

/// Multiplies a SKU's whole demand by `factor` (e.g. the demand change a new price
/// brings).
pub fn scale_demand(d: &mut OwnedDemand, factor: f64) {
    let n = d
        .point
        .len()
        .max(d.paths.iter().map(Vec::len).max().unwrap_or(0));
    scale_demand_range(d, factor, 0, n);
}

/// The request with the what-if applied.
pub fn apply(req: &PlanRequest, w: &WhatIf) -> PlanRequest {
    let mut out = req.clone();
    let in_scope = |sku: &str| match &w.supplier {
        None => true,
        Some(s) => req
            .params
            .iter()
            .any(|p| p.sku == sku && p.supplier.eq_ignore_ascii_case(s)),
    };
    for p in &mut out.params {
        if !in_scope(&p.sku) {
            continue;
        }
        p.lead_time_days = (p.lead_time_days + w.lead_time_extra_days).max(0.0);
        p.lead_time_sd_days *= w.lead_time_sd_factor;
        p.past_lead_times = p
            .past_lead_times
            .iter()
            .map(|l| (l + w.lead_time_extra_days).max(0.0))
            .collect();
        if let Some(m) = w.moq {
            p.moq = m;
        }
    }
    if w.demand_change != 0.0 {
        let n = out
            .demand
            .iter()
            .map(|d| d.point.len().max(d.paths.first().map_or(0, Vec::len)))
            .max()
            .unwrap_or(0);
        let dates = period_dates(&out.config, n);
        let (from, to) = match w.demand_window {
            Some((a, b)) => (
                dates.iter().position(|d| *d >= a).unwrap_or(n),
                dates.iter().rposition(|d| *d <= b).map_or(0, |i| i + 1),
            ),
            None => (0, n),
        };
        for d in &mut out.demand {
            if in_scope(&d.sku) && from < to {
                scale_demand_range(d, 1.0 + w.demand_change, from, to);
            }
        }
    }
    for pc in &w.prices {
        if let Some(p) = out.params.iter_mut().find(|p| p.sku == pc.sku) {
            p.price = pc.price;
        }
        if let Some(d) = out.demand.iter_mut().find(|d| d.sku == pc.sku) {
            scale_demand(d, pc.demand_factor);
        }
    }
    if let Some(b) = w.budget {
        out.config.budget = Some(b);
    }
    out
}

/// A plan's figures summed over the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// SKUs to order today (within the budget).
    pub orders: usize,
    /// Units ordered today (within the budget).
    pub units: f64,
    /// What today's orders cost.
    pub order_value: f64,
    /// Simulated fill rate, weighted by demand.
    pub fill_rate: f64,
    /// Simulated cost over the horizon (holding, ordering, shortage), mean.
    pub total_cost: f64,
    /// Margin expected to be lost before an order placed today could arrive.
    pub money_at_risk: f64,
    /// SKUs with a stockout risk of 50 % or more before an order could arrive.
    pub at_risk: usize,
    /// Reorder levels summed (units).
    pub reorder_levels: f64,
}

/// The figures of a plan.
pub fn outcome(plan: &Plan) -> Outcome {
    let (mut w, mut fr) = (0.0, 0.0);
    let mut o = Outcome {
        orders: 0,
        units: 0.0,
        order_value: 0.0,
        fill_rate: 1.0,
        total_cost: 0.0,
        money_at_risk: 0.0,
        at_risk: 0,
        reorder_levels: 0.0,
    };
    for s in &plan.skus {
        if s.order_qty > 0.0 && s.in_budget {
            o.orders += 1;
            o.units += s.order_qty;
            o.order_value += s.order_value;
        }
        if s.simulated.fill_rate.is_finite() {
            w += s.daily_demand;
            fr += s.daily_demand * s.simulated.fill_rate;
        }
        o.total_cost += s.simulated.total_cost.mean;
        o.money_at_risk += s.money_at_risk;
        o.at_risk += usize::from(s.stockout_risk >= 0.5);
        o.reorder_levels += s.policy.reorder_level();
    }
    if w > 0.0 {
        o.fill_rate = fr / w;
    }
    o
}

/// The base plan and the what-if plan, with their figures.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What was changed.
    pub what_if: WhatIf,
    /// The base plan.
    pub base: Plan,
    /// The plan with the change.
    pub changed: Plan,
    /// The base plan's figures.
    pub base_outcome: Outcome,
    /// The changed plan's figures.
    pub changed_outcome: Outcome,
}

/// One SKU whose plan changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuChange {
    /// The SKU.
    pub sku: String,
    /// Today's order, base and what-if.
    pub order_qty: (f64, f64),
    /// The reorder level, base and what-if.
    pub reorder_level: (f64, f64),
    /// Stockout risk before an order could arrive, base and what-if.
    pub stockout_risk: (f64, f64),
    /// Money at risk, base and what-if.
    pub money_at_risk: (f64, f64),
}

/// What the page shows of a comparison: the figures and the SKUs that changed most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// What was changed.
    pub what_if: WhatIf,
    /// The base plan's figures.
    pub base: Outcome,
    /// The changed plan's figures.
    pub changed: Outcome,
    /// SKUs whose order, reorder level or money at risk changed, largest change in
    /// order value first (at most `top`).
    pub skus: Vec<SkuChange>,
    /// SKUs that changed in all.
    pub changed_skus: usize,
}

impl Comparison {
    /// The figures and the `top` SKUs that changed most.
    pub fn summary(&self, top: usize) -> Summary {
        let mut skus: Vec<(f64, SkuChange)> = self
            .base
            .skus
            .iter()
            .filter_map(|a| {
                let b = self.changed.skus.iter().find(|x| x.sku == a.sku)?;
                let c = SkuChange {
                    sku: a.sku.clone(),
                    order_qty: (a.order_qty, b.order_qty),
                    reorder_level: (a.policy.reorder_level(), b.policy.reorder_level()),
                    stockout_risk: (a.stockout_risk, b.stockout_risk),
                    money_at_risk: (a.money_at_risk, b.money_at_risk),
                };
                let moved = c.order_qty.0 != c.order_qty.1
                    || c.reorder_level.0 != c.reorder_level.1
                    || c.money_at_risk.0 != c.money_at_risk.1;
                moved.then(|| {
                    (
                        (b.order_value - a.order_value).abs()
                            + (b.money_at_risk - a.money_at_risk).abs(),
                        c,
                    )
                })
            })
            .collect();
        let changed_skus = skus.len();
        skus.sort_by(|x, y| y.0.total_cmp(&x.0));
        Summary {
            what_if: self.what_if.clone(),
            base: self.base_outcome,
            changed: self.changed_outcome,
            skus: skus.into_iter().take(top).map(|x| x.1).collect(),
            changed_skus,
        }
    }
}

/// Plans `req` as it is and with the what-if, on the same paths and seeds.
pub fn compare(
    req: &PlanRequest,
    w: &WhatIf,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Comparison, super::InventoryError> {
    w.validate()?;
    let n = req.demand.len();
    let base = req.run(&mut |d, _| progress(d, 2 * n));
    let changed = apply(req, w).run(&mut |d, _| progress(n + d, 2 * n));
    Ok(Comparison {
        what_if: w.clone(),
        base_outcome: outcome(&base),
        changed_outcome: outcome(&changed),
        base,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::params::SkuParams;
    use crate::inventory::plan::PlanConfig;

    fn request() -> PlanRequest {
        let today = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let mut demand = Vec::new();
        let mut params = Vec::new();
        for k in 0..4 {
            let paths: Vec<Vec<f64>> = (0..100)
                .map(|i| (0..28).map(|t| ((i * 7 + t * 3 + k) % 9) as f64).collect())
                .collect();
            demand.push(OwnedDemand {
                sku: format!("S{k}"),
                description: String::new(),
                point: vec![4.0; 28],
                paths,
            });
            let mut p = SkuParams::defaults(&format!("S{k}"), 10.0);
            p.on_hand = 30.0;
            p.supplier = if k < 2 {
                "North".into()
            } else {
                "South".into()
            };
            params.push(p);
        }
        PlanRequest {
            config: PlanConfig::new(today, 1.0, 7),
            params,
            demand,
        }
    }

    /// A plan request that decodes is checked before it is planned: hostile settings,
    /// parameters or demand in a worker message are refused, not run for hours.
    #[test]
    fn a_decoded_plan_request_is_checked_before_it_is_planned() {
        let good = request();
        assert_eq!(
            PlanRequest::from_bytes(&good.to_bytes()),
            Some(good.clone())
        );
        type Spoil = Box<dyn Fn(&mut PlanRequest)>;
        let bad: Vec<Spoil> = vec![
            Box::new(|r| r.config.simulations = usize::MAX),
            Box::new(|r| r.config.simulations = 0),
            Box::new(|r| r.config.horizon_days = 1e300),
            Box::new(|r| r.config.horizon_days = f64::NAN),
            Box::new(|r| r.config.period_days = 0.0),
            Box::new(|r| r.config.period_days = 1e-300),
            Box::new(|r| r.config.season = 0),
            Box::new(|r| r.config.budget = Some(f64::INFINITY)),
            Box::new(|r| r.params[1].lead_time_days = 1e9),
            Box::new(|r| r.params[0].on_hand = f64::NAN),
            Box::new(|r| r.demand[2].point[3] = f64::INFINITY),
            Box::new(|r| r.demand[2].paths[5][1] = -1.0),
            Box::new(|r| r.demand[3].paths[0].truncate(3)),
        ];
        for (k, spoil) in bad.iter().enumerate() {
            let mut r = good.clone();
            spoil(&mut r);
            assert!(PlanRequest::from_bytes(&r.to_bytes()).is_none(), "case {k}");
        }
        // Stored parameters likewise.
        use crate::inventory::params::{from_stored_bytes, to_stored_bytes};
        assert_eq!(
            from_stored_bytes(&to_stored_bytes(&good.params)),
            Ok(good.params.clone())
        );
        let mut p = good.params.clone();
        p[2].review_days = 1e12;
        let err = from_stored_bytes(&to_stored_bytes(&p)).unwrap_err();
        assert!(err.contains("S2") && err.contains("review_days"), "{err}");
    }

    #[test]
    fn longer_lead_time_never_lowers_a_reorder_point_and_touches_only_its_supplier() {
        let req = request();
        let w = WhatIf {
            supplier: Some("north".into()),
            lead_time_extra_days: 14.0,
            ..Default::default()
        };
        let c = compare(&req, &w, &mut |_, _| true).unwrap();
        for (a, b) in c.base.skus.iter().zip(&c.changed.skus) {
            assert_eq!(a.sku, b.sku);
            let north = a.sku == "S0" || a.sku == "S1";
            if north {
                assert!(
                    b.policy.reorder_level() > a.policy.reorder_level(),
                    "{}",
                    a.sku
                );
            } else {
                assert_eq!(a.policy.reorder_level(), b.policy.reorder_level());
                assert_eq!(a.order_qty, b.order_qty);
            }
        }
        assert!(c.changed_outcome.reorder_levels > c.base_outcome.reorder_levels);
        assert!(c.changed_outcome.money_at_risk >= c.base_outcome.money_at_risk);
    }

    #[test]
    fn demand_window_scales_only_its_days_and_nothing_changes_nothing() {
        let req = request();
        let today = req.config.today;
        let w = WhatIf {
            demand_change: 0.5,
            demand_window: Some((
                today + chrono::Duration::days(7),
                today + chrono::Duration::days(13),
            )),
            ..Default::default()
        };
        let out = apply(&req, &w);
        for (a, b) in req.demand.iter().zip(&out.demand) {
            for t in 0..28 {
                let f = if (7..14).contains(&t) { 1.5 } else { 1.0 };
                assert_eq!(b.paths[0][t], a.paths[0][t] * f, "period {t}");
            }
        }
        assert_eq!(apply(&req, &WhatIf::default()), req);
        assert!(
            WhatIf {
                demand_change: -1.0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert_eq!(
            WhatIf {
                lead_time_extra_days: 14.0,
                supplier: Some("North".into()),
                ..Default::default()
            }
            .describe(),
            "lead time +14 days (supplier North)"
        );
        assert_eq!(
            WhatIf {
                demand_change: 0.3,
                ..Default::default()
            }
            .describe(),
            "demand +30.0%"
        );
    }
}
