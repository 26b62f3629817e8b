//! Automatic ARIMA: the order of differencing from KPSS tests, then a stepwise search
//! over (p, q), seasonal (P, Q) when the differenced series has a cycle, and the
//! constant by AICc, in the manner of Hyndman & Khandakar (2008)
//! (`forecast::auto.arima`, StatsForecast's AutoARIMA). No seasonal differencing.
//!
//! Written here because no maintained crate offers automatic ARIMA that builds for the
//! browser. Estimation differs from StatsForecast's CSS-ML: coefficients come from the
//! Hannan–Rissanen two-stage regression (a long autoregression's residuals stand in
//! for the unobserved shocks), and the likelihood for AICc from the conditional sum of
//! squares. That is a few small least-squares solves per model instead of an iterative
//! optimisation, which keeps the search over dozens of models per SKU fast.

use super::{ForecastError, Model, check_history};

/// Automatic ARIMA with seasonal terms when the series has a cycle of `season` periods.
#[derive(Debug, Clone, Copy)]
pub struct AutoArima {
    /// Season length (1 for none).
    pub season: usize,
}

/// A fitted ARIMA(p, d, q).
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Differencing order.
    pub d: usize,
    /// AR coefficients φ1..φp.
    pub ar: Vec<f64>,
    /// MA coefficients θ1..θq.
    pub ma: Vec<f64>,
    /// Constant of the differenced series (0 when not included).
    pub constant: f64,
    /// Corrected Akaike information criterion.
    pub aicc: f64,
    /// Residuals of the differenced series (0 before the conditioning start).
    residuals: Vec<f64>,
}

fn diff(y: &[f64]) -> Vec<f64> {
    y.windows(2).map(|w| w[1] - w[0]).collect()
}

/// KPSS statistic for level stationarity (Bartlett window, lag ⌊4(n/100)^{1/4}⌋, as
/// `urca`/`tseries`' "short" lag that auto.arima uses).
pub fn kpss(y: &[f64]) -> f64 {
    let n = y.len();
    if n < 3 {
        return 0.0;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let e: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let mut s = 0.0;
    let mut eta = 0.0;
    for v in &e {
        s += v;
        eta += s * s;
    }
    let lags = (4.0 * (n as f64 / 100.0).powf(0.25)).floor() as usize;
    let gamma = |k: usize| {
        e[k..]
            .iter()
            .zip(&e[..n - k])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / n as f64
    };
    let mut lrv = gamma(0);
    for k in 1..=lags.min(n - 1) {
        lrv += 2.0 * (1.0 - k as f64 / (lags as f64 + 1.0)) * gamma(k);
    }
    if lrv <= 0.0 {
        return 0.0;
    }
    eta / (n as f64 * n as f64) / lrv
}

/// Differences needed for stationarity: KPSS at the 5 % level (critical value 0.463),
/// at most 2, as auto.arima's `ndiffs`.
pub fn ndiffs(y: &[f64]) -> usize {
    let mut x = y.to_vec();
    let mut d = 0;
    while d < 2 && x.len() > 10 && x.iter().any(|v| (v - x[0]).abs() > 1e-12) && kpss(&x) > 0.463 {
        x = diff(&x);
        d += 1;
    }
    d
}

/// Solves the least-squares problem `X b ≈ y` (rows of `x`) through the normal
/// equations with a tiny ridge; `None` when singular.
// (index loops: the index takes part in the arithmetic, as in the formulas)
#[allow(clippy::needless_range_loop)]
fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = x.first()?.len();
    let mut a = vec![vec![0.0; k + 1]; k];
    for (row, &t) in x.iter().zip(y) {
        for i in 0..k {
            for j in 0..k {
                a[i][j] += row[i] * row[j];
            }
            a[i][k] += row[i] * t;
        }
    }
    for (i, r) in a.iter_mut().enumerate() {
        r[i] += 1e-9 * (1.0 + r[i].abs());
    }
    // Gaussian elimination with partial pivoting.
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        a.swap(c, p);
        if a[c][c].abs() < 1e-300 {
            return None;
        }
        for r in c + 1..k {
            let f = a[r][c] / a[c][c];
            for j in c..=k {
                a[r][j] -= f * a[c][j];
            }
        }
    }
    let mut b = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| a[i][j] * b[j]).sum();
        b[i] = (a[i][k] - s) / a[i][i];
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}

/// Whether the polynomial 1 − c1 z − … − cp z^p has all roots outside the unit circle
/// (step-down recursion: every partial autocorrelation below 1 in size).
fn stationary(coefs: &[f64]) -> bool {
    let mut a = coefs.to_vec();
    while let Some(&k) = a.last() {
        if k.abs() >= 0.999 || !k.is_finite() {
            return false;
        }
        let p = a.len();
        let denom = 1.0 - k * k;
        a = (0..p - 1)
            .map(|i| (a[i] + k * a[p - 2 - i]) / denom)
            .collect();
    }
    true
}

