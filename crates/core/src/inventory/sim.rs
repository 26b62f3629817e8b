//! Monte Carlo simulation of a replenishment policy over the forecast's sample paths,
//! with lead times drawn per order.
//!
//! Timing within a period: orders due arrive, then the policy reviews (on review
//! days), then demand is served from stock. An order placed in period t with a lead
//! time of L periods arrives at the start of period t + L, so a base-stock policy with
//! review every period protects against L + 1 periods of demand (S&S §4.3.3), which
//! the tests check against the closed form.

use serde::{Deserialize, Serialize};

use crate::rng::SplitMix;

/// What happens to demand that stock cannot meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Unmet {
    /// The customer buys elsewhere (usual in online retail).
    #[default]
    Lost,
    /// The customer waits; served from the next arrival.
    Backorder,
}

/// A policy in the form the simulator runs: at every review, if the inventory position
/// (on hand + on order − backorders) is at or below `reorder`, order either enough
/// multiples of `fixed_q` to lift it above `reorder`, or up to `up_to`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimPolicy {
    /// Periods between reviews (1 = every period); `None` = review only at the start.
    pub review: Option<usize>,
    /// Order when the position is at or below this.
    pub reorder: f64,
    /// Order up to this level (when `fixed_q` is `None`).
    pub up_to: f64,
    /// A fixed order quantity (the (r, Q) policy).
    pub fixed_q: Option<f64>,
    /// Minimum order quantity.
    pub moq: f64,
    /// Orders are whole multiples of this.
    pub case_pack: f64,
}

impl SimPolicy {
    /// The order quantity at inventory position `ip` (0 = no order).
    pub fn order(&self, ip: f64) -> f64 {
        if ip > self.reorder + 1e-9 {
            return 0.0;
        }
        let raw = match self.fixed_q {
            Some(q) if q > 0.0 => q * (((self.reorder - ip) / q).floor() + 1.0),
            _ => self.up_to - ip,
        };
        round_order(raw, self.moq, self.case_pack)
    }
}

/// Rounds a wanted quantity up to whole cases and at least the minimum order.
pub fn round_order(raw: f64, moq: f64, case_pack: f64) -> f64 {
    if raw <= 1e-9 {
        return 0.0;
    }
    let pack = if case_pack > 0.0 { case_pack } else { 1.0 };
    let q = raw.max(moq);
    (q / pack - 1e-9).ceil() * pack
}

/// Lead times in periods: drawn from past lead times when there are any, otherwise
/// normal with the given mean and s.d., truncated at zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadTimes {
    /// Mean (periods).
    pub mean: f64,
    /// Standard deviation (periods).
    pub sd: f64,
    /// Observed lead times (periods).
    pub past: Vec<f64>,
}

impl LeadTimes {
    /// One lead time (periods, fractional).
    pub(crate) fn draw(&self, rng: &mut SplitMix) -> f64 {
        if !self.past.is_empty() {
            return self.past[rng.below(self.past.len())];
        }
        if self.sd <= 0.0 {
            return self.mean.max(0.0);
        }
        (self.mean + self.sd * rng.normal()).max(0.0)
    }

    /// One lead time rounded to whole periods, up or down at random in proportion so
    /// that the mean is kept.
    pub(crate) fn draw_periods(&self, rng: &mut SplitMix) -> usize {
        let l = self.draw(rng);
        let base = l.floor();
        (base + f64::from(u8::from(rng.uniform() < l - base))) as usize
    }
}

/// Demand of a sample path at period `t`, beyond its horizon by repeating its last
/// season (so a weekly pattern carries on).
#[inline]
pub fn demand_at(path: &[f64], t: usize, season: usize) -> f64 {
    let h = path.len();
    if t < h {
        return path[t];
    }
    if h == 0 {
        return 0.0;
    }
    let s = season.clamp(1, h);
    path[h - s + (t - h) % s]
}

