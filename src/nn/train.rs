//! The training loop (the same code on every device), prediction, and the model file.
//!
//! Hand-written rather than burn-train's `Learner`: it must run inside a browser
//! worker with async read-back only, report progress to our own UI and stop on
//! request — none of which the learner's dashboard-oriented loop is made for.

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::data::{Batch, CAL_FEATURES, Geometry, IN_FEATURES, NnSeries, Windows};
use super::models::{Net, NetConfig, pinball_loss};
use super::{NnError, read_back};
use crate::rng::SplitMix;

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Most epochs.
    pub epochs: usize,
    /// Optimiser steps per epoch.
    pub steps_per_epoch: usize,
    /// Windows per step.
    pub batch: usize,
    /// Peak learning rate (AdamW), decayed by a cosine to 5 % over `epochs`.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f32,
    /// Gradient norm clip.
    pub clip: f32,
    /// Stop after this many epochs without a better validation loss (the best
    /// weights are restored).
    pub patience: usize,
    /// Seed for weights and batches.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            steps_per_epoch: 50,
            batch: 128,
            lr: 2e-3,
            weight_decay: 1e-4,
            clip: 1.0,
            patience: 5,
            seed: 7,
        }
    }
}

/// What the loop reports after each epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Epoch just finished (1-based).
    pub epoch: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Optimiser steps so far.
    pub step: usize,
    /// Mean training loss of the epoch (pinball, scaled units).
    pub train_loss: f64,
    /// Validation loss after the epoch.
    pub valid_loss: f64,
    /// Best validation loss so far.
    pub best_loss: f64,
    /// Training windows per second in this epoch.
    pub windows_per_s: f64,
    /// Seconds since training began.
    pub elapsed_s: f64,
}

/// A trained model with what describes it.
#[derive(Debug)]
pub struct Trained {
    /// The network (on the plain, non-autodiff device).
    pub net: Net,
    /// Its configuration.
    pub config: NetConfig,
    /// Per-epoch history.
    pub history: Vec<Progress>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
}

/// Reads a scalar tensor back.
async fn scalar(t: Tensor<1>) -> Result<f64, NnError> {
    Ok(read_back(t).await?.first().copied().unwrap_or(f32::NAN) as f64)
}

fn tensors(b: &Batch, g: Geometry, device: &Device) -> (Tensor<3>, Tensor<3>, Tensor<2>) {
    let x = Tensor::<3>::from_data(
        TensorData::new(b.x.clone(), [b.size, g.context, IN_FEATURES]),
        device,
    );
    let f = Tensor::<3>::from_data(
        TensorData::new(b.future.clone(), [b.size, g.horizon, CAL_FEATURES]),
        device,
    );
    let y = Tensor::<2>::from_data(TensorData::new(b.y.clone(), [b.size, g.horizon]), device);
    (x, f, y)
}

/// A monotonic clock in seconds that works natively and in a browser worker.
pub fn now_s() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        js_sys::global()
            .dyn_into::<web_sys::WorkerGlobalScope>()
            .ok()
            .and_then(|w| w.performance())
            .or_else(|| web_sys::window().and_then(|w| w.performance()))
            .map(|p| p.now() / 1000.0)
            .unwrap_or(0.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
    }
}

async fn valid_loss(
    net: &Net,
    windows: &Windows,
    series: &[NnSeries],
    device: &Device,
) -> Result<f64, NnError> {
    let g = windows.geometry;
    let (mut sum, mut n) = (0.0, 0usize);
    for b in windows.valid_batches(series, 512) {
        let (x, f, y) = tensors(&b, g, device);
        sum += scalar(pinball_loss(net.forward(x, f), y)).await? * b.size as f64;
        n += b.size;
    }
    Ok(if n > 0 { sum / n as f64 } else { f64::NAN })
}