/// Fits ARIMA(p, d, q) (with a constant when `constant`) to `y`.
pub fn fit(y: &[f64], p: usize, d: usize, q: usize, constant: bool) -> Option<Fitted> {
    fit_seasonal(
        y,
        Order {
            p,
            d,
            q,
            sp: 0,
            sq: 0,
            m: 1,
        },
        constant,
    )
}

/// An ARIMA order with seasonal AR and MA terms of period `m` (at lags m, 2m, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Order {
    /// Non-seasonal AR order.
    pub p: usize,
    /// Differences.
    pub d: usize,
    /// Non-seasonal MA order.
    pub q: usize,
    /// Seasonal AR order.
    pub sp: usize,
    /// Seasonal MA order.
    pub sq: usize,
    /// Season length.
    pub m: usize,
}

/// Fits ARIMA(p,d,q)(P,0,Q)m. The seasonal terms enter as extra lags (m·1..m·P for
/// AR, m·1..m·Q for MA) in the same Hannan–Rissanen regressions: the additive subset
/// form, without the cross terms of the multiplicative model, which needs no
/// nonlinear estimation.
pub fn fit_seasonal(y: &[f64], o: Order, constant: bool) -> Option<Fitted> {
    let mut w = y.to_vec();
    for _ in 0..o.d {
        w = diff(&w);
    }
    let n = w.len();
    let ar_lags: Vec<usize> = (1..=o.p)
        .chain((1..=o.sp).map(|k| k * o.m))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let ma_lags: Vec<usize> = (1..=o.q)
        .chain((1..=o.sq).map(|k| k * o.m))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let max_ar = ar_lags.last().copied().unwrap_or(0);
    let max_ma = ma_lags.last().copied().unwrap_or(0);
    let k = ar_lags.len() + ma_lags.len() + usize::from(constant);
    // Stage 1: a long autoregression's residuals estimate the shocks.
    let long = if max_ma > 0 {
        (ar_lags.len() + ma_lags.len() + 2)
            .max(((n as f64).ln() * 2.0) as usize)
            .max(max_ma + 2)
            .min(n / 4)
    } else {
        0
    };
    if n < long + max_ar.max(max_ma) + k + 8 {
        return None;
    }
    let mut shocks = vec![0.0; n];
    if max_ma > 0 {
        let rows: Vec<Vec<f64>> = (long..n)
            .map(|t| {
                std::iter::once(1.0)
                    .chain((1..=long).map(|i| w[t - i]))
                    .collect()
            })
            .collect();
        let b = least_squares(&rows, &w[long..])?;
        for t in long..n {
            shocks[t] = w[t] - b[0] - (1..=long).map(|i| b[i] * w[t - i]).sum::<f64>();
        }
    }
    // Stage 2: regress on own lags and lagged shocks.
    let start = long + max_ar.max(max_ma);
    let rows: Vec<Vec<f64>> = (start..n)
        .map(|t| {
            let mut r: Vec<f64> = ar_lags
                .iter()
                .map(|&l| w[t - l])
                .chain(ma_lags.iter().map(|&l| shocks[t - l]))
                .collect();
            if constant {
                r.push(1.0);
            }
            r
        })
        .collect();
    let b = if k == 0 {
        Vec::new()
    } else {
        least_squares(&rows, &w[start..])?
    };
    let mut ar = vec![0.0; max_ar];
    for (i, &l) in ar_lags.iter().enumerate() {
        ar[l - 1] = b[i];
    }
    let mut ma = vec![0.0; max_ma];
    for (j, &l) in ma_lags.iter().enumerate() {
        ma[l - 1] = b[ar_lags.len() + j];
    }
    let c = if constant { b[k - 1] } else { 0.0 };
    let neg_ma: Vec<f64> = ma.iter().map(|v| -v).collect();
    if !stationary(&ar) || !stationary(&neg_ma) {
        return None;
    }
    // Conditional residuals from the model itself, for the likelihood.
    let cond = max_ar.max(max_ma);
    let mut e = vec![0.0; n];
    let mut sse = 0.0;
    for t in cond..n {
        let pred = c
            + (1..=max_ar).map(|i| ar[i - 1] * w[t - i]).sum::<f64>()
            + (1..=max_ma).map(|j| ma[j - 1] * e[t - j]).sum::<f64>();
        e[t] = w[t] - pred;
        sse += e[t] * e[t];
    }
    let ne = (n - cond) as f64;
    let sigma2 = sse / ne;
    if !sigma2.is_finite() || sigma2 <= 0.0 {
        return None;
    }
    let loglik = -0.5 * ne * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0);
    let npar = (k + 1) as f64;
    let aic = -2.0 * loglik + 2.0 * npar;
    let aicc = aic + 2.0 * npar * (npar + 1.0) / (ne - npar - 1.0).max(1.0);
    Some(Fitted {
        d: o.d,
        ar,
        ma,
        constant: c,
        aicc,
        residuals: e,
    })
}

