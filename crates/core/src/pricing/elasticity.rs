//! Price elasticity of demand per SKU from the merchant's own order lines.
//!
//! The unit is a day the shop traded (a day without any line in the whole shop is a
//! closure and left out). Per SKU, from its first sale to the end of the data, a
//! Poisson regression (log link) of its units that day on
//!
//! `ln price_d`, its weekday, and a smooth level over time
//!
//! where the level is piecewise linear between knots [`Settings::knot_days`] apart,
//! penalised towards straight lines (so it follows the SKU's season, trend and drift
//! but not a one- or two-week promotion), and the day's price is the median unit price
//! of its retail lines, carried forward over days without a sale. The price coefficient
//! is the elasticity; its standard error is robust to overdispersion and to errors
//! that persist for weeks (clustered by [`Settings::cluster_days`]). Why daily: a promotion of a few days
//! is the strongest evidence there is, and a weekly median hides it.
//!
//! Two guards keep other effects from being read as price effects: wholesale lines
//! (more than five times the SKU's median line and at least 10 units: large buyers at
//! tier prices) are left out of both price and units, and a run of days without a sale
//! that the fit finds improbable (more than [`STOCKOUT_UNITS`] units expected) is taken
//! as a stock-out and left out before the final fit.
//!
//! A SKU whose prices barely moved says little about `e`: every SKU's own estimate is
//! combined with those of SKUs of a similar price (a quarter of the catalogue by
//! median price) by empirical Bayes (DerSimonian–Laird between-SKU variance), so a SKU
//! with little variation leans on its peers and one with a lot keeps its own. Fewer
//! than 8 weeks with sales, fewer than 3 distinct daily prices or less than 1 % price
//! spread is "not enough price variation": no number at all.
//!
//! The settings were chosen on three of the generated structures of
//! [`super::generators`] and are reported on all five (`docs/pricing.md`).

use std::collections::HashMap;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::data::clean::{self, Sale};
use crate::data::ingest::Parsed;
use crate::data::{CancellationRule, csv_field};

use super::glm;

/// How an elasticity was arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Mostly the SKU's own price variation (its peers weigh less than 20 %).
    Own,
    /// The SKU's own estimate pulled towards SKUs of a similar price.
    Pooled,
    /// Too little price variation to say anything.
    NotEnough,
}

impl Method {
    /// The label written in files and shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            Method::Own => "own",
            Method::Pooled => "pooled",
            Method::NotEnough => "not enough price variation",
        }
    }
}

/// One SKU's price elasticity of demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Elasticity {
    /// The SKU.
    pub sku: String,
    /// Its description.
    pub description: String,
    /// The estimate (% change in demand per 1 % change in price), `None` when there is
    /// not enough price variation.
    pub elasticity: Option<f64>,
    /// 80 % interval, low end.
    pub lo: Option<f64>,
    /// 80 % interval, high end.
    pub hi: Option<f64>,
    /// The SKU's own regression estimate and its standard error, before pooling.
    pub own: Option<(f64, f64)>,
    /// Distinct weekly prices (to the cent).
    pub n_prices: usize,
    /// Order lines with a price.
    pub n_lines: usize,
    /// Weeks with a sale.
    pub n_weeks: usize,
    /// How the estimate was made.
    pub method: Method,
    /// The price of its last week with a sale.
    pub current_price: f64,
    /// The lowest and highest weekly prices it sold at.
    pub price_range: (f64, f64),
    /// Units a week over the last 8 weeks of the data (weeks without a sale count as 0).
    pub weekly_units: f64,
}

