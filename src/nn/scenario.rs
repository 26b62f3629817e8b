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

/// A trained model and how training went.
#[derive(Debug)]
pub struct TrainedVae {
    /// The model (plain device).
    pub model: ScenarioVae,
    /// Its settings.
    pub config: VaeConfig,
    /// Mean loss per tenth of training.
    pub losses: Vec<f64>,
    /// Training windows per second.
    pub windows_per_s: f64,
}

/// Trains on every window of `series` (each series' history up to its end; windows
/// of `context + horizon` periods, the context padded for short series). `progress`
/// gets the fraction done and may return `false` to stop.
pub async fn train(
    config: VaeConfig,
    series: &[&[f64]],
    device: &Device,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<TrainedVae, NnError> {
    let (c, h) = (config.context, config.horizon);
    // (series, window end) of every window whose future lies inside the series and
    // whose context has at least a horizon of data.
    let starts: Vec<(usize, usize)> = series
        .iter()
        .enumerate()
        .flat_map(|(i, y)| (h.max(1)..=y.len().saturating_sub(h)).map(move |o| (i, o)))
        .collect();
    if starts.is_empty() {
        return Err(NnError::NoData(format!(
            "no series has the {} periods a scenario window needs",
            2 * h
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
    let mut losses = Vec::new();
    let mut acc: Option<Tensor<1>> = None;
    let tenth = steps.div_ceil(10);
    let t0 = super::train::now_s();
    for step in 0..steps {
        let (mut xs, mut ys) = (Vec::with_capacity(b * c), Vec::with_capacity(b * h));
        for _ in 0..b {
            let (i, o) = starts[rng.below(starts.len())];
            let y = series[i];
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
        acc = Some(match acc {
            Some(a) => a + loss.clone().detach(),
            None => loss.clone().detach(),
        });
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        if (step + 1) % tenth == 0 || step + 1 == steps {
            let n = (step % tenth) + 1;
            if let Some(a) = acc.take() {
                let v = read_back(a).await?.first().copied().unwrap_or(f32::NAN) as f64;
                losses.push(v / n as f64);
            }
            if !progress((step + 1) as f64 / steps as f64) {
                break;
            }
        }
    }
    let elapsed = super::train::now_s() - t0;
    Ok(TrainedVae {
        model: model.valid(),
        windows_per_s: (losses.len() * tenth * b) as f64 / elapsed.max(1e-9),
        config,
        losses,
    })
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

#[cfg(test)]
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
                (8.0 * (x as f64).exp() + rng.normal()).max(0.0).round()
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
        let trained = super::super::block_on(train(cfg, &refs, &device, &mut |_| true)).unwrap();
        assert!(trained.losses.iter().all(|l| l.is_finite()));
        // Loss falls from the first tenth of training to the last.
        assert!(
            trained.losses.last().unwrap() < trained.losses.first().unwrap(),
            "{:?}",
            trained.losses
        );
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
