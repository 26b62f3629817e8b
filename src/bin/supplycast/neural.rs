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

    use anyhow::{Context, bail};
    use supplycast::data::Dataset;
    use supplycast::forecast::bench::ModelReport;
    use supplycast::nn::bench::{self as nnbench, NnReport};
    use supplycast::nn::data::NnSeries;
    use supplycast::nn::models::Kind;
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
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Kind::parse(s)
                    .with_context(|| format!("unknown model \"{s}\" (lstm, gru, patchtst, mlp)"))
            })
            .collect()
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

    /// The neural rows of `bench-forecast`.
    pub(crate) fn bench_models(
        ds: &Dataset,
        h: usize,
        season: usize,
        models: &str,
        device_choice: &str,
        epochs: Option<usize>,
        hidden: Option<usize>,
        context: Option<usize>,
    ) -> anyhow::Result<Vec<NnReport>> {
        let (dev, why) = pick_device(device_choice)?;
        eprintln!("device: {why}");
        let series = NnSeries::from_dataset(ds, h);
        let mut tc = TrainConfig::default();
        if let Some(e) = epochs {
            tc.epochs = e;
        }
        let mut out = Vec::new();
        for kind in kinds(models)? {
            let mut config = nnbench::default_config(kind, h);
            if let Some(d) = hidden {
                config.hidden = d;
            }
            if let Some(c) = context {
                config.context = c;
            }
            let (mut r, _) = nnbench::run(
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
            out.push(r);
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
    ) -> anyhow::Result<(ModelReport, Vec<(String, usize)>, Vec<String>)> {
        let (dev, _) = pick_device(device_choice)?;
        let series = NnSeries::from_dataset(ds, bt.h);
        let mut tc = TrainConfig::default();
        if let Some(e) = epochs {
            tc.epochs = e;
        }
        Ok(nnbench::auto_with_neural(
            &kinds(models)?,
            &series,
            bt,
            &tc,
            &dev,
            threads,
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
        let bytes =
            std::fs::read(model).with_context(|| format!("cannot read {}", model.display()))?;
        let dev = device::cpu();
        let (net, meta) = train::load(&bytes, &dev).with_context(|| model.display().to_string())?;
        if h > meta.config.horizon {
            bail!(
                "{}: the model forecasts {} periods; ask for at most that many (--h)",
                model.display(),
                meta.config.horizon
            );
        }
        if (meta.period_days - ds.period_days()).abs() > 0.5 {
            bail!(
                "{}: trained on periods of {:.1} days, the data has {:.1}-day periods (daily/weekly mismatch)",
                model.display(),
                meta.period_days,
                ds.period_days()
            );
        }
        let series = NnSeries::from_dataset(ds, meta.config.horizon);
        let q = block_on(train::predict(&net, &meta.config, &series, &dev))?;
        let q = q
            .into_iter()
            .map(|[a, b, c]| [a[..h].to_vec(), b[..h].to_vec(), c[..h].to_vec()])
            .collect();
        Ok((meta.config.kind.name().to_string(), q))
    }
}
