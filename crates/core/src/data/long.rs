//! A table already in periods (one row per SKU and period: `sku, date, quantity`, or
//! Nixtla's `unique_id, ds, y`) into a [`Dataset`]: what data warehouses, notebooks and
//! other forecasting tools hold, as opposed to a shop's order export ([`super::load`]).
//!
//! The same table split into parts by SKU gives, part by part, exactly the series the
//! whole table gives, when every part is given the whole table's [`Bounds`]: that is
//! what lets a distributed engine forecast the parts on different machines and get
//! the single-machine result.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::series::{self, Frequency};
use super::{Calendar, CleaningCounts, CleaningReport, ColumnMapping, DataError, Dataset, Sniff};

/// One row of a long table. `sku` indexes the table's SKU names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongRow {
    /// Index into the SKU names.
    pub sku: u32,
    /// The period's date (any day of the period: a month-end date is its month).
    pub date: NaiveDate,
    /// Units in the period.
    pub quantity: f64,
}

/// The calendar every part of a table shares: its period and its first and last period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// The period of the rows.
    pub freq: Frequency,
    /// The earliest date of the whole table.
    pub first: NaiveDate,
    /// The latest date of the whole table.
    pub last: NaiveDate,
}

impl Bounds {
    /// The bounds of a whole table from its distinct dates: the period read from how far
    /// apart they are ([`series::input_frequency`]) unless `freq` is given. `None` for
    /// no dates.
    pub fn of(dates: &[NaiveDate], freq: Option<Frequency>) -> Option<Bounds> {
        let mut d = dates.to_vec();
        d.sort_unstable();
        d.dedup();
        Some(Bounds {
            freq: freq.unwrap_or_else(|| series::input_frequency(&d)),
            first: *d.first()?,
            last: *d.last()?,
        })
    }

    /// The period starts from the first date's period to the last's. Weeks start on the
    /// first date's weekday; months and quarters on the 1st.
    fn periods(&self) -> Vec<NaiveDate> {
        let start = self.freq.period_start(self.first);
        let mut out = Vec::new();
        let mut k = 0u32;
        loop {
            let p = self.freq.step(start, k);
            if p > self.last || (k > 0 && p <= out[out.len() - 1]) {
                break;
            }
            out.push(p);
            k += 1;
        }
        out
    }
}

