//! Classical single-item inventory policies in closed or exact form.
//!
//! Every formula cites its source; "S&S" is Snyder & Shen, *Fundamentals of Supply Chain
//! Theory* (2nd ed., Wiley 2019), whose numbering stockpyl 1.0.2 follows and against
//! which `tests/reference_inventory.rs` checks these functions. All rates are per the
//! same time unit; `h` is the holding cost per unit per time unit, `p` the stockout
//! (backorder) cost per unit (per time unit where backorders are charged over time),
//! `K` the fixed cost per order.

use serde::Serialize;

use super::InventoryError;
use super::dist::{self, Pois};

fn positive(name: &'static str, v: f64) -> Result<f64, InventoryError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(InventoryError::Parameter {
            name,
            value: v,
            rule: "must be a positive number",
        })
    }
}

fn non_negative(name: &'static str, v: f64) -> Result<f64, InventoryError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(InventoryError::Parameter {
            name,
            value: v,
            rule: "must be zero or more",
        })
    }
}

fn probability(name: &'static str, v: f64) -> Result<f64, InventoryError> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(InventoryError::Parameter {
            name,
            value: v,
            rule: "must lie strictly between 0 and 1",
        })
    }
}

/// An order quantity and its cost per time unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Eoq {
    /// Order quantity.
    pub q: f64,
    /// Cost per time unit (ordering + holding, + backorders when allowed).
    pub cost: f64,
}

/// Economic order quantity Q* = √(2KD/h), cost √(2KDh) (S&S eqs. 3.4–3.5); with a
/// backorder cost `p` per unit per time unit, planned backorders:
/// Q* = √(2KD(h+p)/(hp)), cost √(2KDhp/(h+p)) (S&S eqs. 3.23–3.25).
pub fn eoq(k: f64, h: f64, d: f64, p: Option<f64>) -> Result<Eoq, InventoryError> {
    let (k, h, d) = (
        non_negative("fixed cost", k)?,
        positive("holding cost", h)?,
        non_negative("demand", d)?,
    );
    Ok(match p {
        None => Eoq {
            q: (2.0 * k * d / h).sqrt(),
            cost: (2.0 * k * d * h).sqrt(),
        },
        Some(p) => {
            let p = positive("backorder cost", p)?;
            let q = (2.0 * k * d * (h + p) / (h * p)).sqrt();
            Eoq {
                q,
                cost: q * h * p / (h + p),
            }
        }
    })
}

/// Demand over one period (or one protection interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Demand {
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Poisson with the given mean.
    Poisson {
        /// Mean.
        mean: f64,
    },
}

impl Demand {
    fn check(self) -> Result<Demand, InventoryError> {
        match self {
            Demand::Normal { mean, sd } => Ok(Demand::Normal {
                mean: non_negative("demand mean", mean)?,
                sd: non_negative("demand standard deviation", sd)?,
            }),
            Demand::Poisson { mean } => Ok(Demand::Poisson {
                mean: non_negative("demand mean", mean)?,
            }),
        }
    }

    /// The same demand summed over `n` independent periods.
    pub fn over(self, n: f64) -> Demand {
        match self {
            Demand::Normal { mean, sd } => Demand::Normal {
                mean: mean * n,
                sd: sd * n.sqrt(),
            },
            Demand::Poisson { mean } => Demand::Poisson { mean: mean * n },
        }
    }

    /// The mean.
    pub fn mean(self) -> f64 {
        match self {
            Demand::Normal { mean, .. } | Demand::Poisson { mean } => mean,
        }
    }
}

/// A base-stock (order-up-to) level and its expected cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BaseStock {
    /// The level S.
    pub s: f64,
    /// Expected cost per period.
    pub cost: f64,
}

