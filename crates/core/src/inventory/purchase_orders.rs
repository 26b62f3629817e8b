//! Open purchase orders from a file: `sku, quantity, expected date[, supplier, po
//! number]`, or Shopify's purchase order export (`Ordered`, `Received`, `Rejected`,
//! `Expected arrival`, `Status`). They become each SKU's "on order" with arrival dates;
//! what was already received is in the stock count, so only the outstanding units
//! (ordered − received − rejected) of orders not closed are counted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::params::SkuParams;
use super::table;

/// One open order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The SKU as written.
    pub sku: String,
    /// Units still to arrive.
    pub quantity: f64,
    /// When they are expected.
    pub expected: NaiveDate,
    /// The supplier, where given.
    pub supplier: Option<String>,
    /// The purchase order's number, where given.
    pub po: Option<String>,
    /// The line in the file.
    pub line: u64,
}

/// A purchase-order file, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseOrders {
    /// The file's name.
    pub file: String,
    /// Open lines with units outstanding.
    pub lines: Vec<OrderLine>,
    /// Lines left out: fully received, rejected, closed or drafts.
    pub closed: usize,
    /// SKUs of those lines: without an open line, nothing of theirs is on order any
    /// more (what arrived is in the stock count).
    pub settled: Vec<String>,
}

/// Dates as purchase-order files write them: ISO (with or without a time), or day
/// first (`31/12/2026`, `31.12.2026`). Month-first dates are ambiguous with day-first
/// ones, so they are not guessed: anything else is refused with its line.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

const SKU: [&str; 2] = ["sku", "variant sku"];
const QUANTITY: [&str; 4] = ["quantity", "ordered", "qty", "units"];
const EXPECTED: [&str; 5] = [
    "expected date",
    "expected arrival",
    "expected",
    "arrival date",
    "eta",
];

/// Whether `bytes` is a purchase-order file (a SKU, a quantity and an expected date
/// column), for an import that takes several kinds of file.
pub fn is_purchase_order_file(bytes: &[u8]) -> bool {
    let keys = table::header_keys(&table::text_of(bytes));
    let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
    has(&SKU) && has(&QUANTITY) && has(&EXPECTED)
}

/// Reads a purchase-order file; every problem is listed by line and column.
pub fn read(file: &str, bytes: &[u8]) -> Result<PurchaseOrders, InventoryError> {
    let fail = |problems: Vec<String>| InventoryError::ParamsFile {
        file: file.to_string(),
        problems,
    };
    let text = table::text_of(bytes);
    let mut rdr = table::reader(&text);
    let raw: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => return Err(fail(vec![format!("line 1: {e}")])),
    };
    let headers: Vec<String> = raw.iter().map(|h| table::key(h)).collect();
    let at = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n))
    };
    let (sku, qty, date) = (at(&SKU), at(&QUANTITY), at(&EXPECTED));
    let (Some(sku), Some(qty), Some(date)) = (sku, qty, date) else {
        return Err(fail(vec![format!(
            "line 1: a purchase-order file needs sku, quantity and expected date columns; the columns are {raw:?}"
        )]));
    };
    let received = at(&["received"]);
    let rejected = at(&["rejected"]);
    let status = at(&["status"]);
    let supplier = at(&["supplier", "vendor"]);
    let po = at(&[
        "po number",
        "purchase order number",
        "purchase order",
        "po",
        "reference",
    ]);
    let mut out = PurchaseOrders {
        file: file.to_string(),
        lines: Vec::new(),
        closed: 0,
        settled: Vec::new(),
    };
    let mut problems = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!(
                    "line {}: {e}",
                    e.position().map_or(0, |p| p.line())
                ));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let col = |i: usize| raw.get(i).map_or("?", |h| h.as_str()).to_string();
        let Some(code) = cell(Some(sku)) else {
            if rec.iter().any(|c| !c.trim().is_empty()) {
                problems.push(format!("line {line}, column {}: no SKU", col(sku)));
            }
            continue;
        };
        let mut number = |i: Option<usize>| -> f64 {
            let Some(s) = cell(i) else { return 0.0 };
            match super::params::parse_num(s) {
                Some(v) if (0.0..=super::params::MAX_UNITS).contains(&v) => v,
                _ => {
                    problems.push(format!(
                        "line {line}, column {}: \"{s}\" is not a number of units from 0 to {}",
                        col(i.unwrap_or(0)),
                        super::params::MAX_UNITS
                    ));
                    0.0
                }
            }
        };
        if cell(Some(qty)).is_none() {
            problems.push(format!("line {line}, column {}: no quantity", col(qty)));
            continue;
        }
        let ordered = number(Some(qty));
        let done = number(received) + number(rejected);
        // Drafts are not ordered yet; closed, received or cancelled orders are in the
        // stock count already (or never will be).
        let closed = cell(status).is_some_and(|s| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "closed"
                    | "received"
                    | "cancelled"
                    | "canceled"
                    | "complete"
                    | "completed"
                    | "draft"
            )
        });
        let outstanding = (ordered - done).max(0.0);
        if closed || outstanding == 0.0 {
            out.closed += 1;
            if !out.settled.iter().any(|s| s == code) {
                out.settled.push(code.to_string());
            }
            continue;
        }
        let Some(expected) = cell(Some(date)).and_then(parse_date) else {
            problems.push(format!(
                "line {line}, column {}: \"{}\" is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                col(date),
                cell(Some(date)).unwrap_or("")
            ));
            continue;
        };
        out.lines.push(OrderLine {
            sku: code.to_string(),
            quantity: outstanding,
            expected,
            supplier: cell(supplier).map(str::to_string),
            po: cell(po).map(str::to_string),
            line,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(fail(problems))
    }
}

