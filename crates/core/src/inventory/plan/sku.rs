//! One SKU's plan, in steps: the policy for its parameters, the levels for its service
//! target on the drawn demand, today's order and where the SKU stands, the policy
//! simulated next to a baseline, and the service/investment curve.

use chrono::{Duration, NaiveDate};

use super::demand::{DemandDist, demand_distribution, interval_sum};
use super::{
    DemandInput, PlanConfig, PolicyKind, SkuPlan, Status, TRADEOFF_TARGETS, TradeoffPoint,
};
use crate::inventory::InventoryError;
use crate::inventory::dist::{self, Empirical};
use crate::inventory::params::{PolicyChoice, SkuParams};
use crate::inventory::policy::{self, Service};
use crate::inventory::sim::{self, Band, SimInput, SimPolicy, SimSummary};

/// Plans one SKU, in steps: the demand it must be protected against
/// ([`demand_distribution`]), the policy ([`choose_policy`]) and its levels
/// ([`set_levels`]), today's order and where the SKU stands, the policy simulated
/// against a baseline ([`simulate_both`]) and the service/investment curve
/// ([`tradeoff_curve`]). The explanation is written by each step.
pub fn plan_sku(
    d: &DemandInput<'_>,
    p: &SkuParams,
    cfg: &PlanConfig,
    seed: u64,
) -> Result<SkuPlan, InventoryError> {
    p.validate()
        .map_err(|problems| InventoryError::InvalidParameters { problems })?;
    let dd = demand_distribution(d, p, cfg, seed)?;
    let daily = dd.daily;

    // Costs per year.
    let annual_demand = daily * 365.0;
    let h_year = p.holding_rate * p.unit_cost;
    let eoq = if h_year > 0.0 && p.order_cost > 0.0 && annual_demand > 0.0 {
        policy::eoq(p.order_cost, h_year, annual_demand, None)
            .map(|e| e.q)
            .unwrap_or(0.0)
    } else {
        0.0
    };
    let q_units = sim::round_order(eoq.max(daily * p.review_days.max(1.0)), p.moq, p.case_pack);

    let mut why = Vec::new();
    let choice = choose_policy(p, eoq, daily, &mut why);
    let costs = Costs {
        eoq,
        q_units,
        annual_demand,
        h_year,
    };
    let levels = set_levels(choice, p, cfg, &dd, &costs, &mut why)?;
    let (kind, sim_policy, protect) = (levels.kind, levels.sim, levels.protect);
    if cfg.normal_approximation {
        why.push("Levels from a normal approximation of lead-time demand (as asked), not its drawn distribution.".into());
    }
    let safety_stock = kind.reorder_level() - protect.mean();
    why.push(format!(
        "Safety stock {} units (level minus the mean demand over the protection interval, {}).",
        crate::format::units(safety_stock),
        crate::format::units(protect.mean())
    ));

    let position = p.on_hand + p.on_order_total();
    let order_qty = todays_order(&sim_policy, position, daily, p, &mut why);
    let arrival = cfg.today + Duration::days(p.lead_time_days.round() as i64);
    let ltd = &dd.ltd;
    let lt_mean = ltd.mean();
    let cover_days = |units: f64| {
        if daily > 0.0 {
            units / daily
        } else {
            f64::INFINITY
        }
    };
    let stockout_risk = 1.0 - ltd.cdf(position);
    // Priority: margin protected per money spent — expected units of demand over the
    // protection interval that today's order saves from a stockout, times the margin,
    // per unit of money spent (a purchase-priority index as in Silver, Pyke & Thomas
    // §7.8 on allocating a budget).
    let margin = p.shortage_cost();
    let priority = if order_qty > 0.0 && p.unit_cost > 0.0 {
        (protect.loss(position) - protect.loss(position + order_qty)) * margin
            / (order_qty * p.unit_cost)
    } else if order_qty > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let up_level = match kind {
        PolicyKind::ReorderPoint { r, q } => r + q,
        PolicyKind::OrderUpTo { s, .. } | PolicyKind::Newsvendor { s, .. } => s,
        PolicyKind::MinMax { big_s, .. } => big_s,
    };
    let horizon_demand = dd.per_period * cfg.horizon_periods() as f64;
    let status = if order_qty > 0.0 {
        Status::OrderNow
    } else if stockout_risk > 1.0 - p.service.value().min(0.999) && stockout_risk > 0.05 {
        Status::AtRisk
    } else if position - horizon_demand > up_level && position > 0.0 {
        Status::Overstocked
    } else {
        Status::Ok
    };

    let sims = simulate_both(&dd, p, cfg, &sim_policy, safety_stock, h_year, seed);

    let mut arrivals: Vec<(NaiveDate, f64)> = p.on_order.iter().map(|(q, d)| (*d, *q)).collect();
    if order_qty > 0.0 {
        arrivals.push((arrival, order_qty));
    }
    let tradeoff = tradeoff_curve(&kind, protect, daily, p, levels.cycle_stock);

    Ok(SkuPlan {
        sku: d.sku.to_string(),
        description: d.description.to_string(),
        policy: kind,
        explanation: why,
        daily_demand: daily,
        lead_time_demand: (lt_mean, ltd.sd()),
        protection_demand: (protect.mean(), protect.sd()),
        safety_stock,
        eoq,
        on_hand: p.on_hand,
        on_order: p.on_order_total(),
        position,
        days_of_cover: cover_days(p.on_hand),
        stockout_risk,
        money_at_risk: ltd.loss(position) * margin,
        order_qty,
        order_value: order_qty * p.unit_cost,
        arrival,
        cover_at_arrival_days: cover_days((position + order_qty - lt_mean).max(0.0)),
        priority,
        in_budget: true,
        status,
        simulated: sims.simulated,
        baseline_name: sims.baseline_name,
        baseline: sims.baseline,
        band: sims.band,
        arrivals,
        tradeoff,
    })
}

