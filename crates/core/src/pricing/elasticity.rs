//! Price elasticity of demand per SKU from the merchant's own order lines.
//!
//! The unit is a week: a SKU's units sold that week and the median unit price of its
//! order lines (weeks without a sale have no price and are left out). Per SKU,
//! ordinary least squares of
//!
//! `ln units_w = a + e · ln price_w + b · trend_w + c · ln shop_w`
//!
//! where `shop_w` is every other SKU's units that week (the shop's season, trend and
//! traffic, the same for every product, so a Christmas rush is not read as a price
//! effect) and `trend_w` the week number (the SKU's own growth or decline). `e` is the
//! elasticity. A SKU whose prices barely moved says little about `e`: every SKU's own
//! estimate is combined with those of SKUs of a similar price (a quarter of the
//! catalogue by median price) by empirical Bayes (DerSimonian–Laird between-SKU
//! variance), so a SKU with little variation leans on its peers and one with a lot
//! keeps its own. Fewer than 8 weeks with sales, fewer than 3 distinct weekly prices or
//! less than 1 % price spread is "not enough price variation": no number at all.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::data::clean::{self, Sale};
use crate::data::ingest::Parsed;
use crate::data::{CancellationRule, csv_field};

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
/// Fewest distinct weekly prices.
const MIN_PRICES: usize = 3;
/// Least standard deviation of ln price (about 1 %).
const MIN_LOG_PRICE_SD: f64 = 0.01;
/// Weeks the current demand rate is measured over.
const RECENT_WEEKS: usize = 8;
/// Smallest pool of peers; smaller price quarters pool with the whole catalogue.
const MIN_POOL: usize = 8;

struct SkuWeeks {
    /// (week index, units, unit prices of its lines)
    weeks: Vec<(usize, f64, Vec<f64>)>,
    lines: usize,
}

/// Every SKU's elasticity from parsed order lines (cleaned as for forecasting, with
/// the given cancellation rule), in the order of the file's SKUs that sold at a price.
/// Lines without a price are ignored; a file with none gives an empty list.
pub fn elasticities(parsed: &Parsed, rule: CancellationRule) -> Vec<Elasticity> {
    let (sales, _) = clean::clean(parsed, rule);
    from_sales(parsed, &sales)
}