impl Fitted {
    /// Forecasts `h` periods of the original series `y` (the one fitted).
    pub fn forecast(&self, y: &[f64], h: usize) -> Vec<f64> {
        // Forecast the differenced series, future shocks 0 ...
        let mut levels: Vec<Vec<f64>> = vec![y.to_vec()];
        for _ in 0..self.d {
            let next = diff(levels.last().map(Vec::as_slice).unwrap_or(&[]));
            levels.push(next);
        }
        let mut w = levels[self.d].clone();
        let mut e = self.residuals.clone();
        let n = w.len();
        for t in n..n + h {
            let pred = self.constant
                + (1..=self.ar.len())
                    .map(|i| self.ar[i - 1] * w.get(t.wrapping_sub(i)).copied().unwrap_or(0.0))
                    .sum::<f64>()
                + (1..=self.ma.len())
                    .map(|j| self.ma[j - 1] * e.get(t.wrapping_sub(j)).copied().unwrap_or(0.0))
                    .sum::<f64>();
            w.push(pred);
            e.push(0.0);
        }
        // ... then integrate back, one order at a time.
        let mut f: Vec<f64> = w[n..].to_vec();
        for level in (0..self.d).rev() {
            let mut last = levels[level].last().copied().unwrap_or(0.0);
            for v in f.iter_mut() {
                last += *v;
                *v = last;
            }
        }
        f
    }
}

/// The stepwise search of Hyndman & Khandakar over p, q ≤ 5 and the constant.
pub fn auto(y: &[f64]) -> Option<Fitted> {
    auto_seasonal(y, 1)
}

/// The stepwise search over p, q ≤ 5, seasonal P, Q ≤ 1 (when the differenced series
/// shows a cycle of `m` periods) and the constant.
pub fn auto_seasonal(y: &[f64], m: usize) -> Option<Fitted> {
    let d = ndiffs(y);
    let allow_constant = d <= 1;
    let mut w = y.to_vec();
    for _ in 0..d {
        w = diff(&w);
    }
    let seasonal = m >= 2 && super::season::acf_test(&w, m);
    let max_s = usize::from(seasonal);
    type Key = (usize, usize, usize, usize, bool);
    let mut best: Option<(Key, Fitted)> = None;
    let mut tried = std::collections::HashSet::new();
    let mut consider = |key: Key, best: &mut Option<(Key, Fitted)>| -> bool {
        let (p, q, sp, sq, c) = key;
        if p > 5
            || q > 5
            || sp > max_s
            || sq > max_s
            || (c && !allow_constant)
            || !tried.insert(key)
        {
            return false;
        }
        match fit_seasonal(y, Order { p, d, q, sp, sq, m }, c) {
            Some(f) if best.as_ref().is_none_or(|b| f.aicc < b.1.aicc - 1e-9) => {
                *best = Some((key, f));
                true
            }
            _ => false,
        }
    };
    for (p, q, sp, sq) in [
        (2, 2, max_s, max_s),
        (0, 0, 0, 0),
        (1, 0, max_s, 0),
        (0, 1, 0, max_s),
    ] {
        consider((p, q, sp, sq, allow_constant), &mut best);
    }
    consider((0, 0, 0, 0, false), &mut best);
    for _ in 0..94 {
        let Some(((p, q, sp, sq, c), _)) = best.clone() else {
            break;
        };
        let mut improved = false;
        let moves: [(i32, i32, i32, i32); 12] = [
            (-1, 0, 0, 0),
            (1, 0, 0, 0),
            (0, -1, 0, 0),
            (0, 1, 0, 0),
            (-1, -1, 0, 0),
            (1, 1, 0, 0),
            (-1, 1, 0, 0),
            (1, -1, 0, 0),
            (0, 0, -1, 0),
            (0, 0, 1, 0),
            (0, 0, 0, -1),
            (0, 0, 0, 1),
        ];
        for (dp, dq, dsp, dsq) in moves {
            let (np, nq, nsp, nsq) = (
                p as i32 + dp,
                q as i32 + dq,
                sp as i32 + dsp,
                sq as i32 + dsq,
            );
            if np < 0 || nq < 0 || nsp < 0 || nsq < 0 {
                continue;
            }
            if consider(
                (np as usize, nq as usize, nsp as usize, nsq as usize, c),
                &mut best,
            ) {
                improved = true;
                break;
            }
        }
        if !improved && consider((p, q, sp, sq, !c), &mut best) {
            improved = true;
        }
        if !improved {
            break;
        }
    }
    best.map(|b| b.1)
}

