//! The pretrained model's tests on the CPU: forecasts and every weights format,
//! blending, the loss, pretraining, fine-tuning and copying weights.

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};

use super::file::{ConfigV1, MAGIC, MAGIC_F16, MAGIC_V1, MetaV1};
use super::windows::push_at;
use super::*;
use crate::nn::corpus::{CorpusSeries, FreqCode};
use crate::nn::{block_on, device, read_back};
use crate::rng::SplitMix;

fn small() -> PretrainedConfig {
    PretrainedConfig::new()
        .with_context(64)
        .with_patch(8)
        .with_horizon(16)
        .with_width(16)
        .with_layers(2)
        .with_head(32)
}

#[test]
fn quantiles_are_ordered_and_the_file_round_trips() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(1);
    let cfg = small();
    let net = cfg.init(&dev);
    let hist: Vec<f64> = (0..40).map(|t| (t % 7) as f64 * 3.0).collect();
    let req = [
        Request {
            history: &hist,
            freq: FreqCode::Daily,
        },
        Request {
            history: &hist[..3],
            freq: FreqCode::Weekly,
        },
    ];
    // 40 periods: two passes of 16 and a third, rolled forward on the median.
    let q = block_on(predict(&net, &cfg, &req, 40, &dev)).unwrap();
    assert_eq!(q.len(), 2);
    assert!(q.iter().all(|s| s.len() == 40));
    assert!(
        q.iter()
            .flatten()
            .all(|p| p.windows(2).all(|w| w[0] <= w[1]) && p[0] >= 0.0)
    );
    let meta = PretrainedMeta {
        config: cfg.clone(),
        provenance: vec!["test".into()],
        fitted_through: None,
        steps: 0,
        valid_loss: 0.0,
    };
    let bytes = save(&net, &meta).unwrap();
    let (net2, meta2) = load(&bytes, &dev).unwrap();
    assert_eq!(meta2, meta);
    assert_eq!(block_on(predict(&net2, &cfg, &req, 40, &dev)).unwrap(), q);
    // Corrupt and mismatched files are clear errors, never panics.
    for broken in [
        &bytes[..10],
        &bytes[..bytes.len() / 2],
        b"SCNNv001xxxxxxxxxx",
    ] {
        let e = load(broken, &dev).unwrap_err().to_string();
        assert!(
            e.contains("not a supplycast pretrained weights file"),
            "{e}"
        );
    }
    let other = PretrainedMeta {
        config: cfg.clone().with_width(24),
        ..meta
    };
    let mut mismatched = save(&net, &other).unwrap();
    let e = load(&mismatched, &dev).unwrap_err().to_string();
    assert!(e.contains("do not fit"), "{e}");
    mismatched[9] = 0xFF;
    assert!(load(&mismatched, &dev).is_err());
}

#[test]
fn blending_mixes_every_parameter_and_refuses_other_shapes() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    let cfg = small();
    dev.seed(2);
    let a = cfg.init(&dev);
    dev.seed(3);
    let b = cfg.init(&dev);
    let flat = |n: &DemandNet| -> Vec<f32> {
        use burn::module::{ModuleVisitor, Param};
        struct All(Vec<f32>);
        impl ModuleVisitor for All {
            fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
                self.0.extend(
                    p.val()
                        .into_data()
                        .convert::<f32>()
                        .try_to_vec::<f32>()
                        .unwrap(),
                );
            }
        }
        let mut all = All(Vec::new());
        n.visit(&mut all);
        all.0
    };
    let (fa, fb) = (flat(&a), flat(&b));
    assert_eq!(fa.len(), parameters(&a));
    assert!(fa.iter().zip(&fb).filter(|(x, y)| x != y).count() * 2 > fa.len());
    assert_eq!(flat(&blend(&a, &b, 0.0).unwrap()), fa);
    assert_eq!(flat(&blend(&a, &b, 1.0).unwrap()), fb);
    let mid = flat(&blend(&a, &b, 0.25).unwrap());
    for ((m, x), y) in mid.iter().zip(&fa).zip(&fb) {
        assert!((m - (0.75 * x + 0.25 * y)).abs() < 1e-6);
    }
    let wide = cfg.clone().with_width(24).init(&dev);
    assert!(
        blend(&a, &wide, 0.5)
            .unwrap_err()
            .to_string()
            .contains("do not match")
    );
    assert!(blend(&a, &b, 1.5).is_err());
}

