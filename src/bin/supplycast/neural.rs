//! The neural commands: `train`, `forecast --model`, and the neural rows of
//! `bench-forecast`. Built with the `nn` feature; without it they say how to get it.

#[cfg(feature = "nn")]
pub(crate) use imp::*;

#[cfg(not(feature = "nn"))]
pub(crate) fn unavailable() -> anyhow::Error {
    anyhow::anyhow!(
        "this supplycast was built without neural models: build it with `cargo build --release --features nn`"
    )
}

#[cfg(feature = "nn")]
mod imp {
    use std::path::Path;

    use anyhow::Context;
    use supplycast::data::Dataset;
    use supplycast::forecast::bench::{HeldOut, ModelReport, held_out};
    use supplycast::nn::bench::{self as nnbench, NnReport};
    use supplycast::nn::corpus::FreqCode;
    use supplycast::nn::data::NnSeries;
    use supplycast::nn::models::Kind;
    use supplycast::nn::pretrained::{self, DemandNet, PretrainSettings, PretrainedMeta};
    use supplycast::nn::train::{self, ModelMeta, Progress, TrainConfig};
    use supplycast::nn::{block_on, device};

    /// Parses `--device`.
    pub(crate) fn pick_device(choice: &str) -> anyhow::Result<(burn::tensor::Device, String)> {
        let c = device::Choice::parse(choice)
            .with_context(|| format!("--device {choice}: expected auto, gpu or cpu"))?;
        Ok(device::native(c)?)
    }

    fn kinds(list: &str) -> anyhow::Result<Vec<Kind>> {
        list.split(',')
            .filter(|s| !s.trim().is_empty() && !s.trim().starts_with("pretrained"))
            .map(|s| {
                Kind::parse(s)
                    .with_context(|| {
                    format!(
                        "unknown model \"{s}\" (lstm, gru, patchtst, mlp, pretrained, pretrained-ft)"
                    )
                })
            })
            .collect()
    }

    fn listed(list: &str, name: &str) -> bool {
        list.split(',').any(|s| s.trim().eq_ignore_ascii_case(name))
    }

    /// The shipped pretrained weights, or those of `file` (a fine-tuned model). The
    /// environment variable `SUPPLYCAST_PRETRAINED=FILE` stands in for the shipped file,
    /// so that a candidate from `supplycast pretrain` is measured by the same commands
    /// before it is shipped.
    pub(crate) fn pretrained_net(
        file: Option<&Path>,
        dev: &burn::tensor::Device,
    ) -> anyhow::Result<(DemandNet, PretrainedMeta)> {
        let candidate = std::env::var_os("SUPPLYCAST_PRETRAINED").map(std::path::PathBuf::from);
        Ok(match file.or(candidate.as_deref()) {
            None => pretrained::load(pretrained::shipped(), dev)
                .context("the shipped pretrained weights")?,
            Some(p) => {
                let bytes =
                    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                pretrained::load(&bytes, dev).with_context(|| p.display().to_string())?
            }
        })
    }

    /// Fine-tuning settings: `steps` optimiser steps of 64 windows, a validation pass
    /// every tenth of them, a tenth of pretraining's peak learning rate.
    pub(crate) fn finetune_settings(steps: usize) -> PretrainSettings {
        PretrainSettings {
            steps,
            batch: 64,
            lr: 1e-4,
            seed: 7,
            report_every: (steps / 10).max(1),
        }
    }