/// What the simulator needs about one SKU.
#[derive(Debug, Clone)]
pub struct SimInput<'a> {
    /// Demand sample paths (per period).
    pub paths: &'a [Vec<f64>],
    /// Season length, to extend paths past their horizon.
    pub season: usize,
    /// Units on hand at the start.
    pub on_hand: f64,
    /// Open orders: (arrival period, units).
    pub pipeline: &'a [(usize, f64)],
    /// Lead times of new orders.
    pub lead: &'a LeadTimes,
    /// Holding cost per unit per period.
    pub holding: f64,
    /// Fixed cost per order.
    pub order_cost: f64,
    /// Cost per unit short.
    pub shortage: f64,
    /// Lost sales or backorders.
    pub unmet: Unmet,
}

/// A simulated figure: mean over replications and its 5–95 % range across them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// 5th percentile across replications.
    pub lo: f64,
    /// 95th percentile across replications.
    pub hi: f64,
    /// Standard error of the mean.
    pub se: f64,
}

impl Stat {
    fn of(mut v: Vec<f64>) -> Stat {
        let n = v.len();
        if n == 0 {
            return Stat::default();
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (n - 1) as f64).round() as usize).min(n - 1)];
        Stat {
            mean,
            lo: at(0.05),
            hi: at(0.95),
            se: (var / n as f64).sqrt(),
        }
    }
}

/// The results of simulating one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SimSummary {
    /// Replications run.
    pub runs: usize,
    /// Periods simulated.
    pub periods: usize,
    /// Share of demand served from stock (pooled over replications).
    pub fill_rate: f64,
    /// Share of replenishment cycles (from one arrival to the next) without a
    /// stockout; NaN when no cycle completed.
    pub cycle_service: f64,
    /// Share of replications with at least one stockout.
    pub stockout_probability: f64,
    /// Average units on hand (end of period).
    pub avg_on_hand: Stat,
    /// Orders placed.
    pub orders: Stat,
    /// Units ordered.
    pub units_ordered: Stat,
    /// Holding cost over the horizon.
    pub holding_cost: Stat,
    /// Ordering cost over the horizon.
    pub ordering_cost: Stat,
    /// Stockout cost (lost margin or backorder penalty) over the horizon.
    pub shortage_cost: Stat,
    /// Total cost over the horizon.
    pub total_cost: Stat,
}

/// On hand at the end of each period: P10, P50, P90 across replications.
pub type Band = [Vec<f64>; 3];