/// Trains a network on `series` (all of each series; validation = the last horizon
/// of each). `progress` is called after every epoch and may return false to stop:
/// the best weights so far are kept. Deterministic given `tc.seed` on the CPU backend
/// while no other model trains in the same process (Burn's random state is shared).
pub async fn train(
    config: NetConfig,
    series: &[NnSeries],
    tc: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Trained, NnError> {
    train_yielding(config, series, tc, device, progress, || async {}).await
}

/// [`train`], awaiting `yield_now()` after every epoch so that a browser worker's
/// event loop can deliver the progress messages (and any other work) in between.
pub async fn train_yielding<Y, F>(
    config: NetConfig,
    series: &[NnSeries],
    tc: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress) -> bool,
    yield_now: Y,
) -> Result<Trained, NnError>
where
    Y: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let g = Geometry {
        context: config.effective_context(),
        horizon: config.horizon,
    };
    let windows = Windows::new(series, g);
    if windows.train.is_empty() || windows.valid.is_empty() {
        return Err(NnError::NoData(format!(
            "no series is long enough: training needs at least {} periods",
            2 * g.horizon + 7
        )));
    }
    device.seed(tc.seed);
    let ad = device.clone().autodiff();
    let mut net = config.init(&ad);
    let mut optim = AdamWConfig::new()
        .with_weight_decay(tc.weight_decay)
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(
            tc.clip,
        )))
        .init();
    let mut rng = SplitMix::new(tc.seed ^ 0xBA7C);
    let mut best = (f64::INFINITY, net.valid(), 0usize);
    let mut history = Vec::new();
    let t0 = now_s();
    let mut step = 0usize;
    for epoch in 1..=tc.epochs.max(1) {
        let te = now_s();
        let mut loss_sum: Option<Tensor<1>> = None;
        for _ in 0..tc.steps_per_epoch.max(1) {
            let progress_frac = step as f64 / (tc.epochs * tc.steps_per_epoch).max(1) as f64;
            let lr =
                tc.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress_frac).cos()));
            let b = windows.sample(series, tc.batch, &mut rng);
            let (x, f, y) = tensors(&b, g, &ad);
            let loss = pinball_loss(net.forward(x, f), y);
            // Summed on the device, read once per epoch: a read-back per step would
            // stall a GPU.
            loss_sum = Some(match loss_sum {
                Some(s) => s + loss.clone().detach(),
                None => loss.clone().detach(),
            });
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            step += 1;
        }
        let train_loss = match loss_sum {
            Some(s) => scalar(s).await? / tc.steps_per_epoch.max(1) as f64,
            None => f64::NAN,
        };
        let plain = net.valid();
        let vl = valid_loss(&plain, &windows, series, device).await?;
        if vl < best.0 {
            best = (vl, plain, epoch);
        }
        let p = Progress {
            epoch,
            epochs: tc.epochs,
            step,
            train_loss,
            valid_loss: vl,
            best_loss: best.0,
            windows_per_s: (tc.steps_per_epoch * tc.batch) as f64 / (now_s() - te).max(1e-9),
            elapsed_s: now_s() - t0,
        };
        history.push(p);
        let go_on = progress(&p);
        yield_now().await;
        if !go_on || epoch - best.2 >= tc.patience || !train_loss.is_finite() {
            break;
        }
    }
    Ok(Trained {
        net: best.1,
        config,
        history,
        best_epoch: best.2,
    })
}

/// P10/P50/P90 for the `horizon` periods after each series' data (in units).
pub async fn predict(
    net: &Net,
    config: &NetConfig,
    series: &[NnSeries],
    device: &Device,
) -> Result<Vec<[Vec<f64>; 3]>, NnError> {
    let at: Vec<(usize, usize)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.values.len()))
        .collect();
    predict_at(net, config, series, &at, device).await
}

/// P10/P50/P90 for the `horizon` periods from each (series, origin): the context is the
/// series before `origin`, in batches of 512 windows.
pub async fn predict_at(
    net: &Net,
    config: &NetConfig,
    series: &[NnSeries],
    at: &[(usize, usize)],
    device: &Device,
) -> Result<Vec<[Vec<f64>; 3]>, NnError> {
    let g = Geometry {
        context: config.effective_context(),
        horizon: config.horizon,
    };
    let mut out = Vec::with_capacity(at.len());
    for chunk in at.chunks(512) {
        let mut b = Batch::default();
        for &(i, origin) in chunk {
            g.push(&mut b, &series[i], origin, false);
        }
        b.y = vec![0.0; b.size * g.horizon];
        let (x, f, _) = tensors(&b, g, device);
        let v = read_back(net.forward(x, f)).await?;
        for (i, scale) in b.scale.iter().enumerate() {
            let mut q: [Vec<f64>; 3] = Default::default();
            for t in 0..g.horizon {
                for (k, qk) in q.iter_mut().enumerate() {
                    let raw = v[(i * g.horizon + t) * 3 + k] as f64 * *scale as f64;
                    qk.push(raw.max(0.0));
                }
            }
            out.push(q);
        }
    }
    Ok(out)
}