/// Newsvendor: the S minimising h·E[(S − D)⁺] + p·E[(D − S)⁺] — the critical fractile
/// F(S*) = p/(p + h) (S&S Theorem 4.1; normal: S* = μ + σΦ⁻¹(p/(p+h)), cost
/// (h+p)σφ(z*), eq. 4.24; Poisson: the smallest S with F(S) ≥ p/(p+h)) — or, with
/// `given`, the expected cost of that S (Poisson levels are rounded to integers).
pub fn newsvendor(
    h: f64,
    p: f64,
    demand: Demand,
    given: Option<f64>,
) -> Result<BaseStock, InventoryError> {
    let (h, p, demand) = (
        positive("holding cost", h)?,
        positive("stockout cost", p)?,
        demand.check()?,
    );
    if let Some(s) = given
        && !s.is_finite()
    {
        return Err(InventoryError::Parameter {
            name: "order-up-to level",
            value: s,
            rule: "must be a number",
        });
    }
    let alpha = p / (p + h);
    Ok(match demand {
        Demand::Normal { mean, sd } => {
            let s = given.unwrap_or_else(|| {
                if sd > 0.0 {
                    mean + sd * dist::ppf(alpha)
                } else {
                    mean
                }
            });
            BaseStock {
                s,
                cost: dist::normal_cost(s, h, p, mean, sd),
            }
        }
        Demand::Poisson { mean } => {
            let d = Pois::new(mean);
            let s = given.map_or_else(|| d.ppf(alpha), |s| s.round() as i64);
            BaseStock {
                s: s as f64,
                cost: dist::poisson_cost(s, h, p, &d),
            }
        }
    })
}

/// A base-stock policy with its safety stock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BaseStockPolicy {
    /// Order-up-to level S.
    pub s: f64,
    /// S minus the mean demand over the protection interval.
    pub safety_stock: f64,
    /// Expected cost per period.
    pub cost: f64,
}

/// Periodic-review base-stock policy with per-period demand `demand` and a lead time
/// of `lead_time` periods: the newsvendor over the protection interval of L + 1
/// periods (S&S §4.3.3, eqs. 4.32–4.34).
pub fn base_stock(
    h: f64,
    p: f64,
    demand: Demand,
    lead_time: f64,
) -> Result<BaseStockPolicy, InventoryError> {
    let l = non_negative("lead time", lead_time)?;
    let over = demand.check()?.over(l + 1.0);
    let b = newsvendor(h, p, over, None)?;
    Ok(BaseStockPolicy {
        s: b.s,
        safety_stock: b.s - over.mean(),
        cost: b.cost,
    })
}

/// A continuous-review (r, Q) policy and its cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RQ {
    /// Reorder point r (order when the inventory position falls to r).
    pub r: f64,
    /// Order quantity Q.
    pub q: f64,
    /// Expected cost per time unit.
    pub cost: f64,
}

/// Inputs of the (r, Q) model with backorders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RqInputs {
    /// Holding cost per unit per time unit.
    pub h: f64,
    /// Backorder cost per unit per time unit.
    pub p: f64,
    /// Fixed cost per order.
    pub k: f64,
    /// Demand per time unit: normal with mean λ and s.d. τ, or Poisson with mean λ.
    pub demand: Demand,
    /// Lead time in time units.
    pub lead_time: f64,
}

impl RqInputs {
    fn check(self) -> Result<(RqInputs, Demand), InventoryError> {
        positive("holding cost", self.h)?;
        positive("stockout cost", self.p)?;
        positive("fixed cost", self.k)?;
        let l = non_negative("lead time", self.lead_time)?;
        let demand = self.demand.check()?;
        // Lead-time demand: N(λL, τ²L) or Poisson(λL) (S&S §5.2.1).
        Ok((self, demand.over(l)))
    }

    fn lambda(&self) -> f64 {
        self.demand.mean()
    }
}

/// ∫ₐᵇ g(y) dy for the normal newsvendor cost g, in closed form through the
/// second-order loss function: g(y) = h(y − μ) + (h+p)σL((y − μ)/σ) and
/// ∫ σL((y−μ)/σ) dy = −σ²L⁽²⁾((y−μ)/σ) (S&S eq. C.24).
fn normal_cost_integral(a: f64, b: f64, h: f64, p: f64, mu: f64, sigma: f64) -> f64 {
    let lin = h * (0.5 * (b - mu).powi(2) - 0.5 * (a - mu).powi(2));
    if sigma <= 0.0 {
        // Deterministic lead-time demand: g(y) = h(y−μ)⁺ + p(μ−y)⁺.
        let pos = |x: f64| 0.5 * (x - mu).max(0.0).powi(2);
        let neg = |x: f64| 0.5 * (mu - x).max(0.0).powi(2);
        return h * (pos(b) - pos(a)) + p * (neg(a) - neg(b));
    }
    let (za, zb) = ((a - mu) / sigma, (b - mu) / sigma);
    lin + (h + p) * sigma * sigma * (dist::second_loss(za) - dist::second_loss(zb))
}

