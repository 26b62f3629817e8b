//! Forecasting a whole dataset: the automatic choice for every SKU, with progress,
//! and the export the merchant downloads.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::backtest::{BacktestConfig, Choice};
use super::models;
use crate::data::Dataset;

/// One SKU's forecast and how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuForecast {
    /// The SKU.
    pub sku: String,
    /// The choice (forecast, reason, leaderboard, backtest windows), or why there is none.
    pub result: Result<Choice, String>,
    /// Whether the series showed the seasonal cycle.
    pub seasonal: bool,
}

/// Forecasts of every SKU of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRun {
    /// The settings used.
    pub config: BacktestConfig,
    /// Dates of the forecast periods.
    pub dates: Vec<NaiveDate>,
    /// Per SKU, in the dataset's order.
    pub skus: Vec<SkuForecast>,
    /// Wall time (s).
    pub seconds: f64,
}

/// Forecasts every series of `ds` ([`super::select::choose_all`]). `progress(done,
/// total)` is called as SKUs are backtested and then forecast, and may return `false`
/// to stop early (the SKUs backtested so far are forecast and returned).
pub fn forecast_dataset(
    ds: &Dataset,
    config: BacktestConfig,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> ForecastRun {
    forecast_dataset_with(ds, config, &[], progress)
}

/// [`forecast_dataset`] with extra candidates per SKU (index-aligned with
/// `ds.series`; e.g. neural models' precomputed forecasts) in every backtest and
/// choice.
pub fn forecast_dataset_with(
    ds: &Dataset,
    config: BacktestConfig,
    extra: &[Vec<models::Precomputed>],
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> ForecastRun {
    let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
    let candidates = |i: usize| -> Vec<Box<dyn super::Model>> {
        let mut c = models::for_series(ys[i], config.season);
        if let Some(more) = extra.get(i) {
            c.extend(
                more.iter()
                    .cloned()
                    .map(|m| Box::new(m) as Box<dyn super::Model>),
            );
        }
        c
    };
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let results = super::select::choose_all(&ys, &candidates, &config, threads, 0, progress);
    let skus = ds
        .series
        .iter()
        .zip(results)
        .map(|(s, result)| SkuForecast {
            sku: s.sku.clone(),
            result: result.map_err(|e| e.to_string()),
            seasonal: super::season::is_seasonal(&s.values, config.season),
        })
        .collect();
    ForecastRun {
        config,
        dates: ds.future_periods(config.h),
        skus,
        seconds: 0.0,
    }
}

impl ForecastRun {
    /// The export: `sku,date,p10,p50,p90,model`, one row per SKU and period.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("sku,date,p10,p50,p90,model\n");
        for s in &self.skus {
            let Ok(c) = &s.result else { continue };
            let f = &c.forecast;
            for (j, d) in self.dates.iter().enumerate() {
                let q = |k: usize| fmt(f.quantiles[k].get(j).copied().unwrap_or(0.0));
                out.push_str(&format!(
                    "{},{d},{},{},{},{}\n",
                    csv_field(&s.sku),
                    q(0),
                    q(1),
                    q(2),
                    csv_field(&f.model)
                ));
            }
        }
        out
    }

    /// Serialises for sending between threads.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`ForecastRun::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<ForecastRun> {
        postcard::from_bytes(bytes).ok()
    }
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, LoadOptions};

    #[test]
    fn forecasts_a_dataset_and_exports_csv() {
        let mut csv = String::from("date,sku,quantity\n");
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for i in 0..120 {
            let d = start + chrono::Duration::days(i);
            csv.push_str(&format!("{d},\"A,1\",{}\n", 5 + i % 7));
            if i % 3 == 0 {
                csv.push_str(&format!("{d},B,2\n"));
            }
        }
        let ds = data::load(
            "f.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let cfg = BacktestConfig {
            h: 14,
            windows: 3,
            season: ds.season(),
            paths: 20,
        };
        let mut calls = Vec::new();
        let run = forecast_dataset(&ds, cfg, &mut |done, total| {
            calls.push((done, total));
            true
        });
        // Each SKU backtested, then each forecast.
        assert_eq!(calls, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
        assert_eq!(run.dates.len(), 14);
        assert_eq!(run.dates[0], start + chrono::Duration::days(120));
        let a = run.skus.iter().find(|s| s.sku == "A,1").unwrap();
        let c = a.result.as_ref().unwrap();
        assert!(a.seasonal, "a weekly cycle");
        assert_eq!(c.forecast.paths.len(), 20);
        assert!(
            c.forecast
                .paths
                .iter()
                .flatten()
                .all(|v| v.fract() == 0.0 && *v >= 0.0),
            "integer paths"
        );
        for k in 0..3 {
            assert_eq!(c.forecast.quantiles[k].len(), 14);
        }
        assert!((0..14).all(|j| c.forecast.quantiles[0][j] <= c.forecast.quantiles[2][j]));
        assert!(!c.reason.is_empty() && !c.leaderboard.is_empty());
        let text = run.to_csv();
        assert!(text.starts_with("sku,date,p10,p50,p90,model\n\"A,1\",2024-04-30,"));
        assert_eq!(text.lines().count(), 1 + 2 * 14);
        // Stopping early keeps what was done.
        let partial = forecast_dataset(&ds, cfg, &mut |_, _| false);
        assert_eq!(partial.skus.len(), 1);
        assert_eq!(
            ForecastRun::from_bytes(&run.to_bytes()).unwrap().skus.len(),
            2
        );
    }
}
