//! Transfers between locations, at least transfer cost, so that every location ends at
//! or above its target stock where stock allows, or, given each location's lead-time
//! demand and the cost of a unit short, so that transfer cost plus expected stockout
//! cost over the lead time is least.
//!
//! # The program
//! Integer variables `f[e,k]` (units of SKU k on lane e) and `short[n,k]` (units a
//! location ends below its target):
//! ```text
//! minimise   Σ c[e]·f[e,k] + P·Σ short[n,k]
//! subject to on_hand[n,k] + in[n,k] − out[n,k] ≥ 0             every location
//!            on_hand[n,k] + in[n,k] − out[n,k] + short[n,k] ≥ target[n,k]
//!            in[h,k] = out[h,k]                                 transit hubs
//!            Σ_k f[e,k] ≤ capacity[e]                          lanes (shared)
//! ```
//! P = 1 + Σ c[e] exceeds the cost of any simple route through the lanes, so the
//! shortfall is made as small as stock and lanes allow before cost is minimised.
//!
//! With lead-time demand `D[n,k]` and a stockout cost `p`, the objective also holds
//! `p·E[(D[n,k] − s[n,k])⁺]`, the expected units short at the stock `s` a location ends
//! with. That function is convex and decreasing in `s`, so it enters the LP as a
//! piecewise-linear function on whole-unit breakpoints (every unit up to 60, else 60
//! steps up to the 1 − 10⁻⁶ quantile): variables `y[n,k,j] ∈ [0, width_j]` with
//! `Σ_j y ≤ s` and objective `−p·slope_j·y`, where the slopes fall with `j` and so fill
//! in order. A unit moves from A to B only when B's expected saving exceeds A's expected
//! loss plus the lane's cost. Demand is Poisson with the given mean, or normal when a
//! standard deviation is given. The reported expected shortages are exact, not the
//! interpolation. A lane
//! shared by all SKUs makes this a multi-commodity flow, which can have fractional
//! vertices: the LP is solved first and, only when it is fractional, again with whole
//! units by branch and bound (microlp).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};
use serde::{Deserialize, Serialize};

use super::{LogisticsError, Table};

/// A transport lane between two locations (or a transit hub).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    /// From here.
    pub from: String,
    /// To here.
    pub to: String,
    /// Cost per unit moved.
    pub cost_per_unit: f64,
    /// Units the lane can move in the period, all SKUs together (None: no limit).
    pub capacity: Option<f64>,
}

/// A rebalancing problem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RebalanceProblem {
    /// (location, sku, on_hand, target_min).
    pub stock: Vec<(String, String, f64, f64)>,
    /// The lanes.
    pub lanes: Vec<Lane>,
    /// Demand each location faces over the lead time (before the next delivery can
    /// arrive), for the expected-stockout objective.
    #[serde(default)]
    pub lead_time: Vec<LeadTimeDemand>,
    /// Cost of a unit of lead-time demand a location cannot serve. None: targets only.
    #[serde(default)]
    pub stockout_cost: Option<f64>,
}

/// A location's demand for a SKU over the lead time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadTimeDemand {
    /// The location.
    pub location: String,
    /// The SKU.
    pub sku: String,
    /// Mean units.
    pub mean: f64,
    /// Standard deviation (None: Poisson, whose variance is the mean).
    pub sd: Option<f64>,
}

impl LeadTimeDemand {
    /// E[(D − s)⁺]: the expected units short when the location holds `s`.
    pub fn expected_short(&self, s: f64) -> f64 {
        let s = s.max(0.0);
        match self.sd {
            Some(sd) if sd > 0.0 => sd * crate::inventory::dist::loss((s - self.mean) / sd),
            Some(_) => (self.mean - s).max(0.0),
            None if self.mean > 1e5 => {
                // The Poisson pmf underflows: its normal approximation is exact enough.
                let sd = self.mean.sqrt();
                sd * crate::inventory::dist::loss((s - self.mean) / sd)
            }
            None => {
                let d = crate::inventory::dist::Pois::new(self.mean);
                let x = s.floor();
                // Linear between whole units (the function is piecewise linear there).
                let a = d.loss(x as i64).0;
                let b = d.loss(x as i64 + 1).0;
                a + (b - a) * (s - x)
            }
        }
    }

