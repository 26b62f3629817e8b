//! `supplycast._native`: the core's entry points for Python. The Python package
//! (`python/supplycast`) turns DataFrames into the flat arrays these take and back;
//! everything here is validation at the edge and a call into the core, with the GIL
//! released while the core computes.
//!
//! Datasets, backtests and what was learnt cross the boundary as bytes (the core's own
//! postcard encodings) so that a distributed engine can pickle them between machines.

use std::collections::HashMap;

use chrono::NaiveDate;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use supplycast_core::data::long::{self, Bounds, LongRow};
use supplycast_core::data::{self, Dataset, Frequency, LoadOptions};
use supplycast_core::forecast::backtest::BacktestConfig;
use supplycast_core::forecast::run::{self, Learning, PartBacktests, SkuForecast};
use supplycast_core::inventory::forecast_file;
use supplycast_core::inventory::params::{self, SkuParams};
use supplycast_core::inventory::plan::{PlanConfig, PlanRequest};

create_exception!(
    _native,
    SupplycastError,
    PyValueError,
    "Input supplycast cannot use: the message names the file, row or field."
);

fn err(e: impl std::fmt::Display) -> PyErr {
    SupplycastError::new_err(e.to_string())
}

/// Days since 1970-01-01 (numpy's `datetime64[D]` as integers).
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn to_day(d: NaiveDate) -> i64 {
    (d - epoch()).num_days()
}

fn from_day(k: i64) -> Option<NaiveDate> {
    epoch().checked_add_signed(chrono::Duration::try_days(k)?)
}

fn frequency(freq: Option<&str>) -> PyResult<Option<Frequency>> {
    freq.map(|f| {
        let f = f.trim().to_ascii_lowercase();
        let alias = match f.as_str() {
            "d" | "day" | "b" => "daily",
            "w" | "week" => "weekly",
            "m" | "ms" | "me" | "month" => "monthly",
            "q" | "qs" | "qe" | "quarter" => "quarterly",
            other => other,
        };
        Frequency::from_label(alias).ok_or_else(|| {
            err(format!(
                "freq \"{f}\": expected daily, weekly, monthly or quarterly (or D, W, M, Q)"
            ))
        })
    })
    .transpose()
}

fn dataset_from_bytes(bytes: &[u8]) -> PyResult<Dataset> {
    Dataset::from_bytes(bytes).map_err(err)
}

fn config(ds: &Dataset, h: Option<usize>, windows: usize) -> PyResult<BacktestConfig> {
    let h = h.unwrap_or_else(|| ds.frequency().default_horizon());
    if h == 0 || h > 10_000 {
        return Err(err(format!("h = {h}: expected 1 to 10000 periods")));
    }
    if !(1..=20).contains(&windows) {
        return Err(err(format!("windows = {windows}: expected 1 to 20")));
    }
    Ok(BacktestConfig {
        h,
        windows,
        season: ds.season(),
        // The planner draws its own paths from the quantiles (`plan`).
        paths: 0,
        scenarios: Default::default(),
    })
}

/// Rows of a long table: per SKU its code, then per row the SKU's index, the day and the
/// quantity. Returned by `read_export`, taken by nothing else (the Python side builds
/// its own).
type LongArrays<'py> = (
    Vec<String>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Reads a shop's export (any format the app reads) into its cleaned series: the SKU
/// codes, then one row per SKU and period from the SKU's first sale (index into the
/// codes, day, quantity), the period's label and the cleaning report as JSON.
#[pyfunction]
#[pyo3(signature = (name, data, freq=None))]
fn read_export<'py>(
    py: Python<'py>,
    name: &str,
    data: &[u8],
    freq: Option<&str>,
) -> PyResult<(LongArrays<'py>, String, String)> {
    let freq = frequency(freq)?;
    let bytes = data.to_vec();
    let name_owned = name.to_string();
    let ds = py
        .detach(move || {
            let mut opts = LoadOptions::default();
            if let Some(f) = freq {
                opts.freq = f;
            }
            data::load(&name_owned, &bytes, &opts, &mut |_| {})
        })
        .map_err(err)?;
    let mut codes = Vec::new();
    let mut days = Vec::new();
    let mut qty = Vec::new();
    for (k, s) in ds.series.iter().enumerate() {
        for (d, v) in s.dates(&ds).iter().zip(&s.values) {
            codes.push(k as u32);
            days.push(to_day(*d));
            qty.push(*v);
        }
    }
    let skus = ds.series.iter().map(|s| s.sku.clone()).collect();
    let report = serde_json::to_string(&ds.report).map_err(err)?;
    Ok((
        (
            skus,
            PyArray1::from_vec(py, codes),
            PyArray1::from_vec(py, days),
            PyArray1::from_vec(py, qty),
        ),
        ds.freq.label().to_string(),
        report,
    ))
}