/// The policy for `Auto`: newsvendor with a shelf life, (r, Q) for continuous review,
/// (s, S) when ordering every review would waste the fixed cost, else (R, S).
fn choose_policy(p: &SkuParams, eoq: f64, daily: f64, why: &mut Vec<String>) -> PolicyChoice {
    if p.policy != PolicyChoice::Auto {
        return p.policy;
    }
    if p.shelf_life_days.is_some() {
        why.push(
            "Shelf life is set: one order sized for the selling window (newsvendor).".to_string(),
        );
        PolicyChoice::Newsvendor
    } else if p.review_days <= 0.0 {
        why.push(
            "Continuous review (review period 0): reorder point and fixed order quantity.".into(),
        );
        PolicyChoice::ReorderPoint
    } else if eoq > 1.5 * daily * p.review_days {
        why.push(format!(
            "The economic order quantity ({}) exceeds 1.5× the demand of a review period ({}): ordering every review would waste the fixed cost, so (s, S).",
            crate::format::units(eoq),
            crate::format::units(daily * p.review_days)
        ));
        PolicyChoice::MinMax
    } else {
        why.push("Periodic review with a small fixed cost: order up to S every review.".into());
        PolicyChoice::OrderUpTo
    }
}

/// The order-size figures the levels need.
struct Costs {
    eoq: f64,
    /// The EOQ (at least a review period's demand) rounded to packs and MOQ.
    q_units: f64,
    annual_demand: f64,
    /// Holding cost of a unit for a year.
    h_year: f64,
}

/// A policy's levels, its simulated form, the demand it protects against and its
/// average cycle stock.
struct Levels<'b> {
    kind: PolicyKind,
    sim: SimPolicy,
    protect: &'b Empirical,
    cycle_stock: f64,
}

/// The level for the service target on an empirical distribution: the α quantile for
/// a cycle service level; for a fill rate β, the level whose expected shortage per
/// cycle is (1 − β) × the demand of a cycle (S&S eq. 5.42 with the empirical loss
/// function).
fn level_for(e: &Empirical, cycle_demand: f64, p: &SkuParams, cfg: &PlanConfig) -> f64 {
    if cfg.normal_approximation {
        let (m, sd) = (e.mean(), e.sd());
        if sd <= 0.0 {
            return m;
        }
        return match p.service {
            Service::Csl(a) => m + sd * dist::ppf(a),
            Service::FillRate(b) => {
                m + sd * dist::loss_inverse((1.0 - b) * cycle_demand.max(1e-9) / sd)
            }
        };
    }
    match p.service {
        Service::Csl(a) => e.quantile(a),
        Service::FillRate(b) => e.loss_inverse((1.0 - b) * cycle_demand.max(1e-9)),
    }
}

