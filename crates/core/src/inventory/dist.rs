//! Demand distributions and their loss functions, the building blocks of every policy.
//!
//! Notation follows Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019),
//! §4.5 and Appendix C: for demand `D` with cdf `F`, the first-order loss function is
//! `n(x) = E[(D − x)⁺]` and its complement `n̄(x) = E[(x − D)⁺]`; the second-order loss
//! function is `n⁽²⁾(x) = ½ E[((D − x)⁺)²]`.

use statrs::distribution::{Continuous, ContinuousCDF, Discrete, DiscreteCDF, Normal, Poisson};

fn std_normal() -> Normal {
    // Mean 0 and s.d. 1 are valid parameters, so this cannot fail.
    Normal::standard()
}

/// Standard normal density φ(z).
pub fn phi(z: f64) -> f64 {
    std_normal().pdf(z)
}

/// Standard normal cdf Φ(z).
pub fn cdf(z: f64) -> f64 {
    std_normal().cdf(z)
}

/// Standard normal quantile Φ⁻¹(p), for 0 < p < 1.
pub fn ppf(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

/// Standard normal loss function L(z) = E[(Z − z)⁺] = φ(z) − z(1 − Φ(z))
/// (Snyder & Shen eq. C.22).
pub fn loss(z: f64) -> f64 {
    phi(z) - z * (1.0 - cdf(z))
}

/// Standard normal second-order loss function
/// L⁽²⁾(z) = ½[(z² + 1)(1 − Φ(z)) − zφ(z)] (Snyder & Shen eq. C.25).
pub fn second_loss(z: f64) -> f64 {
    0.5 * ((z * z + 1.0) * (1.0 - cdf(z)) - z * phi(z))
}

/// Solves L(z) = `target` for z (L is strictly decreasing from +∞ to 0), by bisection
/// to machine precision. `target` must be positive.
pub fn loss_inverse(target: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    // L(z) ≈ −z for very negative z: widen the bracket for huge targets.
    while loss(lo) < target {
        lo *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if loss(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * (1.0 + mid.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// A Poisson distribution that also accepts a zero mean (all mass at 0).
#[derive(Debug, Clone, Copy)]
pub struct Pois {
    mean: f64,
    d: Option<Poisson>,
}

impl Pois {
    /// Poisson with the given mean (negative or non-finite means are treated as 0).
    pub fn new(mean: f64) -> Pois {
        let mean = if mean.is_finite() && mean > 0.0 {
            mean
        } else {
            0.0
        };
        Pois {
            mean,
            d: Poisson::new(mean).ok().filter(|_| mean > 0.0),
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// P(D = x); 0 for negative x.
    pub fn pmf(&self, x: i64) -> f64 {
        if x < 0 {
            return 0.0;
        }
        match &self.d {
            Some(d) => d.pmf(x as u64),
            None => f64::from(u8::from(x == 0)),
        }
    }

    /// P(D ≤ x); 0 for negative x.
    pub fn cdf(&self, x: i64) -> f64 {
        if x < 0 {
            return 0.0;
        }
        match &self.d {
            Some(d) => d.cdf(x as u64),
            None => 1.0,
        }
    }

    /// The smallest integer x with P(D ≤ x) ≥ p.
    pub fn ppf(&self, p: f64) -> i64 {
        let mut x = (self.mean - 10.0 * self.mean.sqrt()).floor().max(0.0) as i64;
        // Start low and walk up: cdf is cheap and the walk is O(sd).
        while self.cdf(x) < p && x < i64::MAX / 2 {
            x += 1;
        }
        x
    }

    /// (n(x), n̄(x)) = (E[(D − x)⁺], E[(x − D)⁺]) for integer x, in closed form
    /// (Snyder & Shen eq. C.36–C.37): n(x) = −(x − μ)(1 − F(x)) + μf(x),
    /// n̄(x) = (x − μ)F(x) + μf(x).
    pub fn loss(&self, x: i64) -> (f64, f64) {
        let (f, cdf, xm) = (self.pmf(x), self.cdf(x), x as f64 - self.mean);
        (-xm * (1.0 - cdf) + self.mean * f, xm * cdf + self.mean * f)
    }
}

/// The one-period (newsvendor) expected cost g(y) = h·n̄(y) + p·n(y) of starting a
/// period with inventory position y against normal demand N(μ, σ²)
/// (Snyder & Shen eq. 4.16; σ = 0 gives the deterministic cost).
pub fn normal_cost(y: f64, h: f64, p: f64, mu: f64, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return h * (y - mu).max(0.0) + p * (mu - y).max(0.0);
    }
    let z = (y - mu) / sigma;
    h * (y - mu) + (h + p) * sigma * loss(z)
}

/// The same cost for Poisson demand at an integer level y.
pub fn poisson_cost(y: i64, h: f64, p: f64, d: &Pois) -> f64 {
    let (n, nbar) = d.loss(y);
    h * nbar + p * n
}

/// An empirical distribution: the sorted sample of, e.g., lead-time demand drawn from
/// a forecast's sample paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Empirical {
    sorted: Vec<f64>,
    mean: f64,
    /// suffix[i] = sum of sorted[i..], for O(log n) loss evaluation.
    suffix: Vec<f64>,
}

impl Empirical {
    /// From samples (non-finite values are dropped). Returns `None` when none are left.
    pub fn new(mut samples: Vec<f64>) -> Option<Empirical> {
        samples.retain(|v| v.is_finite());
        if samples.is_empty() {
            return None;
        }
        samples.sort_by(f64::total_cmp);
        let mut suffix = vec![0.0; samples.len() + 1];
        for i in (0..samples.len()).rev() {
            suffix[i] = suffix[i + 1] + samples[i];
        }
        let mean = suffix[0] / samples.len() as f64;
        Some(Empirical {
            sorted: samples,
            mean,
            suffix,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: an empirical distribution has at least one sample.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The sample mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The sample standard deviation.
    pub fn sd(&self) -> f64 {
        let n = self.sorted.len() as f64;
        if n < 2.0 {
            return 0.0;
        }
        let ss: f64 = self.sorted.iter().map(|v| (v - self.mean).powi(2)).sum();
        (ss / (n - 1.0)).sqrt()
    }

    /// The smallest sample value x with P̂(D ≤ x) ≥ p (the inverse of the empirical cdf,
    /// so that the service level is met on the sample).
    pub fn quantile(&self, p: f64) -> f64 {
        let n = self.sorted.len();
        let k = ((p.clamp(0.0, 1.0) * n as f64).ceil() as usize).clamp(1, n);
        self.sorted[k - 1]
    }

    /// P̂(D ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        self.sorted.partition_point(|v| *v <= x) as f64 / self.sorted.len() as f64
    }

    /// E[(D − x)⁺] on the sample.
    pub fn loss(&self, x: f64) -> f64 {
        let i = self.sorted.partition_point(|v| *v <= x);
        let above = (self.sorted.len() - i) as f64;
        (self.suffix[i] - x * above) / self.sorted.len() as f64
    }

    /// The smallest x (a sample value, or 0) whose loss E[(D − x)⁺] is at most `target`.
    pub fn loss_inverse(&self, target: f64) -> f64 {
        if self.loss(0.0) <= target {
            return 0.0;
        }
        // loss() is non-increasing in x: binary search over the sample values.
        let (mut lo, mut hi) = (0usize, self.sorted.len() - 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.loss(self.sorted[mid]) <= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.sorted[lo]
    }

    /// The sorted samples.
    pub fn samples(&self) -> &[f64] {
        &self.sorted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_match_tables() {
        // scipy 1.17.1 values; statrs 0.19's erf is good to about 1e-11.
        assert!(
            (cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-10,
            "{}",
            cdf(1.0)
        );
        assert!((ppf(0.95) - 1.644_853_626_951_472_2).abs() < 1e-9);
        assert!((loss(0.0) - 0.398_942_280_401_432_7).abs() < 1e-10);
        assert!((loss(1.0) - 0.083_315_470_587_686_3).abs() < 1e-10);
        assert!((second_loss(0.0) - 0.25).abs() < 1e-10);
        for t in [1e-6, 0.01, 0.4, 3.0, 500.0] {
            let z = loss_inverse(t);
            assert!((loss(z) - t).abs() < 1e-9 * t.max(1.0), "{t}: {z}");
        }
    }

    #[test]
    fn poisson_loss_matches_stockpyl_example() {
        // stockpyl 1.0.2 loss_functions.poisson_loss(18, 15) doc example.
        let (n, nbar) = Pois::new(15.0).loss(18);
        assert!((n - 0.517_609_528_258_472_4).abs() < 1e-12);
        assert!((nbar - 3.517_609_528_258_472_3).abs() < 1e-12);
        let zero = Pois::new(0.0);
        assert_eq!(zero.loss(2), (0.0, 2.0));
        assert_eq!(zero.ppf(0.99), 0);
        assert_eq!(Pois::new(6.0).ppf(0.8), 8);
    }

    #[test]
    fn empirical_loss_and_quantiles() {
        let e = Empirical::new(vec![3.0, 1.0, 2.0, 4.0, f64::NAN]).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(e.mean(), 2.5);
        assert_eq!(e.quantile(0.5), 2.0);
        assert_eq!(e.quantile(0.51), 3.0);
        assert_eq!(e.quantile(1.0), 4.0);
        assert_eq!(e.loss(2.0), (1.0 + 2.0) / 4.0);
        assert_eq!(e.loss(10.0), 0.0);
        assert_eq!(e.loss(0.0), 2.5);
        assert_eq!(e.loss_inverse(0.75), 2.0);
        assert_eq!(e.loss_inverse(5.0), 0.0);
        assert_eq!(e.cdf(2.5), 0.5);
        assert!(Empirical::new(vec![]).is_none());
    }
}
