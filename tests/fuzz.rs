//! Property tests: whatever bytes a merchant drops in, the parser answers with a
//! dataset or an error, never a panic.
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use supplycast::data::{self, LoadOptions};

fn no_panic(bytes: &[u8]) {
    for weekly in [false, true] {
        let opts = LoadOptions {
            freq: if weekly {
                data::Frequency::Weekly
            } else {
                data::Frequency::Daily
            },
            ..Default::default()
        };
        let _ = data::load("fuzz.csv", bytes, &opts, &mut |_| {});
        let skip = LoadOptions {
            read: data::ReadOptions {
                skip_bad_rows: true,
                ..Default::default()
            },
            ..opts
        };
        if let Ok(ds) = data::load("fuzz.csv", bytes, &skip, &mut |_| {}) {
            assert!(!ds.series.is_empty());
            assert!(
                ds.series
                    .iter()
                    .all(|s| s.values.iter().all(|v| v.is_finite() && *v >= 0.0))
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        no_panic(&bytes);
    }

    /// CSV-shaped input: a known header and rows drawn from plausible and broken cells.
    #[test]
    fn csv_shaped(
        header in prop::sample::select(vec![
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
            "date,sku,quantity", "unique_id,ds,y", "date,A,B", "Datum;A;B",
        ]),
        rows in proptest::collection::vec(proptest::collection::vec(prop::sample::select(vec![
            "", "1", "-3", "0", "12.5", "1,5", "C123", "A9", "POST", "\"x,y\"", "\"", "2024-02-29", "2023-02-29",
            "12/31/2024 11:59 PM", "31/12/2024", "2024-01-01 10:00:00 -0500", "99999999999999999999", "NaN", "é",
        ]), 0..9), 0..30),
    ) {
        let delim = if header.contains(';') { ";" } else { "," };
        let mut s = String::from(header);
        for r in rows {
            s.push('\n');
            s.push_str(&r.join(delim));
        }
        no_panic(s.as_bytes());
    }
}