fn set_levels<'b>(
    choice: PolicyChoice,
    p: &SkuParams,
    cfg: &PlanConfig,
    dd: &'b DemandDist<'_>,
    c: &Costs,
    why: &mut Vec<String>,
) -> Result<Levels<'b>, InventoryError> {
    let target_text = match p.service {
        Service::Csl(a) => format!("cycle service level {:.1} %", a * 100.0),
        Service::FillRate(b) => format!("fill rate {:.1} %", b * 100.0),
    };
    let (ltd, ptd, daily, q_units) = (&dd.ltd, &dd.ptd, dd.daily, c.q_units);
    let review = cfg.periods(p.review_days);
    let sim_policy =
        |review: Option<usize>, reorder: f64, up_to: f64, fixed_q: Option<f64>| SimPolicy {
            review,
            reorder,
            up_to,
            fixed_q,
            moq: p.moq,
            case_pack: p.case_pack,
        };
    let every_review = Some(review.round().max(1.0) as usize);
    Ok(match choice {
        PolicyChoice::ReorderPoint | PolicyChoice::Auto => {
            let r = level_for(ltd, q_units, p, cfg);
            why.push(format!(
                "Reorder point r = {} is the lead-time demand the {target_text} needs; lead-time demand drawn from {} forecast paths{} × lead times (mean {}, s.d. {}).",
                crate::format::units(r),
                dd.paths.len(),
                cfg.scenarios.map(|s| format!(" ({})", s.name())).unwrap_or_default(),
                crate::format::units(ltd.mean()),
                crate::format::units(ltd.sd())
            ));
            why.push(format!(
                "Q = {} units: EOQ √(2KD/h) = {} (ordering + holding {} a year) rounded to case pack {} and MOQ {}.",
                crate::format::units(q_units),
                crate::format::units(c.eoq),
                crate::format::money((2.0 * p.order_cost * c.annual_demand * c.h_year).sqrt(), ""),
                crate::format::units(p.case_pack),
                crate::format::units(p.moq)
            ));
            Levels {
                kind: PolicyKind::ReorderPoint { r, q: q_units },
                sim: sim_policy(Some(1), r, r + q_units, Some(q_units)),
                protect: ltd,
                cycle_stock: q_units / 2.0,
            }
        }
        PolicyChoice::OrderUpTo => {
            let cycle = daily * p.review_days;
            let s = level_for(ptd, cycle, p, cfg);
            why.push(format!(
                "Order-up-to level S = {} covers the lead time plus one review period ({} days) at the {target_text}.",
                crate::format::units(s),
                crate::format::units(p.lead_time_days + p.review_days)
            ));
            Levels {
                kind: PolicyKind::OrderUpTo {
                    review_days: p.review_days,
                    s,
                },
                sim: sim_policy(every_review, s - 1e-6, s, None),
                protect: ptd,
                cycle_stock: cycle / 2.0,
            }
        }
        PolicyChoice::MinMax => {
            let s = level_for(ptd, q_units, p, cfg);
            let big_s = s + q_units;
            why.push(format!(
                "Reorder level s = {} covers lead time + review at the {target_text}; S = s + Q = {} with Q the EOQ rounded to packs.",
                crate::format::units(s),
                crate::format::units(big_s)
            ));
            Levels {
                kind: PolicyKind::MinMax {
                    review_days: p.review_days.max(1.0),
                    s,
                    big_s,
                },
                sim: sim_policy(every_review, s, big_s, None),
                protect: ptd,
                cycle_stock: q_units / 2.0,
            }
        }
        PolicyChoice::Newsvendor => {
            let window = p
                .shelf_life_days
                .unwrap_or(cfg.horizon_days)
                .min(cfg.horizon_days);
            let cover = dd.lead.mean + cfg.periods(window);
            let w: Vec<f64> = (0..dd.n)
                .map(|i| interval_sum(&dd.paths[i % dd.paths.len()], cover, cfg.season))
                .collect();
            let wd = Empirical::new(w).ok_or(InventoryError::NoDemand)?;
            // Critical ratio cu/(cu + co): underage = lost margin, overage = the unit
            // cost (unsold at the end of its life) (S&S eq. 4.18).
            let cu = p.shortage_cost();
            let co = p.unit_cost;
            let ratio = if cu + co > 0.0 { cu / (cu + co) } else { 0.5 };
            let s = wd.quantile(ratio);
            why.push(format!(
                "Newsvendor: stock for lead time + {} days of selling; critical ratio {:.2} = lost margin {} / (margin + unit cost {}), so S = {}.",
                crate::format::units(window),
                ratio,
                crate::format::money(cu, ""),
                crate::format::money(co, ""),
                crate::format::units(s)
            ));
            Levels {
                kind: PolicyKind::Newsvendor {
                    window_days: window,
                    s,
                },
                sim: sim_policy(None, s - 1e-6, s, None),
                protect: ptd,
                cycle_stock: 0.0,
            }
        }
    })
}

