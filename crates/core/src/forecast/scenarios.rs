//! Demand scenarios: how the periods of a forecast's sample paths depend on each other.
//!
//! A forecast's P10/P50/P90 say how far demand may stray in each period; a plan needs
//! more: how far demand *summed over a lead time* may stray, which depends on whether a
//! high period tends to be followed by another. Every sample path here keeps the
//! forecaster's own marginal distribution per period (its calibrated backtest errors
//! around its point forecast) and takes the dependence between periods from one of
//! three sources ([`Scenarios`]):
//!
//! - `Independent`: each period drawn on its own (the textbook bootstrap; sums spread
//!   by √n and under-cover when errors run in streaks);
//! - `Windows`: whole backtest error windows of the SKU or its group (the engine's
//!   paths until the copula replaced them: true streaks, but only as many distinct
//!   shapes as there are backtest windows);
//! - `Copula` (default): a Gaussian copula whose correlation is a shared level shock
//!   plus an AR(1) term, ρ(lag) = a + (1 − a)·φ^lag, fitted per group of SKUs to the
//!   lag correlations of the chosen recipe's backtest errors (normal scores across the
//!   group, so heavy tails and the zeros of sporadic demand do not distort it). A level shock is what
//!   a forecast of a drifting series gets wrong for a whole horizon; the AR term is a
//!   promotion or a stock-out lasting a few periods.
//!
//! Paths from a generative model (the neural scenario model, `nn::scenario`) enter as
//! per-period ranks ([`from_template`]): the template's dependence, the forecaster's
//! marginals (the Schaake shuffle / ensemble copula coupling of weather forecasting).

use serde::{Deserialize, Serialize};

use crate::rng::SplitMix;

/// Where a forecast's sample paths take their dependence between periods from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Scenarios {
    /// Every period drawn independently.
    Independent,
    /// Whole backtest error windows.
    Windows,
    /// A Gaussian copula fitted to the backtest errors' correlations (level + AR(1)).
    #[default]
    Copula,
    /// Ranks of a generative model's paths (the neural scenario model), each SKU's
    /// conditioned on its own recent demand; the copula where it has none.
    Generative,
}

impl Scenarios {
    /// The name shown in settings and reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenarios::Independent => "independent periods",
            Scenarios::Windows => "backtest error windows",
            Scenarios::Copula => "fitted copula (level + AR(1))",
            Scenarios::Generative => "generative model (conditional VAE)",
        }
    }

    /// The short name used on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Scenarios::Independent => "independent",
            Scenarios::Windows => "windows",
            Scenarios::Copula => "copula",
            Scenarios::Generative => "vae",
        }
    }

    /// Parses [`Scenarios::key`].
    pub fn parse(s: &str) -> Option<Scenarios> {
        [
            Scenarios::Independent,
            Scenarios::Windows,
            Scenarios::Copula,
            Scenarios::Generative,
        ]
        .into_iter()
        .find(|k| k.key() == s)
    }
}

/// The correlation of the latent normal values of two periods `lag` apart:
/// `level + (1 − level)·ar^lag`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dependence {
    /// Correlation shared by every pair of periods (a level shock), in [0, 1).
    pub level: f64,
    /// AR(1) coefficient of the rest, in [0, 1).
    pub ar: f64,
}

impl Default for Dependence {
    fn default() -> Self {
        Dependence {
            level: 0.0,
            ar: 0.0,
        }
    }
}

impl Dependence {
    /// The correlation at `lag` periods.
    pub fn correlation(&self, lag: usize) -> f64 {
        if lag == 0 {
            return 1.0;
        }
        self.level + (1.0 - self.level) * self.ar.powi(lag.min(i32::MAX as usize) as i32)
    }

    /// `h` standard normal values with this correlation.
    pub(crate) fn sample(&self, h: usize, rng: &mut SplitMix) -> Vec<f64> {
        let shared = rng.normal();
        let (a, phi) = (self.level, self.ar);
        let mut x = rng.normal();
        (0..h)
            .map(|j| {
                if j > 0 {
                    x = phi * x + (1.0 - phi * phi).sqrt() * rng.normal();
                }
                a.sqrt() * shared + (1.0 - a).sqrt() * x
            })
            .collect()
    }

