//! The generative scenario model: a conditional variational autoencoder (Sohn et al.
//! 2015) over forecast windows, trained across every SKU of a shop, that draws whole
//! demand paths for the next `horizon` periods given a SKU's recent demand.
//!
//! Its paths feed the planner through their ranks ([`crate::forecast::scenarios`],
//! [`crate::forecast::scenarios::Scenarios::Generative`]): each period's level and
//! spread stay the chosen forecaster's, the way periods move together (a streak, a
//! level that holds, a zero run) comes from the model, conditioned on the SKU's own
//! recent demand rather than pooled over its group as the copula is.
//!
//! Windows are scaled as the forecasters' are (DeepAR: divided by 1 + the context
//! mean) and then log1p-transformed, so that a SKU selling 0.1 a day and one selling
//! 100 share one model and heavy right tails do not dominate the Gaussian likelihood.
//!
//! # Shapes
//! - context `x`: `[batch, context]`, future `y`: `[batch, horizon]` (transformed)
//! - latent `z`: `[batch, latent]`
//! - decoder output: mean and log-s.d. per period, each `[batch, horizon]`

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData, s};

use super::{NnError, read_back};
use crate::rng::SplitMix;

/// The model's and its training's settings.
#[derive(Config, Debug, PartialEq)]
pub struct VaeConfig {
    /// Periods of context the model conditions on.
    #[config(default = 56)]
    pub context: usize,
    /// Periods generated.
    pub horizon: usize,
    /// Hidden width.
    #[config(default = 128)]
    pub hidden: usize,
    /// Latent dimensions.
    #[config(default = 8)]
    pub latent: usize,
    /// Training steps.
    #[config(default = 1500)]
    pub steps: usize,
    /// Windows per step.
    #[config(default = 256)]
    pub batch: usize,
    /// Learning rate (AdamW, cosine-decayed to 5 %).
    #[config(default = 2e-3)]
    pub lr: f64,
    /// Weight of the KL term per latent dimension (β-VAE; 1 is the true ELBO).
    #[config(default = 1.0)]
    pub beta: f64,
    /// Random seed.
    #[config(default = 7)]
    pub seed: u64,
}

/// The conditional VAE.
#[derive(Module, Debug)]
pub struct ScenarioVae {
    ctx: Linear,
    enc1: Linear,
    enc2: Linear,
    dec1: Linear,
    dec2: Linear,
    dec3: Linear,
    latent: usize,
    horizon: usize,
}

impl VaeConfig {
    /// A fresh model on `device`.
    pub fn init(&self, device: &Device) -> ScenarioVae {
        let (c, h, d, l) = (self.context, self.horizon, self.hidden, self.latent);
        ScenarioVae {
            ctx: LinearConfig::new(c, d).init(device),
            enc1: LinearConfig::new(d + h, d).init(device),
            enc2: LinearConfig::new(d, 2 * l).init(device),
            dec1: LinearConfig::new(d + l, d).init(device),
            dec2: LinearConfig::new(d, d).init(device),
            dec3: LinearConfig::new(d, 2 * h).init(device),
            latent: l,
            horizon: h,
        }
    }
}

impl ScenarioVae {
    fn decode(&self, hc: Tensor<2>, z: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let d = relu(self.dec1.forward(Tensor::cat(vec![hc, z], 1)));
        let d = relu(self.dec2.forward(d.clone())) + d;
        let out = self.dec3.forward(d);
        let h = self.horizon;
        let mean = out.clone().slice(s![.., 0..h]);
        let log_sd = out.slice(s![.., h..2 * h]).clamp(-5.0, 2.0);
        (mean, log_sd)
    }

