//! Sales data in: reading exports, cleaning, aggregation to per-SKU series, and the
//! data-quality report.
//!
//! The flow is one way: bytes → [`ingest::parse`] (lines) → [`clean::clean`] (sales)
//! → [`series::aggregate`] (calendar and per-SKU totals) → [`Dataset`] with its
//! [`CleaningReport`] and per-SKU [`SkuQuality`].

pub mod bundles;
pub mod clean;
pub mod dates;
pub mod ingest;
pub mod long;
pub mod quality;
pub mod series;
pub mod sniff;
pub mod update;

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use clean::{CancellationRule, CleaningCounts, Tally};
pub use dates::DateStyle;
pub use ingest::{ColumnMapping, Encoding, Format, ReadOptions, Role, Sniff};
pub use quality::{DemandClass, Flag};
pub use series::{Calendar, Frequency};

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// 1-based line in the file.
    pub line: u64,
    /// The column, as "number (header)"; empty when the whole row is at fault.
    pub column: String,
    /// The offending value (shortened).
    pub value: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if !self.column.is_empty() {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.value.is_empty() {
            write!(f, " ('{}')", self.value)?;
        }
        Ok(())
    }
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum DataError {
    /// The file has no content.
    #[error("{file}: the file is empty")]
    Empty {
        /// File name.
        file: String,
    },
    /// The file is not text.
    #[error("{file}: this is not a CSV text file: {detail}")]
    NotText {
        /// File name.
        file: String,
        /// What was seen.
        detail: String,
    },
    /// Only one column was found.
    #[error(
        "{file}: only one column found with the {delimiter} delimiter; is this a CSV export with a header row?"
    )]
    OneColumn {
        /// File name.
        file: String,
        /// The delimiter tried.
        delimiter: String,
    },
    /// A header and no data.
    #[error("{file}: the file has a header row but no data rows")]
    HeaderOnly {
        /// File name.
        file: String,
    },
    /// The columns fit no known format.
    #[error(
        "{file}: cannot tell the format from the columns {columns:?}; expected order lines (date, SKU, quantity, order id or price), a long series (date, sku, quantity) or a wide series (a date column and one column per SKU); choose the columns by hand"
    )]
    UnknownFormat {
        /// File name.
        file: String,
        /// The header names found.
        columns: Vec<String>,
    },
    /// A column the format needs is missing.
    #[error("{file}: line 1: no column for the {role}; the columns are {found:?}")]
    MissingColumn {
        /// File name.
        file: String,
        /// The role without a column.
        role: String,
        /// The header names found.
        found: Vec<String>,
    },
    /// The date column's values fit no date style.
    #[error(
        "{file}: column '{column}': cannot read '{example}' as a date (YYYY-MM-DD, M/D/YYYY or D/M/YYYY, with an optional time)"
    )]
    BadDates {
        /// File name.
        file: String,
        /// Header of the date column.
        column: String,
        /// A value that did not parse.
        example: String,
    },
    /// The CSV structure itself is broken.
    #[error("{file}: line {line}: {detail}")]
    Malformed {
        /// File name.
        file: String,
        /// Line number.
        line: u64,
        /// What the CSV reader said.
        detail: String,
    },
    /// Some rows could not be read; nothing was loaded.
    #[error("{file}: {bad} of {rows} rows cannot be read (first: {}); nothing was loaded — fix the file, or load it without these rows", problems.first().map(|p| p.to_string()).unwrap_or_default())]
    BadRows {
        /// File name.
        file: String,
        /// Rows that could not be read.
        bad: usize,
        /// Data rows in the file.
        rows: usize,
        /// The first problems, one per row.
        problems: Vec<RowProblem>,
    },
    /// A bundle file ([`bundles::read`]) cannot be used.
    #[error("{file}: line {line}, column {column}: {detail}")]
    BundleFile {
        /// File name.
        file: String,
        /// Line (1 = the header).
        line: usize,
        /// Column.
        column: String,
        /// What is wrong.
        detail: String,
    },
    /// A row of a long table ([`long::from_long`]) cannot be used.
    #[error("{file}: row {row}: {detail}")]
    LongTable {
        /// The table's name.
        file: String,
        /// The row, counting from 1 (0: the table as a whole).
        row: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// Nothing usable remained.
    #[error("{file}: no sales remain after reading and cleaning the file")]
    NoData {
        /// File name.
        file: String,
    },
    /// A stored dataset could not be decoded.
    #[error("stored dataset cannot be read: {0}")]
    Stored(String),
    /// Almost every period of the calendar has no sale: the dates are spread far
    /// wider than the sales (a date column misread, years typed wrong), and forecasting
    /// such series would take minutes and mean nothing.
    #[error(
        "{file}: {empty_pct:.1} % of the {periods} {freq} periods from {first} (line {first_line}) to {last} (line {last_line}) have no sale: check the dates, or group the sales into longer periods"
    )]
    SparseCalendar {
        /// File name.
        file: String,
        /// Periods of the calendar.
        periods: usize,
        /// Their frequency, in words.
        freq: String,
        /// Share of them without any sale (%).
        empty_pct: f64,
        /// The earliest date and its line.
        first: NaiveDate,
        /// Line of the earliest date.
        first_line: u32,
        /// The latest date.
        last: NaiveDate,
        /// Line of the latest date.
        last_line: u32,
    },
    /// A period's total does not fit a number (quantities like 1e308 that add up to
    /// infinity).
    #[error(
        "{file}: the units of SKU {sku} in the period from {period} add up to more than a number can hold (lines {}); check the quantities", lines.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
    )]
    Overflow {
        /// File name.
        file: String,
        /// The SKU.
        sku: String,
        /// The period's first day.
        period: NaiveDate,
        /// The lines of that SKU in that period (at most ten).
        lines: Vec<u32>,
    },
    /// Newer sales cannot be added to the stored data.
    #[error("{file}: cannot add these sales to the stored data: {reason}")]
    Append {
        /// The newer export's name.
        file: String,
        /// Why (different periods, older than the stored data, ...).
        reason: String,
    },
}

