//! Order-line anomalies: a line whose quantity is extreme for its SKU and for its
//! customer (a mistaken bulk order), and whether it was cancelled later; and a period
//! whose demand for a SKU came almost all from one customer who rarely buys it (an
//! unusual customer's share: one buyer's one-off, not the shop's demand).

use std::collections::HashMap;

use super::{Anomaly, Kind};
use crate::data::Dataset;
use crate::data::fmt_qty;
use crate::data::ingest::{Format, Marker, Parsed};

/// Loads a file as [`crate::data::load`] does and, for an order-line file, flags its
/// order lines ([`detect_orders`] at robust z `z`) from the same parse: the only moment
/// the lines exist (the dataset keeps per-period totals).
pub fn load_with_orders(
    file: &str,
    bytes: &[u8],
    opts: &crate::data::LoadOptions,
    z: f64,
    progress: &mut dyn FnMut(f32),
) -> Result<(Dataset, Vec<Anomaly>), crate::data::DataError> {
    let parsed = crate::data::ingest::parse(file, bytes, &opts.read, &mut |f| progress(0.85 * f))?;
    let ds = crate::data::from_parsed(file, &parsed, opts, progress)?;
    let orders = detect_orders(&parsed, &ds, z);
    Ok((ds, orders))
}

/// The median of `ln(quantity)` (the upper middle) and its robust spread: 1.4826 × the
/// MAD, or 1.2533 × the mean absolute deviation when the MAD is 0. `quantities` must
/// not be empty.
fn log_center_scale(quantities: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut logs: Vec<f64> = quantities.map(f64::ln).collect();
    logs.sort_by(f64::total_cmp);
    let med = logs[logs.len() / 2];
    let mut dev: Vec<f64> = logs.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev[dev.len() / 2];
    let scale = if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * dev.iter().sum::<f64>() / dev.len() as f64
    };
    (med, scale)
}

/// Lines a SKU needs before its usual line size is trusted.
const MIN_LINES: usize = 10;

/// Flags order lines whose quantity is extreme for their SKU: a robust z-score of
/// `ln(quantity)` over the SKU's sale lines of at least `z`, at least 10× the SKU's
/// median line, and more than 3× what the same customer usually buys of it (a
/// wholesaler's usual large order is not an anomaly). A later cancellation of the same
/// SKU, customer and quantity is named in the reason (the cleaning already removed
/// that sale from demand). `ds` is the dataset loaded from the same file (for the
/// period index of each line). Series files have no order lines: nothing is flagged.
pub fn detect_orders(parsed: &Parsed, ds: &Dataset, z: f64) -> Vec<Anomaly> {
    if parsed.sniff.mapping.format != Format::OrderLines {
        return Vec::new();
    }
    let is_sale = |l: &crate::data::ingest::Line| {
        !l.duplicate
            && l.marker == Marker::Plain
            && l.qty > 0.0
            && (l.price.is_nan() || l.price > 0.0)
    };
    let mut by_sku: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_customer: HashMap<(u32, u32), Vec<f64>> = HashMap::new();
    let mut cancels: HashMap<(u32, u32, u64), Vec<usize>> = HashMap::new();
    for (i, l) in parsed.lines.iter().enumerate() {
        if is_sale(l) {
            by_sku.entry(l.sku).or_default().push(i);
            if l.customer != 0 {
                by_customer
                    .entry((l.sku, l.customer))
                    .or_default()
                    .push(l.qty);
            }
        } else if l.qty < 0.0 && !l.duplicate {
            cancels
                .entry((l.sku, l.customer, (-l.qty).to_bits()))
                .or_default()
                .push(i);
        }
    }
    let mut out = Vec::new();
    let mut skus: Vec<(&u32, &Vec<usize>)> = by_sku.iter().collect();
    skus.sort_unstable_by_key(|(k, _)| **k);
    for (&sku, lines) in skus {
        if lines.len() < MIN_LINES {
            continue;
        }
        let (med, scale) = log_center_scale(lines.iter().map(|&i| parsed.lines[i].qty));
        if scale <= 0.0 {
            continue;
        }
        let usual = med.exp();
        for &i in lines {
            let l = &parsed.lines[i];
            let score = (l.qty.ln() - med) / scale;
            if score < z || l.qty < 10.0 * usual {
                continue;
            }
            let own = by_customer.get(&(l.sku, l.customer)).and_then(|q| {
                // The customer's other lines of this SKU (all but this one).
                let mut others: Vec<f64> = q.clone();
                if let Some(k) = others.iter().position(|x| *x == l.qty) {
                    others.swap_remove(k);
                }
                (others.len() >= 3).then(|| {
                    others.sort_by(f64::total_cmp);
                    others[others.len() / 2]
                })
            });
            if own.is_some_and(|o| l.qty <= 3.0 * o) {
                continue;
            }
            let code = &parsed.skus[sku as usize].code;
            let day = l.ts.date();
            let cancelled = cancels
                .get(&(l.sku, l.customer, l.qty.to_bits()))
                .and_then(|c| c.iter().find(|&&j| parsed.lines[j].ts >= l.ts))
                .map(|&j| &parsed.lines[j]);
            let mut reason = format!(
                "line {}: {} units of {code} in one order line, {:.0}× the SKU's usual line of {}",
                l.line,
                fmt_qty(l.qty),
                l.qty / usual,
                super::detect::about(usual)
            );
            match own {
                Some(o) => reason.push_str(&format!(
                    "; this customer usually buys {} of it",
                    super::detect::about(o)
                )),
                None if l.customer == 0 => reason.push_str("; no customer on the line"),
                None => reason.push_str("; the customer's first large line of it"),
            }
            if let Some(c) = cancelled {
                reason.push_str(&format!(
                    "; cancelled on {} (line {}), so not counted as demand",
                    c.ts.date(),
                    c.line
                ));
            }
            let start = ds.periods.partition_point(|p| *p <= day).saturating_sub(1);
            out.push(Anomaly {
                sku: Some(code.clone()),
                kind: Kind::Order,
                start,
                len: 0,
                dates: vec![day],
                score,
                observed: l.qty,
                expected: usual,
                impact: if cancelled.is_some() {
                    0.0
                } else {
                    l.qty - usual
                },
                reason,
                line: Some(l.line),
            });
        }
        customer_share(parsed, ds, sku, lines, z, &mut out);
    }
    out
}

