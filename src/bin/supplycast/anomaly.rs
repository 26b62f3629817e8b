//! `supplycast anomalies` and `supplycast bench-anomalies`.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use supplycast::anomaly::{self, Anomaly, Kind, Settings, inject};
use supplycast::data::{self, Dataset, LoadOptions};
use supplycast::forecast::{self, backtest::BacktestConfig, metrics};

/// Every anomaly of a file: the series detectors and, for order-line files, the order
/// lines, most impact first.
pub(crate) fn find(
    name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    ds: &Dataset,
) -> Result<Vec<Anomaly>> {
    let settings = Settings::default();
    let mut flags = anomaly::detect(ds, &settings);
    let parsed = data::ingest::parse(name, bytes, &opts.read, &mut |_| {})?;
    flags.extend(anomaly::orders::detect_orders(
        &parsed,
        ds,
        settings.spike_z,
    ));
    flags.sort_by(|a, b| b.impact.total_cmp(&a.impact));
    Ok(flags)
}

/// Writes the flags (CSV, or JSON) and a count per kind on standard error.
pub(crate) fn write(flags: &[Anomaly], out: Option<&Path>, json: bool) -> Result<()> {
    let text = if json {
        serde_json::to_string_pretty(flags)?
    } else {
        anomaly::to_csv(flags)
    };
    match out {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    let counts: Vec<String> = Kind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                flags.iter().filter(|a| a.kind == *k).count(),
                k.label()
            )
        })
        .collect();
    eprintln!("{} anomalies: {}", flags.len(), counts.join(", "));
    if let Some(p) = out {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

/// Forecasts `train` and scores each series' held-out values: mean MASE and scaled
/// pinball (P10/P50/P90 mean) over the series with a scale, the scales taken from the
/// history as it was (`raw`), so cleaned and raw forecasts are scored alike.
fn accuracy(train: &Dataset, raw: &Dataset, tests: &[Vec<f64>], h: usize) -> (f64, f64, usize) {
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season: train.season(),
        paths: 0,
        scenarios: Default::default(),
    };
    let run = forecast::run::forecast_dataset(train, cfg, &mut |_, _| true);
    let (mut mase, mut sql, mut n) = (0.0, 0.0, 0usize);
    for ((s, f), test) in raw.series.iter().zip(&run.skus).zip(tests) {
        let (Ok(c), Some(scale)) = (
            &f.result,
            metrics::scales(&s.values, cfg.season.max(1)).filter(|sc| sc.0 > 0.0),
        ) else {
            continue;
        };
        if test.len() != h {
            continue;
        }
        let q = &c.forecast.quantiles;
        let sc = metrics::score(test, &c.forecast.point, &q[0], &q[1], &q[2], scale);
        mase += sc.mase;
        sql += sc.sql.iter().sum::<f64>() / 3.0;
        n += 1;
    }
    (mase / n.max(1) as f64, sql / n.max(1) as f64, n)
}

