//! `supplycast pretrain`: builds the corpus and pretrains the demand model, with a
//! seed, progress and ETA, checkpoints it resumes from, the loss curve, and a
//! provenance record in the weights file and beside it.

use std::path::PathBuf;

#[cfg(feature = "nn")]
pub(crate) use imp::pretrain;

/// What `pretrain` was asked.
#[derive(clap::Args)]
pub(crate) struct PretrainArgs {
    /// Weights file to write (a checkpoint `FILE.ckpt`, the loss curve `FILE.loss.csv`
    /// and the provenance `FILE.json` go beside it).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Optimiser steps.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) steps: usize,
    /// Windows per step.
    #[arg(long, default_value_t = 128)]
    pub(crate) batch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub(crate) lr: f64,
    /// Seed for the corpus, the weights and the batches.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Synthetic series in the corpus.
    #[arg(long, default_value_t = 30_000)]
    pub(crate) synthetic: usize,
    /// A real order export to add (daily and weekly series, plus TSMixup mixtures);
    /// only periods before `--real-before` are used.
    #[arg(long)]
    pub(crate) real: Option<PathBuf>,
    /// First date kept out of the corpus (the evaluation months), YYYY-MM-DD.
    #[arg(long, default_value = "2010-09-10")]
    pub(crate) real_before: String,
    /// Steps between progress lines, validation and checkpoints.
    #[arg(long, default_value_t = 250)]
    pub(crate) report_every: usize,
    /// Resume from `FILE.ckpt` if it exists.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Start from these weights (their configuration, a new learning-rate schedule)
    /// instead of fresh ones; format-1 weights move to arcsinh targets. `--resume`
    /// takes precedence once this run has written a checkpoint.
    #[arg(long)]
    pub(crate) init: Option<PathBuf>,
    /// auto (a real GPU if there is one), gpu or cpu.
    #[arg(long, default_value = "auto")]
    pub(crate) device: String,
    /// Network width (for experiments and the CI smoke run).
    #[arg(long)]
    pub(crate) width: Option<usize>,
    /// Mixer blocks.
    #[arg(long)]
    pub(crate) layers: Option<usize>,
    /// Longest context in periods (a multiple of 16).
    #[arg(long)]
    pub(crate) context: Option<usize>,
    /// Public series files to add whole (long `date,sku,quantity` CSVs, gzip or not; see
    /// tests/reference/pretrain/make_public_series.py); repeatable.
    #[arg(long = "series")]
    pub(crate) series: Vec<PathBuf>,
    /// Seconds of training to plan for: the step count is set from the speed of 30
    /// calibration steps on this device (the steps taken are recorded, so that
    /// `--steps N` repeats the run). Overrides `--steps`.
    #[arg(long)]
    pub(crate) time_budget: Option<f64>,
    /// The synthetic generators' priors: v3 (those of the shipped weights' last phase),
    /// v2 (phase 5's), v1 (the earlier phases') or v4 (a candidate's, not shipped), so
    /// that every earlier run can be repeated.
    #[arg(long, default_value = "v3")]
    pub(crate) prior: String,
    /// Instead of training, write the weight-space blend (1 − W)·INIT + W·FILE of the
    /// `--init` weights and these (a model soup: FILE trained on from INIT keeps more
    /// of what INIT knew), with the validation loss of all three on this corpus.
    #[arg(long, requires = "init")]
    pub(crate) blend: Option<PathBuf>,
    /// W of `--blend`, from 0 (the `--init` weights) to 1 (FILE).
    #[arg(long, default_value_t = 0.5)]
    pub(crate) blend_weight: f64,
    /// Store the written weights in half precision: half the file every browser
    /// downloads, with the validation loss before and after the rounding in the
    /// provenance (checkpoints stay f32). With `--init` and `--steps 0` nothing is
    /// trained: the `--init` weights are written so.
    #[arg(long)]
    pub(crate) f16: bool,
    /// Also write `FILE.avg`: the mean of the weights at every report in the last
    /// FRAC of this run's steps (tail averaging, as in stochastic weight averaging),
    /// with its validation loss, in f32. Averaging the iterates of one run smooths the
    /// last steps' noise at no training cost; the averaged file is a candidate, not the
    /// output. The mean is not in the checkpoint: a resumed run averages its own
    /// reports only.
    #[arg(long, conflicts_with = "blend", value_parser = tail_fraction)]
    pub(crate) average_tail: Option<f64>,
}

