//! Which location serves which region's demand, at least shipping cost plus the cost
//! of demand left unmet, within each location's stock and shipping capacity; and, when
//! purchase orders are about to arrive, how each is split across receiving locations.
//!
//! # The program
//! Variables `x[l,r,k]` (units of SKU k shipped from location l to region r, only on
//! lanes with a cost), `u[r,k]` (unmet units), `y[l,k]` (units of an arriving order
//! received at l):
//! ```text
//! minimise   Σ c[l,r]·x[l,r,k] + X·Σ u[r,k]
//! subject to Σ_r x[l,r,k] ≤ s[l,k] + y[l,k]     stock
//!            Σ_{r,k} x[l,r,k] ≤ C[l]             shipping capacity
//!            Σ_l x[l,r,k] + u[r,k] = d[r,k]      demand
//!            Σ_l y[l,k] = q[k]                   each order received in full
//! ```
//! Without orders this is a network flow (source → location, capacity C → location·SKU,
//! stock s → region·SKU, cost c → sink, demand d; unmet units come straight from the
//! source at cost X), whose constraint matrix is totally unimodular: the simplex
//! optimum is a vertex, and every vertex is whole units. With orders the capacity
//! bundles units from two sources and the vertex can be fractional, so the split is
//! rounded by largest remainder per SKU (every order still adds up) and the allocation
//! is solved again on the whole-unit split: shipments stay whole and optimal for the
//! split, and the LP bound is reported beside the cost.
//!
//! Quantities are whole units: demand rounds to the nearest unit (forecasts are
//! fractional), stock and capacity round down.
//!
//! When all demand must be met (no unmet cost), the program is solved with a penalty
//! larger than any saving rerouting could make (1 + (locations + 1) × the dearest
//! lane), so the least possible shortfall is found and reported per SKU.

use std::collections::{BTreeMap, HashMap};

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};
use serde::{Deserialize, Serialize};

use good_lp::solvers::microlp::MicroLpProblem;

use super::flow::Residual;
use super::route::Coord;
use super::{LogisticsError, Table};

/// A stock location (warehouse, shop, fulfilment centre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Its name, as the other files refer to it.
    pub name: String,
    /// Units it can ship in the period (None: no limit).
    pub capacity: Option<f64>,
    /// Where it is, when known.
    pub coord: Option<Coord>,
}

/// Units of a SKU on hand at a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stock {
    /// Index into [`AllocationProblem::locations`].
    pub location: usize,
    /// The SKU.
    pub sku: String,
    /// Units on hand.
    pub units: f64,
}

/// An allocation problem: locations, their stock, regional demand and lane costs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AllocationProblem {
    /// The locations.
    pub locations: Vec<Location>,
    /// Stock per location and SKU.
    pub stock: Vec<Stock>,
    /// Demand per region and SKU: (region, sku, units).
    pub demand: Vec<(String, String, f64)>,
    /// Shipping cost per unit from a location (index) to a region; a pair that is not
    /// listed is not a lane.
    pub costs: Vec<(usize, String, f64)>,
    /// Cost of each unit of demand left unmet (None: all demand must be met).
    pub unmet_cost: Option<f64>,
    /// Purchase orders about to arrive, to be split across locations: (sku, units).
    pub orders: Vec<(String, f64)>,
}

/// Units shipped on one lane for one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// From this location.
    pub location: String,
    /// To this region.
    pub region: String,
    /// The SKU.
    pub sku: String,
    /// Whole units.
    pub units: f64,
}

/// Units of an arriving purchase order received at a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// The location.
    pub location: String,
    /// The SKU.
    pub sku: String,
    /// Whole units.
    pub units: f64,
}

/// The cost of an allocation, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Shipping cost.
    pub shipping: f64,
    /// Unmet units × the unmet cost.
    pub unmet_penalty: f64,
}

/// A location's shipping capacity and what one more unit of it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityUse {
    /// The location.
    pub location: String,
    /// Units shipped.
    pub shipped: f64,
    /// Its capacity (None: no limit).
    pub capacity: Option<f64>,
    /// What one more unit of capacity would save (0 when capacity is not binding).
    pub value_of_one_more_unit: f64,
}

/// The solved allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// Shipping plus unmet penalty.
    pub cost: f64,
    /// The cost by kind.
    pub breakdown: CostBreakdown,
    /// Units of demand left unmet.
    pub unmet_units: f64,
    /// Every lane and SKU that ships, sorted by location, region, SKU.
    pub flows: Vec<Flow>,
    /// Unmet demand: (region, sku, units).
    pub unmet: Vec<(String, String, f64)>,
    /// How the arriving orders are split (empty without orders).
    pub receipts: Vec<Receipt>,
    /// Each location's capacity use and its marginal value.
    pub capacity: Vec<CapacityUse>,
    /// With orders: the cost of the fractional split (a lower bound on `cost`).
    pub lp_bound: Option<f64>,
}

