//! `supplycast bench-scenarios` and the sample-path export of `supplycast forecast`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use supplycast::data::Dataset;
use supplycast::forecast::run::ForecastRun;
use supplycast::forecast::scenario_bench;
use supplycast::forecast::scenarios::Scenarios;

/// Parses `--scenarios`.
pub(crate) fn parse(s: &str) -> anyhow::Result<Scenarios> {
    Scenarios::parse(s).with_context(|| {
        format!("--scenarios must be copula, vae, windows or independent, not '{s}'")
    })
}

/// Writes `sku,path,date,quantity`, one row per SKU, path and period.
pub(crate) fn write_paths(run: &ForecastRun, out: &Path) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    w.write_record(["sku", "path", "date", "quantity"])?;
    let mut rows = 0usize;
    for s in &run.skus {
        let Ok(c) = &s.result else { continue };
        for (k, p) in c.forecast.paths.iter().enumerate() {
            for (d, q) in run.dates.iter().zip(p) {
                w.write_record([
                    s.sku.as_str(),
                    &(k + 1).to_string(),
                    &d.to_string(),
                    &qty(*q),
                ])?;
                rows += 1;
            }
        }
    }
    w.flush()?;
    eprintln!(
        "wrote {rows} path rows ({} scenarios: {}) to {}",
        run.config.paths,
        run.config.scenarios.name(),
        out.display()
    );
    Ok(())
}

/// `supplycast bench-scenarios`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bench(
    ds: &Dataset,
    h: usize,
    season: usize,
    top: usize,
    paths: usize,
    lead_days: Option<f64>,
    vae: bool,
    json: bool,
) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    #[allow(unused_mut)]
    let mut kinds = vec![
        Scenarios::Independent,
        Scenarios::Windows,
        Scenarios::Copula,
    ];
    #[cfg(feature = "nn")]
    let generator = |ys: &[&[f64]], h: usize| crate::neural_cli::vae_paths(ys, h, paths);
    #[cfg(feature = "nn")]
    let generate: Option<&scenario_bench::Generator<'_>> = if vae {
        kinds.push(Scenarios::Generative);
        Some(&generator)
    } else {
        None
    };
    #[cfg(not(feature = "nn"))]
    let generate: Option<&scenario_bench::Generator<'_>> = if vae {
        return Err(crate::neural_cli::unavailable());
    } else {
        None
    };
    let period_days = ds.frequency().days();
    let lead = move |_: &str| lead_days.map(|d| (d / period_days).round().max(1.0) as usize);
    let t = std::time::Instant::now();
    let rows = scenario_bench::run(
        ds,
        h,
        season,
        top,
        paths,
        &kinds,
        &[1, 7, 14, 28],
        &lead,
        generate,
        threads,
    );
    let secs = t.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<10} {:<12} {:>5} {:>5} {:>9} {:>11} {:>9} {:>10}",
        "origin", "scenarios", "len", "skus", "coverage", "scaled CRPS", "rel width", "service95"
    )?;
    for r in &rows {
        let len = if r.len == 0 {
            "lead".to_string()
        } else {
            r.len.to_string()
        };
        writeln!(
            out,
            "{:<10} {:<12} {:>5} {:>5} {:>9.3} {:>11.4} {:>9.3} {:>10.3}",
            r.origin, r.scenarios, len, r.skus, r.coverage, r.scaled_crps, r.rel_width, r.service95
        )?;
    }
    writeln!(
        out,
        "({secs:.1} s, {paths} paths per SKU, {threads} threads)"
    )?;
    Ok(())
}

fn qty(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `supplycast bench-scenarios --speed`: seconds for scenarios of every SKU (`paths` ×
/// `h` periods) from the fitted copula and from the scenario model, and for anomaly
/// detection, on this machine.
pub(crate) fn speed(ds: &Dataset, h: usize, paths: usize, vae: bool) -> anyhow::Result<()> {
    use supplycast::forecast::backtest::BacktestConfig;
    use supplycast::forecast::{models, select};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ys: Vec<&[f64]> = ds.series.iter().map(|s| s.values.as_slice()).collect();
    let periods: usize = ys.iter().map(|y| y.len()).sum();
    println!(
        "{} SKUs, {periods} SKU-periods, {paths} paths × {h} periods, {threads} threads",
        ys.len()
    );
    let t = std::time::Instant::now();
    let flags = supplycast::anomaly::detect(ds, &Default::default());
    println!(
        "anomaly detection (rules): {:.2} s, {} flags",
        t.elapsed().as_secs_f64(),
        flags.len()
    );
    let cfg = BacktestConfig {
        h,
        windows: 3,
        season: ds.season(),
        paths: 0,
        scenarios: Scenarios::Copula,
    };
    let candidates = |i: usize| -> Vec<Box<dyn supplycast::forecast::Model>> {
        models::for_series(ys[i], cfg.season)
    };
    let t = std::time::Instant::now();
    let bt = select::backtest_all(&ys, &candidates, &cfg, threads, &mut |_| true);
    let learnt = select::learn(&bt, &ys, h, None);
    println!(
        "backtests and learning (no paths): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let mut base = 0.0;
    for (label, n, kind) in [
        ("final forecasts, no paths", 0, Scenarios::Copula),
        (
            "final forecasts + independent paths",
            paths,
            Scenarios::Independent,
        ),
        ("final forecasts + copula paths", paths, Scenarios::Copula),
    ] {
        let c = BacktestConfig {
            paths: n,
            scenarios: kind,
            ..cfg
        };
        let t = std::time::Instant::now();
        let out = select::finish(&bt, &learnt, &ys, &candidates, &c, threads, 17, &mut |_| {
            true
        });
        let s = t.elapsed().as_secs_f64();
        if n == 0 {
            base = s;
        }
        let made: usize = out
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|c| c.forecast.paths.len())
            .sum();
        println!(
            "{label}: {s:.2} s ({made} paths; the paths alone {:.2} s)",
            s - base
        );
    }
    if vae {
        #[cfg(feature = "nn")]
        {
            let t = std::time::Instant::now();
            let templates = crate::neural_cli::vae_paths(&ys, h, paths);
            println!(
                "scenario model: trained and {} SKUs' paths generated in {:.2} s (the split is on standard error)",
                templates.iter().filter(|t| t.is_some()).count(),
                t.elapsed().as_secs_f64()
            );
            let t = std::time::Instant::now();
            let recon = crate::neural_cli::reconstruction(ds)?;
            let z = supplycast::anomaly::Settings::default().autoencoder_z;
            let ae = supplycast::anomaly::from_reconstruction(ds, &recon, z, &flags);
            println!(
                "autoencoder anomalies: trained and flagged in {:.2} s, {} flags",
                t.elapsed().as_secs_f64(),
                ae.len()
            );
        }
        #[cfg(not(feature = "nn"))]
        return Err(crate::neural_cli::unavailable());
    }
    Ok(())
}
