//! Order-line anomalies: a line whose quantity is extreme for its SKU and for its
//! customer (a mistaken bulk order), and whether it was cancelled later.

use std::collections::HashMap;

use super::{Anomaly, Kind};
use crate::data::Dataset;
use crate::data::fmt_qty;
use crate::data::ingest::{Format, Marker, Parsed};

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
        let mut logs: Vec<f64> = lines.iter().map(|&i| parsed.lines[i].qty.ln()).collect();
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
    }
    out
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
}
