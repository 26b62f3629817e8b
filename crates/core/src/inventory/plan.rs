//! The replenishment plan: per SKU, a policy set from the forecast's own demand
//! distribution, today's purchase recommendation, and the policy's simulated
//! performance next to a baseline.
//!
//! Lead-time demand is not assumed normal: it is drawn by summing each sample path of
//! the forecast over a lead time drawn from the SKU's lead-time distribution (Silver,
//! Pyke & Thomas 2017, §6.9 on bootstrapped lead-time demand), so intermittent and
//! skewed demand get the safety stock their actual distribution needs.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::dist::Empirical;
use super::params::{PolicyChoice, SkuParams};
use super::policy::{self, Service};
use super::sim::{self, Band, LeadTimes, SimInput, SimPolicy, SimSummary, Unmet};
use crate::rng::SplitMix;

/// The most Monte Carlo replications per SKU a plan runs.
pub const MAX_SIMULATIONS: usize = 100_000;

/// Settings of a planning run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// The first forecast date: "today" for ordering.
    pub today: NaiveDate,
    /// Average calendar days per forecast period (1 for daily with every day open,
    /// 7/6 with a closed weekday, 7 for weekly).
    pub period_days: f64,
    /// Season length in periods (to extend sample paths past the forecast horizon).
    pub season: usize,
    /// Days simulated.
    pub horizon_days: f64,
    /// Monte Carlo replications per SKU and policy.
    pub simulations: usize,
    /// Spend at most this much on today's orders (highest priority first).
    pub budget: Option<f64>,
    /// Lost sales or backorders.
    pub unmet: Unmet,
    /// Use a normal approximation of lead-time demand (mean and s.d. of the drawn
    /// sample) instead of its empirical distribution, for comparison with textbook
    /// practice.
    pub normal_approximation: bool,
    /// Random seed.
    pub seed: u64,
    /// How the forecast's sample paths link their periods (`None`: paths of unknown
    /// origin, e.g. drawn from a forecast file's quantiles).
    #[serde(default)]
    pub scenarios: Option<crate::forecast::scenarios::Scenarios>,
}

impl PlanConfig {
    /// Defaults: 90 days, 1,000 replications, lost sales, no budget.
    pub fn new(today: NaiveDate, period_days: f64, season: usize) -> PlanConfig {
        PlanConfig {
            today,
            period_days: if period_days > 0.0 { period_days } else { 1.0 },
            season: season.max(1),
            horizon_days: 90.0,
            simulations: 1000,
            budget: None,
            unmet: Unmet::Lost,
            normal_approximation: false,
            seed: 42,
            scenarios: None,
        }
    }

    /// Checks the settings against their plausible ranges, as the CLI's flags and the
    /// Plan page's form are: settings that arrive as bytes (a worker message) did not
    /// pass through either, and 10^18 replications or a 1e300-day horizon would hang
    /// the planner.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        use super::params::{MAX_DAYS, MAX_MONEY};
        let mut p = Vec::new();
        // A period is at least a day (daily data with every day open): shorter ones
        // made a 3,650-day horizon millions of periods, and the fuzz command hang.
        if !(self.period_days.is_finite()
            && self.period_days >= 1.0 - 1e-9
            && self.period_days <= 366.0)
        {
            p.push(format!(
                "period_days: {} must be from 1 to 366",
                self.period_days
            ));
        }
        if !(1..=MAX_DAYS as usize).contains(&self.season) {
            p.push(format!(
                "season: {} must be 1 to {MAX_DAYS} periods",
                self.season
            ));
        }
        if !(self.horizon_days.is_finite()
            && self.horizon_days > 0.0
            && self.horizon_days <= MAX_DAYS)
        {
            p.push(format!(
                "horizon_days: {} must be more than zero and at most {MAX_DAYS}",
                self.horizon_days
            ));
        }
        if !(1..=MAX_SIMULATIONS).contains(&self.simulations) {
            p.push(format!(
                "simulations: {} must be 1 to {MAX_SIMULATIONS}",
                self.simulations
            ));
        }
        if let Some(b) = self.budget
            && !(b.is_finite() && (0.0..=MAX_MONEY * 1e3).contains(&b))
        {
            p.push(format!("budget: {b} must be zero or more and finite"));
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }

    fn periods(&self, days: f64) -> f64 {
        days / self.period_days
    }

    fn horizon_periods(&self) -> usize {
        self.periods(self.horizon_days).round().max(1.0) as usize
    }
}

/// One SKU's demand forecast as the planner needs it.
#[derive(Debug, Clone, Copy)]
pub struct DemandInput<'a> {
    /// The SKU.
    pub sku: &'a str,
    /// Product name.
    pub description: &'a str,
    /// Sample paths per period (may be empty: then `point` is used as the only path).
    pub paths: &'a [Vec<f64>],
    /// Point forecast per period.
    pub point: &'a [f64],
}

/// The policy chosen for a SKU, with its levels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum PolicyKind {
    /// Continuous review (r, Q).
    ReorderPoint {
        /// Reorder point.
        r: f64,
        /// Order quantity.
        q: f64,
    },
    /// Periodic review order-up-to (R, S).
    OrderUpTo {
        /// Review period (days).
        review_days: f64,
        /// Order-up-to level.
        s: f64,
    },
    /// Periodic review (s, S).
    MinMax {
        /// Review period (days).
        review_days: f64,
        /// Reorder level.
        s: f64,
        /// Order-up-to level.
        big_s: f64,
    },
    /// One order covering the selling window.
    Newsvendor {
        /// Days covered.
        window_days: f64,
        /// Target stock.
        s: f64,
    },
}

impl PolicyKind {
    /// A short name: "(r, Q)", "(R, S)", "(s, S)", "Newsvendor".
    pub fn name(&self) -> &'static str {
        match self {
            PolicyKind::ReorderPoint { .. } => "(r, Q)",
            PolicyKind::OrderUpTo { .. } => "(R, S)",
            PolicyKind::MinMax { .. } => "(s, S)",
            PolicyKind::Newsvendor { .. } => "Newsvendor",
        }
    }

    /// The levels in words, e.g. "r = 12, Q = 30".
    pub fn levels(&self) -> String {
        let f = crate::format::units;
        match *self {
            PolicyKind::ReorderPoint { r, q } => format!("r = {}, Q = {}", f(r), f(q)),
            PolicyKind::OrderUpTo { review_days, s } => {
                format!("review every {} days, S = {}", f(review_days), f(s))
            }
            PolicyKind::MinMax {
                review_days,
                s,
                big_s,
            } => format!(
                "review every {} days, s = {}, S = {}",
                f(review_days),
                f(s),
                f(big_s)
            ),
            PolicyKind::Newsvendor { window_days, s } => {
                format!("stock for {} days: {}", f(window_days), f(s))
            }
        }
    }

    /// The level at or below which an order is placed (the reorder line of the chart).
    pub fn reorder_level(&self) -> f64 {
        match *self {
            PolicyKind::ReorderPoint { r, .. } => r,
            PolicyKind::OrderUpTo { s, .. } => s,
            PolicyKind::MinMax { s, .. } => s,
            PolicyKind::Newsvendor { s, .. } => s,
        }
    }
}

/// Where a SKU stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Order today.
    OrderNow,
    /// Likely to run out before an order placed today could arrive.
    AtRisk,
    /// More stock than the policy would ever hold, even after the horizon's demand.
    Overstocked,
    /// Nothing to do.
    Ok,
}

impl Status {
    /// For display.
    pub fn label(self) -> &'static str {
        match self {
            Status::OrderNow => "order now",
            Status::AtRisk => "at risk",
            Status::Overstocked => "overstocked",
            Status::Ok => "ok",
        }
    }
}

/// One point of the service/investment trade-off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TradeoffPoint {
    /// The cycle service level targeted.
    pub target: f64,
    /// Safety stock at that target (units).
    pub safety_stock: f64,
    /// Average inventory investment: (safety stock + cycle stock) × unit cost.
    pub investment: f64,
    /// Expected fill rate at that target.
    pub fill_rate: f64,
}

/// The cycle service levels the trade-off curves are drawn at.
pub const TRADEOFF_TARGETS: [f64; 11] = [
    0.5, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995,
];