/// `save_f16` (format 3) halves the file, moves no weight by more than f16's
/// rounding, forecasts as the f32 weights do within that, and a truncated file or
/// one whose values do not fit its configuration is refused by name.
#[test]
fn half_precision_files_are_half_the_size_and_forecast_alike() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(11);
    let cfg = small();
    let net = cfg.init(&dev);
    let meta = PretrainedMeta {
        config: cfg.clone(),
        provenance: vec!["test".into()],
        fitted_through: None,
        steps: 3,
        valid_loss: 0.5,
    };
    let full = save(&net, &meta).unwrap();
    let half = save_f16(&net, &meta).unwrap();
    assert!(half.starts_with(MAGIC_F16));
    let n = parameters(&net);
    assert!(half.len() < 2 * n + 200 + postcard::to_allocvec(&meta).unwrap().len());
    assert!(
        full.len() > 4 * n,
        "{} bytes for {n} f32 values",
        full.len()
    );
    let (back, meta2) = load(&half, &dev).unwrap();
    assert_eq!(meta2, meta);
    let flat = |m: &DemandNet| -> Vec<f32> {
        super::super::flat_params(m)
            .into_iter()
            .flat_map(|(t, _)| t.into_data().try_to_vec::<f32>().unwrap())
            .collect()
    };
    let (a, b) = (flat(&net), flat(&back));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).any(|(x, y)| x != y), "nothing was rounded");
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() <= x.abs() / 2048.0 + 6e-8,
            "{x} stored as {y}"
        );
    }
    let hist: Vec<f64> = (0..60).map(|t| 5.0 + (t % 7) as f64).collect();
    let req = [Request {
        history: &hist,
        freq: FreqCode::Daily,
    }];
    let q = block_on(predict(&net, &cfg, &req, 12, &dev)).unwrap();
    let q2 = block_on(predict(&back, &cfg, &req, 12, &dev)).unwrap();
    for (x, y) in q[0].iter().flatten().zip(q2[0].iter().flatten()) {
        assert!((x - y).abs() <= 1e-2 * (1.0 + x.abs()), "{x} vs {y}");
    }
    let cut = load(&half[..half.len() - 1], &dev).unwrap_err().to_string();
    assert!(cut.contains("truncated"), "{cut}");
    let mut long = half.clone();
    long.push(0);
    let err = load(&long, &dev).unwrap_err().to_string();
    assert!(err.contains("bytes after the weights"), "{err}");
    // A file whose metadata names another configuration than its values fit.
    let other = PretrainedMeta {
        config: cfg.clone().with_width(24),
        ..meta.clone()
    };
    assert!(
        save_f16(&net, &other).is_err(),
        "saving refuses the mismatch"
    );
    let head = postcard::to_allocvec(&meta).unwrap();
    let other_head = postcard::to_allocvec(&other).unwrap();
    let mut wrong = MAGIC_F16.to_vec();
    wrong.extend_from_slice(&(other_head.len() as u64).to_le_bytes());
    wrong.extend_from_slice(&other_head);
    wrong.extend_from_slice(&half[16 + head.len()..]);
    let err = load(&wrong, &dev).unwrap_err().to_string();
    assert!(err.contains("do not fit the configuration"), "{err}");
}

/// A format-1 file (no `asinh_targets`, magic SCPTv001, as the weights shipped
/// until the targets moved to arcsinh) still loads, as quantiles of the scaled
/// target; what is saved again is format 2.
#[test]
fn format_1_files_load_with_linear_targets() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(4);
    let cfg = small().with_asinh_targets(false);
    let net = cfg.init(&dev);
    let old = MetaV1 {
        config: ConfigV1 {
            context: cfg.context,
            patch: cfg.patch,
            horizon: cfg.horizon,
            width: cfg.width,
            layers: cfg.layers,
            head: cfg.head,
        },
        provenance: vec!["format 1".into()],
        fitted_through: chrono::NaiveDate::from_ymd_opt(2010, 9, 2),
        steps: 7,
        valid_loss: 0.25,
    };
    let bytes = super::super::pack(MAGIC_V1, &old, &net).unwrap();
    let (net1, meta) = load(&bytes, &dev).unwrap();
    assert_eq!(meta.config, cfg);
    assert!(!meta.config.asinh_targets);
    assert_eq!(meta.steps, 7);
    assert_eq!(meta.fitted_through, old.fitted_through);
    let hist: Vec<f64> = (0..40).map(|t| 5.0 + (t % 7) as f64).collect();
    let req = [Request {
        history: &hist,
        freq: FreqCode::Daily,
    }];
    let q1 = block_on(predict(&net1, &meta.config, &req, 8, &dev)).unwrap();
    assert_eq!(q1, block_on(predict(&net, &cfg, &req, 8, &dev)).unwrap());
    // The same weights read as arcsinh targets give sinh of the linear quantiles
    // (where those are positive): the decoding follows the file's format.
    let asinh = cfg.clone().with_asinh_targets(true);
    let q2 = block_on(predict(&net1, &asinh, &req, 8, &dev)).unwrap();
    for (a, b) in q1[0].iter().flatten().zip(q2[0].iter().flatten()) {
        if *a > 0.0 {
            let scale = hist[hist.len() - cfg.context.min(hist.len())..]
                .iter()
                .sum::<f64>()
                / cfg.context.min(hist.len()) as f64;
            let want = (a / scale).sinh() * scale;
            assert!(
                (b - want).abs() <= 1e-3 * (1.0 + want.abs()),
                "{b} vs {want}"
            );
        }
    }
    assert!(save(&net1, &meta).unwrap().starts_with(MAGIC));
}

