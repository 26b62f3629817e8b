//! Reading a merchant's export into [`Line`]s, once [`super::sniff`] has found its
//! format and columns: numbers, dates, cancellations and the row problems reported by
//! line and column. The sniffing types are re-exported here, so that callers keep
//! one path.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{Datelike, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::dates::{self, DateStyle};
pub use super::sniff::*;
use super::sniff::{field_str, reader, sniff_text};
use super::{DataError, RowProblem};

/// The timestamp at which a line happened.
pub type Timestamp = NaiveDateTime;

/// What kind of order line a row is, as far as the row itself tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Marker {
    /// An ordinary line.
    Plain,
    /// The row says it is a cancellation (invoice prefixed `C`, status refunded or
    /// voided, a cancellation time).
    Cancellation,
    /// An accounting adjustment (invoice prefixed `A`).
    Adjustment,
}

/// One parsed row (or one cell of a wide file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// 1-based line number in the file.
    pub line: u32,
    /// When it happened.
    pub ts: Timestamp,
    /// Index into [`Parsed::skus`].
    pub sku: u32,
    /// Index into the customer table, 0 when unknown.
    pub customer: u32,
    /// Units (negative for cancellations and write-offs).
    pub qty: f64,
    /// Unit price, NaN when the file has none.
    pub price: f64,
    /// What the row says it is.
    pub marker: Marker,
    /// Same fields as an earlier row.
    pub duplicate: bool,
}

/// A SKU seen in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SkuInfo {
    /// The code as shown: trimmed, its upper-case spelling where the file has one.
    pub code: String,
    /// Descriptions seen with how many lines used each.
    pub descriptions: Vec<(String, u32)>,
    /// Distinct spellings of the code seen in the file (for the case-merge count).
    pub spellings: u32,
}

impl SkuInfo {
    /// The description most lines used.
    pub fn description(&self) -> &str {
        self.descriptions
            .iter()
            .max_by_key(|(_, n)| *n)
            .map(|(d, _)| d.as_str())
            .unwrap_or("")
    }
}

/// A file read into lines, before cleaning.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// What was detected.
    pub sniff: Sniff,
    /// Every readable row.
    pub lines: Vec<Line>,
    /// SKUs in order of first appearance.
    pub skus: Vec<SkuInfo>,
    /// Distinct customers (excluding unknown).
    pub customers: usize,
    /// The customer ids as written: [`Line::customer`] `k` is `customer_ids[k - 1]`.
    pub customer_ids: Vec<String>,
    /// Distinct countries.
    pub countries: usize,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that could not be read (up to [`MAX_PROBLEMS`] listed).
    pub problems: Vec<RowProblem>,
    /// How many rows could not be read.
    pub bad_rows: usize,
    /// Empty cells in a wide file (read as zero).
    pub empty_cells: usize,
}

/// How many unreadable rows are described one by one.
pub const MAX_PROBLEMS: usize = 50;

/// Parses a number as exports write it: `1234.5`, `1,234.50`, `£3.75`, `1.234,5` (with
/// a `;` delimiter, where the comma is the decimal mark).
pub fn parse_number(s: &str, decimal_comma: bool) -> Option<f64> {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let t = t
        .trim_start_matches(['£', '$', '€'])
        .trim_end_matches(['£', '$', '€'])
        .trim();
    let cleaned: String = if decimal_comma {
        t.chars()
            .filter(|c| *c != '.' && *c != ' ' && *c != '\u{a0}')
            .map(|c| if c == ',' { '.' } else { c })
            .collect()
    } else {
        t.chars()
            .filter(|c| *c != ',' && *c != ' ' && *c != '\u{a0}')
            .collect()
    };
    let v = cleaned.parse::<f64>().ok()?;
    v.is_finite().then_some(v)
}

/// Whether an order or line status says the goods never left (or came back in full).
/// WooCommerce stores its statuses as `wc-cancelled` and some exports write them so;
/// `failed` is WooCommerce's (and payment providers') unpaid order, never a sale.
fn looks_cancelled(status: &str) -> bool {
    let s = status.trim().to_ascii_lowercase();
    let s = s.strip_prefix("wc-").unwrap_or(&s);
    matches!(
        s,
        "refunded" | "voided" | "cancelled" | "canceled" | "returned" | "failed"
    )
}