/// One SKU's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuPlan {
    /// The SKU.
    pub sku: String,
    /// Product name.
    pub description: String,
    /// The policy and its levels.
    pub policy: PolicyKind,
    /// How the numbers were reached, in sentences.
    pub explanation: Vec<String>,
    /// Mean demand per calendar day over the forecast.
    pub daily_demand: f64,
    /// Mean and s.d. of lead-time demand.
    pub lead_time_demand: (f64, f64),
    /// Mean and s.d. of demand over the protection interval (lead time + review).
    pub protection_demand: (f64, f64),
    /// Safety stock: the level minus mean demand over the protection interval.
    pub safety_stock: f64,
    /// The economic order quantity (units).
    pub eoq: f64,
    /// On hand now.
    pub on_hand: f64,
    /// On order now.
    pub on_order: f64,
    /// On hand + on order.
    pub position: f64,
    /// Days the stock on hand lasts at forecast demand.
    pub days_of_cover: f64,
    /// Probability of running out before an order placed today arrives.
    pub stockout_risk: f64,
    /// Money at risk: the margin expected to be lost to stockouts before an order placed
    /// today can arrive (expected units short over the lead time at today's stock
    /// position, times the lost margin per unit).
    pub money_at_risk: f64,
    /// Units to order today (0: none).
    pub order_qty: f64,
    /// What today's order costs.
    pub order_value: f64,
    /// When today's order is expected.
    pub arrival: NaiveDate,
    /// Days of cover expected when today's order arrives.
    pub cover_at_arrival_days: f64,
    /// Expected margin protected per unit of money spent on today's order.
    pub priority: f64,
    /// Whether today's order fits the budget (true without a budget).
    pub in_budget: bool,
    /// Where the SKU stands.
    pub status: Status,
    /// The recommended policy simulated.
    pub simulated: SimSummary,
    /// The baseline's name.
    pub baseline_name: String,
    /// The baseline simulated with the same random draws.
    pub baseline: SimSummary,
    /// On hand over the simulation: P10/P50/P90 per period (recommended policy).
    pub band: Band,
    /// Open orders and today's order: (expected arrival, units).
    pub arrivals: Vec<(NaiveDate, f64)>,
    /// Service against investment.
    pub tradeoff: Vec<TradeoffPoint>,
}

/// The whole catalogue's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Settings used.
    pub config: PlanConfig,
    /// Per SKU, in input order.
    pub skus: Vec<SkuPlan>,
    /// SKUs that could not be planned, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Catalogue trade-off: the same target for every SKU; investment summed, fill
    /// rate weighted by demand.
    pub tradeoff: Vec<TradeoffPoint>,
    /// Wall time (s).
    pub seconds: f64,
}

/// Dates of the simulated periods.
pub fn period_dates(cfg: &PlanConfig, n: usize) -> Vec<NaiveDate> {
    (0..n)
        .map(|t| cfg.today + Duration::days((t as f64 * cfg.period_days).round() as i64))
        .collect()
}

/// Sum of a path over `len` periods (fractional: the last period in proportion).
fn interval_sum(path: &[f64], len: f64, season: usize) -> f64 {
    let whole = len.floor() as usize;
    let mut s: f64 = (0..whole).map(|t| sim::demand_at(path, t, season)).sum();
    let frac = len - whole as f64;
    if frac > 0.0 {
        s += frac * sim::demand_at(path, whole, season);
    }
    s
}

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

/// The demand one SKU's policy protects against: its sample paths (the point forecast
/// when it has none), lead-time demand and lead-time-plus-review demand, each path
/// summed over lead times drawn from the SKU's lead-time distribution.
struct DemandDist<'a> {
    paths: std::borrow::Cow<'a, [Vec<f64>]>,
    /// Mean demand per period and per day.
    per_period: f64,
    daily: f64,
    lead: LeadTimes,
    /// Demand over a lead time, and over a lead time plus a review period.
    ltd: Empirical,
    ptd: Empirical,
    /// Draws made.
    n: usize,
}

