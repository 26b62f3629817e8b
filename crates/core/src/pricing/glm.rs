//! Penalised Poisson regression (log link) by iteratively reweighted least squares,
//! with the first coefficient's cluster-robust standard error: what the daily
//! elasticity estimator ([`super::elasticity`]) fits per SKU.
//!
//! Written here rather than taken from a crate: the fits are dense, a few dozen columns
//! by a few hundred rows, and the crates that fit GLMs (linfa, smartcore) bring a
//! linear-algebra stack and no penalty matrix or clustered errors; a Cholesky solve is
//! thirty lines.

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The coefficients.
    pub beta: Vec<f64>,
    /// The fitted means per row.
    pub mu: Vec<f64>,
    /// The first coefficient's standard error, robust to errors correlated within a
    /// cluster and to overdispersion (sandwich with clusters, G/(G−1) corrected).
    pub se0: f64,
}

/// Solves `a x = b` for symmetric positive definite `a` (p × p, row-major) in place of
/// `b`; `None` when `a` is not positive definite.
fn cholesky_solve(a: &[f64], p: usize, b: &mut [f64]) -> Option<()> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                if s <= 1e-12 * a[i * p + i].abs().max(1e-300) {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for k in i + 1..p {
            s -= l[k * p + i] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    Some(())
}

/// Fits `y ~ Poisson(exp(x β))` minimising the deviance plus `β' penalty β`, from
/// `start`. `x` is n × p row-major; `cluster[r]` groups rows for the standard error.
/// `None` when the fit does not converge or the design is degenerate.
pub fn poisson(
    x: &[f64],
    n: usize,
    p: usize,
    y: &[f64],
    penalty: &[f64],
    cluster: &[usize],
    start: &[f64],
) -> Option<Fit> {
    if n == 0 || p == 0 || x.len() != n * p || y.len() != n || penalty.len() != p * p {
        return None;
    }
    let mut beta = start.to_vec();
    let mut mu = vec![0.0; n];
    let eta_of = |beta: &[f64], r: usize| -> f64 {
        let row = &x[r * p..(r + 1) * p];
        row.iter()
            .zip(beta)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .clamp(-30.0, 30.0)
    };
    let mut h = vec![0.0; p * p];
    let mut converged = false;
    for _ in 0..60 {
        // Normal equations of the working response z = η + (y − μ)/μ, weights μ.
        h.copy_from_slice(penalty);
        let mut g = vec![0.0; p];
        for r in 0..n {
            let eta = eta_of(&beta, r);
            let m = eta.exp();
            mu[r] = m;
            let z = eta + (y[r] - m) / m.max(1e-10);
            let row = &x[r * p..(r + 1) * p];
            for i in 0..p {
                if row[i] == 0.0 {
                    continue;
                }
                let wi = m * row[i];
                g[i] += wi * z;
                for j in 0..=i {
                    h[i * p + j] += wi * row[j];
                }
            }
        }
        for i in 0..p {
            for j in 0..i {
                h[j * p + i] = h[i * p + j];
            }
        }
        cholesky_solve(&h, p, &mut g)?;
        let step = g
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = g;
        if !step.is_finite() {
            return None;
        }
        if step < 1e-7 {
            converged = true;
            break;
        }
    }
    if !converged {
        return None;
    }
    for (r, m) in mu.iter_mut().enumerate() {
        *m = eta_of(&beta, r).exp();
    }
    // The sandwich's bread at the fit, and the first row of its inverse.
    h.copy_from_slice(penalty);
    for r in 0..n {
        let row = &x[r * p..(r + 1) * p];
        for i in 0..p {
            for j in 0..=i {
                h[i * p + j] += mu[r] * row[i] * row[j];
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            h[j * p + i] = h[i * p + j];
        }
    }
    let mut v = vec![0.0; p];
    v[0] = 1.0;
    cholesky_solve(&h, p, &mut v)?;
    // The meat: per cluster, the score's projection on that row.
    let groups = cluster.iter().copied().max().map_or(0, |m| m + 1);
    let mut per = vec![0.0; groups];
    for r in 0..n {
        let row = &x[r * p..(r + 1) * p];
        let proj: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
        per[cluster[r]] += proj * (y[r] - mu[r]);
    }
    let used = per.iter().filter(|s| **s != 0.0).count();
    if used < 3 {
        return None;
    }
    let var = per.iter().map(|s| s * s).sum::<f64>() * used as f64 / (used - 1) as f64;
    (var > 0.0 && var.is_finite()).then(|| Fit {
        beta,
        mu,
        se0: var.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix;

    /// A log-linear Poisson model with a known slope, weekday-like dummies and an
    /// intercept is recovered, and its robust standard error covers the truth about
    /// as often as it should over many draws.
    #[test]
    fn recovers_a_known_slope_and_its_error_covers_it() {
        let (n, p) = (400, 3);
        let mut covered = 0;
        let draws = 200;
        let mut rng = SplitMix::new(5);
        let mut mean = 0.0;
        for _ in 0..draws {
            let mut x = Vec::with_capacity(n * p);
            let mut y = Vec::with_capacity(n);
            let mut cluster = Vec::with_capacity(n);
            for r in 0..n {
                let lp = if (r / 10) % 3 == 0 { -0.3 } else { 0.0 } + 0.05 * rng.normal();
                let wd = if r % 7 == 5 { 1.0 } else { 0.0 };
                x.extend([lp, wd, 1.0]);
                let lambda = (1.2 - 1.5 * lp - 0.4 * wd).exp();
                // Poisson by inversion.
                let (mut k, mut acc, u) = (0.0, (-lambda).exp(), rng.uniform());
                let mut term = acc;
                while acc < u && k < 200.0 {
                    k += 1.0;
                    term *= lambda / k;
                    acc += term;
                }
                y.push(k);
                cluster.push(r / 7);
            }
            let fit = poisson(&x, n, p, &y, &[0.0; 9], &cluster, &[0.0, 0.0, 1.0]).unwrap();
            mean += fit.beta[0] / draws as f64;
            let z = 1.281_551_565_545;
            if (fit.beta[0] - z * fit.se0..=fit.beta[0] + z * fit.se0).contains(&-1.5) {
                covered += 1;
            }
        }
        assert!((mean + 1.5).abs() < 0.03, "mean slope {mean}");
        let cov = covered as f64 / draws as f64;
        assert!((0.72..=0.88).contains(&cov), "80 % coverage {cov}");
    }

    #[test]
    fn a_degenerate_design_is_refused() {
        // Two identical columns and no penalty: not positive definite.
        let x = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0];
        let y = [1.0, 2.0, 3.0, 4.0];
        assert!(poisson(&x, 4, 2, &y, &[0.0; 4], &[0, 1, 2, 3], &[0.0, 0.0]).is_none());
    }
}