impl Model for AutoArima {
    fn name(&self) -> String {
        "AutoARIMA".into()
    }

    fn forecast(&self, y: &[f64], h: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(y)?;
        if y.len() < 10 {
            return Err(ForecastError::TooShort {
                model: self.name(),
                needed: 10,
                have: y.len(),
            });
        }
        // A constant history (all zeros, say) has no variance to model: it continues.
        if y.iter().all(|v| *v == y[0]) {
            return Ok(vec![y[0].max(0.0); h]);
        }
        let f = auto_seasonal(y, self.season).ok_or_else(|| ForecastError::Fit {
            model: self.name(),
            detail: "no ARIMA order could be estimated".into(),
        })?;
        Ok(f.forecast(y, h)
            .into_iter()
            .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 })
            .collect())
    }
    fn min_history(&self) -> usize {
        10
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic AR(1) series with φ = 0.7 around 50 (shocks from a fixed LCG).
    fn ar1(n: usize) -> Vec<f64> {
        let mut state = 12345u64;
        let mut shock = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
        };
        let mut y = vec![50.0];
        for _ in 1..n {
            let prev = y[y.len() - 1];
            y.push(50.0 + 0.7 * (prev - 50.0) + 4.0 * shock());
        }
        y
    }

    #[test]
    fn recovers_an_ar1() {
        let y = ar1(400);
        assert_eq!(ndiffs(&y), 0);
        let f = fit(&y, 1, 0, 0, true).unwrap();
        assert!((f.ar[0] - 0.7).abs() < 0.08, "{:?}", f.ar);
        // The constant c = μ(1 − φ).
        assert!((f.constant / (1.0 - f.ar[0]) - 50.0).abs() < 1.0);
        let best = auto(&y).unwrap();
        assert_eq!(best.d, 0);
        // Far ahead the forecast returns to the mean.
        let fc = best.forecast(&y, 60);
        assert!((fc[59] - 50.0).abs() < 2.0, "{}", fc[59]);
    }

    #[test]
    fn differences_a_random_walk_with_drift() {
        let mut y = vec![100.0];
        let noise = ar1(300);
        for t in 1..300 {
            let prev = y[t - 1];
            y.push(prev + 1.0 + (noise[t] - 50.0) * 0.3);
        }
        assert!(ndiffs(&y) >= 1);
        let best = auto(&y).unwrap();
        let fc = best.forecast(&y, 10);
        // Drift of about 1 a period.
        assert!((fc[9] - fc[0] - 9.0).abs() < 3.0, "{fc:?}");
        assert!(fc[0] > y[299] - 5.0);
    }

    #[test]
    fn seasonal_terms_for_a_cycle() {
        // AR(1) noise plus a weekly pattern: the search takes seasonal terms and the
        // forecast keeps the pattern.
        let noise = ar1(280);
        let pattern = [8.0, -3.0, -4.0, -4.0, -1.0, 1.0, 3.0];
        let y: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(t, v)| v + pattern[t % 7])
            .collect();
        let f = AutoArima { season: 7 }.forecast(&y, 7).unwrap();
        let (hi, lo) = (
            f.iter().copied().fold(f64::MIN, f64::max),
            f.iter().copied().fold(f64::MAX, f64::min),
        );
        assert!(hi - lo > 6.0, "{f:?}");
        assert!((f[0] - f[3]) > 5.0, "the day-0 peak is above day 3: {f:?}");
        let flat = AutoArima { season: 1 }.forecast(&y, 7).unwrap();
        let spread = flat.iter().copied().fold(f64::MIN, f64::max)
            - flat.iter().copied().fold(f64::MAX, f64::min);
        assert!(spread < hi - lo);
    }

    #[test]
    fn stationarity_check() {
        assert!(stationary(&[0.5]));
        assert!(stationary(&[1.5, -0.6]));
        assert!(!stationary(&[1.0]));
        assert!(!stationary(&[0.5, 0.6]));
    }

    #[test]
    fn model_edge_cases() {
        assert!(AutoArima { season: 1 }.forecast(&[1.0; 9], 3).is_err());
        let f = AutoArima { season: 1 }.forecast(&[5.0; 60], 3).unwrap();
        assert!(f.iter().all(|v| (v - 5.0).abs() < 1e-6), "{f:?}");
        let mut sparse = vec![0.0; 80];
        sparse[10] = 3.0;
        sparse[50] = 1.0;
        assert!(
            AutoArima { season: 7 }
                .forecast(&sparse, 5)
                .unwrap()
                .iter()
                .all(|v| *v >= 0.0)
        );
    }
}