    /// The negative ELBO per period (Gaussian likelihood + β·KL), averaged over the
    /// batch. `eps`: standard normal draws for the reparameterisation, `[batch, latent]`.
    pub fn loss(&self, x: Tensor<2>, y: Tensor<2>, eps: Tensor<2>, beta: f64) -> Tensor<1> {
        let l = self.latent;
        let hc = relu(self.ctx.forward(x));
        let e = relu(
            self.enc1
                .forward(Tensor::cat(vec![hc.clone(), y.clone()], 1)),
        );
        let stats = self.enc2.forward(e);
        let mu = stats.clone().slice(s![.., 0..l]);
        let logvar = stats.slice(s![.., l..2 * l]).clamp(-8.0, 8.0);
        let z = mu.clone() + logvar.clone().mul_scalar(0.5).exp() * eps;
        let (mean, log_sd) = self.decode(hc, z);
        let nll = ((y - mean).powi_scalar(2) * log_sd.clone().mul_scalar(-2.0).exp())
            .mul_scalar(0.5)
            + log_sd;
        let kl = (mu.powi_scalar(2) + logvar.clone().exp() - logvar)
            .sub_scalar(1.0)
            .mul_scalar(0.5);
        let h = self.horizon as f64;
        nll.mean() + kl.sum_dim(1).mean().mul_scalar(beta / h)
    }

    /// The autoencoder's reconstruction of each future window: encoded with its
    /// context to the posterior mean and decoded; mean and log-s.d. per period,
    /// `[batch, horizon]` each (transformed units).
    pub fn reconstruct(&self, x: Tensor<2>, y: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let l = self.latent;
        let hc = relu(self.ctx.forward(x));
        let e = relu(self.enc1.forward(Tensor::cat(vec![hc.clone(), y], 1)));
        let mu = self.enc2.forward(e).slice(s![.., 0..l]);
        self.decode(hc, mu)
    }

    /// Paths for each context row: latent draws from the prior, decoded, plus the
    /// decoder's own noise. `z` and `noise`: standard normal, `[rows, latent]` and
    /// `[rows, horizon]`; output `[rows, horizon]` (transformed units).
    pub fn sample(&self, x: Tensor<2>, z: Tensor<2>, noise: Tensor<2>) -> Tensor<2> {
        let hc = relu(self.ctx.forward(x));
        let (mean, log_sd) = self.decode(hc, z);
        mean + log_sd.exp() * noise
    }
}

/// A window's scale (1 + its context mean) and its transformed values.
fn transform(v: &[f64], scale: f64) -> impl Iterator<Item = f32> + '_ {
    v.iter().map(move |x| (x.max(0.0) / scale).ln_1p() as f32)
}

/// The context of length `c` ending at `end` (exclusive), left-padded with the mean of
/// what there is when the series is shorter.
fn context(y: &[f64], end: usize, c: usize) -> Vec<f64> {
    let start = end.saturating_sub(c);
    let have = &y[start..end];
    let mean = if have.is_empty() {
        0.0
    } else {
        have.iter().sum::<f64>() / have.len() as f64
    };
    let mut out = vec![mean; c - have.len()];
    out.extend_from_slice(have);
    out
}

fn normals(rng: &mut SplitMix, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.normal() as f32).collect()
}

/// A report during training (every tenth of the steps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VaeProgress {
    /// Report number (1..=10).
    pub report: usize,
    /// Steps done.
    pub step: usize,
    /// Mean training loss since the last report (negative ELBO per period).
    pub train_loss: f64,
    /// The loss on each series' last held-out window (NaN without a hold-out).
    pub valid_loss: f64,
    /// Training windows per second.
    pub windows_per_s: f64,
    /// Seconds since the start.
    pub elapsed_s: f64,
}

/// A trained model and how training went.
#[derive(Debug)]
pub struct TrainedVae {
    /// The model (plain device).
    pub model: ScenarioVae,
    /// Its settings.
    pub config: VaeConfig,
    /// One entry per report.
    pub history: Vec<VaeProgress>,
}

