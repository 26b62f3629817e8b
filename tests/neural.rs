//! The neural command line end to end (feature `nn`): `supplycast train` writes a model
//! file, `supplycast forecast --model` reads it back, and bad inputs fail cleanly.
// Native only: `wasm-pack test` builds every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "nn")]

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
}

/// `supplycast forecast DATA --h H --model MODEL --out OUT`, which must succeed; the CSV.
fn forecast_with_model(
    data: &std::path::Path,
    h: usize,
    model: &std::ffi::OsStr,
    out: &std::path::Path,
) -> String {
    let run = bin()
        .arg("forecast")
        .arg(data)
        .args(["--h", &h.to_string(), "--model"])
        .arg(model)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("supplycast-neural-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn train_then_forecast_with_the_model_file() {
    // 12 SKUs, 120 days with a weekly cycle.
    let mut csv = String::from("date,sku,quantity\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..120 {
        let d = start + chrono::Duration::days(i);
        for k in 0..12 {
            csv.push_str(&format!(
                "{d},SKU{k},{}\n",
                (k + 1) * [3, 2, 2, 1, 1, 4, 5][(i % 7) as usize]
            ));
        }
    }
    let data = tmp("series.csv");
    std::fs::write(&data, csv).unwrap();
    let model = tmp("mlp.model");
    let out = bin()
        .args(["train"])
        .arg(&data)
        .args([
            "--model", "mlp", "--device", "cpu", "--epochs", "3", "--h", "7", "--out",
        ])
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("device: CPU (Burn Flex), as asked"), "{err}");
    assert!(err.contains("mlp: epoch 1/3 train"), "{err}");
    let text = forecast_with_model(&data, 7, model.as_os_str(), &tmp("forecast.csv"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "sku,date,p10,p50,p90,model");
    assert_eq!(lines.len(), 1 + 12 * 7);
    // SKUs come best seller first.
    assert!(
        lines[1].starts_with("SKU11,2024-04-30,") && lines[1].ends_with(",mlp"),
        "{}",
        lines[1]
    );
    // A longer horizon than the model's, and a file that is no model: exit 2.
    let out = bin()
        .arg("forecast")
        .arg(&data)
        .args(["--h", "14", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("forecasts 7 periods"));
    let out = bin()
        .arg("forecast")
        .arg(&data)
        .args(["--h", "7", "--model"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a supplycast model file"));
    let out = bin()
        .arg("train")
        .arg(&data)
        .args(["--model", "rnn9", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A daily file of `skus` SKUs over `days` days with a weekly cycle and noise.
fn seasonal_file(name: &str, skus: usize, days: i64) -> std::path::PathBuf {
    let mut csv = String::from("date,sku,quantity\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut state = 12345u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..days {
        let d = start + chrono::Duration::days(i);
        for k in 0..skus {
            let level = 2.0 + 3.0 * k as f64;
            let season = [1.8, 1.2, 1.0, 0.8, 0.7, 0.5, 1.0][(i % 7) as usize];
            let q = (level * season * (1.0 + 0.3 * noise())).round().max(0.0);
            csv.push_str(&format!("{d},SKU{k},{q}\n"));
        }
    }
    let path = tmp(name);
    std::fs::write(&path, csv).unwrap();
    path
}

/// `supplycast pretrain` runs end to end (a tiny run: CI never re-pretrains), and its
/// file forecasts; the shipped weights load and forecast zero-shot; `finetune` writes a
/// file that records its cutoff; corrupt weights fail with a clear message.
#[test]
fn pretrain_finetune_and_forecast_with_the_pretrained_model() {
    let dir = tmp("pt");
    std::fs::create_dir_all(&dir).unwrap();
    let weights = dir.join("tiny.sct");
    let out = bin()
        .args([
            "pretrain",
            "--steps",
            "4",
            "--batch",
            "16",
            "--synthetic",
            "60",
            "--report-every",
            "2",
            "--width",
            "16",
            "--layers",
            "1",
            "--device",
            "cpu",
            "--seed",
            "3",
            "--average-tail",
            "1",
            "--out",
        ])
        .arg(&weights)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("step 2/4") && err.contains("ETA"), "{err}");
    // --average-tail 1: the mean of the weights at both reports, a weights file of its
    // own with its validation loss in the provenance.
    assert!(
        err.contains("the mean of 2 reports' weights from step 2"),
        "{err}"
    );
    let avg = std::fs::read(dir.join("tiny.sct.avg")).unwrap();
    let last = std::fs::read(&weights).unwrap();
    assert!(avg.starts_with(b"SCPTv002"));
    assert!(
        String::from_utf8_lossy(&avg)
            .contains("tail average of the weights at 2 reports, steps 2..4"),
        "no provenance line in the averaged file"
    );
    assert_ne!(avg[avg.len() - 4096..], last[last.len() - 4096..]);
    // A fraction outside (0, 1] is refused before any work.
    let out = bin()
        .args(["pretrain", "--average-tail", "1.5", "--out"])
        .arg(dir.join("never.sct"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a fraction above 0"));
    let curve = std::fs::read_to_string(dir.join("tiny.sct.loss.csv")).unwrap();
    assert_eq!(curve.lines().count(), 3, "{curve}");
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tiny.sct.json")).unwrap()).unwrap();
    assert_eq!(prov["steps"], 4);
    assert_eq!(prov["corpus"]["synthetic"], 60);
    // Resuming from the checkpoint goes on from step 4.
    let out = bin()
        .args([
            "pretrain",
            "--steps",
            "6",
            "--batch",
            "16",
            "--synthetic",
            "60",
            "--report-every",
            "2",
            "--width",
            "16",
            "--layers",
            "1",
            "--device",
            "cpu",
            "--seed",
            "3",
            "--resume",
            "--out",
        ])
        .arg(&weights)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("resuming from step 4") && err.contains("step 6/6"),
        "{err}"
    );

    // Starting from other weights takes their configuration and a new schedule.
    let cont = dir.join("cont.sct");
    let out = bin()
        .args([
            "pretrain",
            "--steps",
            "2",
            "--batch",
            "16",
            "--synthetic",
            "60",
            "--report-every",
            "1",
            "--device",
            "cpu",
            "--seed",
            "4",
            "--init",
        ])
        .arg(&weights)
        .arg("--out")
        .arg(&cont)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("width: 16") && err.contains("step 2/2"),
        "{err}"
    );
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cont.sct.json")).unwrap()).unwrap();
    assert!(
        prov["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("continued from")),
        "{prov}"
    );
    let out = bin()
        .args([
            "pretrain", "--steps", "1", "--width", "8", "--device", "cpu", "--init",
        ])
        .arg(&weights)
        .arg("--out")
        .arg(dir.join("bad.sct"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--init takes the configuration"));

    // A weight-space blend of the two: the validation loss of all three, provenance of both.
    let blended = dir.join("blend.sct");
    let out = bin()
        .args([
            "pretrain",
            "--synthetic",
            "60",
            "--device",
            "cpu",
            "--blend-weight",
            "0.25",
            "--init",
        ])
        .arg(&weights)
        .arg("--blend")
        .arg(&cont)
        .arg("--out")
        .arg(&blended)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("validation loss") && err.contains("blend 0."),
        "{err}"
    );
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("blend.sct.json")).unwrap())
            .unwrap();
    assert_eq!(prov["blend"]["weight_of_other"], 0.25);
    let lines: Vec<&str> = prov["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(lines.iter().any(|l| l.starts_with("blend: ")), "{prov}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  (blended in) continued from")),
        "{prov}"
    );
    let text = forecast_with_model(
        &seasonal_file("blend.csv", 2, 60),
        7,
        blended.as_os_str(),
        &dir.join("bfc.csv"),
    );
    assert_eq!(text.lines().count(), 1 + 2 * 7);
    // A blend weight outside 0..1 is refused with exit 2.
    let out = bin()
        .args([
            "pretrain",
            "--synthetic",
            "60",
            "--device",
            "cpu",
            "--blend-weight",
            "2",
            "--init",
        ])
        .arg(&weights)
        .arg("--blend")
        .arg(&cont)
        .arg("--out")
        .arg(dir.join("bad-blend.sct"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("blend weight 2"));

    // `--steps 0 --f16` rewrites the `--init` weights in half precision without training:
    // about half the file, both losses in the provenance, and it forecasts.
    let half = dir.join("half.sct");
    let out = bin()
        .args([
            "pretrain",
            "--synthetic",
            "60",
            "--device",
            "cpu",
            "--steps",
            "0",
            "--f16",
            "--init",
        ])
        .arg(&cont)
        .arg("--out")
        .arg(&half)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("half precision: validation loss"), "{err}");
    let (full_len, half_bytes) = (
        std::fs::metadata(&cont).unwrap().len() as usize,
        std::fs::read(&half).unwrap(),
    );
    assert!(half_bytes.starts_with(b"SCPTv003"));
    assert!(
        half_bytes.len() < full_len * 6 / 10,
        "{} vs {full_len} bytes",
        half_bytes.len()
    );
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("half.sct.json")).unwrap()).unwrap();
    let (l32, l16) = (
        prov["f16"]["valid_loss_f32"].as_f64().unwrap(),
        prov["f16"]["valid_loss_f16"].as_f64().unwrap(),
    );
    assert!((l32 - l16).abs() < 1e-3 * l32, "{l32} vs {l16}");
    assert!(
        prov["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("rewritten from")),
        "{prov}"
    );
    let text = forecast_with_model(
        &seasonal_file("half.csv", 2, 60),
        7,
        half.as_os_str(),
        &dir.join("hfc.csv"),
    );
    assert_eq!(text.lines().count(), 1 + 2 * 7);

    let data = seasonal_file("seasonal.csv", 6, 120);
    for model in [weights.as_os_str(), std::ffi::OsStr::new("pretrained")] {
        let text = forecast_with_model(&data, 7, model, &dir.join("fc.csv"));
        assert_eq!(text.lines().count(), 1 + 6 * 7);
        assert!(text.lines().nth(1).unwrap().ends_with(",pretrained") || model != "pretrained");
    }
    // Fine-tuning the shipped weights on the file: the result records its cutoff (the
    // last 3 × 7 days stay out for the backtests).
    let tuned = dir.join("tuned.sct");
    let out = bin()
        .arg("finetune")
        .arg(&data)
        .args(["--h", "7", "--steps", "6", "--device", "cpu", "--out"])
        .arg(&tuned)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("fitted through 2024-04-08"), "{err}");
    assert!(std::fs::read(&tuned).unwrap().starts_with(b"SCPTv002"));
    // Corrupt or mismatched weights: exit 2 with a clear message.
    let mut bytes = std::fs::read(&tuned).unwrap();
    bytes.truncate(bytes.len() / 2);
    let broken = dir.join("broken.sct");
    std::fs::write(&broken, &bytes).unwrap();
    let out = bin()
        .arg("forecast")
        .arg(&data)
        .args(["--h", "7", "--model"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a supplycast pretrained weights file"),
        "{err}"
    );
}

/// Zero-shot, the shipped pretrained model beats seasonal naive on a synthetic seasonal
/// shop it never saw (held-out last 14 days, MASE with the weekly lag).
#[test]
fn shipped_model_beats_seasonal_naive_zero_shot() {
    let data = seasonal_file("zero_shot.csv", 20, 154);
    let held = tmp("zero_shot_held_out.csv");
    let out = bin()
        .arg("bench-forecast")
        .arg(&data)
        .args([
            "--h",
            "14",
            "--models",
            "pretrained",
            "--device",
            "cpu",
            "--json",
            "--threads",
            "1",
            "--forecasts-out",
        ])
        .arg(&held)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Every row's held-out forecasts are in the file, the choice's and the neural
    // rows' too, so an outside harness can score any row on the same periods.
    let text = std::fs::read_to_string(&held).unwrap();
    let mut per_model: std::collections::BTreeMap<String, usize> = Default::default();
    for line in text.lines().skip(1) {
        // The choice's rows are "Auto:<its recipe>", quoted where the recipe has commas.
        let model = line.split(',').nth(2).unwrap().trim_start_matches('"');
        let row = if model.starts_with("Auto:") {
            "Auto"
        } else {
            model
        };
        *per_model.entry(row.to_string()).or_default() += 1;
    }
    for row in [
        "SeasonalNaive",
        "AutoETS",
        "pretrained",
        "pretrained (own quantiles)",
        "Auto",
    ] {
        assert_eq!(per_model.get(row), Some(&(20 * 14)), "{row}: {per_model:?}");
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mase = |name: &str| {
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == name)
            .unwrap_or_else(|| panic!("no row {name}: {v}"))["summary"]["mase"]
            .as_f64()
            .unwrap()
    };
    let (pre, snaive) = (mase("pretrained"), mase("SeasonalNaive"));
    eprintln!("zero-shot MASE {pre:.3}, seasonal naive {snaive:.3}");
    assert!(pre < snaive, "pretrained {pre} vs seasonal naive {snaive}");
    // The pretrained model is in the default benchmark (its row and the choice's pool)
    // without being asked for, and out with --no-pretrained.
    let rows = |extra: &[&str]| -> Vec<String> {
        let out = bin()
            .arg("bench-forecast")
            .arg(&data)
            .args(["--h", "14", "--json", "--threads", "1"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model"].as_str().unwrap().to_string())
            .collect()
    };
    let default = rows(&[]);
    assert!(default.iter().any(|m| m == "pretrained"), "{default:?}");
    assert!(default.iter().any(|m| m == "Auto"), "{default:?}");
    let without = rows(&["--no-pretrained"]);
    assert!(
        !without.iter().any(|m| m.starts_with("pretrained")),
        "{without:?}"
    );
}

/// The model the e2e test trained in the browser and downloaded, read by the native CLI:
/// one file format both ways (the e2e test loads a CLI-trained model in the browser).
/// `scripts/test.sh` runs it after the e2e stage, with the build of the neural tests
/// (a `cargo run` would rebuild Burn: dev-dependencies change the features of shared
/// dependencies).
#[test]
#[ignore = "needs tests/e2e/artifacts/lstm.model from the e2e test; scripts/test.sh runs it"]
fn the_browser_trained_model_forecasts_natively() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("tests/e2e/artifacts/lstm.model");
    assert!(
        model.exists(),
        "{} is missing: run the e2e test first",
        model.display()
    );
    let text = forecast_with_model(
        &root.join("assets/sample_store.csv"),
        28,
        model.as_os_str(),
        &tmp("browser-model.csv"),
    );
    assert_eq!(
        text.lines().count(),
        1 + 200 * 28,
        "{}",
        &text[..text.len().min(500)]
    );
    eprintln!("the browser-trained model forecast 200 SKUs natively");
}

/// A weights file whose metadata asks for a huge network (context 8192, width 4096,
/// head 65536 passed the plausibility check) used to have it allocated before the
/// record was read; the parameter count the configuration implies is now checked
/// against the bytes present first.
#[test]
fn a_weights_file_asking_for_a_huge_network_is_refused_before_it_is_built() {
    use burn::module::Module;
    use supplycast::nn::pretrained::{self, PretrainedConfig, PretrainedMeta};
    let device = supplycast::nn::device::cpu();
    let small = PretrainedConfig::new()
        .with_context(32)
        .with_patch(8)
        .with_horizon(8)
        .with_width(8)
        .with_layers(1)
        .with_head(16);
    let net = small.init(&device);
    assert_eq!(small.param_count(), Some(net.num_params()));
    let shipped = PretrainedConfig::new();
    assert_eq!(
        shipped.param_count(),
        Some(shipped.init(&device).num_params())
    );
    let huge = PretrainedConfig::new()
        .with_context(8192)
        .with_width(4096)
        .with_head(65536);
    let meta = |config: &PretrainedConfig| PretrainedMeta {
        config: config.clone(),
        provenance: vec!["test".into()],
        fitted_through: None,
        steps: 1,
        valid_loss: 0.1,
    };
    // Format 2 (a record): saved with the huge configuration in its metadata.
    let f32_file = pretrained::save(&net, &meta(&huge)).unwrap();
    // Format 3 refuses to save a network not of its configuration, so its metadata is
    // swapped by hand: magic, the metadata's length and bytes, then the values.
    assert!(pretrained::save_f16(&net, &meta(&huge)).is_err());
    let small_file = pretrained::save_f16(&net, &meta(&small)).unwrap();
    let n = u64::from_le_bytes(small_file[8..16].try_into().unwrap()) as usize;
    let head = postcard::to_allocvec(&meta(&huge)).unwrap();
    let mut f16_file = small_file[..8].to_vec();
    f16_file.extend((head.len() as u64).to_le_bytes());
    f16_file.extend(&head);
    f16_file.extend(&small_file[16 + n..]);
    for bytes in [f32_file, f16_file] {
        let e = pretrained::load(&bytes, &device).unwrap_err().to_string();
        assert!(e.contains("parameters, more than the"), "{e}");
    }
    // The shipped weights still load.
    assert!(pretrained::load(pretrained::shipped(), &device).is_ok());
}
