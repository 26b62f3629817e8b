//! Forecasts kept and met by reality: when newer sales arrive, the forecast made
//! before them is scored on them, SKU by SKU and overall, and SKUs whose demand left
//! the forecast's P10–P90 far more often than the 20 % it allows are flagged as drift
//! with a suggested action.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::metrics;
use super::run::ForecastRun;
use crate::data::Dataset;

/// A forecast as kept for later scoring: per SKU its P10/P50/P90 and the MASE scale of
/// the history it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last period of the data the forecast was made from.
    pub data_end: NaiveDate,
    /// The forecast periods.
    pub dates: Vec<NaiveDate>,
    /// Per SKU.
    pub skus: Vec<SnapshotSku>,
}

/// One SKU's kept forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotSku {
    /// The SKU.
    pub sku: String,
    /// The model (or recipe) that made it.
    pub model: String,
    /// The point forecast (mean) per period.
    pub point: Vec<f32>,
    /// P10, P50, P90 per period.
    pub quantiles: [Vec<f32>; 3],
    /// Whether its history is in whole units: then demand between the P10 rounded
    /// down and the P90 rounded up counts as inside (a P10–P90 of 0.2–0.7 on a SKU
    /// that sells 0 or 1 a day covers both).
    pub whole_units: bool,
    /// Mean absolute seasonal-naive error of its history (`None`: too short).
    pub scale: Option<f64>,
}

impl Snapshot {
    /// The forecasts of `run`, made from `ds`.
    pub fn from_run(run: &ForecastRun, ds: &Dataset) -> Snapshot {
        let season = ds.season().max(1);
        let skus = run
            .skus
            .iter()
            .filter_map(|s| {
                let c = s.result.as_ref().ok()?;
                let history = ds.get(&s.sku)?;
                let q = |k: usize| c.forecast.quantiles[k].iter().map(|v| *v as f32).collect();
                Some(SnapshotSku {
                    sku: s.sku.clone(),
                    model: c.forecast.model.clone(),
                    point: c.forecast.point.iter().map(|v| *v as f32).collect(),
                    quantiles: [q(0), q(1), q(2)],
                    whole_units: history.values.iter().all(|v| v.fract() == 0.0),
                    scale: metrics::scales(&history.values, season)
                        .map(|s| s.0)
                        .filter(|s| *s > 0.0),
                })
            })
            .collect();
        Snapshot {
            data_end: ds.periods.last().copied().unwrap_or_default(),
            dates: run.dates.clone(),
            skus,
        }
    }
}

/// How one SKU's kept forecast did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuAccuracy {
    /// The SKU.
    pub sku: String,
    /// Forecast periods with actuals.
    pub periods: usize,
    /// Units sold over them.
    pub actual: f64,
    /// The point forecast summed over them.
    pub forecast: f64,
    /// Mean absolute error of the point forecast over the history's scale (`None`
    /// without a scale).
    pub mase: Option<f64>,
    /// Periods above P90.
    pub above: usize,
    /// Periods below P10.
    pub below: usize,
    /// Share of periods inside P10–P90.
    pub coverage: f64,
    /// Demand left P10–P90 far more often than 20 % (binomial tail below 1 %).
    pub drift: bool,
    /// What to do about it, when drifting.
    pub action: Option<String>,
}

/// A kept forecast scored on the actuals that arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The last period of the data the forecast was made from.
    pub data_end: NaiveDate,
    /// The last period scored.
    pub through: NaiveDate,
    /// Periods scored.
    pub periods: usize,
    /// Mean MASE over the SKUs with a scale.
    pub mase: f64,
    /// (forecast − actual) / actual over every SKU and period: + over-forecast.
    pub bias: f64,
    /// Share of SKU-periods inside P10–P90.
    pub coverage: f64,
    /// Per SKU, drifting ones first.
    pub skus: Vec<SkuAccuracy>,
}