/// The exact expected cost per time unit of an (r, Q) policy with backorders,
/// g(r, Q) = (Kλ + ∫ᵣ^{r+Q} g(y) dy)/Q (S&S eq. 5.7) for normal demand, and
/// (Kλ + Σ_{y=r+1}^{r+Q} g(y))/Q (eq. 5.48) for Poisson demand (r, Q rounded).
pub fn rq_cost(inputs: RqInputs, r: f64, q: f64) -> Result<f64, InventoryError> {
    let (i, ltd) = inputs.check()?;
    let q = positive("order quantity", q)?;
    if !r.is_finite() {
        return Err(InventoryError::Parameter {
            name: "reorder point",
            value: r,
            rule: "must be a number",
        });
    }
    Ok(match ltd {
        Demand::Normal { mean, sd } => {
            (i.k * i.lambda() + normal_cost_integral(r, r + q, i.h, i.p, mean, sd)) / q
        }
        Demand::Poisson { mean } => {
            let d = Pois::new(mean);
            let (r, q) = (r.round() as i64, q.round().max(1.0) as i64);
            let sum: f64 = (r + 1..=r + q)
                .map(|y| dist::poisson_cost(y, i.h, i.p, &d))
                .sum();
            (i.k * i.lambda() + sum) / q as f64
        }
    })
}

/// For normal demand: the r minimising g(r, Q) for a given Q, where g(r) = g(r + Q)
/// (S&S eq. 5.9), by bisection (g is convex).
fn rq_normal_r_for_q(h: f64, p: f64, mu: f64, sigma: f64, q: f64) -> f64 {
    let s_star = if sigma > 0.0 {
        mu + sigma * dist::ppf(p / (p + h))
    } else {
        mu
    };
    let (mut lo, mut hi) = (s_star - q, s_star);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let diff =
            dist::normal_cost(mid, h, p, mu, sigma) - dist::normal_cost(mid + q, h, p, mu, sigma);
        if diff < 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= 1e-13 * (1.0 + mid.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The exact optimal (r, Q) policy.
///
/// Normal demand: g(r, Q) is jointly convex (Zipkin, *Foundations of Inventory
/// Management*, 2000, §6.4); with r(Q) from g(r) = g(r+Q), the envelope theorem gives
/// dg/dQ = (g(r(Q)+Q) − g(r(Q), Q))/Q, so the optimum is the root of that difference,
/// found by bisection.
///
/// Poisson demand: Federgruen & Zheng (1992), "An efficient algorithm for computing an
/// optimal (r, Q) policy in continuous review stochastic inventory systems", *Operations
/// Research* 40(4): grow Q one unit at a time, adding whichever end of the window
/// {r+1..r+Q} has the lower g, until the cost rises.
pub fn rq_optimal(inputs: RqInputs) -> Result<RQ, InventoryError> {
    let (i, ltd) = inputs.check()?;
    match ltd {
        Demand::Normal { mean, sd } => {
            let r_of = |q: f64| rq_normal_r_for_q(i.h, i.p, mean, sd, q);
            let slope = |q: f64| {
                let r = r_of(q);
                let c = (i.k * i.lambda() + normal_cost_integral(r, r + q, i.h, i.p, mean, sd)) / q;
                dist::normal_cost(r + q, i.h, i.p, mean, sd) - c
            };
            // Bracket: the EOQ with backorders is a lower bound on Q* (Zheng 1992), so
            // start there and double until the slope turns positive.
            let eoqb = eoq(i.k, i.h, i.lambda(), Some(i.p))?.q.max(1e-9);
            let mut lo = eoqb * 0.5;
            while slope(lo) > 0.0 && lo > 1e-12 {
                lo *= 0.5;
            }
            let mut hi = eoqb.max(lo * 2.0);
            while slope(hi) < 0.0 {
                hi *= 2.0;
            }
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if slope(mid) < 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
                if hi - lo <= 1e-13 * mid {
                    break;
                }
            }
            let q = 0.5 * (lo + hi);
            let r = r_of(q);
            Ok(RQ {
                r,
                q,
                cost: rq_cost(inputs, r, q)?,
            })
        }
        Demand::Poisson { mean } => {
            let d = Pois::new(mean);
            let g = |y: i64| dist::poisson_cost(y, i.h, i.p, &d);
            let s_star = d.ppf(i.p / (i.p + i.h));
            let (mut r, mut q) = (s_star - 1, 1i64);
            let mut window = g(r + 1);
            let mut cost = (i.k * i.lambda() + window) / q as f64;
            loop {
                let (gr, grq1) = (g(r), g(r + q + 1));
                let (next_r, next_window) = if gr < grq1 {
                    (r - 1, window + gr)
                } else {
                    (r, window + grq1)
                };
                let next_cost = (i.k * i.lambda() + next_window) / (q + 1) as f64;
                if next_cost > cost {
                    break;
                }
                (r, q, window, cost) = (next_r, q + 1, next_window, next_cost);
            }
            Ok(RQ {
                r: r as f64,
                q: q as f64,
                cost,
            })
        }
    }
}

/// A periodic-review (s, S) policy: order up to S when the inventory position is at or
/// below s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SS {
    /// Reorder level s.
    pub s: i64,
    /// Order-up-to level S.
    #[serde(rename = "S")]
    pub big_s: i64,
    /// Expected cost per period.
    pub cost: f64,
}