fn tail_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!("{s}: expected a fraction above 0, at most 1")),
    }
}

#[cfg(feature = "nn")]
mod imp {
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use super::PretrainArgs;
    use anyhow::Context;
    use supplycast::data;
    use supplycast::nn::block_on;
    use supplycast::nn::corpus::{self, CorpusSeries};
    use supplycast::nn::pretrained::{
        self, PretrainProgress, PretrainSettings, PretrainedConfig, PretrainedMeta, WindowSource,
    };

    pub(crate) fn beside(out: &Path, ext: &str) -> PathBuf {
        let mut s = out.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    }

    fn commit() -> String {
        std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Reads a sales or series file (gzip or not) through the app's ingestion.
    fn load(path: &Path) -> anyhow::Result<data::Dataset> {
        let (name, bytes) = crate::cli::read_input(path)?;
        Ok(data::load(
            &name,
            &bytes,
            &data::LoadOptions::default(),
            &mut |_| {},
        )?)
    }

    /// Seconds per training step on this device: 10 warm-up steps (kernels compiled and
    /// tuned), then 30 timed ones on a copy of the network. The timed run includes two
    /// validation passes (before and after), more than 30 steps of a real run carry, so
    /// the estimate errs long and the planned run ends inside its budget.
    fn calibrate(
        net: &pretrained::DemandNet,
        cfg: &PretrainedConfig,
        corpus: &[CorpusSeries],
        valid: &[pretrained::Encoded],
        a: &PretrainArgs,
        dev: &burn::tensor::Device,
    ) -> anyhow::Result<f64> {
        let run = |steps: usize| -> anyhow::Result<f64> {
            let st = PretrainSettings {
                steps,
                batch: a.batch,
                lr: a.lr,
                seed: a.seed ^ 0xCA11,
                report_every: steps,
            };
            let t = std::time::Instant::now();
            block_on(pretrained::train(
                net.clone(),
                cfg,
                WindowSource::Corpus(corpus),
                valid,
                &st,
                0,
                false,
                dev,
                &mut |_, _| true,
                || async {},
            ))?;
            Ok(t.elapsed().as_secs_f64())
        };
        run(10)?;
        Ok(run(30)? / 30.0)
    }

    /// Where the validation loss is measured: the windows, the configuration, the
    /// device.
    type Valid<'a> = (
        &'a [pretrained::Encoded],
        &'a PretrainedConfig,
        &'a burn::tensor::Device,
    );

    /// Writes the weights file (in f16 with `--f16`) and its provenance record beside
    /// it (`FILE.json`: the file, its size, parameters, configuration and provenance,
    /// plus `fields`); returns the file's size.
    fn write_weights(
        a: &PretrainArgs,
        net: &pretrained::DemandNet,
        meta: &PretrainedMeta,
        mut fields: serde_json::Value,
        (valid, cfg, dev): Valid<'_>,
    ) -> anyhow::Result<usize> {
        let out = &a.out;
        let mut meta = meta.clone();
        let bytes = if a.f16 {
            // The loss of what the file holds, read back as the app reads it.
            let (rounded, _) = pretrained::load(&pretrained::save_f16(net, &meta)?, dev)?;
            let before = block_on(pretrained::valid_loss(net, cfg, valid, dev))?;
            let after = block_on(pretrained::valid_loss(&rounded, cfg, valid, dev))?;
            eprintln!("half precision: validation loss {before:.5} in f32, {after:.5} as stored");
            meta.provenance.push(format!(
                "stored in half precision (f16): validation loss {before:.5} in f32, {after:.5} as stored"
            ));
            meta.valid_loss = after;
            fields["f16"] = serde_json::json!({
                "valid_loss_f32": before,
                "valid_loss_f16": after,
            });
            pretrained::save_f16(net, &meta)?
        } else {
            pretrained::save(net, &meta)?
        };
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        let mut json = serde_json::json!({
            "file": out.display().to_string(),
            "bytes": bytes.len(),
            "parameters": pretrained::parameters(net),
            "config": format!("{:?}", meta.config),
        });
        if let (Some(j), serde_json::Value::Object(extra)) = (json.as_object_mut(), fields) {
            j.extend(extra);
        }
        json["provenance"] = serde_json::json!(meta.provenance);
        let mut f = std::fs::File::create(beside(out, ".json"))?;
        writeln!(f, "{}", serde_json::to_string_pretty(&json)?)?;
        Ok(bytes.len())
    }