impl Evaluation {
    /// SKUs flagged as drift.
    pub fn drifted(&self) -> usize {
        self.skus.iter().filter(|s| s.drift).count()
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p).
fn binomial_tail(n: usize, k: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // Sum the lower part exactly in log space (n is a few dozen periods at most in
    // practice, but any n works).
    let ln_choose =
        |n: usize, k: usize| -> f64 { (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum() };
    let lower: f64 = (0..k)
        .map(|i| (ln_choose(n, i) + i as f64 * p.ln() + (n - i) as f64 * (1.0 - p).ln()).exp())
        .sum();
    (1.0 - lower).max(0.0)
}

/// Scores `snap` on the periods of `ds` it forecast (matched by date). `None` when no
/// forecast period has arrived yet.
pub fn evaluate(snap: &Snapshot, ds: &Dataset) -> Option<Evaluation> {
    // Forecast period k -> period index in ds.
    let index: Vec<(usize, usize)> = snap
        .dates
        .iter()
        .enumerate()
        .filter_map(|(k, d)| ds.periods.binary_search(d).ok().map(|i| (k, i)))
        .collect();
    let (_, last) = *index.last()?;
    let (mut sum_f, mut sum_a, mut inside, mut cells) = (0.0, 0.0, 0usize, 0usize);
    let (mut mase_sum, mut mase_n) = (0.0, 0usize);
    let mut skus = Vec::with_capacity(snap.skus.len());
    for s in &snap.skus {
        let series = ds.get(&s.sku);
        let actual_at = |i: usize| {
            series
                .and_then(|x| i.checked_sub(x.start).and_then(|k| x.values.get(k)))
                .copied()
                .unwrap_or(0.0)
        };
        let (mut f, mut a, mut abs, mut above, mut below) = (0.0, 0.0, 0.0, 0usize, 0usize);
        for &(k, i) in &index {
            let (Some(lo), Some(mid), Some(hi)) =
                (s.quantiles[0].get(k), s.point.get(k), s.quantiles[2].get(k))
            else {
                continue;
            };
            let (mut lo, mid, mut hi) = (f64::from(*lo), f64::from(*mid), f64::from(*hi));
            if s.whole_units {
                (lo, hi) = ((lo + 1e-6).floor(), (hi - 1e-6).ceil());
            }
            let y = actual_at(i);
            f += mid;
            a += y;
            abs += (y - mid).abs();
            if y > hi + 1e-6 {
                above += 1;
            } else if y < lo - 1e-6 {
                below += 1;
            }
        }
        let n = index.len();
        let outside = above + below;
        let drift = outside as f64 > 0.2 * n as f64 && binomial_tail(n, outside, 0.2) < 0.01;
        let action = drift.then(|| {
            if above > below {
                "demand rose above the forecast: check for a promotion, a new channel or a mention; if it lasts, forecast again so the model is chosen anew".to_string()
            } else if a <= 0.1 * f {
                "demand stopped: check for a stock-out (or a delisting) before forecasting again; excluded stock-out periods are imputed".to_string()
            } else {
                "demand fell below the forecast: check stock and the listing, then forecast again so the model is chosen anew".to_string()
            }
        });
        let mase = s.scale.map(|sc| abs / n.max(1) as f64 / sc);
        if let Some(m) = mase {
            mase_sum += m;
            mase_n += 1;
        }
        sum_f += f;
        sum_a += a;
        inside += n - outside;
        cells += n;
        skus.push(SkuAccuracy {
            sku: s.sku.clone(),
            periods: n,
            actual: a,
            forecast: f,
            mase,
            above,
            below,
            coverage: if n > 0 {
                (n - outside) as f64 / n as f64
            } else {
                1.0
            },
            drift,
            action,
        });
    }
    skus.sort_by(|x, y| {
        y.drift
            .cmp(&x.drift)
            .then((y.above + y.below).cmp(&(x.above + x.below)))
            .then(x.sku.cmp(&y.sku))
    });
    Some(Evaluation {
        data_end: snap.data_end,
        through: ds.periods[last],
        periods: index.len(),
        mase: if mase_n > 0 {
            mase_sum / mase_n as f64
        } else {
            f64::NAN
        },
        bias: if sum_a > 0.0 {
            (sum_f - sum_a) / sum_a
        } else {
            0.0
        },
        coverage: if cells > 0 {
            inside as f64 / cells as f64
        } else {
            1.0
        },
        skus,
    })
}

/// `sku,periods,actual,forecast,mase,above_p90,below_p10,coverage,drift,action`.
pub fn to_csv(e: &Evaluation) -> String {
    let mut out = String::from(
        "sku,periods,actual,forecast,mase,above_p90,below_p10,coverage,drift,action\n",
    );
    for s in &e.skus {
        out.push_str(&format!(
            "{},{},{},{:.3},{},{},{},{:.3},{},{}\n",
            crate::data::csv_field(&s.sku),
            s.periods,
            crate::data::fmt_qty(s.actual),
            s.forecast,
            s.mase.map(|m| format!("{m:.4}")).unwrap_or_default(),
            s.above,
            s.below,
            s.coverage,
            s.drift,
            crate::data::csv_field(s.action.as_deref().unwrap_or(""))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_matches_scipy() {
        // scipy 1.17.1: binom.sf(k - 1, n, 0.2)
        assert!((binomial_tail(10, 5, 0.2) - 0.032_793_497_6).abs() < 1e-9);
        assert!((binomial_tail(28, 12, 0.2) - 0.004_959_649_244).abs() < 1e-9);
        assert_eq!(binomial_tail(5, 0, 0.2), 1.0);
    }
}
