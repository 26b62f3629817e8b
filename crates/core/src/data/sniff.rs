//! Sniffing a merchant's export before any row is read: text decoding, the delimiter,
//! the format (long, wide, order lines) and the column mapping, from the header and a
//! few rows. Row parsing is in [`super::ingest`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::DataError;
use super::dates::{self, DateStyle};
use super::ingest::parse_number;

/// The shape of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// One row per order line (order id, timestamp, SKU, quantity, price, ...).
    OrderLines,
    /// One row per SKU and period (`date, sku, quantity`; Nixtla's `unique_id, ds, y`).
    Long,
    /// A date column and one column per SKU.
    Wide,
}

impl Format {
    /// Every format, for menus.
    pub const ALL: [Format; 3] = [Format::OrderLines, Format::Long, Format::Wide];

    /// A short name for the merchant.
    pub fn label(self) -> &'static str {
        match self {
            Format::OrderLines => "Order lines",
            Format::Long => "Long series (date, SKU, quantity)",
            Format::Wide => "Wide series (a column per SKU)",
        }
    }
}

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Order or invoice number.
    OrderId,
    /// Date or timestamp of the order (or the period in a series).
    Date,
    /// Product code.
    Sku,
    /// Units sold.
    Quantity,
    /// Unit price.
    Price,
    /// Customer identifier.
    Customer,
    /// Order status (paid, refunded, voided, ...).
    Status,
    /// Product name.
    Description,
    /// When the order was cancelled, if it was.
    CancelledAt,
    /// Country of the customer.
    Country,
    // The roles below were added after the first stored datasets: they stay last so
    // that the stored bytes of older mappings (variant indices) still decode.
    /// Time of day, in its own column beside a date column (point-of-sale exports).
    Time,
    /// The line's total price (quantity × unit price): Amazon's `item-price`. Read
    /// as a unit price of total / quantity when the file has no unit price.
    LineTotal,
    /// A line item's own status beside the order's (Amazon's `item-status`).
    ItemStatus,
}

impl Role {
    /// Every role, in the order the mapping editor shows them.
    pub const ALL: [Role; 13] = [
        Role::Date,
        Role::Time,
        Role::Sku,
        Role::Quantity,
        Role::OrderId,
        Role::Price,
        Role::LineTotal,
        Role::Customer,
        Role::Description,
        Role::Status,
        Role::ItemStatus,
        Role::CancelledAt,
        Role::Country,
    ];

    /// The name of the role for the merchant.
    pub fn label(self) -> &'static str {
        match self {
            Role::OrderId => "order id",
            Role::Date => "date",
            Role::Sku => "SKU",
            Role::Quantity => "quantity",
            Role::Price => "price",
            Role::Customer => "customer",
            Role::Status => "status",
            Role::Description => "description",
            Role::CancelledAt => "cancelled at",
            Role::Country => "country",
            Role::Time => "time of day",
            Role::LineTotal => "line total",
            Role::ItemStatus => "item status",
        }
    }

    /// Header names (lower case, letters and digits only) that mean this role, best first.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Role::OrderId => &[
                "amazonorderid",
                "invoice",
                "invoiceno",
                "invoicenumber",
                "orderid",
                "ordernumber",
                "orderno",
                "order",
                "transaction",
                "transactionid",
                "transactionno",
                "receipt",
                "receiptno",
                "receiptnumber",
                "name",
            ],
            Role::Date => &[
                "invoicedate",
                "createdat",
                "orderdate",
                "purchasedate",
                "date",
                "ds",
                "timestamp",
                "datetime",
                "day",
                "week",
                "period",
                "time",
                "paidat",
            ],
            Role::Sku => &[
                "stockcode",
                "lineitemsku",
                "sku",
                "itemsku",
                "variantsku",
                "productsku",
                "productid",
                "productcode",
                "itemid",
                "itemcode",
                "uniqueid",
                "item",
                "article",
            ],
            Role::Quantity => &[
                "quantity",
                "lineitemquantity",
                "itemquantity",
                "qty",
                "y",
                "units",
                "unitssold",
                "quantitysold",
                "sales",
                "demand",
            ],
            Role::Price => &[
                "price",
                "unitprice",
                "lineitemprice",
                "itemprice",
                "saleprice",
                // WooCommerce's order exports: the price of one unit, as its order
                // screen's "Cost" column.
                "itemcost",
            ],
            Role::Customer => &[
                "customerid",
                "customer",
                "customeremail",
                "email",
                "billingemail",
                "emailbilling",
                "buyeremail",
                "clientid",
                "buyer",
            ],
            Role::Status => &["financialstatus", "orderstatus", "paymentstatus", "status"],
            Role::Description => &[
                "description",
                "lineitemname",
                "productname",
                "itemname",
                "title",
                "product",
            ],
            Role::CancelledAt => &["cancelledat", "canceledat"],
            Role::Country => &[
                "country",
                "billingcountry",
                "shippingcountry",
                "shipcountry",
                "countrycodebilling",
            ],
            // "time" is also a date synonym: a lone `Time` column is the timestamp, and
            // only a second column beside a date is a time of day.
            Role::Time => &["time", "timeofday", "transactiontime", "saletime"],
            Role::LineTotal => &["itemtotal", "linetotal", "lineitemtotal", "itemprice"],
            Role::ItemStatus => &["itemstatus", "lineitemstatus"],
        }
    }
}