    /// Fits `level` and `ar` to error windows in pools (`pools[i]` = windows, each a
    /// run of consecutive errors, whose errors are comparable: one series, or a group
    /// in units of each series' level). Errors become normal scores within their pool
    /// (mid-ranks), the lag correlations are pooled over every window, and the pair
    /// minimising the pair-weighted squared gap to them wins (grid 0.00–0.95). Too few
    /// pairs (under 30 at lag 1): no dependence.
    pub fn fit(pools: &[Vec<Vec<f64>>]) -> Dependence {
        let mut sums: Vec<(f64, f64, f64, usize)> = Vec::new(); // (Σxy, Σx², Σy², n) per lag
        for windows in pools {
            let all: Vec<f64> = windows.iter().flatten().copied().collect();
            if all.len() < 4 {
                continue;
            }
            let scores = normal_scores(&all);
            let mut at = 0;
            for w in windows {
                let z = &scores[at..at + w.len()];
                at += w.len();
                for lag in 1..z.len() {
                    if sums.len() < lag {
                        sums.resize(lag, (0.0, 0.0, 0.0, 0));
                    }
                    let s = &mut sums[lag - 1];
                    for j in 0..z.len() - lag {
                        s.0 += z[j] * z[j + lag];
                        s.1 += z[j] * z[j];
                        s.2 += z[j + lag] * z[j + lag];
                        s.3 += 1;
                    }
                }
            }
        }
        if sums.first().is_none_or(|s| s.3 < 30) {
            return Dependence::default();
        }
        let rho: Vec<(f64, f64)> = sums
            .iter()
            .filter(|s| s.3 >= 10 && s.1 > 0.0 && s.2 > 0.0)
            .map(|s| (s.0 / (s.1 * s.2).sqrt(), s.3 as f64))
            .collect();
        let grid = (0..20).map(|k| k as f64 * 0.05);
        let mut best = (f64::INFINITY, Dependence::default());
        for level in grid.clone() {
            for ar in grid.clone() {
                let d = Dependence { level, ar };
                let loss: f64 = rho
                    .iter()
                    .enumerate()
                    .map(|(l, (r, n))| n * (r - d.correlation(l + 1)).powi(2))
                    .sum();
                if loss < best.0 {
                    best = (loss, d);
                }
            }
        }
        best.1
    }
}

/// Normal scores of `x` by mid-rank: Φ⁻¹((rank − ½)/n), ties sharing their mean rank.
pub fn normal_scores(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let z = inverse_normal((rank - 0.5) / n as f64);
        for &k in &idx[i..=j] {
            out[k] = z;
        }
        i = j + 1;
    }
    out
}

