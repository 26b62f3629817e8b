//! Forecasting a whole dataset: the automatic choice for every SKU, with progress,
//! and the export the merchant downloads.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::backtest::{BacktestConfig, Choice};
use super::global::GlobalForecasts;
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

/// [`forecast_dataset`] with global models (neural, pretrained, fine-tuned) among every
/// SKU's candidates. Each takes part only at the backtest origins it never saw
/// ([`GlobalForecasts::candidates`]). A SKU too new to backtest (less than two horizons
/// of history) takes a global model's own quantiles where one has them (the pretrained
/// model), rather than the statistical models' short-history fallback.
pub fn forecast_dataset_with(
    ds: &Dataset,
    config: BacktestConfig,
    globals: &[GlobalForecasts],
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> ForecastRun {
    forecast_dataset_scenarios(ds, config, globals, &[], progress)
}

/// [`forecast_dataset_with`] with a generative model's paths for the scenarios:
/// `ranks[i]` (from the neural scenario model's paths for SKU `i`) gives its paths
/// their dependence when `config.scenarios` is
/// [`super::scenarios::Scenarios::Generative`] (ranks only: each period's values stay
/// the chosen forecaster's).
pub fn forecast_dataset_scenarios(
    ds: &Dataset,
    config: BacktestConfig,
    globals: &[GlobalForecasts],
    ranks: &[Option<super::scenarios::Ranks>],
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> ForecastRun {
    let n = ds.series.len();
    let total = 2 * n;
    let mut stopped = false;
    let bt = backtest_part(ds, &config, globals, 0..n, &mut |d| {
        let go = progress(d, total);
        stopped |= !go;
        go
    });
    // After a stop the series backtested so far are still forecast.
    let done = bt.series.len();
    let skus = finish_part(ds, &config, globals, ranks, &bt, 0..done, &mut |d| {
        let go = progress(n + d, total);
        stopped || go
    });
    ForecastRun {
        config,
        dates: ds.future_periods(config.h),
        skus,
        seconds: 0.0,
    }
}

/// What every part of a forecast needs: the series, their dates and the global
/// models' candidates.
struct Inputs<'a> {
    ys: Vec<&'a [f64]>,
    extra: Vec<Vec<models::Precomputed>>,
    season: usize,
}

impl<'a> Inputs<'a> {
    fn new(ds: &'a Dataset, config: &BacktestConfig, globals: &[GlobalForecasts]) -> Inputs<'a> {
        let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
        let dates: Vec<&[NaiveDate]> = ds.series.iter().map(|s| s.dates(ds)).collect();
        let extra = globals.iter().map(|g| g.candidates(&dates)).collect();
        Inputs {
            ys,
            extra,
            season: config.season,
        }
    }

    /// Series `i`'s candidates: the statistical models and the global models'.
    fn candidates(&self, i: usize) -> Vec<Box<dyn super::Model>> {
        let mut c = models::for_series(self.ys[i], self.season);
        for per in &self.extra {
            if let Some(m) = per.get(i) {
                c.push(Box::new(m.clone()));
            }
        }
        c
    }
}

fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// The backtests of the SKUs in `range` (one worker's share of [`forecast_dataset_scenarios`]);
/// parts are put together with [`super::select::Backtests::merge`]. `progress(done)`
/// counts SKUs of the part and may return `false` to stop.
pub fn backtest_part(
    ds: &Dataset,
    config: &BacktestConfig,
    globals: &[GlobalForecasts],
    range: std::ops::Range<usize>,
    progress: &mut dyn FnMut(usize) -> bool,
) -> super::select::Backtests {
    let inputs = Inputs::new(ds, config, globals);
    let start = range.start;
    let ys = &inputs.ys[range];
    let candidates = |j: usize| inputs.candidates(start + j);
    super::select::backtest_all(ys, &candidates, config, threads(), progress)
}

/// The forecasts of the SKUs in `range`, from the backtests of every SKU before them
/// (`bt`, all parts merged: the recipes are learnt across the whole dataset). The same
/// forecasts, seeds and paths as [`forecast_dataset_scenarios`] gives them.
pub fn finish_part(
    ds: &Dataset,
    config: &BacktestConfig,
    globals: &[GlobalForecasts],
    ranks: &[Option<super::scenarios::Ranks>],
    bt: &super::select::Backtests,
    range: std::ops::Range<usize>,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Vec<SkuForecast> {
    let inputs = Inputs::new(ds, config, globals);
    let n = bt.series.len().min(inputs.ys.len());
    let range = range.start.min(n)..range.end.min(n);
    let ys = &inputs.ys[..n];
    // Global models that finished after the backtests (the pretrained model run beside
    // the statistical workers) are backtested now, from the same origins.
    let late: Vec<&Vec<models::Precomputed>> = globals
        .iter()
        .zip(&inputs.extra)
        .filter(|(g, _)| !bt.names.contains(&g.name))
        .map(|(_, e)| e)
        .collect();
    let completed;
    let bt = if late.is_empty() {
        bt
    } else {
        let extra = |i: usize| -> Vec<Box<dyn super::Model>> {
            late.iter()
                .filter_map(|e| e.get(i))
                .map(|m| Box::new(m.clone()) as Box<dyn super::Model>)
                .collect()
        };
        completed = bt.clone().with_models(ys, &extra, config.h);
        &completed
    };
    let uniforms: Vec<Option<Vec<Vec<f64>>>> = ranks
        .iter()
        .map(|r| r.as_ref().map(|r| r.uniforms()).filter(|u| !u.is_empty()))
        .collect();
    let learnt = super::select::learn(bt, ys, config.h, None);
    let candidates = |i: usize| inputs.candidates(i);
    let results = super::select::finish_range(
        bt,
        &learnt,
        ys,
        &candidates,
        config,
        &uniforms,
        threads(),
        0,
        range.clone(),
        progress,
    );
    sku_forecasts(ds, config, globals, range, results)
}

/// Each SKU's result as the merchant gets it: a SKU too new to backtest takes a global
/// model's own quantiles where one has them.
fn sku_forecasts(
    ds: &Dataset,
    config: &BacktestConfig,
    globals: &[GlobalForecasts],
    range: std::ops::Range<usize>,
    results: Vec<Result<Choice, super::ForecastError>>,
) -> Vec<SkuForecast> {
    range
        .zip(results)
        .map(|(i, result)| {
            let s = &ds.series[i];
            let new_sku = s.values.len() < 2 * config.h;
            let own = globals
                .iter()
                .find_map(|g| Some((g, g.own_quantiles.get(i)?.as_ref()?)));
            let result = match own {
                Some((g, q)) if new_sku => {
                    Ok(own_choice(&g.name, q, s.values.len(), config, i as u64))
                }
                _ => result.map_err(|e| e.to_string()),
            };
            SkuForecast {
                sku: s.sku.clone(),
                result,
                seasonal: super::season::is_seasonal(&s.values, config.season),
            }
        })
        .collect()
}

/// One part of a catalogue backtested on its own (one machine's share of a distributed
/// forecast, [`backtest_alone`]): its backtests and the series the learning reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartBacktests {
    /// The part's backtests (model ids index the part's own names).
    pub backtests: super::select::Backtests,
    /// The part's series, in its order.
    pub ys: Vec<Vec<f64>>,
}

/// What was learnt once across every part, in catalogue order ([`learn_parts`]), for
/// every part to finish with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Learning {
    /// The model names of the merged backtests (the recipes' ids index these).
    pub names: Vec<String>,
    /// The recipes per group, for every series of the catalogue.
    pub learnt: super::select::Learnt,
    /// Per part: the catalogue index of its first series.
    pub offsets: Vec<usize>,
}

impl PartBacktests {
    /// Serialises for sending to another process or machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`PartBacktests::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<PartBacktests> {
        let p: PartBacktests = postcard::from_bytes(bytes).ok()?;
        let n = p.backtests.names.len();
        let ok = p.ys.len() == p.backtests.series.len()
            && p.backtests
                .series
                .iter()
                .all(|s| s.forecasts.iter().all(|(m, _)| *m < n));
        ok.then_some(p)
    }
}