/// Which column (0-based) plays which role, and the format the rows are read as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// How rows are read.
    pub format: Format,
    /// Column index per role; roles without a column are absent.
    pub columns: Vec<(Role, usize)>,
}

impl ColumnMapping {
    /// The column of a role, if mapped.
    pub fn get(&self, role: Role) -> Option<usize> {
        self.columns
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| *c)
    }

    /// Maps `role` to `column`, or unmaps it with `None`.
    pub fn set(&mut self, role: Role, column: Option<usize>) {
        self.columns.retain(|(r, _)| *r != role);
        if let Some(c) = column {
            self.columns.push((role, c));
            self.columns.sort();
        }
    }
}

/// Settings for reading a file; `None` means "detect".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// Field delimiter.
    pub delimiter: Option<u8>,
    /// Format and column roles.
    pub mapping: Option<ColumnMapping>,
    /// Date style.
    pub date_style: Option<DateStyle>,
    /// Read the file even though some rows cannot be read, leaving those rows out.
    pub skip_bad_rows: bool,
}

/// The text encoding a file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8 (a byte-order mark, if any, is dropped).
    Utf8,
    /// UTF-16 with a byte-order mark (spreadsheet "Unicode text" exports).
    Utf16,
    /// Not valid UTF-8: read as Windows-1252, as older spreadsheet exports are.
    Windows1252,
}

/// What the first rows of a file say about it: shown to the merchant before loading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sniff {
    /// The file's name.
    pub file: String,
    /// Text encoding.
    pub encoding: Encoding,
    /// Field delimiter.
    pub delimiter: u8,
    /// Header names as written.
    pub headers: Vec<String>,
    /// The first data rows.
    pub preview: Vec<Vec<String>>,
    /// Detected (or overridden) format and roles.
    pub mapping: ColumnMapping,
    /// Detected (or overridden) date style.
    pub date_style: DateStyle,
}

/// Decodes file bytes to text.
pub fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<(Cow<'a, str>, Encoding), DataError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty {
            file: file.to_string(),
        });
    }
    if let Some(rest) = bytes
        .strip_prefix(&[0xFF, 0xFE])
        .or_else(|| bytes.strip_prefix(&[0xFE, 0xFF]))
    {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        let text = String::from_utf16(&units).map_err(|_| DataError::NotText {
            file: file.to_string(),
            detail: "it starts like UTF-16 text but holds invalid characters".into(),
        })?;
        check_text(file, text.as_bytes())?;
        return Ok((Cow::Owned(text), Encoding::Utf16));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    check_text(file, bytes)?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
        Err(_) => Ok((
            Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
            Encoding::Windows1252,
        )),
    }
}

