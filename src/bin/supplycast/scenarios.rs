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