impl AllocationProblem {
    /// Reads the four files of `supplycast allocate`: locations
    /// (`location,capacity_units`, optional `lat,lon` or `x,y`), stock
    /// (`location,sku,on_hand`), demand (`region,sku,demand`) and costs
    /// (`location,region,cost_per_unit`). Each argument is (file name, text).
    pub fn from_csv(
        locations: (&str, &str),
        stock: (&str, &str),
        demand: (&str, &str),
        costs: (&str, &str),
    ) -> Result<AllocationProblem, LogisticsError> {
        let demand = read_demand(demand.0, demand.1)?;
        Self::from_csv_with_demand(locations, stock, demand, costs)
    }

    /// [`AllocationProblem::from_csv`] with demand already in hand (e.g. forecasts
    /// split by region, [`split_by_region`]).
    pub fn from_csv_with_demand(
        locations: (&str, &str),
        stock: (&str, &str),
        demand: Vec<(String, String, f64)>,
        costs: (&str, &str),
    ) -> Result<AllocationProblem, LogisticsError> {
        let locations = read_locations(locations.0, locations.1, true)?;
        let index: HashMap<String, usize> = locations
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.clone(), i))
            .collect();
        let stock = read_stock(stock.0, stock.1, &index)?;
        let mut t = Table::parse(costs.0, costs.1, &["location", "region", "cost_per_unit"])?;
        let mut lanes = Vec::new();
        let mut seen = HashMap::new();
        for row in 0..t.len() {
            let loc = location_ref(&mut t, row, "location", &index);
            let region = t.name(row, "region");
            let cost = t.non_negative(row, "cost_per_unit", false);
            if let (Some(l), Some(r), Some(c)) = (loc, region, cost) {
                if let Some(prev) = seen.insert((l, r.clone()), t.line(row)) {
                    t.problem(
                        row,
                        "region",
                        format_args!(
                            "lane {} → {r} already given on line {prev}",
                            locations[l].name
                        ),
                    );
                } else {
                    lanes.push((l, r, c));
                }
            }
        }
        t.finish()?;
        Ok(AllocationProblem {
            locations,
            stock,
            demand,
            costs: lanes,
            unmet_cost: None,
            orders: Vec::new(),
        })
    }

    /// Adds a lane from every location to every region that has none, costing `rate`
    /// per unit and per unit of distance (km on lat/lon, Euclidean on x/y) between the
    /// location's and the region's coordinates. Lanes already given keep their cost.
    pub fn add_distance_costs(
        &mut self,
        regions: &[(String, Coord)],
        rate: f64,
    ) -> Result<(), LogisticsError> {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(LogisticsError::Problem(format!(
                "the rate {rate} must be a number ≥ 0"
            )));
        }
        let have: std::collections::HashSet<(usize, String)> =
            self.costs.iter().map(|(l, r, _)| (*l, r.clone())).collect();
        let mut problems = Vec::new();
        for (l, loc) in self.locations.iter().enumerate() {
            for (region, at) in regions {
                if have.contains(&(l, region.clone())) {
                    continue;
                }
                let Some(from) = loc.coord else {
                    problems.push(format!(
                        "location \"{}\" has no coordinates (lat,lon or x,y): a rate per distance needs them",
                        loc.name
                    ));
                    break;
                };
                let metric = match from {
                    Coord::LatLon { .. } => super::route::Metric::GreatCircleKm,
                    Coord::Xy { .. } => super::route::Metric::Euclidean,
                };
                let d = super::route::distance(from, *at, metric);
                if !d.is_finite() {
                    problems.push(format!(
                        "location \"{}\" and region \"{region}\" mix lat/lon with x/y coordinates",
                        loc.name
                    ));
                    continue;
                }
                self.costs.push((l, region.clone(), rate * d));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(LogisticsError::Input {
                file: "locations".into(),
                problems,
            })
        }
    }

    /// Solves the allocation (see the module's docs).
    pub fn solve(&self) -> Result<Allocation, LogisticsError> {
        if self.locations.is_empty() {
            return Err(LogisticsError::Problem("no locations".into()));
        }
        if let Some(x) = self.unmet_cost
            && !(x.is_finite() && x >= 0.0)
        {
            return Err(LogisticsError::Problem(format!(
                "the unmet cost {x} must be a number ≥ 0"
            )));
        }
        let max_cost = self.costs.iter().map(|c| c.2).fold(0.0, f64::max);
        let penalty = self
            .unmet_cost
            .unwrap_or(1.0 + (self.locations.len() as f64 + 1.0) * max_cost);
        let mut stock: HashMap<(usize, &str), f64> = HashMap::new();
        for s in &self.stock {
            *stock.entry((s.location, s.sku.as_str())).or_default() += s.units.max(0.0).floor();
        }
        let orders: BTreeMap<&str, f64> =
            self.orders.iter().fold(BTreeMap::new(), |mut m, (k, q)| {
                *m.entry(k.as_str()).or_default() += q.max(0.0).round();
                m
            });
        let mut lp_bound = None;
        let mut receipts = Vec::new();
        if orders.values().any(|&q| q > 0.0) {
            let (split, bound) = self.solve_lp(&stock, &orders, penalty)?;
            lp_bound = Some(bound);
            for (k, &q) in &orders {
                let shares: Vec<(usize, f64)> = split
                    .iter()
                    .filter(|((_, sku), _)| sku == k)
                    .map(|((l, _), &v)| (*l, v))
                    .collect();
                for (l, units) in largest_remainder(&shares, q, self.locations.len()) {
                    if units > 0.0 {
                        *stock.entry((l, k)).or_default() += units;
                        receipts.push(Receipt {
                            location: self.locations[l].name.clone(),
                            sku: k.to_string(),
                            units,
                        });
                    }
                }
            }
        }
        let solved = self.solve_network(&stock, penalty)?;
        let shipping: f64 = solved.flows.iter().map(|f| f.3 * f.4).sum();
        let unmet_units: f64 = solved.unmet.iter().map(|u| u.2).sum();
        if self.unmet_cost.is_none() && unmet_units > 0.0 {
            let mut short: BTreeMap<String, f64> = BTreeMap::new();
            for (_, k, u) in &solved.unmet {
                *short.entry(k.clone()).or_default() += u;
            }
            return Err(LogisticsError::Infeasible {
                short: short.into_iter().collect(),
            });
        }
        let breakdown = CostBreakdown {
            shipping,
            unmet_penalty: unmet_units * self.unmet_cost.unwrap_or(0.0),
        };
        let mut flows: Vec<Flow> = solved
            .flows
            .iter()
            .map(|&(l, ref r, ref k, _, units)| Flow {
                location: self.locations[l].name.clone(),
                region: r.clone(),
                sku: k.clone(),
                units,
            })
            .collect();
        flows.sort_by(|a, b| {
            (&a.location, &a.region, &a.sku).cmp(&(&b.location, &b.region, &b.sku))
        });
        Ok(Allocation {
            cost: breakdown.shipping + breakdown.unmet_penalty,
            breakdown,
            unmet_units,
            flows,
            unmet: solved.unmet,
            receipts,
            capacity: solved.capacity,
            lp_bound,
        })
    }

    /// The LP with orders split fractionally: the split and the optimal cost.
    #[allow(clippy::type_complexity)]
    fn solve_lp(
        &self,
        stock: &HashMap<(usize, &str), f64>,
        orders: &BTreeMap<&str, f64>,
        penalty: f64,
    ) -> Result<(HashMap<(usize, String), f64>, f64), LogisticsError> {
        let (model, problem) = Model::build(self, stock, Some(orders), penalty);
        let values = model.solve(problem, penalty)?;
        let split = model
            .receipts
            .iter()
            .map(|&(l, ref k, v)| ((l, k.clone()), values.value(v)))
            .collect();
        Ok((split, values.objective))
    }

    /// The network program on whole-unit stock, its flows and capacity values.
    fn solve_network(
        &self,
        stock: &HashMap<(usize, &str), f64>,
        penalty: f64,
    ) -> Result<Solved, LogisticsError> {
        let (model, problem) = Model::build(self, stock, None, penalty);
        let values = model.solve(problem, penalty)?;
        // The optimum is a vertex of a totally unimodular system: whole units up to the
        // solver's rounding, which is removed here.
        let mut flows = Vec::new();
        let mut shipped_from = vec![0.0; self.locations.len()];
        let mut served: HashMap<(usize, usize), f64> = HashMap::new();
        for &(l, r, k, cost, v) in &model.ships {
            let units = values.value(v).max(0.0).round();
            if units > 0.0 {
                shipped_from[l] += units;
                *served.entry((r, k)).or_default() += units;
                flows.push((
                    l,
                    model.regions[r].clone(),
                    model.skus[k].clone(),
                    cost,
                    units,
                ));
            }
        }
        let mut unmet = Vec::new();
        for (&(r, k), &d) in &model.demand {
            let u = (d - served.get(&(r, k)).copied().unwrap_or(0.0)).max(0.0);
            if u > 0.0 {
                unmet.push((model.regions[r].clone(), model.skus[k].clone(), u));
            }
        }
        unmet.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

        // Residual graph: 0 = source, 1..=L locations, then location·SKU and region·SKU.
        let nl = self.locations.len();
        let mut node: HashMap<(u8, usize, usize), usize> = HashMap::new();
        let mut next = 1 + nl;
        let mut id = |kind: u8, a: usize, b: usize| {
            *node.entry((kind, a, b)).or_insert_with(|| {
                next += 1;
                next - 1
            })
        };
        let mut arcs = Vec::new();
        let mut through: HashMap<(usize, usize), f64> = HashMap::new();
        for &(l, r, k, cost, v) in &model.ships {
            let units = values.value(v).max(0.0).round();
            *through.entry((l, k)).or_default() += units;
            arcs.push((id(0, l, k), id(1, r, k), cost, units, None));
        }
        for (&(l, k), &s) in &model.stock {
            let used = through.get(&(l, k)).copied().unwrap_or(0.0);
            arcs.push((1 + l, id(0, l, k), 0.0, used, Some(s)));
        }
        for &(r, k) in model.demand.keys() {
            let u = (model.demand[&(r, k)] - served.get(&(r, k)).copied().unwrap_or(0.0)).max(0.0);
            arcs.push((0, id(1, r, k), penalty, u, None));
        }
        let capacity: Vec<Option<f64>> = self
            .locations
            .iter()
            .map(|l| l.capacity.map(|c| c.max(0.0).floor()))
            .collect();
        for l in 0..nl {
            arcs.push((0, 1 + l, 0.0, shipped_from[l], capacity[l]));
        }
        let mut residual = Residual::new(next);
        for (from, to, cost, flow, cap) in arcs {
            residual.arc(from, to, cost, flow, cap);
        }
        let dist = residual.distances_to(0).ok_or_else(|| {
            LogisticsError::Solver("the solution is not optimal (negative cycle)".into())
        })?;
        let capacity = (0..nl)
            .map(|l| {
                let binding = capacity[l].is_some_and(|c| shipped_from[l] >= c - 1e-9);
                let value = if binding {
                    (-dist[1 + l]).max(0.0)
                } else {
                    0.0
                };
                CapacityUse {
                    location: self.locations[l].name.clone(),
                    shipped: shipped_from[l],
                    capacity: capacity[l],
                    value_of_one_more_unit: if value.is_finite() { value } else { 0.0 },
                }
            })
            .collect();
        Ok(Solved {
            flows,
            unmet,
            capacity,
        })
    }
}