/// Progress callback: (fraction done in 0..=1).
pub type Progress<'a> = &'a mut dyn FnMut(f32);

/// Reads every row of a file.
pub fn parse(
    file: &str,
    bytes: &[u8],
    opts: &ReadOptions,
    progress: Progress<'_>,
) -> Result<Parsed, DataError> {
    let (text, encoding) = decode(file, bytes)?;
    let sniff = sniff_text(file, &text, encoding, opts)?;
    let mut p = RowParser::new(&sniff);
    let mut rdr = reader(&text, sniff.delimiter);
    let mut rec = csv::ByteRecord::new();
    let mut header_seen = false;
    let total = text.len().max(1) as f32;
    let mut n = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A malformed record (e.g. invalid quoting): count it and read on.
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                p.problem(RowProblem {
                    line,
                    column: String::new(),
                    value: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        }
        // The same test as the sniffer's, so both agree on which row is the header.
        if (0..rec.len()).all(|i| field_str(&rec, i).trim().is_empty()) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        p.row(line, &rec);
        n += 1;
        if n.is_multiple_of(16384) {
            progress(
                rec.position()
                    .map(|p| p.byte() as f32 / total)
                    .unwrap_or(0.0),
            );
        }
    }
    progress(1.0);
    let mut parsed = p.finish(sniff);
    drop_stray_dates(&mut parsed);
    if parsed.bad_rows > 0 && !opts.skip_bad_rows {
        return Err(DataError::BadRows {
            file: file.to_string(),
            bad: parsed.bad_rows,
            rows: parsed.rows,
            problems: parsed.problems,
        });
    }
    if parsed.lines.is_empty() {
        return Err(DataError::NoData {
            file: file.to_string(),
        });
    }
    Ok(parsed)
}

/// Years a date may lie from the file's median date before it counts as a typo.
const DATE_SPREAD_YEARS: i64 = 10;

/// Moves rows dated implausibly far from the rest (a typed `2204` for `2024`) to the
/// unreadable rows: kept, one such date would stretch every series over centuries.
fn drop_stray_dates(parsed: &mut Parsed) {
    if parsed.lines.is_empty() {
        return;
    }
    let mut days: Vec<i64> = parsed
        .lines
        .iter()
        .map(|l| l.ts.date().num_days_from_ce() as i64)
        .collect();
    days.sort_unstable();
    // The dates hang together when no two consecutive ones are more than the limit
    // apart: long monthly or quarterly histories (decades) are fine, an isolated
    // typo is not. The run of dates holding the median is kept.
    let median_at = days.len() / 2;
    let limit = DATE_SPREAD_YEARS * 366;
    let mut lo = median_at;
    while lo > 0 && days[lo] - days[lo - 1] <= limit {
        lo -= 1;
    }
    let mut hi = median_at;
    while hi + 1 < days.len() && days[hi + 1] - days[hi] <= limit {
        hi += 1;
    }
    let (first, last) = (days[lo], days[hi]);
    if lo == 0 && hi + 1 == days.len() {
        return;
    }
    let date_col = parsed.sniff.mapping.get(Role::Date).unwrap_or(0);
    let column = format!(
        "{} ({})",
        date_col + 1,
        parsed
            .sniff
            .headers
            .get(date_col)
            .map(String::as_str)
            .unwrap_or("?")
    );
    let mut stray = Vec::new();
    parsed.lines.retain(|l| {
        let d = l.ts.date().num_days_from_ce() as i64;
        let ok = (first..=last).contains(&d);
        if !ok {
            stray.push((l.line, l.ts.date()));
        }
        ok
    });
    stray.dedup_by_key(|s| s.0);
    for (line, date) in stray {
        parsed.bad_rows += 1;
        if parsed.problems.len() < MAX_PROBLEMS {
            parsed.problems.push(RowProblem {
                line: u64::from(line),
                column: column.clone(),
                value: date.to_string(),
                message: format!(
                    "the date is more than {DATE_SPREAD_YEARS} years away from the file's other dates"
                ),
            });
        }
    }
}