/// z for a central 80 % interval.
const Z80: f64 = 1.281_551_565_545;
/// Fewest weeks with a sale for a regression.
const MIN_WEEKS: usize = 8;
/// Fewest distinct daily prices.
const MIN_PRICES: usize = 3;
/// Least standard deviation of ln price (about 1 %).
const MIN_LOG_PRICE_SD: f64 = 0.01;
/// Weeks the current demand rate is measured over.
const RECENT_WEEKS: usize = 8;
/// Smallest pool of peers; smaller price quarters pool with the whole catalogue.
const MIN_POOL: usize = 8;
/// Units the fit must expect over a run of days without a sale for the run to be
/// taken as a stock-out (the chance of no sale at all is then below e^-6 / line size).
pub const STOCKOUT_UNITS: f64 = 8.0;

/// How the daily regression is set up (the defaults were chosen on generated data,
/// see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Days between the knots of the SKU's level.
    pub knot_days: usize,
    /// Penalty on the level's differences (larger: straighter).
    pub smooth: f64,
    /// Which differences of the level are penalised: 1, a level that wanders like a
    /// random walk from knot to knot (a permanent price change shows as a step the level
    /// cannot take cheaply); 2, one that bends slowly (towards straight lines).
    pub order: usize,
    /// Days per cluster of the standard error (errors within one are taken as
    /// correlated: a level that wanders for weeks).
    pub cluster_days: usize,
    /// Factor on the standard errors (calibration of the intervals).
    pub se_scale: f64,
    /// Whether the log of every other SKU's units that day (the shop's season and
    /// traffic) is a control.
    pub shop: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            knot_days: 42,
            smooth: 100.0,
            order: 2,
            cluster_days: 7,
            se_scale: 1.4,
            shop: true,
        }
    }
}

/// One SKU's lines: (day index, units, unit price).
struct SkuLines {
    lines: Vec<(usize, f64, f64)>,
}

/// Every SKU's elasticity from parsed order lines (cleaned as for forecasting, with
/// the given cancellation rule), in the order of the file's SKUs that sold at a price.
/// Lines without a price are ignored; a file with none gives an empty list.
pub fn elasticities(parsed: &Parsed, rule: CancellationRule) -> Vec<Elasticity> {
    elasticities_with(parsed, rule, &Settings::default())
}

/// [`elasticities`] with given settings (the benchmark compares settings).
pub fn elasticities_with(
    parsed: &Parsed,
    rule: CancellationRule,
    settings: &Settings,
) -> Vec<Elasticity> {
    let (sales, _) = clean::clean(parsed, rule);
    from_sales(parsed, &sales, settings)
}

fn from_sales(parsed: &Parsed, sales: &[Sale], settings: &Settings) -> Vec<Elasticity> {
    let priced: Vec<&Sale> = sales
        .iter()
        .filter(|s| s.qty > 0.0 && s.revenue > 0.0 && s.revenue.is_finite())
        .collect();
    let (Some(first), Some(last)) = (
        priced.iter().map(|s| s.day).min(),
        priced.iter().map(|s| s.day).max(),
    ) else {
        return Vec::new();
    };
    let days = (last - first).num_days() as usize + 1;
    let mut open = vec![false; days];
    let mut shop = vec![0.0; days];
    let mut per_sku: HashMap<u32, SkuLines> = HashMap::new();
    for s in &priced {
        let d = (s.day - first).num_days() as usize;
        open[d] = true;
        shop[d] += s.qty;
        per_sku
            .entry(s.sku)
            .or_insert_with(|| SkuLines { lines: Vec::new() })
            .lines
            .push((d, s.qty, s.revenue / s.qty));
    }
    let weekday0 = first.weekday().num_days_from_monday() as usize;
    let mut skus: Vec<u32> = per_sku.keys().copied().collect();
    skus.sort_unstable();
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let mut out: Vec<Elasticity> = crate::par::par_map(&skus, threads, |&i| {
        let info = &parsed.skus[i as usize];
        own_estimate(
            &info.code,
            info.description(),
            &per_sku[&i],
            &open,
            &shop,
            weekday0,
            settings,
        )
    });
    pool(&mut out);
    out
}

