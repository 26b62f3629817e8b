//! Forecasting with a network: nine quantiles per period for each [`Request`], rolled
//! forward on the median past the network's horizon ([`predict`]), and the forecasts
//! from every backtest origin that the automatic choice scores ([`global_forecasts`]).

use burn::tensor::Device;

use super::{DemandNet, Encoded, PretrainedConfig};
use crate::nn::corpus::FreqCode;
use crate::nn::{NnError, read_back};

/// A forecast request: the history (oldest first) and the frequency.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Demand per period up to the origin.
    pub history: &'a [f64],
    /// The calendar.
    pub freq: FreqCode,
}

/// Nine quantiles for `h` periods after each request's history (in units, never
/// negative), in batches of 256. Horizons beyond the network's roll forward: the
/// median of the first pass extends the history for the next.
pub async fn predict(
    net: &DemandNet,
    cfg: &PretrainedConfig,
    requests: &[Request<'_>],
    h: usize,
    device: &Device,
) -> Result<Vec<Vec<[f64; 9]>>, NnError> {
    let mut out: Vec<Vec<[f64; 9]>> = vec![Vec::with_capacity(h); requests.len()];
    let mut ext: Vec<Vec<f32>> = requests
        .iter()
        .map(|r| {
            r.history[r.history.len().saturating_sub(cfg.context)..]
                .iter()
                .map(|v| *v as f32)
                .collect()
        })
        .collect();
    while out.first().is_some_and(|o| o.len() < h) {
        let done = out[0].len();
        for start in (0..requests.len()).step_by(256) {
            let chunk = start..(start + 256).min(requests.len());
            let mut e = Encoded::default();
            for i in chunk.clone() {
                e.push(cfg, &ext[i], &[], 0, requests[i].freq);
            }
            let x = e.x(cfg, device);
            let [w, _, _] = e.tensors(cfg, device);
            let v = read_back(net.forward(x, w)).await?;
            for (k, i) in chunk.enumerate() {
                let take = (h - done).min(cfg.horizon);
                for t in 0..take {
                    let mut q = [0.0f64; 9];
                    for (j, qj) in q.iter_mut().enumerate() {
                        let out = v[(k * cfg.horizon + t) * 9 + j] as f64;
                        // Beyond ±20 (sinh ≈ 2.4e8 times the context's mean) nothing is a demand.
                        let out = if cfg.asinh_targets {
                            out.clamp(-20.0, 20.0).sinh()
                        } else {
                            out
                        };
                        let raw = out * e.scale[k] as f64;
                        *qj = if raw.is_finite() { raw.max(0.0) } else { 0.0 };
                    }
                    out[i].push(q);
                    ext[i].push(q[4] as f32);
                }
            }
        }
    }
    Ok(out)
}

/// The pretrained model's forecasts for the automatic choice, zero-shot: the median
/// from every backtest origin and from the end of each series (it never saw the
/// merchant's data, so every origin is out of sample), and its own P10/P50/P90 from
/// the end, for SKUs too new to backtest. `through` is the fine-tuning cutoff when the
/// weights were fine-tuned on this data (then only later origins are forecast).
#[allow(clippy::too_many_arguments)]
pub async fn global_forecasts(
    net: &DemandNet,
    cfg: &PretrainedConfig,
    name: &str,
    series: &[crate::nn::data::NnSeries],
    freq: FreqCode,
    bt: &crate::forecast::backtest::BacktestConfig,
    through: Option<chrono::NaiveDate>,
    device: &Device,
) -> Result<crate::forecast::global::GlobalForecasts, NnError> {
    use crate::forecast::global::{self, GlobalForecasts};
    let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
    let at = global::requests(&dates, bt, through);
    let reqs: Vec<Request<'_>> = at
        .iter()
        .map(|&(i, o)| Request {
            history: &series[i].values[..o.min(series[i].values.len())],
            freq,
        })
        .collect();
    let q = predict(net, cfg, &reqs, bt.h, device).await?;
    let mut own: Vec<Option<[Vec<f64>; 3]>> = vec![None; series.len()];
    let mut p50 = Vec::with_capacity(at.len());
    for (&(i, o), q) in at.iter().zip(q) {
        if o == series[i].values.len() {
            own[i] = Some([0, 4, 8].map(|k| q.iter().map(|p| p[k]).collect()));
        }
        p50.push(q.iter().map(|p| p[4]).collect());
    }
    let mut g =
        GlobalForecasts::from_predictions(name.to_string(), through, series.len(), &at, p50);
    g.own_quantiles = own;
    Ok(g)
}