struct RowParser {
    headers: Vec<String>,
    mapping: ColumnMapping,
    style: DateStyle,
    decimal_comma: bool,
    /// Exact spelling -> SKU.
    sku_index: HashMap<String, u32>,
    /// Upper-case spelling -> SKU.
    sku_upper: HashMap<String, u32>,
    skus: Vec<SkuInfo>,
    customers: HashMap<String, u32>,
    countries: HashMap<String, ()>,
    seen: std::collections::HashSet<(u64, u64)>,
    lines: Vec<Line>,
    problems: Vec<RowProblem>,
    bad_rows: usize,
    rows: usize,
    empty_cells: usize,
    // Shopify writes order-level fields only on an order's first row.
    last_order: String,
    last_date: String,
    last_status: String,
    last_cancelled: String,
}

impl RowParser {
    fn new(sniff: &Sniff) -> Self {
        RowParser {
            headers: sniff.headers.clone(),
            mapping: sniff.mapping.clone(),
            style: sniff.date_style,
            decimal_comma: sniff.delimiter == b';',
            sku_index: HashMap::new(),
            sku_upper: HashMap::new(),
            skus: Vec::new(),
            customers: HashMap::new(),
            countries: HashMap::new(),
            seen: Default::default(),
            lines: Vec::new(),
            problems: Vec::new(),
            bad_rows: 0,
            rows: 0,
            empty_cells: 0,
            last_order: String::new(),
            last_date: String::new(),
            last_status: String::new(),
            last_cancelled: String::new(),
        }
    }

    fn problem(&mut self, p: RowProblem) {
        self.bad_rows += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }

    fn bad(&mut self, line: u64, col: usize, value: &str, message: &str) {
        let column = format!(
            "{} ({})",
            col + 1,
            self.headers.get(col).map(String::as_str).unwrap_or("?")
        );
        self.problem(RowProblem {
            line,
            column,
            value: value.chars().take(60).collect(),
            message: message.to_string(),
        });
    }

    fn sku_id(&mut self, raw: &str, description: &str) -> u32 {
        let code = raw.trim();
        let id = if let Some(&id) = self.sku_index.get(code) {
            id
        } else {
            // Codes match whatever their letter case; the upper-case spelling is shown
            // when the file has one (it is the usual canonical form), else the first.
            let upper = code.to_uppercase();
            let id = match self.sku_upper.get(&upper) {
                Some(&id) => id,
                None => {
                    let id = self.skus.len() as u32;
                    self.skus.push(SkuInfo {
                        code: code.to_string(),
                        descriptions: Vec::new(),
                        spellings: 0,
                    });
                    self.sku_upper.insert(upper.clone(), id);
                    id
                }
            };
            let info = &mut self.skus[id as usize];
            info.spellings += 1;
            if code == upper {
                info.code = code.to_string();
            }
            self.sku_index.insert(code.to_string(), id);
            id
        };
        let d = description.trim();
        if !d.is_empty() {
            let descs = &mut self.skus[id as usize].descriptions;
            if let Some(i) = descs.iter().position(|(s, _)| s == d) {
                descs[i].1 += 1;
            } else if descs.len() < 8 {
                descs.push((d.to_string(), 1));
            }
        }
        id
    }

    fn row(&mut self, line: u64, rec: &csv::ByteRecord) {
        self.rows += 1;
        if rec.len() != self.headers.len() {
            let message = format!(
                "expected {} fields, found {}",
                self.headers.len(),
                rec.len()
            );
            self.problem(RowProblem {
                line,
                column: String::new(),
                value: String::new(),
                message,
            });
            return;
        }
        let m = &self.mapping;
        let dc = m.get(Role::Date).unwrap_or(0);
        match m.format {
            Format::Wide => self.wide_row(line, rec, dc),
            Format::Long | Format::OrderLines => self.line_row(line, rec, dc),
        }
    }

    fn parse_date(&mut self, line: u64, col: usize, raw: &str) -> Option<NaiveDateTime> {
        let r = dates::parse_datetime(raw, self.style);
        if r.is_none() {
            let msg = if raw.trim().is_empty() {
                "the date is empty".to_string()
            } else {
                format!(
                    "cannot read this as a date in the {} style",
                    self.style.label()
                )
            };
            self.bad(line, col, raw, &msg);
        }
        r
    }