struct Solved {
    flows: Vec<(usize, String, String, f64, f64)>,
    unmet: Vec<(String, String, f64)>,
    capacity: Vec<CapacityUse>,
}

/// The program in good_lp's terms, with the index maps needed to read it back.
struct Model {
    skus: Vec<String>,
    regions: Vec<String>,
    /// (location, region, sku, cost, variable)
    ships: Vec<(usize, usize, usize, f64, Variable)>,
    /// (location, sku, variable)
    receipts: Vec<(usize, String, Variable)>,
    demand: BTreeMap<(usize, usize), f64>,
    stock: BTreeMap<(usize, usize), f64>,
    unmet: Vec<Variable>,
}

struct Values {
    values: HashMap<Variable, f64>,
    objective: f64,
}

impl Values {
    fn value(&self, v: Variable) -> f64 {
        self.values.get(&v).copied().unwrap_or(0.0)
    }
}

impl Model {
    fn build(
        p: &AllocationProblem,
        stock: &HashMap<(usize, &str), f64>,
        orders: Option<&BTreeMap<&str, f64>>,
        penalty: f64,
    ) -> (Model, MicroLpProblem) {
        let mut skus: Vec<String> = Vec::new();
        let mut sku_index: HashMap<String, usize> = HashMap::new();
        let mut sku = |s: &str| {
            if let Some(&i) = sku_index.get(s) {
                return i;
            }
            sku_index.insert(s.to_string(), skus.len());
            skus.push(s.to_string());
            skus.len() - 1
        };
        let mut regions: Vec<String> = Vec::new();
        let mut region_index: HashMap<String, usize> = HashMap::new();
        let mut demand: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for (r, k, d) in &p.demand {
            let d = d.max(0.0).round();
            if d <= 0.0 {
                continue;
            }
            let ri = *region_index.entry(r.clone()).or_insert_with(|| {
                regions.push(r.clone());
                regions.len() - 1
            });
            *demand.entry((ri, sku(k))).or_default() += d;
        }
        let mut stock_ix: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for (&(l, k), &s) in stock {
            if s > 0.0 {
                stock_ix.insert((l, sku(k)), s);
            }
        }
        let ordered: Vec<(usize, f64)> = orders
            .map(|o| {
                o.iter()
                    .filter(|(_, q)| **q > 0.0)
                    .map(|(k, &q)| (sku(k), q))
                    .collect()
            })
            .unwrap_or_default();
        let nl = p.locations.len();
        let mut lanes: Vec<Vec<(usize, f64)>> = vec![Vec::new(); regions.len()];
        for &(l, ref r, c) in &p.costs {
            if let Some(&ri) = region_index.get(r) {
                lanes[ri].push((l, c));
            }
        }
        let orders_of: HashMap<usize, f64> = ordered.iter().copied().collect();
        let mut vars = ProblemVariables::new();
        let mut ships = Vec::new();
        for &(r, k) in demand.keys() {
            for &(l, c) in &lanes[r] {
                if stock_ix.contains_key(&(l, k)) || orders_of.contains_key(&k) {
                    ships.push((l, r, k, c, vars.add(variable().min(0))));
                }
            }
        }
        let unmet: BTreeMap<(usize, usize), Variable> = demand
            .keys()
            .map(|&rk| (rk, vars.add(variable().min(0))))
            .collect();
        let mut receipts = Vec::new();
        for &(k, _) in &ordered {
            for l in 0..nl {
                receipts.push((l, skus[k].clone(), vars.add(variable().min(0))));
            }
        }
        let mut objective = Expression::from(0.0);
        for &(_, _, _, c, v) in &ships {
            objective += c * v;
        }
        for &v in unmet.values() {
            objective += penalty * v;
        }
        let mut problem = vars.minimise(objective).using(microlp);
        let mut out_of: BTreeMap<(usize, usize), Expression> = BTreeMap::new();
        let mut from_location: Vec<Expression> = vec![Expression::from(0.0); nl];
        let mut into: BTreeMap<(usize, usize), Expression> = unmet
            .iter()
            .map(|(&rk, &u)| (rk, Expression::from(u)))
            .collect();
        for &(l, r, k, _, v) in &ships {
            *out_of.entry((l, k)).or_default() += v;
            from_location[l] += v;
            *into.entry((r, k)).or_default() += v;
        }
        let sku_ix: HashMap<&str, usize> = skus
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut received: BTreeMap<(usize, usize), Expression> = BTreeMap::new();
        let mut per_order: BTreeMap<usize, Expression> = BTreeMap::new();
        for &(l, ref k, v) in &receipts {
            let k = sku_ix[k.as_str()];
            *received.entry((l, k)).or_default() += v;
            *per_order.entry(k).or_default() += v;
        }
        for (&(l, k), e) in &out_of {
            let s = stock_ix.get(&(l, k)).copied().unwrap_or(0.0);
            let rhs = received.get(&(l, k)).cloned().unwrap_or_default() + s;
            problem.add_constraint(e.clone().leq(rhs));
        }
        for (l, e) in from_location.into_iter().enumerate() {
            if let Some(c) = p.locations[l].capacity {
                problem.add_constraint(e.leq(c.max(0.0).floor()));
            }
        }
        for (rk, e) in into {
            problem.add_constraint(e.eq(demand[&rk]));
        }
        for (k, q) in ordered {
            if let Some(e) = per_order.remove(&k) {
                problem.add_constraint(e.eq(q));
            }
        }
        let model = Model {
            skus,
            regions,
            ships,
            receipts,
            demand,
            stock: stock_ix,
            unmet: unmet.into_values().collect(),
        };
        (model, problem)
    }