/// A neural model as a candidate of the automatic choice: trained once on every series
/// up to the first backtest origin (so that its backtests are as out-of-sample as the
/// statistical models'), then its median forecasts from every backtest origin after
/// its training data and from the end of the data, as
/// [`GlobalForecasts`](crate::forecast::global::GlobalForecasts).
pub async fn candidates(
    config: NetConfig,
    series: &[NnSeries],
    bt: &crate::forecast::backtest::BacktestConfig,
    tc: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<(crate::forecast::global::GlobalForecasts, Trained), NnError> {
    candidates_yielding(config, series, bt, tc, device, progress, || async {}).await
}

/// The last date of the training part of `series` (what a model trained on them saw).
pub fn fitted_through(train_set: &[NnSeries]) -> Option<chrono::NaiveDate> {
    train_set
        .iter()
        .filter_map(|s| s.dates.last().copied())
        .max()
}

/// [`candidates`] with [`train_yielding`]'s hook.
pub async fn candidates_yielding<Y, F>(
    config: NetConfig,
    series: &[NnSeries],
    bt: &crate::forecast::backtest::BacktestConfig,
    tc: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress) -> bool,
    yield_now: Y,
) -> Result<(crate::forecast::global::GlobalForecasts, Trained), NnError>
where
    Y: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let cut = bt.windows * bt.h;
    let train_set: Vec<NnSeries> = series.iter().map(|s| s.truncated(cut)).collect();
    let through = fitted_through(&train_set);
    let trained = train_yielding(config, &train_set, tc, device, progress, yield_now).await?;
    let g = forecasts_from(&trained.net, &trained.config, series, bt, through, device).await?;
    Ok((g, trained))
}

/// A trained network's forecasts for the automatic choice: from every backtest origin
/// after `through` and from the end of each series.
pub async fn forecasts_from(
    net: &Net,
    config: &NetConfig,
    series: &[NnSeries],
    bt: &crate::forecast::backtest::BacktestConfig,
    through: Option<chrono::NaiveDate>,
    device: &Device,
) -> Result<crate::forecast::global::GlobalForecasts, NnError> {
    use crate::forecast::global::{self, GlobalForecasts};
    let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
    let at = global::requests(&dates, bt, through);
    let q = predict_at(net, config, series, &at, device).await?;
    let p50 = q
        .into_iter()
        .map(|[_, p, _]| p[..bt.h.min(p.len())].to_vec())
        .collect();
    Ok(GlobalForecasts::from_predictions(
        config.kind.name().to_string(),
        through,
        series.len(),
        &at,
        p50,
    ))
}

const MAGIC: &[u8; 8] = b"SCNNv002";
/// Files written before the training cutoff was recorded.
const MAGIC_V1: &[u8; 8] = b"SCNNv001";

/// [`ModelMeta`] as version 1 files hold it.
#[derive(Deserialize)]
struct ModelMetaV1 {
    config: NetConfig,
    period_days: f64,
    series: usize,
    valid_loss: f64,
    epochs: usize,
}

/// What a model file says about its model (besides the weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// The network's configuration.
    pub config: NetConfig,
    /// Average days per period of the data it was trained on.
    pub period_days: f64,
    /// Series it was trained on.
    pub series: usize,
    /// Best validation loss.
    pub valid_loss: f64,
    /// Epochs run.
    pub epochs: usize,
    /// The last period of the data it was trained on: its forecasts from earlier
    /// origins are in-sample and never backtested. Files from before this was recorded
    /// read as `NaiveDate::MAX` (unknown: nothing is backtested).
    pub fitted_through: Option<chrono::NaiveDate>,
}

impl ModelMeta {
    /// Whether this saved model can forecast `h` periods of data whose periods last
    /// `period_days` on average — the one rule the page and the CLI both apply before
    /// using a model file: no longer horizon than it was built for, and the calendar it
    /// was trained on (a daily model says nothing useful about weekly totals).
    pub fn check_fits(&self, h: usize, period_days: f64) -> Result<(), NnError> {
        let kind = self.config.kind.name();
        if h > self.config.horizon {
            return Err(NnError::Mismatch(format!(
                "the saved {kind} model forecasts {} periods; the forecast asks for {h}",
                self.config.horizon
            )));
        }
        if (self.period_days - period_days).abs() > 0.5 {
            return Err(NnError::Mismatch(format!(
                "the saved {kind} model was trained on periods of {:.1} days; this data has {:.1}-day periods (daily and weekly data need their own models)",
                self.period_days, period_days
            )));
        }
        Ok(())
    }
}