    /// A stock above which one more unit saves (almost) nothing.
    fn high(&self) -> f64 {
        let sd = self.sd.unwrap_or(self.mean.sqrt()).max(1.0);
        (self.mean + 5.0 * sd + 5.0).ceil()
    }

    /// Whole-unit breakpoints 0 = b0 < b1 < … ≤ `cap`.
    fn breakpoints(&self, cap: f64) -> Vec<f64> {
        let hi = self.high().min(cap.floor()).max(0.0);
        if hi <= 60.0 {
            return (0..=hi as usize).map(|b| b as f64).collect();
        }
        let mut out: Vec<f64> = (0..=60).map(|j| (hi * j as f64 / 60.0).round()).collect();
        out.dedup();
        out
    }
}

/// Units of a SKU moved on a lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// From here.
    pub from: String,
    /// To here.
    pub to: String,
    /// The SKU.
    pub sku: String,
    /// Whole units.
    pub units: f64,
}

/// The solved rebalancing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rebalance {
    /// Transfer cost.
    pub cost: f64,
    /// Every lane and SKU that moves stock.
    pub transfers: Vec<Transfer>,
    /// Where a location still ends below target: (location, sku, units short).
    pub shortfall: Vec<(String, String, f64)>,
    /// Whether branch and bound was needed for whole units.
    pub needed_integer_search: bool,
    /// With a stockout cost: per location and SKU with lead-time demand, the expected
    /// units short before and after the transfers.
    #[serde(default)]
    pub risk: Vec<Risk>,
    /// The stockout cost per unit the plan was made with (None: targets only).
    #[serde(default)]
    pub stockout_cost: Option<f64>,
}

/// Expected units short over the lead time at one location, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// The location.
    pub location: String,
    /// The SKU.
    pub sku: String,
    /// Expected units short with today's stock.
    pub before: f64,
    /// Expected units short after the transfers.
    pub after: f64,
}

impl Rebalance {
    /// The stockout cost per unit (0 without one).
    pub fn stockout_per_unit(&self) -> f64 {
        self.stockout_cost.unwrap_or(0.0)
    }

    /// Expected units short over the lead time, before and after (all locations).
    pub fn expected_short(&self) -> (f64, f64) {
        (
            self.risk.iter().map(|r| r.before).sum(),
            self.risk.iter().map(|r| r.after).sum(),
        )
    }
}

/// The expected stockout cost's linear segments at one location for one SKU:
/// (location, sku, [(units in the segment, at most its width; stockout cost saved a unit)]).
type Segments<'a> = (&'a str, &'a str, Vec<(Variable, f64)>);

impl RebalanceProblem {
    /// Reads `supplycast rebalance`'s files: stock (`location,sku,on_hand,target_min`)
    /// and lanes (`from,to,cost_per_unit,capacity_units`; empty capacity = no limit).
    pub fn from_csv(
        stock: (&str, &str),
        lanes: (&str, &str),
    ) -> Result<RebalanceProblem, LogisticsError> {
        Self::from_csv_with_risk(stock, lanes, None)
    }