/// Everything done to the data, for the merchant to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleaningReport {
    /// What was detected in the file.
    pub sniff: Sniff,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that could not be read (left out because the merchant chose so).
    pub bad_rows: usize,
    /// The first of those.
    pub problems: Vec<RowProblem>,
    /// Empty cells in a wide file, read as zero.
    pub empty_cells: usize,
    /// Counts per cleaning rule.
    pub counts: CleaningCounts,
    /// The rule applied to cancellations.
    pub cancellation_rule: CancellationRule,
    /// The trading calendar.
    pub calendar: Calendar,
    /// Periods whose net total was negative, set to zero.
    pub clipped_periods: usize,
    /// SKUs in the file (after case merging).
    pub skus_in_file: usize,
    /// SKUs with no sale left after cleaning.
    pub skus_without_sales: usize,
    /// Distinct customers.
    pub customers: usize,
    /// Distinct countries.
    pub countries: usize,
    /// Points flagged as spikes, all SKUs together.
    pub flagged_points: usize,
}

/// One line of the report, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportStep {
    /// What the step is.
    pub name: &'static str,
    /// Lines affected.
    pub lines: usize,
    /// Units affected.
    pub units: f64,
    /// The rule, in a sentence.
    pub rule: &'static str,
}

impl CleaningReport {
    /// The cleaning steps with their counts, in the order they apply.
    pub fn steps(&self) -> Vec<ReportStep> {
        let c = &self.counts;
        let s = |name, t: Tally, rule| ReportStep {
            name,
            lines: t.lines,
            units: t.units,
            rule,
        };
        let mut v = vec![
            s(
                "Duplicates removed",
                c.duplicates,
                "a line identical in every field to an earlier one is a double export",
            ),
            s(
                "Zero quantity",
                c.zero_quantity,
                "lines with quantity 0 carry no demand",
            ),
            s(
                "Non-product lines",
                c.non_product,
                "postage, carriage, fees, discounts, manual entries, vouchers, samples: excluded (listed below)",
            ),
            s(
                "Adjustments",
                c.adjustments,
                "accounting adjustments (invoices starting with A) are not sales",
            ),
            s(
                "Cancelled orders",
                c.cancelled_orders,
                "orders or lines whose status is refunded, voided, cancelled or failed are excluded",
            ),
            s(
                "Cancellations",
                c.cancellations,
                "negative quantities on cancellation invoices (C...) or at a positive price",
            ),
        ];
        match self.cancellation_rule {
            CancellationRule::RemoveMatchedOrders => {
                v.push(s("  matched: order removed", c.matched_cancellations, "cancels an earlier sale of the same SKU to the same customer for the same quantity: that sale is removed from demand"));
                v.push(s(
                    "  unmatched: returns",
                    c.returns,
                    "returns of delivered goods: counted, not subtracted from past demand",
                ));
            }
            CancellationRule::Net => v.push(s(
                "  netted",
                c.netted,
                "subtracted from demand on the day of the cancellation",
            )),
        }
        v.extend([
            s(
                "Write-offs",
                c.write_offs,
                "negative quantity at price 0 without a cancellation: stock corrections, excluded",
            ),
            s(
                "Zero price",
                c.zero_price,
                "positive quantity at price 0 (free samples, corrections): excluded",
            ),
            s(
                "Negative price",
                c.negative_price,
                "positive quantity at a negative price: excluded",
            ),
            s(
                "Negative values",
                c.negative_values,
                "negative values in a series file are netted on their day, never below zero",
            ),
            s("Kept as demand", c.kept, "every remaining line"),
            s(
                "  without customer id",
                c.missing_customer,
                "kept: guest orders are real demand",
            ),
        ]);
        if self.sniff.mapping.format == Format::OrderLines
            && self.sniff.mapping.get(Role::Quantity).is_none()
        {
            // Said in the report because a quantity column under a name we do not
            // know would be read this way too: the merchant can map it by hand.
            let read = self.rows.saturating_sub(self.bad_rows);
            v.push(ReportStep {
                name: "Rows read as one unit",
                lines: read,
                units: read as f64,
                rule: "the file has no quantity column: each row is one unit sold",
            });
        }
        if self.calendar.moved_lines > 0 {
            v.push(ReportStep {
                name: "Sold on a closed day",
                lines: self.calendar.moved_lines,
                units: self.calendar.moved_units,
                rule: "counted on the next trading day",
            });
        }
        v.retain(|st| st.lines > 0 || st.name == "Kept as demand");
        v
    }
}