    /// `pretrain --init INIT --blend FILE`: writes (1 − w)·INIT + w·FILE.
    #[allow(clippy::too_many_arguments)]
    fn blend(
        a: &PretrainArgs,
        ipath: &Path,
        inet: &pretrained::DemandNet,
        imeta: &PretrainedMeta,
        other: &Path,
        valid: &[pretrained::Encoded],
        cfg: &PretrainedConfig,
        dev: &burn::tensor::Device,
        prior: corpus::Prior,
        t0: std::time::Instant,
    ) -> anyhow::Result<()> {
        let bytes =
            std::fs::read(other).with_context(|| format!("cannot read {}", other.display()))?;
        let (onet, ometa) = pretrained::load(&bytes, dev)
            .with_context(|| format!("cannot blend in {}", other.display()))?;
        anyhow::ensure!(
            ometa.config == imeta.config,
            "{} has another configuration than {}: {:?}",
            other.display(),
            ipath.display(),
            ometa.config
        );
        let w = a.blend_weight;
        let net =
            pretrained::blend(inet, &onet, w).with_context(|| format!("--blend-weight {w}"))?;
        let loss = |n: &pretrained::DemandNet| block_on(pretrained::valid_loss(n, cfg, valid, dev));
        let (li, lo, lb) = (loss(inet)?, loss(&onet)?, loss(&net)?);
        eprintln!(
            "validation loss ({prior:?} corpus): {} {li:.4}, {} {lo:.4}, blend {lb:.4}",
            ipath.display(),
            other.display()
        );
        let args: Vec<String> = std::env::args().collect();
        let mut provenance = imeta.provenance.clone();
        provenance.push(format!(
            "blend: `{}` at commit {}: (1 - {w})·{} + {w}·{}; validation loss on a {prior:?} corpus's windows {li:.4} and {lo:.4}, blended {lb:.4}; {} was made by:",
            args.join(" "),
            commit(),
            ipath.display(),
            other.display(),
            other.display()
        ));
        let shared = imeta
            .provenance
            .iter()
            .zip(&ometa.provenance)
            .take_while(|(x, y)| x == y)
            .count();
        provenance.extend(
            ometa.provenance[shared..]
                .iter()
                .map(|l| format!("  (blended in) {l}")),
        );
        let meta = PretrainedMeta {
            config: cfg.clone(),
            provenance,
            fitted_through: None,
            steps: ometa.steps,
            valid_loss: lb,
        };
        let fields = serde_json::json!({
            "blend": {
                "init": ipath.display().to_string(),
                "other": other.display().to_string(),
                "weight_of_other": w,
                "valid_loss_init": li,
                "valid_loss_other": lo,
            },
            "final_valid_loss": lb,
            "wall_s_this_run": t0.elapsed().as_secs_f64(),
        });
        let size = write_weights(a, &net, &meta, fields, (valid, cfg, dev))?;
        eprintln!("wrote {} ({size} bytes)", a.out.display());
        Ok(())
    }

    /// `pretrain --init INIT --steps 0`: writes INIT as it is (in f16 with `--f16`).
    fn rewrite(
        a: &PretrainArgs,
        ipath: &Path,
        inet: &pretrained::DemandNet,
        imeta: &PretrainedMeta,
        valid: Valid<'_>,
        t0: std::time::Instant,
    ) -> anyhow::Result<()> {
        let args: Vec<String> = std::env::args().collect();
        let mut meta = imeta.clone();
        meta.provenance.push(format!(
            "rewritten from {} by `{}` at commit {} (no training)",
            ipath.display(),
            args.join(" "),
            commit()
        ));
        let fields = serde_json::json!({
            "init": ipath.display().to_string(),
            "steps": imeta.steps,
            "wall_s_this_run": t0.elapsed().as_secs_f64(),
        });
        let size = write_weights(a, inet, &meta, fields, valid)?;
        eprintln!("wrote {} ({size} bytes)", a.out.display());
        Ok(())
    }

