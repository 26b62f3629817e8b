//! Order lines with known price elasticities in five structures, each unlike the
//! others in how prices move and what else moves demand: the yardstick the daily
//! estimator ([`super::elasticity`]) was chosen on (three of them) and is reported on
//! (all five).
//!
//! Every structure shares the demand side: per SKU a regular price (1–40, log-uniform),
//! an elasticity (−3 to −0.3), a rate (1–30 units a day, log-uniform), its own yearly
//! wave (amplitude 0–0.5, any phase), a December peak for two in five, a trend (±40 %
//! a year) and a level that wanders week to week; a shop-wide weekday profile and
//! closures (25–26 December, 1 January and six random days a year, no lines at all).
//! A day's demand is `rate · shape · weekday · (price / regular)^e`, sold as Poisson
//! order lines of 1–6 units (most of them 1). One in ten SKUs never changes price.

use chrono::{Datelike, Duration, NaiveDate};

use super::synthetic::{Synthetic, poisson};
use crate::rng::SplitMix;

/// How prices move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// 4–8 promotions of 7–14 days (10–40 % off) and 2–5 permanent changes (±5–25 %).
    DailyPromotions,
    /// 3–6 permanent changes (±5–30 %), no promotions.
    PermanentSteps,
    /// A new price list every Monday (the regular price × e^N(0, 0.08)), and now and
    /// then a one-week special (15–30 % off).
    WeeklyPriceLists,
    /// Daily promotions as above, and wholesale buyers (one line in twelve) ordering
    /// 24–200 units at tier prices (10 % off from 24 units, 20 % from 100) whatever the
    /// retail price does.
    WholesaleTiers,
    /// Daily promotions as above, but in half the promotions stock runs out after
    /// 40–80 % of its days: no sale for the rest of it.
    StockoutsInPromotions,
}

impl Structure {
    /// Every structure.
    pub const ALL: [Structure; 5] = [
        Structure::DailyPromotions,
        Structure::PermanentSteps,
        Structure::WeeklyPriceLists,
        Structure::WholesaleTiers,
        Structure::StockoutsInPromotions,
    ];

    /// A short name.
    pub fn label(self) -> &'static str {
        match self {
            Structure::DailyPromotions => "daily promotions",
            Structure::PermanentSteps => "permanent steps",
            Structure::WeeklyPriceLists => "weekly price lists",
            Structure::WholesaleTiers => "wholesale tiers",
            Structure::StockoutsInPromotions => "stock-outs in promotions",
        }
    }
}

fn log_uniform(rng: &mut SplitMix, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.uniform() * (hi.ln() - lo.ln())).exp()
}

/// A retail line's units: 1 (60 %), 2 (20 %), else 3–6.
fn line_size(rng: &mut SplitMix) -> u64 {
    let u = rng.uniform();
    if u < 0.6 {
        1
    } else if u < 0.8 {
        2
    } else {
        3 + rng.below(4) as u64
    }
}

/// Mean units of a retail line (of [`line_size`]).
const MEAN_LINE: f64 = 0.6 + 0.4 + 0.2 * 4.5;

/// Promotions (start, length, depth) over `days`, not overlapping.
fn promotions(
    rng: &mut SplitMix,
    days: usize,
    count: usize,
    len: (usize, usize),
) -> Vec<(usize, usize, f64)> {
    let mut out: Vec<(usize, usize, f64)> = Vec::new();
    let mut tries = 0;
    while out.len() < count && tries < 200 {
        tries += 1;
        let l = len.0 + rng.below(len.1 - len.0 + 1);
        if days <= l + 2 {
            break;
        }
        let s = rng.below(days - l);
        if out.iter().any(|&(a, b, _)| s < a + b + 3 && a < s + l + 3) {
            continue;
        }
        out.push((s, l, 0.10 + 0.30 * rng.uniform()));
    }
    out
}