/// Quality figures of one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuQuality {
    /// Periods of history (from the first sale to the end of the data).
    pub periods: usize,
    /// Share of those periods with no sale.
    pub zero_share: f64,
    /// Average inter-demand interval.
    pub adi: f64,
    /// Squared coefficient of variation of non-zero demand.
    pub cv2: f64,
    /// Syntetos–Boylan class.
    pub class: DemandClass,
    /// First period with a sale.
    pub first_sale: NaiveDate,
    /// Last period with a sale.
    pub last_sale: NaiveDate,
    /// Points flagged as spikes.
    pub flags: Vec<Flag>,
}

/// One SKU's demand series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Product code.
    pub sku: String,
    /// Product name, where the file has one.
    pub description: String,
    /// Index into [`Dataset::periods`] of the first value.
    pub start: usize,
    /// Demand per period from `start` to the end of the data.
    pub values: Vec<f64>,
    /// Units in total.
    pub units: f64,
    /// Revenue in total (0 where the file has no prices).
    pub revenue: f64,
    /// Quality figures.
    pub quality: SkuQuality,
}

impl Series {
    /// The period start dates of this series' values.
    pub fn dates<'a>(&self, ds: &'a Dataset) -> &'a [NaiveDate] {
        &ds.periods[self.start..]
    }
}

/// A cleaned dataset: per-SKU demand series on the shop's calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Where it came from (file name).
    pub name: String,
    /// Period of the series.
    pub freq: Frequency,
    /// Period start dates shared by every series.
    pub periods: Vec<NaiveDate>,
    /// One series per SKU with sales, best-selling (by units) first.
    pub series: Vec<Series>,
    /// What was done to get here.
    pub report: CleaningReport,
    /// The sales a newer export's cancellations may still remove (stored format 2 on).
    pub matching: update::Matching,
}

/// A dataset as stored formats 0 and 1 wrote it: [`Dataset`] without `matching`.
#[derive(Deserialize)]
struct DatasetV1 {
    name: String,
    freq: Frequency,
    periods: Vec<NaiveDate>,
    series: Vec<Series>,
    report: CleaningReport,
}

/// Settings for [`load`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// How to read the file.
    pub read: ReadOptions,
    /// The finest period wanted (daily, weekly, monthly, quarterly); a file whose own
    /// dates are coarser keeps its own period.
    pub freq: Frequency,
    /// What cancellations do to demand.
    pub cancellations: CancellationRule,
}

/// Dataset-level summary of the per-SKU quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySummary {
    /// SKUs per demand class.
    pub classes: Vec<(DemandClass, usize)>,
    /// Share of all SKU-periods without a sale.
    pub zero_share: f64,
    /// Median history length in periods.
    pub median_history: usize,
    /// SKUs with fewer than 2 seasons of weekly data or 60 days (too short to model well).
    pub short_histories: usize,
}

