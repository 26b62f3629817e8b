//! Replenishment planning: safety stock, reorder points, order quantities and purchase
//! orders, driven by the forecasts' sample paths, and a Monte Carlo simulation of each
//! SKU's policy.
//!
//! - [`dist`]: normal, Poisson and empirical demand with their loss functions.
//! - [`policy`]: the textbook policies in exact form (EOQ, newsvendor, base-stock,
//!   (r, Q), (s, S), reorder points for a cycle service level or a fill rate).
//! - [`params`]: what the merchant tells us per SKU (stock, lead times, costs), with
//!   defaults and a CSV import/export.
//! - [`plan`]: the per-SKU policy from the forecast's own lead-time demand distribution
//!   and today's purchase recommendations.
//! - [`sim`]: the policy simulated over the forecast's sample paths, with costs.

pub mod dist;
pub mod forecast_file;
pub mod params;
pub mod plan;
pub mod policy;
pub mod purchase_orders;
pub mod sim;
pub mod stock;
pub mod supplier;
mod table;
pub mod whatif;

use thiserror::Error;

/// What can go wrong in planning.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InventoryError {
    /// A policy parameter is outside its domain.
    #[error("{name} = {value}: {rule}")]
    Parameter {
        /// Which parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What it must satisfy.
        rule: &'static str,
    },
    /// A parameters file could not be used; every problem is listed and nothing was
    /// changed.
    #[error("{file}: {} problem(s), nothing was changed:\n{}", problems.len(), problems.join("\n"))]
    ParamsFile {
        /// The file's name.
        file: String,
        /// One line per problem, naming line and column.
        problems: Vec<String>,
    },
    /// A forecast file could not be read.
    #[error("{file}: {detail}")]
    ForecastFile {
        /// The file's name.
        file: String,
        /// Line, column and what is wrong.
        detail: String,
    },
    /// A SKU's parameters break a rule (every problem listed).
    #[error("{}", problems.join("; "))]
    InvalidParameters {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A SKU has neither sample paths nor a point forecast.
    #[error("no forecast")]
    NoForecast,
    /// No demand could be drawn (no finite value in the forecast).
    #[error("no lead-time demand")]
    NoDemand,
    /// A SKU has no parameters.
    #[error("no parameters")]
    NoParameters,
    /// No SKU has this supplier in the parameters.
    #[error("no SKU has the supplier \"{supplier}\" (suppliers in the parameters: {})", if known.is_empty() { "none; give them in the supplier column".to_string() } else { known.join(", ") })]
    UnknownSupplier {
        /// The supplier asked for.
        supplier: String,
        /// The suppliers the parameters name.
        known: Vec<String>,
    },
}