/// With arcsinh targets the loss is the plain pinball loss of arcsinh(y): a window
/// whose targets are 100 times another's is not weighted down (the format-1 loss
/// divided it by its mean target), and the optimum is arcsinh of the quantile.
#[test]
fn the_arcsinh_loss_is_the_unweighted_pinball_of_arcsinh_targets() {
    let dev = device::cpu();
    let (b, h, q) = (2, 3, 9);
    let y = [0.0f32, 1.0, 3.0, 100.0, 200.0, 0.5];
    let pred: Vec<f32> = (0..b * h * q).map(|i| (i % 7) as f32 * 0.4).collect();
    let mask = [1.0f32, 1.0, 0.0, 1.0, 1.0, 1.0];
    let t =
        |v: Vec<f32>, shape: [usize; 2]| Tensor::<2>::from_data(TensorData::new(v, shape), &dev);
    let p = Tensor::<3>::from_data(TensorData::new(pred.clone(), [b, h, q]), &dev);
    let got = read_back_sync(masked_pinball(
        p,
        t(y.to_vec(), [b, h]),
        t(mask.to_vec(), [b, h]),
        true,
    ));
    let (mut sum, mut n) = (0.0f64, 0.0f64);
    for i in 0..b * h {
        if mask[i] == 0.0 {
            continue;
        }
        let target = (y[i] as f64).asinh();
        let mut l = 0.0;
        for (j, level) in LEVELS.iter().enumerate() {
            let e = target - pred[i * q + j] as f64;
            l += e.max(0.0) * level + (-e).max(0.0) * (1.0 - level);
        }
        sum += l / q as f64;
        n += 1.0;
    }
    assert!((got - sum / n).abs() < 1e-5, "{got} vs {}", sum / n);
    // The nine levels average to 0.5, so for one value at every level the loss is
    // 4.5 |error| summed: lowest at arcsinh of the targets' median (2), however large
    // the largest target (50).
    let targets = [0.0f32, 1.0, 2.0, 4.0, 50.0];
    let loss_at = |c: f64| {
        let p = Tensor::<3>::from_data(TensorData::new(vec![c as f32; 5 * 9], [1, 5, 9]), &dev);
        read_back_sync(masked_pinball(
            p,
            t(targets.to_vec(), [1, 5]),
            t(vec![1.0; 5], [1, 5]),
            true,
        ))
    };
    let at_median = loss_at(2.0f64.asinh());
    assert!(at_median < loss_at(1.0f64.asinh()) && at_median < loss_at(4.0f64.asinh()));
}

fn read_back_sync(t: Tensor<1>) -> f64 {
    block_on(read_back(t)).unwrap()[0] as f64
}

#[test]
fn pretraining_on_the_synthetic_corpus_lowers_the_loss() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(2);
    let cfg = small();
    let corpus = super::super::corpus::synthetic(400, 200, 5);
    let valid = validation_windows(&cfg, &corpus, 256, 9);
    let st = PretrainSettings {
        steps: 120,
        batch: 64,
        lr: 3e-3,
        seed: 3,
        report_every: 40,
    };
    let init = cfg.init(&dev);
    let before = block_on(valid_loss(&init, &cfg, &valid, &dev)).unwrap();
    let (_, reports) = block_on(train(
        init,
        &cfg,
        WindowSource::Corpus(&corpus),
        &valid,
        &st,
        0,
        true,
        &dev,
        &mut |_, _| true,
        || async {},
    ))
    .unwrap();
    assert_eq!(reports.len(), 3);
    let after = reports[2].valid_loss;
    assert!(after < 0.8 * before, "{before} -> {reports:?}");
}