/// A SKU's retail days: per day of the data, its units and the median unit price of
/// its retail lines (`None` without a retail line).
fn retail_days(sl: &SkuLines, days: usize) -> (Vec<f64>, Vec<Option<f64>>, usize) {
    let sizes: Vec<f64> = sl.lines.iter().map(|l| l.1).collect();
    let m = median(&sizes);
    let wholesale = (5.0 * m).max(10.0);
    let mut units = vec![0.0; days];
    let mut prices: Vec<Vec<f64>> = vec![Vec::new(); days];
    let mut left_out = 0;
    for &(d, q, p) in &sl.lines {
        if q > wholesale {
            left_out += 1;
            continue;
        }
        units[d] += q;
        prices[d].push(p);
    }
    let price = prices
        .iter()
        .map(|p| (!p.is_empty()).then(|| median(p)))
        .collect();
    (units, price, left_out)
}

fn own_estimate(
    sku: &str,
    description: &str,
    sl: &SkuLines,
    open: &[bool],
    shop: &[f64],
    weekday0: usize,
    settings: &Settings,
) -> Elasticity {
    let days = open.len();
    let (units, price, _) = retail_days(sl, days);
    let sold: Vec<usize> = (0..days).filter(|&d| price[d].is_some()).collect();
    let observed: Vec<f64> = sold.iter().filter_map(|&d| price[d]).collect();
    let mut cents: Vec<i64> = observed
        .iter()
        .map(|p| (p * 100.0).round() as i64)
        .collect();
    cents.sort_unstable();
    cents.dedup();
    let mut weeks: Vec<usize> = sold.iter().map(|d| d / 7).collect();
    weeks.dedup();
    let recent_from = days.saturating_sub(7 * RECENT_WEEKS);
    let recent = units[recent_from..].iter().sum::<f64>() / RECENT_WEEKS as f64;
    let lo_p = observed.iter().copied().fold(f64::INFINITY, f64::min);
    let hi_p = observed.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut e = Elasticity {
        sku: sku.to_string(),
        description: description.to_string(),
        elasticity: None,
        lo: None,
        hi: None,
        own: None,
        n_prices: cents.len(),
        n_lines: sl.lines.len(),
        n_weeks: weeks.len(),
        method: Method::NotEnough,
        current_price: observed.last().copied().unwrap_or(0.0),
        price_range: (lo_p, hi_p),
        weekly_units: recent,
    };
    let Some(&d0) = sold.first() else {
        return e;
    };
    // The price in effect each open day: the last one seen.
    let mut rows: Vec<Day> = Vec::new();
    let mut current = observed[0];
    for d in d0..days {
        if let Some(p) = price[d] {
            current = p;
        }
        if open[d] {
            let others = (shop[d] - units[d]).max(0.0);
            rows.push((d, units[d], current.ln(), (others + 1.0).ln()));
        }
    }
    let lp: Vec<f64> = rows.iter().map(|r| r.2).collect();
    if weeks.len() < MIN_WEEKS || cents.len() < MIN_PRICES || sd(&lp) < MIN_LOG_PRICE_SD {
        return e;
    }
    let Some(fit) = fit_days(&rows, weekday0, settings) else {
        return e;
    };
    // Runs without a sale that the fit finds improbable: stock-outs, left out.
    let mut keep = vec![true; rows.len()];
    let mut k = 0;
    let mut dropped = false;
    while k < rows.len() {
        if rows[k].1 > 0.0 {
            k += 1;
            continue;
        }
        let s = k;
        while k < rows.len() && rows[k].1 == 0.0 {
            k += 1;
        }
        let expected: f64 = fit.mu[s..k].iter().sum();
        if expected > STOCKOUT_UNITS {
            keep[s..k].iter_mut().for_each(|x| *x = false);
            dropped = true;
        }
    }
    let fit = if dropped {
        let kept: Vec<Day> = rows
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(r, _)| *r)
            .collect();
        fit_days(&kept, weekday0, settings).unwrap_or(fit)
    } else {
        fit
    };
    let (b, se) = (fit.beta[0], fit.se0 * settings.se_scale);
    if b.is_finite() && se.is_finite() && se > 0.0 {
        e.own = Some((b, se));
    }
    e
}

