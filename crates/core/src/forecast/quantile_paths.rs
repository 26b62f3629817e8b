//! Sample paths drawn from a three-quantile forecast (P10, P50, P90), for forecasts that
//! come without paths (a forecast export read back, a global model's quantiles): per
//! period, a uniform draw u is mapped through the piecewise-linear quantile function
//! through (0.1, P10), (0.5, P50), (0.9, P90), extended linearly into the tails and cut
//! at zero. Periods are drawn independently, which understates the spread of
//! multi-period sums when forecast errors are correlated.

use crate::rng::SplitMix;

/// The quantile function through (0.1, p10), (0.5, p50), (0.9, p90), linear beyond,
/// never negative.
pub fn quantile_at(u: f64, p10: f64, p50: f64, p90: f64) -> f64 {
    let v = if u < 0.5 {
        p50 - (0.5 - u) / 0.4 * (p50 - p10)
    } else {
        p50 + (u - 0.5) / 0.4 * (p90 - p50)
    };
    v.max(0.0)
}

/// `n` sample paths drawn from a quantile forecast (see the module docs).
pub fn paths_from_quantiles(q: &[Vec<f64>; 3], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = SplitMix::new(seed);
    (0..n)
        .map(|_| {
            (0..q[1].len())
                .map(|t| quantile_at(rng.uniform(), q[0][t], q[1][t], q[2][t]))
                .collect()
        })
        .collect()
}