/// Rejects binary files: NUL bytes or many control characters in the first 64 KiB.
fn check_text(file: &str, bytes: &[u8]) -> Result<(), DataError> {
    let head = &bytes[..bytes.len().min(65536)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if head.contains(&0) || control * 100 > head.len() {
        return Err(DataError::NotText {
            file: file.to_string(),
            detail: "it holds binary data; export the sheet as CSV and try again".into(),
        });
    }
    Ok(())
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Picks the delimiter whose count per line is the most consistent over the first lines.
pub fn detect_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    let mut best = (b',', 0.0, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&head) = counts.first() else {
            continue;
        };
        if head == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == head).count() as f64 / counts.len() as f64;
        if consistent > best.1 || (consistent == best.1 && head > best.2) {
            best = (d, consistent, head);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Guesses the format and column roles from the header names.
pub fn detect_mapping(file: &str, headers: &[String]) -> Result<ColumnMapping, DataError> {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let shopify_like = norm.iter().any(|h| h.starts_with("lineitem"));
    // Amazon's order reports call the line's total `item-price`: there it is no unit
    // price, and a unit price read from it would multiply revenue by the quantity.
    let amazon_like = norm.iter().any(|h| h == "amazonorderid");
    let mut taken = vec![false; headers.len()];
    let mut columns = Vec::new();
    // Roles with the most specific names claim their columns first.
    for role in [
        Role::CancelledAt,
        Role::Date,
        Role::Time,
        Role::Sku,
        Role::Quantity,
        Role::Price,
        Role::LineTotal,
        Role::OrderId,
        Role::Customer,
        Role::ItemStatus,
        Role::Status,
        Role::Country,
        Role::Description,
    ] {
        let found = role.synonyms().iter().find_map(|syn| {
            if *syn == "name" && !shopify_like {
                return None;
            }
            if *syn == "itemprice" && (role == Role::Price) == amazon_like {
                return None;
            }
            norm.iter()
                .enumerate()
                .find(|(i, h)| !taken[*i] && h.as_str() == *syn)
                .map(|(i, _)| i)
        });
        if let Some(i) = found {
            taken[i] = true;
            columns.push((role, i));
        }
    }
    columns.sort();
    let has = |r: Role| columns.iter().any(|(c, _)| *c == r);
    let order_evidence = has(Role::OrderId) || has(Role::Price) || has(Role::LineTotal);
    let format = if has(Role::Date) && has(Role::Sku) && has(Role::Quantity) {
        if order_evidence {
            Format::OrderLines
        } else {
            Format::Long
        }
    } else if has(Role::Date)
        && !has(Role::Quantity)
        && (has(Role::Sku) || has(Role::Description))
        && (order_evidence || has(Role::Time))
    {
        // Point-of-sale and marketplace exports without a quantity column: one row is
        // one unit sold. An order id, price or time of day beside the product tells
        // such a file from a wide one (whose other columns are all SKUs).
        Format::OrderLines
    } else if has(Role::Date) && headers.len() >= 2 {
        // A wide file's other columns are SKUs, whatever their names; a time of day
        // beside the date is kept so that it is not read as one.
        columns.retain(|(r, _)| matches!(r, Role::Date | Role::Time));
        Format::Wide
    } else {
        return Err(DataError::UnknownFormat {
            file: file.to_string(),
            columns: headers.to_vec(),
        });
    };
    Ok(ColumnMapping { format, columns })
}

/// Unmaps a detected time-of-day column whose first values are mostly not times of
/// day (a `Time` column holding durations or whole timestamps): it is then ignored
/// rather than misread. A stray unreadable time is tolerated, as at row level.
fn check_time_column(mapping: &mut ColumnMapping, preview: &[Vec<String>]) {
    let Some(tc) = mapping.get(Role::Time) else {
        return;
    };
    let values: Vec<&str> = preview
        .iter()
        .filter_map(|r| r.get(tc))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let times = values
        .iter()
        .filter(|v| dates::parse_time_of_day(v).is_some())
        .count();
    if times * 2 <= values.len() {
        mapping.set(Role::Time, None);
    }
}

/// When no header names a date: a wide file whose date column is found by its values
/// (every preview value parses as a date) and whose other columns are numbers.
fn date_column_by_values(headers: &[String], preview: &[Vec<String>]) -> Option<ColumnMapping> {
    let column = |c: usize| {
        preview
            .iter()
            .filter_map(move |r| r.get(c))
            .map(String::as_str)
    };
    let date_col = (0..headers.len()).find(|&c| {
        let style = dates::detect_style(column(c));
        style.is_some_and(|st| column(c).all(|v| dates::parse_datetime(v, st).is_some()))
    })?;
    let numeric = (0..headers.len()).filter(|&c| c != date_col).all(|c| {
        column(c).all(|v| {
            v.trim().is_empty()
                || parse_number(v, true).is_some()
                || parse_number(v, false).is_some()
        })
    });
    numeric.then(|| ColumnMapping {
        format: Format::Wide,
        columns: vec![(Role::Date, date_col)],
    })
}

/// Checks that a mapping has what its format needs and points at real columns.
pub fn check_mapping(
    file: &str,
    mapping: &ColumnMapping,
    headers: &[String],
) -> Result<(), DataError> {
    for (role, col) in &mapping.columns {
        if *col >= headers.len() {
            return Err(DataError::MissingColumn {
                file: file.to_string(),
                role: role.label().to_string(),
                found: headers.to_vec(),
            });
        }
    }
    let needed: &[Role] = match mapping.format {
        // Order lines without a quantity are one unit per row, and without a SKU
        // column the product name stands in for the code (as for a blank SKU).
        Format::OrderLines => &[Role::Date],
        Format::Long => &[Role::Date, Role::Sku, Role::Quantity],
        Format::Wide => &[Role::Date],
    };
    for role in needed {
        if mapping.get(*role).is_none() {
            return Err(DataError::MissingColumn {
                file: file.to_string(),
                role: role.label().to_string(),
                found: headers.to_vec(),
            });
        }
    }
    if mapping.format == Format::OrderLines
        && mapping.get(Role::Sku).is_none()
        && mapping.get(Role::Description).is_none()
    {
        return Err(DataError::MissingColumn {
            file: file.to_string(),
            role: "SKU (or product name)".into(),
            found: headers.to_vec(),
        });
    }
    if mapping.format == Format::Wide && headers.len() < 2 {
        return Err(DataError::MissingColumn {
            file: file.to_string(),
            role: "SKU columns".into(),
            found: headers.to_vec(),
        });
    }
    Ok(())
}

pub(super) fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes())
}

