//! The demand a SKU's policy protects against: the forecast's sample paths summed over
//! lead times drawn from the SKU's lead-time distribution (and over a lead time plus a
//! review period), as an empirical distribution rather than an assumed normal one.

use super::{DemandInput, PlanConfig};
use crate::inventory::InventoryError;
use crate::inventory::dist::Empirical;
use crate::inventory::params::SkuParams;
use crate::inventory::sim::{self, LeadTimes};
use crate::rng::SplitMix;

/// Sum of a path over `len` periods (fractional: the last period in proportion).
pub(super) fn interval_sum(path: &[f64], len: f64, season: usize) -> f64 {
    let whole = len.floor() as usize;
    let mut s: f64 = (0..whole).map(|t| sim::demand_at(path, t, season)).sum();
    let frac = len - whole as f64;
    if frac > 0.0 {
        s += frac * sim::demand_at(path, whole, season);
    }
    s
}

/// The demand one SKU's policy protects against: its sample paths (the point forecast
/// when it has none), lead-time demand and lead-time-plus-review demand, each path
/// summed over lead times drawn from the SKU's lead-time distribution.
pub(super) struct DemandDist<'a> {
    pub(super) paths: std::borrow::Cow<'a, [Vec<f64>]>,
    /// Mean demand per period and per day.
    pub(super) per_period: f64,
    pub(super) daily: f64,
    pub(super) lead: LeadTimes,
    /// Demand over a lead time, and over a lead time plus a review period.
    pub(super) ltd: Empirical,
    pub(super) ptd: Empirical,
    /// Draws made.
    pub(super) n: usize,
}

pub(super) fn demand_distribution<'a>(
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