/// The loss on each series' last `horizon` periods given the context before them (one
/// latent draw per window, a fixed seed: the same number for the same model).
async fn holdout_loss(
    model: &ScenarioVae,
    config: &VaeConfig,
    series: &[&[f64]],
    device: &Device,
) -> Result<f64, NnError> {
    let (c, h) = (config.context, config.horizon);
    let rows: Vec<&[f64]> = series
        .iter()
        .copied()
        .filter(|y| y.len() >= 2 * h)
        .collect();
    if rows.is_empty() {
        return Ok(f64::NAN);
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for y in &rows {
        let o = y.len() - h;
        let ctx = context(y, o, c);
        let scale = 1.0 + ctx.iter().sum::<f64>() / c as f64;
        xs.extend(transform(&ctx, scale));
        ys.extend(transform(&y[o..], scale));
    }
    let n = rows.len();
    let mut rng = SplitMix::new(0x7A11);
    let x = Tensor::<2>::from_data(TensorData::new(xs, [n, c]), device);
    let y = Tensor::<2>::from_data(TensorData::new(ys, [n, h]), device);
    let eps = Tensor::<2>::from_data(
        TensorData::new(normals(&mut rng, n * config.latent), [n, config.latent]),
        device,
    );
    let l = model.loss(x, y, eps, config.beta);
    Ok(read_back(l).await?.first().copied().unwrap_or(f32::NAN) as f64)
}

/// Trains on every window of `series` cut `holdout` periods before their ends
/// (windows of `context + horizon` periods, the context padded for short series) and
/// reports the loss on the held-out last window of each series ten times; the
/// weights of the best report are kept. `progress` may return `false` to stop (the
/// best weights so far are kept); `yield_now` is awaited after each report (a browser
/// worker's event loop runs in between).
pub async fn train<Y, F>(
    config: VaeConfig,
    series: &[&[f64]],
    holdout: usize,
    device: &Device,
    progress: &mut dyn FnMut(&VaeProgress) -> bool,
    yield_now: Y,
) -> Result<TrainedVae, NnError>
where
    Y: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let (c, h) = (config.context, config.horizon);
    let cut: Vec<&[f64]> = series
        .iter()
        .map(|y| &y[..y.len().saturating_sub(holdout)])
        .collect();
    // (series, window end) of every window whose future lies inside the training part
    // and whose context has at least a horizon of data.
    let starts: Vec<(usize, usize)> = cut
        .iter()
        .enumerate()
        .flat_map(|(i, y)| (h.max(1)..=y.len().saturating_sub(h)).map(move |o| (i, o)))
        .collect();
    if starts.is_empty() {
        return Err(NnError::NoData(format!(
            "no series has the {} periods a scenario window needs",
            2 * h + holdout
        )));
    }
    device.seed(config.seed);
    let ad = device.clone().autodiff();
    let mut model = config.init(&ad);
    let mut optim = AdamWConfig::new()
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(1.0)))
        .init();
    let mut rng = SplitMix::new(config.seed ^ 0x5CE4);
    let b = config.batch.max(1);
    let steps = config.steps.max(1);
    let tenth = steps.div_ceil(10);
    let mut history: Vec<VaeProgress> = Vec::new();
    let mut best: Option<(f64, ScenarioVae)> = None;
    let mut acc: Option<Tensor<1>> = None;
    let t0 = super::train::now_s();
    let mut t_report = t0;
    for step in 0..steps {
        let (mut xs, mut ys) = (Vec::with_capacity(b * c), Vec::with_capacity(b * h));
        for _ in 0..b {
            let (i, o) = starts[rng.below(starts.len())];
            let y = cut[i];
            let ctx = context(y, o, c);
            let scale = 1.0 + ctx.iter().sum::<f64>() / c as f64;
            xs.extend(transform(&ctx, scale));
            ys.extend(transform(&y[o..o + h], scale));
        }
        let x = Tensor::<2>::from_data(TensorData::new(xs, [b, c]), &ad);
        let yt = Tensor::<2>::from_data(TensorData::new(ys, [b, h]), &ad);
        let eps = Tensor::<2>::from_data(
            TensorData::new(normals(&mut rng, b * config.latent), [b, config.latent]),
            &ad,
        );
        let frac = step as f64 / steps as f64;
        let lr = config.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos()));
        let loss = model.loss(x, yt, eps, config.beta);
        // Summed on the device and read once per report: a read-back per step would
        // stall a GPU.
        acc = Some(match acc {
            Some(a) => a + loss.clone().detach(),
            None => loss.clone().detach(),
        });
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        if (step + 1) % tenth == 0 || step + 1 == steps {
            let n = (step % tenth) + 1;
            let train_loss = match acc.take() {
                Some(a) => {
                    read_back(a).await?.first().copied().unwrap_or(f32::NAN) as f64 / n as f64
                }
                None => f64::NAN,
            };
            let plain = model.valid();
            let valid_loss = if holdout > 0 {
                holdout_loss(&plain, &config, series, device).await?
            } else {
                f64::NAN
            };
            let now = super::train::now_s();
            let p = VaeProgress {
                report: history.len() + 1,
                step: step + 1,
                train_loss,
                valid_loss,
                windows_per_s: (n * b) as f64 / (now - t_report).max(1e-9),
                elapsed_s: now - t0,
            };
            t_report = now;
            history.push(p);
            // Without a hold-out the last weights are kept.
            let key = if valid_loss.is_finite() {
                valid_loss
            } else {
                -(step as f64)
            };
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, plain));
            }
            let go_on = progress(&p);
            yield_now().await;
            if !go_on || !train_loss.is_finite() {
                break;
            }
        }
    }
    let model = match best {
        Some((_, m)) => m,
        None => model.valid(),
    };
    Ok(TrainedVae {
        model,
        config,
        history,
    })
}