    /// [`Self::from_csv`] with a stockout cost: the stock file then needs a
    /// `lead_time_demand` column (mean units over the lead time; optional
    /// `lead_time_sd`, else Poisson) and `target_min` becomes optional.
    pub fn from_csv_with_risk(
        stock: (&str, &str),
        lanes: (&str, &str),
        stockout_cost: Option<f64>,
    ) -> Result<RebalanceProblem, LogisticsError> {
        let required: &[&str] = if stockout_cost.is_some() {
            &["location", "sku", "on_hand", "lead_time_demand"]
        } else {
            &["location", "sku", "on_hand", "target_min"]
        };
        let mut t = Table::parse(stock.0, stock.1, required)?;
        let has_target = t.has("target_min");
        let has_sd = t.has("lead_time_sd");
        let mut rows = Vec::new();
        let mut lead_time = Vec::new();
        let mut seen = HashMap::new();
        for row in 0..t.len() {
            let l = t.name(row, "location");
            let k = t.name(row, "sku");
            let h = t.non_negative(row, "on_hand", false);
            let m = if has_target {
                let v = t.non_negative(row, "target_min", stockout_cost.is_some());
                if stockout_cost.is_some() {
                    Some(v.unwrap_or(0.0))
                } else {
                    v
                }
            } else {
                Some(0.0)
            };
            let mean = if stockout_cost.is_some() {
                t.non_negative(row, "lead_time_demand", false)
            } else {
                None
            };
            let sd = if has_sd && stockout_cost.is_some() {
                t.non_negative(row, "lead_time_sd", true)
            } else {
                None
            };
            if let (Some(l), Some(k), Some(h), Some(m)) = (l, k, h, m) {
                if let Some(prev) = seen.insert((l.clone(), k.clone()), t.line(row)) {
                    t.problem(
                        row,
                        "sku",
                        format_args!("\"{k}\" at \"{l}\" already given on line {prev}"),
                    );
                } else {
                    if let Some(mean) = mean {
                        lead_time.push(LeadTimeDemand {
                            location: l.clone(),
                            sku: k.clone(),
                            mean,
                            sd,
                        });
                    }
                    rows.push((l, k, h, m));
                }
            }
        }
        t.finish()?;
        if let Some(p) = stockout_cost
            && !(p.is_finite() && p >= 0.0)
        {
            return Err(LogisticsError::Problem(format!(
                "the stockout cost must be a number at least 0, not {p}"
            )));
        }
        let out = read_lanes(lanes.0, lanes.1)?;
        Ok(RebalanceProblem {
            stock: rows,
            lanes: out,
            lead_time,
            stockout_cost,
        })
    }

    /// Targets from an allocation problem: each location aims to hold the demand of
    /// the regions it serves most cheaply (ties to the first location listed), so that
    /// every region can be served from its nearest stock.
    pub fn from_allocation(p: &super::AllocationProblem, lanes: Vec<Lane>) -> RebalanceProblem {
        let mut target: BTreeMap<(usize, String), f64> = BTreeMap::new();
        for (region, sku, d) in &p.demand {
            let best = p
                .costs
                .iter()
                .filter(|c| c.1 == *region)
                .min_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
            if let Some(&(l, _, _)) = best {
                *target.entry((l, sku.clone())).or_default() += d.max(0.0).round();
            }
        }
        let mut on_hand: BTreeMap<(usize, String), f64> = BTreeMap::new();
        for s in &p.stock {
            *on_hand.entry((s.location, s.sku.clone())).or_default() += s.units;
        }
        let keys: BTreeSet<(usize, String)> =
            target.keys().chain(on_hand.keys()).cloned().collect();
        let stock = keys
            .into_iter()
            .map(|(l, k)| {
                let h = on_hand.get(&(l, k.clone())).copied().unwrap_or(0.0);
                let m = target.get(&(l, k.clone())).copied().unwrap_or(0.0);
                (p.locations[l].name.clone(), k, h, m)
            })
            .collect();
        RebalanceProblem {
            stock,
            lanes,
            ..Default::default()
        }
    }

    /// As [`Self::from_allocation`], but instead of hard targets each location faces
    /// that demand as Poisson lead-time demand, short units costing `stockout_cost`:
    /// stock moves only where the expected stockouts it saves outweigh the lanes' cost.
    pub fn from_allocation_with_risk(
        p: &super::AllocationProblem,
        lanes: Vec<Lane>,
        stockout_cost: f64,
    ) -> RebalanceProblem {
        let mut out = Self::from_allocation(p, lanes);
        out.lead_time = out
            .stock
            .iter()
            .filter(|s| s.3 > 0.0)
            .map(|(l, k, _, m)| LeadTimeDemand {
                location: l.clone(),
                sku: k.clone(),
                mean: *m,
                sd: None,
            })
            .collect();
        for s in &mut out.stock {
            s.3 = 0.0;
        }
        out.stockout_cost = Some(stockout_cost);
        out
    }

    /// Solves the rebalancing (see the module's docs).
    pub fn solve(&self) -> Result<Rebalance, LogisticsError> {
        match self.solve_with(false)? {
            (r, true) => Ok(r),
            (_, false) => {
                let (mut r, _) = self.solve_with(true)?;
                r.needed_integer_search = true;
                Ok(r)
            }
        }
    }

