//! Integration tests of ingestion: every supported format and date style, the cleaning
//! rules on real and hand-made exports, and malformed files.

use supplycast::data::{
    self, CancellationRule, DataError, Dataset, DateStyle, Format, Frequency, LoadOptions, Role,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn load(name: &str, bytes: &[u8], opts: &LoadOptions) -> Result<data::Dataset, DataError> {
    data::load(name, bytes, opts, &mut |_| {})
}

fn values(ds: &data::Dataset, sku: &str) -> Vec<(String, f64)> {
    let s = ds.get(sku).unwrap_or_else(|| panic!("no SKU {sku}"));
    s.dates(ds)
        .iter()
        .map(|d| d.to_string())
        .zip(s.values.iter().copied())
        .collect()
}

#[test]
fn shopify_orders_export() {
    let ds = load(
        "orders_export.csv",
        &fixture("shopify_orders.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let r = &ds.report;
    assert_eq!(r.sniff.mapping.format, Format::OrderLines);
    assert_eq!(r.sniff.mapping.get(Role::OrderId), Some(0));
    assert_eq!(r.sniff.mapping.get(Role::Sku), Some(20));
    assert_eq!(r.rows, 10);
    let c = &r.counts;
    assert_eq!((c.kept.lines, c.kept.units), (6, 9.0));
    // #1003 refunded (10 units) and #1005 voided (1 unit).
    assert_eq!(
        (c.cancelled_orders.lines, c.cancelled_orders.units),
        (2, 11.0)
    );
    assert_eq!(c.zero_price.lines, 1);
    assert_eq!(c.non_product.lines, 1, "the gift card");
    assert_eq!(c.case_merged_codes, 1, "mug-blu and MUG-BLU");
    assert_eq!(r.countries, 2);
    assert_eq!(
        values(&ds, "MUG-BLU"),
        vec![
            ("2024-03-04".into(), 4.0),
            ("2024-03-05".into(), 0.0),
            ("2024-03-06".into(), 1.0),
            ("2024-03-07".into(), 0.0),
            ("2024-03-08".into(), 0.0)
        ]
    );
    assert_eq!(
        values(&ds, "TOWEL-01")
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.0, 2.0, 0.0]
    );
    // No SKU: the product name stands in.
    assert_eq!(values(&ds, "Candle"), vec![("2024-03-08".into(), 1.0)]);
    assert!((ds.get("MUG-BLU").unwrap().revenue - 60.0).abs() < 1e-9);
}

/// Amazon Seller Central's "All Orders" report (tab-separated, written from the
/// report's documented header): `item-price` is the line's total, cancelled orders
/// and cancelled items are left out.
#[test]
fn amazon_all_orders_report() {
    let ds = load(
        "All Orders.txt",
        &fixture("amazon_all_orders.txt"),
        &LoadOptions::default(),
    )
    .unwrap();
    let r = &ds.report;
    assert_eq!(r.sniff.delimiter, b'\t');
    assert_eq!(r.sniff.mapping.format, Format::OrderLines);
    assert_eq!(r.sniff.mapping.get(Role::Date), Some(2));
    assert_eq!(r.sniff.mapping.get(Role::LineTotal), Some(16));
    assert_eq!(r.rows, 7);
    let c = &r.counts;
    // The cancelled order (quantity 0) and the cancelled item of a shipped order.
    assert_eq!(
        (c.cancelled_orders.lines, c.cancelled_orders.units),
        (2, 2.0)
    );
    assert_eq!((c.kept.lines, c.kept.units), (5, 8.0));
    assert_eq!(r.countries, 1);
    // The 6 March order at 23:30 -08:00 stays on the 6th; the pending one counts.
    assert_eq!(
        values(&ds, "MUG-BLU"),
        vec![
            ("2024-03-04".into(), 2.0),
            ("2024-03-05".into(), 0.0),
            ("2024-03-06".into(), 3.0),
            ("2024-03-07".into(), 1.0)
        ]
    );
    assert_eq!(
        values(&ds, "TOWEL-01")
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.0, 0.0]
    );
    // The inch mark in a product name is no quote in a tab-separated report.
    assert_eq!(ds.get("PAN-12").unwrap().description, "Pan 12\" steel");
    // Revenue from line totals: 24 + 36 (the pending line has no price yet).
    assert!((ds.get("MUG-BLU").unwrap().revenue - 60.0).abs() < 1e-9);
    assert!((ds.get("TOWEL-01").unwrap().revenue - 38.0).abs() < 1e-9);
}

/// A point-of-sale export with no quantity column and the time in its own column:
/// every row is one unit, the time is never read as a quantity.
#[test]
fn point_of_sale_export_one_row_per_unit() {
    let ds = load(
        "transactions.csv",
        &fixture("pos_transactions.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let r = &ds.report;
    assert_eq!(r.sniff.mapping.format, Format::OrderLines);
    assert_eq!(r.sniff.mapping.get(Role::Time), Some(1));
    assert_eq!(r.sniff.mapping.get(Role::Quantity), None);
    assert_eq!((r.counts.kept.lines, r.counts.kept.units), (9, 9.0));
    assert_eq!(r.counts.duplicates.lines, 0, "two rows are two units");
    assert!(
        r.steps()
            .iter()
            .any(|s| s.name == "Rows read as one unit" && s.lines == 9),
        "the report says how the rows were read"
    );
    assert_eq!(
        values(&ds, "Bread").iter().map(|v| v.1).collect::<Vec<_>>(),
        vec![1.0, 1.0, 1.0]
    );
    assert_eq!(values(&ds, "Scandinavian")[0], ("2024-03-04".into(), 2.0));
    assert_eq!(values(&ds, "Coffee")[0], ("2024-03-05".into(), 1.0));
    // The native `ingest` output has the same series.
    let mut out = Vec::new();
    ds.write_long_csv(&mut out, false, true).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("2024-03-04,Scandinavian,2\n"), "{out}");
}

/// WooCommerce's order export with one row per line item: cancelled, refunded and
/// failed orders left out (also when written `wc-refunded`).
#[test]
fn woocommerce_orders_export() {
    let ds = load(
        "orders-2024-03-08.csv",
        &fixture("woocommerce_orders.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let r = &ds.report;
    assert_eq!(r.sniff.mapping.format, Format::OrderLines);
    assert_eq!(r.sniff.mapping.get(Role::Price), Some(14));
    assert_eq!(r.rows, 8);
    let c = &r.counts;
    // #1003 cancelled (5), #1004 wc-refunded (2), #1005 failed (3).
    assert_eq!(
        (c.cancelled_orders.lines, c.cancelled_orders.units),
        (3, 10.0)
    );
    assert_eq!((c.kept.lines, c.kept.units), (5, 6.0));
    assert_eq!(r.customers, 7);
    assert_eq!(r.countries, 2);
    assert_eq!(
        values(&ds, "MUG-BLU")
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        vec![2.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(
        values(&ds, "TOWEL-01")
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.0, 1.0]
    );
    // No SKU: the item name stands in; the order's second row takes its date.
    assert_eq!(values(&ds, "Candle"), vec![("2024-03-07".into(), 1.0)]);
    assert!((ds.get("MUG-BLU").unwrap().revenue - 36.0).abs() < 1e-9);
}

#[test]
fn online_retail_excerpt() {
    let ds = load(
        "online_retail_excerpt.csv",
        &fixture("online_retail_excerpt.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let r = &ds.report;
    assert_eq!(r.sniff.mapping.format, Format::OrderLines);
    assert_eq!(r.sniff.date_style, DateStyle::Iso);
    assert_eq!(r.rows, 5000);
    // Dec 1-2 2009: both days trade.
    assert_eq!(ds.periods.len(), 2);
    assert!(r.counts.cancellations.lines > 0 && r.counts.non_product.lines > 0);
    let steps_lines: usize = [
        r.counts.duplicates,
        r.counts.zero_quantity,
        r.counts.non_product,
        r.counts.adjustments,
        r.counts.cancelled_orders,
        r.counts.cancellations,
        r.counts.write_offs,
        r.counts.zero_price,
        r.counts.negative_price,
    ]
    .iter()
    .map(|t| t.lines)
    .sum::<usize>()
        + r.counts.kept.lines
        + r.counts.matched_cancellations.lines;
    assert_eq!(
        steps_lines, r.rows,
        "every row is accounted for exactly once"
    );
    let units: f64 = ds.series.iter().map(|s| s.units).sum();
    assert_eq!(units, r.counts.kept.units);
}

#[test]
fn nixtla_long_series_nets_negatives() {
    let ds = load(
        "long.csv",
        &fixture("long_nixtla.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(ds.report.sniff.mapping.format, Format::Long);
    assert_eq!(ds.report.counts.negative_values.lines, 1);
    assert_eq!(ds.report.clipped_periods, 1);
    assert_eq!(
        values(&ds, "A").iter().map(|v| v.1).collect::<Vec<_>>(),
        vec![3.0, 0.0, 5.0, 0.0]
    );
    assert_eq!(values(&ds, "B")[0], ("2024-01-02".into(), 1.0));
}

#[test]
fn wide_semicolon_day_first_decimal_comma() {
    let bytes = fixture("wide_semicolon_dmy.csv");
    let ds = load("wide.csv", &bytes, &LoadOptions::default()).unwrap();
    // A header that names no date at all: the date column is found by its values.
    let renamed = String::from_utf8(bytes).unwrap().replace("Datum", "Tag");
    assert_eq!(
        load("wide.csv", renamed.as_bytes(), &LoadOptions::default())
            .unwrap()
            .periods,
        ds.periods
    );
    let r = &ds.report;
    assert_eq!(
        (
            r.sniff.delimiter,
            r.sniff.mapping.format,
            r.sniff.date_style
        ),
        (b';', Format::Wide, DateStyle::DayFirst)
    );
    assert_eq!(r.empty_cells, 1);
    // A quiet shop: every day of the span is a trading day.
    assert_eq!(ds.periods.len(), 13);
    let tasse = values(&ds, "Tasse");
    assert_eq!(tasse[0], ("2024-03-01".into(), 1.5));
    assert_eq!(tasse[12], ("2024-03-13".into(), 2.0));
    assert_eq!(values(&ds, "Kerze blau")[0], ("2024-03-02".into(), 3.0));
}

#[test]
fn us_dates_with_am_pm() {
    let ds = load(
        "us.csv",
        &fixture("long_us_dates.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(ds.report.sniff.date_style, DateStyle::MonthFirst);
    let x1 = values(&ds, "X-1");
    assert_eq!(x1[0], ("2024-03-01".into(), 3.0));
    assert_eq!(x1.last().unwrap(), &("2024-03-13".into(), 4.0));
}

#[test]
fn manual_override_of_date_style() {
    // Ambiguous dates read as month first by default; the merchant says day first.
    let csv = b"date,sku,quantity\n1/2/2024,A,1\n3/2/2024,A,2\n";
    let auto = load("f.csv", csv, &LoadOptions::default()).unwrap();
    assert_eq!(auto.periods[0].to_string(), "2024-01-02");
    let mut opts = LoadOptions::default();
    opts.read.date_style = Some(DateStyle::DayFirst);
    let manual = load("f.csv", csv, &opts).unwrap();
    assert_eq!(manual.periods[0].to_string(), "2024-02-01");
}

#[test]
fn manual_mapping_for_unknown_headers() {
    let csv = b"when,what,how many\n2024-01-01,A,1\n2024-01-02,A,2\n";
    let err = load("f.csv", csv, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DataError::UnknownFormat { .. }), "{err}");
    let mut opts = LoadOptions::default();
    opts.read.mapping = Some(data::ColumnMapping {
        format: Format::Long,
        columns: vec![(Role::Date, 0), (Role::Sku, 1), (Role::Quantity, 2)],
    });
    let ds = load("f.csv", csv, &opts).unwrap();
    assert_eq!(ds.get("A").unwrap().values, vec![1.0, 2.0]);
}

#[test]
fn quoted_fields_with_commas_and_crlf() {
    let csv = b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\r\n1,A1,\"BOX, RED \",2,2024-01-01 10:00:00,1.5,7.0,UK\r\n2,A1,\"BOX, RED \",3,2024-01-02 10:00:00,1.5,,UK\r\n";
    let ds = load("f.csv", csv, &LoadOptions::default()).unwrap();
    let s = ds.get("A1").unwrap();
    assert_eq!(s.description, "BOX, RED");
    assert_eq!(s.values, vec![2.0, 3.0]);
    assert_eq!(ds.report.counts.missing_customer.lines, 1);
}

#[test]
fn cancellation_rules() {
    let csv = b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
1,A,x,80000,2024-01-01 10:00,1,7,UK\n\
2,A,x,5,2024-01-01 11:00,1,8,UK\n\
C3,A,x,-80000,2024-01-01 10:05,1,7,UK\n\
C4,A,x,-2,2024-01-02 09:00,1,8,UK\n\
5,A,x,4,2024-01-02 12:00,1,9,UK\n\
6,A,x,-10,2024-01-02 12:30,0,,UK\n";
    let ds = load("f.csv", csv, &LoadOptions::default()).unwrap();
    let c = &ds.report.counts;
    assert_eq!(c.matched_cancellations.units, 80000.0);
    assert_eq!((c.returns.lines, c.returns.units), (1, 2.0));
    assert_eq!(c.write_offs.lines, 1);
    assert_eq!(ds.get("A").unwrap().values, vec![5.0, 4.0]);
    let net = load(
        "f.csv",
        csv,
        &LoadOptions {
            cancellations: CancellationRule::Net,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(net.get("A").unwrap().values, vec![5.0, 2.0]);
}

#[test]
fn duplicates_removed() {
    let csv = b"Invoice,StockCode,Quantity,InvoiceDate,Price\n1,A,2,2024-01-01 10:00,1\n1,A,2,2024-01-01 10:00,1\n1,A,2,2024-01-01 10:01,1\n";
    let ds = load("f.csv", csv, &LoadOptions::default()).unwrap();
    assert_eq!(ds.report.counts.duplicates.lines, 1);
    assert_eq!(ds.get("A").unwrap().values, vec![4.0]);
}

#[test]
fn weekly_frequency() {
    let opts = LoadOptions {
        freq: Frequency::Weekly,
        ..Default::default()
    };
    let mut csv = String::from("date,sku,quantity\n");
    // Mon 2024-01-01 .. Sun 2024-02-04: five full weeks, 1 unit a day.
    for i in 0..35 {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(i);
        csv.push_str(&format!("{d},A,1\n"));
    }
    let ds = load("f.csv", csv.as_bytes(), &opts).unwrap();
    assert_eq!(ds.freq, Frequency::Weekly);
    assert_eq!(ds.get("A").unwrap().values, vec![7.0; 5]);
}

mod malformed {
    use super::*;

    fn err(bytes: &[u8]) -> DataError {
        load("upload.csv", bytes, &LoadOptions::default()).unwrap_err()
    }

    #[test]
    fn empty() {
        assert!(matches!(err(b""), DataError::Empty { .. }));
        assert!(matches!(err(b"  \n\n"), DataError::Empty { .. }));
    }

    #[test]
    fn header_only() {
        let e = err(b"date,sku,quantity\n");
        assert!(matches!(e, DataError::HeaderOnly { .. }), "{e}");
        assert!(e.to_string().starts_with("upload.csv:"));
    }

    #[test]
    fn one_column() {
        let e = err(b"date\n2024-01-01\n");
        assert!(matches!(e, DataError::OneColumn { .. }), "{e}");
    }

    #[test]
    fn binary_garbage() {
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(matches!(err(&bytes), DataError::NotText { .. }));
        // A zip/xlsx file.
        assert!(matches!(
            err(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
            DataError::NotText { .. }
        ));
    }

    #[test]
    fn wrong_delimiter_forced() {
        let mut opts = LoadOptions::default();
        opts.read.delimiter = Some(b';');
        let e = load("upload.csv", b"date,sku,quantity\n2024-01-01,A,1\n", &opts).unwrap_err();
        assert!(matches!(e, DataError::OneColumn { .. }), "{e}");
        assert!(e.to_string().contains("';'"));
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let csv = b"date,sku,quantity\n2024-01-01,A,1\n2024-01-02,A,lots\n2024-13-45,A,1\n2024-01-04,A,2\n";
        let e = err(csv);
        let DataError::BadRows {
            bad,
            rows,
            problems,
            ..
        } = &e
        else {
            panic!("{e}")
        };
        assert_eq!((*bad, *rows), (2, 4));
        assert_eq!(problems[0].line, 3);
        assert_eq!(problems[0].column, "3 (quantity)");
        assert_eq!(problems[0].value, "lots");
        assert_eq!(problems[1].line, 4);
        assert_eq!(problems[1].column, "1 (date)");
        let msg = e.to_string();
        assert!(
            msg.contains("upload.csv")
                && msg.contains("line 3")
                && msg.contains("column 3 (quantity)"),
            "{msg}"
        );
        // The merchant chooses to go on without them: nothing else is lost.
        let mut opts = LoadOptions::default();
        opts.read.skip_bad_rows = true;
        let ds = load("upload.csv", csv, &opts).unwrap();
        assert_eq!(ds.report.bad_rows, 2);
        assert_eq!(ds.get("A").unwrap().units, 3.0);
    }

    #[test]
    fn typo_in_a_year_is_a_bad_row() {
        let csv =
            b"date,sku,quantity\n2024-01-01,A,1\n2024-01-02,A,2\n2204-01-03,A,3\n2024-01-04,A,4\n";
        let e = err(csv);
        let DataError::BadRows { bad, problems, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(*bad, 1);
        assert_eq!(
            (
                problems[0].line,
                problems[0].column.as_str(),
                problems[0].value.as_str()
            ),
            (4, "1 (date)", "2204-01-03")
        );
        let mut opts = LoadOptions::default();
        opts.read.skip_bad_rows = true;
        let ds = load("upload.csv", csv, &opts).unwrap();
        assert_eq!(ds.periods.len(), 4);
    }

    #[test]
    fn truncated_file() {
        let full = fixture("online_retail_excerpt.csv");
        // Cut in the middle of a line, inside a quoted description.
        let cut = full
            .iter()
            .enumerate()
            .skip(200_000)
            .find(|(_, b)| **b == b'"')
            .map(|(i, _)| i + 3)
            .unwrap();
        let e = err(&full[..cut]);
        let DataError::BadRows { bad, problems, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(*bad, 1);
        assert!(problems[0].line > 2000, "{e}");
        let mut opts = LoadOptions::default();
        opts.read.skip_bad_rows = true;
        assert!(load("upload.csv", &full[..cut], &opts).is_ok());
    }

    #[test]
    fn missing_required_column() {
        let mut opts = LoadOptions::default();
        opts.read.mapping = Some(data::ColumnMapping {
            format: Format::Long,
            columns: vec![(Role::Date, 0), (Role::Sku, 1)],
        });
        let e = load("upload.csv", b"date,sku,quantity\n2024-01-01,A,1\n", &opts).unwrap_err();
        assert!(
            matches!(&e, DataError::MissingColumn { role, .. } if role == "quantity"),
            "{e}"
        );
    }

    #[test]
    fn unparsable_date_column() {
        let e = err(b"date,sku,quantity\nyesterday,A,1\n");
        assert!(matches!(e, DataError::BadDates { .. }), "{e}");
    }

    #[test]
    fn nothing_left_after_cleaning() {
        let e = err(b"Invoice,StockCode,Quantity,InvoiceDate,Price\n1,POST,1,2024-01-01 10:00,5\n");
        assert!(matches!(e, DataError::NoData { .. }), "{e}");
    }
}

#[test]
fn windows_1252_export() {
    let csv = b"date,sku,description,quantity\n2024-01-01,A,Caf\xe9 cup \x80,1\n";
    let ds = load("f.csv", csv, &LoadOptions::default()).unwrap();
    assert_eq!(ds.report.sniff.encoding, data::Encoding::Windows1252);
    assert_eq!(ds.get("A").unwrap().description, "Café cup €");
}

#[test]
fn dataset_round_trips_through_bytes() {
    let ds = load(
        "orders.csv",
        &fixture("shopify_orders.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    // (Compared as bytes: ADI is NaN for a SKU with one sale, and NaN != NaN.)
    assert_eq!(
        data::Dataset::from_bytes(&ds.to_bytes())
            .unwrap()
            .to_bytes(),
        ds.to_bytes()
    );
    assert!(matches!(
        data::Dataset::from_bytes(b"junk"),
        Err(DataError::Stored(_))
    ));
}

/// Monthly and quarterly files keep their own period (never zero-filled days in between),
/// with the season that goes with it; a daily file can be aggregated to months.
mod coarser_frequencies {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn monthly_long_file() {
        let ds = load(
            "monthly_long.csv",
            &fixture("monthly_long.csv"),
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(ds.frequency(), Frequency::Monthly);
        assert_eq!(ds.season(), 12);
        assert_eq!(ds.periods.len(), 30);
        assert_eq!(ds.periods[0], d("2023-01-01"));
        assert_eq!(ds.periods[29], d("2025-06-01"));
        assert!(ds.periods.windows(2).all(|w| {
            use chrono::Datelike;
            w[1].day() == 1
                && (w[1].year() * 12 + w[1].month() as i32)
                    - (w[0].year() * 12 + w[0].month() as i32)
                    == 1
        }));
        // B has no row in August and September 2023: those months sold nothing.
        let b = values(&ds, "B");
        assert_eq!(b.len(), 30);
        assert_eq!(b[7], ("2023-08-01".to_string(), 0.0));
        assert_eq!(b[8], ("2023-09-01".to_string(), 0.0));
        assert_eq!(b[9], ("2023-10-01".to_string(), 5.0));
        // C starts a year in: its series starts with its first sale.
        assert_eq!(values(&ds, "C")[0], ("2024-01-01".to_string(), 2.0));
        assert_eq!(
            ds.future_periods(3),
            vec![d("2025-07-01"), d("2025-08-01"), d("2025-09-01")]
        );
        assert_eq!(Frequency::Monthly.default_horizon(), 6);
        // Asking for weekly series cannot split months: the file stays monthly.
        let opts = LoadOptions {
            freq: Frequency::Weekly,
            ..LoadOptions::default()
        };
        let again = load("monthly_long.csv", &fixture("monthly_long.csv"), &opts).unwrap();
        assert_eq!(again.frequency(), Frequency::Monthly);
        // Asking for quarters aggregates: 10 quarters, each the sum of its months.
        let opts = LoadOptions {
            freq: Frequency::Quarterly,
            ..LoadOptions::default()
        };
        let q = load("monthly_long.csv", &fixture("monthly_long.csv"), &opts).unwrap();
        assert_eq!(q.frequency(), Frequency::Quarterly);
        assert_eq!(q.season(), 4);
        assert_eq!(q.periods.len(), 10);
        let a_months: Vec<f64> = ds.get("A").unwrap().values.clone();
        let a_quarters = &q.get("A").unwrap().values;
        assert_eq!(a_quarters[0], a_months[..3].iter().sum::<f64>());
        assert_eq!(a_quarters.iter().sum::<f64>(), a_months.iter().sum::<f64>());
    }

    #[test]
    fn quarterly_wide_file_on_quarter_ends() {
        let ds = load(
            "quarterly_wide.csv",
            &fixture("quarterly_wide.csv"),
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(ds.frequency(), Frequency::Quarterly);
        assert_eq!(ds.season(), 4);
        assert_eq!(ds.periods.len(), 12);
        // Each quarter is dated by its first day; the values are the file's.
        assert_eq!(values(&ds, "north")[0], ("2022-01-01".to_string(), 40.0));
        assert_eq!(values(&ds, "north")[11], ("2024-10-01".to_string(), 51.0));
        assert_eq!(values(&ds, "south")[2], ("2022-07-01".to_string(), 7.0));
        assert_eq!(ds.future_periods(2), vec![d("2025-01-01"), d("2025-04-01")]);
    }

    #[test]
    fn daily_file_aggregated_to_months_drops_partial_months() {
        // 2024-01-15 .. 2024-06-10, one unit a day: January and June are partial.
        let mut csv = String::from("date,sku,quantity\n");
        let mut day = d("2024-01-15");
        while day <= d("2024-06-10") {
            csv.push_str(&format!("{day},A,1\n"));
            day += chrono::Duration::days(1);
        }
        let opts = LoadOptions {
            freq: Frequency::Monthly,
            ..LoadOptions::default()
        };
        let ds = load("daily.csv", csv.as_bytes(), &opts).unwrap();
        assert_eq!(ds.frequency(), Frequency::Monthly);
        assert_eq!(
            values(&ds, "A"),
            vec![
                ("2024-02-01".to_string(), 29.0),
                ("2024-03-01".to_string(), 31.0),
                ("2024-04-01".to_string(), 30.0),
                ("2024-05-01".to_string(), 31.0),
            ]
        );
        assert_eq!(
            ds.report.calendar.partial_weeks,
            vec![d("2024-01-01"), d("2024-06-01")]
        );
        assert_eq!(ds.report.calendar.partial_week_units, 17.0 + 10.0);
        // Fewer than two years of months: no yearly season to model.
        assert_eq!(ds.season(), 1);
    }

    #[test]
    fn weekly_file_on_a_wednesday() {
        let mut csv = String::from("date,sku,quantity\n");
        for k in 0..20 {
            let day = d("2024-01-03") + chrono::Duration::days(7 * k);
            csv.push_str(&format!("{day},A,{}\n", k + 1));
        }
        let ds = load("weekly.csv", csv.as_bytes(), &LoadOptions::default()).unwrap();
        assert_eq!(ds.frequency(), Frequency::Weekly);
        assert_eq!(ds.periods.len(), 20);
        assert_eq!(ds.periods[0], d("2024-01-03"));
        assert_eq!(ds.future_periods(1), vec![d("2024-05-22")]);
    }
}

/// Stored datasets carry their format: the current one and the headerless bytes of the
/// first versions (format 0) read back; a newer format and broken bytes are errors that
/// say which (the page keeps such bytes instead of replacing them).
#[test]
fn stored_datasets_carry_their_format() {
    let ds = data::load(
        "monthly_long.csv",
        include_bytes!("fixtures/monthly_long.csv"),
        &LoadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let stored = ds.to_stored_bytes();
    assert_eq!(&stored[..6], b"SCDS\x02\x00");
    assert_eq!(Dataset::from_stored_bytes(&stored).unwrap(), ds);
    // Format 0 was the bare dataset without its last field, `matching` (empty for a
    // series file: four zero lengths).
    let bare = ds.to_bytes();
    assert_eq!(&bare[bare.len() - 4..], &[0, 0, 0, 0]);
    assert_eq!(
        Dataset::from_stored_bytes(&bare[..bare.len() - 4]).unwrap(),
        ds,
        "format 0"
    );
    let newer = [b"SCDS".as_slice(), &[9, 0], &stored[6..]].concat();
    let e = Dataset::from_stored_bytes(&newer).unwrap_err().to_string();
    assert!(e.contains("newer version") && e.contains("format 9"), "{e}");
    let e = Dataset::from_stored_bytes(&stored[..stored.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(e.contains("format 2, but"), "{e}");
    assert!(Dataset::from_stored_bytes(b"SCD").is_err());
    assert!(Dataset::from_stored_bytes(b"SCDS\x01").is_err());
}
