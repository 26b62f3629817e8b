//! The automatic choice across a dataset: rolling-origin backtests of every candidate
//! on every series, one forecast recipe (a model, or the mean or median of a few)
//! learnt per group of similar series, and intervals from the recipe's backtest errors.
//!
//! Why not the best model per SKU: with three windows of one SKU's history, the model
//! with the lowest backtest error is mostly the luckiest one. On unseen shops that rule
//! lost to its own candidates (a run of zeros makes "repeat the last value" look best,
//! and it then forecasts zero). The evidence for *which kind of model suits which kind
//! of series* is strong when it is pooled over every SKU of the same demand class and
//! volume band, so the recipe is chosen there, on a probabilistic score (the scaled
//! pinball loss at P10/P50/P90), and applied to each SKU of the group.
//!
//! Errors are measured relative to the series' local dispersion (the mean absolute
//! change over the recent history before each origin), which makes them comparable
//! across SKUs of any volume: the intervals of a SKU take the shape of its group's
//! errors at each step ahead, stretched by how much the SKU's own backtest errors
//! differ from the group's (shrunk toward the group when the SKU has few errors).
//!
//! The pipeline reads as its stages, each in its own file and handing a typed value to
//! the next:
//!
//! - `backtests.rs`: every candidate backtested on every series from the same rolling
//!   origins → [`Backtests`];
//! - `recipe.rs`: how a forecast is made from the candidates' forecasts ([`Recipe`]),
//!   its relative errors and its score on a group's backtests;
//! - `learn.rs`: the series grouped and one recipe learnt per group, with the shape,
//!   width and dependence of its errors → [`Learnt`] (a [`GroupPlan`] per group);
//! - `intervals.rs`: one SKU's quantiles from its own or its group's errors → its
//!   spread;
//! - `paths.rs`: that SKU's sample paths from the same spread;
//! - `finish.rs`: each series forecast with its group's recipe, with its leaderboard
//!   and the reason sentence → a [`Choice`](super::backtest::Choice); [`choose_all`]
//!   runs every stage.

mod backtests;
mod finish;
mod intervals;
mod learn;
mod paths;
mod recipe;
#[cfg(test)]
mod tests;

pub use backtests::{
    Backtests, Candidates, SeriesBacktest, backtest_all, backtest_series, local_scale,
};
pub use finish::{choose_all, choose_all_with, finish, finish_range, finish_with};
pub use learn::{Decision, Group, GroupPlan, Learnt, learn, learn_with};
pub use recipe::Recipe;

/// The model a recipe falls back on where none of its members forecasts: simple
/// exponential smoothing forecasts every history of two periods or more.
const FALLBACK: &str = "SESOpt";