    fn solve(&self, problem: MicroLpProblem, penalty: f64) -> Result<Values, LogisticsError> {
        let solution = problem
            .solve()
            .map_err(|e| LogisticsError::Solver(e.to_string()))?;
        let mut values = HashMap::new();
        let mut objective = 0.0;
        for &(_, _, _, c, v) in &self.ships {
            let x = solution.value(v);
            objective += c * x;
            values.insert(v, x);
        }
        for &(_, _, v) in &self.receipts {
            values.insert(v, solution.value(v));
        }
        for &u in &self.unmet {
            objective += penalty * solution.value(u);
        }
        Ok(Values { values, objective })
    }
}

/// Whole units summing to `total`, as close to the fractional `shares` as possible:
/// each location gets the floor of its share, and the units left over go to the
/// largest fractional parts (ties to the lower location index).
fn largest_remainder(shares: &[(usize, f64)], total: f64, locations: usize) -> Vec<(usize, f64)> {
    let mut by_location = vec![0.0; locations];
    for &(l, v) in shares {
        by_location[l] += v.max(0.0);
    }
    let mut out: Vec<(usize, f64)> = by_location
        .iter()
        .enumerate()
        .map(|(l, v)| (l, (v + 1e-9).floor()))
        .collect();
    let mut left = total - out.iter().map(|o| o.1).sum::<f64>();
    let mut order: Vec<usize> = (0..locations).collect();
    order.sort_by(|&a, &b| {
        let fa = by_location[a] - out[a].1;
        let fb = by_location[b] - out[b].1;
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let mut i = 0;
    while left >= 1.0 && !order.is_empty() {
        out[order[i % order.len()]].1 += 1.0;
        left -= 1.0;
        i += 1;
    }
    out
}

/// Reads a locations file: `location` plus `capacity_units` (required when
/// `need_capacity`; empty = no limit) and optional `lat,lon` or `x,y`.
pub(crate) fn read_locations(
    file: &str,
    text: &str,
    need_capacity: bool,
) -> Result<Vec<Location>, LogisticsError> {
    let required: &[&str] = if need_capacity {
        &["location", "capacity_units"]
    } else {
        &["location"]
    };
    let mut t = Table::parse(file, text, required)?;
    let mut out: Vec<Location> = Vec::new();
    let mut seen = HashMap::new();
    for row in 0..t.len() {
        let Some(name) = t.name(row, "location") else {
            continue;
        };
        let capacity = t.non_negative(row, "capacity_units", true);
        let coord = read_coord(&mut t, row);
        if let Some(prev) = seen.insert(name.clone(), t.line(row)) {
            t.problem(
                row,
                "location",
                format_args!("\"{name}\" already given on line {prev}"),
            );
            continue;
        }
        out.push(Location {
            name,
            capacity,
            coord,
        });
    }
    t.finish()?;
    if out.is_empty() {
        return Err(LogisticsError::Input {
            file: file.into(),
            problems: vec!["no locations".into()],
        });
    }
    Ok(out)
}

/// Optional coordinates of a row: `lat,lon` (degrees, checked) or `x,y`.
pub(crate) fn read_coord(t: &mut Table, row: usize) -> Option<Coord> {
    if t.has("lat") || t.has("lon") {
        let lat = t.number(row, "lat");
        let lon = t.number(row, "lon");
        match (lat, lon) {
            (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {
                return Some(Coord::LatLon { lat: a, lon: o });
            }
            (Some(a), Some(_)) if !(-90.0..=90.0).contains(&a) => {
                t.problem(row, "lat", format_args!("{a} is not a latitude (-90..90)"))
            }
            (Some(_), Some(o)) => t.problem(
                row,
                "lon",
                format_args!("{o} is not a longitude (-180..180)"),
            ),
            (None, None) => {}
            (None, _) => t.problem(row, "lat", "empty while lon is given"),
            (_, None) => t.problem(row, "lon", "empty while lat is given"),
        }
        return None;
    }
    if t.has("x") || t.has("y") {
        match (t.number(row, "x"), t.number(row, "y")) {
            (Some(x), Some(y)) => return Some(Coord::Xy { x, y }),
            (None, None) => {}
            (None, _) => t.problem(row, "x", "empty while y is given"),
            (_, None) => t.problem(row, "y", "empty while x is given"),
        }
    }
    None
}

fn location_ref(
    t: &mut Table,
    row: usize,
    column: &str,
    index: &HashMap<String, usize>,
) -> Option<usize> {
    let name = t.name(row, column)?;
    match index.get(&name) {
        Some(&i) => Some(i),
        None => {
            let mut known: Vec<&String> = index.keys().collect();
            known.sort();
            let known: Vec<&str> = known.iter().take(8).map(|s| s.as_str()).collect();
            t.problem(
                row,
                column,
                format_args!(
                    "unknown location \"{name}\" (the locations file has: {})",
                    known.join(", ")
                ),
            );
            None
        }
    }
}

fn read_stock(
    file: &str,
    text: &str,
    index: &HashMap<String, usize>,
) -> Result<Vec<Stock>, LogisticsError> {
    let mut t = Table::parse(file, text, &["location", "sku", "on_hand"])?;
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for row in 0..t.len() {
        let loc = location_ref(&mut t, row, "location", index);
        let sku = t.name(row, "sku");
        let units = t.non_negative(row, "on_hand", false);
        if let (Some(l), Some(k), Some(u)) = (loc, sku, units) {
            if let Some(prev) = seen.insert((l, k.clone()), t.line(row)) {
                t.problem(
                    row,
                    "sku",
                    format_args!("\"{k}\" at this location already given on line {prev}"),
                );
            } else {
                out.push(Stock {
                    location: l,
                    sku: k,
                    units: u,
                });
            }
        }
    }
    t.finish()?;
    Ok(out)
}

/// Reads a demand file `region,sku,demand`.
pub fn read_demand(file: &str, text: &str) -> Result<Vec<(String, String, f64)>, LogisticsError> {
    let mut t = Table::parse(file, text, &["region", "sku", "demand"])?;
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for row in 0..t.len() {
        let region = t.name(row, "region");
        let sku = t.name(row, "sku");
        let units = t.non_negative(row, "demand", false);
        if let (Some(r), Some(k), Some(u)) = (region, sku, units) {
            if let Some(prev) = seen.insert((r.clone(), k.clone()), t.line(row)) {
                t.problem(
                    row,
                    "sku",
                    format_args!("\"{k}\" in region \"{r}\" already given on line {prev}"),
                );
            } else {
                out.push((r, k, u));
            }
        }
    }
    t.finish()?;
    Ok(out)
}

/// Regional demand from a forecast file (`sku,date,…,p50` as `supplycast forecast`
/// writes it; the median summed over its dates) and a region split
/// (`region,share`, optionally per `sku`; shares are normalised per SKU).
pub fn demand_from_forecast(
    forecast: (&str, &str),
    split: (&str, &str),
) -> Result<Vec<(String, String, f64)>, LogisticsError> {
    let mut f = Table::parse(forecast.0, forecast.1, &["sku", "p50"])?;
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for row in 0..f.len() {
        if let (Some(k), Some(v)) = (f.name(row, "sku"), f.non_negative(row, "p50", false)) {
            *totals.entry(k).or_default() += v;
        }
    }
    f.finish()?;
    split_by_region(&totals, split)
}

/// Splits each SKU's total demand by region shares (`region,share`, optionally per
/// `sku`; shares are normalised per SKU).
pub fn split_by_region(
    totals: &BTreeMap<String, f64>,
    split: (&str, &str),
) -> Result<Vec<(String, String, f64)>, LogisticsError> {
    let mut s = Table::parse(split.0, split.1, &["region", "share"])?;
    let per_sku = s.has("sku");
    let mut shares: BTreeMap<Option<String>, Vec<(String, f64)>> = BTreeMap::new();
    for row in 0..s.len() {
        let region = s.name(row, "region");
        let share = s.non_negative(row, "share", false);
        // A row without a SKU gives the shares for every SKU that has none of its own.
        let sku = Some(s.text(row, "sku").to_string()).filter(|k| per_sku && !k.is_empty());
        if sku.as_ref().is_some_and(|k| !totals.contains_key(k)) {
            // Shares of a SKU without demand to split change nothing.
            continue;
        }
        if let (Some(r), Some(v)) = (region, share) {
            shares.entry(sku).or_default().push((r, v));
        }
    }
    s.finish()?;
    let mut out = Vec::new();
    for (k, &total) in totals {
        let Some(list) = shares.get(&Some(k.clone())).or_else(|| shares.get(&None)) else {
            return Err(LogisticsError::Input {
                file: split.0.into(),
                problems: vec![format!(
                    "no share for SKU \"{k}\" and no shares for all SKUs (rows without a sku)"
                )],
            });
        };
        let sum: f64 = list.iter().map(|x| x.1).sum();
        if sum <= 0.0 {
            return Err(LogisticsError::Input {
                file: split.0.into(),
                problems: vec![format!("the shares for \"{k}\" add up to 0")],
            });
        }
        for (r, v) in list {
            out.push((r.clone(), k.clone(), total * v / sum));
        }
    }
    Ok(out)
}

/// Reads region coordinates: `region` plus `lat,lon` or `x,y`.
pub fn read_region_coords(file: &str, text: &str) -> Result<Vec<(String, Coord)>, LogisticsError> {
    let mut t = Table::parse(file, text, &["region"])?;
    let mut out = Vec::new();
    for row in 0..t.len() {
        let Some(name) = t.name(row, "region") else {
            continue;
        };
        match read_coord(&mut t, row) {
            Some(c) => out.push((name, c)),
            None => t.problem(
                row,
                "region",
                format_args!("\"{name}\" has no coordinates (lat,lon or x,y)"),
            ),
        }
    }
    t.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> AllocationProblem {
        AllocationProblem::from_csv(
            ("l.csv", "location,capacity_units\nA,10\nB,\n"),
            ("s.csv", "location,sku,on_hand\nA,k1,30\nB,k1,30\nA,k2,5\n"),
            ("d.csv", "region,sku,demand\nN,k1,12\nS,k1,8\nN,k2,4\n"),
            (
                "c.csv",
                "location,region,cost_per_unit\nA,N,1\nA,S,2\nB,N,5\nB,S,3\n",
            ),
        )
        .unwrap()
    }

    #[test]
    fn capacity_value_is_what_one_more_unit_saves() {
        let p = problem();
        let a = p.solve().unwrap();
        // A (capacity 10) ships the 4 k2 and 6 of N's k1; B ships N's other 6 k1 at 5 and
        // S's 8 at 3: one more unit at A moves a k1 unit for N from B (5) to A (1).
        assert_eq!(a.cost, 4.0 + 6.0 + 6.0 * 5.0 + 8.0 * 3.0);
        let at_a = &a.capacity[0];
        assert_eq!(at_a.shipped, 10.0);
        assert_eq!(at_a.value_of_one_more_unit, 4.0);
        let mut bigger = p.clone();
        bigger.locations[0].capacity = Some(11.0);
        assert_eq!(
            a.cost - bigger.solve().unwrap().cost,
            at_a.value_of_one_more_unit
        );
        assert_eq!(a.capacity[1].value_of_one_more_unit, 0.0);
    }

    #[test]
    fn capacity_value_matches_re_solving_on_random_instances() {
        let mut rng = crate::rng::SplitMix::new(7);
        for _ in 0..20 {
            let mut p = AllocationProblem::default();
            for l in 0..3 {
                p.locations.push(Location {
                    name: format!("L{l}"),
                    capacity: Some((rng.uniform() * 40.0).floor()),
                    coord: None,
                });
                for k in 0..4 {
                    p.stock.push(Stock {
                        location: l,
                        sku: format!("k{k}"),
                        units: (rng.uniform() * 20.0).floor(),
                    });
                }
                for r in 0..3 {
                    p.costs
                        .push((l, format!("r{r}"), 1.0 + (rng.uniform() * 9.0).floor()));
                }
            }
            for r in 0..3 {
                for k in 0..4 {
                    p.demand.push((
                        format!("r{r}"),
                        format!("k{k}"),
                        (rng.uniform() * 10.0).floor(),
                    ));
                }
            }
            p.unmet_cost = Some(30.0);
            let a = p.solve().unwrap();
            for l in 0..3 {
                let mut q = p.clone();
                q.locations[l].capacity = q.locations[l].capacity.map(|c| c + 1.0);
                let saved = a.cost - q.solve().unwrap().cost;
                assert!(
                    (saved - a.capacity[l].value_of_one_more_unit).abs() < 1e-9,
                    "{saved} vs {:?}",
                    a.capacity[l]
                );
            }
        }
    }

    #[test]
    fn orders_are_split_in_whole_units_that_add_up() {
        let mut p = problem();
        p.unmet_cost = Some(50.0);
        p.demand.push(("S".into(), "k3".into(), 7.4));
        p.demand.push(("N".into(), "k3".into(), 3.0));
        p.orders = vec![("k3".into(), 13.0)];
        let a = p.solve().unwrap();
        let received: f64 = a.receipts.iter().map(|r| r.units).sum();
        assert_eq!(received, 13.0);
        assert!(a.receipts.iter().all(|r| r.units.fract() == 0.0));
        // 7 (rounded) + 3 units of k3 are served; no k3 is unmet.
        assert!(a.unmet.iter().all(|u| u.1 != "k3"), "{:?}", a.unmet);
        assert!(a.lp_bound.unwrap() <= a.cost + 1e-9);
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let e = AllocationProblem::from_csv(
            ("l.csv", "location,capacity_units\nA,10\n"),
            ("s.csv", "location,sku,on_hand\nA,k1,30\nZ,k1,3\nA,k2,-1\n"),
            ("d.csv", "region,sku,demand\nN,k1,12\n"),
            ("c.csv", "location,region,cost_per_unit\nA,N,1\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("s.csv"), "{e}");
        assert!(
            e.contains("line 3, column location: unknown location \"Z\""),
            "{e}"
        );
        assert!(e.contains("line 4, column on_hand: -1 is negative"), "{e}");
        let e = AllocationProblem::from_csv(
            ("l.csv", "location,capacity\nA,10\n"),
            ("s.csv", "location,sku,on_hand\n"),
            ("d.csv", "region,sku,demand\n"),
            ("c.csv", "location,region,cost_per_unit\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("l.csv") && e.contains("no \"capacity_units\" column"),
            "{e}"
        );
    }

    #[test]
    fn must_meet_names_each_short_sku() {
        let mut p = problem();
        p.demand.push(("S".into(), "k2".into(), 9.0));
        match p.solve() {
            Err(LogisticsError::Infeasible { short }) => {
                assert_eq!(short, vec![("k2".to_string(), 8.0)])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn demand_from_a_forecast_and_a_region_split() {
        let d = demand_from_forecast(
            (
                "f.csv",
                "sku,date,p10,p50,p90,model\nk1,2026-01-01,1,2,3,m\nk1,2026-01-02,1,4,3,m\n",
            ),
            ("r.csv", "region,share\nUK,3\nFR,1\n"),
        )
        .unwrap();
        assert_eq!(
            d,
            vec![
                ("UK".into(), "k1".into(), 4.5),
                ("FR".into(), "k1".into(), 1.5)
            ]
        );
    }
}
