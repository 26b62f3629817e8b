//! `supplycast ingest --store`, `supplycast update` and `supplycast accuracy`: the
//! store file a scheduled job keeps up to date.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use supplycast::data::{self, Dataset, LoadOptions};
use supplycast::forecast::backtest::BacktestConfig;
use supplycast::forecast::{run, tracking};
use supplycast::store::Store;

fn read_store(path: &Path) -> Result<Store> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    Ok(Store::from_bytes(&name, &bytes)?)
}

fn write_store(path: &Path, store: &Store) -> Result<()> {
    // Written beside and renamed, so a failed write never loses the previous store.
    let tmp = path.with_extension("sc.part");
    std::fs::write(&tmp, store.to_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Forecasts the store's data (every statistical model, the automatic choice) and
/// keeps the forecast for scoring when newer sales arrive. Returns the seconds taken.
fn keep_forecast(store: &mut Store) -> f64 {
    let t0 = Instant::now();
    let ds = &store.dataset;
    let cfg = BacktestConfig {
        h: ds.frequency().default_horizon(),
        windows: 3,
        season: ds.season(),
        paths: 0,
        scenarios: Default::default(),
    };
    let fr = run::forecast_dataset(ds, cfg, &mut |_, _| true);
    let snap = tracking::Snapshot::from_run(&fr, ds);
    store.keep(snap);
    t0.elapsed().as_secs_f64()
}

/// `ingest FILE --store S`: a new store with the dataset and its forecast.
pub(crate) fn create(ds: Dataset, path: &Path, forecast: bool) -> Result<()> {
    let mut store = Store::new(ds);
    if forecast {
        let s = keep_forecast(&mut store);
        eprintln!(
            "forecast {} SKUs for {} periods in {s:.1} s, kept for scoring when newer sales arrive",
            store.dataset.series.len(),
            store.dataset.frequency().default_horizon()
        );
    }
    write_store(path, &store)?;
    eprintln!("wrote the store {}", path.display());
    Ok(())
}

/// `update S NEW`: appends, scores the kept forecast, forecasts again.
pub(crate) fn update(
    path: &Path,
    name: &str,
    bytes: &[u8],
    mut opts: LoadOptions,
    out: Option<&Path>,
    forecast: bool,
) -> Result<()> {
    let mut store = read_store(path)?;
    // The newer export takes the stored data's period.
    opts.freq = store.dataset.freq;
    let newer = data::load(name, bytes, &opts, &mut |_| {})?;
    let (report, eval) = store.update(&newer)?;
    println!("{}", report.summary());
    match &eval {
        Some(e) => print_evaluation(e, 10),
        None => println!("no kept forecast covers the new periods (nothing to score yet)"),
    }
    if forecast {
        let s = keep_forecast(&mut store);
        println!(
            "forecast again: {} SKUs in {s:.1} s (statistical models refitted on the updated history)",
            store.dataset.series.len()
        );
    }
    write_store(path, &store)?;
    if let Some(o) = out {
        let f =
            std::fs::File::create(o).with_context(|| format!("cannot create {}", o.display()))?;
        store
            .dataset
            .write_long_csv(std::io::BufWriter::new(f), false, false)
            .with_context(|| format!("cannot write {}", o.display()))?;
        println!("wrote the updated series to {}", o.display());
    }
    Ok(())
}

fn print_evaluation(e: &tracking::Evaluation, top: usize) {
    println!(
        "forecast made through {} scored on {} periods through {}: MASE {:.3}, bias {:+.1} %, P10–P90 coverage {:.1} %, {} SKUs drifting",
        e.data_end,
        e.periods,
        e.through,
        e.mase,
        100.0 * e.bias,
        100.0 * e.coverage,
        e.drifted()
    );
    for s in e.skus.iter().filter(|s| s.drift).take(top) {
        println!(
            "  {}: {} of {} periods outside P10–P90 ({} above, {} below): {}",
            s.sku,
            s.above + s.below,
            s.periods,
            s.above,
            s.below,
            s.action.as_deref().unwrap_or("")
        );
    }
    if e.drifted() > top {
        println!("  ... {} more", e.drifted() - top);
    }
}

/// `accuracy S`: the accuracy history.
pub(crate) fn accuracy(path: &Path, json: bool, out: Option<&Path>) -> Result<()> {
    let store = read_store(path)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&store.history.evaluations)?
        );
    } else if store.history.evaluations.is_empty() {
        println!(
            "{}: no forecast has met newer sales yet ({} kept, {} updates)",
            path.display(),
            store.history.snapshots.len(),
            store.history.updates.len()
        );
    } else {
        for e in &store.history.evaluations {
            print_evaluation(e, 5);
        }
    }
    if let (Some(o), Some(e)) = (out, store.history.evaluations.last()) {
        std::fs::write(o, tracking::to_csv(e))
            .with_context(|| format!("cannot write {}", o.display()))?;
        eprintln!("wrote the latest score per SKU to {}", o.display());
    }
    Ok(())
}
