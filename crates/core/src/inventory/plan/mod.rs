//! The replenishment plan: per SKU, a policy set from the forecast's own demand
//! distribution, today's purchase recommendation, and the policy's simulated
//! performance next to a baseline.
//!
//! Lead-time demand is not assumed normal: it is drawn by summing each sample path of
//! the forecast over a lead time drawn from the SKU's lead-time distribution (Silver,
//! Pyke & Thomas 2017, §6.9 on bootstrapped lead-time demand), so intermittent and
//! skewed demand get the safety stock their actual distribution needs.
//!
//! One file per job: `sku.rs` plans one SKU (policy, levels, today's order, the
//! simulation against a baseline), `demand.rs` draws the demand it is protected
//! against, `budget.rs` applies the budget and merges shares of the catalogue, `io.rs`
//! writes the purchase list and the stored bytes; this file holds the types and the
//! catalogue's entry points.

mod budget;
mod demand;
mod io;
mod sku;
#[cfg(test)]
mod tests;

pub use budget::{apply_budget, catalogue_tradeoff};
pub use sku::plan_sku;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::params::SkuParams;
use super::sim::{Band, SimSummary, Unmet};

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
}