/// The expected cost per period of an (s, S) policy under Poisson demand per period
/// and zero lead time (S&S eq. 4.63, after Zheng & Federgruen 1991):
/// c(s, S) = [K + Σ_{j=0}^{S−s−1} m(j) G(S − j)] / M(S − s), with the renewal
/// quantities m(0) = 1/(1 − p₀), m(j) = m(0) Σ_{l=1}^{j} p_l m(j − l) and
/// M(n) = Σ_{j<n} m(j).
pub fn ss_cost(
    h: f64,
    p: f64,
    k: f64,
    mean: f64,
    s: i64,
    big_s: i64,
) -> Result<f64, InventoryError> {
    positive("holding cost", h)?;
    positive("stockout cost", p)?;
    positive("fixed cost", k)?;
    positive("demand mean", mean)?;
    if big_s <= s {
        return Err(InventoryError::Parameter {
            name: "order-up-to level",
            value: big_s as f64,
            rule: "must exceed the reorder level",
        });
    }
    let d = Pois::new(mean);
    Ok(ss_cost_with(
        &SsCache::new(&d, (big_s - s) as usize),
        h,
        p,
        k,
        &d,
        s,
        big_s,
    ))
}

/// The renewal quantities m(·) and M(·) up to a length.
struct SsCache {
    m: Vec<f64>,
    cum: Vec<f64>,
}

impl SsCache {
    fn new(d: &Pois, n: usize) -> SsCache {
        let mut c = SsCache {
            m: Vec::new(),
            cum: vec![0.0],
        };
        c.grow(d, n);
        c
    }

    fn grow(&mut self, d: &Pois, n: usize) {
        let m0 = 1.0 / (1.0 - d.pmf(0));
        while self.m.len() < n {
            let j = self.m.len();
            let v = if j == 0 {
                m0
            } else {
                m0 * (1..=j)
                    .map(|l| d.pmf(l as i64) * self.m[j - l])
                    .sum::<f64>()
            };
            self.m.push(v);
            self.cum.push(self.cum[j] + v);
        }
    }
}

fn ss_cost_with(c: &SsCache, h: f64, p: f64, k: f64, d: &Pois, s: i64, big_s: i64) -> f64 {
    let n = (big_s - s) as usize;
    let sum: f64 = (0..n)
        .map(|j| c.m[j] * dist::poisson_cost(big_s - j as i64, h, p, d))
        .sum();
    (k + sum) / c.cum[n]
}