/// The detectors measured on labelled injected anomalies, and forecast accuracy on
/// the last `h` periods with and without cleaning.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bench(
    ds: &Dataset,
    seed: u64,
    top: usize,
    h: usize,
    with_accuracy: bool,
    labels_out: Option<&Path>,
    sweep: bool,
    autoencoder: bool,
) -> Result<()> {
    let settings = Settings::default();
    let t0 = Instant::now();
    let original = anomaly::detect(ds, &settings);
    let t_detect = t0.elapsed().as_secs_f64();
    let sku_periods: usize = ds.series.iter().map(|s| s.values.len()).sum();
    println!(
        "detection on the original data: {} SKUs, {sku_periods} SKU-periods, {:.2} s, {} flags",
        ds.series.len(),
        t_detect,
        original.len()
    );
    let (injected, inj) = inject::inject(ds, seed, top, h);
    if let Some(p) = labels_out {
        let mut csv = String::from("sku,kind,start_date,periods,factor\n");
        for l in &inj.labels {
            csv.push_str(&format!(
                "{},{},{},{},{:.3}\n",
                data::csv_field(l.sku.as_deref().unwrap_or("*")),
                l.kind.label(),
                ds.periods[l.start],
                l.len,
                l.factor
            ));
        }
        std::fs::write(p, csv).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if sweep {
        // Each threshold moved alone, scored on the validation half only.
        let grid: Vec<(&str, Vec<Settings>)> = vec![
            (
                "spike_z",
                [3.0, 3.5, 4.0, 4.5, 5.0, 6.0]
                    .iter()
                    .map(|&x| Settings {
                        spike_z: x,
                        ..settings
                    })
                    .collect(),
            ),
            (
                "shift_ratio",
                [1.5, 1.8, 2.2]
                    .iter()
                    .map(|&x| Settings {
                        shift_ratio: x,
                        ..settings
                    })
                    .collect(),
            ),
            (
                "stockout_score",
                [1.0, 2.0, 3.0, 4.0]
                    .iter()
                    .map(|&x| Settings {
                        stockout_score: x,
                        ..settings
                    })
                    .collect(),
            ),
            (
                "missing_share",
                [0.2, 0.35, 0.5]
                    .iter()
                    .map(|&x| Settings {
                        missing_share: x,
                        ..settings
                    })
                    .collect(),
            ),
        ];
        for (name, sets) in grid {
            for st in sets {
                let f = anomaly::detect(&injected, &st);
                let ev = inject::evaluate(&injected, &f, &original, &inj, Some(0));
                let line: Vec<String> = ev
                    .kinds
                    .iter()
                    .map(|k| {
                        format!(
                            "{} R {:.2} P {:.2} Pnew {:.2}",
                            k.kind.label(),
                            k.recall(),
                            k.precision(),
                            k.new_precision()
                        )
                    })
                    .collect();
                println!("{name} {:?}: {}", st, line.join(" | "));
            }
        }
    }
    let flags = anomaly::detect(&injected, &settings);
    println!(
        "injected (seed {seed}, top {top} SKUs, none in the last {h} periods): {} anomalies into {} SKUs, {} SKUs untouched",
        inj.labels.len(),
        inj.touched.len(),
        inj.untouched.len()
    );
    for (half, name) in [
        (0u8, "validation half (thresholds chosen here)"),
        (1, "test half (reported)"),
    ] {
        let ev = inject::evaluate(&injected, &flags, &original, &inj, Some(half));
        println!("\n{name}:");
        println!(
            "| kind | injected | found | recall | flags | precision (lower bound) | new flags | precision of new flags |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for k in &ev.kinds {
            println!(
                "| {} | {} | {} | {:.3} | {} | {:.3} | {} | {:.3} |",
                k.kind.label(),
                k.injected,
                k.found,
                k.recall(),
                k.flags,
                k.precision(),
                k.new_flags,
                k.new_precision()
            );
        }
    }
    if autoencoder {
        #[cfg(feature = "nn")]
        autoencoder_bench(&injected, &flags, &original, &inj)?;
        #[cfg(not(feature = "nn"))]
        return Err(crate::neural_cli::unavailable());
    }
    let ev = inject::evaluate(&injected, &flags, &original, &inj, None);
    println!(
        "\nflags per 1,000 SKU-periods on the {} untouched SKUs ({} SKU-periods): {}",
        inj.untouched.len(),
        ev.untouched_periods,
        ev.false_alarms
            .iter()
            .map(|(k, r)| format!("{} {r:.2}", k.label()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if with_accuracy {
        for (label, data) in [("original data", ds), ("injected data", &injected)] {
            let (train, tests) = inject::hold_out(data, h);
            let flags = anomaly::detect(&train, &settings);
            let default = anomaly::default_exclusions(&flags);
            let (cleaned, rep) = anomaly::impute(&train, &default);
            let (all, rep_all) = anomaly::impute(&train, &flags);
            let raw = accuracy(&train, &train, &tests, h);
            let clean = accuracy(&cleaned, &train, &tests, h);
            let every = accuracy(&all, &train, &tests, h);
            println!(
                "\nforecast accuracy on the last {h} periods, {label} ({} series scored):",
                raw.2
            );
            println!("| history | MASE | scaled pinball |");
            println!("|---|---|---|");
            println!("| as it is | {:.4} | {:.4} |", raw.0, raw.1);
            println!(
                "| stock-outs and missing data imputed ({} points, {} SKUs) | {:.4} | {:.4} |",
                rep.points, rep.skus, clean.0, clean.1
            );
            println!(
                "| every flag excluded ({} points imputed, {} shifts cut) | {:.4} | {:.4} |",
                rep_all.points, rep_all.shifts, every.0, every.1
            );
        }
    }
    Ok(())
}

/// The autoencoder's flags on the injected data: alone at each threshold on the
/// validation half, then at the threshold chosen there on the test half, alone and
/// added to the statistical detectors' flags.
#[cfg(feature = "nn")]
fn autoencoder_bench(
    injected: &Dataset,
    flags: &[Anomaly],
    original: &[Anomaly],
    inj: &inject::Injection,
) -> Result<()> {
    let recon = crate::neural_cli::reconstruction(injected)?;
    let row = |f: &[Anomaly], half: Option<u8>| -> String {
        let ev = inject::evaluate(injected, f, original, inj, half);
        ev.kinds
            .iter()
            .filter(|k| matches!(k.kind, Kind::Spike | Kind::LevelShift))
            .map(|k| {
                format!(
                    "{} recall {:.3} ({}/{}), flags {}, precision of new flags {:.3}",
                    k.kind.label(),
                    k.recall(),
                    k.found,
                    k.injected,
                    k.flags,
                    k.new_precision()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
            + &format!(
                "; false alarms per 1,000 untouched SKU-periods: {}",
                ev.false_alarms
                    .iter()
                    .filter(|(k, _)| matches!(k, Kind::Spike | Kind::Dip))
                    .map(|(k, r)| format!("{} {r:.2}", k.label()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
    };
    println!("\nautoencoder alone, validation half, by threshold:");
    let mut best = (f64::NEG_INFINITY, 4.5);
    for z in [3.0, 3.5, 4.0, 4.5, 5.0, 6.0] {
        let ae = anomaly::from_reconstruction(injected, &recon, z, &[]);
        println!("z {z}: {}", row(&ae, Some(0)));
        // F1 of spikes on the validation half picks the threshold.
        let ev = inject::evaluate(injected, &ae, original, inj, Some(0));
        if let Some(k) = ev.kinds.iter().find(|k| k.kind == Kind::Spike) {
            let (r, p) = (k.recall(), k.new_precision());
            let f1 = if r + p > 0.0 {
                2.0 * r * p / (r + p)
            } else {
                0.0
            };
            if f1 > best.0 {
                best = (f1, z);
            }
        }
    }
    let z = best.1;
    let ae = anomaly::from_reconstruction(injected, &recon, z, &[]);
    println!(
        "\ntest half, autoencoder alone (z {z}): {}",
        row(&ae, Some(1))
    );
    let mut both = flags.to_vec();
    both.extend(anomaly::from_reconstruction(injected, &recon, z, flags));
    println!(
        "test half, statistical detectors alone: {}",
        row(flags, Some(1))
    );
    println!(
        "test half, statistical + autoencoder: {}",
        row(&both, Some(1))
    );
    Ok(())
}