/// Serialises a model: magic, the metadata as JSON-free postcard, then Burn's record
/// (burnpack) bytes. The same bytes are written natively and in the browser.
pub fn save(net: &Net, meta: &ModelMeta) -> Result<Vec<u8>, NnError> {
    super::pack(MAGIC, meta, net)
}

/// Reads what [`save`] wrote onto `device`.
pub fn load(bytes: &[u8], device: &Device) -> Result<(Net, ModelMeta), NnError> {
    let bad = |why: &str| NnError::Model(format!("not a supplycast model file: {why}"));
    if bytes.len() < 16 || (&bytes[..8] != MAGIC && &bytes[..8] != MAGIC_V1) {
        return Err(bad("wrong header"));
    }
    let (magic, head, record) = super::unpack(bytes).ok_or_else(|| bad("truncated"))?;
    let meta: ModelMeta = if magic == MAGIC_V1 {
        let v1: ModelMetaV1 = postcard::from_bytes(head).map_err(|e| bad(&e.to_string()))?;
        ModelMeta {
            config: v1.config,
            period_days: v1.period_days,
            series: v1.series,
            valid_loss: v1.valid_loss,
            epochs: v1.epochs,
            fitted_through: Some(chrono::NaiveDate::MAX),
        }
    } else {
        postcard::from_bytes(head).map_err(|e| bad(&e.to_string()))?
    };
    let net = meta
        .config
        .init(device)
        .try_load_record(record)
        .map_err(|e| bad(&format!("{e:?}")))?;
    Ok((net, meta))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::*;
    use crate::forecast::metrics;
    use crate::nn::{block_on, device, models::Kind};
    use chrono::NaiveDate;
    use std::sync::Mutex;

    /// Burn's random state (weight initialisation, dropout) is per device and shared by
    /// the process: tests that train take turns so that a seed means the same run.
    pub(crate) static TURN: Mutex<()> = Mutex::new(());

    /// 24 SKUs of weekly-seasonal demand at different levels with noise.
    fn synthetic(n: usize) -> Vec<NnSeries> {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..n)
            .map(|i| start + chrono::Duration::days(i as i64))
            .collect();
        let future = (n..n + 28)
            .map(|i| start + chrono::Duration::days(i as i64))
            .collect::<Vec<_>>();
        let mut rng = SplitMix::new(11);
        (0..24)
            .map(|k| {
                let level = 2.0 + 3.0 * k as f64;
                let values = (0..n)
                    .map(|t| {
                        let season = [1.6, 1.2, 1.0, 0.9, 0.8, 0.6, 0.9][t % 7];
                        (level * season + level.sqrt() * 0.5 * rng.normal())
                            .max(0.0)
                            .round()
                    })
                    .collect();
                NnSeries {
                    sku: format!("S{k}"),
                    values,
                    dates: dates.clone(),
                    future: future.clone(),
                }
            })
            .collect()
    }

    fn tc() -> TrainConfig {
        TrainConfig {
            epochs: 12,
            steps_per_epoch: 20,
            batch: 64,
            lr: 3e-3,
            patience: 12,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn every_model_has_the_right_output_shape() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        for kind in Kind::ALL {
            let cfg = NetConfig::new(kind, 20, 7).with_hidden(16);
            let net = cfg.init(&dev);
            let c = cfg.effective_context();
            let x = Tensor::<3>::zeros([5, c, IN_FEATURES], &dev);
            let f = Tensor::<3>::zeros([5, 7, CAL_FEATURES], &dev);
            let out = net.forward(x, f);
            assert_eq!(out.dims(), [5, 7, 3], "{kind:?}");
            // Quantiles never cross.
            let v = out
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap();
            assert!(
                v.chunks(3).all(|q| q[0] <= q[1] && q[1] <= q[2]),
                "{kind:?}"
            );
        }
        assert_eq!(
            NetConfig::new(Kind::PatchTst, 20, 7).effective_context(),
            21
        );
    }

    #[test]
    fn training_learns_a_seasonal_signal_and_round_trips() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        let series = synthetic(160);
        let h = 7;
        let train_set: Vec<NnSeries> = series.iter().map(|s| s.truncated(h)).collect();
        let cfg = NetConfig::new(Kind::Mlp, 14, h).with_hidden(32);
        let mut calls = 0;
        let t = block_on(train(cfg.clone(), &train_set, &tc(), &dev, &mut |_| {
            calls += 1;
            true
        }))
        .unwrap();
        assert_eq!(calls, t.history.len());
        let first = t.history.first().unwrap();
        let best = t
            .history
            .iter()
            .map(|p| p.valid_loss)
            .fold(f64::INFINITY, f64::min);
        assert!(
            t.history.last().unwrap().train_loss < 0.7 * first.train_loss,
            "{:?}",
            t.history
        );
        assert!(best < first.valid_loss, "{:?}", t.history);
        // The held-out week: well below seasonal naive (MASE 1 by construction).
        let q = block_on(predict(&t.net, &cfg, &train_set, &dev)).unwrap();
        let mut mase = 0.0;
        for (s, q) in series.iter().zip(&q) {
            let (tr, test) = s.values.split_at(s.values.len() - h);
            let scale = metrics::scales(tr, 7).unwrap();
            mase += metrics::score(test, &q[1], &q[0], &q[1], &q[2], scale).mase;
        }
        mase /= series.len() as f64;
        assert!(mase < 0.85, "MASE {mase}");
        // Save -> load -> identical forecasts.
        let meta = ModelMeta {
            config: cfg.clone(),
            period_days: 1.0,
            series: series.len(),
            valid_loss: best,
            epochs: t.history.len(),
            fitted_through: fitted_through(&train_set),
        };
        let bytes = save(&t.net, &meta).unwrap();
        let (net2, meta2) = load(&bytes, &dev).unwrap();
        assert_eq!(meta2, meta);
        let q2 = block_on(predict(&net2, &cfg, &train_set, &dev)).unwrap();
        assert_eq!(q, q2);
        assert!(load(&bytes[..20], &dev).is_err());
        assert!(load(b"not a model at all", &dev).is_err());
    }

    /// The page and the CLI refuse a saved model the same way: too short a horizon, or
    /// another calendar.
    #[test]
    fn a_saved_model_must_fit_the_horizon_and_the_calendar() {
        let meta = ModelMeta {
            config: NetConfig::new(Kind::Lstm, 56, 28),
            period_days: 1.0,
            series: 10,
            valid_loss: 0.5,
            epochs: 3,
            fitted_through: None,
        };
        assert!(meta.check_fits(28, 1.0).is_ok());
        assert!(meta.check_fits(14, 1.02).is_ok());
        let e = meta.check_fits(29, 1.0).unwrap_err().to_string();
        assert!(
            e.contains("forecasts 28 periods") && e.contains("asks for 29"),
            "{e}"
        );
        let e = meta.check_fits(8, 7.0).unwrap_err().to_string();
        assert!(e.contains("1.0 days") && e.contains("7.0-day"), "{e}");
    }

    #[test]
    fn neural_candidates_join_the_automatic_choice() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        use crate::forecast::{
            backtest::{self, BacktestConfig},
            models,
        };
        let dev = device::cpu();
        let series = synthetic(160);
        let bt = BacktestConfig {
            h: 7,
            windows: 2,
            season: 7,
            paths: 20,
            scenarios: Default::default(),
        };
        let cfg = NetConfig::new(Kind::Mlp, 14, 7).with_hidden(32);
        let (g, t) = block_on(candidates(
            cfg.clone(),
            &series,
            &bt,
            &tc(),
            &dev,
            &mut |_| true,
        ))
        .unwrap();
        assert!(!t.history.is_empty());
        assert_eq!(g.per_series.len(), series.len());
        let dates: Vec<&[NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
        // Trained through period 145 (160 − 2 × 7 − 1): the three backtest origins
        // after it (2 × windows − 1, half a horizon apart) and the end of the data.
        assert_eq!(g.fitted_through, Some(series[0].dates[145]));
        let per = g.candidates(&dates);
        assert_eq!(
            per[0].by_origin.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![147, 150, 153, 160]
        );
        // The same network saved after training on everything (as a model file loaded
        // in the browser would be) is never scored on periods it saw: only the end of
        // the data is left, so it cannot be backtested or chosen. The old precomputed
        // path backtested it from every origin.
        let everything = fitted_through(&series);
        let saved = block_on(forecasts_from(&t.net, &cfg, &series, &bt, everything, &dev)).unwrap();
        let saved_per = saved.candidates(&dates);
        assert!(
            saved_per
                .iter()
                .all(|p| p.by_origin.iter().all(|(o, _)| *o == 160))
        );
        assert_eq!(saved.scorable(&dates), 0);
        let mut ms = models::for_series(&series[0].values, 7);
        ms.push(Box::new(saved_per[0].clone()));
        let c = backtest::choose(&ms, &series[0].values, &bt, 1).unwrap();
        assert!(
            !c.leaderboard.iter().any(|m| m.model == "mlp"),
            "{:?}",
            c.leaderboard
        );
        assert!(!c.forecast.model.contains("mlp"));
        let mut chosen_neural = 0;
        for (s, p) in series.iter().zip(&per) {
            let mut ms = models::for_series(&s.values, 7);
            ms.push(Box::new(p.clone()));
            let c = backtest::choose(&ms, &s.values, &bt, 1).unwrap();
            assert!(
                c.leaderboard.iter().any(|m| m.model == "mlp"),
                "{:?}",
                c.leaderboard
            );
            assert_eq!(c.forecast.point.len(), 7);
            chosen_neural += usize::from(c.forecast.model.contains("mlp"));
        }
        assert!(
            chosen_neural > 0,
            "the neural model (or an ensemble with it) wins somewhere"
        );
    }

    #[test]
    fn training_is_deterministic_given_a_seed_and_rnns_learn() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let dev = device::cpu();
        let series: Vec<NnSeries> = synthetic(90).into_iter().take(8).collect();
        let small = TrainConfig {
            epochs: 3,
            steps_per_epoch: 8,
            batch: 32,
            ..tc()
        };
        for kind in [Kind::Lstm, Kind::Gru, Kind::PatchTst] {
            let cfg = NetConfig::new(kind, 14, 7).with_hidden(16);
            let a = block_on(train(cfg.clone(), &series, &small, &dev, &mut |_| true)).unwrap();
            let b = block_on(train(cfg.clone(), &series, &small, &dev, &mut |_| true)).unwrap();
            let la: Vec<f64> = a.history.iter().map(|p| p.train_loss).collect();
            let lb: Vec<f64> = b.history.iter().map(|p| p.train_loss).collect();
            assert_eq!(la, lb, "{kind:?}: same seed, same run");
            assert!(la.last().unwrap() < la.first().unwrap(), "{kind:?}: {la:?}");
        }
    }
}