/// The dataset of a long table: per SKU with any positive period, its series from its
/// first sale to the table's last period; rows of one SKU and period are summed and a
/// negative sum becomes zero (counted in the report's clipped periods). Series are in
/// SKU order (not best-selling first as from an export), so that parts of a table split
/// by SKU ranges line up with the whole. `name` names the table in errors; a row's
/// number in them counts from 1.
pub fn from_long(
    name: &str,
    skus: &[String],
    rows: &[LongRow],
    bounds: Bounds,
) -> Result<Dataset, DataError> {
    let periods = bounds.periods();
    if periods.len() > super::MAX_PERIODS {
        return Err(DataError::LongTable {
            file: name.to_string(),
            row: 0,
            detail: format!(
                "{} {} periods from {} to {}: more than {} (check the dates)",
                periods.len(),
                bounds.freq.label(),
                bounds.first,
                bounds.last,
                super::MAX_PERIODS
            ),
        });
    }
    let mut totals = vec![Vec::<f64>::new(); skus.len()];
    for (i, r) in rows.iter().enumerate() {
        let err = |detail: String| DataError::LongTable {
            file: name.to_string(),
            row: i + 1,
            detail,
        };
        let Some(sku) = skus.get(r.sku as usize) else {
            return Err(err(format!("SKU index {} has no name", r.sku)));
        };
        if !r.quantity.is_finite() {
            return Err(err(format!(
                "SKU \"{sku}\", {}: the quantity {} is not a number",
                r.date, r.quantity
            )));
        }
        if r.date < bounds.first || r.date > bounds.last {
            return Err(err(format!(
                "SKU \"{sku}\": the date {} is outside the table's {} to {}",
                r.date, bounds.first, bounds.last
            )));
        }
        let p = periods.partition_point(|s| *s <= r.date) - 1;
        let t = &mut totals[r.sku as usize];
        if t.is_empty() {
            t.resize(periods.len(), 0.0);
        }
        t[p] += r.quantity;
    }
    let mut clipped = 0;
    let mut out = Vec::new();
    let mut without_sales = 0;
    for (code, t) in skus.iter().zip(&mut totals) {
        for v in t.iter_mut().filter(|v| **v < 0.0) {
            *v = 0.0;
            clipped += 1;
        }
        if let Some(p) = t.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Overflow {
                file: name.to_string(),
                sku: code.clone(),
                period: periods[p],
                lines: Vec::new(),
            });
        }
        match super::make_series(code, "", t, 0.0, &periods) {
            Some(s) => out.push(s),
            None => without_sales += 1,
        }
    }
    if out.is_empty() {
        return Err(DataError::NoData {
            file: name.to_string(),
        });
    }
    out.sort_by(|a, b| a.sku.cmp(&b.sku));
    let report = CleaningReport {
        sniff: Sniff {
            file: name.to_string(),
            encoding: super::Encoding::Utf8,
            delimiter: b',',
            headers: vec!["sku".into(), "date".into(), "quantity".into()],
            preview: Vec::new(),
            mapping: ColumnMapping {
                format: super::Format::Long,
                columns: Vec::new(),
            },
            date_style: super::DateStyle::Iso,
        },
        rows: rows.len(),
        bad_rows: 0,
        problems: Vec::new(),
        empty_cells: 0,
        counts: CleaningCounts::default(),
        cancellation_rule: Default::default(),
        calendar: Calendar {
            first_day: Some(bounds.first),
            last_day: Some(bounds.last),
            weekly_input: bounds.freq == Frequency::Weekly,
            ..Calendar::default()
        },
        clipped_periods: clipped,
        skus_in_file: skus.len(),
        skus_without_sales: without_sales,
        customers: 0,
        countries: 0,
        flagged_points: 0,
    };
    Ok(Dataset {
        name: name.to_string(),
        freq: bounds.freq,
        periods,
        series: out,
        report,
        matching: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn table() -> (Vec<String>, Vec<LongRow>) {
        let skus: Vec<String> = ["B", "A", "C"].iter().map(|s| s.to_string()).collect();
        let mut rows = Vec::new();
        for day in 0..40 {
            let date = d("2024-01-01") + chrono::Duration::days(day);
            rows.push(LongRow {
                sku: 0,
                date,
                quantity: (day % 7) as f64,
            });
            if day >= 10 {
                rows.push(LongRow {
                    sku: 1,
                    date,
                    quantity: 2.0,
                });
            }
        }
        // C never sells: left out.
        rows.push(LongRow {
            sku: 2,
            date: d("2024-01-05"),
            quantity: 0.0,
        });
        (skus, rows)
    }

    #[test]
    fn series_run_from_the_first_sale_to_the_tables_end_in_sku_order() {
        let (skus, rows) = table();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
        let b = Bounds::of(&dates, None).unwrap();
        assert_eq!(b.freq, Frequency::Daily);
        let ds = from_long("t", &skus, &rows, b).unwrap();
        assert_eq!(ds.periods.len(), 40);
        let names: Vec<&str> = ds.series.iter().map(|s| s.sku.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(ds.series[0].start, 10);
        assert_eq!(ds.series[0].values.len(), 30);
        // B's first day sells 0, so it starts on the 2nd.
        assert_eq!(ds.series[1].start, 1);
        assert_eq!(ds.report.skus_without_sales, 1);
    }

    /// A part of the table (SKU B alone) given the whole table's bounds has B's series
    /// exactly as the whole table has it.
    #[test]
    fn a_part_with_the_whole_tables_bounds_has_the_same_series() {
        let (skus, rows) = table();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
        let b = Bounds::of(&dates, None).unwrap();
        let whole = from_long("t", &skus, &rows, b).unwrap();
        let part: Vec<LongRow> = rows.iter().filter(|r| r.sku == 0).copied().collect();
        let part = from_long("t", &skus, &part, b).unwrap();
        assert_eq!(part.periods, whole.periods);
        assert_eq!(part.series[0], whole.series[1]);
    }

    #[test]
    fn month_end_dates_are_their_months_and_repeated_rows_are_summed() {
        let skus = vec!["X".to_string()];
        let rows: Vec<LongRow> = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-03-31"]
            .iter()
            .map(|s| LongRow {
                sku: 0,
                date: d(s),
                quantity: 5.0,
            })
            .collect();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
        let b = Bounds::of(&dates, None).unwrap();
        assert_eq!(b.freq, Frequency::Monthly);
        let ds = from_long("t", &skus, &rows, b).unwrap();
        assert_eq!(
            ds.periods,
            [d("2024-01-01"), d("2024-02-01"), d("2024-03-01")]
        );
        assert_eq!(ds.series[0].values, [5.0, 5.0, 10.0]);
    }

    #[test]
    fn a_bad_quantity_or_date_is_refused_with_its_row() {
        let (skus, mut rows) = table();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
        let b = Bounds::of(&dates, None).unwrap();
        rows[3].quantity = f64::NAN;
        let e = from_long("t", &skus, &rows, b).unwrap_err().to_string();
        assert!(e.contains("row 4") && e.contains("not a number"), "{e}");
        rows[3].quantity = 1.0;
        rows[5].date = d("2030-01-01");
        let e = from_long("t", &skus, &rows, b).unwrap_err().to_string();
        assert!(e.contains("row 6") && e.contains("outside"), "{e}");
    }
}