/// The exact optimal (s, S) policy under Poisson demand per period, by the algorithm of
/// Zheng & Federgruen (1991), "Finding optimal (s, S) policies is about as simple as
/// evaluating a single policy", *Operations Research* 39(4) (S&S Algorithm 4.2).
pub fn ss_optimal(h: f64, p: f64, k: f64, mean: f64) -> Result<SS, InventoryError> {
    positive("holding cost", h)?;
    positive("stockout cost", p)?;
    positive("fixed cost", k)?;
    positive("demand mean", mean)?;
    let d = Pois::new(mean);
    let g = |y: i64| dist::poisson_cost(y, h, p, &d);
    let mut cache = SsCache::new(&d, 1);
    let cost = |cache: &mut SsCache, s: i64, big_s: i64| {
        cache.grow(&d, (big_s - s) as usize);
        ss_cost_with(cache, h, p, k, &d, s, big_s)
    };
    let y_star = d.ppf(p / (p + h));
    // Step 1: s(y*) — lower s until c(s, y*) ≤ G(s).
    let mut s = y_star;
    loop {
        s -= 1;
        if cost(&mut cache, s, y_star) <= g(s) {
            break;
        }
    }
    let (mut s_hat, mut big_s_hat) = (s, y_star);
    let mut c_hat = cost(&mut cache, s_hat, big_s_hat);
    // Step 2: raise S while G(S) ≤ the incumbent cost; on an improvement, raise s.
    let mut big_s = big_s_hat + 1;
    while g(big_s) <= c_hat {
        if cost(&mut cache, s_hat, big_s) < c_hat {
            big_s_hat = big_s;
            while cost(&mut cache, s, big_s_hat) <= g(s + 1) {
                s += 1;
            }
            s_hat = s;
            c_hat = cost(&mut cache, s_hat, big_s_hat);
        }
        big_s += 1;
    }
    Ok(SS {
        s: s_hat,
        big_s: big_s_hat,
        cost: c_hat,
    })
}

/// A reorder point and its safety stock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReorderPoint {
    /// Reorder point r.
    pub reorder_point: f64,
    /// r minus the mean lead-time demand.
    pub safety_stock: f64,
}

/// The service target of a reorder point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub enum Service {
    /// Cycle service level α: P(no stockout in a replenishment cycle) ≥ α.
    Csl(f64),
    /// Fill rate β: the share of demand met from stock ≥ β.
    FillRate(f64),
}

impl Service {
    /// The target value.
    pub fn value(self) -> f64 {
        match self {
            Service::Csl(a) | Service::FillRate(a) => a,
        }
    }

    /// The same kind of target at another value.
    pub fn with_value(self, v: f64) -> Service {
        match self {
            Service::Csl(_) => Service::Csl(v),
            Service::FillRate(_) => Service::FillRate(v),
        }
    }
}

