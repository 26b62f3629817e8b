//! Per-SKU planning parameters: what the merchant knows about stock, suppliers and
//! costs. Every field has a default so that a plan exists before anything is entered;
//! the CSV import merges into what is there and is all-or-nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::policy::Service;

/// How a SKU is replenished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PolicyChoice {
    /// Chosen from the review period, ordering cost and shelf life (see
    /// [`super::plan`]).
    #[default]
    Auto,
    /// Continuous review: order a fixed Q when the inventory position reaches r.
    ReorderPoint,
    /// Periodic review: every review period, order up to S.
    OrderUpTo,
    /// Periodic review: order up to S when the position is at or below s.
    MinMax,
    /// One order covering the season or shelf life (newsvendor).
    Newsvendor,
}

impl PolicyChoice {
    /// The name used in files and the app.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyChoice::Auto => "auto",
            PolicyChoice::ReorderPoint => "rq",
            PolicyChoice::OrderUpTo => "order-up-to",
            PolicyChoice::MinMax => "min-max",
            PolicyChoice::Newsvendor => "newsvendor",
        }
    }

    /// Every choice.
    pub const ALL: [PolicyChoice; 5] = [
        PolicyChoice::Auto,
        PolicyChoice::ReorderPoint,
        PolicyChoice::OrderUpTo,
        PolicyChoice::MinMax,
        PolicyChoice::Newsvendor,
    ];

    /// Reads [`PolicyChoice::as_str`] (also "(r,Q)", "(R,S)", "(s,S)").
    pub fn parse(s: &str) -> Option<PolicyChoice> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        Some(match t.as_str() {
            "" | "auto" => PolicyChoice::Auto,
            "rq" | "(r,q)" | "reorder-point" => PolicyChoice::ReorderPoint,
            "order-up-to" | "(r,s)" | "rs" | "base-stock" => PolicyChoice::OrderUpTo,
            "min-max" | "(s,s)" | "ss" | "minmax" => PolicyChoice::MinMax,
            "newsvendor" => PolicyChoice::Newsvendor,
            _ => return None,
        })
    }
}

/// One SKU's parameters. Times are in calendar days; money in the shop's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuParams {
    /// The SKU.
    pub sku: String,
    /// Units on hand now.
    pub on_hand: f64,
    /// Open purchase orders: (units, expected arrival).
    pub on_order: Vec<(f64, NaiveDate)>,
    /// Supplier lead time, mean (days).
    pub lead_time_days: f64,
    /// Supplier lead time, standard deviation (days).
    pub lead_time_sd_days: f64,
    /// Past lead times (days); when given, lead times are drawn from these instead.
    pub past_lead_times: Vec<f64>,
    /// Days between reviews; 0 means continuous review (order any day).
    pub review_days: f64,
    /// The service target.
    pub service: Service,
    /// What one unit costs to buy.
    pub unit_cost: f64,
    /// What one unit sells for.
    pub price: f64,
    /// Holding cost per year as a fraction of the unit cost (capital, storage, shrink).
    pub holding_rate: f64,
    /// Fixed cost per purchase order (shipping, handling, admin).
    pub order_cost: f64,
    /// Cost of a unit of demand not met; `None` means the lost margin (price − cost).
    pub stockout_cost: Option<f64>,
    /// Minimum order quantity.
    pub moq: f64,
    /// Units per case: orders are whole cases.
    pub case_pack: f64,
    /// Shelf life (days), for perishable or seasonal items.
    pub shelf_life_days: Option<f64>,
    /// The policy.
    pub policy: PolicyChoice,
    /// The merchant's current rule, if any, as min/max: reorder at or below `min`, up to
    /// `max`. Simulated next to the recommendation.
    pub current_min_max: Option<(f64, f64)>,
    /// The supplier (free text; empty when not given): what-ifs and the supplier
    /// export select SKUs by it.
    pub supplier: String,
}