/// The bounds of a whole table from its dates: `(freq, first day, last day)`.
#[pyfunction]
#[pyo3(signature = (days, freq=None))]
fn bounds(days: PyReadonlyArray1<'_, i64>, freq: Option<&str>) -> PyResult<(String, i64, i64)> {
    let freq = frequency(freq)?;
    let dates: Vec<NaiveDate> = days
        .as_slice()
        .map_err(err)?
        .iter()
        .map(|&k| from_day(k).ok_or_else(|| err(format!("day {k} is not a date"))))
        .collect::<PyResult<_>>()?;
    let b = Bounds::of(&dates, freq).ok_or_else(|| err("the table has no rows"))?;
    Ok((b.freq.label().to_string(), to_day(b.first), to_day(b.last)))
}

/// A long table (SKU codes; per row the SKU's index, the day, the quantity) as a dataset
/// on the calendar `freq`/`first`/`last` (the whole table's, from `bounds`). `None` for
/// a part without any sale (every SKU of it all zeros), which a distributed forecast
/// skips.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dataset<'py>(
    py: Python<'py>,
    name: &str,
    skus: Vec<String>,
    codes: PyReadonlyArray1<'_, u32>,
    days: PyReadonlyArray1<'_, i64>,
    quantities: PyReadonlyArray1<'_, f64>,
    freq: &str,
    first: i64,
    last: i64,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let freq = frequency(Some(freq))?.unwrap_or_default();
    let (codes, days, qty) = (
        codes.as_slice().map_err(err)?,
        days.as_slice().map_err(err)?,
        quantities.as_slice().map_err(err)?,
    );
    if codes.len() != days.len() || codes.len() != qty.len() {
        return Err(err("codes, days and quantities differ in length"));
    }
    let day = |k: i64, row: usize| {
        from_day(k).ok_or_else(|| err(format!("{name}: row {}: day {k} is not a date", row + 1)))
    };
    let bounds = Bounds {
        freq,
        first: day(first, 0)?,
        last: day(last, 0)?,
    };
    let rows: Vec<LongRow> = (0..codes.len())
        .map(|i| {
            Ok(LongRow {
                sku: codes[i],
                date: day(days[i], i)?,
                quantity: qty[i],
            })
        })
        .collect::<PyResult<_>>()?;
    let name = name.to_string();
    let made = py.detach(move || long::from_long(&name, &skus, &rows, bounds));
    match made {
        Ok(ds) => Ok(Some(PyBytes::new(py, &ds.to_bytes()))),
        Err(data::DataError::NoData { .. }) => Ok(None),
        Err(e) => Err(err(e)),
    }
}

/// Per SKU (code, model, or the reason there is no forecast) and per row (SKU index,
/// day, point, P10, P50, P90).
type ForecastArrays<'py> = (
    Vec<String>,
    Vec<String>,
    Vec<(String, String)>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    [Bound<'py, PyArray1<f64>>; 4],
);

fn forecast_arrays<'py>(
    py: Python<'py>,
    dates: &[NaiveDate],
    skus: &[SkuForecast],
) -> ForecastArrays<'py> {
    let mut codes = Vec::new();
    let mut models = Vec::new();
    let mut failed = Vec::new();
    let (mut idx, mut days) = (Vec::new(), Vec::new());
    let mut cols: [Vec<f64>; 4] = Default::default();
    for s in skus {
        let c = match &s.result {
            Ok(c) => c,
            Err(e) => {
                failed.push((s.sku.clone(), e.clone()));
                continue;
            }
        };
        let k = codes.len() as u32;
        codes.push(s.sku.clone());
        models.push(c.forecast.model.clone());
        let f = &c.forecast;
        for (j, d) in dates.iter().enumerate() {
            idx.push(k);
            days.push(to_day(*d));
            cols[0].push(f.point.get(j).copied().unwrap_or(f64::NAN));
            for q in 0..3 {
                cols[q + 1].push(f.quantiles[q].get(j).copied().unwrap_or(f64::NAN));
            }
        }
    }
    let [a, b, c, d] = cols;
    (
        codes,
        models,
        failed,
        PyArray1::from_vec(py, idx),
        PyArray1::from_vec(py, days),
        [
            PyArray1::from_vec(py, a),
            PyArray1::from_vec(py, b),
            PyArray1::from_vec(py, c),
            PyArray1::from_vec(py, d),
        ],
    )
}

/// The default forecast of a whole dataset on this machine (every core): the automatic
/// choice across every SKU's backtests, statistical models only.
#[pyfunction]
#[pyo3(signature = (ds, h=None, windows=3))]
fn forecast<'py>(
    py: Python<'py>,
    ds: &[u8],
    h: Option<usize>,
    windows: usize,
) -> PyResult<ForecastArrays<'py>> {
    let ds = dataset_from_bytes(ds)?;
    let cfg = config(&ds, h, windows)?;
    let (dates, skus) = py.detach(move || {
        let r = run::forecast_dataset(&ds, cfg, &mut |_, _| true);
        (r.dates, r.skus)
    });
    Ok(forecast_arrays(py, &dates, &skus))
}

