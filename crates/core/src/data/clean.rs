//! Cleaning rules: which parsed lines are demand, and why the others are not.
//!
//! The rules, in the order they apply (each is counted in the report):
//! 1. **Duplicates**: an order line whose every field equals an earlier line's is a
//!    double export and is removed.
//! 2. **Zero quantity** lines carry no demand and are dropped (those whose row says
//!    cancelled are counted with rule 5's cancelled orders, at 0 units).
//! 3. **Non-product lines** (postage, carriage, fees, discounts, manual entries,
//!    bank charges, gift vouchers, samples, adjustments) are excluded and listed.
//! 4. **Adjustments** (invoices prefixed `A`) are accounting entries, excluded.
//! 5. **Cancelled orders** whose own row says so (order or item status refunded,
//!    voided, cancelled or failed, also as `wc-cancelled`; a cancellation time) with a
//!    positive quantity are excluded: the goods never left.
//! 6. **Cancellations and returns** (invoices prefixed `C`, or a negative quantity at a
//!    positive price): with [`CancellationRule::RemoveMatchedOrders`] a cancellation
//!    that matches an earlier sale of the same SKU to the same customer for the same
//!    quantity removes that sale (a mistaken or cancelled order was never demand);
//!    one without such a match is a return of delivered goods and does not reduce past
//!    demand. With [`CancellationRule::Net`] every cancellation is subtracted on its day.
//! 7. **Write-offs**: a negative quantity at price 0 without a cancellation marker is a
//!    stock correction, not a sale, and is excluded.
//! 8. **Zero- and negative-price lines** with a positive quantity (free samples,
//!    manual corrections) are excluded.
//!
//! Series files (long and wide) have no orders: rules 1, 3–8 do not apply, and
//! negative values are netted on their day, the day's total never going below zero.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ingest::{Format, Marker, Parsed};

/// What cancellations do to demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CancellationRule {
    /// A cancellation removes the earlier sale it matches (same SKU, customer and
    /// quantity); unmatched ones are returns and leave past demand alone.
    #[default]
    RemoveMatchedOrders,
    /// Every cancellation is subtracted from its own day's demand.
    Net,
}

/// A count of lines and the units on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Lines.
    pub lines: usize,
    /// Units (absolute).
    pub units: f64,
}

impl Tally {
    fn add(&mut self, qty: f64) {
        self.lines += 1;
        self.units += qty.abs();
    }
}

/// A non-product code found in the file, with what was excluded under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonProduct {
    /// The code.
    pub code: String,
    /// Its description.
    pub description: String,
    /// Lines and units excluded.
    pub tally: Tally,
}

/// Counts of every cleaning rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleaningCounts {
    /// Exact duplicate lines removed.
    pub duplicates: Tally,
    /// Lines with quantity 0.
    pub zero_quantity: Tally,
    /// Non-product lines, all codes together.
    pub non_product: Tally,
    /// Each non-product code.
    pub non_product_codes: Vec<NonProduct>,
    /// Adjustment invoices.
    pub adjustments: Tally,
    /// Orders whose status says cancelled or refunded.
    pub cancelled_orders: Tally,
    /// All cancellation lines (negative quantities with a cancellation marker or a price).
    pub cancellations: Tally,
    /// Cancellations that matched (and removed) an earlier sale.
    pub matched_cancellations: Tally,
    /// Cancellations without a matching sale: returns, not subtracted.
    pub returns: Tally,
    /// Cancellations subtracted on their day ([`CancellationRule::Net`]).
    pub netted: Tally,
    /// Stock write-offs.
    pub write_offs: Tally,
    /// Positive quantity at price 0.
    pub zero_price: Tally,
    /// Positive quantity at a negative price.
    pub negative_price: Tally,
    /// Kept lines without a customer id.
    pub missing_customer: Tally,
    /// Negative values in a series file, netted on their day.
    pub negative_values: Tally,
    /// Lines kept as demand.
    pub kept: Tally,
    /// SKU codes that differed only in letter case and were merged.
    pub case_merged_codes: usize,
}

/// A unit of demand on a day, after cleaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sale {
    /// The day.
    pub day: NaiveDate,
    /// SKU index into [`Parsed::skus`].
    pub sku: u32,
    /// Units (negative only for netted cancellations or series values).
    pub qty: f64,
    /// Revenue (quantity × price), 0 where unknown.
    pub revenue: f64,
}