impl Learning {
    /// Serialises for sending to another process or machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Learning::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<Learning> {
        let l: Learning = postcard::from_bytes(bytes).ok()?;
        let l2 = super::select::Learnt::from_bytes(&postcard::to_allocvec(&l.learnt).ok()?)?;
        Some(Learning { learnt: l2, ..l })
    }
}

/// The first stage of a distributed forecast: one part of the catalogue (a dataset
/// made with the whole catalogue's calendar, e.g. [`crate::data::long::from_long`]
/// with shared bounds) backtested on `threads` threads. Statistical models only.
pub fn backtest_alone(ds: &Dataset, config: &BacktestConfig, threads: usize) -> PartBacktests {
    let inputs = Inputs::new(ds, config, &[]);
    let candidates = |j: usize| inputs.candidates(j);
    let backtests =
        super::select::backtest_all(&inputs.ys, &candidates, config, threads.max(1), &mut |_| {
            true
        });
    let ys = ds.series.iter().map(|s| s.values.clone()).collect();
    PartBacktests { backtests, ys }
}

/// The second stage, once: the recipes learnt across every part's backtests, the parts
/// in catalogue order (as [`finish_part`] learns them across the whole dataset).
pub fn learn_parts(parts: &[PartBacktests], h: usize) -> Learning {
    let mut offsets = Vec::with_capacity(parts.len());
    let mut n = 0;
    for p in parts {
        offsets.push(n);
        n += p.backtests.series.len();
    }
    let bt = super::select::Backtests::merge(parts.iter().map(|p| p.backtests.clone()).collect());
    let ys: Vec<&[f64]> = parts
        .iter()
        .flat_map(|p| p.ys.iter().map(Vec::as_slice))
        .collect();
    let learnt = super::select::learn(&bt, &ys, h, None);
    Learning {
        names: bt.names,
        learnt,
        offsets,
    }
}