pub(super) fn field_str(rec: &csv::ByteRecord, i: usize) -> &str {
    rec.get(i)
        .and_then(|f| std::str::from_utf8(f).ok())
        .unwrap_or("")
}

fn csv_error(file: &str, e: &csv::Error) -> DataError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    DataError::Malformed {
        file: file.to_string(),
        line,
        detail: e.to_string(),
    }
}

/// Reads the header and first rows and detects everything `opts` leaves open.
pub fn sniff(file: &str, bytes: &[u8], opts: &ReadOptions) -> Result<Sniff, DataError> {
    let (text, encoding) = decode(file, bytes)?;
    sniff_text(file, &text, encoding, opts)
}

pub(super) fn sniff_text(
    file: &str,
    text: &str,
    encoding: Encoding,
    opts: &ReadOptions,
) -> Result<Sniff, DataError> {
    let delimiter = opts.delimiter.unwrap_or_else(|| detect_delimiter(text));
    let mut rdr = reader(text, delimiter);
    let mut rec = csv::ByteRecord::new();
    let mut headers = None;
    let mut preview = Vec::new();
    let mut date_samples = Vec::new();
    while preview.len() < 200 {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(file, &e)),
        }
        let row: Vec<String> = (0..rec.len())
            .map(|i| field_str(&rec, i).trim().to_string())
            .collect();
        if row.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(row);
        } else {
            preview.push(row);
        }
    }
    let headers = headers.ok_or_else(|| DataError::Empty {
        file: file.to_string(),
    })?;
    if headers.len() < 2 {
        let d = char::from(delimiter);
        return Err(DataError::OneColumn {
            file: file.to_string(),
            delimiter: if d == '\t' {
                "tab".into()
            } else {
                format!("'{d}'")
            },
        });
    }
    if preview.is_empty() {
        return Err(DataError::HeaderOnly {
            file: file.to_string(),
        });
    }
    let mapping = match &opts.mapping {
        Some(m) => m.clone(),
        None => {
            let mut m = detect_mapping(file, &headers)
                .or_else(|e| date_column_by_values(&headers, &preview).ok_or(e))?;
            check_time_column(&mut m, &preview);
            m
        }
    };
    check_mapping(file, &mapping, &headers)?;
    if let Some(dc) = mapping.get(Role::Date) {
        date_samples.extend(preview.iter().filter_map(|r| r.get(dc)).cloned());
    }
    let date_style = match opts.date_style {
        Some(s) => s,
        None => dates::detect_style(date_samples.iter().map(String::as_str)).ok_or_else(|| {
            let dc = mapping.get(Role::Date).unwrap_or(0);
            DataError::BadDates {
                file: file.to_string(),
                column: headers.get(dc).cloned().unwrap_or_default(),
                example: date_samples.first().cloned().unwrap_or_default(),
            }
        })?,
    };
    preview.truncate(10);
    Ok(Sniff {
        file: file.to_string(),
        encoding,
        delimiter,
        headers,
        preview,
        mapping,
        date_style,
    })
}
