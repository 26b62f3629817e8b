//! Logistics: where stock ships from, how it is rebalanced between locations, how a
//! purchase order is split on arrival ([`allocate`], [`rebalance`]: linear programs),
//! and in which order a van visits the day's deliveries ([`route`]: vehicle routing).
//!
//! Inputs arrive as CSV with exact headers (other tools' files can be fed in; extra
//! columns are ignored). Every problem in a file is reported by file, line and column,
//! and a bad file changes nothing.

pub mod allocate;
mod flow;
mod hgs;
pub mod rebalance;
pub mod regions;
pub mod route;
mod table;

pub use allocate::{
    Allocation, AllocationProblem, CapacityUse, CostBreakdown, Flow, Location, Receipt, Stock,
};
pub use rebalance::{Lane, Rebalance, RebalanceProblem, Transfer};
pub use route::{Coord, Delivery, Metric, Route, RouteOptions, Routes, RoutingProblem};
pub use table::Table;

use thiserror::Error;

/// What can go wrong in logistics.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LogisticsError {
    /// An input file could not be used; every problem is listed and nothing was changed.
    #[error("{file}: {} problem(s), nothing was changed:\n{}", problems.len(), problems.join("\n"))]
    Input {
        /// The file's name.
        file: String,
        /// One line per problem, naming line and column.
        problems: Vec<String>,
    },
    /// All demand must be met and the stock or capacity cannot meet it.
    #[error("demand cannot be met: {}", short.iter().map(|(s, u)| format!("{s} short by {}", fmt_units(*u))).collect::<Vec<_>>().join(", "))]
    Infeasible {
        /// Each SKU that is short, with the units missing at best.
        short: Vec<(String, f64)>,
    },
    /// The solver failed (a numerical failure or a time limit before any solution).
    #[error("the solver failed: {0}")]
    Solver(String),
    /// The problem is empty or inconsistent as a whole (no locations, no vehicles, …).
    #[error("{0}")]
    Problem(String),
}

/// Units as a merchant reads them: whole numbers without decimals.
pub fn fmt_units(u: f64) -> String {
    if (u - u.round()).abs() < 1e-9 {
        format!("{}", u.round() as i64)
    } else {
        format!("{u:.2}")
    }
}

/// A logistics job, as the page sends it to the worker.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Request {
    /// Allocate stock to regions.
    Allocate(AllocationProblem),
    /// Rebalance stock between locations.
    Rebalance(RebalanceProblem),
    /// Route the day's deliveries, searching for up to `seconds`.
    Route {
        /// The day.
        problem: RoutingProblem,
        /// Search time (seconds).
        seconds: f64,
    },
}

/// A logistics job's result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// Solved allocation.
    Allocation(Allocation),
    /// Solved rebalancing.
    Rebalance(Rebalance),
    /// Routes (the best so far while the search runs).
    Routes(Routes),
}

/// Runs a job. A routing search reports better routes as it goes, with the fraction of
/// the time used: whoever stops the search (the page terminating its worker) keeps the
/// last routes reported. The capacity-only search reports its improvements (about once a
/// second); vrp-core's (windows, shifts) runs in slices of up to two seconds, each
/// continuing from the best routes so far.
pub fn run(
    request: &Request,
    partial: &mut dyn FnMut(f64, &Outcome),
) -> Result<Outcome, LogisticsError> {
    match request {
        Request::Allocate(p) => p.solve().map(Outcome::Allocation),
        Request::Rebalance(p) => p.solve().map(Outcome::Rebalance),
        Request::Route { problem, seconds } if problem.searches_continuously() => {
            let options = RouteOptions {
                time_limit: *seconds,
                ..Default::default()
            };
            let out = problem.solve_reporting(&options, None, &mut |r| {
                partial((r.seconds / seconds).min(1.0), &Outcome::Routes(r.clone()))
            })?;
            Ok(Outcome::Routes(out))
        }
        Request::Route { problem, seconds } => {
            let timer = vrp_core::rosomaxa::utils::Timer::start();
            let mut best: Option<Routes> = None;
            loop {
                let left = seconds - timer.elapsed_secs_as_float();
                if left <= 0.05 && best.is_some() {
                    break;
                }
                let options = RouteOptions {
                    time_limit: left.clamp(0.05, 2.0),
                    ..Default::default()
                };
                let r = problem.solve(&options, best.as_ref())?;
                let better = best
                    .as_ref()
                    .is_none_or(|b| (r.unserved.len(), r.cost) < (b.unserved.len(), b.cost));
                if better {
                    best = Some(r);
                }
                let mut out = best.clone().expect("set");
                out.seconds = timer.elapsed_secs_as_float();
                partial((out.seconds / seconds).min(1.0), &Outcome::Routes(out));
            }
            let mut out = best.expect("at least one slice");
            out.seconds = timer.elapsed_secs_as_float();
            Ok(Outcome::Routes(out))
        }
    }
}
