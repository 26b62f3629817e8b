//! New sales in (`data::update::append`, `store::Store`) and forecasts met by reality
//! (`forecast::tracking`).
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Read;

use supplycast::data::{self, CancellationRule, Dataset, LoadOptions};
use supplycast::forecast::backtest::BacktestConfig;
use supplycast::forecast::{run, tracking};
use supplycast::store::Store;

const SHARED: &str = "../shared/data/online_retail_ii_2009-12_2010-12.csv.gz";

fn shared_text() -> String {
    let path = format!("{}/{SHARED}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (the shared data set sits beside the clone in CI)")
    });
    let mut out = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn load(name: &str, text: &str, rule: CancellationRule) -> Dataset {
    let opts = LoadOptions {
        cancellations: rule,
        ..Default::default()
    };
    data::load(name, text.as_bytes(), &opts, &mut |_| {}).unwrap()
}

/// The file's lines before `day` and from `day` on, each with the header.
fn split(text: &str, day: &str) -> (String, String) {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut a, mut b) = (format!("{header}\n"), format!("{header}\n"));
    for l in lines {
        // InvoiceDate is the 5th field, YYYY-MM-DD first; descriptions may hold quoted
        // commas, so find the date by its shape.
        let date = l
            .split(',')
            .find(|f| f.len() >= 10 && f.as_bytes()[4] == b'-' && f.as_bytes()[7] == b'-')
            .map(|f| &f[..10])
            .unwrap();
        if date < day {
            a.push_str(l);
            a.push('\n');
        } else {
            b.push_str(l);
            b.push('\n');
        }
    }
    (a, b)
}