/// Codes that are never products (compared in upper case).
const NON_PRODUCT_CODES: &[&str] = &[
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "C3",
    "S",
    "B",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "ADJUST3",
    "TEST001",
    "TEST002",
    "GIFT",
    "SHIPPING",
    "TIP",
];

/// Descriptions (upper case, whole) that mark a non-product line.
const NON_PRODUCT_DESCRIPTIONS: &[&str] = &[
    "POSTAGE",
    "DOTCOM POSTAGE",
    "CARRIAGE",
    "MANUAL",
    "DISCOUNT",
    "BANK CHARGES",
    "AMAZON FEE",
    "SAMPLES",
    "ADJUST BAD DEBT",
    "CRUK COMMISSION",
    "SHIPPING",
    "TIP",
    "GIFT CARD",
    "GIFT VOUCHER",
];

/// Whether a SKU is a non-product code (postage, fees, vouchers, ...).
pub fn is_non_product(code: &str, description: &str) -> bool {
    let c = code.trim().to_uppercase();
    let d = description.trim().to_uppercase();
    NON_PRODUCT_CODES.contains(&c.as_str())
        || c.starts_with("GIFT_")
        || c.starts_with("TEST")
        || NON_PRODUCT_DESCRIPTIONS.contains(&d.as_str())
        || d.starts_with("ADJUSTMENT BY")
        || d.contains("GIFT VOUCHER")
}

/// Applies the cleaning rules.
pub fn clean(parsed: &Parsed, rule: CancellationRule) -> (Vec<Sale>, CleaningCounts) {
    let (sales, counts, _) = clean_lines(parsed, rule);
    (sales, counts)
}

/// Which parsed lines the cleaned sales came from, for matching a later export's
/// cancellations against ([`super::update::Matching`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// Per sale of [`clean`]'s result: the index in [`Parsed::lines`] of its line.
    pub sale_lines: Vec<usize>,
    /// Cancellations that matched no sale of the file (returns under
    /// [`CancellationRule::RemoveMatchedOrders`]), as indices in [`Parsed::lines`].
    pub unmatched: Vec<usize>,
    /// Sales removed by a cancellation of the file: (the sale's line, its revenue,
    /// the cancellation's line).
    pub matched: Vec<(usize, f64, usize)>,
}

