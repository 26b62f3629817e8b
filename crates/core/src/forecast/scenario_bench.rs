//! The scenario benchmark: how well each way of drawing sample paths
//! ([`Scenarios`]) describes demand *summed* over 7, 14 and 28 periods (a lead time),
//! on periods the forecasts never saw.
//!
//! Two cut-offs per SKU: the validation origin (`2h` before the end, scored on the `h`
//! periods after it) and the test origin (`h` before the end, scored on the last `h`).
//! Nothing is tuned on the test periods: the copula is fitted on each origin's own
//! backtests. For each origin the automatic choice is backtested and learnt once and
//! its forecasts finished once per scenario kind, so the kinds differ only in their
//! paths.

use serde::{Deserialize, Serialize};

use super::backtest::{BacktestConfig, quantile};
use super::scenarios::{Scenarios, score_sum};
use super::{Model, metrics, models, select};
use crate::data::Dataset;

/// One scenario kind's scores on one origin and one summed length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumRow {
    /// "validation" or "test".
    pub origin: String,
    /// The paths' dependence.
    pub scenarios: String,
    /// Periods summed (from the first forecast period), or 0 for each SKU's lead time.
    pub len: usize,
    /// SKUs scored.
    pub skus: usize,
    /// Share of SKUs whose actual sum lay inside the paths' P10–P90 (target 0.80).
    pub coverage: f64,
    /// Mean CRPS of the sums over the SKU's in-sample seasonal-naive MAE × `len`.
    pub scaled_crps: f64,
    /// Median P10–P90 width of the sums over the SKU's mean demand × `len`.
    pub rel_width: f64,
    /// Share of SKUs whose actual sum stayed at or below the paths' 95th percentile (a
    /// reorder point for a 95 % cycle service level covers the lead time).
    pub service95: f64,
}

/// A generative model for the benchmark: trained on the histories it is given (each
/// cut at the origin), it returns paths (path × period, in units) of the `h` periods
/// after each history.
pub type Generator<'a> = dyn Fn(&[&[f64]], usize) -> Vec<Option<Vec<Vec<f64>>>> + 'a;

/// Runs the benchmark on the `top` best-selling SKUs with at least `4h` periods.
/// `lens` are the summed lengths (each ≤ `h`); `lead` optionally gives each SKU's lead
/// time in periods (by SKU name), scored as length 0. `generate` is needed for
/// [`Scenarios::Generative`] (without it that kind is skipped).
#[allow(clippy::too_many_arguments)]
pub fn run(
    ds: &Dataset,
    h: usize,
    season: usize,
    top: usize,
    paths: usize,
    kinds: &[Scenarios],
    lens: &[usize],
    lead: &dyn Fn(&str) -> Option<usize>,
    generate: Option<&Generator<'_>>,
    threads: usize,
) -> Vec<SumRow> {
    let mut idx: Vec<usize> = (0..ds.series.len())
        .filter(|&i| ds.series[i].values.len() >= 4 * h)
        .collect();
    let total = |i: usize| ds.series[i].values.iter().sum::<f64>();
    idx.sort_by(|&a, &b| total(b).total_cmp(&total(a)));
    idx.truncate(top);
    let mut rows = Vec::new();
    for (label, back) in [("validation", 2 * h), ("test", h)] {
        let ys: Vec<&[f64]> = idx
            .iter()
            .map(|&i| {
                let v = &ds.series[i].values;
                &v[..v.len() - back]
            })
            .collect();
        let actual: Vec<&[f64]> = idx
            .iter()
            .map(|&i| {
                let v = &ds.series[i].values;
                &v[v.len() - back..v.len() - back + h]
            })
            .collect();
        let cfg = BacktestConfig {
            h,
            windows: 3,
            season,
            paths,
            scenarios: Scenarios::default(),
        };
        let candidates =
            |i: usize| -> Vec<Box<dyn Model>> { models::for_series(ys[i], cfg.season) };
        let bt = select::backtest_all(&ys, &candidates, &cfg, threads, &mut |_| true);
        let learnt = select::learn(&bt, &ys, h, None);
        let uniforms: Vec<Option<Vec<Vec<f64>>>> = match generate {
            Some(g) if kinds.contains(&Scenarios::Generative) => g(&ys, h)
                .into_iter()
                .map(|t| t.map(|t| super::scenarios::from_template(&t)))
                .collect(),
            _ => Vec::new(),
        };
        for &kind in kinds {
            if kind == Scenarios::Generative && uniforms.is_empty() {
                continue;
            }
            let cfg = BacktestConfig {
                scenarios: kind,
                ..cfg
            };
            let choices = select::finish_with(
                &bt,
                &learnt,
                &ys,
                &candidates,
                &cfg,
                &uniforms,
                threads,
                17,
                &mut |_| true,
            );
            let mut all_lens: Vec<usize> = lens.iter().copied().filter(|&l| l <= h).collect();
            all_lens.push(0);
            for &len in &all_lens {
                let (mut n, mut cov, mut crps, mut s95) = (0usize, 0usize, 0.0, 0usize);
                let mut widths = Vec::new();
                for (k, c) in choices.iter().enumerate() {
                    let Ok(c) = c else { continue };
                    let l = if len == 0 {
                        match lead(&ds.series[idx[k]].sku) {
                            Some(l) if l >= 1 && l <= h => l,
                            _ => continue,
                        }
                    } else {
                        len
                    };
                    let Some(sc) = score_sum(&c.forecast.paths, actual[k], l) else {
                        continue;
                    };
                    let scale = metrics::scales(ys[k], season).map_or(0.0, |s| s.0);
                    let mean = ys[k].iter().sum::<f64>() / ys[k].len() as f64;
                    if scale <= 0.0 || mean <= 0.0 {
                        continue;
                    }
                    let mut sums: Vec<f64> = c
                        .forecast
                        .paths
                        .iter()
                        .map(|p| p[..l].iter().sum())
                        .collect();
                    sums.sort_by(f64::total_cmp);
                    let y: f64 = actual[k][..l].iter().sum();
                    n += 1;
                    cov += usize::from(sc.covered);
                    crps += sc.crps / (scale * l as f64);
                    s95 += usize::from(y <= quantile(&sums, 0.95));
                    widths.push(sc.width / (mean * l as f64));
                }
                if n == 0 {
                    continue;
                }
                widths.sort_by(f64::total_cmp);
                rows.push(SumRow {
                    origin: label.into(),
                    scenarios: kind.key().into(),
                    len,
                    skus: n,
                    coverage: cov as f64 / n as f64,
                    scaled_crps: crps / n as f64,
                    rel_width: quantile(&widths, 0.5),
                    service95: s95 as f64 / n as f64,
                });
            }
        }
    }
    rows
}
