//! Accuracy metrics, with the definitions of StatsForecast and the M5 competition:
//! errors are scaled by the in-sample mean absolute (or squared) difference at lag
//! `L` (the season length by default: the seasonal-naive error).

use serde::{Deserialize, Serialize};

/// The in-sample scales of a training series: mean |y_t − y_{t−L}| and mean
/// (y_t − y_{t−L})². `None` when the series is not longer than `lag`.
pub fn scales(train: &[f64], lag: usize) -> Option<(f64, f64)> {
    if lag == 0 || train.len() <= lag {
        return None;
    }
    let n = (train.len() - lag) as f64;
    let (mut mae, mut mse) = (0.0, 0.0);
    for t in lag..train.len() {
        let d = train[t] - train[t - lag];
        mae += d.abs();
        mse += d * d;
    }
    Some((mae / n, mse / n))
}

/// Pinball (quantile) loss of `q_hat` as the `q` quantile of `y`.
pub fn pinball(y: f64, q_hat: f64, q: f64) -> f64 {
    let d = y - q_hat;
    (q * d).max((q - 1.0) * d)
}

/// The scores of one forecast against the held-out values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Scores {
    /// Mean absolute error scaled by the in-sample seasonal-naive MAE.
    pub mase: f64,
    /// Root mean squared error scaled by the in-sample seasonal-naive MSE.
    pub rmsse: f64,
    /// Mean absolute error (unscaled).
    pub mae: f64,
    /// Sum of absolute errors (for WAPE across series).
    pub abs_error: f64,
    /// Sum of actuals (for WAPE across series).
    pub actual: f64,
    /// Sum of (forecast − actual) (for bias across series).
    pub signed_error: f64,
    /// Scaled pinball loss at P10, P50, P90.
    pub sql: [f64; 3],
    /// Share of held-out points inside [P10, P90].
    pub coverage80: f64,
}

/// Scores a forecast of `actual` (point, and P10/P50/P90) given the in-sample scales.
/// The point forecast is scored for MASE/RMSSE; the quantiles for the pinball loss.
pub fn score(
    actual: &[f64],
    point: &[f64],
    p10: &[f64],
    p50: &[f64],
    p90: &[f64],
    scale: (f64, f64),
) -> Scores {
    let n = actual.len().min(point.len()) as f64;
    let mut s = Scores::default();
    let (mut se, mut pl, mut inside) = (0.0, [0.0; 3], 0.0);
    for t in 0..actual.len().min(point.len()) {
        let (y, f) = (actual[t], point[t]);
        s.abs_error += (y - f).abs();
        se += (y - f) * (y - f);
        s.actual += y;
        s.signed_error += f - y;
        pl[0] += pinball(y, p10[t], 0.1);
        pl[1] += pinball(y, p50[t], 0.5);
        pl[2] += pinball(y, p90[t], 0.9);
        if y >= p10[t] && y <= p90[t] {
            inside += 1.0;
        }
    }
    s.mae = s.abs_error / n;
    s.mase = s.mae / scale.0;
    s.rmsse = (se / n / scale.1).sqrt();
    s.sql = [
        pl[0] / n / scale.0,
        pl[1] / n / scale.0,
        pl[2] / n / scale.0,
    ];
    s.coverage80 = inside / n;
    s
}

/// Scores averaged over series, as the reference harness reports them (series whose
/// scale is 0 are left out of the scaled means).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Series scored.
    pub series: usize,
    /// Mean MASE.
    pub mase: f64,
    /// Median MASE.
    pub mase_median: f64,
    /// Mean RMSSE.
    pub rmsse: f64,
    /// WAPE: Σ|error| / Σ actual over all series.
    pub wape: f64,
    /// Bias: Σ(forecast − actual) / Σ actual.
    pub bias: f64,
    /// Mean scaled pinball loss at P10, P50, P90.
    pub sql: [f64; 3],
    /// Mean of the three scaled pinball losses.
    pub sql_mean: f64,
    /// Mean coverage of the P10–P90 interval.
    pub coverage80: f64,
}

/// Averages per-series scores.
pub fn summarise(scores: &[Scores]) -> Summary {
    let ok: Vec<&Scores> = scores
        .iter()
        .filter(|s| s.mase.is_finite() && s.rmsse.is_finite())
        .collect();
    if ok.is_empty() {
        let nan = f64::NAN;
        return Summary {
            series: 0,
            mase: nan,
            mase_median: nan,
            rmsse: nan,
            wape: nan,
            bias: nan,
            sql: [nan; 3],
            sql_mean: nan,
            coverage80: nan,
        };
    }
    let n = ok.len() as f64;
    let mean = |f: &dyn Fn(&Scores) -> f64| ok.iter().map(|s| f(s)).sum::<f64>() / n;
    let mut mases: Vec<f64> = ok.iter().map(|s| s.mase).collect();
    mases.sort_by(f64::total_cmp);
    let median = match mases.len() {
        0 => f64::NAN,
        l if l % 2 == 1 => mases[l / 2],
        l => (mases[l / 2 - 1] + mases[l / 2]) / 2.0,
    };
    let actual: f64 = scores.iter().map(|s| s.actual).sum();
    let sql = [
        mean(&|s| s.sql[0]),
        mean(&|s| s.sql[1]),
        mean(&|s| s.sql[2]),
    ];
    Summary {
        series: ok.len(),
        mase: mean(&|s| s.mase),
        mase_median: median,
        rmsse: mean(&|s| s.rmsse),
        wape: scores.iter().map(|s| s.abs_error).sum::<f64>() / actual,
        bias: scores.iter().map(|s| s.signed_error).sum::<f64>() / actual,
        sql,
        sql_mean: (sql[0] + sql[1] + sql[2]) / 3.0,
        coverage80: scores.iter().map(|s| s.coverage80).sum::<f64>() / scores.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions() {
        // Scale at lag 1 of [1, 3, 2]: |2|, |−1| → 1.5; squares 4, 1 → 2.5.
        assert_eq!(scales(&[1.0, 3.0, 2.0], 1), Some((1.5, 2.5)));
        assert_eq!(scales(&[1.0], 1), None);
        assert_eq!(pinball(10.0, 8.0, 0.9), 0.9 * 2.0);
        assert!((pinball(10.0, 12.0, 0.9) - 0.2).abs() < 1e-12);
        let s = score(
            &[2.0, 4.0],
            &[3.0, 3.0],
            &[1.0, 1.0],
            &[3.0, 3.0],
            &[5.0, 3.5],
            (1.0, 1.0),
        );
        assert_eq!(s.mase, 1.0);
        assert_eq!(s.rmsse, 1.0);
        assert_eq!(s.coverage80, 0.5);
        assert_eq!(s.signed_error, 0.0);
        // P90 = 3.5 under y = 4: 0.9 × 0.5; P90 = 5 over y = 2: 0.1 × 3.
        assert!((s.sql[2] - (0.45 + 0.3) / 2.0).abs() < 1e-12);
    }
}