    fn wide_row(&mut self, line: u64, rec: &csv::ByteRecord, dc: usize) {
        let Some(ts) = self.parse_date(line, dc, field_str(rec, dc)) else {
            return;
        };
        let mut cells = Vec::with_capacity(rec.len());
        let tc = self.mapping.get(Role::Time);
        for c in 0..rec.len() {
            if c == dc || Some(c) == tc {
                continue;
            }
            let raw = field_str(rec, c);
            if raw.trim().is_empty() {
                self.empty_cells += 1;
                continue;
            }
            match parse_number(raw, self.decimal_comma) {
                Some(v) => cells.push((c, v)),
                None => {
                    self.bad(line, c, raw, "not a number");
                    return;
                }
            }
        }
        for (c, v) in cells {
            if v == 0.0 {
                continue;
            }
            let name = self.headers[c].clone();
            let sku = self.sku_id(&name, "");
            self.lines.push(Line {
                line: line as u32,
                ts,
                sku,
                customer: 0,
                qty: v,
                price: f64::NAN,
                marker: Marker::Plain,
                duplicate: false,
            });
        }
    }

    fn line_row(&mut self, line: u64, rec: &csv::ByteRecord, dc: usize) {
        let m = self.mapping.clone();
        let get = |r: Role| m.get(r).map(|c| (c, field_str(rec, c)));
        let order_lines = m.format == Format::OrderLines;
        // Fill down order-level fields within one order (Shopify leaves them blank after
        // an order's first line).
        let order = get(Role::OrderId).map(|(_, s)| s.trim()).unwrap_or("");
        let same_order = order_lines && !order.is_empty() && order == self.last_order;
        let mut date_raw = field_str(rec, dc).to_string();
        let mut status = get(Role::Status)
            .map(|(_, s)| s.to_string())
            .unwrap_or_default();
        let mut cancelled_at = get(Role::CancelledAt)
            .map(|(_, s)| s.to_string())
            .unwrap_or_default();
        if same_order {
            if date_raw.trim().is_empty() {
                date_raw = self.last_date.clone();
            }
            if status.trim().is_empty() {
                status = self.last_status.clone();
            }
            if cancelled_at.trim().is_empty() {
                cancelled_at = self.last_cancelled.clone();
            }
        }
        if order_lines {
            self.last_order = order.to_string();
            self.last_date = date_raw.clone();
            self.last_status = status.clone();
            self.last_cancelled = cancelled_at.clone();
        }
        let Some(mut ts) = self.parse_date(line, dc, &date_raw) else {
            return;
        };
        // A time of day in its own column completes a date written without one. An
        // unreadable time leaves the date as it is: the day is what demand needs, and
        // refusing a row over its minute would lose a sale.
        if let Some((_, t)) = get(Role::Time)
            && ts.time() == chrono::NaiveTime::MIN
            && let Some(t) = dates::parse_time_of_day(t)
        {
            ts = ts.date().and_time(t);
        }
        let description = get(Role::Description).map(|(_, s)| s).unwrap_or("");
        // Without a SKU column an empty product name is the empty "SKU" to point at.
        let (sc, sku_raw) = get(Role::Sku)
            .or_else(|| get(Role::Description))
            .unwrap_or((0, ""));
        // Shops without SKUs: the product name stands in for the code.
        let sku_raw = if sku_raw.trim().is_empty() {
            description
        } else {
            sku_raw
        };
        if sku_raw.trim().is_empty() {
            self.bad(line, sc, sku_raw, "the SKU is empty");
            return;
        }
        // Without a quantity column (point-of-sale exports) each row is one unit sold.
        let qty = match get(Role::Quantity) {
            Some((qc, qty_raw)) => match parse_number(qty_raw, self.decimal_comma) {
                Some(q) => q,
                None => {
                    self.bad(line, qc, qty_raw, "the quantity is not a number");
                    return;
                }
            },
            None => 1.0,
        };
        let price = match (get(Role::Price), get(Role::LineTotal)) {
            (Some((_, raw)), _) | (None, Some((_, raw))) if raw.trim().is_empty() => f64::NAN,
            (Some((pc, raw)), _) => match parse_number(raw, self.decimal_comma) {
                Some(p) => p,
                None => {
                    self.bad(line, pc, raw, "the price is not a number");
                    return;
                }
            },
            // A line total (Amazon's `item-price`) over its units; a line of 0 units
            // (Amazon writes them for cancelled items) has no unit price.
            (None, Some((tc, raw))) => match parse_number(raw, self.decimal_comma) {
                Some(_) if qty == 0.0 => f64::NAN,
                Some(total) => total / qty,
                None => {
                    self.bad(line, tc, raw, "the line total is not a number");
                    return;
                }
            },
            (None, None) => f64::NAN,
        };
        // Amazon cancels single items of an order that ships: the line's own status
        // counts as much as the order's.
        let item_status = get(Role::ItemStatus).map(|(_, s)| s).unwrap_or("");
        let marker = if order.starts_with(['C', 'c'])
            && order.len() > 1
            && order[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            Marker::Cancellation
        } else if order.starts_with(['A', 'a'])
            && order.len() > 1
            && order[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            Marker::Adjustment
        } else if looks_cancelled(&status)
            || looks_cancelled(item_status)
            || !cancelled_at.trim().is_empty()
        {
            Marker::Cancellation
        } else {
            Marker::Plain
        };
        let customer = match get(Role::Customer).map(|(_, s)| s.trim()) {
            Some(c) if !c.is_empty() => {
                let next = self.customers.len() as u32 + 1;
                *self.customers.entry(c.to_string()).or_insert(next)
            }
            _ => 0,
        };
        if let Some((_, c)) = get(Role::Country) {
            let c = c.trim();
            if !c.is_empty() && !self.countries.contains_key(c) {
                self.countries.insert(c.to_string(), ());
            }
        }
        // Two identical rows are a double export only where rows carry a quantity:
        // in a one-unit-per-row file they are two units of one item in one sale.
        let duplicate =
            order_lines && m.get(Role::Quantity).is_some() && !self.seen.insert(record_hash(rec));
        let sku = self.sku_id(sku_raw, description);
        self.lines.push(Line {
            line: line as u32,
            ts,
            sku,
            customer,
            qty,
            price,
            marker,
            duplicate,
        });
    }