    fn log_progress(name: &str) -> impl FnMut(&Progress) -> bool + '_ {
        move |p: &Progress| {
            eprintln!(
                "{name}: epoch {}/{} train {:.4} valid {:.4} (best {:.4}) {:.0} windows/s, {:.1} s",
                p.epoch,
                p.epochs,
                p.train_loss,
                p.valid_loss,
                p.best_loss,
                p.windows_per_s,
                p.elapsed_s
            );
            true
        }
    }

    /// The neural rows of `bench-forecast`, each with its held-out forecasts (for
    /// `--forecasts-out`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn bench_models(
        ds: &Dataset,
        h: usize,
        season: usize,
        models: &str,
        device_choice: &str,
        epochs: Option<usize>,
        hidden: Option<usize>,
        context: Option<usize>,
    ) -> anyhow::Result<Vec<(NnReport, Vec<HeldOut>)>> {
        let (dev, why) = pick_device(device_choice)?;
        eprintln!("device: {why}");
        let series = NnSeries::from_dataset(ds, h);
        let mut tc = TrainConfig::default();
        if let Some(e) = epochs {
            tc.epochs = e;
        }
        let mut out = Vec::new();
        // The series the neural benches score, in their order (as the statistical rows).
        let skus: Vec<&str> = series
            .iter()
            .filter(|s| s.values.len() > h + season)
            .map(|s| s.sku.as_str())
            .collect();
        let held = |r: &NnReport, fs: Vec<supplycast::forecast::Forecast>| -> Vec<HeldOut> {
            skus.iter()
                .zip(fs)
                .map(|(sku, f)| {
                    let mut ho = held_out(sku, &f);
                    ho.model = r.report.model.clone();
                    ho
                })
                .collect()
        };
        let freq = FreqCode::of(ds.frequency());
        for (name, ft) in [("pretrained", false), ("pretrained-ft", true)] {
            if !listed(models, name) {
                continue;
            }
            let (net, meta) = pretrained_net(None, &dev)?;
            let st = finetune_settings(epochs.map_or(300, |e| e * 30));
            let (r, fs) = nnbench::run_pretrained(
                &net,
                &meta.config,
                &series,
                freq,
                h,
                season,
                ft.then_some(&st),
                &dev,
            )?;
            let ho = held(&r, fs);
            out.push((r, ho));
        }
        for kind in kinds(models)? {
            let mut config = nnbench::default_config(kind, h);
            if let Some(d) = hidden {
                config.hidden = d;
            }
            if let Some(c) = context {
                config.context = c;
            }
            let (mut r, fs) = nnbench::run(
                config.clone(),
                &series,
                h,
                season,
                &tc,
                &dev,
                &mut log_progress(kind.name()),
            )?;
            if hidden.is_some() || context.is_some() {
                r.report.model =
                    format!("{} (c{} d{})", kind.name(), config.context, config.hidden);
            }
            let ho = held(&r, fs);
            out.push((r, ho));
        }
        Ok(out)
    }

    /// The automatic choice with the neural models as candidates.
    pub(crate) fn auto_with(
        ds: &Dataset,
        bt: &supplycast::forecast::backtest::BacktestConfig,
        models: &str,
        device_choice: &str,
        epochs: Option<usize>,
        threads: usize,
    ) -> anyhow::Result<supplycast::nn::bench::NeuralBench> {
        let (dev, _) = pick_device(device_choice)?;
        let series = NnSeries::from_dataset(ds, bt.h);
        let mut tc = TrainConfig::default();
        if let Some(e) = epochs {
            tc.epochs = e;
        }
        let pre = if listed(models, "pretrained") {
            Some(pretrained_net(None, &dev)?)
        } else {
            None
        };
        Ok(nnbench::auto_with_neural(
            &kinds(models)?,
            &series,
            bt,
            &tc,
            &dev,
            threads,
            pre.as_ref()
                .map(|(n, m)| (n, &m.config, FreqCode::of(ds.frequency()))),
            &mut |_| true,
        )?)
    }

    /// Prints the neural rows' extra figures.
    pub(crate) fn print_extra(rows: &[NnReport]) {
        for r in rows {
            eprintln!(
                "{}: {} epochs (best {}), {:.0} training windows/s, {:.1} s to train and predict",
                r.report.model, r.epochs.0, r.epochs.1, r.windows_per_s, r.report.wall_s
            );
        }
    }

    /// The rows as the statistical table has them.
    pub(crate) fn reports(rows: &[NnReport]) -> Vec<ModelReport> {
        rows.iter().map(|r| r.report.clone()).collect()
    }

    /// `supplycast train`.
    pub(crate) fn train_cmd(
        ds: &Dataset,
        model: &str,
        device_choice: &str,
        epochs: usize,
        h: usize,
        out: &Path,
    ) -> anyhow::Result<()> {
        let kind = Kind::parse(model)
            .with_context(|| format!("unknown model \"{model}\" (lstm, gru, patchtst, mlp)"))?;
        let (dev, why) = pick_device(device_choice)?;
        eprintln!("device: {why}");
        let series = NnSeries::from_dataset(ds, h);
        let config = nnbench::default_config(kind, h);
        let tc = TrainConfig {
            epochs,
            ..TrainConfig::default()
        };
        let t = block_on(train::train(
            config.clone(),
            &series,
            &tc,
            &dev,
            &mut log_progress(kind.name()),
        ))?;
        let meta = ModelMeta {
            config,
            period_days: ds.period_days(),
            series: series.len(),
            valid_loss: t
                .history
                .iter()
                .map(|p| p.valid_loss)
                .fold(f64::INFINITY, f64::min),
            epochs: t.history.len(),
            fitted_through: train::fitted_through(&series),
        };
        let bytes = train::save(&t.net, &meta)?;
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!(
            "trained {} on {} series: {} epochs, best validation loss {:.4} at epoch {}; wrote {} ({} bytes)",
            kind.name(),
            series.len(),
            t.history.len(),
            meta.valid_loss,
            t.best_epoch,
            out.display(),
            bytes.len()
        );
        Ok(())
    }

    /// `supplycast forecast --model`: P10/P50/P90 per SKU and period from a model file.
    pub(crate) fn forecast_with_model(
        ds: &Dataset,
        model: &Path,
        h: usize,
    ) -> anyhow::Result<(String, Vec<[Vec<f64>; 3]>)> {
        let dev = device::cpu();
        if model.as_os_str() == "pretrained" || is_pretrained_file(model) {
            let file = (model.as_os_str() != "pretrained").then_some(model);
            let (net, meta) = pretrained_net(file, &dev)?;
            let freq = FreqCode::of(ds.frequency());
            let reqs: Vec<pretrained::Request<'_>> = ds
                .series
                .iter()
                .map(|s| pretrained::Request {
                    history: &s.values,
                    freq,
                })
                .collect();
            let q = block_on(pretrained::predict(&net, &meta.config, &reqs, h, &dev))?;
            let name = if file.is_some() {
                "pretrained-ft"
            } else {
                "pretrained"
            };
            return Ok((
                name.to_string(),
                q.into_iter()
                    .map(|q| [0, 4, 8].map(|k| q.iter().map(|p| p[k]).collect()))
                    .collect(),
            ));
        }
        let bytes =
            std::fs::read(model).with_context(|| format!("cannot read {}", model.display()))?;
        let (net, meta) = train::load(&bytes, &dev).with_context(|| model.display().to_string())?;
        meta.check_fits(h, ds.period_days())
            .with_context(|| model.display().to_string())?;
        let series = NnSeries::from_dataset(ds, meta.config.horizon);
        let q = block_on(train::predict(&net, &meta.config, &series, &dev))?;
        let q = q
            .into_iter()
            .map(|[a, b, c]| [a[..h].to_vec(), b[..h].to_vec(), c[..h].to_vec()])
            .collect();
        Ok((meta.config.kind.name().to_string(), q))
    }

    fn is_pretrained_file(p: &Path) -> bool {
        std::fs::read(p)
            .map(|b| b.starts_with(b"SCPT"))
            .unwrap_or(false)
    }

    /// `supplycast finetune`: the pretrained weights fine-tuned on the file's history
    /// before its last `windows × h` periods (so that the automatic choice can still
    /// backtest the result on periods it never saw), written as a weights file that
    /// records the cutoff.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finetune_cmd(
        ds: &Dataset,
        h: usize,
        windows: usize,
        steps: usize,
        lr: f64,
        device_choice: &str,
        weights: Option<&Path>,
        out: &Path,
    ) -> anyhow::Result<()> {
        let (dev, why) = pick_device(device_choice)?;
        eprintln!("device: {why}");
        let (net, meta) = pretrained_net(weights, &dev)?;
        let series: Vec<NnSeries> = NnSeries::from_dataset(ds, h)
            .into_iter()
            .map(|s| s.truncated(windows * h))
            .collect();
        let st = PretrainSettings {
            lr,
            ..finetune_settings(steps)
        };
        let t0 = std::time::Instant::now();
        let (tuned, reports, through) = block_on(pretrained::finetune(
            net,
            &meta.config,
            &series,
            FreqCode::of(ds.frequency()),
            h,
            &st,
            &dev,
            &mut |p, _| {
                eprintln!(
                    "fine-tune: step {}/{} train {:.4} valid {:.4} {:.0} windows/s ETA {:.0} s",
                    p.step, p.steps, p.train_loss, p.valid_loss, p.windows_per_s, p.eta_s
                );
                true
            },
            || async {},
        ))
        .with_context(|| {
            format!(
                "the last {} periods ({windows} backtest windows of {h}) stay out of fine-tuning",
                windows * h
            )
        })?;
        let best = reports
            .iter()
            .map(|p| p.valid_loss)
            .fold(f64::INFINITY, f64::min);
        let mut provenance = meta.provenance.clone();
        provenance.push(format!(
            "fine-tuned on {} ({} series through {}) for {} steps on {why}: best validation loss {best:.4}",
            ds.name,
            series.len(),
            through.map(|d| d.to_string()).unwrap_or_default(),
            reports.last().map_or(0, |p| p.step),
        ));
        let new_meta = PretrainedMeta {
            config: meta.config.clone(),
            provenance,
            fitted_through: through,
            steps: meta.steps + reports.last().map_or(0, |p| p.step),
            valid_loss: best,
        };
        let bytes = pretrained::save(&tuned, &new_meta)?;
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!(
            "fine-tuned in {:.1} s; best validation loss {best:.4}; wrote {} ({} bytes), fitted through {}",
            t0.elapsed().as_secs_f64(),
            out.display(),
            bytes.len(),
            through.map(|d| d.to_string()).unwrap_or_default()
        );
        Ok(())
    }

    /// The shipped pretrained model's forecasts for the automatic choice (zero-shot).
    pub(crate) fn pretrained_globals(
        ds: &Dataset,
        bt: &supplycast::forecast::backtest::BacktestConfig,
    ) -> anyhow::Result<supplycast::forecast::global::GlobalForecasts> {
        let dev = device::cpu();
        let (net, meta) = pretrained_net(None, &dev)?;
        let series = NnSeries::from_dataset(ds, bt.h);
        Ok(block_on(pretrained::global_forecasts(
            &net,
            &meta.config,
            "pretrained",
            &series,
            FreqCode::of(ds.frequency()),
            bt,
            None,
            &dev,
        ))?)
    }

    /// The pretrained model's candidates for `bench-forecast`: per series of `ds`, its
    /// zero-shot forecasts from the backtest origins and the end of the training part
    /// (all but the last `h` periods), empty for series the benchmark does not score.
    pub(crate) fn pretrained_bench_candidates(
        ds: &Dataset,
        bt: &supplycast::forecast::backtest::BacktestConfig,
    ) -> anyhow::Result<Vec<Vec<supplycast::forecast::models::Precomputed>>> {
        let dev = device::cpu();
        let (net, meta) = pretrained_net(None, &dev)?;
        let series = NnSeries::from_dataset(ds, bt.h);
        let kept: Vec<usize> = (0..series.len())
            .filter(|&i| series[i].values.len() > bt.h + bt.season)
            .collect();
        let train: Vec<NnSeries> = kept.iter().map(|&i| series[i].truncated(bt.h)).collect();
        let g = block_on(pretrained::global_forecasts(
            &net,
            &meta.config,
            "pretrained",
            &train,
            FreqCode::of(ds.frequency()),
            bt,
            None,
            &dev,
        ))?;
        let dates: Vec<&[chrono::NaiveDate]> = train.iter().map(|s| s.dates.as_slice()).collect();
        let mut out = vec![Vec::new(); series.len()];
        for (&i, c) in kept.iter().zip(g.candidates(&dates)) {
            out[i] = vec![c];
        }
        Ok(out)
    }

    /// The generative scenario model for `bench-scenarios --vae`: trained on `ys` (the
    /// histories up to the origin) on the CPU, then `paths` paths after each.
    pub(crate) fn vae_paths(ys: &[&[f64]], h: usize, paths: usize) -> Vec<Option<Vec<Vec<f64>>>> {
        use supplycast::nn::scenario::{self, VaeConfig};
        let dev = device::cpu();
        let t = std::time::Instant::now();
        let trained = match block_on(scenario::train(
            VaeConfig::new(h),
            ys,
            h,
            &dev,
            &mut |_| true,
            || async {},
        )) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("scenario model: {e}");
                return vec![None; ys.len()];
            }
        };
        let train_s = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let out = block_on(scenario::generate(
            &trained.model,
            &trained.config,
            ys,
            paths,
            1,
            &dev,
        ));
        eprintln!(
            "scenario model: trained in {train_s:.1} s ({:.0} windows/s; hold-out loss per tenth {:?}), {} × {paths} paths in {:.1} s",
            trained.history.last().map_or(0.0, |p| p.windows_per_s),
            trained
                .history
                .iter()
                .map(|p| (p.valid_loss * 1000.0).round() / 1000.0)
                .collect::<Vec<_>>(),
            ys.len(),
            t.elapsed().as_secs_f64()
        );
        match out {
            Ok(p) => p.into_iter().map(Some).collect(),
            Err(e) => {
                eprintln!("scenario model: {e}");
                vec![None; ys.len()]
            }
        }
    }

    /// The autoencoder's reconstruction of every period of `ds` (the scenario model
    /// trained on the whole file, its last 28 periods held out to pick the weights).
    pub(crate) fn reconstruction(ds: &Dataset) -> anyhow::Result<Vec<Vec<(f64, f64)>>> {
        use supplycast::nn::scenario::{self, VaeConfig};
        let dev = device::cpu();
        let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
        let h = 28.min(ds.frequency().default_horizon());
        let t = std::time::Instant::now();
        let trained = block_on(scenario::train(
            VaeConfig::new(h),
            &ys,
            h,
            &dev,
            &mut |_| true,
            || async {},
        ))?;
        let train_s = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let r = block_on(scenario::reconstruction(
            &trained.model,
            &trained.config,
            &ys,
            &dev,
        ))?;
        eprintln!(
            "autoencoder: trained in {train_s:.1} s, {} SKUs reconstructed in {:.1} s",
            ys.len(),
            t.elapsed().as_secs_f64()
        );
        Ok(r)
    }
}