/// Stage 1 of a distributed forecast: one part backtested alone (`None`: an empty part).
#[pyfunction]
#[pyo3(signature = (ds, h=None, windows=3, threads=1))]
fn backtest<'py>(
    py: Python<'py>,
    ds: Option<&[u8]>,
    h: Option<usize>,
    windows: usize,
    threads: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let Some(ds) = ds else {
        return Ok(PyBytes::new(py, &PartBacktests::default().to_bytes()));
    };
    let ds = dataset_from_bytes(ds)?;
    let cfg = config(&ds, h, windows)?;
    let part = py.detach(move || run::backtest_alone(&ds, &cfg, threads));
    Ok(PyBytes::new(py, &part.to_bytes()))
}

/// Stage 2, once: the recipes learnt across every part's backtests, in catalogue order.
#[pyfunction]
fn learn<'py>(
    py: Python<'py>,
    parts: Vec<Bound<'py, PyBytes>>,
    h: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let parts: Vec<PartBacktests> = parts
        .iter()
        .enumerate()
        .map(|(k, b)| {
            PartBacktests::from_bytes(b.as_bytes())
                .ok_or_else(|| err(format!("the backtests of part {k} cannot be read")))
        })
        .collect::<PyResult<_>>()?;
    let learning = py.detach(move || run::learn_parts(&parts, h));
    Ok(PyBytes::new(py, &learning.to_bytes()))
}

/// Stage 3: part `index`'s forecasts from its backtests and the learning.
#[pyfunction]
#[pyo3(signature = (ds, part, learning, index, h=None, windows=3, threads=1))]
#[allow(clippy::too_many_arguments)]
fn finish<'py>(
    py: Python<'py>,
    ds: Option<&[u8]>,
    part: &[u8],
    learning: &[u8],
    index: usize,
    h: Option<usize>,
    windows: usize,
    threads: usize,
) -> PyResult<ForecastArrays<'py>> {
    let Some(ds) = ds else {
        return Ok(forecast_arrays(py, &[], &[]));
    };
    let ds = dataset_from_bytes(ds)?;
    let cfg = config(&ds, h, windows)?;
    let part = PartBacktests::from_bytes(part)
        .ok_or_else(|| err(format!("the backtests of part {index} cannot be read")))?;
    let learning =
        Learning::from_bytes(learning).ok_or_else(|| err("the learnt recipes cannot be read"))?;
    let dates = ds.future_periods(cfg.h);
    let skus = py
        .detach(move || run::finish_alone(&ds, &cfg, &part, &learning, index, threads))
        .ok_or_else(|| {
            err(format!(
                "part {index} does not belong to the learnt catalogue (other SKUs or models)"
            ))
        })?;
    Ok(forecast_arrays(py, &dates, &skus))
}

/// The plan's purchase list (CSV) from a forecast table (`sku,date,p10,p50,p90`) and
/// the merchant's parameters (the app's parameters CSV; SKUs it lacks take defaults).
#[pyfunction]
#[pyo3(signature = (forecast_csv, params_csv=None, params_name="parameters", horizon_days=90.0, simulations=1000, budget=None))]
fn plan(
    py: Python<'_>,
    forecast_csv: &[u8],
    params_csv: Option<&[u8]>,
    params_name: &str,
    horizon_days: f64,
    simulations: usize,
    budget: Option<f64>,
) -> PyResult<String> {
    if !horizon_days.is_finite() || !(1.0..=3650.0).contains(&horizon_days) {
        return Err(err(format!(
            "horizon_days = {horizon_days}: expected 1 to 3650 days"
        )));
    }
    if !(1..=100_000).contains(&simulations) {
        return Err(err(format!(
            "simulations = {simulations}: expected 1 to 100000"
        )));
    }
    if let Some(b) = budget
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(err(format!("budget = {b}: expected a non-negative amount")));
    }
    let table = forecast_file::read_forecast_csv("forecasts", forecast_csv).map_err(err)?;
    let defaults: Vec<SkuParams> = table
        .skus
        .iter()
        .map(|s| SkuParams::defaults(&s.sku, 0.0))
        .collect();
    let params = match params_csv {
        Some(b) => params::merge_csv(params_name, b, &defaults).map_err(err)?,
        None => defaults,
    };
    let today = *table
        .dates
        .first()
        .ok_or_else(|| err("forecasts: no forecast dates"))?;
    let mut cfg = PlanConfig::new(today, table.period_days(), table.season());
    cfg.horizon_days = horizon_days;
    cfg.simulations = simulations;
    cfg.budget = budget;
    let (demand, _) = table.demand(&mut HashMap::new());
    let request = PlanRequest {
        config: cfg,
        params,
        demand,
    };
    Ok(py.detach(move || request.run(&mut |_, _| true).purchase_csv()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SupplycastError", m.py().get_type::<SupplycastError>())?;
    m.add_function(wrap_pyfunction!(read_export, m)?)?;
    m.add_function(wrap_pyfunction!(bounds, m)?)?;
    m.add_function(wrap_pyfunction!(dataset, m)?)?;
    m.add_function(wrap_pyfunction!(forecast, m)?)?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(learn, m)?)?;
    m.add_function(wrap_pyfunction!(finish, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    Ok(())
}