fn values(ds: &Dataset) -> Vec<(String, Vec<f64>)> {
    let mut v: Vec<(String, Vec<f64>)> = ds
        .series
        .iter()
        .map(|s| {
            let mut full = vec![0.0; s.start];
            full.extend_from_slice(&s.values);
            (s.sku.clone(), full)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The same SKUs with the same values, or the first differences named (not the
/// whole series: they are thousands of numbers).
fn assert_same(a: &Dataset, b: &Dataset) {
    let (va, vb) = (values(a), values(b));
    let skus = |v: &[(String, Vec<f64>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    let (sa, sb) = (skus(&va), skus(&vb));
    let only_a: Vec<_> = sa.iter().filter(|s| !sb.contains(s)).take(5).collect();
    let only_b: Vec<_> = sb.iter().filter(|s| !sa.contains(s)).take(5).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "SKUs only in one: {only_a:?} / {only_b:?}"
    );
    let mut diffs = Vec::new();
    for ((sku, x), (_, y)) in va.iter().zip(&vb) {
        if x.len() != y.len() {
            diffs.push(format!("{sku}: {} vs {} periods", x.len(), y.len()));
        } else if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
            diffs.push(format!(
                "{sku}: period {} ({}) {} vs {}",
                i, a.periods[i], x[i], y[i]
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} SKUs differ, e.g. {:?}",
        diffs.len(),
        &diffs[..diffs.len().min(5)]
    );
}

#[test]
fn appending_the_next_month_equals_loading_the_whole_file_and_twice_changes_nothing() {
    let text = shared_text();
    let (before, after) = split(&text, "2010-11-01");
    let rule = CancellationRule::Net;
    let whole = load("whole.csv", &text, rule);
    let first = load("before.csv", &before, rule);
    let next = load("november.csv", &after, rule);
    let mut store = Store::new(first.clone());
    let (report, eval) = store.update(&next).unwrap();
    assert!(eval.is_none(), "no forecast was kept");
    assert_eq!(store.dataset.periods, whole.periods);
    assert_same(&store.dataset, &whole);
    assert_eq!(report.replaced_periods, 0);
    assert_eq!(report.added_periods, next.periods.len());
    assert_eq!(
        store.dataset.report.calendar.closed_weekdays,
        whole.report.calendar.closed_weekdays
    );
    eprintln!("{}", report.summary());

    // The same export again: every period it covers is replaced, nothing doubles.
    let once = store.dataset.clone();
    let (again, r2) = data::update::append(&once, &next).unwrap();
    assert_same(&again, &once);
    assert_eq!(r2.replaced_periods, next.periods.len());
    assert_eq!(r2.added_periods, 0);
    assert_eq!(r2.replaced_units.0, r2.replaced_units.1);
    assert!(r2.new_skus.is_empty());

    // An export from before the stored data is refused with the file's name.
    let e = data::update::append(&next, &first).unwrap_err().to_string();
    assert!(e.starts_with("before.csv: cannot add"), "{e}");
    // So is one with a different period.
    let weekly = first.to_weekly();
    assert!(data::update::append(&weekly, &next).is_err());
}

/// A long series file: `skus` steady SKUs selling about 10 a day and one that sells
/// `level` a day, over `days` days from `start`.
/// With cancellations matched to the sale they cancel (the default), a cancellation
/// in November of a sale before it removes that sale on append as it does in the
/// whole file: the stored data keeps what matching needs (issue 33, section 5).
#[test]
fn appending_with_matched_cancellations_equals_loading_the_whole_file() {
    let text = shared_text();
    let (before, after) = split(&text, "2010-11-01");
    let rule = CancellationRule::RemoveMatchedOrders;
    let whole = load("whole.csv", &text, rule);
    let first = load("before.csv", &before, rule);
    let next = load("november.csv", &after, rule);
    // Some of November's cancellations match only sales of the months before.
    assert!(!next.matching.returns.is_empty());
    let stored = Dataset::from_stored_bytes(&first.to_stored_bytes()).unwrap();
    let mut store = Store::new(stored);
    store.update(&next).unwrap();
    assert_eq!(store.dataset.periods, whole.periods);
    assert_same(&store.dataset, &whole);
    // Twice changes nothing.
    store.update(&next).unwrap();
    assert_same(&store.dataset, &whole);
    // Data stored without those lines (before format 2) still differs, as it did.
    let old = Dataset {
        matching: Default::default(),
        ..first.clone()
    };
    let mut store = Store::new(old);
    store.update(&next).unwrap();
    let differ = values(&store.dataset)
        .iter()
        .zip(values(&whole))
        .filter(|(a, b)| **a != *b)
        .count();
    eprintln!(
        "without matching: {differ} of {} SKUs differ; stored bytes {} with, {} without",
        whole.series.len(),
        first.to_stored_bytes().len(),
        Dataset {
            matching: Default::default(),
            ..first.clone()
        }
        .to_stored_bytes()
        .len()
    );
    assert!(differ > 0);
}

fn long_file(start: chrono::NaiveDate, days: i64, level: f64) -> String {
    let mut out = String::from("date,sku,quantity\n");
    for d in 0..days {
        let day = start + chrono::Duration::days(d);
        for k in 0..6 {
            let q = 8 + ((d * 7 + k * 3) % 5);
            out.push_str(&format!("{day},S{k},{q}\n"));
        }
        let q = (level + ((d * 5) % 3) as f64).round();
        out.push_str(&format!("{day},JUMP,{q}\n"));
    }
    out
}

#[test]
fn a_doubling_level_is_flagged_as_drift_and_steady_skus_are_not() {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let history = load(
        "history.csv",
        &long_file(start, 150, 10.0),
        CancellationRule::Net,
    );
    let cfg = BacktestConfig {
        h: 14,
        windows: 3,
        season: history.season(),
        paths: 0,
        scenarios: Default::default(),
    };
    let fr = run::forecast_dataset(&history, cfg, &mut |_, _| true);
    let mut store = Store::new(history.clone());
    store.keep(tracking::Snapshot::from_run(&fr, &history));
    let newer = load(
        "newer.csv",
        &long_file(start + chrono::Duration::days(150), 14, 20.0)
            .lines()
            .map(|l| {
                // Steady SKUs stay as they were; only JUMP doubles.
                l.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        CancellationRule::Net,
    );
    let (_, eval) = store.update(&newer).unwrap();
    let eval = eval.expect("the kept forecast is scored");
    assert_eq!(eval.periods, 14);
    let jump = eval.skus.iter().find(|s| s.sku == "JUMP").unwrap();
    assert!(jump.drift, "{jump:?}");
    assert!(jump.above >= 12, "{jump:?}");
    assert!(jump.action.as_deref().unwrap().contains("rose"));
    for s in eval.skus.iter().filter(|s| s.sku != "JUMP") {
        assert!(!s.drift, "{s:?}");
    }
    assert_eq!(eval.drifted(), 1);
    assert!(eval.bias < 0.0, "under-forecast overall: {}", eval.bias);

    // The store keeps all of it through its bytes, and reads the app's bare dataset.
    let bytes = store.to_bytes();
    let back = Store::from_bytes("s.sc", &bytes).unwrap();
    assert_eq!(back, store);
    let bare = Store::from_bytes("d", &history.to_stored_bytes()).unwrap();
    assert_eq!(bare.dataset, history);
    let mut newer_format = bytes.clone();
    newer_format[4] = 9;
    assert!(
        Store::from_bytes("s.sc", &newer_format)
            .unwrap_err()
            .to_string()
            .contains("newer version")
    );
    assert!(Store::from_bytes("s.sc", &bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn ingest_store_update_and_accuracy_commands() {
    let dir = std::env::temp_dir().join(format!("supplycast-update-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let (hist, newer) = (dir.join("history.csv"), dir.join("newer.csv"));
    std::fs::write(&hist, long_file(start, 150, 10.0)).unwrap();
    std::fs::write(
        &newer,
        long_file(start + chrono::Duration::days(150), 14, 20.0),
    )
    .unwrap();
    let store = dir.join("shop.sc");
    let bin = || std::process::Command::new(env!("CARGO_BIN_EXE_supplycast"));
    let out = bin()
        .arg("ingest")
        .arg(&hist)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let series = dir.join("series.csv");
    let out = bin()
        .arg("update")
        .arg(&store)
        .arg(&newer)
        .arg("--out")
        .arg(&series)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("newer.csv: 14 new periods"), "{stdout}");
    assert!(stdout.contains("1 SKUs drifting"), "{stdout}");
    assert!(stdout.contains("JUMP: "), "{stdout}");
    // 7 SKUs × 164 days, and the header.
    assert_eq!(
        std::fs::read_to_string(&series).unwrap().lines().count(),
        1 + 7 * 164
    );
    let out = bin()
        .arg("accuracy")
        .arg(&store)
        .arg("--json")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["periods"], 14);
    // A damaged store: exit 2, the file named, the store untouched.
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..100]).unwrap();
    let out = bin().arg("accuracy").arg(&store).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shop.sc: not a supplycast store"));
    assert_eq!(std::fs::read(&store).unwrap().len(), 100);
}

#[test]
fn a_short_export_does_not_reopen_a_closed_weekday() {
    // Closed on Saturdays: 10 weeks of history, then one week whose Saturday is empty.
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(); // a Monday
    let file = |from: i64, days: i64| {
        let mut out = String::from("date,sku,quantity\n");
        for d in from..from + days {
            let day = start + chrono::Duration::days(d);
            if chrono::Datelike::weekday(&day) != chrono::Weekday::Sat {
                out.push_str(&format!("{day},A,{}\n", 3 + d % 4));
            }
        }
        out
    };
    let stored = load("h.csv", &file(0, 70), CancellationRule::Net);
    assert_eq!(
        stored.report.calendar.closed_weekdays,
        vec![chrono::Weekday::Sat]
    );
    let week = load("w.csv", &file(70, 7), CancellationRule::Net);
    let (merged, report) = data::update::append(&stored, &week).unwrap();
    assert_eq!(report.added_periods, 6);
    assert_eq!(
        merged.report.calendar.closed_weekdays,
        vec![chrono::Weekday::Sat]
    );
    let whole = load("all.csv", &file(0, 77), CancellationRule::Net);
    assert_eq!(merged.periods, whole.periods);
}