    /// The program, continuous or integer; also whether the answer is whole.
    fn solve_with(&self, integer: bool) -> Result<(Rebalance, bool), LogisticsError> {
        let locations: BTreeSet<&str> = self.stock.iter().map(|s| s.0.as_str()).collect();
        let mut nodes: BTreeSet<&str> = locations.clone();
        for l in &self.lanes {
            nodes.insert(&l.from);
            nodes.insert(&l.to);
        }
        let mut on_hand: HashMap<(&str, &str), (f64, f64)> = HashMap::new();
        let mut skus: BTreeSet<&str> = BTreeSet::new();
        for (l, k, h, m) in &self.stock {
            on_hand.insert((l, k), (h.floor(), m.ceil()));
            skus.insert(k);
        }
        let stockout = self.stockout_cost.unwrap_or(0.0);
        let lead: HashMap<(&str, &str), &LeadTimeDemand> = self
            .lead_time
            .iter()
            .filter(|d| stockout > 0.0 && d.mean > 0.0 && locations.contains(d.location.as_str()))
            .map(|d| ((d.location.as_str(), d.sku.as_str()), d))
            .collect();
        let mut total: HashMap<&str, f64> = HashMap::new();
        for (&(_, k), &(h, _)) in &on_hand {
            *total.entry(k).or_default() += h;
        }
        // Only SKUs with a location below target (or at risk of a stockout) and stock
        // somewhere else move.
        let moving: Vec<&str> = skus
            .into_iter()
            .filter(|k| {
                let below = locations
                    .iter()
                    .any(|l| on_hand.get(&(l, k)).is_some_and(|(h, m)| h < m));
                let above = locations
                    .iter()
                    .any(|l| on_hand.get(&(l, k)).is_some_and(|(h, m)| h > m));
                let at_risk = locations.iter().any(|l| {
                    lead.get(&(l, k)).is_some_and(|d| {
                        let h = on_hand.get(&(l, k)).map_or(0.0, |x| x.0);
                        h < total.get(k).copied().unwrap_or(0.0) && d.expected_short(h) > 1e-9
                    })
                });
                (below && above) || at_risk
            })
            .collect();
        let penalty = 1.0 + self.lanes.iter().map(|l| l.cost_per_unit).sum::<f64>();
        let mut vars = ProblemVariables::new();
        let var = |vars: &mut ProblemVariables| {
            if integer {
                vars.add(variable().integer().min(0))
            } else {
                vars.add(variable().min(0))
            }
        };
        let mut flows: Vec<(usize, &str, Variable)> = Vec::new();
        for (e, _) in self.lanes.iter().enumerate() {
            for &k in &moving {
                flows.push((e, k, var(&mut vars)));
            }
        }
        let mut shorts: Vec<(&str, &str, Variable)> = Vec::new();
        for &l in &locations {
            for &k in &moving {
                if on_hand.get(&(l, k)).is_some_and(|(_, m)| *m > 0.0) {
                    shorts.push((l, k, vars.add(variable().min(0))));
                }
            }
        }
        let mut segments: Vec<Segments<'_>> = Vec::new();
        for &l in &locations {
            for &k in &moving {
                let Some(d) = lead.get(&(l, k)) else { continue };
                let bps = d.breakpoints(total.get(k).copied().unwrap_or(0.0));
                let mut ys = Vec::new();
                for w in bps.windows(2) {
                    let saving = stockout * (d.expected_short(w[0]) - d.expected_short(w[1]));
                    if saving <= 1e-12 {
                        break;
                    }
                    ys.push((
                        vars.add(variable().min(0).max(w[1] - w[0])),
                        saving / (w[1] - w[0]),
                    ));
                }
                if !ys.is_empty() {
                    segments.push((l, k, ys));
                }
            }
        }
        let mut objective = Expression::from(0.0);
        for &(e, _, v) in &flows {
            objective += self.lanes[e].cost_per_unit * v;
        }
        for (_, _, ys) in &segments {
            for &(y, slope) in ys {
                objective -= slope * y;
            }
        }
        for &(_, _, v) in &shorts {
            objective += penalty * v;
        }
        let mut problem = vars.minimise(objective).using(microlp);
        let mut net: BTreeMap<(&str, &str), Expression> = BTreeMap::new();
        let mut per_lane: Vec<Expression> = vec![Expression::from(0.0); self.lanes.len()];
        for &(e, k, v) in &flows {
            let lane = &self.lanes[e];
            *net.entry((lane.to.as_str(), k)).or_default() += v;
            *net.entry((lane.from.as_str(), k)).or_default() -= v;
            per_lane[e] += v;
        }
        let short_of: HashMap<(&str, &str), Variable> =
            shorts.iter().map(|&(l, k, v)| ((l, k), v)).collect();
        for &n in &nodes {
            for &k in &moving {
                let inflow = net.get(&(n, k)).cloned().unwrap_or_default();
                if locations.contains(n) {
                    let (h, m) = on_hand.get(&(n, k)).copied().unwrap_or((0.0, 0.0));
                    problem.add_constraint((inflow.clone() + h).geq(0.0));
                    if let Some(&s) = short_of.get(&(n, k)) {
                        problem.add_constraint((inflow + h + s).geq(m));
                    }
                } else {
                    problem.add_constraint(inflow.eq(0.0));
                }
            }
        }
        for (l, k, ys) in &segments {
            let inflow = net.get(&(*l, *k)).cloned().unwrap_or_default();
            let h = on_hand.get(&(*l, *k)).map_or(0.0, |x| x.0);
            let held: Expression = ys.iter().map(|&(y, _)| y).sum();
            problem.add_constraint(held.leq(inflow + h));
        }
        for (e, lane) in self.lanes.iter().enumerate() {
            if let Some(c) = lane.capacity
                && !moving.is_empty()
            {
                problem.add_constraint(per_lane[e].clone().leq(c.floor()));
            }
        }
        let solution = problem
            .solve()
            .map_err(|e| LogisticsError::Solver(e.to_string()))?;
        let mut whole = true;
        let mut transfers = Vec::new();
        let mut cost = 0.0;
        for &(e, k, v) in &flows {
            let x = solution.value(v);
            if (x - x.round()).abs() > 1e-6 {
                whole = false;
            }
            let units = x.max(0.0).round();
            if units > 0.0 {
                let lane = &self.lanes[e];
                cost += lane.cost_per_unit * units;
                transfers.push(Transfer {
                    from: lane.from.clone(),
                    to: lane.to.clone(),
                    sku: k.to_string(),
                    units,
                });
            }
        }
        let moved = |l: &str, k: &str| -> f64 {
            transfers
                .iter()
                .filter(|t| t.sku == k)
                .map(|t| {
                    if t.to == l {
                        t.units
                    } else if t.from == l {
                        -t.units
                    } else {
                        0.0
                    }
                })
                .sum()
        };
        let mut shortfall = Vec::new();
        for (l, k, h, m) in &self.stock {
            let end = h.floor() + moved(l, k);
            if end < m.ceil() {
                shortfall.push((l.clone(), k.clone(), m.ceil() - end));
            }
        }
        let risk = if self.stockout_cost.is_some() {
            self.lead_time
                .iter()
                .map(|d| {
                    let key = (d.location.as_str(), d.sku.as_str());
                    let h = on_hand.get(&key).map_or(0.0, |x| x.0);
                    Risk {
                        location: d.location.clone(),
                        sku: d.sku.clone(),
                        before: d.expected_short(h),
                        after: d.expected_short(h + moved(key.0, key.1)),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok((
            Rebalance {
                cost,
                transfers,
                shortfall,
                needed_integer_search: false,
                risk,
                stockout_cost: self.stockout_cost,
            },
            whole,
        ))
    }
}

/// Reads a lanes file `from,to,cost_per_unit,capacity_units` (empty capacity = no limit).
pub fn read_lanes(file: &str, text: &str) -> Result<Vec<Lane>, LogisticsError> {
    let mut t = Table::parse(
        file,
        text,
        &["from", "to", "cost_per_unit", "capacity_units"],
    )?;
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for row in 0..t.len() {
        let from = t.name(row, "from");
        let to = t.name(row, "to");
        let cost = t.non_negative(row, "cost_per_unit", false);
        let cap = t.non_negative(row, "capacity_units", true);
        if let (Some(f), Some(to), Some(c)) = (from, to, cost) {
            if f == to {
                t.problem(row, "to", format_args!("a lane from \"{f}\" to itself"));
            } else if let Some(prev) = seen.insert((f.clone(), to.clone()), t.line(row)) {
                t.problem(
                    row,
                    "to",
                    format_args!("lane {f} → {to} already given on line {prev}"),
                );
            } else {
                out.push(Lane {
                    from: f,
                    to,
                    cost_per_unit: c,
                    capacity: cap,
                });
            }
        }
    }
    t.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(
        a: f64,
        b: f64,
        mean_a: f64,
        mean_b: f64,
        sd: Option<f64>,
        cost: f64,
    ) -> RebalanceProblem {
        let row = |l: &str, h: f64, mean: f64| {
            (
                (l.to_string(), "K".to_string(), h, 0.0),
                LeadTimeDemand {
                    location: l.into(),
                    sku: "K".into(),
                    mean,
                    sd,
                },
            )
        };
        let (ra, da) = row("A", a, mean_a);
        let (rb, db) = row("B", b, mean_b);
        RebalanceProblem {
            stock: vec![ra, rb],
            lanes: vec![
                Lane {
                    from: "A".into(),
                    to: "B".into(),
                    cost_per_unit: cost,
                    capacity: None,
                },
                Lane {
                    from: "B".into(),
                    to: "A".into(),
                    cost_per_unit: cost,
                    capacity: None,
                },
            ],
            lead_time: vec![da, db],
            stockout_cost: Some(10.0),
        }
    }

    /// Enumerates every whole number of units moved A → B (or B → A): the least
    /// transfer plus expected stockout cost.
    fn brute(p: &RebalanceProblem) -> f64 {
        let (a, b) = (p.stock[0].2, p.stock[1].2);
        let c = p.lanes[0].cost_per_unit;
        let s = p.stockout_cost.unwrap();
        let (da, db) = (&p.lead_time[0], &p.lead_time[1]);
        (-(b as i64)..=a as i64)
            .map(|x| {
                let x = x as f64;
                c * x.abs() + s * (da.expected_short(a - x) + db.expected_short(b + x))
            })
            .fold(f64::INFINITY, f64::min)
    }

    fn total(p: &RebalanceProblem, r: &Rebalance) -> f64 {
        r.cost + p.stockout_cost.unwrap() * r.expected_short().1
    }

    /// Poisson demand, few units: the breakpoints are every unit, so the LP's choice is
    /// exactly the enumerated optimum.
    #[test]
    fn poisson_transfers_match_enumeration() {
        for (a, b, ma, mb, c) in [
            (10.0, 0.0, 2.0, 5.0, 1.0),
            (10.0, 0.0, 2.0, 5.0, 6.0),
            (3.0, 12.0, 8.0, 1.0, 0.5),
            (20.0, 20.0, 5.0, 5.0, 0.1),
            (0.0, 4.0, 0.0, 3.0, 0.0),
        ] {
            let p = problem(a, b, ma, mb, None, c);
            let r = p.solve().unwrap();
            let (before, after) = r.expected_short();
            assert!(after <= before + 1e-9);
            assert!(
                (total(&p, &r) - brute(&p)).abs() < 1e-6,
                "{a} {b} {ma} {mb} {c}: {} vs {}",
                total(&p, &r),
                brute(&p)
            );
        }
    }

    /// Normal demand over many units: 60 breakpoints interpolate the expected shortage,
    /// and the plan costs within 0.5 % of the enumerated optimum.
    #[test]
    fn normal_transfers_near_enumeration() {
        for (a, b, ma, mb, c) in [
            (400.0, 20.0, 150.0, 250.0, 2.0),
            (900.0, 0.0, 300.0, 400.0, 0.3),
        ] {
            let p = problem(a, b, ma, mb, Some(60.0), c);
            let r = p.solve().unwrap();
            let best = brute(&p);
            assert!(
                total(&p, &r) <= best * 1.005 + 1e-6,
                "{} vs {best}",
                total(&p, &r)
            );
            assert!(!r.transfers.is_empty());
        }
    }

    /// A lane dearer than the stockout it would save moves nothing.
    #[test]
    fn dear_lanes_move_nothing() {
        let p = problem(10.0, 0.0, 2.0, 5.0, None, 11.0);
        let r = p.solve().unwrap();
        assert!(r.transfers.is_empty());
    }
}