/// What merging the open orders did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersReport {
    /// The file's name.
    pub file: String,
    /// Open lines counted.
    pub lines: usize,
    /// Units on order in them.
    pub units: f64,
    /// SKUs of the plan with open orders.
    pub skus: usize,
    /// Lines left out as received, rejected, closed or drafts.
    pub closed: usize,
    /// SKUs whose earlier on-order was cleared (all their lines in the file settled).
    pub cleared: usize,
    /// SKUs on order that have no sales in the data.
    pub not_sold: Vec<String>,
}

impl OrdersReport {
    /// The report in a sentence.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} units on {} open order lines for {} SKUs now count as on order",
            self.file,
            crate::format::units(self.units),
            self.lines,
            self.skus
        );
        if self.closed > 0 {
            s += &format!(
                "; {} lines already received, rejected or closed, or drafts, were left out",
                self.closed
            );
        }
        if self.cleared > 0 {
            s += &format!(
                "; {} SKUs with every line settled have nothing on order any more",
                self.cleared
            );
        }
        if !self.not_sold.is_empty() {
            let shown: Vec<&str> = self.not_sold.iter().take(5).map(String::as_str).collect();
            s += &format!(
                "; {} SKUs on order have no sales in the data ({})",
                self.not_sold.len(),
                shown.join(", ")
            );
        }
        s + "."
    }
}