fn demand_distribution<'a>(
    d: &DemandInput<'a>,
    p: &SkuParams,
    cfg: &PlanConfig,
    seed: u64,
) -> Result<DemandDist<'a>, InventoryError> {
    let paths: std::borrow::Cow<'a, [Vec<f64>]> = if d.paths.is_empty() {
        if d.point.is_empty() {
            return Err(InventoryError::NoForecast);
        }
        std::borrow::Cow::Owned(vec![d.point.to_vec()])
    } else {
        std::borrow::Cow::Borrowed(d.paths)
    };
    let h = paths[0].len().max(1);
    let per_period =
        paths.iter().map(|x| x.iter().sum::<f64>()).sum::<f64>() / (paths.len() * h) as f64;
    let lead = LeadTimes {
        mean: cfg.periods(p.lead_time_days),
        sd: cfg.periods(p.lead_time_sd_days),
        past: p.past_lead_times.iter().map(|v| cfg.periods(*v)).collect(),
    };
    let review = cfg.periods(p.review_days);
    let n = cfg.simulations.max(paths.len()).max(200);
    let mut rng = SplitMix::new(seed ^ 0x5EED);
    let (mut ltd, mut ptd) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let path = &paths[i % paths.len()];
        let l = lead.draw(&mut rng);
        ltd.push(interval_sum(path, l, cfg.season));
        ptd.push(interval_sum(path, l + review, cfg.season));
    }
    let ltd = Empirical::new(ltd).ok_or(InventoryError::NoDemand)?;
    let ptd = Empirical::new(ptd).ok_or(InventoryError::NoDemand)?;
    Ok(DemandDist {
        paths,
        per_period,
        daily: per_period / cfg.period_days,
        lead,
        ltd,
        ptd,
        n,
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
            Service::Csl(a) => m + sd * super::dist::ppf(a),
            Service::FillRate(b) => {
                m + sd * super::dist::loss_inverse((1.0 - b) * cycle_demand.max(1e-9) / sd)
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

/// Plans every SKU (parameters matched by SKU; SKUs without parameters get
/// [`SkuParams::defaults`] at price 1). `progress(done, total)` may return false to
/// stop early.
pub fn plan_catalogue(
    demand: &[DemandInput<'_>],
    params: &[SkuParams],
    cfg: &PlanConfig,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Plan {
    let (skus, skipped) = plan_range(demand, params, cfg, 0..demand.len(), progress);
    Plan::merge(cfg, vec![(skus, skipped)])
}

/// The SKUs planned and skipped.
pub type Planned = (Vec<SkuPlan>, Vec<(String, String)>);

/// Plans the SKUs of `demand` in `range` (seeds by their index in the whole catalogue,
/// so a share planned apart gives the same plans); no budget applied.
fn plan_range(
    demand: &[DemandInput<'_>],
    params: &[SkuParams],
    cfg: &PlanConfig,
    range: std::ops::Range<usize>,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Planned {
    let range = range.start.min(demand.len())..range.end.min(demand.len());
    let index: std::collections::HashMap<&str, &SkuParams> =
        params.iter().map(|p| (p.sku.as_str(), p)).collect();
    let mut skus = Vec::with_capacity(demand.len());
    let mut skipped = Vec::new();
    let defaults: Vec<SkuParams> = demand
        .iter()
        .filter(|d| !index.contains_key(d.sku))
        .map(|d| SkuParams::defaults(d.sku, 0.0))
        .collect();
    let default_index: std::collections::HashMap<&str, &SkuParams> =
        defaults.iter().map(|p| (p.sku.as_str(), p)).collect();
    #[cfg(not(target_arch = "wasm32"))]
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    #[cfg(target_arch = "wasm32")]
    let threads = 1;
    // Chunks keep progress reports (and cancellation) frequent while the SKUs of a
    // chunk are spread over the cores natively.
    let (first, total) = (range.start, range.len());
    let all: Vec<usize> = range.collect();
    for chunk in all.chunks(64) {
        let results = crate::par::par_map(chunk, threads, |&i| {
            let d = &demand[i];
            let p = index
                .get(d.sku)
                .or_else(|| default_index.get(d.sku))
                .copied();
            match p {
                Some(p) => plan_sku(d, p, cfg, cfg.seed.wrapping_add(i as u64)),
                None => Err(InventoryError::NoParameters),
            }
        });
        for (&i, r) in chunk.iter().zip(results) {
            match r {
                Ok(s) => skus.push(s),
                Err(e) => skipped.push((demand[i].sku.to_string(), e.to_string())),
            }
        }
        let done = chunk.last().map_or(0, |i| i + 1 - first);
        if !progress(done, total) {
            break;
        }
    }
    (skus, skipped)
}

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

/// One SKU's demand, owned (for sending to a worker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnedDemand {
    /// The SKU.
    pub sku: String,
    /// Product name.
    pub description: String,
    /// Sample paths per period.
    pub paths: Vec<Vec<f64>>,
    /// Point forecast per period.
    pub point: Vec<f64>,
}

/// Everything a planning run needs, in one serialisable piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// Settings.
    pub config: PlanConfig,
    /// Per-SKU parameters.
    pub params: Vec<SkuParams>,
    /// Per-SKU demand.
    pub demand: Vec<OwnedDemand>,
}

/// Default parameters for every SKU of a dataset, priced at the SKU's average selling
/// price where the data has prices.
pub fn default_params(ds: &crate::data::Dataset) -> Vec<SkuParams> {
    ds.series
        .iter()
        .map(|s| {
            let price = if s.units > 0.0 {
                s.revenue / s.units
            } else {
                0.0
            };
            SkuParams::defaults(&s.sku, price)
        })
        .collect()
}

/// Keeps what the merchant entered for SKUs still present, defaults for new ones.
pub fn merge_params(defaults: Vec<SkuParams>, entered: &[SkuParams]) -> Vec<SkuParams> {
    let index: std::collections::HashMap<&str, &SkuParams> =
        entered.iter().map(|p| (p.sku.as_str(), p)).collect();
    defaults
        .into_iter()
        .map(|d| index.get(d.sku.as_str()).map_or(d, |p| (*p).clone()))
        .collect()
}

impl PlanRequest {
    /// A request from a forecast run of `ds` (the dataset the run was made from).
    pub fn from_forecast(
        run: &crate::forecast::run::ForecastRun,
        ds: &crate::data::Dataset,
        params: Vec<SkuParams>,
    ) -> Option<PlanRequest> {
        let today = *run.dates.first()?;
        let n = run.dates.len();
        let period_days = if n > 1 {
            (run.dates[n - 1] - run.dates[0]).num_days() as f64 / (n - 1) as f64
        } else {
            ds.frequency().days()
        };
        let mut config = PlanConfig::new(today, period_days, run.config.season);
        config.scenarios = Some(run.config.scenarios);
        let demand = run
            .skus
            .iter()
            .filter_map(|s| {
                let c = s.result.as_ref().ok()?;
                Some(OwnedDemand {
                    sku: s.sku.clone(),
                    description: ds
                        .get(&s.sku)
                        .map(|x| x.description.clone())
                        .unwrap_or_default(),
                    paths: c.forecast.paths.clone(),
                    point: c.forecast.point.clone(),
                })
            })
            .collect();
        Some(PlanRequest {
            config,
            params,
            demand,
        })
    }

    /// Plans (see [`plan_catalogue`]).
    pub fn run(&self, progress: &mut dyn FnMut(usize, usize) -> bool) -> Plan {
        let demand: Vec<DemandInput<'_>> = self
            .demand
            .iter()
            .map(|d| DemandInput {
                sku: &d.sku,
                description: &d.description,
                paths: &d.paths,
                point: &d.point,
            })
            .collect();
        plan_catalogue(&demand, &self.params, &self.config, progress)
    }

    /// Plans the SKUs in `range` only (one worker's share): their plans and the SKUs
    /// skipped, the same as [`PlanRequest::run`] gives them; [`Plan::merge`] puts the
    /// shares together.
    pub fn run_part(
        &self,
        range: std::ops::Range<usize>,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Planned {
        let demand: Vec<DemandInput<'_>> = self
            .demand
            .iter()
            .map(|d| DemandInput {
                sku: &d.sku,
                description: &d.description,
                paths: &d.paths,
                point: &d.point,
            })
            .collect();
        plan_range(&demand, &self.params, &self.config, range, progress)
    }

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
                && d.point.len() <= super::params::MAX_DAYS as usize * 10
                && d.paths.len() <= MAX_SIMULATIONS
                && d.paths.iter().all(|p| p.len() == d.point.len() && fine(p))
        });
        demand_ok.then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