    /// Runs `supplycast pretrain`.
    pub(crate) fn pretrain(a: PretrainArgs) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        let (dev, why) = crate::neural_cli::pick_device(&a.device)?;
        eprintln!("device: {why}");
        let mut cfg = PretrainedConfig::new();
        if let Some(w) = a.width {
            cfg = cfg.with_width(w);
        }
        if let Some(l) = a.layers {
            cfg = cfg.with_layers(l);
        }
        if let Some(c) = a.context {
            anyhow::ensure!(
                c >= cfg.patch && c % cfg.patch == 0,
                "--context {c}: expected a positive multiple of {}",
                cfg.patch
            );
            cfg = cfg.with_context(c);
        }
        let init = match &a.init {
            Some(path) => {
                anyhow::ensure!(
                    a.width.is_none() && a.layers.is_none() && a.context.is_none(),
                    "--init takes the configuration of {}: leave out --width, --layers and --context",
                    path.display()
                );
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let (net, meta) = pretrained::load(&bytes, &dev)
                    .with_context(|| format!("cannot start from {}", path.display()))?;
                cfg = meta.config.clone().with_asinh_targets(true);
                Some((path.clone(), net, meta))
            }
            None => None,
        };
        // The corpus.
        let prior = corpus::Prior::parse(&a.prior)
            .with_context(|| format!("--prior {}: expected v1, v2, v3 or v4", a.prior))?;
        let mut corpus: Vec<CorpusSeries> = corpus::synthetic_with(a.synthetic, 800, a.seed, prior);
        for path in &a.series {
            let ds = load(path)?;
            let public = corpus::from_dataset(&ds, None, "public");
            eprintln!(
                "public series: {} ({:?}) from {}",
                public.len(),
                ds.frequency(),
                path.display()
            );
            corpus.extend(public);
        }
        if let Some(path) = &a.real {
            let before = chrono::NaiveDate::parse_from_str(&a.real_before, "%Y-%m-%d")
                .with_context(|| format!("--real-before {}: expected YYYY-MM-DD", a.real_before))?;
            let ds = load(path)?;
            let mut real = corpus::from_dataset(&ds, Some(before), "real-daily");
            // Weekly series of the same shop, cut at the same date (whole weeks before it).
            real.extend(corpus::from_dataset(
                &ds.to_weekly(),
                Some(before - chrono::Duration::days(6)),
                "real-weekly",
            ));
            let mixed = corpus::mixup(&real, real.len(), a.seed);
            eprintln!(
                "real series: {} from {} (before {before}), {} mixtures",
                real.len(),
                path.display(),
                mixed.len()
            );
            corpus.extend(real);
            corpus.extend(mixed);
        }
        let stats = corpus::stats(&corpus);
        // Windows are drawn series by series, so the ~1,400 long public series would give
        // under 2 % of them: each is drawn as if it were there PUBLIC_WEIGHT times.
        const PUBLIC_WEIGHT: usize = 4;
        let public: Vec<CorpusSeries> = corpus
            .iter()
            .filter(|c| c.source == "public")
            .cloned()
            .collect();
        for _ in 1..PUBLIC_WEIGHT {
            corpus.extend(public.iter().cloned());
        }
        eprintln!(
            "corpus: {} synthetic, {} real, {} public, {} mixup series; {} periods, {:.0} % zeros",
            stats.synthetic,
            stats.real,
            stats.public,
            stats.mixup,
            stats.periods,
            100.0 * stats.zero_share
        );
        // Fixed validation windows from a corpus of its own (same generators, another seed).
        let mut held = corpus::synthetic_with(
            (a.synthetic / 20).clamp(50, 2000),
            800,
            a.seed ^ 0xFFFF,
            prior,
        );
        held.extend(
            corpus
                .iter()
                .filter(|c| c.source != "synthetic")
                .step_by(20)
                .cloned(),
        );
        let valid = pretrained::validation_windows(&cfg, &held, 2048, a.seed);

