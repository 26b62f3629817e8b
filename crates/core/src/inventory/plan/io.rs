//! What leaves the planner as text or bytes: today's purchase list as CSV, and the plan
//! and the plan request serialised (the request checked as a file would be on the way
//! back in).

use super::{MAX_SIMULATIONS, Plan, PlanRequest, SkuPlan};

impl Plan {
    /// Today's purchase list as CSV, highest priority first: only SKUs to order, each
    /// with the stock it was planned from (on hand and on order), so that the stock
    /// used is visible.
    pub fn purchase_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "sku",
            "description",
            "on_hand",
            "on_order",
            "order_qty",
            "order_value",
            "expected_arrival",
            "days_of_cover_now",
            "days_of_cover_at_arrival",
            "stockout_risk",
            "priority",
            "within_budget",
            "policy",
            "levels",
        ]);
        let mut rows: Vec<&SkuPlan> = self.skus.iter().filter(|s| s.order_qty > 0.0).collect();
        rows.sort_by(|a, b| b.priority.total_cmp(&a.priority));
        let f = |v: f64| {
            if v.is_finite() {
                format!("{:.2}", v)
            } else {
                "inf".into()
            }
        };
        for s in rows {
            let _ = w.write_record([
                s.sku.clone(),
                s.description.clone(),
                crate::data::fmt_qty(s.on_hand),
                crate::data::fmt_qty(s.on_order),
                crate::data::fmt_qty(s.order_qty),
                f(s.order_value),
                s.arrival.to_string(),
                f(s.days_of_cover),
                f(s.cover_at_arrival_days),
                format!("{:.3}", s.stockout_risk),
                format!("{:.4}", s.priority),
                if s.in_budget { "yes" } else { "no" }.into(),
                s.policy.name().into(),
                s.policy.levels(),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Serialises for sending between threads.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Plan::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<Plan> {
        postcard::from_bytes(bytes).ok()
    }
}

impl PlanRequest {
    /// Serialises for sending to the worker.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`PlanRequest::to_bytes`] wrote, checked as a file would be: the
    /// settings and every SKU's parameters in their plausible ranges, demand finite and
    /// not negative, paths of one length (`None` otherwise: a message that decodes is
    /// not yet a plan that ends).
    pub fn from_bytes(bytes: &[u8]) -> Option<PlanRequest> {
        let r: PlanRequest = postcard::from_bytes(bytes).ok()?;
        r.config.validate().ok()?;
        if !r.params.iter().all(|p| p.validate().is_ok()) {
            return None;
        }
        let fine = |v: &[f64]| v.iter().all(|x| x.is_finite() && *x >= 0.0);
        let demand_ok = r.demand.iter().all(|d| {
            fine(&d.point)
                && d.point.len() <= crate::inventory::params::MAX_DAYS as usize * 10
                && d.paths.len() <= MAX_SIMULATIONS
                && d.paths.iter().all(|p| p.len() == d.point.len() && fine(p))
        });
        demand_ok.then_some(r)
    }
}
