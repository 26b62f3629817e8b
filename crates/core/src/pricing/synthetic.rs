//! Order lines generated with known price elasticities: the yardstick for
//! [`super::elasticity`].
//!
//! Each SKU has a regular price, now and then a promotion (10–35 % off for 1–3
//! weeks) and perhaps one permanent price change; some never change price. Weekly
//! demand is `rate · season · growth · (price / regular)^e · noise`, the season shared
//! by the whole shop (a yearly wave and a December peak), each day's units Poisson and
//! written as one order line at that day's price.

use chrono::{Duration, NaiveDate};

use crate::rng::SplitMix;

/// A generated order export and the elasticity each SKU was made with.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The order lines, in the Online Retail II layout.
    pub csv: String,
    /// `(sku, elasticity)`; `None` for SKUs whose price never changed.
    pub truth: Vec<(String, Option<f64>)>,
}

/// A Poisson draw (Knuth's method; a normal approximation above 40).
pub(crate) fn poisson(rng: &mut SplitMix, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 40.0 {
        return (lambda + lambda.sqrt() * rng.normal()).round().max(0.0) as u64;
    }
    let l = (-lambda).exp();
    let (mut k, mut p) = (0u64, 1.0);
    loop {
        p *= rng.uniform();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// `skus` SKUs over `weeks` weeks from 2024-01-01, reproducible from `seed`.
pub fn generate(seed: u64, skus: usize, weeks: usize) -> Synthetic {
    let mut rng = SplitMix::new(seed);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let season: Vec<f64> = (0..weeks)
        .map(|w| {
            let phase = std::f64::consts::TAU * (w % 52) as f64 / 52.0;
            let december = if (w % 52) >= 47 { 1.4 } else { 1.0 };
            (1.0 + 0.25 * phase.sin()) * december
        })
        .collect();
    let mut csv = String::from(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n",
    );
    let mut truth = Vec::with_capacity(skus);
    let mut invoice = 100_000u64;
    for i in 0..skus {
        let sku = format!("P{i:04}");
        let regular = (1.0f64.ln() + rng.uniform() * (40.0f64.ln() - 1.0f64.ln())).exp();
        let regular = (regular * 100.0).round() / 100.0;
        let e = -3.0 + 2.7 * rng.uniform();
        let rate = (3.0f64.ln() + rng.uniform() * (60.0f64.ln() - 3.0f64.ln())).exp();
        let growth = -0.3 + 0.6 * rng.uniform();
        let fixed = rng.uniform() < 0.15;
        let step_week = (rng.uniform() < 0.3).then(|| rng.below(weeks.max(1)));
        let step = 1.0 + (rng.uniform() - 0.5) * 0.4;
        let mut promo_left = 0usize;
        let mut promo = 1.0;
        for (w, s) in season.iter().enumerate() {
            let mut price = regular;
            if !fixed {
                if step_week.is_some_and(|sw| w >= sw) {
                    price *= step;
                }
                if promo_left == 0 && rng.uniform() < 0.06 {
                    promo_left = 1 + rng.below(3);
                    promo = 1.0 - (0.10 + 0.25 * rng.uniform());
                }
                if promo_left > 0 {
                    price *= promo;
                    promo_left -= 1;
                }
            }
            let price = (price * 100.0).round() / 100.0;
            let noise = (0.15 * rng.normal()).exp();
            let lambda =
                rate * s * (growth * w as f64 / 52.0).exp() * (price / regular).powf(e) * noise;
            for d in 0..7 {
                let q = poisson(&mut rng, lambda / 7.0);
                if q == 0 {
                    continue;
                }
                invoice += 1;
                let day = start + Duration::days((7 * w + d) as i64);
                csv.push_str(&format!(
                    "{invoice},{sku},PRODUCT {i},{q},{day} 10:00:00,{price:.2},{},United Kingdom\n",
                    12_000 + rng.below(3_000)
                ));
            }
        }
        truth.push((sku, (!fixed).then_some(e)));
    }
    Synthetic { csv, truth }
}