/// A shop: 30 SKUs of 200 days with a weekly cycle at different levels.
fn shop() -> Vec<crate::nn::data::NnSeries> {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let dates: Vec<chrono::NaiveDate> = (0..200)
        .map(|i| start + chrono::Duration::days(i))
        .collect();
    let mut rng = SplitMix::new(4);
    (0..30)
        .map(|k| crate::nn::data::NnSeries {
            sku: format!("S{k}"),
            values: (0..200)
                .map(|t| {
                    let level = 1.0 + k as f64;
                    let season = [1.8, 1.2, 1.0, 0.8, 0.7, 0.5, 1.0][t % 7];
                    (level * season + level.sqrt() * 0.3 * rng.normal())
                        .max(0.0)
                        .round()
                })
                .collect(),
            dates: dates.clone(),
            future: Vec::new(),
        })
        .collect()
}

#[test]
fn fine_tuning_lowers_the_validation_loss_and_records_the_cutoff() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(5);
    let cfg = small();
    let series = shop();
    let train_set: Vec<_> = series.iter().map(|s| s.truncated(14)).collect();
    let st = PretrainSettings {
        steps: 60,
        batch: 32,
        lr: 3e-3,
        seed: 1,
        report_every: 20,
    };
    let shop_series: Vec<CorpusSeries> = train_set
        .iter()
        .map(|s| CorpusSeries {
            values: s.values.iter().map(|v| *v as f32).collect(),
            freq: FreqCode::Daily,
            source: "shop",
        })
        .collect();
    let (_, valid_at) = finetune_windows(&shop_series, 7, 2);
    let mut valid = Encoded::default();
    for &(i, end) in &valid_at {
        push_at(&cfg, &shop_series[i], end, 7, &mut valid);
    }
    let net = cfg.init(&dev);
    let before = block_on(valid_loss(&net, &cfg, std::slice::from_ref(&valid), &dev)).unwrap();
    let mut calls = 0;
    let (tuned, reports, through) = block_on(finetune(
        net,
        &cfg,
        &train_set,
        FreqCode::Daily,
        7,
        &st,
        &dev,
        &mut |_, _| {
            calls += 1;
            // Cancel after the second report: the best weights so far are kept.
            calls < 2
        },
        || async {},
    ))
    .unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(through, Some(series[0].dates[185]));
    let after = block_on(valid_loss(&tuned, &cfg, std::slice::from_ref(&valid), &dev)).unwrap();
    let best = reports
        .iter()
        .map(|p| p.valid_loss)
        .fold(f64::INFINITY, f64::min);
    assert!((after - best).abs() < 1e-4, "{after} vs {reports:?}");
    assert!(after < 0.8 * before, "{before} -> {after}");
    // Its forecasts for the choice start after the cutoff.
    let bt = crate::forecast::backtest::BacktestConfig {
        h: 7,
        windows: 2,
        season: 7,
        paths: 10,
        scenarios: Default::default(),
    };
    let g = block_on(global_forecasts(
        &tuned,
        &cfg,
        "ft",
        &series,
        FreqCode::Daily,
        &bt,
        through,
        &dev,
    ))
    .unwrap();
    let dates: Vec<&[chrono::NaiveDate]> = series.iter().map(|s| s.dates.as_slice()).collect();
    assert!(g.scorable(&dates) == series.len());
    assert!(
        g.per_series[0]
            .iter()
            .all(|(o, _)| series[0].dates.get(*o).is_none_or(|d| Some(*d) > through))
    );
    assert!(
        g.own_quantiles
            .iter()
            .all(|q| q.as_ref().is_some_and(|q| q[1].len() == 7))
    );
}

#[test]
fn weights_copy_onto_the_cpu_asynchronously() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dev = device::cpu();
    dev.seed(8);
    let cfg = small();
    let a = cfg.init(&dev);
    let b = cfg.init(&dev);
    let hist: Vec<f64> = (0..50).map(|t| (t % 5) as f64).collect();
    let req = [Request {
        history: &hist,
        freq: FreqCode::Daily,
    }];
    let qa = block_on(predict(&a, &cfg, &req, 16, &dev)).unwrap();
    assert_ne!(block_on(predict(&b, &cfg, &req, 16, &dev)).unwrap(), qa);
    let c = block_on(crate::nn::to_cpu_async(&a, b)).unwrap();
    assert_eq!(block_on(predict(&c, &cfg, &req, 16, &dev)).unwrap(), qa);
    // A module of another shape is refused, not silently mixed.
    let other = cfg.clone().with_layers(1).init(&dev);
    assert!(block_on(crate::nn::to_cpu_async(&a, other)).is_err());
}