/// `current` with each SKU's on-order replaced by its open lines (the file is the list
/// of what is open; SKUs it does not name keep what they had). The supplier of a SKU
/// without one is taken from its orders.
pub fn merge(
    orders: &PurchaseOrders,
    current: &[SkuParams],
) -> Result<(Vec<SkuParams>, OrdersReport), InventoryError> {
    let mut out = current.to_vec();
    let find = |sku: &str| {
        out.iter()
            .position(|p| p.sku == sku)
            .or_else(|| out.iter().position(|p| p.sku.eq_ignore_ascii_case(sku)))
    };
    let mut per: Vec<Vec<&OrderLine>> = vec![Vec::new(); out.len()];
    let mut not_sold = Vec::new();
    for l in &orders.lines {
        match find(&l.sku) {
            Some(i) => per[i].push(l),
            None => {
                if !not_sold.contains(&l.sku) {
                    not_sold.push(l.sku.clone());
                }
            }
        }
    }
    // A SKU whose every line in the file is settled has nothing on order any more:
    // keeping what it had would count the received units twice.
    let settled: Vec<usize> = orders.settled.iter().filter_map(|s| find(s)).collect();
    let mut cleared = 0;
    for i in settled {
        if per[i].is_empty() && !out[i].on_order.is_empty() {
            out[i].on_order.clear();
            cleared += 1;
        }
    }
    let mut problems = Vec::new();
    let (mut skus, mut lines, mut units) = (0, 0, 0.0);
    for (p, ls) in out.iter_mut().zip(&per) {
        if ls.is_empty() {
            continue;
        }
        skus += 1;
        lines += ls.len();
        units += ls.iter().map(|l| l.quantity).sum::<f64>();
        p.on_order = ls.iter().map(|l| (l.quantity, l.expected)).collect();
        if p.supplier.is_empty()
            && let Some(s) = ls.iter().find_map(|l| l.supplier.clone())
        {
            p.supplier = s;
        }
        if let Err(errs) = p.validate() {
            problems.extend(errs.into_iter().map(|e| format!("SKU {}: {e}", p.sku)));
        }
    }
    if !problems.is_empty() {
        return Err(InventoryError::ParamsFile {
            file: orders.file.clone(),
            problems,
        });
    }
    let report = OrdersReport {
        file: orders.file.clone(),
        lines,
        units,
        skus,
        closed: orders.closed,
        cleared,
        not_sold,
    };
    Ok((out, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn open_orders_fill_on_order_and_received_units_are_not_counted_twice() {
        let text = "sku,quantity,expected date,supplier,po number\nA,40,2026-12-20,Acme,PO-7\nA,10,21/12/2026,Acme,PO-8\nZ,5,2026-12-22,,\n";
        let f = read("po.csv", text.as_bytes()).unwrap();
        let base = vec![
            SkuParams::defaults("A", 10.0),
            SkuParams::defaults("B", 10.0),
        ];
        let (p, r) = merge(&f, &base).unwrap();
        assert_eq!(
            p[0].on_order,
            vec![(40.0, d("2026-12-20")), (10.0, d("2026-12-21"))]
        );
        assert_eq!(p[0].supplier, "Acme");
        assert_eq!(p[1], base[1]);
        assert_eq!((r.lines, r.skus, r.units), (2, 1, 50.0));
        assert_eq!(r.not_sold, vec!["Z".to_string()]);
        // Shopify's purchase order export: the received part is already in stock.
        let shopify = "Purchase order number,Supplier,Destination,Status,Expected arrival,SKU,Ordered,Received,Rejected,Cost\n#PO1,Acme,Shop,Partial,2026-12-20T00:00:00Z,A,40,30,2,1.5\n#PO2,Acme,Shop,Closed,2026-12-01,A,10,10,0,1.5\n#PO3,Acme,Shop,Ordered,2026-12-28,B,12,,,1.5\n";
        let f = read("purchase_orders.csv", shopify.as_bytes()).unwrap();
        assert_eq!(f.closed, 1);
        let (p, r) = merge(&f, &base).unwrap();
        assert_eq!(p[0].on_order, vec![(8.0, d("2026-12-20"))]);
        assert_eq!(p[1].on_order, vec![(12.0, d("2026-12-28"))]);
        assert!(r.summary().contains("20 units on 2 open order lines for 2 SKUs now count as on order; 1 lines already received"), "{}", r.summary());
        // An order received since: its SKU's earlier on-order is cleared, not kept
        // beside the stock it became; a draft is not on order.
        let later = "sku,quantity,received,status,expected date\nA,40,40,Received,2026-12-20\nB,9,,Draft,2026-12-30\n";
        let f = read("po2.csv", later.as_bytes()).unwrap();
        let (p2, r2) = merge(&f, &p).unwrap();
        assert!(
            p2[0].on_order.is_empty() && p2[1].on_order.is_empty(),
            "{:?}",
            (&p2[0].on_order, &p2[1].on_order)
        );
        assert_eq!((r2.closed, r2.cleared), (2, 2));
    }

    #[test]
    fn bad_lines_are_refused_with_line_and_column() {
        let text = "SKU;Quantity;Expected date\nA;x;2026-12-20\nB;3;next week\n;;\nC;;2026-12-20\n";
        let Err(InventoryError::ParamsFile { problems, .. }) = read("po.csv", text.as_bytes())
        else {
            panic!("refused");
        };
        assert_eq!(
            problems,
            vec![
                "line 2, column Quantity: \"x\" is not a number of units from 0 to 1000000000".to_string(),
                "line 3, column Expected date: \"next week\" is not a date (YYYY-MM-DD or DD/MM/YYYY)".to_string(),
                "line 5, column Quantity: no quantity".to_string(),
            ]
        );
        assert!(
            read("po.csv", b"sku,colour\nA,red\n")
                .unwrap_err()
                .to_string()
                .contains("needs sku, quantity and expected date")
        );
        assert!(is_purchase_order_file(text.as_bytes()));
        assert!(!is_purchase_order_file(b"sku,on_hand\nA,1\n"));
    }
}
