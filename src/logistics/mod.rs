//! Logistics: where stock ships from, how it is rebalanced between locations, how a
//! purchase order is split on arrival ([`allocate`], [`rebalance`]: linear programs),
//! and in which order a van visits the day's deliveries ([`route`]: vehicle routing).
//!
//! Inputs arrive as CSV with exact headers (other tools' files can be fed in; extra
//! columns are ignored). Every problem in a file is reported by file, line and column,
//! and a bad file changes nothing.

pub mod allocate;
mod flow;
pub mod rebalance;
pub mod route;
mod table;

pub use allocate::{Allocation, AllocationProblem, CapacityUse, CostBreakdown, Flow, Location, Receipt, Stock};
pub use rebalance::{Lane, Rebalance, RebalanceProblem, Transfer};
pub use route::Coord;
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