/// Φ⁻¹(p) for p in (0, 1) (Acklam's rational approximation, refined by one Halley
/// step to within 5e-11 of scipy's): statrs' inverse is an iterative search, far slower in the
/// inner loop of path sampling.
pub fn inverse_normal(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let lo = 0.02425;
    let x = if p < lo {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - lo {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Φ(z), the standard normal distribution function.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// The uniforms (per path, per period) a set of paths from another generator implies:
/// each period's values ranked across the paths (ties by path order), (rank + ½)/n.
/// Feeding these to a forecaster's marginals keeps the generator's dependence.
pub fn from_template(template: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = template.len();
    if n == 0 {
        return Vec::new();
    }
    let h = template.iter().map(Vec::len).min().unwrap_or(0);
    let mut u = vec![vec![0.0; h]; n];
    let mut idx: Vec<usize> = (0..n).collect();
    for j in 0..h {
        idx.sort_by(|&a, &b| template[a][j].total_cmp(&template[b][j]).then(a.cmp(&b)));
        for (r, &i) in idx.iter().enumerate() {
            u[i][j] = (r as f64 + 0.5) / n as f64;
        }
    }
    u
}

/// A generative model's paths for one SKU kept only as their ranks (path × period,
/// each period's ranks 0..paths), which is all the scenarios take from them: 28 bytes
/// a path instead of 224, for sending thousands of SKUs between workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranks {
    /// Paths (at most 256).
    pub paths: usize,
    /// Periods per path.
    pub h: usize,
    /// `ranks[p × h + j]`: path `p`'s rank at period `j`.
    pub ranks: Vec<u8>,
}

impl Ranks {
    /// The ranks of a template's paths (`None` without paths or with over 256).
    pub fn of(template: &[Vec<f64>]) -> Option<Ranks> {
        let n = template.len();
        if n == 0 || n > 256 {
            return None;
        }
        let u = from_template(template);
        let h = u.first().map_or(0, Vec::len);
        let ranks = u
            .iter()
            .flat_map(|p| p.iter().map(|v| (v * n as f64 - 0.5).round() as u8))
            .collect();
        Some(Ranks { paths: n, h, ranks })
    }

    /// The uniforms the ranks stand for, (rank + ½)/paths, path × period (empty when
    /// the sizes do not add up, e.g. bytes from elsewhere).
    pub fn uniforms(&self) -> Vec<Vec<f64>> {
        if self.paths == 0 || self.paths.checked_mul(self.h) != Some(self.ranks.len()) {
            return Vec::new();
        }
        self.ranks
            .chunks(self.h.max(1))
            .map(|p| {
                p.iter()
                    .map(|r| {
                        ((*r as f64 + 0.5) / self.paths as f64).min(1.0 - 0.5 / self.paths as f64)
                    })
                    .collect()
            })
            .collect()
    }
}

/// How well a set of sample paths describes demand summed over the first `len`
/// periods: whether the actual sum fell inside the paths' P10–P90, and the CRPS of
/// the paths' sums.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SumScore {
    /// The actual sum lay within the 10th and 90th percentile of the paths' sums.
    pub covered: bool,
    /// Continuous ranked probability score of the sums (units of demand).
    pub crps: f64,
    /// Width of the paths' P10–P90 of the sum (units).
    pub width: f64,
}

/// Scores `paths` summed over their first `len` periods against `actual`'s.
/// `None` when there are no paths or fewer than `len` periods.
pub fn score_sum(paths: &[Vec<f64>], actual: &[f64], len: usize) -> Option<SumScore> {
    if paths.is_empty() || actual.len() < len || paths.iter().any(|p| p.len() < len) {
        return None;
    }
    let y: f64 = actual[..len].iter().sum();
    let mut s: Vec<f64> = paths.iter().map(|p| p[..len].iter().sum()).collect();
    s.sort_by(f64::total_cmp);
    let lo = super::backtest::quantile(&s, 0.1);
    let hi = super::backtest::quantile(&s, 0.9);
    Some(SumScore {
        covered: y >= lo && y <= hi,
        crps: crps(&s, y),
        width: hi - lo,
    })
}

/// The CRPS of an ensemble (`sorted` ascending) at `y`: E|X − y| − ½E|X − X'|.
pub fn crps(sorted: &[f64], y: f64) -> f64 {
    let n = sorted.len() as f64;
    if sorted.is_empty() {
        return f64::NAN;
    }
    let e1 = sorted.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
    // E|X − X'| over all ordered pairs = 2/n² Σ (2i − n + 1) x_(i), i from 0.
    let e2 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * i as f64 - n + 1.0) * x)
        .sum::<f64>()
        * 2.0
        / (n * n);
    e1 - 0.5 * e2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_normal_matches_scipy() {
        // scipy 1.17.1: norm.ppf([0.001, 0.1, 0.5, 0.9, 0.975])
        let want = [
            (0.001, -3.090232306167813),
            (0.1, -1.2815515655446004),
            (0.5, 0.0),
            (0.9, 1.2815515655446004),
            (0.975, 1.959963984540054),
        ];
        for (p, z) in want {
            // statrs' erfc (the Halley step's Φ) is good to about 1e-11.
            assert!(
                (inverse_normal(p) - z).abs() < 5e-11,
                "{p}: {}",
                inverse_normal(p)
            );
        }
    }

    #[test]
    fn crps_of_an_ensemble_matches_the_pairwise_formula() {
        let xs: [f64; 5] = [0.0, 1.0, 1.0, 3.0, 7.0];
        let y: f64 = 2.5;
        let n = xs.len() as f64;
        let e1: f64 = xs.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
        let e2: f64 = xs
            .iter()
            .flat_map(|a| xs.iter().map(move |b| (a - b).abs()))
            .sum::<f64>()
            / (n * n);
        assert!((crps(&xs, y) - (e1 - 0.5 * e2)).abs() < 1e-12);
    }

    #[test]
    fn the_sampled_correlation_is_the_model_s() {
        let d = Dependence {
            level: 0.3,
            ar: 0.6,
        };
        let mut rng = SplitMix::new(3);
        let n = 40_000;
        let draws: Vec<Vec<f64>> = (0..n).map(|_| d.sample(6, &mut rng)).collect();
        for lag in [1, 2, 5] {
            let r = draws.iter().map(|z| z[0] * z[lag]).sum::<f64>() / n as f64;
            assert!(
                (r - d.correlation(lag)).abs() < 0.02,
                "lag {lag}: {r} vs {}",
                d.correlation(lag)
            );
        }
    }

    #[test]
    fn fit_recovers_a_level_and_ar_structure() {
        let truth = Dependence {
            level: 0.25,
            ar: 0.5,
        };
        let mut rng = SplitMix::new(9);
        // 200 series × 4 windows of 28, heavy-tailed marginals (exp of the normal).
        let series: Vec<Vec<Vec<f64>>> = (0..200)
            .map(|_| {
                (0..4)
                    .map(|_| truth.sample(28, &mut rng).iter().map(|z| z.exp()).collect())
                    .collect()
            })
            .collect();
        let fit = Dependence::fit(&series);
        // Normal scores within a series remove its windows' shared mean only partly:
        // the fit lands within a grid step or two of the truth.
        assert!((fit.level - 0.25).abs() <= 0.1, "{fit:?}");
        assert!((fit.ar - 0.5).abs() <= 0.1, "{fit:?}");
        let none = Dependence::fit(&[vec![vec![1.0, 2.0]]]);
        assert_eq!(none, Dependence::default());
    }

    #[test]
    fn template_ranks_keep_the_order_of_each_period() {
        let t = vec![vec![3.0, 0.0], vec![1.0, 5.0], vec![2.0, 1.0]];
        let u = from_template(&t);
        assert_eq!(u[1][0], 0.5 / 3.0);
        assert_eq!(u[2][0], 1.5 / 3.0);
        assert_eq!(u[0][0], 2.5 / 3.0);
        assert_eq!(u[0][1], 0.5 / 3.0);
        assert_eq!(u[1][1], 2.5 / 3.0);
    }

    #[test]
    fn ranks_round_trip_to_the_template_s_uniforms() {
        let t = vec![vec![3.0, 0.0], vec![1.0, 5.0], vec![2.0, 1.0]];
        let r = Ranks::of(&t).unwrap();
        assert_eq!(r.ranks, vec![2, 0, 0, 2, 1, 1]);
        assert_eq!(r.uniforms(), from_template(&t));
        let bad = Ranks {
            paths: 3,
            h: 2,
            ranks: vec![0; 5],
        };
        assert!(bad.uniforms().is_empty());
        assert!(Ranks::of(&[]).is_none());
    }

    #[test]
    fn sums_of_correlated_paths_are_wider() {
        let mut rng = SplitMix::new(1);
        let ind = Dependence::default();
        let dep = Dependence {
            level: 0.3,
            ar: 0.5,
        };
        let paths = |d: Dependence, rng: &mut SplitMix| -> Vec<Vec<f64>> {
            (0..2000).map(|_| d.sample(28, rng)).collect()
        };
        let a = score_sum(&paths(ind, &mut rng), &[0.0; 28], 28).unwrap();
        let b = score_sum(&paths(dep, &mut rng), &[0.0; 28], 28).unwrap();
        assert!(b.width > 2.0 * a.width, "{} vs {}", b.width, a.width);
    }
}