/// Today's order at `position`; with a shelf life, never more than is expected to sell
/// within it.
fn todays_order(
    sim_policy: &SimPolicy,
    position: f64,
    daily: f64,
    p: &SkuParams,
    why: &mut Vec<String>,
) -> f64 {
    let mut order_qty = sim_policy.order(position);
    if let Some(life) = p.shelf_life_days {
        let sellable = (daily * (life + p.lead_time_days) - position).max(0.0);
        if order_qty > sellable {
            let pack = p.case_pack.max(1e-9);
            order_qty = (sellable / pack).floor() * pack;
            if order_qty < p.moq {
                order_qty = 0.0;
            }
            why.push(format!(
                "Order capped at {} units: what is expected to sell within the shelf life.",
                crate::format::units(order_qty)
            ));
        }
    }
    order_qty
}

/// The recommended policy and the baseline simulated on the same draws.
struct Simulated {
    simulated: SimSummary,
    band: Band,
    baseline_name: String,
    baseline: SimSummary,
}

fn simulate_both(
    dd: &DemandDist<'_>,
    p: &SkuParams,
    cfg: &PlanConfig,
    sim_policy: &SimPolicy,
    safety_stock: f64,
    h_year: f64,
    seed: u64,
) -> Simulated {
    let periods = cfg.horizon_periods();
    let pipeline: Vec<(usize, f64)> = p
        .on_order
        .iter()
        .map(|(q, d)| {
            let days = (*d - cfg.today).num_days().max(0) as f64;
            (cfg.periods(days).round() as usize, *q)
        })
        .collect();
    let input = SimInput {
        paths: &dd.paths,
        season: cfg.season,
        on_hand: p.on_hand,
        pipeline: &pipeline,
        lead: &dd.lead,
        holding: h_year * cfg.period_days / 365.0,
        order_cost: p.order_cost,
        shortage: p.shortage_cost(),
        unmet: cfg.unmet,
    };
    let (simulated, band) = sim::simulate(&input, sim_policy, periods, cfg.simulations, seed, true);
    let (baseline_name, base_policy) = match p.current_min_max {
        Some((lo, hi)) => (
            format!(
                "Current min/max ({}/{})",
                crate::format::units(lo),
                crate::format::units(hi)
            ),
            SimPolicy {
                reorder: lo,
                up_to: hi,
                fixed_q: None,
                ..*sim_policy
            },
        ),
        // The same rule with no safety stock: what the safety stock buys.
        None => (
            "Same rule, no safety stock".to_string(),
            SimPolicy {
                reorder: sim_policy.reorder - safety_stock,
                up_to: sim_policy.up_to - safety_stock,
                ..*sim_policy
            },
        ),
    };
    let (baseline, _) = sim::simulate(&input, &base_policy, periods, cfg.simulations, seed, false);
    Simulated {
        simulated,
        band: band.unwrap_or_default(),
        baseline_name,
        baseline,
    }
}

/// Safety stock, investment and fill rate at each service target of
/// [`TRADEOFF_TARGETS`], on the demand the policy protects against.
fn tradeoff_curve(
    kind: &PolicyKind,
    protect: &Empirical,
    daily: f64,
    p: &SkuParams,
    cycle_stock: f64,
) -> Vec<TradeoffPoint> {
    let cycle_demand = match *kind {
        PolicyKind::ReorderPoint { q, .. } => q,
        // A cycle of (s, S) orders about S − s.
        PolicyKind::MinMax { s, big_s, .. } => big_s - s,
        PolicyKind::OrderUpTo { .. } => daily * p.review_days,
        PolicyKind::Newsvendor { .. } => protect.mean(),
    };
    TRADEOFF_TARGETS
        .iter()
        .map(|&a| {
            let level = protect.quantile(a);
            let ss = level - protect.mean();
            TradeoffPoint {
                target: a,
                safety_stock: ss,
                investment: (ss.max(0.0) + cycle_stock) * p.unit_cost,
                fill_rate: if cycle_demand > 0.0 {
                    (1.0 - protect.loss(level) / cycle_demand).clamp(0.0, 1.0)
                } else {
                    1.0
                },
            }
        })
        .collect()
}