#[cfg(all(test, feature = "gpu", not(target_arch = "wasm32")))]
mod gpu_tests {
    use super::*;
    use crate::nn::{block_on, device, models::Kind};

    /// The same weights give the same forecasts on the CPU and on native wgpu (a
    /// software Vulkan/GL adapter such as llvmpipe on a machine without a GPU).
    #[test]
    fn cpu_and_wgpu_forward_agree() {
        let _turn = super::tests::TURN.lock().unwrap_or_else(|e| e.into_inner());
        let (gpu, name, _) = match device::native_gpu() {
            Ok(d) => d,
            Err(e) => panic!("no wgpu adapter (install mesa-vulkan-drivers): {e}"),
        };
        eprintln!("wgpu adapter: {name}");
        let cpu = device::cpu();
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let series: Vec<NnSeries> = (0..6)
            .map(|k| NnSeries {
                sku: format!("S{k}"),
                values: (0..60).map(|t| ((k + 1) * (1 + t % 7)) as f64).collect(),
                dates: (0..60).map(|i| start + chrono::Duration::days(i)).collect(),
                future: (60..70)
                    .map(|i| start + chrono::Duration::days(i))
                    .collect(),
            })
            .collect();
        for kind in Kind::ALL {
            let cfg = NetConfig::new(kind, 14, 7).with_hidden(16);
            cpu.seed(3);
            let net = cfg.init(&cpu);
            let meta = ModelMeta {
                config: cfg.clone(),
                period_days: 1.0,
                series: 6,
                valid_loss: 0.0,
                epochs: 0,
                fitted_through: None,
            };
            let bytes = save(&net, &meta).unwrap();
            let (on_gpu, _) = load(&bytes, &gpu).unwrap();
            let a = block_on(predict(&net, &cfg, &series, &cpu)).unwrap();
            let b = block_on(predict(&on_gpu, &cfg, &series, &gpu)).unwrap();
            for (x, y) in a
                .iter()
                .flatten()
                .flatten()
                .zip(b.iter().flatten().flatten())
            {
                assert!(
                    (x - y).abs() <= 1e-3 * (1.0 + x.abs()),
                    "{kind:?}: {x} vs {y}"
                );
            }
        }
    }
}