    fn finish(self, sniff: Sniff) -> Parsed {
        let mut customer_ids = vec![String::new(); self.customers.len()];
        for (id, k) in &self.customers {
            if let Some(slot) = (*k as usize)
                .checked_sub(1)
                .and_then(|i| customer_ids.get_mut(i))
            {
                slot.clone_from(id);
            }
        }
        Parsed {
            customer_ids,
            sniff,
            lines: self.lines,
            skus: self.skus,
            customers: self.customers.len(),
            countries: self.countries.len(),
            rows: self.rows,
            problems: self.problems,
            bad_rows: self.bad_rows,
            empty_cells: self.empty_cells,
        }
    }
}

/// A 128-bit fingerprint of a row's fields: two independent 64-bit hashes make a
/// collision between distinct rows of one file vanishingly unlikely.
fn record_hash(rec: &csv::ByteRecord) -> (u64, u64) {
    let mut a = DefaultHasher::new();
    let mut b = DefaultHasher::new();
    0x9e37_79b9_7f4a_7c15_u64.hash(&mut b);
    for f in rec.iter() {
        f.hash(&mut a);
        f.hash(&mut b);
    }
    (a.finish(), b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("\"x,y\";b\n\"1,2\";3\n"), b';');
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(" 12 ", false), Some(12.0));
        assert_eq!(parse_number("1,234.50", false), Some(1234.5));
        assert_eq!(parse_number("£3.75", false), Some(3.75));
        assert_eq!(parse_number("2,5", true), Some(2.5));
        assert_eq!(parse_number("1.234,5", true), Some(1234.5));
        assert_eq!(parse_number("abc", false), None);
        assert_eq!(parse_number("NaN", false), None);
        assert_eq!(parse_number("inf", false), None);
    }

    #[test]
    fn mapping_detection() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = detect_mapping(
            "f",
            &h(&[
                "Invoice",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "Price",
                "Customer ID",
                "Country",
            ]),
        )
        .unwrap();
        assert_eq!(m.format, Format::OrderLines);
        assert_eq!(m.get(Role::Date), Some(4));
        assert_eq!(m.get(Role::Customer), Some(6));
        let m = detect_mapping(
            "f",
            &h(&[
                "Name",
                "Email",
                "Financial Status",
                "Created at",
                "Lineitem quantity",
                "Lineitem name",
                "Lineitem price",
                "Lineitem sku",
                "Cancelled at",
            ]),
        )
        .unwrap();
        assert_eq!(m.format, Format::OrderLines);
        assert_eq!(
            (
                m.get(Role::OrderId),
                m.get(Role::Sku),
                m.get(Role::Quantity),
                m.get(Role::Description)
            ),
            (Some(0), Some(7), Some(4), Some(5))
        );
        assert_eq!(m.get(Role::CancelledAt), Some(8));
        let m = detect_mapping("f", &h(&["unique_id", "ds", "y"])).unwrap();
        assert_eq!(m.format, Format::Long);
        let m = detect_mapping("f", &h(&["date", "A", "B"])).unwrap();
        assert_eq!(m.format, Format::Wide);
        assert!(matches!(
            detect_mapping("f", &h(&["foo", "bar"])),
            Err(DataError::UnknownFormat { .. })
        ));
    }

    fn headers(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn parse_text(text: &str) -> Result<Parsed, DataError> {
        parse("f", text.as_bytes(), &ReadOptions::default(), &mut |_| {})
    }

    /// (SKU code, quantity, unit price, marker) of every parsed line.
    fn lines(p: &Parsed) -> Vec<(String, f64, f64, Marker)> {
        p.lines
            .iter()
            .map(|l| {
                (
                    p.skus[l.sku as usize].code.clone(),
                    l.qty,
                    l.price,
                    l.marker,
                )
            })
            .collect()
    }

    const AMAZON_HEADER: &str = "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price";

    #[test]
    fn amazon_all_orders_mapping() {
        let h: Vec<String> = AMAZON_HEADER.split('\t').map(String::from).collect();
        let m = detect_mapping("f", &h).unwrap();
        assert_eq!(m.format, Format::OrderLines);
        assert_eq!(m.get(Role::OrderId), Some(0));
        assert_eq!(
            m.get(Role::Date),
            Some(2),
            "purchase-date, not last-updated-date"
        );
        assert_eq!(m.get(Role::Status), Some(4));
        assert_eq!(m.get(Role::Description), Some(10));
        assert_eq!(m.get(Role::Sku), Some(11));
        assert_eq!(m.get(Role::ItemStatus), Some(13));
        assert_eq!(m.get(Role::Quantity), Some(14));
        // `item-price` is the line's total there, never the unit price.
        assert_eq!(
            (m.get(Role::Price), m.get(Role::LineTotal)),
            (None, Some(16))
        );
        // Elsewhere `Item price` stays a unit price.
        let m = detect_mapping(
            "f",
            &headers(&["Order ID", "Date", "SKU", "Quantity", "Item price"]),
        )
        .unwrap();
        assert_eq!(
            (m.get(Role::Price), m.get(Role::LineTotal)),
            (Some(4), None)
        );
    }

    #[test]
    fn amazon_all_orders_rows() {
        let row = |id: &str,
                   date: &str,
                   status: &str,
                   sku: &str,
                   item: &str,
                   qty: &str,
                   price: &str| {
            format!(
                "{id}\t\t{date}\t{date}\t{status}\tAmazon\tAmazon.com\t\t\tStandard\tName of {sku}\t{sku}\tB0\t{item}\t{qty}\tUSD\t{price}\t0.00\t0.00\n"
            )
        };
        let text = [
            format!("{AMAZON_HEADER}\n"),
            row(
                "1",
                "2011-03-04T10:12:33+00:00",
                "Shipped",
                "A",
                "Shipped",
                "3",
                "36.00",
            ),
            row(
                "2",
                "2011-03-04T11:00:00+00:00",
                "Cancelled",
                "A",
                "Cancelled",
                "0",
                "",
            ),
            row(
                "3",
                "2011-03-05T23:10:00-08:00",
                "Shipped",
                "BOX",
                "Cancelled",
                "1",
                "5.00",
            ),
            row(
                "3",
                "2011-03-05T23:10:00-08:00",
                "Shipped",
                "A",
                "Shipped",
                "2",
                "25.00",
            ),
            row(
                "4",
                "2011-03-06T08:00:00+00:00",
                "Pending",
                "A",
                "Unshipped",
                "1",
                "",
            ),
        ]
        .concat();
        let p = parse_text(&text).unwrap();
        assert_eq!(p.sniff.delimiter, b'\t');
        assert_eq!(p.sniff.date_style, DateStyle::Iso);
        let l = lines(&p);
        assert_eq!(
            l[0],
            ("A".into(), 3.0, 12.0, Marker::Plain),
            "36.00 for 3 units"
        );
        // Quantity 0 (a cancelled item): no unit price rather than a division by zero.
        assert!(l[1].2.is_nan() && l[1].3 == Marker::Cancellation);
        // The item's own status cancels it in an order that shipped.
        assert_eq!(l[2], ("BOX".into(), 1.0, 5.0, Marker::Cancellation));
        assert_eq!(l[3], ("A".into(), 2.0, 12.5, Marker::Plain));
        assert!(
            l[4].2.is_nan() && l[4].3 == Marker::Plain,
            "pending: sold, price unknown"
        );
        // The wall-clock day the report shows, whatever the offset.
        assert_eq!(p.lines[2].ts.to_string(), "2011-03-05 23:10:00");
        let (sales, c) = super::super::clean::clean(&p, Default::default());
        assert_eq!(
            (c.cancelled_orders.lines, c.cancelled_orders.units),
            (2, 1.0)
        );
        assert_eq!(c.zero_quantity.lines, 0);
        assert_eq!(sales.iter().map(|s| s.qty).sum::<f64>(), 6.0);
        assert_eq!(sales.iter().map(|s| s.revenue).sum::<f64>(), 61.0);
    }

    #[test]
    fn a_bad_line_total_names_line_and_column() {
        let text = format!(
            "{AMAZON_HEADER}\n1\t\t2011-03-04T10:12:33+00:00\t\tShipped\t\t\t\t\t\tx\tA\tB0\tShipped\t1\tUSD\tabc\t\t\n"
        );
        let Err(DataError::BadRows { problems, .. }) = parse_text(&text) else {
            panic!("read");
        };
        assert_eq!(problems[0].line, 2);
        assert_eq!(problems[0].column, "17 (item-price)");
        assert!(
            problems[0].message.contains("line total"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn point_of_sale_rows_are_one_unit_each() {
        let h = headers(&["Date", "Time", "Transaction", "Item"]);
        let m = detect_mapping("f", &h).unwrap();
        assert_eq!(m.format, Format::OrderLines);
        assert_eq!(
            (
                m.get(Role::Date),
                m.get(Role::Time),
                m.get(Role::OrderId),
                m.get(Role::Sku)
            ),
            (Some(0), Some(1), Some(2), Some(3))
        );
        assert_eq!(m.get(Role::Quantity), None, "the time is never a quantity");
        let text = "Date,Time,Transaction,Item\n\
2016-10-30,09:58:11,1,Bread\n\
2016-10-30,10:05:34,2,Scandinavian\n\
2016-10-30,10:05:34,2,Scandinavian\n\
2016-10-31,,3,Bread\n\
2016-10-31,late,4,Coffee\n";
        let p = parse_text(text).unwrap();
        let l = lines(&p);
        assert!(l.iter().all(|x| x.1 == 1.0 && x.2.is_nan()));
        // Two identical rows are two units of one sale, not a double export.
        assert!(p.lines.iter().all(|l| !l.duplicate));
        assert_eq!(p.lines[0].ts.to_string(), "2016-10-30 09:58:11");
        // An empty or unreadable time leaves the day as it is.
        assert_eq!(p.lines[3].ts.to_string(), "2016-10-31 00:00:00");
        assert_eq!(p.lines[4].ts.to_string(), "2016-10-31 00:00:00");
        // A lone `Time` column is still the timestamp.
        let m = detect_mapping("f", &headers(&["Time", "SKU", "Quantity"])).unwrap();
        assert_eq!((m.format, m.get(Role::Date)), (Format::Long, Some(0)));
        // Without a SKU column the product name stands in; an empty one is named.
        let p = parse_text("Date,Receipt No,Item Name\n2016-10-30,7,Tea\n").unwrap();
        assert_eq!(lines(&p)[0].0, "Tea");
        let Err(DataError::BadRows { problems, .. }) =
            parse_text("Date,Receipt No,Item Name\n2016-10-30,7,Tea\n2016-10-30,8,\n")
        else {
            panic!("read");
        };
        assert_eq!(
            (problems[0].line, problems[0].column.as_str()),
            (3, "3 (Item Name)")
        );
    }

    #[test]
    fn a_time_column_without_times_is_not_used() {
        // Durations under a `Time` header: unmapped, never read as the time of day.
        let p = parse_text("Date,Time,Transaction,Item\n2016-10-30,3 min,1,Bread\n").unwrap();
        assert_eq!(p.sniff.mapping.get(Role::Time), None);
        assert_eq!(p.lines[0].ts.to_string(), "2016-10-30 00:00:00");
        // A wide file with a time of day beside its date: the time is no SKU.
        let p = parse_text("date,time,A,B\n2024-01-01,08:00,1,2\n2024-01-02,08:00,3,4\n").unwrap();
        assert_eq!(p.sniff.mapping.format, Format::Wide);
        assert_eq!(
            p.skus.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
            ["A", "B"]
        );
        // Order lines need a product: a SKU or its name.
        let e = check_mapping(
            "f",
            &ColumnMapping {
                format: Format::OrderLines,
                columns: vec![(Role::Date, 0)],
            },
            &headers(&["Date", "Transaction"]),
        )
        .unwrap_err();
        assert!(
            matches!(&e, DataError::MissingColumn { role, .. } if role.starts_with("SKU")),
            "{e}"
        );
    }

    #[test]
    fn woocommerce_order_lines() {
        let h = headers(&[
            "Order Number",
            "Order Date",
            "Order Status",
            "Email (Billing)",
            "SKU",
            "Item #",
            "Item Name",
            "Quantity",
            "Item Cost",
        ]);
        let m = detect_mapping("f", &h).unwrap();
        assert_eq!(m.format, Format::OrderLines);
        assert_eq!(
            (
                m.get(Role::OrderId),
                m.get(Role::Date),
                m.get(Role::Status),
                m.get(Role::Customer)
            ),
            (Some(0), Some(1), Some(2), Some(3))
        );
        assert_eq!(
            (
                m.get(Role::Sku),
                m.get(Role::Description),
                m.get(Role::Quantity),
                m.get(Role::Price)
            ),
            (Some(4), Some(6), Some(7), Some(8))
        );
        for (status, marker) in [
            ("Completed", Marker::Plain),
            ("Processing", Marker::Plain),
            ("On hold", Marker::Plain),
            ("Cancelled", Marker::Cancellation),
            ("Refunded", Marker::Cancellation),
            ("Failed", Marker::Cancellation),
            ("wc-cancelled", Marker::Cancellation),
            ("WC-REFUNDED", Marker::Cancellation),
            ("wc-failed", Marker::Cancellation),
            ("wc-completed", Marker::Plain),
        ] {
            let text = format!(
                "Order Number,Order Date,Order Status,SKU,Item Name,Quantity,Item Cost\n1,2024-03-04 10:00,{status},A,Mug,2,12.50\n"
            );
            let p = parse_text(&text).unwrap();
            assert_eq!(lines(&p)[0], ("A".into(), 2.0, 12.5, marker), "{status}");
        }
    }

    #[test]
    fn decoding() {
        assert!(matches!(decode("f", b""), Err(DataError::Empty { .. })));
        assert!(matches!(
            decode("f", b"\x00\x01\x02garbage"),
            Err(DataError::NotText { .. })
        ));
        let (t, e) = decode("f", b"\xEF\xBB\xBFa,b").unwrap();
        assert_eq!((t.as_ref(), e), ("a,b", Encoding::Utf8));
        let (t, e) = decode("f", b"caf\xe9,\x80").unwrap();
        assert_eq!((t.as_ref(), e), ("café,€", Encoding::Windows1252));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a,b".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode("f", &utf16).unwrap().0.as_ref(), "a,b");
    }
}