fn week_start(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn from_sales(parsed: &Parsed, sales: &[Sale]) -> Vec<Elasticity> {
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
    let w0 = week_start(first);
    let n_weeks_total = ((week_start(last) - w0).num_days() / 7) as usize + 1;
    let mut per_sku: HashMap<u32, SkuWeeks> = HashMap::new();
    let mut shop = vec![0.0; n_weeks_total];
    for s in &priced {
        let w = ((week_start(s.day) - w0).num_days() / 7) as usize;
        shop[w] += s.qty;
        let e = per_sku.entry(s.sku).or_insert_with(|| SkuWeeks {
            weeks: Vec::new(),
            lines: 0,
        });
        e.lines += 1;
        let price = s.revenue / s.qty;
        match e.weeks.last_mut() {
            Some(last) if last.0 == w => {
                last.1 += s.qty;
                last.2.push(price);
            }
            _ => {
                // Sales come in file order; keep weeks sorted even if the file is not.
                match e.weeks.binary_search_by_key(&w, |x| x.0) {
                    Ok(i) => {
                        e.weeks[i].1 += s.qty;
                        e.weeks[i].2.push(price);
                    }
                    Err(i) => e.weeks.insert(i, (w, s.qty, vec![price])),
                }
            }
        }
    }
    let mut skus: Vec<u32> = per_sku.keys().copied().collect();
    skus.sort_unstable();
    let mut out: Vec<Elasticity> = skus
        .iter()
        .map(|&i| {
            let sw = &per_sku[&i];
            let info = &parsed.skus[i as usize];
            own_estimate(&info.code, info.description(), sw, &shop)
        })
        .collect();
    pool(&mut out);
    out
}

fn own_estimate(sku: &str, description: &str, sw: &SkuWeeks, shop: &[f64]) -> Elasticity {
    // The week's price is the median of its lines' unit prices, not the unit-weighted
    // mean: wholesale exports give big buyers a lower price per unit, and a weighted
    // mean would read every large order as a price cut that "caused" it.
    let prices: Vec<f64> = sw.weeks.iter().map(|w| median(&w.2)).collect();
    let mut cents: Vec<i64> = prices.iter().map(|p| (p * 100.0).round() as i64).collect();
    cents.sort_unstable();
    cents.dedup();
    let n_weeks_total = shop.len();
    let recent_from = n_weeks_total.saturating_sub(RECENT_WEEKS);
    let recent: f64 = sw
        .weeks
        .iter()
        .filter(|w| w.0 >= recent_from)
        .map(|w| w.1)
        .sum::<f64>()
        / (n_weeks_total - recent_from).max(1) as f64;
    let lo_p = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let hi_p = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut e = Elasticity {
        sku: sku.to_string(),
        description: description.to_string(),
        elasticity: None,
        lo: None,
        hi: None,
        own: None,
        n_prices: cents.len(),
        n_lines: sw.lines,
        n_weeks: sw.weeks.len(),
        method: Method::NotEnough,
        current_price: prices.last().copied().unwrap_or(0.0),
        price_range: (lo_p, hi_p),
        weekly_units: recent,
    };
    let lp: Vec<f64> = prices.iter().map(|p| p.ln()).collect();
    if sw.weeks.len() < MIN_WEEKS || cents.len() < MIN_PRICES || sd(&lp) < MIN_LOG_PRICE_SD {
        return e;
    }
    let y: Vec<f64> = sw.weeks.iter().map(|w| w.1.ln()).collect();
    let trend: Vec<f64> = sw.weeks.iter().map(|w| w.0 as f64 / 52.0).collect();
    let others: Vec<f64> = sw
        .weeks
        .iter()
        .map(|w| (shop[w.0] - w.1).max(0.0))
        .collect();
    let mut columns = vec![lp];
    columns.push(trend);
    if others.iter().all(|v| *v > 0.0) {
        columns.push(others.iter().map(|v| v.ln()).collect());
    }
    // Drop the controls (last first) if the design is singular with them, e.g. a
    // control that does not vary.
    while !columns.is_empty() {
        if let Some((beta, se)) = ols(&y, &columns) {
            if beta.is_finite() && se.is_finite() && se > 0.0 {
                e.own = Some((beta, se));
            }
            break;
        }
        if columns.len() == 1 {
            break;
        }
        columns.pop();
    }
    e
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

/// Least squares of `y` on an intercept and `columns` (each centred here); the first
/// column's coefficient and its standard error, `None` when the design is singular or
/// leaves fewer than 3 degrees of freedom.
fn ols(y: &[f64], columns: &[Vec<f64>]) -> Option<(f64, f64)> {
    let n = y.len();
    let k = columns.len();
    if n < k + 4 {
        return None;
    }
    let centred: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let m = c.iter().sum::<f64>() / n as f64;
            c.iter().map(|v| v - m).collect()
        })
        .collect();
    let ym = y.iter().sum::<f64>() / n as f64;
    let yc: Vec<f64> = y.iter().map(|v| v - ym).collect();
    // Normal equations X'X b = X'y, solved by Gauss–Jordan with partial pivoting on
    // [X'X | X'y | I] so that the inverse's first diagonal gives the variance.
    let mut a = vec![vec![0.0; 2 * k + 1]; k];
    for i in 0..k {
        for j in 0..k {
            a[i][j] = dot(&centred[i], &centred[j]);
        }
        a[i][k] = dot(&centred[i], &yc);
        a[i][k + 1 + i] = 1.0;
    }
    let scale: f64 = (0..k).map(|i| a[i][i]).fold(0.0, f64::max);
    for col in 0..k {
        let piv = (col..k).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
        if a[piv][col].abs() <= 1e-10 * scale.max(1e-300) {
            return None;
        }
        a.swap(col, piv);
        let d = a[col][col];
        for v in a[col].iter_mut() {
            *v /= d;
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            let f = row[col];
            if r != col && f != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x -= f * p;
                }
            }
        }
    }
    let beta: Vec<f64> = (0..k).map(|i| a[i][k]).collect();
    let rss: f64 = (0..n)
        .map(|t| {
            let fit: f64 = (0..k).map(|i| beta[i] * centred[i][t]).sum();
            (yc[t] - fit).powi(2)
        })
        .sum();
    let sigma2 = rss / (n - k - 1) as f64;
    let var = sigma2 * a[0][k + 1];
    (var > 0.0).then(|| (beta[0], var.sqrt()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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
    fn ols_recovers_a_known_slope_with_controls() {
        // y = 2 - 1.5 x + 0.3 t exactly, plus a small alternating disturbance.
        let x: Vec<f64> = (0..20).map(|i| ((i * 7) % 5) as f64 * 0.1).collect();
        let t: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..20)
            .map(|i| 2.0 - 1.5 * x[i] + 0.3 * t[i] + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let (b, se) = ols(&y, &[x.clone(), t]).unwrap();
        assert!((b + 1.5).abs() < 0.02, "{b}");
        assert!(se > 0.0 && se < 0.05, "{se}");
        // A constant column makes the design singular.
        assert!(ols(&y, &[x, vec![1.0; 20]]).is_none());
    }

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