/// A period's units of a SKU at least this many times its median period with sales
/// (and `z` robust z-scores of log units above it)…
const SHARE_PEAK: f64 = 10.0;
/// …of which one customer bought at least this share…
const SHARE_TOP: f64 = 0.8;
/// …while buying under this share of the SKU's units in every other period together,
/// in at most this many other periods (a one-off buyer, not a regular).
const SHARE_USUAL: f64 = 0.2;
const SHARE_VISITS: usize = 2;

/// A period's units of a SKU, and per customer (units, their largest line).
type PeriodSales = (f64, HashMap<u32, (f64, usize)>);

/// Flags periods of `sku` (`lines`: its sale lines) whose units are a peak made by one
/// customer who otherwise rarely buys it; periods already flagged for the SKU by an
/// extreme line are left to that flag.
fn customer_share(
    parsed: &Parsed,
    ds: &Dataset,
    sku: u32,
    lines: &[usize],
    z: f64,
    out: &mut Vec<Anomaly>,
) {
    let period_of = |i: usize| {
        let day = parsed.lines[i].ts.date();
        ds.periods.partition_point(|p| *p <= day).saturating_sub(1)
    };
    let mut per_period: HashMap<usize, PeriodSales> = HashMap::new();
    let mut by_customer: HashMap<u32, f64> = HashMap::new();
    let mut total = 0.0;
    for &i in lines {
        let l = &parsed.lines[i];
        let p = per_period.entry(period_of(i)).or_default();
        p.0 += l.qty;
        let c = p.1.entry(l.customer).or_insert((0.0, i));
        c.0 += l.qty;
        if l.qty > parsed.lines[c.1].qty {
            c.1 = i;
        }
        *by_customer.entry(l.customer).or_default() += l.qty;
        total += l.qty;
    }
    let mut sizes: Vec<f64> = per_period.values().map(|p| p.0).collect();
    if sizes.len() < MIN_LINES {
        return;
    }
    sizes.sort_by(f64::total_cmp);
    let usual = sizes[sizes.len() / 2];
    // Robust z of log units, as for lines.
    let (med, scale) = log_center_scale(sizes.iter().copied());
    // Periods in which each customer bought the SKU.
    let mut visits: HashMap<u32, usize> = HashMap::new();
    for p in per_period.values() {
        for c in p.1.keys() {
            *visits.entry(*c).or_default() += 1;
        }
    }
    let code = &parsed.skus[sku as usize].code;
    let mut periods: Vec<(&usize, &PeriodSales)> = per_period.iter().collect();
    periods.sort_unstable_by_key(|(p, _)| **p);
    for (&period, (units, customers)) in periods {
        if *units < SHARE_PEAK * usual || scale <= 0.0 || (units.ln() - med) / scale < z {
            continue;
        }
        let Some((&customer, &(bought, biggest))) = customers
            .iter()
            .filter(|(c, _)| **c != 0)
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0).then(b.0.cmp(a.0)))
        else {
            continue;
        };
        let share = bought / units;
        let elsewhere = (total - units).max(0.0);
        let usual_share = if elsewhere > 0.0 {
            (by_customer.get(&customer).copied().unwrap_or(0.0) - bought).max(0.0) / elsewhere
        } else {
            1.0
        };
        let others = visits.get(&customer).copied().unwrap_or(1) - 1;
        if share < SHARE_TOP || usual_share >= SHARE_USUAL || others > SHARE_VISITS {
            continue;
        }
        if out
            .iter()
            .any(|a| a.kind == Kind::Order && a.sku.as_deref() == Some(code) && a.start == period)
        {
            continue;
        }
        let l = &parsed.lines[biggest];
        let Some(&date) = ds.periods.get(period) else {
            continue;
        };
        out.push(Anomaly {
            sku: Some(code.clone()),
            kind: Kind::Order,
            start: period,
            len: 0,
            dates: vec![date],
            score: units / usual.max(1e-9),
            observed: *units,
            expected: usual,
            impact: units - usual,
            reason: format!(
                "line {}: one customer bought {} of the {} units of {code} in this {} ({:.0} %), {:.0}× its usual {}; elsewhere they buy {:.0} % of it — one buyer's one-off, not the shop's demand",
                l.line,
                fmt_qty(bought),
                fmt_qty(*units),
                ds.frequency().unit(),
                100.0 * share,
                units / usual.max(1e-9),
                super::detect::about(usual),
                100.0 * usual_share
            ),
            line: Some(l.line),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, LoadOptions, ReadOptions};

    #[test]
    fn a_bulk_order_is_flagged_a_wholesalers_usual_one_is_not() {
        let mut csv = String::from(
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n",
        );
        let mut inv = 1000;
        for d in 1..=28 {
            for c in 1..=3 {
                inv += 1;
                csv.push_str(&format!(
                    "{inv},A1,Mug,{},2024-02-{d:02} 10:00:00,2.5,{c},UK\n",
                    2 + (d + c) % 3
                ));
            }
            // A wholesaler who always buys 60.
            if d % 4 == 0 {
                inv += 1;
                csv.push_str(&format!(
                    "{inv},A1,Mug,60,2024-02-{d:02} 11:00:00,2.0,9,UK\n"
                ));
            }
        }
        csv.push_str("5000,A1,Mug,800,2024-02-10 12:00:00,2.5,2,UK\n");
        csv.push_str("C5001,A1,Mug,-800,2024-02-10 13:00:00,2.5,2,UK\n");
        let read = ReadOptions::default();
        let parsed = data::ingest::parse("o.csv", csv.as_bytes(), &read, &mut |_| {}).unwrap();
        let ds = data::load(
            "o.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let f = detect_orders(&parsed, &ds, 4.5);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].kind, Kind::Order);
        let line = csv.lines().position(|l| l.starts_with("5000,")).unwrap() as u32 + 1;
        assert_eq!(f[0].line, Some(line));
        assert!(
            f[0].reason.contains("cancelled on 2024-02-10"),
            "{}",
            f[0].reason
        );
        assert_eq!(f[0].impact, 0.0);
    }

    #[test]
    fn a_peak_bought_by_one_unusual_customer_is_flagged() {
        let mut csv = String::from(
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n",
        );
        let mut inv = 1000;
        for d in 1..=28 {
            for c in 1..=3 {
                inv += 1;
                csv.push_str(&format!(
                    "{inv},A1,Mug,{},2024-02-{d:02} 10:00:00,2.5,{c},UK\n",
                    2 + (d + c) % 3
                ));
            }
        }
        // Customer 7, never seen before, buys 10 lines of 20 on one day: no single
        // line is extreme, the day is.
        for k in 0..10 {
            inv += 1;
            csv.push_str(&format!("{inv},A1,Mug,20,2024-02-14 1{k}:00:00,2.5,7,UK\n"));
        }
        let read = ReadOptions::default();
        let parsed = data::ingest::parse("o.csv", csv.as_bytes(), &read, &mut |_| {}).unwrap();
        let ds = data::load(
            "o.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let f = detect_orders(&parsed, &ds, 4.5);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].dates[0].to_string(), "2024-02-14");
        assert!(
            f[0].reason.contains("one customer bought 200 of the"),
            "{}",
            f[0].reason
        );
        assert!(
            f[0].reason.contains("elsewhere they buy 0 %"),
            "{}",
            f[0].reason
        );
        assert!(f[0].line.is_some());
        // Excluded, the peak comes down to a usual day of the SKU.
        let s = &ds.series[0];
        let k = s
            .dates(&ds)
            .iter()
            .position(|d| *d == f[0].dates[0])
            .unwrap();
        assert!(s.values[k] >= 200.0);
        let (clean, rep) = crate::anomaly::impute(&ds, &f);
        assert_eq!(rep.points, 1);
        assert_eq!(clean.series[0].values[k], f[0].expected);
        // Loading with the orders gives the same dataset and flags.
        let (ds2, f2) = load_with_orders(
            "o.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            4.5,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(ds2, ds);
        assert_eq!(f2, f);
    }
}