/// The last stage: part `index`'s forecasts from its backtests and what was learnt
/// across every part: the forecasts, seeds and paths [`forecast_dataset`] gives these
/// SKUs when it forecasts the whole catalogue at once. `None` when the part does not
/// belong to `learning` (another catalogue, or its backtests' models unknown there).
pub fn finish_alone(
    ds: &Dataset,
    config: &BacktestConfig,
    part: &PartBacktests,
    learning: &Learning,
    index: usize,
    threads: usize,
) -> Option<Vec<SkuForecast>> {
    let offset = *learning.offsets.get(index)?;
    let n = part.backtests.series.len();
    if ds.series.len() != n || offset + n > learning.learnt.of_series.len() {
        return None;
    }
    // The recipes name models by their place in the merged backtests' names.
    let ids: Vec<usize> = part
        .backtests
        .names
        .iter()
        .map(|m| learning.names.iter().position(|x| x == m))
        .collect::<Option<_>>()?;
    let mut bt = part.backtests.clone();
    bt.names = learning.names.clone();
    for s in &mut bt.series {
        for f in &mut s.forecasts {
            f.0 = ids[f.0];
        }
    }
    let learnt = learning.learnt.slice(offset..offset + n);
    let inputs = Inputs::new(ds, config, &[]);
    let candidates = |i: usize| inputs.candidates(i);
    let results = super::select::finish_range(
        &bt,
        &learnt,
        &inputs.ys,
        &candidates,
        config,
        &[],
        threads.max(1),
        offset as u64,
        0..n,
        &mut |_| true,
    );
    Some(sku_forecasts(ds, config, &[], 0..n, results))
}

