//! The catalogue as a whole: shares planned apart merged into one plan, today's orders
//! marked against the budget (highest priority first), and the catalogue's
//! service/investment curve.

use super::{Plan, PlanConfig, Planned, SkuPlan, TRADEOFF_TARGETS, TradeoffPoint};

impl Plan {
    /// The plan of shares of the catalogue planned apart (in order): the budget is
    /// applied and the catalogue's trade-off curve drawn over all of them.
    pub fn merge(cfg: &PlanConfig, parts: Vec<Planned>) -> Plan {
        let (mut skus, mut skipped) = (Vec::new(), Vec::new());
        for (s, k) in parts {
            skus.extend(s);
            skipped.extend(k);
        }
        apply_budget(&mut skus, cfg.budget);
        let tradeoff = catalogue_tradeoff(&skus);
        Plan {
            config: *cfg,
            skus,
            skipped,
            tradeoff,
            seconds: 0.0,
        }
    }
}

/// Marks which of today's orders fit the budget, highest priority first (a greedy
/// knapsack: an order that does not fit is skipped and cheaper ones still go in).
pub fn apply_budget(skus: &mut [SkuPlan], budget: Option<f64>) {
    let mut order: Vec<usize> = (0..skus.len())
        .filter(|&i| skus[i].order_qty > 0.0)
        .collect();
    order.sort_by(|&a, &b| skus[b].priority.total_cmp(&skus[a].priority));
    let mut left = budget.unwrap_or(f64::INFINITY);
    for s in skus.iter_mut() {
        s.in_budget = true;
    }
    for i in order {
        if skus[i].order_value <= left {
            left -= skus[i].order_value;
        } else {
            skus[i].in_budget = false;
        }
    }
}

/// The catalogue curve: each SKU at the same target; investment summed, fill rate
/// weighted by demand.
pub fn catalogue_tradeoff(skus: &[SkuPlan]) -> Vec<TradeoffPoint> {
    (0..TRADEOFF_TARGETS.len())
        .map(|k| {
            let (mut inv, mut ss, mut w, mut fr) = (0.0, 0.0, 0.0, 0.0);
            for s in skus {
                let Some(t) = s.tradeoff.get(k) else { continue };
                inv += t.investment;
                ss += t.safety_stock;
                w += s.daily_demand;
                fr += t.fill_rate * s.daily_demand;
            }
            TradeoffPoint {
                target: TRADEOFF_TARGETS[k],
                safety_stock: ss,
                investment: inv,
                fill_rate: if w > 0.0 { fr / w } else { 1.0 },
            }
        })
        .collect()
}