/// `skus` SKUs over `days` days from 2024-01-01 in `structure`, reproducible from
/// `seed`: the Online Retail II layout, and each SKU's true elasticity (`None` for
/// SKUs whose price never changed).
pub fn generate(structure: Structure, seed: u64, skus: usize, days: usize) -> Synthetic {
    let mut rng = SplitMix::new(seed ^ (structure as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let weekday = [1.1, 1.05, 1.0, 1.0, 1.15, 0.8, 0.6];
    let date = |d: usize| start + Duration::days(d as i64);
    let mut closed = vec![false; days];
    for (d, c) in closed.iter_mut().enumerate() {
        let t = date(d);
        *c = (t.month() == 12 && (t.day() == 25 || t.day() == 26))
            || (t.month() == 1 && t.day() == 1);
    }
    for _ in 0..(6 * days / 365).max(1) {
        let d = rng.below(days.max(1));
        closed[d] = true;
    }
    let mut csv = String::from(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n",
    );
    let mut truth = Vec::with_capacity(skus);
    let mut invoice = 500_000u64;
    for i in 0..skus {
        let sku = format!("G{i:04}");
        let regular = (log_uniform(&mut rng, 1.0, 40.0) * 100.0).round() / 100.0;
        let e = -3.0 + 2.7 * rng.uniform();
        let rate = log_uniform(&mut rng, 1.0, 30.0);
        let amp = 0.5 * rng.uniform();
        let phase = std::f64::consts::TAU * rng.uniform();
        let december = if rng.uniform() < 0.4 {
            0.3 + 0.7 * rng.uniform()
        } else {
            0.0
        };
        let growth = -0.4 + 0.8 * rng.uniform();
        let fixed = rng.uniform() < 0.1;
        // The wandering level, one step a week.
        let mut wander = Vec::with_capacity(days / 7 + 1);
        let mut lv = 0.0;
        for _ in 0..=days / 7 {
            lv = 0.9 * lv + 0.05 * rng.normal();
            wander.push(lv);
        }
        // Prices, day by day.
        let mut price = vec![regular; days];
        let mut promo_days: Vec<Option<usize>> = vec![None; days];
        if !fixed {
            let steps = match structure {
                Structure::PermanentSteps => 3 + rng.below(4),
                Structure::WeeklyPriceLists => 0,
                _ => 2 + rng.below(4),
            };
            let spread = if structure == Structure::PermanentSteps {
                0.30
            } else {
                0.25
            };
            let mut cuts: Vec<(usize, f64)> = (0..steps)
                .map(|_| {
                    let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                    (
                        rng.below(days.max(1)),
                        1.0 + sign * (0.05 + (spread - 0.05) * rng.uniform()),
                    )
                })
                .collect();
            cuts.sort_by_key(|c| c.0);
            let mut level = 1.0;
            let mut k = 0;
            for (d, p) in price.iter_mut().enumerate() {
                while k < cuts.len() && cuts[k].0 <= d {
                    level *= cuts[k].1;
                    k += 1;
                }
                *p = regular * level;
            }
            match structure {
                Structure::WeeklyPriceLists => {
                    let mut list = 1.0;
                    for (d, p) in price.iter_mut().enumerate() {
                        if date(d).weekday().num_days_from_monday() == 0 || d == 0 {
                            list = (0.08 * rng.normal()).exp();
                            if rng.uniform() < 0.06 {
                                list *= 1.0 - (0.15 + 0.15 * rng.uniform());
                            }
                        }
                        *p = regular * list;
                    }
                }
                Structure::PermanentSteps => {}
                _ => {
                    let n = 4 + rng.below(5);
                    for (k, (s, l, depth)) in promotions(&mut rng, days, n, (7, 14))
                        .into_iter()
                        .enumerate()
                    {
                        for d in s..s + l {
                            price[d] *= 1.0 - depth;
                            promo_days[d] = Some(k);
                        }
                    }
                }
            }
            for p in &mut price {
                *p = (*p * 100.0).round() / 100.0;
            }
        }
        // Stock-outs: the promotions that run out, and the day they do.
        let mut out_of_stock = vec![false; days];
        if structure == Structure::StockoutsInPromotions {
            let mut d = 0;
            while d < days {
                if let Some(k) = promo_days[d] {
                    let s = d;
                    while d < days && promo_days[d] == Some(k) {
                        d += 1;
                    }
                    if rng.uniform() < 0.5 {
                        let len = d - s;
                        let at = s + ((0.4 + 0.4 * rng.uniform()) * len as f64).ceil() as usize;
                        for x in out_of_stock.iter_mut().take(d).skip(at) {
                            *x = true;
                        }
                    }
                } else {
                    d += 1;
                }
            }
        }
        for d in 0..days {
            if closed[d] || out_of_stock[d] {
                continue;
            }
            let t = date(d);
            let doy = t.ordinal0() as f64 / 365.25;
            let dec = if t.month() == 12 && t.day() <= 22 {
                1.0 + december
            } else {
                1.0
            };
            let shape = (1.0 + amp * (std::f64::consts::TAU * doy + phase).sin())
                * dec
                * (growth * d as f64 / 365.25 + wander[d / 7]).exp();
            let wd = weekday[t.weekday().num_days_from_monday() as usize];
            let lambda = rate * shape * wd * (price[d] / regular).powf(e);
            let orders = poisson(&mut rng, lambda / MEAN_LINE);
            let customer = 12_000 + rng.below(3_000);
            for _ in 0..orders {
                invoice += 1;
                csv.push_str(&format!(
                    "{invoice},{sku},ITEM {i},{},{t} 11:00:00,{:.2},{customer},United Kingdom\n",
                    line_size(&mut rng),
                    price[d]
                ));
            }
            if structure == Structure::WholesaleTiers && rng.uniform() < lambda / MEAN_LINE / 12.0 {
                let q = 24 + rng.below(177) as u64;
                let tier = if q >= 100 { 0.8 } else { 0.9 };
                invoice += 1;
                csv.push_str(&format!(
                    "{invoice},{sku},ITEM {i},{q},{t} 09:00:00,{:.2},{},United Kingdom\n",
                    (regular * tier * 100.0).round() / 100.0,
                    20_000 + rng.below(50)
                ));
            }
        }
        truth.push((sku, (!fixed).then_some(e)));
    }
    Synthetic { csv, truth }
}

/// How well elasticities are recovered on one generated file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Mean absolute error over the SKUs with a true elasticity and an estimate.
    pub mae: f64,
    /// Share of those whose 80 % interval holds the truth.
    pub coverage: f64,
    /// SKUs estimated.
    pub estimated: usize,
    /// SKUs with a true elasticity but no estimate ("not enough price variation").
    pub missed: usize,
    /// Fixed-price SKUs, and how many of them were (rightly) refused.
    pub fixed: (usize, usize),
}

/// Generates `structure` and scores [`super::elasticity::elasticities_with`] on it.
pub fn score(
    structure: Structure,
    seed: u64,
    skus: usize,
    days: usize,
    settings: &super::elasticity::Settings,
) -> Score {
    let syn = generate(structure, seed, skus, days);
    let parsed = match crate::data::ingest::parse(
        "generated.csv",
        syn.csv.as_bytes(),
        &crate::data::ReadOptions::default(),
        &mut |_| {},
    ) {
        Ok(p) => p,
        Err(_) => {
            return Score {
                mae: f64::NAN,
                coverage: f64::NAN,
                estimated: 0,
                missed: 0,
                fixed: (0, 0),
            };
        }
    };
    let list = super::elasticity::elasticities_with(
        &parsed,
        crate::data::CancellationRule::RemoveMatchedOrders,
        settings,
    );
    let (mut err, mut covered, mut n, mut missed) = (0.0, 0usize, 0usize, 0usize);
    let (mut fixed, mut refused) = (0usize, 0usize);
    for (sku, truth) in &syn.truth {
        let e = list.iter().find(|e| &e.sku == sku);
        match truth {
            None => {
                fixed += 1;
                if e.is_none_or(|e| e.elasticity.is_none()) {
                    refused += 1;
                }
            }
            Some(t) => match e.and_then(|e| Some((e.elasticity?, e.lo?, e.hi?))) {
                Some((x, lo, hi)) => {
                    n += 1;
                    err += (x - t).abs();
                    if (lo..=hi).contains(t) {
                        covered += 1;
                    }
                }
                None => missed += 1,
            },
        }
    }
    Score {
        mae: err / n.max(1) as f64,
        coverage: covered as f64 / n.max(1) as f64,
        estimated: n,
        missed,
        fixed: (fixed, refused),
    }
}
