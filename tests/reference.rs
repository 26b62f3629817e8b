//! Reference check: ingesting the real Online Retail II export (525,461 order lines,
//! `../shared/data`) gives exactly the per-SKU daily totals of an independent
//! computation: `tests/reference/make_online_retail_daily.py` (Python 3.11 standard
//! library only; the command that made the fixture is at the top of that script).
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::io::Read;

use supplycast::data::{self, LoadOptions};

const SHARED: &str = "../shared/data/online_retail_ii_2009-12_2010-12.csv.gz";

fn gunzip(path: &str) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| {
        panic!("{path}: {e} (the shared data set sits beside the clone in CI)")
    });
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn online_retail_daily_totals_match_independent_computation() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bytes = gunzip(&format!("{root}/{SHARED}"));
    let ds = data::load(
        "online_retail_ii.csv",
        &bytes,
        &LoadOptions::default(),
        &mut |_| {},
    )
    .unwrap();

    let mut ours: BTreeMap<(String, String), f64> = BTreeMap::new();
    for s in &ds.series {
        for (d, v) in s.dates(&ds).iter().zip(&s.values) {
            if *v != 0.0 {
                ours.insert((s.sku.to_uppercase(), d.to_string()), *v);
            }
        }
    }
    let fixture = gunzip(&format!(
        "{root}/tests/reference/online_retail_daily.csv.gz"
    ));
    let mut theirs: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut rdr = csv::Reader::from_reader(&fixture[..]);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        theirs.insert(
            (rec[1].to_string(), rec[0].to_string()),
            rec[2].parse().unwrap(),
        );
    }
    assert_eq!(theirs.len(), 263_798, "fixture size");
    let missing: Vec<_> = theirs
        .iter()
        .filter(|(k, _)| !ours.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = ours
        .iter()
        .filter(|(k, _)| !theirs.contains_key(*k))
        .take(5)
        .collect();
    let differ: Vec<_> = theirs
        .iter()
        .filter(|(k, v)| ours.get(*k).is_some_and(|o| o != *v))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "missing {missing:?}\nextra {extra:?}\ndiffer {differ:?}"
    );
    assert_eq!(ours.len(), theirs.len());

    // The figures the README and the closing note quote.
    let r = &ds.report;
    assert_eq!(r.rows, 525_461);
    assert_eq!(r.counts.duplicates.lines, 6_865);
    assert_eq!(r.counts.matched_cancellations.lines, 3_108);
    assert_eq!(ds.series.len(), 4_074);
    assert_eq!(r.calendar.closed_weekdays, vec![chrono::Weekday::Sat]);
    assert_eq!(ds.periods.len(), 306);
}

#[test]
fn weekly_totals_are_the_daily_totals_regrouped() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bytes = gunzip(&format!("{root}/{SHARED}"));
    let daily = data::load("or.csv", &bytes, &LoadOptions::default(), &mut |_| {}).unwrap();
    let weekly = data::load(
        "or.csv",
        &bytes,
        &LoadOptions {
            freq: data::Frequency::Weekly,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let first = *weekly.periods.first().unwrap();
    let end = *weekly.periods.last().unwrap() + chrono::Duration::days(7);
    let in_weeks = |ds: &data::Dataset| -> f64 {
        ds.series
            .iter()
            .map(|s| {
                s.dates(ds)
                    .iter()
                    .zip(&s.values)
                    .filter(|(d, _)| **d >= first && **d < end)
                    .map(|(_, v)| v)
                    .sum::<f64>()
            })
            .sum()
    };
    assert_eq!(
        in_weeks(&daily),
        weekly.series.iter().map(|s| s.units).sum::<f64>()
    );
    // Regrouping the daily dataset gives the same weekly series as loading weekly.
    let regrouped = daily.to_weekly();
    assert_eq!(regrouped.periods, weekly.periods);
    assert_eq!(regrouped.series.len(), weekly.series.len());
    for s in &weekly.series {
        let r = regrouped.get(&s.sku).unwrap();
        assert_eq!((r.start, &r.values), (s.start, &s.values), "{}", s.sku);
    }
    // 2009-12-01 is a Tuesday and 2010-12-09 a Thursday: both edge weeks are partial.
    assert_eq!(weekly.report.calendar.partial_weeks.len(), 2);
    assert!(
        weekly
            .periods
            .iter()
            .all(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Mon)
    );
}