impl Dataset {
    /// Summary of the per-SKU quality figures.
    pub fn quality_summary(&self) -> QualitySummary {
        let mut classes: Vec<(DemandClass, usize)> = Vec::new();
        let mut zeros = 0.0;
        let mut total = 0usize;
        let mut lengths: Vec<usize> = Vec::with_capacity(self.series.len());
        for s in &self.series {
            match classes.iter_mut().find(|(c, _)| *c == s.quality.class) {
                Some((_, n)) => *n += 1,
                None => classes.push((s.quality.class, 1)),
            }
            zeros += s.quality.zero_share * s.values.len() as f64;
            total += s.values.len();
            lengths.push(s.values.len());
        }
        classes.sort();
        lengths.sort_unstable();
        let min_len = match self.frequency() {
            Frequency::Daily => 60,
            Frequency::Weekly => 16,
            Frequency::Monthly => 24,
            Frequency::Quarterly => 8,
        };
        QualitySummary {
            classes,
            zero_share: if total > 0 { zeros / total as f64 } else { 0.0 },
            median_history: lengths.get(lengths.len() / 2).copied().unwrap_or(0),
            short_histories: lengths.iter().filter(|&&l| l < min_len).count(),
        }
    }

    /// The period of the series (a weekly file loaded as daily is weekly).
    pub fn frequency(&self) -> Frequency {
        if self.freq == Frequency::Daily && self.report.calendar.weekly_input {
            Frequency::Weekly
        } else {
            self.freq
        }
    }

    /// The season length in periods: the shop's trading days per week for daily
    /// series (a week with a closed weekday is 6 trading days); for weekly, monthly
    /// and quarterly series the year (52, 12, 4) when the history holds two years,
    /// else 1.
    pub fn season(&self) -> usize {
        match self.frequency().periods_per_year() {
            None => 7 - self.report.calendar.closed_weekdays.len(),
            Some(year) if self.periods.len() >= 2 * year => year,
            Some(_) => 1,
        }
    }

    /// Average calendar days per period: 7 / trading days a week for daily data,
    /// else the period's length (7, 30.4, 91.3).
    pub fn period_days(&self) -> f64 {
        match self.frequency() {
            Frequency::Daily => {
                7.0 / (7 - self.report.calendar.closed_weekdays.len().min(6)) as f64
            }
            f => f.days(),
        }
    }

    /// The next `h` period dates after the data: trading days (skipping closed
    /// weekdays) for daily series, the next week, month or quarter starts otherwise.
    pub fn future_periods(&self, h: usize) -> Vec<NaiveDate> {
        let Some(&last) = self.periods.last() else {
            return Vec::new();
        };
        let freq = self.frequency();
        if freq != Frequency::Daily {
            return (1..=h as u32).map(|k| freq.step(last, k)).collect();
        }
        let mut out = Vec::with_capacity(h);
        let mut d = last;
        while out.len() < h {
            d += chrono::Duration::days(1);
            if !self
                .report
                .calendar
                .closed_weekdays
                .contains(&chrono::Datelike::weekday(&d))
            {
                out.push(d);
            }
        }
        out
    }