const MAGIC: &[u8; 8] = b"SCVAEv01";

/// What a scenario model file records besides its weights.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct VaeMeta {
    /// The model's settings.
    pub config: VaeConfig,
    /// Average calendar days per period of the data it was trained on.
    pub period_days: f64,
    /// Its best hold-out loss.
    pub valid_loss: f64,
    /// Where and on what it was trained, in words.
    pub provenance: String,
}

/// Whether `bytes` look like a scenario model file.
pub fn is_model_file(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A scenario model file (the same bytes natively and in the browser).
pub fn save(model: &ScenarioVae, meta: &VaeMeta) -> Result<Vec<u8>, NnError> {
    super::pack(MAGIC, meta, model)
}

/// Reads what [`save`] wrote onto `device`.
pub fn load(bytes: &[u8], device: &Device) -> Result<(ScenarioVae, VaeMeta), NnError> {
    let bad = |why: &str| NnError::Model(format!("not a supplycast scenario model file: {why}"));
    if !is_model_file(bytes) {
        return Err(bad("wrong header"));
    }
    let (_, head, record) = super::unpack(bytes).ok_or_else(|| bad("truncated"))?;
    let meta: VaeMeta = postcard::from_bytes(head).map_err(|e| bad(&e.to_string()))?;
    if meta.config.context == 0 || meta.config.horizon == 0 || meta.config.latent == 0 {
        return Err(bad("empty dimensions"));
    }
    let model = meta
        .config
        .init(device)
        .try_load_record(record)
        .map_err(|e| bad(&format!("{e:?}")))?;
    Ok((model, meta))
}

/// `paths` demand paths of `horizon` periods after the end of each series (in units),
/// `paths × horizon` per series; rows are batched `batch_series` series at a time.
pub async fn generate(
    model: &ScenarioVae,
    config: &VaeConfig,
    series: &[&[f64]],
    paths: usize,
    seed: u64,
    device: &Device,
) -> Result<Vec<Vec<Vec<f64>>>, NnError> {
    let (c, h, l) = (config.context, config.horizon, config.latent);
    if paths == 0 {
        return Ok(vec![Vec::new(); series.len()]);
    }
    let mut rng = SplitMix::new(seed ^ 0x6E4E);
    let mut out = Vec::with_capacity(series.len());
    let per_batch = (4096 / paths.max(1)).max(1);
    for chunk in series.chunks(per_batch) {
        let rows = chunk.len() * paths;
        let mut xs = Vec::with_capacity(rows * c);
        let mut scales = Vec::with_capacity(chunk.len());
        for y in chunk {
            let ctx = context(y, y.len(), c);
            let scale = 1.0 + ctx.iter().sum::<f64>() / c as f64;
            scales.push(scale);
            let t: Vec<f32> = transform(&ctx, scale).collect();
            for _ in 0..paths {
                xs.extend_from_slice(&t);
            }
        }
        let x = Tensor::<2>::from_data(TensorData::new(xs, [rows, c]), device);
        let z = Tensor::<2>::from_data(
            TensorData::new(normals(&mut rng, rows * l), [rows, l]),
            device,
        );
        let noise = Tensor::<2>::from_data(
            TensorData::new(normals(&mut rng, rows * h), [rows, h]),
            device,
        );
        let v = read_back(model.sample(x, z, noise)).await?;
        for (k, scale) in scales.iter().enumerate() {
            out.push(
                (0..paths)
                    .map(|p| {
                        let row = &v[(k * paths + p) * h..(k * paths + p + 1) * h];
                        row.iter()
                            .map(|t| ((*t as f64).exp_m1() * scale).max(0.0))
                            .collect()
                    })
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// The autoencoder's view of every period of every series: (expected units, error in
/// the decoder's s.d.), from windows of `horizon` periods laid end to end back from
/// the end of each series (each with the context before it, padded at the start), so
/// that every period is reconstructed once.
pub async fn reconstruction(
    model: &ScenarioVae,
    config: &VaeConfig,
    series: &[&[f64]],
    device: &Device,
) -> Result<Vec<Vec<(f64, f64)>>, NnError> {
    let (c, h) = (config.context, config.horizon);
    let mut out: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|y| vec![(f64::NAN, f64::NAN); y.len()])
        .collect();
    // (series, window start), batched.
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for (i, y) in series.iter().enumerate() {
        if y.len() < h {
            continue;
        }
        let mut o = y.len() - h;
        loop {
            windows.push((i, o));
            if o == 0 {
                break;
            }
            o = o.saturating_sub(h);
        }
    }
    for chunk in windows.chunks(2048) {
        let n = chunk.len();
        let (mut xs, mut ys, mut scales) = (
            Vec::with_capacity(n * c),
            Vec::with_capacity(n * h),
            Vec::with_capacity(n),
        );
        for &(i, o) in chunk {
            let y = series[i];
            let ctx = context(y, o, c);
            let scale = 1.0 + ctx.iter().sum::<f64>() / c as f64;
            scales.push(scale);
            xs.extend(transform(&ctx, scale));
            ys.extend(transform(&y[o..o + h], scale));
        }
        let x = Tensor::<2>::from_data(TensorData::new(xs, [n, c]), device);
        let yt = Tensor::<2>::from_data(TensorData::new(ys.clone(), [n, h]), device);
        let (mean, log_sd) = model.reconstruct(x, yt);
        let mean = read_back(mean).await?;
        let log_sd = read_back(log_sd).await?;
        for (k, &(i, o)) in chunk.iter().enumerate() {
            for j in 0..h {
                let m = mean[k * h + j] as f64;
                let sd = (log_sd[k * h + j] as f64).exp();
                let z = (ys[k * h + j] as f64 - m) / sd.max(1e-6);
                out[i][o + j] = ((m.exp_m1() * scales[k]).max(0.0), z);
            }
        }
    }
    Ok(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::forecast::scenarios::score_sum;

    /// Demand whose level wanders (a slow AR(1) in logs): the sum over 28 days spreads
    /// far more than 28 independent days would.
    fn wandering(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix::new(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                x = 0.95 * x + 0.25 * rng.normal();
                (8.0 * x.exp() + rng.normal()).max(0.0).round()
            })
            .collect()
    }

    #[test]
    fn generated_sums_are_wider_than_independent_periods() {
        let device = super::super::device::cpu();
        let series: Vec<Vec<f64>> = (0..30).map(|k| wandering(300, k)).collect();
        let refs: Vec<&[f64]> = series.iter().map(|v| v.as_slice()).collect();
        let cfg = VaeConfig::new(28)
            .with_steps(300)
            .with_batch(64)
            .with_hidden(32);
        let trained =
            super::super::block_on(train(cfg, &refs, 28, &device, &mut |_| true, || async {}))
                .unwrap();
        let h = &trained.history;
        assert_eq!(h.len(), 10);
        assert!(
            h.iter()
                .all(|p| p.train_loss.is_finite() && p.valid_loss.is_finite())
        );
        // Both losses fall from the first report to the best.
        let best = h.iter().map(|p| p.valid_loss).fold(f64::INFINITY, f64::min);
        assert!(h[9].train_loss < h[0].train_loss, "{h:?}");
        assert!(best < h[0].valid_loss, "{h:?}");
        // The file round-trips: the same paths from the reloaded weights.
        let meta = VaeMeta {
            config: trained.config.clone(),
            period_days: 1.0,
            valid_loss: best,
            provenance: "test".into(),
        };
        let bytes = save(&trained.model, &meta).unwrap();
        let (again, m2) = load(&bytes, &device).unwrap();
        assert_eq!(m2.config, trained.config);
        let a = super::super::block_on(generate(
            &trained.model,
            &trained.config,
            &refs[..1],
            5,
            3,
            &device,
        ))
        .unwrap();
        let b = super::super::block_on(generate(&again, &m2.config, &refs[..1], 5, 3, &device))
            .unwrap();
        assert_eq!(a, b);
        assert!(load(&bytes[..20], &device).is_err());
        // The autoencoder: a ×20 day stands out among the series' reconstruction errors.
        let mut spiked = series[0].clone();
        spiked[200] = 20.0 * spiked[200].max(5.0);
        let r = super::super::block_on(reconstruction(
            &trained.model,
            &trained.config,
            &[&spiked],
            &device,
        ))
        .unwrap();
        assert_eq!(r[0].len(), spiked.len());
        assert!(r[0].iter().all(|(e, z)| e.is_finite() && z.is_finite()));
        let top = (0..spiked.len())
            .max_by(|&a, &b| r[0][a].1.total_cmp(&r[0][b].1))
            .unwrap();
        assert_eq!(top, 200);
        assert!(load(b"SCNNv002xxxxxxxxxxxx", &device).is_err());
        let paths = super::super::block_on(generate(
            &trained.model,
            &trained.config,
            &refs[..5],
            200,
            1,
            &device,
        ))
        .unwrap();
        assert_eq!(paths.len(), 5);
        assert_eq!(paths[0].len(), 200);
        assert_eq!(paths[0][0].len(), 28);
        // The same per-period values shuffled independently across paths: the
        // generated paths' 28-day sums must spread wider.
        let mut rng = SplitMix::new(4);
        let mut wider = 0;
        for p in &paths {
            let shuffled: Vec<Vec<f64>> = (0..p.len())
                .map(|_| (0..28).map(|j| p[rng.below(p.len())][j]).collect())
                .collect();
            let a = score_sum(p, &[0.0; 28], 28).unwrap().width;
            let b = score_sum(&shuffled, &[0.0; 28], 28).unwrap().width;
            wider += usize::from(a > b);
        }
        assert!(wider >= 4, "{wider} of 5");
    }
}