        if let (Some(other), Some((ipath, inet, imeta))) = (&a.blend, &init) {
            let own = &imeta.config;
            return blend(&a, ipath, inet, imeta, other, &valid, own, &dev, prior, t0);
        }
        if let (0, None, Some((ipath, inet, imeta))) = (a.steps, a.time_budget, &init) {
            anyhow::ensure!(
                !a.resume,
                "--steps 0 rewrites the --init weights without training: leave out --resume"
            );
            anyhow::ensure!(
                a.average_tail.is_none(),
                "--steps 0 rewrites the --init weights without training: there is no tail to average"
            );
            // (The file's own configuration: format-1 weights keep their linear targets.)
            return rewrite(&a, ipath, inet, imeta, (&valid, &imeta.config, &dev), t0);
        }
        let ckpt = beside(&a.out, ".ckpt");
        let (net, start, mut provenance, mut curve) = if a.resume && ckpt.exists() {
            let bytes = std::fs::read(&ckpt)?;
            let (net, meta) = pretrained::load(&bytes, &dev)
                .with_context(|| format!("cannot resume from {}", ckpt.display()))?;
            anyhow::ensure!(
                meta.config == cfg,
                "{} was made with another configuration: {:?}",
                ckpt.display(),
                meta.config
            );
            let curve = std::fs::read_to_string(beside(&a.out, ".loss.csv")).unwrap_or_default();
            eprintln!("resuming from step {} ({})", meta.steps, ckpt.display());
            (net, meta.steps, meta.provenance, curve)
        } else if let Some((path, net, meta)) = init {
            let mut provenance = meta.provenance;
            provenance.push(format!(
                "continued from {} (step {}, validation loss {:.4}{})",
                path.display(),
                meta.steps,
                meta.valid_loss,
                if meta.config.asinh_targets {
                    ""
                } else {
                    "; its quantiles of the scaled target become quantiles of arcsinh(scaled target), unweighted"
                }
            ));
            (
                net,
                0,
                provenance,
                String::from("step,train_loss,valid_loss,elapsed_s\n"),
            )
        } else {
            dev.seed(a.seed);
            (
                cfg.init(&dev),
                0,
                Vec::new(),
                String::from("step,train_loss,valid_loss,elapsed_s\n"),
            )
        };
        eprintln!(
            "model: {} parameters ({:?})",
            pretrained::parameters(&net),
            cfg
        );
        let steps = match a.time_budget {
            Some(budget) => {
                let s = calibrate(&net, &cfg, &corpus, &valid, &a, &dev)?;
                let planned = start + ((budget / s) as usize).max(1);
                eprintln!(
                    "calibration: {:.1} ms a step of {} windows; {planned} steps fit {budget:.0} s",
                    1e3 * s,
                    a.batch
                );
                planned
            }
            None => a.steps,
        };
        let args: Vec<String> = std::env::args().collect();
        provenance.push(format!(
        "pretrain: `{}` at commit {} on {}; corpus {} synthetic ({prior:?} priors) + {} real + {} public + {} mixup series ({} periods, {:.1} % zeros); steps {}..{} of batch {}",
        args.join(" "),
        commit(),
        why,
        stats.synthetic,
        stats.real,
        stats.public,
        stats.mixup,
        stats.periods,
        100.0 * stats.zero_share,
        start,
        steps,
        a.batch
    ));
        let st = PretrainSettings {
            steps,
            batch: a.batch,
            lr: a.lr,
            seed: a.seed,
            report_every: a.report_every,
        };
        let mut last: Option<PretrainProgress> = None;
        let mut write_err: Option<anyhow::Error> = None;
        // (running mean, reports in it, first step in it)
        let mut tail: Option<(pretrained::DemandNet, usize, usize)> = None;
        // The reports after this step (the weights at a report at this step are those
        // before the tail began).
        let tail_from = a.average_tail.map(|f| {
            let left = steps.saturating_sub(start);
            steps.saturating_sub(((f * left as f64).round() as usize).min(left))
        });
        let out = a.out.clone();
        let prov = provenance.clone();
        let cfg2 = cfg.clone();
        let mut on_report = |p: &PretrainProgress, net: &pretrained::DemandNet| {
            eprintln!(
                "step {}/{}  train {:.4}  valid {:.4}  {:.0} windows/s  elapsed {:.0} s  ETA {:.0} s",
                p.step, p.steps, p.train_loss, p.valid_loss, p.windows_per_s, p.elapsed_s, p.eta_s
            );
            curve.push_str(&format!(
                "{},{:.6},{:.6},{:.1}\n",
                p.step, p.train_loss, p.valid_loss, p.elapsed_s
            ));
            let meta = PretrainedMeta {
                config: cfg2.clone(),
                provenance: prov.clone(),
                fitted_through: None,
                steps: p.step,
                valid_loss: p.valid_loss,
            };
            let r = pretrained::save(net, &meta)
                .map_err(anyhow::Error::from)
                .and_then(|b| {
                    let tmp = beside(&out, ".ckpt.tmp");
                    std::fs::write(&tmp, b)?;
                    std::fs::rename(&tmp, beside(&out, ".ckpt"))?;
                    std::fs::write(beside(&out, ".loss.csv"), &curve)?;
                    Ok(())
                });
            if let Err(e) = r {
                write_err = Some(e);
                return false;
            }
            if tail_from.is_some_and(|from| p.step > from) && p.valid_loss.is_finite() {
                tail = match tail.take() {
                    None => Some((net.clone(), 1, p.step)),
                    Some((mean, k, first)) => {
                        match pretrained::blend(&mean, net, 1.0 / (k + 1) as f64) {
                            Ok(m) => Some((m, k + 1, first)),
                            Err(e) => {
                                write_err = Some(e.into());
                                return false;
                            }
                        }
                    }
                };
            }
            last = Some(*p);
            true
        };
        let (net, _) = block_on(pretrained::train(
            net,
            &cfg,
            WindowSource::Corpus(&corpus),
            &valid,
            &st,
            start,
            false,
            &dev,
            &mut on_report,
            || async {},
        ))?;
        if let Some(e) = write_err {
            return Err(e.context("cannot write the checkpoint or average the weights"));
        }
        let last = last.context("no step was run (is --steps above the checkpoint's step?)")?;
        let wall = t0.elapsed().as_secs_f64();
        provenance.push(format!(
            "finished step {}: train loss {:.4}, validation loss {:.4}, {:.0} s this run",
            last.step, last.train_loss, last.valid_loss, wall
        ));
        let meta = PretrainedMeta {
            config: cfg.clone(),
            provenance,
            fitted_through: None,
            steps: last.step,
            valid_loss: last.valid_loss,
        };
        let fields = serde_json::json!({
            "seed": a.seed,
            "steps": last.step,
            "batch": a.batch,
            "lr": a.lr,
            "device": why,
            "corpus": stats,
            "final_train_loss": last.train_loss,
            "final_valid_loss": last.valid_loss,
            "wall_s_this_run": wall,
        });
        let size = write_weights(&a, &net, &meta, fields, (&valid, &cfg, &dev))?;
        eprintln!(
            "wrote {} ({size} bytes, {} parameters) in {wall:.0} s",
            a.out.display(),
            pretrained::parameters(&net)
        );
        if let Some((mean, k, first)) = tail {
            let vl = block_on(pretrained::valid_loss(&mean, &cfg, &valid, &dev))?;
            let mut provenance = meta.provenance.clone();
            provenance.push(format!(
                "tail average of the weights at {k} reports, steps {first}..{}: validation loss {vl:.4} (the last weights: {:.4})",
                last.step, last.valid_loss
            ));
            let avg_meta = PretrainedMeta {
                provenance,
                valid_loss: vl,
                ..meta
            };
            let path = beside(&a.out, ".avg");
            std::fs::write(&path, pretrained::save(&mean, &avg_meta)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote {}: the mean of {k} reports' weights from step {first}, validation loss {vl:.4}",
                path.display()
            );
        }
        Ok(())
    }
}