/// Reorder point for normal lead-time demand N(μ, σ²) and order quantity Q.
/// Cycle service level α: r = μ + σΦ⁻¹(α) (S&S eq. 5.40). Fill rate β: the expected
/// shortage per cycle σL(z) must equal (1 − β)Q, so z = L⁻¹((1 − β)Q/σ) (eq. 5.42;
/// Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*, 4th
/// ed., §7.7).
pub fn reorder_point(
    mean: f64,
    sd: f64,
    q: f64,
    service: Service,
) -> Result<ReorderPoint, InventoryError> {
    let (mean, sd, q) = (
        non_negative("lead-time demand mean", mean)?,
        non_negative("lead-time demand standard deviation", sd)?,
        positive("order quantity", q)?,
    );
    let z = match service {
        Service::Csl(a) => dist::ppf(probability("cycle service level", a)?),
        Service::FillRate(b) => {
            let b = probability("fill rate", b)?;
            if sd == 0.0 {
                0.0
            } else {
                dist::loss_inverse((1.0 - b) * q / sd)
            }
        }
    };
    let ss = if sd == 0.0 { 0.0 } else { z * sd };
    Ok(ReorderPoint {
        reorder_point: mean + ss,
        safety_stock: ss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn eoq_textbook() {
        let e = eoq(8.0, 0.225, 1300.0, None).unwrap();
        assert!(close(e.q, 304.05, 1e-4), "{e:?}");
        // S&S Example 3.8 via stockpyl's doc: (310.8125..., 66.9213...).
        let b = eoq(8.0, 0.225, 1300.0, Some(5.0)).unwrap();
        assert!(close(b.q, 310.812_555_158_964_64, 1e-12));
        assert!(close(b.cost, 66.921_363_550_973_25, 1e-12));
        assert!(eoq(8.0, 0.0, 1300.0, None).is_err());
    }

    #[test]
    fn newsvendor_textbook() {
        let n = newsvendor(
            2.0,
            18.0,
            Demand::Normal {
                mean: 120.0,
                sd: 10.0,
            },
            None,
        )
        .unwrap();
        assert!(close(n.s, 132.8155, 1e-5), "{n:?}");
        // The given S costs at least the optimum.
        for s in [120.0, 130.0, 135.0, 150.0] {
            let c = newsvendor(
                2.0,
                18.0,
                Demand::Normal {
                    mean: 120.0,
                    sd: 10.0,
                },
                Some(s),
            )
            .unwrap();
            assert!(c.cost >= n.cost - 1e-12);
        }
        let p = newsvendor(1.0, 4.0, Demand::Poisson { mean: 6.0 }, None).unwrap();
        assert_eq!(p.s, 8.0);
    }

    #[test]
    fn rq_examples_from_stockpyl_docs() {
        // S&S Example 5.1 (stockpyl rq.r_q_cost doc): 78.07116250928294.
        let i = RqInputs {
            h: 0.225,
            p: 7.5,
            k: 8.0,
            demand: Demand::Normal {
                mean: 1300.0,
                sd: 150.0,
            },
            lead_time: 1.0 / 12.0,
        };
        assert!(close(
            rq_cost(i, 126.8, 328.5).unwrap(),
            78.071_162_509_282_94,
            1e-9
        ));
        let opt = rq_optimal(i).unwrap();
        for (dr, dq) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
            assert!(rq_cost(i, opt.r + dr, opt.q + dq).unwrap() > opt.cost);
        }
        // S&S Example 5.8: Poisson, (3, 5, 107.92358063314975).
        let p = RqInputs {
            h: 20.0,
            p: 150.0,
            k: 100.0,
            demand: Demand::Poisson { mean: 1.5 },
            lead_time: 2.0,
        };
        let o = rq_optimal(p).unwrap();
        assert_eq!((o.r, o.q), (3.0, 5.0));
        assert!(close(o.cost, 107.923_580_633_149_75, 1e-10));
        assert!(close(rq_cost(p, 3.0, 5.0).unwrap(), o.cost, 1e-12));
    }

    #[test]
    fn ss_optimum_is_a_local_minimum() {
        let o = ss_optimal(1.0, 4.0, 5.0, 6.0).unwrap();
        for (ds, dbs) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            let c = ss_cost(1.0, 4.0, 5.0, 6.0, o.s + ds, o.big_s + dbs).unwrap();
            assert!(c >= o.cost - 1e-12, "{o:?} vs {ds},{dbs}: {c}");
        }
    }

    #[test]
    fn reorder_points() {
        let r = reorder_point(100.0, 20.0, 50.0, Service::Csl(0.95)).unwrap();
        assert!(close(r.safety_stock, 20.0 * 1.644_853_626_951_472, 1e-9));
        // Fill rate with a large Q needs little or negative safety stock.
        let f = reorder_point(100.0, 20.0, 1000.0, Service::FillRate(0.95)).unwrap();
        assert!(f.safety_stock < 0.0);
        assert!((20.0 * dist::loss(f.safety_stock / 20.0) - 50.0).abs() < 1e-9);
        assert!(reorder_point(100.0, 20.0, 50.0, Service::Csl(1.0)).is_err());
        assert!(reorder_point(100.0, -1.0, 50.0, Service::Csl(0.9)).is_err());
    }
}