/// Simulates `runs` replications of `periods` periods. Replication i follows sample
/// path i mod (number of paths) with its own lead-time draws; the same `seed` gives
/// the same draws to every policy (common random numbers), so that a comparison shows
/// the policies' difference and not noise. With `band`, also returns the on-hand band.
pub fn simulate(
    input: &SimInput<'_>,
    policy: &SimPolicy,
    periods: usize,
    runs: usize,
    seed: u64,
    band: bool,
) -> (SimSummary, Option<Band>) {
    let n_paths = input.paths.len();
    if n_paths == 0 || runs == 0 || periods == 0 {
        return (SimSummary::default(), None);
    }
    let mut on_hand_trace = if band {
        vec![0.0f32; runs * periods]
    } else {
        Vec::new()
    };
    let (mut demand_total, mut served_total) = (0.0, 0.0);
    let (mut cycles, mut good_cycles) = (0usize, 0usize);
    let mut any_stockout = 0usize;
    let mut avg_on_hand = Vec::with_capacity(runs);
    let mut orders = Vec::with_capacity(runs);
    let mut units = Vec::with_capacity(runs);
    let mut hold = Vec::with_capacity(runs);
    let mut ordc = Vec::with_capacity(runs);
    let mut short = Vec::with_capacity(runs);
    let mut total = Vec::with_capacity(runs);
    let mut pipeline: Vec<(usize, f64)> = Vec::with_capacity(8);
    for run in 0..runs {
        let mut rng = SplitMix::new(seed ^ (run as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let path = &input.paths[run % n_paths];
        pipeline.clear();
        pipeline.extend_from_slice(input.pipeline);
        let mut on_hand = input.on_hand.max(0.0);
        let mut backlog = 0.0f64;
        let (mut n_orders, mut n_units, mut sum_on_hand, mut short_units) = (0.0, 0.0, 0.0, 0.0);
        let mut cycle_started = false;
        let mut cycle_short = false;
        let mut stocked_out = false;
        for t in 0..periods {
            // Arrivals.
            let mut arrived = false;
            pipeline.retain(|&(at, q)| {
                if at <= t {
                    on_hand += q;
                    arrived = true;
                    false
                } else {
                    true
                }
            });
            if arrived {
                if cycle_started {
                    cycles += 1;
                    good_cycles += usize::from(!cycle_short);
                }
                cycle_started = true;
                cycle_short = false;
                if backlog > 0.0 {
                    let b = backlog.min(on_hand);
                    on_hand -= b;
                    backlog -= b;
                }
            }
            // Review.
            let review_now = match policy.review {
                Some(r) => t % r.max(1) == 0,
                None => t == 0,
            };
            if review_now {
                let ip = on_hand + pipeline.iter().map(|p| p.1).sum::<f64>() - backlog;
                let q = policy.order(ip);
                if q > 0.0 {
                    let l = input.lead.draw_periods(&mut rng);
                    n_orders += 1.0;
                    n_units += q;
                    if l == 0 {
                        on_hand += q;
                        let b = backlog.min(on_hand);
                        on_hand -= b;
                        backlog -= b;
                    } else {
                        pipeline.push((t + l, q));
                    }
                }
            }
            // Demand.
            let d = demand_at(path, t, input.season).max(0.0);
            let served = d.min(on_hand);
            on_hand -= served;
            let miss = d - served;
            demand_total += d;
            served_total += served;
            if miss > 1e-9 {
                cycle_short = true;
                stocked_out = true;
                short_units += miss;
                if input.unmet == Unmet::Backorder {
                    backlog += miss;
                }
            }
            sum_on_hand += on_hand;
            if band {
                on_hand_trace[t * runs + run] = on_hand as f32;
            }
        }
        any_stockout += usize::from(stocked_out);
        let per = sum_on_hand / periods as f64;
        let hc = sum_on_hand * input.holding;
        let oc = n_orders * input.order_cost;
        let sc = short_units * input.shortage;
        avg_on_hand.push(per);
        orders.push(n_orders);
        units.push(n_units);
        hold.push(hc);
        ordc.push(oc);
        short.push(sc);
        total.push(hc + oc + sc);
    }
    let band = band.then(|| {
        let mut b: Band = [vec![0.0; periods], vec![0.0; periods], vec![0.0; periods]];
        for t in 0..periods {
            let col = &mut on_hand_trace[t * runs..(t + 1) * runs];
            for (k, q) in [0.1, 0.5, 0.9].into_iter().enumerate() {
                let i = ((q * (runs - 1) as f64).round() as usize).min(runs - 1);
                let (_, v, _) = col.select_nth_unstable_by(i, f32::total_cmp);
                b[k][t] = f64::from(*v);
            }
        }
        b
    });
    (
        SimSummary {
            runs,
            periods,
            fill_rate: if demand_total > 0.0 {
                served_total / demand_total
            } else {
                1.0
            },
            cycle_service: if cycles > 0 {
                good_cycles as f64 / cycles as f64
            } else {
                f64::NAN
            },
            stockout_probability: any_stockout as f64 / runs as f64,
            avg_on_hand: Stat::of(avg_on_hand),
            orders: Stat::of(orders),
            units_ordered: Stat::of(units),
            holding_cost: Stat::of(hold),
            ordering_cost: Stat::of(ordc),
            shortage_cost: Stat::of(short),
            total_cost: Stat::of(total),
        },
        band,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::dist::{self, Pois};

    fn paths(
        n: usize,
        len: usize,
        seed: u64,
        draw: impl Fn(&mut SplitMix) -> f64,
    ) -> Vec<Vec<f64>> {
        let mut rng = SplitMix::new(seed);
        (0..n)
            .map(|_| (0..len).map(|_| draw(&mut rng)).collect())
            .collect()
    }

    #[test]
    fn base_stock_cycle_service_matches_the_normal_closed_form() {
        // Review every period, fixed lead time L = 3, backorders, demand N(20, 5²):
        // P(no stockout in a period) = Φ((S − 4·20)/(5·2)) (S&S eq. 4.35).
        let p = paths(400, 400, 1, |r| 20.0 + 5.0 * r.normal());
        let lead = LeadTimes {
            mean: 3.0,
            sd: 0.0,
            past: vec![],
        };
        let s = 92.0;
        let input = SimInput {
            paths: &p,
            season: 1,
            on_hand: s,
            pipeline: &[],
            lead: &lead,
            holding: 1.0,
            order_cost: 0.0,
            shortage: 1.0,
            unmet: Unmet::Backorder,
        };
        let pol = SimPolicy {
            review: Some(1),
            reorder: s - 1e-6,
            up_to: s,
            fixed_q: None,
            moq: 0.0,
            case_pack: 1e-9,
        };
        let (sum, _) = simulate(&input, &pol, 400, 400, 9, false);
        let want = dist::cdf((s - 80.0) / 10.0);
        // ~160,000 cycles: the Monte Carlo s.e. is about 0.001.
        assert!(
            (sum.cycle_service - want).abs() < 0.006,
            "{} vs {want}",
            sum.cycle_service
        );
    }

    #[test]
    fn rq_cycle_service_matches_the_poisson_closed_form() {
        // Sparse Poisson demand (rate 0.05 a period, so an order is almost always
        // triggered at exactly r: undershoot below 0.5 %), L = 60, Q = 10. Just before
        // an order placed at r arrives, the inventory level is r − D_L whatever else
        // is outstanding, so a cycle has no stockout iff D_L ≤ r: P = F(r; 0.05·60).
        let p = paths(400, 3000, 2, |r| {
            let (mut k, mut prod, limit) = (0.0, r.uniform(), (-0.05f64).exp());
            while prod > limit {
                k += 1.0;
                prod *= r.uniform();
            }
            k
        });
        let lead = LeadTimes {
            mean: 60.0,
            sd: 0.0,
            past: vec![],
        };
        let r = 4.0;
        let input = SimInput {
            paths: &p,
            season: 1,
            on_hand: r + 10.0,
            pipeline: &[],
            lead: &lead,
            holding: 1.0,
            order_cost: 1.0,
            shortage: 1.0,
            unmet: Unmet::Backorder,
        };
        let pol = SimPolicy {
            review: Some(1),
            reorder: r,
            up_to: 0.0,
            fixed_q: Some(10.0),
            moq: 0.0,
            case_pack: 1.0,
        };
        let (sum, _) = simulate(&input, &pol, 3000, 400, 5, false);
        let d = Pois::new(3.0);
        // ~6,000 cycles: the Monte Carlo s.e. is about 0.005.
        let want = d.cdf(r as i64);
        assert!(
            (sum.cycle_service - want).abs() < 0.02,
            "{} vs {want}",
            sum.cycle_service
        );
    }

    #[test]
    fn costs_add_up_and_bands_are_ordered() {
        let p = paths(50, 30, 3, |r| (5.0 + 2.0 * r.normal()).max(0.0).round());
        let lead = LeadTimes {
            mean: 2.0,
            sd: 1.0,
            past: vec![],
        };
        let input = SimInput {
            paths: &p,
            season: 7,
            on_hand: 10.0,
            pipeline: &[(3, 20.0)],
            lead: &lead,
            holding: 0.1,
            order_cost: 5.0,
            shortage: 2.0,
            unmet: Unmet::Lost,
        };
        let pol = SimPolicy {
            review: Some(7),
            reorder: 40.0,
            up_to: 60.0,
            fixed_q: None,
            moq: 10.0,
            case_pack: 6.0,
        };
        let (s, band) = simulate(&input, &pol, 90, 300, 1, true);
        let band = band.unwrap();
        assert!((0..90).all(|t| band[0][t] <= band[1][t] && band[1][t] <= band[2][t]));
        let sum = s.holding_cost.mean + s.ordering_cost.mean + s.shortage_cost.mean;
        assert!((sum - s.total_cost.mean).abs() < 1e-9);
        assert!(s.fill_rate > 0.5 && s.fill_rate <= 1.0);
        assert!(s.orders.mean >= 10.0, "weekly reviews reorder");
        assert!(s.units_ordered.mean % 6.0 < 1e-9 || s.units_ordered.lo > 0.0);
        assert_eq!(round_order(3.0, 10.0, 6.0), 12.0);
        assert_eq!(round_order(0.0, 10.0, 6.0), 0.0);
        assert_eq!(demand_at(&[1.0, 2.0, 3.0, 4.0], 5, 2), 4.0);
        assert_eq!(demand_at(&[1.0, 2.0, 3.0, 4.0], 6, 2), 3.0);
    }
}
