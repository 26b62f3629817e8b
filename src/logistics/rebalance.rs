//! Transfers between locations so that every location ends at or above its target
//! stock (e.g. its expected lead-time demand) where stock allows, at least transfer
//! cost.
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
//! shortfall is made as small as stock and lanes allow before cost is minimised. A lane
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
}

impl RebalanceProblem {
    /// Reads `supplycast rebalance`'s files: stock (`location,sku,on_hand,target_min`)
    /// and lanes (`from,to,cost_per_unit,capacity_units`; empty capacity = no limit).
    pub fn from_csv(
        stock: (&str, &str),
        lanes: (&str, &str),
    ) -> Result<RebalanceProblem, LogisticsError> {
        let mut t = Table::parse(
            stock.0,
            stock.1,
            &["location", "sku", "on_hand", "target_min"],
        )?;
        let mut rows = Vec::new();
        let mut seen = HashMap::new();
        for row in 0..t.len() {
            let l = t.name(row, "location");
            let k = t.name(row, "sku");
            let h = t.non_negative(row, "on_hand", false);
            let m = t.non_negative(row, "target_min", false);
            if let (Some(l), Some(k), Some(h), Some(m)) = (l, k, h, m) {
                if let Some(prev) = seen.insert((l.clone(), k.clone()), t.line(row)) {
                    t.problem(
                        row,
                        "sku",
                        format_args!("\"{k}\" at \"{l}\" already given on line {prev}"),
                    );
                } else {
                    rows.push((l, k, h, m));
                }
            }
        }
        t.finish()?;
        let out = read_lanes(lanes.0, lanes.1)?;
        Ok(RebalanceProblem {
            stock: rows,
            lanes: out,
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
        RebalanceProblem { stock, lanes }
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
        // Only SKUs with a location below target and stock somewhere above it move.
        let moving: Vec<&str> = skus
            .into_iter()
            .filter(|k| {
                let below = locations
                    .iter()
                    .any(|l| on_hand.get(&(l, k)).is_some_and(|(h, m)| h < m));
                let above = locations
                    .iter()
                    .any(|l| on_hand.get(&(l, k)).is_some_and(|(h, m)| h > m));
                below && above
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
        let mut objective = Expression::from(0.0);
        for &(e, _, v) in &flows {
            objective += self.lanes[e].cost_per_unit * v;
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
        let mut shortfall = Vec::new();
        for (l, k, h, m) in &self.stock {
            let moved: f64 = transfers
                .iter()
                .filter(|t| t.sku == *k)
                .map(|t| {
                    if t.to == *l {
                        t.units
                    } else if t.from == *l {
                        -t.units
                    } else {
                        0.0
                    }
                })
                .sum();
            let end = h.floor() + moved;
            if end < m.ceil() {
                shortfall.push((l.clone(), k.clone(), m.ceil() - end));
            }
        }
        Ok((
            Rebalance {
                cost,
                transfers,
                shortfall,
                needed_integer_search: false,
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