/// A global model's own forecast for a SKU too new to backtest: its P10/P50/P90, and
/// integer sample paths drawn through them with a Gaussian copula whose latent value
/// persists from period to period (AR(1), ρ = 0.5), so that sums over a lead time
/// spread as streaky demand does.
fn own_choice(name: &str, q: &[Vec<f64>; 3], n: usize, cfg: &BacktestConfig, seed: u64) -> Choice {
    let h = cfg.h;
    let get = |k: usize, j: usize| q[k].get(j).copied().unwrap_or(0.0).max(0.0);
    let quantiles: [Vec<f64>; 3] = std::array::from_fn(|k| (0..h).map(|j| get(k, j)).collect());
    let mut rng = crate::rng::SplitMix::new(0x0E5E ^ seed);
    let rho: f64 = 0.5;
    let z10 = 1.2815515655446004;
    let paths = (0..cfg.paths)
        .map(|_| {
            let mut z = rng.normal();
            (0..h)
                .map(|j| {
                    if j > 0 {
                        z = rho * z + (1.0 - rho * rho).sqrt() * rng.normal();
                    }
                    let (p10, p50, p90) = (quantiles[0][j], quantiles[1][j], quantiles[2][j]);
                    // Linear in z between the quantiles (z = ±1.28 at P10/P90).
                    let v = if z >= 0.0 {
                        p50 + (p90 - p50) * z / z10
                    } else {
                        p50 + (p50 - p10) * z / z10
                    };
                    v.max(0.0).round()
                })
                .collect()
        })
        .collect();
    let label = format!("{name} (new SKU)");
    Choice {
        forecast: super::Forecast {
            model: label.clone(),
            point: quantiles[1].clone(),
            quantiles,
            paths,
        },
        reason: format!(
            "{label}: with {n} periods of history (under two horizons) there is too little to backtest any model, so the pretrained model's own P10/P50/P90 are used; they were measured on new SKUs in the cold-start benchmark"
        ),
        leaderboard: Vec::new(),
        windows: Vec::new(),
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
                    crate::data::csv_field(&s.sku),
                    q(0),
                    q(1),
                    q(2),
                    crate::data::csv_field(&f.model)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, LoadOptions};

    /// A long table of `n` SKUs of different shapes (some new, some intermittent).
    fn long_table(n: usize) -> (Vec<String>, Vec<data::long::LongRow>) {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let skus: Vec<String> = (0..n).map(|k| format!("S{k:03}")).collect();
        let mut rows = Vec::new();
        let mut rng = crate::rng::SplitMix::new(11);
        for k in 0..n {
            let first = (k * 7) % 90;
            for day in first..200 {
                let level = 1.0 + (k % 5) as f64 * 3.0;
                let weekly = if day % 7 < 2 { 0.5 } else { 1.0 };
                let q = (level * weekly * (0.5 + rng.uniform())).round();
                if k % 4 == 3 && rng.uniform() < 0.7 {
                    continue;
                }
                rows.push(data::long::LongRow {
                    sku: k as u32,
                    date: start + chrono::Duration::days(day as i64),
                    quantity: q,
                });
            }
        }
        (skus, rows)
    }

    /// The three stages run part by part (backtest each part alone, learn once across
    /// every part, finish each part alone) give exactly the forecasts of the whole
    /// catalogue at once: what a distributed engine relies on.
    #[test]
    fn a_catalogue_forecast_in_parts_equals_the_whole() {
        let (skus, rows) = long_table(60);
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
        let bounds = data::long::Bounds::of(&dates, None).unwrap();
        let whole = data::long::from_long("t", &skus, &rows, bounds).unwrap();
        let cfg = BacktestConfig {
            h: 14,
            windows: 2,
            season: whole.season(),
            paths: 10,
            scenarios: Default::default(),
        };
        let expected = forecast_dataset(&whole, cfg, &mut |_, _| true).skus;
        // Three parts by SKU ranges, each with the whole table's bounds.
        let cuts = [0u32, 17, 41, 60];
        let parts: Vec<Dataset> = cuts
            .windows(2)
            .map(|w| {
                let r: Vec<_> = rows
                    .iter()
                    .filter(|r| (w[0]..w[1]).contains(&r.sku))
                    .copied()
                    .collect();
                data::long::from_long("t", &skus, &r, bounds).unwrap()
            })
            .collect();
        let backtests: Vec<PartBacktests> = parts
            .iter()
            .map(|p| PartBacktests::from_bytes(&backtest_alone(p, &cfg, 2).to_bytes()).unwrap())
            .collect();
        let learning = Learning::from_bytes(&learn_parts(&backtests, cfg.h).to_bytes()).unwrap();
        let mut got = Vec::new();
        for (k, (p, b)) in parts.iter().zip(&backtests).enumerate() {
            got.extend(finish_alone(p, &cfg, b, &learning, k, 1).unwrap());
        }
        assert_eq!(got.len(), expected.len());
        assert_eq!(got, expected);
        // A part that is not of this catalogue is refused, not forecast wrongly.
        assert!(finish_alone(&parts[0], &cfg, &backtests[1], &learning, 0, 1).is_none());
    }

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
            scenarios: Default::default(),
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

    #[test]
    fn new_skus_take_a_global_models_own_quantiles() {
        let mut csv = String::from("date,sku,quantity\n");
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for i in 0..120 {
            let d = start + chrono::Duration::days(i);
            csv.push_str(&format!("{d},OLD,{}\n", 5 + i % 7));
            if i >= 110 {
                csv.push_str(&format!("{d},NEW,3\n"));
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
            h: 7,
            windows: 2,
            season: 7,
            paths: 30,
            scenarios: Default::default(),
        };
        let new_i = ds.series.iter().position(|s| s.sku == "NEW").unwrap();
        let q = [vec![1.0; 7], vec![3.0; 7], vec![6.0; 7]];
        let mut own = vec![None; ds.series.len()];
        own[new_i] = Some(q.clone());
        let g = GlobalForecasts {
            name: "pretrained".into(),
            fitted_through: None,
            per_series: vec![Vec::new(); ds.series.len()],
            own_quantiles: own,
        };
        let run = forecast_dataset_with(&ds, cfg, &[g], &mut |_, _| true);
        let new = run.skus.iter().find(|s| s.sku == "NEW").unwrap();
        let c = new.result.as_ref().unwrap();
        assert_eq!(c.forecast.model, "pretrained (new SKU)");
        assert_eq!(c.forecast.quantiles, q);
        assert!(c.reason.contains("10 periods of history"), "{}", c.reason);
        assert_eq!(c.forecast.paths.len(), 30);
        // Paths spread between the quantiles: about 80 % of values within P10..P90.
        let inside = c
            .forecast
            .paths
            .iter()
            .flatten()
            .filter(|v| **v >= 1.0 && **v <= 6.0)
            .count();
        assert!(inside as f64 / 210.0 > 0.7, "{inside}");
        // The long-history SKU keeps the automatic choice.
        let old = run.skus.iter().find(|s| s.sku == "OLD").unwrap();
        assert!(
            !old.result
                .as_ref()
                .unwrap()
                .forecast
                .model
                .contains("new SKU")
        );
    }

    /// The browser runs the pretrained model beside the statistical backtests and hands
    /// its forecasts to the second step only: that must give exactly the forecasts of a
    /// run that had it among the candidates from the start.
    #[test]
    fn a_global_model_joining_after_the_backtests_gives_the_same_forecasts() {
        let mut csv = String::from("date,sku,quantity\n");
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for i in 0..140i64 {
            let d = start + chrono::Duration::days(i);
            for k in 0..6i64 {
                let q = (k + 1) * (3 + (i + k) % 7) / 2 + (i * (k + 3)) % 5;
                csv.push_str(&format!("{d},S{k},{q}\n"));
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
            h: 7,
            windows: 3,
            season: 7,
            paths: 20,
            scenarios: Default::default(),
        };
        // A stand-in for the pretrained model: the mean of the last week, every origin.
        let dates: Vec<&[NaiveDate]> = ds.series.iter().map(|s| s.dates(&ds)).collect();
        let at = super::super::global::requests(&dates, &cfg, None);
        let fcs = at
            .iter()
            .map(|&(i, o)| {
                let y = &ds.series[i].values[..o];
                let m = y[y.len() - 7..].iter().sum::<f64>() / 7.0;
                vec![m; cfg.h]
            })
            .collect();
        let g =
            GlobalForecasts::from_predictions("pretrained".into(), None, ds.series.len(), &at, fcs);
        let n = ds.series.len();
        let globals = [g];
        let from_start = backtest_part(&ds, &cfg, &globals, 0..n, &mut |_| true);
        let without = backtest_part(&ds, &cfg, &[], 0..n, &mut |_| true);
        assert!(!without.names.contains(&"pretrained".to_string()));
        let a = finish_part(&ds, &cfg, &globals, &[], &from_start, 0..n, &mut |_| true);
        let b = finish_part(&ds, &cfg, &globals, &[], &without, 0..n, &mut |_| true);
        assert_eq!(a, b);
        let boards = |r: &[SkuForecast]| {
            r.iter()
                .filter(|s| {
                    s.result
                        .as_ref()
                        .is_ok_and(|c| c.leaderboard.iter().any(|e| e.model == "pretrained"))
                })
                .count()
        };
        assert_eq!(boards(&b), n, "the late model is scored on every SKU");
    }
}