impl SkuParams {
    /// Defaults for a SKU that sells at `price` on average (0 when unknown): lead time
    /// 7 ± 2 days, weekly review, 95 % cycle service, cost 60 % of price (a 40 % gross
    /// margin, typical of small online retail), 25 % a year holding, 20 per order.
    pub fn defaults(sku: &str, price: f64) -> SkuParams {
        let price = if price.is_finite() && price > 0.0 {
            price
        } else {
            1.0
        };
        SkuParams {
            sku: sku.to_string(),
            on_hand: 0.0,
            on_order: Vec::new(),
            lead_time_days: 7.0,
            lead_time_sd_days: 2.0,
            past_lead_times: Vec::new(),
            review_days: 7.0,
            service: Service::Csl(0.95),
            unit_cost: round_money(0.6 * price),
            price: round_money(price),
            holding_rate: 0.25,
            order_cost: 20.0,
            stockout_cost: None,
            moq: 1.0,
            case_pack: 1.0,
            shelf_life_days: None,
            policy: PolicyChoice::Auto,
            current_min_max: None,
            supplier: String::new(),
        }
    }

    /// The cost of a unit short.
    pub fn shortage_cost(&self) -> f64 {
        self.stockout_cost
            .unwrap_or((self.price - self.unit_cost).max(0.0))
    }

    /// Units on order in total.
    pub fn on_order_total(&self) -> f64 {
        self.on_order.iter().map(|(q, _)| q).sum()
    }

    /// Checks every field against its plausible range ([`MAX_DAYS`], [`MAX_UNITS`],
    /// [`MAX_MONEY`], [`MAX_HOLDING_RATE`], [`MAX_LIST`]); the messages name the
    /// field. Values outside these ranges are typing errors, and left in they made the
    /// planner run for minutes (a lead time of 1e9 days).
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut p = Vec::new();
        let mut within = |name: &str, v: f64, max: f64, unit: &str| {
            if !(v.is_finite() && v >= 0.0) {
                p.push(format!("{name}: {v} must be zero or more"));
            } else if v > max {
                p.push(format!(
                    "{name}: {v} is more than {max} {unit}: check the value"
                ));
            }
        };
        within("on_hand", self.on_hand, MAX_UNITS, "units");
        within("lead_time_days", self.lead_time_days, MAX_DAYS, "days");
        within(
            "lead_time_sd_days",
            self.lead_time_sd_days,
            MAX_DAYS,
            "days",
        );
        within("review_days", self.review_days, MAX_DAYS, "days");
        within("unit_cost", self.unit_cost, MAX_MONEY, "a unit");
        within("price", self.price, MAX_MONEY, "a unit");
        within(
            "holding_rate",
            self.holding_rate,
            MAX_HOLDING_RATE,
            "a year",
        );
        within("order_cost", self.order_cost, MAX_MONEY, "an order");
        within("moq", self.moq, MAX_UNITS, "units");
        if let Some(s) = self.stockout_cost {
            within("stockout_cost", s, MAX_MONEY, "a unit");
        }
        for (q, _) in &self.on_order {
            within("on_order", *q, MAX_UNITS, "units");
        }
        for l in &self.past_lead_times {
            within("past_lead_times", *l, MAX_DAYS, "days");
        }
        if !(self.case_pack.is_finite() && self.case_pack > 0.0 && self.case_pack <= MAX_UNITS) {
            p.push(format!(
                "case_pack: {} must be more than zero and at most {MAX_UNITS}",
                self.case_pack
            ));
        }
        if let Some(s) = self.shelf_life_days
            && !(s.is_finite() && s > 0.0 && s <= MAX_DAYS)
        {
            p.push(format!(
                "shelf_life_days: {s} must be more than zero and at most {MAX_DAYS} days"
            ));
        }
        if self.on_order.len() > MAX_LIST {
            p.push(format!(
                "on_order: {} open orders, more than {MAX_LIST}",
                self.on_order.len()
            ));
        }
        if self.past_lead_times.len() > MAX_LIST {
            p.push(format!(
                "past_lead_times: {} values, more than {MAX_LIST}",
                self.past_lead_times.len()
            ));
        }
        let v = self.service.value();
        if !(v.is_finite() && v > 0.0 && v < 1.0) {
            p.push(format!(
                "service_level: {v} must lie strictly between 0 and 1 (e.g. 0.95)"
            ));
        }
        if let Some((lo, hi)) = self.current_min_max
            && !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi > lo && hi <= MAX_UNITS)
        {
            p.push(format!(
                "current_min/current_max: {lo}/{hi}: need 0 ≤ min < max ≤ {MAX_UNITS}"
            ));
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }
}