/// One open day of a SKU: day index, units, ln price, ln(1 + the shop's other units).
type Day = (usize, f64, f64, f64);

/// The daily Poisson regression of `rows`: columns ln price (centred), the shop's
/// other units (centred, where [`Settings::shop`]), weekday dummies, and the level's
/// hat functions.
fn fit_days(rows: &[Day], weekday0: usize, s: &Settings) -> Option<glm::Fit> {
    let n = rows.len();
    let (first, last) = (rows.first()?.0, rows.last()?.0);
    let k = s.knot_days.max(2) as f64;
    let knots = ((last - first) as f64 / k).ceil() as usize + 1;
    let mut present = [0usize; 7];
    for r in rows {
        present[(r.0 + weekday0) % 7] += 1;
    }
    // Weekdays with rows, the most common one the baseline.
    let base = (0..7).max_by_key(|&w| present[w]).unwrap_or(0);
    let wd: Vec<usize> = (0..7).filter(|&w| w != base && present[w] > 0).collect();
    let c = 1 + usize::from(s.shop);
    let p = c + wd.len() + knots;
    let mean_lp = rows.iter().map(|r| r.2).sum::<f64>() / n as f64;
    let mean_shop = rows.iter().map(|r| r.3).sum::<f64>() / n as f64;
    let mut x = vec![0.0; n * p];
    for (i, r) in rows.iter().enumerate() {
        let row = &mut x[i * p..(i + 1) * p];
        row[0] = r.2 - mean_lp;
        if s.shop {
            row[1] = r.3 - mean_shop;
        }
        if let Some(j) = wd.iter().position(|&w| w == (r.0 + weekday0) % 7) {
            row[c + j] = 1.0;
        }
        let t = (r.0 - first) as f64 / k;
        let j = (t.floor() as usize).min(knots - 1);
        let f = t - j as f64;
        row[c + wd.len() + j] = 1.0 - f;
        if j + 1 < knots {
            row[c + wd.len() + j + 1] = f;
        }
    }
    let mut pen = vec![0.0; p * p];
    for j in 1..c + wd.len() {
        pen[j * p + j] = 1e-4;
    }
    // Differences of the level: [1, -1] for a random walk, [1, -2, 1] for a slow bend.
    let o = c + wd.len();
    let coef: &[f64] = if s.order <= 1 { &[1.0, -1.0] } else { &[1.0, -2.0, 1.0] };
    for j in 0..(knots + 1).saturating_sub(coef.len()) {
        for (a, ca) in coef.iter().enumerate() {
            for (b, cb) in coef.iter().enumerate() {
                pen[(o + j + a) * p + o + j + b] += s.smooth * ca * cb;
            }
        }
    }
    for j in o..p {
        pen[j * p + j] += 1e-6;
    }
    let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let cluster: Vec<usize> = rows
        .iter()
        .map(|r| (r.0 - first) / s.cluster_days.max(1))
        .collect();
    let level = (y.iter().sum::<f64>() / n as f64).max(0.05).ln();
    let mut start = vec![0.0; p];
    for v in start.iter_mut().skip(o) {
        *v = level;
    }
    glm::poisson(&x, n, p, &y, &pen, &cluster, &start)
}

fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Shrinks every own estimate towards its price quarter's pooled mean.
fn pool(out: &mut [Elasticity]) {
    let mut with: Vec<usize> = (0..out.len()).filter(|&i| out[i].own.is_some()).collect();
    if with.is_empty() {
        return;
    }
    let median_price = |e: &Elasticity| (e.price_range.0 * e.price_range.1).sqrt();
    with.sort_by(|&a, &b| median_price(&out[a]).total_cmp(&median_price(&out[b])));
    let quarters: Vec<Vec<usize>> = if with.len() >= 4 * MIN_POOL {
        with.chunks(with.len().div_ceil(4))
            .map(|c| c.to_vec())
            .collect()
    } else {
        vec![with.clone()]
    };
    for group in quarters {
        let est: Vec<(f64, f64)> = group.iter().filter_map(|&i| out[i].own).collect();
        let (mu, var_mu, tau2) = dersimonian_laird(&est);
        for &i in &group {
            let Some((e, se)) = out[i].own else { continue };
            let s2 = se * se;
            // Weight of the peers in the combined estimate.
            let b = if tau2 > 0.0 { s2 / (s2 + tau2) } else { 1.0 };
            let post = (1.0 - b) * e + b * mu;
            let post_var = if tau2 > 0.0 {
                s2 * tau2 / (s2 + tau2)
            } else {
                0.0
            } + b * b * var_mu;
            let half = Z80 * post_var.sqrt();
            let x = &mut out[i];
            x.elasticity = Some(post);
            x.lo = Some(post - half);
            x.hi = Some(post + half);
            x.method = if b < 0.2 { Method::Own } else { Method::Pooled };
        }
    }
}

/// The pooled mean, its variance and the between-SKU variance τ² of estimates with
/// standard errors (DerSimonian & Laird 1986).
fn dersimonian_laird(est: &[(f64, f64)]) -> (f64, f64, f64) {
    let w: Vec<f64> = est.iter().map(|(_, se)| 1.0 / (se * se)).collect();
    let sw: f64 = w.iter().sum();
    let mu_fe = est.iter().zip(&w).map(|((e, _), w)| w * e).sum::<f64>() / sw;
    if est.len() < 2 {
        return (mu_fe, 1.0 / sw, 0.0);
    }
    let q: f64 = est
        .iter()
        .zip(&w)
        .map(|((e, _), w)| w * (e - mu_fe).powi(2))
        .sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let tau2 = ((q - (est.len() - 1) as f64) / (sw - sw2 / sw)).max(0.0);
    let wr: Vec<f64> = est.iter().map(|(_, se)| 1.0 / (se * se + tau2)).collect();
    let swr: f64 = wr.iter().sum();
    let mu = est.iter().zip(&wr).map(|((e, _), w)| w * e).sum::<f64>() / swr;
    (mu, 1.0 / swr, tau2)
}

/// `sku,elasticity,lo,hi,n_prices,n_lines,method` (empty figures where there is not
/// enough price variation).
pub fn to_csv(list: &[Elasticity]) -> String {
    let mut out = String::from("sku,elasticity,lo,hi,n_prices,n_lines,method\n");
    let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    for e in list {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_field(&e.sku),
            f(e.elasticity),
            f(e.lo),
            f(e.hi),
            e.n_prices,
            e.n_lines,
            csv_field(e.method.label())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_pulls_noisy_estimates_more_than_precise_ones() {
        let mut list: Vec<Elasticity> = (0..10)
            .map(|i| Elasticity {
                sku: format!("S{i}"),
                description: String::new(),
                elasticity: None,
                lo: None,
                hi: None,
                own: Some((-1.0 - 0.2 * i as f64, if i == 0 { 2.0 } else { 0.05 })),
                n_prices: 5,
                n_lines: 50,
                n_weeks: 20,
                method: Method::NotEnough,
                current_price: 1.0,
                price_range: (1.0, 1.2),
                weekly_units: 1.0,
            })
            .collect();
        pool(&mut list);
        // The noisy SKU 0 moves far from its own -1.0 towards the peers' mean.
        let e0 = list[0].elasticity.unwrap();
        assert!(e0 < -1.5, "{e0}");
        assert_eq!(list[0].method, Method::Pooled);
        // A precise one keeps (nearly) its own number.
        let e5 = list[5].elasticity.unwrap();
        assert!((e5 + 2.0).abs() < 0.05, "{e5}");
        assert_eq!(list[5].method, Method::Own);
        for e in &list {
            assert!(e.lo.unwrap() <= e.elasticity.unwrap() && e.elasticity <= e.hi);
        }
    }
}
