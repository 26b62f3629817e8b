//! The neural command line end to end (feature `nn`): `supplycast train` writes a model
//! file, `supplycast forecast --model` reads it back, and bad inputs fail cleanly.
#![cfg(feature = "nn")]

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
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
    let fc = tmp("forecast.csv");
    let out = bin()
        .arg("forecast")
        .arg(&data)
        .args(["--h", "7", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(&fc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&fc).unwrap();
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
