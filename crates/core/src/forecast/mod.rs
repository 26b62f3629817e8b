//! Forecasting: models, rolling-origin backtests, conformal intervals, the
//! automatic choice per SKU, and accuracy metrics.
//!
//! Every model implements [`Model`]: fit on a history and return `h` point
//! forecasts. Uncertainty comes from the model's own backtest errors
//! ([`backtest`]), so every forecast — including the Croston family, which has no
//! native intervals — gets calibrated P10/P50/P90 and sample paths.

pub mod arima;
pub mod backtest;
pub mod bench;
pub mod ets;
pub mod global;
pub mod metrics;
pub mod models;
pub mod quantile_paths;
pub mod rule;
pub mod run;
pub mod scenario_bench;
pub mod scenarios;
pub mod season;
pub mod select;
pub mod theta;
pub mod tracking;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a forecast could not be made.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum ForecastError {
    /// The history has no values.
    #[error("the history is empty")]
    Empty,
    /// The history holds a value that is not a finite number.
    #[error("the history holds a non-finite value at position {0}")]
    NonFinite(usize),
    /// The history is too short for the model.
    #[error("{model} needs at least {needed} periods of history, the series has {have}")]
    TooShort {
        /// Model name.
        model: String,
        /// Periods needed.
        needed: usize,
        /// Periods available.
        have: usize,
    },
    /// The horizon is zero.
    #[error("the horizon must be at least one period")]
    ZeroHorizon,
    /// A model failed to fit (numerical trouble in its optimiser, say).
    #[error("{model} could not be fitted: {detail}")]
    Fit {
        /// Model name.
        model: String,
        /// What went wrong.
        detail: String,
    },
}

/// Checks a history before fitting.
pub fn check_history(y: &[f64]) -> Result<(), ForecastError> {
    if y.is_empty() {
        return Err(ForecastError::Empty);
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(ForecastError::NonFinite(i));
    }
    Ok(())
}

/// A forecasting model: fit on `y` and forecast `h` periods ahead.
pub trait Model: Send + Sync {
    /// The model's name as shown to the merchant (StatsForecast's names where one exists).
    fn name(&self) -> String;
    /// Fits on `y` and returns `h` point forecasts.
    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError>;
    /// The shortest history (in periods) the model is backtested and used on: a few
    /// periods for the level and intermittent models, two seasons for the seasonal
    /// ones. Backtest origins with less history before them skip the model.
    fn min_history(&self) -> usize {
        2
    }
}

/// The quantile levels every forecast carries.
pub const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// A probabilistic forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The model (or ensemble) that made it.
    pub model: String,
    /// Point forecast (the model's mean forecast), never negative.
    pub point: Vec<f64>,
    /// P10, P50, P90 per period, never negative.
    pub quantiles: [Vec<f64>; 3],
    /// Sample paths for simulation (each `h` long), integer-valued where demand is.
    pub paths: Vec<Vec<f64>>,
}
