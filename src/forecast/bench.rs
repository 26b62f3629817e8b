//! The hold-out benchmark: every model and the automatic choice on the last `h`
//! periods of every series, scored as the StatsForecast reference harness
//! (`../shared/tools/reference_forecast.py`) scores its models.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::backtest::{self, BacktestConfig};
use super::metrics::{self, Scores, Summary};
use super::{Model, models};

/// One model's held-out result on all series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Model name ("Auto" for the automatic choice).
    pub model: String,
    /// Scores averaged over series.
    pub summary: Summary,
    /// Wall time of backtests + fit + forecast for this model over all series (s).
    pub wall_s: f64,
    /// Threads used.
    pub threads: usize,
}

/// A held-out forecast of one series by one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Series.
    pub sku: String,
    /// Model.
    pub model: String,
    /// Point forecast, P10, P50, P90 per held-out period.
    pub point: Vec<f64>,
    /// P10.
    pub p10: Vec<f64>,
    /// P50.
    pub p50: Vec<f64>,
    /// P90.
    pub p90: Vec<f64>,
}

/// The benchmark's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Horizon.
    pub h: usize,
    /// Season length (also the MASE scale lag).
    pub season: usize,
    /// Series evaluated.
    pub series: usize,
    /// Series too short to evaluate (length ≤ h + season), as the reference harness.
    pub too_short: usize,
    /// Per model, in the order run; "Auto" last.
    pub models: Vec<ModelReport>,
    /// What the automatic choice picked: (model, series count).
    pub choices: Vec<(String, usize)>,
    /// Every held-out forecast, when asked for.
    pub forecasts: Vec<HeldOut>,
}

/// Runs the benchmark. `progress` gets the fraction done.
/// The automatic choice runs on `threads` threads; the single models one at a time.
pub fn run(
    series: &[(String, Vec<f64>)],
    cfg: &BacktestConfig,
    keep_forecasts: bool,
    threads: usize,
    progress: &mut dyn FnMut(f64),
) -> BenchReport {
    let h = cfg.h;
    let eligible: Vec<&(String, Vec<f64>)> = series
        .iter()
        .filter(|(_, y)| y.len() > h + cfg.season)
        .collect();
    let too_short = series.len() - eligible.len();
    let candidates: Vec<Box<dyn Model>> = models::standard(cfg.season);
    let mut reports = Vec::new();
    let mut forecasts = Vec::new();
    let total = (candidates.len() + 1) * eligible.len().max(1);
    let mut done = 0usize;
    let score_one = |y: &[f64], f: &crate::forecast::Forecast| -> Option<Scores> {
        let (train, test) = y.split_at(y.len() - h);
        let scale = metrics::scales(train, cfg.season)?;
        if scale.0 <= 0.0 {
            return None;
        }
        Some(metrics::score(
            test,
            &f.point,
            &f.quantiles[0],
            &f.quantiles[1],
            &f.quantiles[2],
            scale,
        ))
    };
    for (mi, m) in candidates.iter().enumerate() {
        let t = Instant::now();
        let mut scores = Vec::new();
        for (sku, y) in &eligible {
            done += 1;
            progress(done as f64 / total as f64);
            let train = &y[..y.len() - h];
            let Ok(point) = m.forecast(train, h) else {
                continue;
            };
            let errs = backtest::backtest(m.as_ref(), train, cfg)
                .ok()
                .flatten()
                .map(|b| backtest::errors(train, &b.origins, &b.forecasts, h))
                .unwrap_or_default();
            let integer = train.iter().all(|v| v.fract() == 0.0);
            let f = backtest::probabilistic(
                m.name(),
                point,
                &errs,
                backtest::level(train, train.len(), h),
                integer,
                0,
                mi as u64,
            );
            if let Some(s) = score_one(y, &f) {
                scores.push(s);
            }
            if keep_forecasts {
                forecasts.push(held_out(sku, &f));
            }
        }
        reports.push(ModelReport {
            model: m.name(),
            summary: metrics::summarise(&scores),
            wall_s: t.elapsed().as_secs_f64(),
            threads: 1,
        });
    }
    let t = Instant::now();
    let mut scores = Vec::new();
    let mut choices: Vec<(String, usize)> = Vec::new();
    let results = super::par_map(&eligible, threads, |(_, y)| {
        let train = &y[..y.len() - h];
        backtest::choose(&models::for_series(train, cfg.season), train, cfg, 7).ok()
    });
    progress(1.0);
    for ((sku, y), choice) in eligible.iter().zip(results) {
        let Some(choice) = choice else { continue };
        match choices
            .iter_mut()
            .find(|(m, _)| *m == choice.forecast.model)
        {
            Some((_, n)) => *n += 1,
            None => choices.push((choice.forecast.model.clone(), 1)),
        }
        if let Some(s) = score_one(y, &choice.forecast) {
            scores.push(s);
        }
        if keep_forecasts {
            let mut ho = held_out(sku, &choice.forecast);
            ho.model = format!("Auto:{}", ho.model);
            forecasts.push(ho);
        }
    }
    choices.sort_by(|a, b| b.1.cmp(&a.1));
    reports.push(ModelReport {
        model: "Auto".into(),
        summary: metrics::summarise(&scores),
        wall_s: t.elapsed().as_secs_f64(),
        threads,
    });
    BenchReport {
        h,
        season: cfg.season,
        series: eligible.len(),
        too_short,
        models: reports,
        choices,
        forecasts,
    }
}

fn held_out(sku: &str, f: &crate::forecast::Forecast) -> HeldOut {
    HeldOut {
        sku: sku.to_string(),
        model: f.model.clone(),
        point: f.point.clone(),
        p10: f.quantiles[0].clone(),
        p50: f.quantiles[1].clone(),
        p90: f.quantiles[2].clone(),
    }
}