/// [`clean`], with where each sale came from.
pub fn clean_lines(
    parsed: &Parsed,
    rule: CancellationRule,
) -> (Vec<Sale>, CleaningCounts, Provenance) {
    let mut c = CleaningCounts {
        case_merged_codes: parsed
            .skus
            .iter()
            .map(|s| s.spellings.saturating_sub(1) as usize)
            .sum(),
        ..Default::default()
    };
    let non_product: Vec<bool> = parsed
        .skus
        .iter()
        .map(|s| {
            parsed.sniff.mapping.format == Format::OrderLines
                && is_non_product(&s.code, s.description())
        })
        .collect();
    let mut np_tallies: HashMap<u32, Tally> = HashMap::new();
    let mut sales: Vec<Sale> = Vec::with_capacity(parsed.lines.len());
    // Index of each sale line in `sales`, for matching cancellations against.
    let mut sale_line: Vec<usize> = Vec::with_capacity(parsed.lines.len());
    let mut cancels: Vec<usize> = Vec::new();
    let mut unmatched: Vec<usize> = Vec::new();
    let mut matched: Vec<(usize, f64, usize)> = Vec::new();
    let series_file = parsed.sniff.mapping.format != Format::OrderLines;

    for (i, l) in parsed.lines.iter().enumerate() {
        if series_file {
            if l.qty < 0.0 {
                c.negative_values.add(l.qty);
            }
            c.kept.add(l.qty);
            sale_line.push(i);
            sales.push(Sale {
                day: l.ts.date(),
                sku: l.sku,
                qty: l.qty,
                revenue: 0.0,
            });
            continue;
        }
        if l.duplicate {
            c.duplicates.add(l.qty);
            continue;
        }
        if l.qty == 0.0 {
            // Amazon writes a cancelled item with quantity 0: it is a cancelled order
            // line, and counted as one, though it moves no units.
            if l.marker == Marker::Cancellation {
                c.cancelled_orders.add(l.qty);
            } else {
                c.zero_quantity.add(l.qty);
            }
            continue;
        }
        if non_product[l.sku as usize] {
            c.non_product.add(l.qty);
            np_tallies.entry(l.sku).or_default().add(l.qty);
            continue;
        }
        if l.marker == Marker::Adjustment {
            c.adjustments.add(l.qty);
            continue;
        }
        let has_price = !l.price.is_nan();
        if l.qty > 0.0 && l.marker == Marker::Cancellation {
            c.cancelled_orders.add(l.qty);
            continue;
        }
        if l.qty < 0.0 {
            if l.marker == Marker::Cancellation || !has_price || l.price > 0.0 {
                c.cancellations.add(l.qty);
                cancels.push(i);
            } else {
                c.write_offs.add(l.qty);
            }
            continue;
        }
        if has_price && l.price == 0.0 {
            c.zero_price.add(l.qty);
            continue;
        }
        if has_price && l.price < 0.0 {
            c.negative_price.add(l.qty);
            continue;
        }
        if l.customer == 0 {
            c.missing_customer.add(l.qty);
        }
        c.kept.add(l.qty);
        sale_line.push(i);
        sales.push(Sale {
            day: l.ts.date(),
            sku: l.sku,
            qty: l.qty,
            revenue: if has_price { l.qty * l.price } else { 0.0 },
        });
    }

    match rule {
        CancellationRule::Net => {
            for &i in &cancels {
                let l = &parsed.lines[i];
                c.netted.add(l.qty);
                sale_line.push(i);
                sales.push(Sale {
                    day: l.ts.date(),
                    sku: l.sku,
                    qty: l.qty,
                    revenue: if l.price.is_nan() {
                        0.0
                    } else {
                        l.qty * l.price
                    },
                });
            }
        }
        CancellationRule::RemoveMatchedOrders => {
            // Candidate sales per (customer, SKU, quantity), in time order.
            let mut by_key: HashMap<(u32, u32, u64), Vec<usize>> = HashMap::new();
            for (s, &i) in sale_line.iter().enumerate() {
                let l = &parsed.lines[i];
                if l.customer != 0 {
                    by_key
                        .entry((l.customer, l.sku, l.qty.to_bits()))
                        .or_default()
                        .push(s);
                }
            }
            for v in by_key.values_mut() {
                v.sort_by_key(|&s| (parsed.lines[sale_line[s]].ts, s));
            }
            let mut removed = vec![false; sales.len()];
            let mut order: Vec<usize> = cancels.clone();
            order.sort_by_key(|&i| (parsed.lines[i].ts, i));
            for i in order {
                let l = &parsed.lines[i];
                let key = (l.customer, l.sku, (-l.qty).to_bits());
                let hit = (l.customer != 0)
                    .then(|| by_key.get(&key))
                    .flatten()
                    .and_then(|cands| {
                        cands
                            .iter()
                            .rev()
                            .copied()
                            .find(|&s| !removed[s] && parsed.lines[sale_line[s]].ts <= l.ts)
                    });
                match hit {
                    Some(s) => {
                        removed[s] = true;
                        matched.push((sale_line[s], sales[s].revenue, i));
                        c.matched_cancellations.add(l.qty);
                        c.kept.lines -= 1;
                        c.kept.units -= sales[s].qty;
                    }
                    None => {
                        c.returns.add(l.qty);
                        unmatched.push(i);
                    }
                }
            }
            let mut k = 0;
            sales.retain(|_| {
                k += 1;
                !removed[k - 1]
            });
            let mut k = 0;
            sale_line.retain(|_| {
                k += 1;
                !removed[k - 1]
            });
        }
    }
    let mut codes: Vec<NonProduct> = np_tallies
        .into_iter()
        .map(|(sku, tally)| {
            let info = &parsed.skus[sku as usize];
            NonProduct {
                code: info.code.clone(),
                description: info.description().to_string(),
                tally,
            }
        })
        .collect();
    codes.sort_by(|a, b| {
        b.tally
            .lines
            .cmp(&a.tally.lines)
            .then_with(|| a.code.cmp(&b.code))
    });
    c.non_product_codes = codes;
    (
        sales,
        c,
        Provenance {
            sale_lines: sale_line,
            unmatched,
            matched,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_product_codes() {
        for (code, desc) in [
            ("POST", "POSTAGE"),
            ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00"),
            ("m", "Manual"),
            ("BANK CHARGES", ""),
            ("X1", "Adjustment by Peter on 24/05/2010 1"),
            ("AMAZONFEE", "AMAZON FEE"),
        ] {
            assert!(is_non_product(code, desc), "{code}");
        }
        for (code, desc) in [
            ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER"),
            ("DCGSSBOY", "BOYS PARTY BAG"),
            ("PADS", "PADS TO MATCH ALL CUSHIONS"),
        ] {
            assert!(!is_non_product(code, desc), "{code}");
        }
    }
}