/// The longest lead time, review period or shelf life taken (days): ten years.
pub const MAX_DAYS: f64 = 3650.0;
/// The most units on hand, on order, per case or as a minimum order.
pub const MAX_UNITS: f64 = 1e9;
/// The most a unit, an order or a unit short may cost.
pub const MAX_MONEY: f64 = 1e9;
/// The highest holding cost rate (a year, as a fraction of the unit cost).
pub const MAX_HOLDING_RATE: f64 = 10.0;
/// The most open orders or past lead times of one SKU.
pub const MAX_LIST: usize = 1000;

fn round_money(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The CSV columns, in export order.
pub const COLUMNS: [&str; 21] = [
    "sku",
    "on_hand",
    "on_order",
    "lead_time_days",
    "lead_time_sd_days",
    "past_lead_times",
    "review_days",
    "service_type",
    "service_level",
    "unit_cost",
    "price",
    "holding_rate",
    "order_cost",
    "stockout_cost",
    "moq",
    "case_pack",
    "shelf_life_days",
    "policy",
    "current_min",
    "current_max",
    "supplier",
];

fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Writes the parameters as CSV (the same columns the import reads). `on_order` is
/// written as `units@YYYY-MM-DD` entries separated by `;`, past lead times as numbers
/// separated by `;`.
pub fn to_csv(params: &[SkuParams]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for p in params {
        let (stype, slevel) = match p.service {
            Service::Csl(a) => ("csl", a),
            Service::FillRate(b) => ("fill_rate", b),
        };
        let on_order = p
            .on_order
            .iter()
            .map(|(q, d)| format!("{}@{d}", num(*q)))
            .collect::<Vec<_>>()
            .join(";");
        let past = p
            .past_lead_times
            .iter()
            .map(|v| num(*v))
            .collect::<Vec<_>>()
            .join(";");
        let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
        let _ = w.write_record([
            p.sku.clone(),
            num(p.on_hand),
            on_order,
            num(p.lead_time_days),
            num(p.lead_time_sd_days),
            past,
            num(p.review_days),
            stype.into(),
            num(slevel),
            num(p.unit_cost),
            num(p.price),
            num(p.holding_rate),
            num(p.order_cost),
            opt(p.stockout_cost),
            num(p.moq),
            num(p.case_pack),
            opt(p.shelf_life_days),
            p.policy.as_str().into(),
            opt(p.current_min_max.map(|m| m.0)),
            opt(p.current_min_max.map(|m| m.1)),
            p.supplier.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Reads a parameters CSV and merges it into `current` (keyed by SKU): only the
/// columns present and the cells not empty change anything. The file must name the
/// `sku` column; other columns are optional and matched by name in any order. Any
/// problem — an unknown SKU, a bad number, a negative lead time, a service level not
/// below 1 — rejects the whole file with every problem listed by line and column, and
/// `current` is left as it was.
pub fn merge_csv(
    file: &str,
    bytes: &[u8],
    current: &[SkuParams],
) -> Result<Vec<SkuParams>, InventoryError> {
    let fail = |problems: Vec<String>| InventoryError::ParamsFile {
        file: file.to_string(),
        problems,
    };
    let text = super::table::text_of(bytes);
    let mut rdr = super::table::reader(&text);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().to_ascii_lowercase().replace(' ', "_"))
            .collect(),
        Err(e) => return Err(fail(vec![format!("line 1: {e}")])),
    };
    let mut problems = Vec::new();
    for h in &headers {
        if !h.is_empty() && !COLUMNS.contains(&h.as_str()) {
            problems.push(format!(
                "line 1: unknown column \"{h}\" (known: {})",
                COLUMNS.join(", ")
            ));
        }
    }
    let Some(sku_col) = headers.iter().position(|h| h == "sku") else {
        problems.push("line 1: no \"sku\" column".into());
        return Err(fail(problems));
    };
    let index: HashMap<&str, usize> = current
        .iter()
        .enumerate()
        .map(|(i, p)| (p.sku.as_str(), i))
        .collect();
    let mut out = current.to_vec();
    let mut seen = HashMap::new();
    for (row, rec) in rdr.records().enumerate() {
        let line = row + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let sku = rec.get(sku_col).unwrap_or("").trim();
        let Some(&i) = index.get(sku).or_else(|| {
            // SKU codes were merged across letter case at ingest.
            index.get(sku.to_uppercase().as_str())
        }) else {
            problems.push(format!(
                "line {line}, column sku: unknown SKU \"{sku}\" (not in the loaded data)"
            ));
            continue;
        };
        if let Some(prev) = seen.insert(i, line) {
            problems.push(format!(
                "line {line}, column sku: \"{sku}\" already given on line {prev}"
            ));
            continue;
        }
        let p = &mut out[i];
        let mut service_type: Option<&str> = None;
        let mut service_level: Option<f64> = None;
        let (mut cur_min, mut cur_max) = (None, None);
        for (c, h) in headers.iter().enumerate() {
            let cell = rec.get(c).unwrap_or("").trim();
            if cell.is_empty() || c == sku_col {
                continue;
            }
            let at = format!("line {line}, column {h}");
            let number = |problems: &mut Vec<String>| -> Option<f64> {
                match parse_num(cell) {
                    Some(v) => Some(v),
                    None => {
                        problems.push(format!("{at}: \"{cell}\" is not a number"));
                        None
                    }
                }
            };
            match h.as_str() {
                "on_hand" => set(number(&mut problems), &mut p.on_hand),
                "lead_time_days" => set(number(&mut problems), &mut p.lead_time_days),
                "lead_time_sd_days" => set(number(&mut problems), &mut p.lead_time_sd_days),
                "review_days" => set(number(&mut problems), &mut p.review_days),
                "unit_cost" => set(number(&mut problems), &mut p.unit_cost),
                "price" => set(number(&mut problems), &mut p.price),
                "holding_rate" => set(number(&mut problems), &mut p.holding_rate),
                "order_cost" => set(number(&mut problems), &mut p.order_cost),
                "moq" => set(number(&mut problems), &mut p.moq),
                "case_pack" => set(number(&mut problems), &mut p.case_pack),
                "stockout_cost" => {
                    if let Some(v) = number(&mut problems) {
                        p.stockout_cost = Some(v);
                    }
                }
                "shelf_life_days" => {
                    if let Some(v) = number(&mut problems) {
                        p.shelf_life_days = Some(v);
                    }
                }
                "service_level" => {
                    service_level = number(&mut problems).map(|v| if v > 1.0 && v < 100.0 && cell.ends_with('%') { v / 100.0 } else { v });
                }
                "service_type" => service_type = Some(cell),
                "supplier" => p.supplier = cell.to_string(),
                "current_min" => cur_min = number(&mut problems),
                "current_max" => cur_max = number(&mut problems),
                "policy" => match PolicyChoice::parse(cell) {
                    Some(c) => p.policy = c,
                    None => problems.push(format!(
                        "{at}: unknown policy \"{cell}\" (auto, rq, order-up-to, min-max, newsvendor)"
                    )),
                },
                "past_lead_times" => {
                    let mut v = Vec::new();
                    for part in cell.split([';', ' ', '|']).filter(|s| !s.is_empty()) {
                        match parse_num(part) {
                            Some(x) => v.push(x),
                            None => problems.push(format!("{at}: \"{part}\" is not a number of days")),
                        }
                    }
                    p.past_lead_times = v;
                }
                "on_order" => {
                    let mut v = Vec::new();
                    for part in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                        let parsed = part.split_once('@').and_then(|(q, d)| {
                            Some((parse_num(q)?, NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()?))
                        });
                        match parsed {
                            Some(x) => v.push(x),
                            None => problems.push(format!(
                                "{at}: \"{part}\" should be units@YYYY-MM-DD, e.g. 40@2026-12-01"
                            )),
                        }
                    }
                    p.on_order = v;
                }
                _ => {}
            }
        }
        let kind = service_type.map(|t| t.to_ascii_lowercase().replace([' ', '-'], "_"));
        let level = service_level.unwrap_or(p.service.value());
        p.service = match kind.as_deref() {
            None => p.service.with_value(level),
            Some("csl" | "cycle_service_level" | "cycle") => Service::Csl(level),
            Some("fill_rate" | "fill" | "fillrate") => Service::FillRate(level),
            Some(other) => {
                problems.push(format!(
                    "line {line}, column service_type: unknown \"{other}\" (csl or fill_rate)"
                ));
                p.service
            }
        };
        match (cur_min, cur_max) {
            (Some(a), Some(b)) => p.current_min_max = Some((a, b)),
            (None, None) => {}
            _ => problems.push(format!(
                "line {line}, columns current_min/current_max: give both or neither"
            )),
        }
        if let Err(errs) = p.validate() {
            for e in errs {
                let col = e.split(':').next().unwrap_or("").to_string();
                problems.push(format!(
                    "line {line}, column {col}: {}",
                    e[col.len() + 1..].trim()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(fail(problems))
    }
}

fn set(v: Option<f64>, field: &mut f64) {
    if let Some(v) = v {
        *field = v;
    }
}

/// A number as shops' exports write it: currency signs, percent signs and digit-group
/// spaces or apostrophes dropped; "1,234" and "1,234,567.50" with commas grouping
/// thousands, "1.234,50" and "12,5" with a decimal comma.
///
/// Why a comma before exactly three digits groups thousands: stock and order counts
/// are whole numbers, and an English-locale export (Shopify, Excel) writes 1,234 units
/// that way; read as a decimal comma it became 1.234 units on hand. A decimal comma
/// with three decimals ("1,234" euros) is the rarer case and is misread.
pub(crate) fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').trim();
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    let v: f64 = t.parse().ok().or_else(|| {
        let (c, d) = (t.rfind(','), t.rfind('.'));
        let plain = match (c, d) {
            // Both: the later one is the decimal point, the other groups digits.
            (Some(c), Some(d)) if c > d => {
                grouped(&t[..c], '.').map(|int| format!("{int}.{}", &t[c + 1..]))?
            }
            (Some(_), Some(d)) => grouped(&t[..d], ',').map(|int| format!("{int}{}", &t[d..]))?,
            (Some(_), None) => grouped(&t, ',').unwrap_or_else(|| t.replacen(',', ".", 1)),
            (None, Some(_)) => grouped(&t, '.')?,
            (None, None) => return None,
        };
        plain.parse().ok()
    })?;
    v.is_finite().then_some(v)
}

/// `s` without its separators `sep` when they group digits by three ("1,234,567"; a
/// sign first is kept), else `None`.
fn grouped(s: &str, sep: char) -> Option<String> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = body.split(sep);
    let first = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let ok = !rest.is_empty()
        && digits(first)
        && first.len() <= 3
        && rest.iter().all(|p| p.len() == 3 && digits(p));
    ok.then(|| s.replace(sep, ""))
}

/// The first bytes of stored parameters.
pub const STORED_MAGIC: [u8; 4] = *b"SCPA";
/// The stored parameters' format: 2 adds the header and the supplier; the bare
/// postcard list of the first versions (format 1, no supplier) is still read.
pub const STORED_FORMAT: u16 = 2;

/// The parameters as the first versions stored them (no supplier).
#[derive(Deserialize)]
struct SkuParamsV1 {
    sku: String,
    on_hand: f64,
    on_order: Vec<(f64, NaiveDate)>,
    lead_time_days: f64,
    lead_time_sd_days: f64,
    past_lead_times: Vec<f64>,
    review_days: f64,
    service: Service,
    unit_cost: f64,
    price: f64,
    holding_rate: f64,
    order_cost: f64,
    stockout_cost: Option<f64>,
    moq: f64,
    case_pack: f64,
    shelf_life_days: Option<f64>,
    policy: PolicyChoice,
    current_min_max: Option<(f64, f64)>,
}

impl From<SkuParamsV1> for SkuParams {
    fn from(v: SkuParamsV1) -> SkuParams {
        SkuParams {
            sku: v.sku,
            on_hand: v.on_hand,
            on_order: v.on_order,
            lead_time_days: v.lead_time_days,
            lead_time_sd_days: v.lead_time_sd_days,
            past_lead_times: v.past_lead_times,
            review_days: v.review_days,
            service: v.service,
            unit_cost: v.unit_cost,
            price: v.price,
            holding_rate: v.holding_rate,
            order_cost: v.order_cost,
            stockout_cost: v.stockout_cost,
            moq: v.moq,
            case_pack: v.case_pack,
            shelf_life_days: v.shelf_life_days,
            policy: v.policy,
            current_min_max: v.current_min_max,
            supplier: String::new(),
        }
    }
}

/// The bytes kept in the browser's storage: [`STORED_MAGIC`], [`STORED_FORMAT`] (two
/// little-endian bytes) and the list.
pub fn to_stored_bytes(params: &[SkuParams]) -> Vec<u8> {
    let mut out = STORED_MAGIC.to_vec();
    out.extend_from_slice(&STORED_FORMAT.to_le_bytes());
    out.extend(postcard::to_allocvec(params).unwrap_or_default());
    out
}

/// Reads stored parameters: this format or the first versions' bare list. A newer
/// format, damaged bytes or a value outside its plausible range
/// ([`SkuParams::validate`]: bytes that decode can still hold a lead time of 1e300
/// days) are an error saying which (the caller keeps the bytes).
pub fn from_stored_bytes(bytes: &[u8]) -> Result<Vec<SkuParams>, String> {
    let params = decode_stored(bytes)?;
    for p in &params {
        if let Err(problems) = p.validate() {
            return Err(format!(
                "the saved parameters of {} are out of range: {}",
                p.sku,
                problems.join("; ")
            ));
        }
    }
    Ok(params)
}

fn decode_stored(bytes: &[u8]) -> Result<Vec<SkuParams>, String> {
    match bytes.strip_prefix(STORED_MAGIC.as_slice()) {
        Some(rest) if rest.len() >= 2 => {
            let format = u16::from_le_bytes([rest[0], rest[1]]);
            if format > STORED_FORMAT {
                return Err(format!(
                    "the saved parameters are from a newer version of supplycast (format {format}; this version reads formats 1 to {STORED_FORMAT})"
                ));
            }
            postcard::from_bytes(&rest[2..])
                .map_err(|e| format!("the saved parameters (format {format}) do not decode: {e}"))
        }
        Some(_) => Err("the saved parameters are cut short".into()),
        None => postcard::from_bytes::<Vec<SkuParamsV1>>(bytes)
            .map(|v| v.into_iter().map(SkuParams::from).collect())
            .map_err(|e| format!("the saved parameters are in no format this version knows ({e})")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_read_as_exports_write_them() {
        use super::parse_num;
        for (s, v) in [
            ("1234", 1234.0),
            ("12.5", 12.5),
            ("12,5", 12.5),
            ("1,234", 1234.0),
            ("1,234,567", 1_234_567.0),
            ("1,234.50", 1234.5),
            ("1.234,50", 1234.5),
            ("1.234.567", 1_234_567.0),
            ("-1,234", -1234.0),
            ("1 234", 1234.0),
            ("1\u{a0}234,5", 1234.5),
            ("1'234.5", 1234.5),
            ("$1,299.00", 1299.0),
            ("€ 12,99", 12.99),
            ("25%", 25.0),
            ("0,1234", 0.1234),
        ] {
            assert_eq!(parse_num(s), Some(v), "{s}");
        }
        for s in [
            "",
            "abc",
            "1,2,3",
            "12,34,567",
            "1.2.3",
            "1,234.5.6",
            "inf",
            "NaN",
            "1e999",
        ] {
            assert_eq!(parse_num(s), None, "{s}");
        }
    }

    use super::*;

    fn base() -> Vec<SkuParams> {
        vec![
            SkuParams::defaults("A", 10.0),
            SkuParams::defaults("B", 0.0),
        ]
    }

    #[test]
    fn defaults_are_valid() {
        let b = base();
        assert!(b.iter().all(|p| p.validate().is_ok()));
        assert_eq!(b[0].unit_cost, 6.0);
        assert_eq!(b[0].shortage_cost(), 4.0);
        assert_eq!(b[1].price, 1.0);
    }

    #[test]
    fn csv_round_trip_and_merge() {
        let mut b = base();
        b[0].on_hand = 12.0;
        b[0].on_order = vec![(40.0, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())];
        b[0].past_lead_times = vec![5.0, 9.0];
        b[0].service = Service::FillRate(0.98);
        b[0].current_min_max = Some((5.0, 30.0));
        b[1].shelf_life_days = Some(30.0);
        b[1].policy = PolicyChoice::Newsvendor;
        let text = to_csv(&b);
        let back = merge_csv("p.csv", text.as_bytes(), &base()).unwrap();
        assert_eq!(back, b);
        // Partial files change only what they name.
        let partial = "SKU;On Hand;service_level\nB;7;0.9\n";
        let m = merge_csv("p.csv", partial.as_bytes(), &b).unwrap();
        assert_eq!(m[1].on_hand, 7.0);
        assert_eq!(m[1].service, Service::Csl(0.9));
        assert_eq!(m[0], b[0]);
    }

    /// A lead time of 1e9 days made `plan` hang; every field has a plausible range,
    /// checked where the file is read.
    #[test]
    fn implausible_values_are_refused_with_line_and_column() {
        let bad = "sku,lead_time_days,review_days,on_hand,unit_cost,holding_rate,shelf_life_days,case_pack\nA,1e9,36500,2e9,1e12,50,40000,1e-3\n";
        let Err(InventoryError::ParamsFile { problems, .. }) =
            merge_csv("p.csv", bad.as_bytes(), &base())
        else {
            panic!("must fail");
        };
        let all = problems.join("\n");
        for col in [
            "lead_time_days: 1000000000 is more than 3650 days",
            "review_days: 36500 is more than 3650 days",
            "on_hand: 2000000000 is more than 1000000000 units",
            "unit_cost: 1000000000000 is more than 1000000000 a unit",
            "holding_rate: 50 is more than 10 a year",
            "shelf_life_days: 40000 must be more than zero and at most 3650 days",
        ] {
            let (name, msg) = col.split_once(": ").unwrap();
            assert!(
                all.contains(&format!("line 2, column {name}: {msg}")),
                "{col}\n{all}"
            );
        }
        assert_eq!(
            problems.len(),
            6,
            "a case pack of 0.001 (kg) is fine: {all}"
        );
        // The largest plausible values pass.
        let edge = "sku,lead_time_days,review_days,on_hand\nA,3650,3650,1e9\n";
        assert!(merge_csv("p.csv", edge.as_bytes(), &base()).is_ok());
    }

    #[test]
    fn bad_files_change_nothing_and_name_line_and_column() {
        let b = base();
        let bad = "sku,on_hand,lead_time_days,service_level,on_order\nA,5,-3,0.9,\nZZ,1,2,0.9,\nB,x,2,1.0,3@2026-13-01\n";
        let Err(InventoryError::ParamsFile { file, problems }) =
            merge_csv("stock.csv", bad.as_bytes(), &b)
        else {
            panic!("must fail");
        };
        assert_eq!(file, "stock.csv");
        let all = problems.join("\n");
        assert!(all.contains("line 2, column lead_time_days"), "{all}");
        assert!(
            all.contains("line 3, column sku: unknown SKU \"ZZ\""),
            "{all}"
        );
        assert!(
            all.contains("line 4, column on_hand: \"x\" is not a number"),
            "{all}"
        );
        assert!(all.contains("line 4, column service_level"), "{all}");
        assert!(all.contains("line 4, column on_order"), "{all}");
        assert!(merge_csv("s.csv", b"on_hand\n3\n", &b).is_err());
        assert!(merge_csv("s.csv", b"sku,colour\nA,red\n", &b).is_err());
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;

    #[test]
    fn stored_parameters_round_trip_and_the_first_format_still_reads() {
        let mut p = SkuParams::defaults("A", 10.0);
        p.supplier = "Acme".into();
        p.on_hand = 12.0;
        let back = from_stored_bytes(&to_stored_bytes(std::slice::from_ref(&p))).unwrap();
        assert_eq!(back, vec![p.clone()]);
        // Format 1: the bare list without the supplier, as the previous version wrote.
        #[derive(Serialize)]
        struct V1<'a>(
            &'a str,
            f64,
            &'a [(f64, NaiveDate)],
            f64,
            f64,
            &'a [f64],
            f64,
            Service,
            f64,
            f64,
            f64,
            f64,
            Option<f64>,
            f64,
            f64,
            Option<f64>,
            PolicyChoice,
            Option<(f64, f64)>,
        );
        let old = V1(
            &p.sku,
            p.on_hand,
            &p.on_order,
            p.lead_time_days,
            p.lead_time_sd_days,
            &p.past_lead_times,
            p.review_days,
            p.service,
            p.unit_cost,
            p.price,
            p.holding_rate,
            p.order_cost,
            p.stockout_cost,
            p.moq,
            p.case_pack,
            p.shelf_life_days,
            p.policy,
            p.current_min_max,
        );
        let bytes = postcard::to_allocvec(&vec![old]).unwrap();
        let read = from_stored_bytes(&bytes).unwrap();
        assert_eq!(read[0].on_hand, 12.0);
        assert_eq!(read[0].supplier, "");
        let mut newer = to_stored_bytes(&[p]);
        newer[4] = 9;
        assert!(
            from_stored_bytes(&newer)
                .unwrap_err()
                .contains("newer version")
        );
    }
}