    /// Finds a series by SKU code.
    pub fn get(&self, sku: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.sku == sku)
    }

    /// Writes the long series `date,sku,quantity` (zero-filled from each SKU's first
    /// sale), as the reference tools read it.
    pub fn write_long_csv<W: std::io::Write>(
        &self,
        out: W,
        with_description: bool,
        skip_zeros: bool,
    ) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        if with_description {
            w.write_record(["date", "sku", "description", "quantity"])?;
        } else {
            w.write_record(["date", "sku", "quantity"])?;
        }
        for s in &self.series {
            for (d, v) in s.dates(self).iter().zip(&s.values) {
                if skip_zeros && *v == 0.0 {
                    continue;
                }
                let date = d.to_string();
                let q = fmt_qty(*v);
                if with_description {
                    w.write_record([date.as_str(), &s.sku, &s.description, &q])?;
                } else {
                    w.write_record([date.as_str(), &s.sku, &q])?;
                }
            }
        }
        w.flush()?;
        Ok(())
    }

    /// Keeps the `n` best-selling SKUs (by units).
    pub fn keep_top(&mut self, n: usize) {
        self.series.truncate(n);
    }

    /// Serialises for storage or for sending between threads.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Dataset::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Dataset, DataError> {
        let ds: Dataset =
            postcard::from_bytes(bytes).map_err(|e| DataError::Stored(e.to_string()))?;
        ds.check().map_err(DataError::Stored)?;
        Ok(ds)
    }

    /// Whether decoded bytes hold a dataset every page can use: bytes that decode can
    /// still be damaged (a flipped `start` made `Series::dates` panic on the UI
    /// thread), so what indexes what is checked once, here.
    fn check(&self) -> Result<(), String> {
        if let Some(w) = self.periods.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "its periods are out of order ({} before {})",
                w[0], w[1]
            ));
        }
        let n = self.periods.len();
        for s in &self.series {
            if s.start
                .checked_add(s.values.len())
                .is_none_or(|end| end > n)
            {
                return Err(format!(
                    "SKU {}'s {} values from period {} do not fit the {n} periods",
                    s.sku,
                    s.values.len(),
                    s.start
                ));
            }
            if let Some(v) = s.values.iter().find(|v| !v.is_finite()) {
                return Err(format!("SKU {} holds the value {v}", s.sku));
            }
        }
        self.matching.check(n)
    }

    /// The bytes kept in the browser's storage (or a store file): a header naming the
    /// format ([`STORED_MAGIC`], then [`STORED_FORMAT`] as two little-endian bytes) and
    /// the dataset, so that a later version can tell what it is reading.
    pub fn to_stored_bytes(&self) -> Vec<u8> {
        let mut out = STORED_MAGIC.to_vec();
        out.extend_from_slice(&STORED_FORMAT.to_le_bytes());
        out.extend(self.to_bytes());
        out
    }

    /// Reads stored bytes: the current format, format 1 (the same header, a dataset
    /// without [`Dataset::matching`]), or the headerless bytes the first versions
    /// stored (format 0, as format 1). A newer format, or bytes that do not decode,
    /// are an error that says which — the caller keeps the bytes rather than replace
    /// them. Data stored before format 2 has no sales to match later cancellations
    /// against: those count as returns, as they did.
    pub fn from_stored_bytes(bytes: &[u8]) -> Result<Dataset, DataError> {
        match bytes.strip_prefix(STORED_MAGIC.as_slice()) {
            Some(rest) if rest.len() >= 2 => {
                let format = u16::from_le_bytes([rest[0], rest[1]]);
                if format > STORED_FORMAT {
                    return Err(DataError::Stored(format!(
                        "it was saved by a newer version of supplycast (format {format}; this version reads formats 0 to {STORED_FORMAT})"
                    )));
                }
                let read = if format >= 2 {
                    Dataset::from_bytes(&rest[2..])
                } else {
                    Dataset::from_v1_bytes(&rest[2..])
                };
                read.map_err(|e| DataError::Stored(format!("format {format}, but {e}")))
            }
            Some(_) => Err(DataError::Stored("the saved data is cut short".into())),
            None => Dataset::from_v1_bytes(bytes).map_err(|e| {
                DataError::Stored(format!("it is not in a format this version knows ({e})"))
            }),
        }
    }

    /// Reads a dataset as formats 0 and 1 stored it.
    fn from_v1_bytes(bytes: &[u8]) -> Result<Dataset, DataError> {
        let v: DatasetV1 =
            postcard::from_bytes(bytes).map_err(|e| DataError::Stored(e.to_string()))?;
        let ds = Dataset {
            name: v.name,
            freq: v.freq,
            periods: v.periods,
            series: v.series,
            report: v.report,
            matching: Default::default(),
        };
        ds.check().map_err(DataError::Stored)?;
        Ok(ds)
    }
}

/// The first bytes of a stored dataset.
pub const STORED_MAGIC: [u8; 4] = *b"SCDS";
/// The stored dataset's format: 2 adds [`Dataset::matching`]; 1 adds the header; 0
/// was the bare dataset.
pub const STORED_FORMAT: u16 = 2;

