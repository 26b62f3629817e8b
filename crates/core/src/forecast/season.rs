//! Seasonality detection: is there a cycle of length `m` in a series?

/// Autocorrelation of `y` at lags 1..=max_lag (demeaned, divided by n, as statsmodels'
/// `acf` with `adjusted=False`).
pub fn acf(y: &[f64], max_lag: usize) -> Vec<f64> {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n.max(1) as f64;
    let d: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let c0: f64 = d.iter().map(|v| v * v).sum::<f64>() / n as f64;
    (1..=max_lag.min(n.saturating_sub(1)))
        .map(|k| {
            if c0 > 0.0 {
                d[k..]
                    .iter()
                    .zip(&d[..n - k])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    / n as f64
                    / c0
            } else {
                0.0
            }
        })
        .collect()
}

/// StatsForecast's (and R `forecast::thetaf`'s) seasonality test on `y` itself: the
/// autocorrelation at lag `m` exceeds the 90 % bound under Bartlett's formula. Needs
/// two full cycles. Kept as is for the Theta model, whose reference uses it.
pub fn acf_test(y: &[f64], m: usize) -> bool {
    if m < 2 || y.len() < 2 * m {
        return false;
    }
    let r = acf(y, m);
    if r.len() < m {
        return false;
    }
    let var = (1.0 + 2.0 * r[..m - 1].iter().map(|x| x * x).sum::<f64>()) / y.len() as f64;
    r[m - 1].abs() / var.sqrt() > 1.644_853_626_951_472_2
}

/// Whether `y` has a cycle of `m` periods: [`acf_test`] on the first differences.
///
/// A series that wanders (a trend, a level that moves with the time of year) is
/// autocorrelated at every lag, which would pass any cycle length; its differences are
/// autocorrelated at lag `m` only when a cycle of `m` periods is really there.
pub fn is_seasonal(y: &[f64], m: usize) -> bool {
    if y.len() < 2 * m + 1 {
        return false;
    }
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    acf_test(&d, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_cycle_is_found() {
        let y: Vec<f64> = (0..140)
            .map(|t| {
                10.0 + [5.0, 1.0, 0.0, 0.0, 2.0, 8.0, 3.0][t % 7] + ((t * 37 % 11) as f64) * 0.3
            })
            .collect();
        assert!(is_seasonal(&y, 7));
        let mut state = 7u64;
        let noise: Vec<f64> = (0..140)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 40) as f64 / (1u64 << 24) as f64
            })
            .collect();
        assert!(!is_seasonal(&noise, 7));
        assert!(!is_seasonal(&y[..10], 7));
        assert!(!is_seasonal(&[3.0; 40], 7));
    }
}