/// A CSV field, quoted (with doubled quotes) when it holds a comma, quote or newline.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Formats a quantity without a trailing `.0` for whole numbers.
pub fn fmt_qty(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Formats a figure with `decimals`, or "—" when it is not a number (ADI of a SKU
/// with one sale, MASE of a series without seasonal-naive error).
pub fn fmt_figure(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".into()
    }
}

/// Names a weekday in English.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A series from its totals over all periods: it starts at the first sale; `None`
/// when there is none.
pub(crate) fn make_series(
    sku: &str,
    description: &str,
    totals: &[f64],
    revenue: f64,
    periods: &[NaiveDate],
) -> Option<Series> {
    let start = totals.iter().position(|v| *v > 0.0)?;
    let values = totals[start..].to_vec();
    let last = start + values.iter().rposition(|v| *v > 0.0).unwrap_or(0);
    let (adi, cv2, class) = quality::intermittency(&values);
    let flags = quality::flag_spikes(&values, quality::SPIKE_THRESHOLD);
    let zero_share = values.iter().filter(|v| **v == 0.0).count() as f64 / values.len() as f64;
    Some(Series {
        sku: sku.to_string(),
        description: description.to_string(),
        start,
        units: values.iter().sum(),
        revenue,
        quality: SkuQuality {
            periods: values.len(),
            zero_share,
            adi,
            cv2,
            class,
            first_sale: periods[start],
            last_sale: periods[last],
            flags,
        },
        values,
    })
}

impl Dataset {
    /// The same data as weekly series: Monday-based weeks of the trading days, the
    /// weeks at either end that the data covers only partly left out (as when a file
    /// is loaded weekly). A weekly dataset is returned as it is.
    pub fn to_weekly(&self) -> Dataset {
        use chrono::Datelike;
        let cal = &self.report.calendar;
        let (Some(&p0), Some(&p1)) = (self.periods.first(), self.periods.last()) else {
            return self.clone();
        };
        if self.frequency() != Frequency::Daily {
            return self.clone();
        }
        let (first, last) = (cal.first_day.unwrap_or(p0), cal.last_day.unwrap_or(p1));
        let monday = |d: NaiveDate| {
            d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
        };
        let complete = |w: NaiveDate| {
            (0..7)
                .map(|k| w + chrono::Duration::days(k))
                .all(|d| cal.closed_weekdays.contains(&d.weekday()) || (d >= first && d <= last))
        };
        let mut weeks: Vec<NaiveDate> = Vec::new();
        let mut partial: Vec<NaiveDate> = Vec::new();
        let period_week: Vec<Option<usize>> = self
            .periods
            .iter()
            .map(|&d| {
                let w = monday(d);
                if !complete(w) {
                    if partial.last() != Some(&w) {
                        partial.push(w);
                    }
                    return None;
                }
                if weeks.last() != Some(&w) {
                    weeks.push(w);
                }
                Some(weeks.len() - 1)
            })
            .collect();
        let mut partial_units = 0.0;
        let mut series = Vec::with_capacity(self.series.len());
        for s in &self.series {
            let mut totals = vec![0.0; weeks.len()];
            for (k, v) in s.values.iter().enumerate() {
                match period_week[s.start + k] {
                    Some(w) => totals[w] += v,
                    None => partial_units += v,
                }
            }
            if let Some(w) = make_series(&s.sku, &s.description, &totals, s.revenue, &weeks) {
                series.push(w);
            }
        }
        series.sort_by(|a, b| b.units.total_cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
        let mut report = self.report.clone();
        report.calendar.partial_weeks = partial;
        report.calendar.partial_week_units = partial_units;
        report.skus_without_sales += self.series.len() - series.len();
        report.flagged_points = series.iter().map(|s| s.quality.flags.len()).sum();
        let matching = self
            .matching
            .remap(|p| period_week.get(p).copied().flatten());
        Dataset {
            name: self.name.clone(),
            freq: Frequency::Weekly,
            periods: weeks,
            series,
            report,
            matching,
        }
    }
}

/// Reads, cleans and aggregates a file. `progress` gets the fraction done (0..=1).
pub fn load(
    file: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    progress: &mut dyn FnMut(f32),
) -> Result<Dataset, DataError> {
    // Parsing is most of the work: give it 85 % of the bar.
    let parsed = ingest::parse(file, bytes, &opts.read, &mut |f| progress(0.85 * f))?;
    from_parsed(file, &parsed, opts, progress)
}

/// The most periods a long table's calendar may span (a century of days): beyond it
/// the dates are wrong, and a series that long would only exhaust memory.
pub const MAX_PERIODS: usize = 36_525;

/// Calendars at least this long are checked for sales in too few periods.
const SPARSE_MIN_PERIODS: usize = 1000;
/// The share of periods with any sale below which a long calendar is refused.
const SPARSE_MIN_SHARE: f64 = 0.01;

/// Refuses a calendar almost without sales ([`DataError::SparseCalendar`]) and a
/// period total that is not finite ([`DataError::Overflow`]).
fn check_calendar(
    file: &str,
    parsed: &ingest::Parsed,
    agg: &series::Aggregated,
) -> Result<(), DataError> {
    let n = agg.periods.len();
    let period_of = |d: NaiveDate| agg.periods.partition_point(|p| *p <= d).checked_sub(1);
    for (i, totals) in agg.totals.iter().enumerate() {
        if let Some(p) = totals.iter().position(|v| !v.is_finite()) {
            let lines = parsed
                .lines
                .iter()
                .filter(|l| l.sku as usize == i && period_of(l.ts.date()) == Some(p))
                .map(|l| l.line)
                .take(10)
                .collect();
            return Err(DataError::Overflow {
                file: file.to_string(),
                sku: parsed
                    .skus
                    .get(i)
                    .map(|s| s.code.clone())
                    .unwrap_or_default(),
                period: agg.periods[p],
                lines,
            });
        }
    }
    if n < SPARSE_MIN_PERIODS {
        return Ok(());
    }
    let occupied = (0..n)
        .filter(|&p| {
            agg.totals
                .iter()
                .any(|t| t.get(p).is_some_and(|v| *v != 0.0))
        })
        .count();
    if occupied as f64 >= SPARSE_MIN_SHARE * n as f64 {
        return Ok(());
    }
    let first = parsed.lines.iter().min_by_key(|l| (l.ts.date(), l.line));
    let last = parsed
        .lines
        .iter()
        .max_by_key(|l| (l.ts.date(), std::cmp::Reverse(l.line)));
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(());
    };
    Err(DataError::SparseCalendar {
        file: file.to_string(),
        periods: n,
        freq: agg.freq.label().to_string(),
        empty_pct: 100.0 * (1.0 - occupied as f64 / n as f64),
        first: first.ts.date(),
        first_line: first.line,
        last: last.ts.date(),
        last_line: last.line,
    })
}

/// [`load`] from a file already parsed (for callers that need its lines too, e.g. the
/// order-line anomaly detectors). `progress` goes from 0.9 to 1.
pub fn from_parsed(
    file: &str,
    parsed: &ingest::Parsed,
    opts: &LoadOptions,
    progress: &mut dyn FnMut(f32),
) -> Result<Dataset, DataError> {
    let (sales, counts, provenance) = clean::clean_lines(parsed, opts.cancellations);
    progress(0.9);
    let activity: Vec<NaiveDate> = {
        let mut d: Vec<NaiveDate> = parsed.lines.iter().map(|l| l.ts.date()).collect();
        d.sort_unstable();
        d.dedup();
        d
    };
    let agg = series::aggregate(&activity, &sales, parsed.skus.len(), opts.freq);
    check_calendar(file, parsed, &agg)?;
    progress(0.95);
    let mut out = Vec::new();
    let mut without_sales = 0;
    let mut flagged = 0;
    for (i, totals) in agg.totals.iter().enumerate() {
        let info = &parsed.skus[i];
        match make_series(
            &info.code,
            info.description(),
            totals,
            agg.revenue[i],
            &agg.periods,
        ) {
            Some(s) => {
                flagged += s.quality.flags.len();
                out.push(s);
            }
            None => without_sales += 1,
        }
    }
    if out.is_empty() {
        return Err(DataError::NoData {
            file: file.to_string(),
        });
    }
    out.sort_by(|a, b| b.units.total_cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
    let matching = if opts.cancellations == CancellationRule::RemoveMatchedOrders
        && parsed.sniff.mapping.format == Format::OrderLines
    {
        update::Matching::from_file(parsed, &sales, &provenance, &agg)
    } else {
        update::Matching::default()
    };
    let freq = agg.freq;
    let report = CleaningReport {
        sniff: parsed.sniff.clone(),
        rows: parsed.rows,
        bad_rows: parsed.bad_rows,
        problems: parsed.problems.clone(),
        empty_cells: parsed.empty_cells,
        counts,
        cancellation_rule: opts.cancellations,
        calendar: agg.calendar,
        clipped_periods: agg.clipped,
        skus_in_file: parsed.skus.len(),
        skus_without_sales: without_sales,
        customers: parsed.customers,
        countries: parsed.countries,
        flagged_points: flagged,
    };
    progress(1.0);
    Ok(Dataset {
        name: file.to_string(),
        freq,
        periods: agg.periods,
        series: out,
        report,
        matching,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Dataset, DataError> {
        load(
            "f.csv",
            text.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
    }

    /// A daily export whose dates run over seventy years in nine-year steps (no date
    /// more than ten years from its neighbour, so none is dropped as a typo) used to be
    /// forecast for minutes; it is refused with the dates and lines to check.
    #[test]
    fn a_calendar_almost_without_sales_is_refused() {
        let mut text = String::from("date,sku,quantity\n");
        for k in 0..30 {
            for j in 0..8 {
                let d = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap()
                    + chrono::Duration::days((f64::from(j) * 9.0 * 365.2) as i64);
                text.push_str(&format!("{d},S{k},{}\n", 1 + (k + j) % 5));
            }
        }
        let Err(e) = load_text(&text) else {
            panic!("loaded");
        };
        let DataError::SparseCalendar {
            first,
            first_line,
            last,
            last_line,
            empty_pct,
            ..
        } = &e
        else {
            panic!("{e}");
        };
        assert_eq!(*first, NaiveDate::from_ymd_opt(1950, 1, 2).unwrap());
        assert_eq!(*first_line, 2);
        assert_eq!(
            *last,
            NaiveDate::from_ymd_opt(1950, 1, 2).unwrap() + chrono::Duration::days(23007)
        );
        assert_eq!(*last_line, 9);
        assert!(*empty_pct > 99.0, "{e}");
        let m = e.to_string();
        assert!(m.contains("have no sale: check the dates"), "{m}");
        // Three years of a shop selling on a few days a month still loads.
        let mut text = String::from("date,sku,quantity\n");
        for i in 0..(3 * 365) {
            if i % 11 == 0 {
                let d = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Duration::days(i);
                text.push_str(&format!("{d},A,1\n"));
            }
        }
        assert!(load_text(&text).is_ok());
    }

    /// Stored bytes that decode but do not fit together are refused, not used (a
    /// flipped `start` used to panic in `Series::dates` on the UI thread).
    #[test]
    fn decoded_stores_that_do_not_fit_together_are_refused() {
        let ds = load_text("date,sku,quantity\n2024-01-01,A,1\n2024-01-02,A,2\n2024-01-03,B,1\n")
            .unwrap();
        assert!(Dataset::from_bytes(&ds.to_bytes()).is_ok());
        let mut bad = ds.clone();
        bad.series[0].start = 1 << 40;
        let Err(e) = Dataset::from_bytes(&bad.to_bytes()) else {
            panic!("used");
        };
        assert!(e.to_string().contains("do not fit the 3 periods"), "{e}");
        let mut bad = ds.clone();
        bad.periods.swap(0, 2);
        assert!(Dataset::from_stored_bytes(&bad.to_stored_bytes()).is_err());
        let mut bad = ds;
        bad.series[0].values[0] = f64::NAN;
        assert!(Dataset::from_bytes(&bad.to_bytes()).is_err());
    }

    /// Datasets stored before format 2 (no lines kept for matching) still load, and
    /// kept lines that point outside the data are refused.
    #[test]
    fn formats_0_and_1_load_without_matching_lines() {
        let ds = load_text(
            "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID\n1,A,2,2024-01-01 10:00,1.5,7\n2,A,1,2024-01-02 10:00,1.5,8\n",
        )
        .unwrap();
        assert_eq!(ds.matching.sales.len(), 2);
        #[derive(Serialize)]
        struct V1<'a> {
            name: &'a String,
            freq: &'a Frequency,
            periods: &'a Vec<NaiveDate>,
            series: &'a Vec<Series>,
            report: &'a CleaningReport,
        }
        let body = postcard::to_allocvec(&V1 {
            name: &ds.name,
            freq: &ds.freq,
            periods: &ds.periods,
            series: &ds.series,
            report: &ds.report,
        })
        .unwrap();
        let mut v1 = STORED_MAGIC.to_vec();
        v1.extend_from_slice(&1u16.to_le_bytes());
        v1.extend_from_slice(&body);
        let old = Dataset {
            matching: Default::default(),
            ..ds.clone()
        };
        assert_eq!(Dataset::from_stored_bytes(&v1).unwrap(), old);
        assert_eq!(Dataset::from_stored_bytes(&body).unwrap(), old, "format 0");
        assert_eq!(
            Dataset::from_stored_bytes(&ds.to_stored_bytes()).unwrap(),
            ds
        );
        let mut bad = ds;
        bad.matching.sales[0].period = 9;
        assert!(Dataset::from_stored_bytes(&bad.to_stored_bytes()).is_err());
    }

    #[test]
    fn a_total_that_overflows_names_its_lines() {
        let text = "date,sku,quantity\n2024-01-01,A,1\n2024-01-02,A,1e308\n2024-01-02,A,1e308\n2024-01-03,A,2\n";
        let Err(e) = load_text(text) else {
            panic!("loaded");
        };
        assert_eq!(
            e,
            DataError::Overflow {
                file: "f.csv".into(),
                sku: "A".into(),
                period: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
                lines: vec![3, 4],
            },
            "{e}"
        );
        assert!(e.to_string().contains("lines 3, 4"), "{e}");
    }
}
