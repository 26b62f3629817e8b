//! Reading a forecast export (`sku,date,p10,p50,p90[,model]`, as the app and
//! `supplycast forecast` write it) for planning from the command line.
//!
//! Such a file has quantiles, not sample paths, so paths are drawn from them
//! ([`crate::forecast::quantile_paths`], independently per period) unless the
//! forecast's own paths come with it ([`read_paths_csv`]: `sku,path,date,quantity`, as
//! `supplycast forecast --paths-out` writes them); the app plans from the forecasts'
//! own paths.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::InventoryError;
pub use crate::forecast::quantile_paths::paths_from_quantiles;

/// One SKU's quantile forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileForecast {
    /// The SKU.
    pub sku: String,
    /// P10, P50, P90 per period.
    pub quantiles: [Vec<f64>; 3],
}

/// A whole forecast file.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastTable {
    /// The forecast dates (shared by every SKU).
    pub dates: Vec<NaiveDate>,
    /// Per SKU, in file order.
    pub skus: Vec<QuantileForecast>,
}

impl ForecastTable {
    /// Average calendar days per period.
    pub fn period_days(&self) -> f64 {
        match (self.dates.first(), self.dates.last()) {
            (Some(a), Some(b)) if self.dates.len() > 1 => {
                (*b - *a).num_days() as f64 / (self.dates.len() - 1) as f64
            }
            _ => 1.0,
        }
    }

    /// Every SKU's demand for the planner: its own sample paths from `given` where it
    /// has them (taken out of it), else 200 independent draws from each period's
    /// P10/P50/P90. Also returns how many SKUs were drawn.
    pub fn demand(
        &self,
        given: &mut HashMap<String, Vec<Vec<f64>>>,
    ) -> (Vec<super::plan::OwnedDemand>, usize) {
        let mut drawn = 0;
        let demand = self
            .skus
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let paths = given.remove(&s.sku).unwrap_or_else(|| {
                    drawn += 1;
                    paths_from_quantiles(&s.quantiles, 200, 7 + i as u64)
                });
                super::plan::OwnedDemand {
                    sku: s.sku.clone(),
                    description: String::new(),
                    paths,
                    point: s.quantiles[1].clone(),
                }
            })
            .collect();
        (demand, drawn)
    }

    /// Periods per week for daily data (trading weekdays), else 1.
    pub fn season(&self) -> usize {
        if self.period_days() < 2.0 && self.dates.len() >= 7 {
            let mut days: Vec<_> = self.dates.iter().map(chrono::Datelike::weekday).collect();
            days.sort_by_key(|d| d.num_days_from_monday());
            days.dedup();
            days.len()
        } else {
            1
        }
    }
}

/// The header row, trimmed, without a byte-order mark, lower case.
fn header_row(rdr: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, String> {
    Ok(rdr
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect())
}

/// The index of column `name`, or an error naming what was `expected`.
fn column(headers: &[String], name: &str, expected: &str) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("line 1: no \"{name}\" column (expected {expected})"))
}

/// Reads a forecast CSV. Every SKU must have the same dates; errors name the line and
/// column.
pub fn read_forecast_csv(file: &str, bytes: &[u8]) -> Result<ForecastTable, InventoryError> {
    let err = |detail: String| InventoryError::ForecastFile {
        file: file.to_string(),
        detail,
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = header_row(&mut rdr).map_err(err)?;
    let col = |name: &str| column(&headers, name, "sku,date,p10,p50,p90").map_err(err);
    let (c_sku, c_date) = (col("sku")?, col("date")?);
    let cq = [col("p10")?, col("p50")?, col("p90")?];
    let mut order: Vec<String> = Vec::new();
    let mut rows: HashMap<String, Vec<(NaiveDate, [f64; 3])>> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let sku = get(c_sku);
        if sku.is_empty() {
            return Err(err(format!("line {line}, column sku: empty")));
        }
        let date = NaiveDate::parse_from_str(get(c_date), "%Y-%m-%d").map_err(|_| {
            err(format!(
                "line {line}, column date: \"{}\" is not a date (YYYY-MM-DD)",
                get(c_date)
            ))
        })?;
        let mut q = [0.0; 3];
        for (k, c) in cq.iter().enumerate() {
            let v: f64 = get(*c)
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    err(format!(
                        "line {line}, column {}: \"{}\" is not a non-negative number",
                        headers[*c],
                        get(*c)
                    ))
                })?;
            q[k] = v;
        }
        if !(q[0] <= q[1] + 1e-9 && q[1] <= q[2] + 1e-9) {
            return Err(err(format!("line {line}: p10 ≤ p50 ≤ p90 does not hold")));
        }
        let entry = rows.entry(sku.to_string()).or_insert_with(|| {
            order.push(sku.to_string());
            Vec::new()
        });
        entry.push((date, q));
    }
    let Some(first) = order.first().cloned() else {
        return Err(err("no forecast rows".into()));
    };
    let mut dates: Vec<NaiveDate> = rows[&first].iter().map(|r| r.0).collect();
    dates.sort();
    let mut skus = Vec::with_capacity(order.len());
    for sku in order {
        let mut r = rows.remove(&sku).unwrap_or_default();
        r.sort_by_key(|x| x.0);
        if r.iter().map(|x| x.0).ne(dates.iter().copied()) {
            return Err(err(format!(
                "SKU \"{sku}\" has different dates from \"{first}\"; every SKU needs the same forecast dates"
            )));
        }
        let pick = |k: usize| r.iter().map(|x| x.1[k]).collect::<Vec<f64>>();
        skus.push(QuantileForecast {
            sku,
            quantiles: [pick(0), pick(1), pick(2)],
        });
    }
    Ok(ForecastTable { dates, skus })
}

/// Reads a sample-path file (`sku,path,date,quantity`) for the SKUs and dates of
/// `table`: per SKU, its paths in path-number order, each over `table.dates`. Every
/// path must have every date; SKUs the table lacks are an error (a file from another
/// forecast), SKUs the file lacks are simply absent. Errors name the line and column.
pub fn read_paths_csv(
    file: &str,
    bytes: &[u8],
    table: &ForecastTable,
) -> Result<HashMap<String, Vec<Vec<f64>>>, InventoryError> {
    let err = |detail: String| InventoryError::ForecastFile {
        file: file.to_string(),
        detail,
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = header_row(&mut rdr).map_err(err)?;
    let col = |name: &str| column(&headers, name, "sku,path,date,quantity").map_err(err);
    let (c_sku, c_path, c_date, c_qty) =
        (col("sku")?, col("path")?, col("date")?, col("quantity")?);
    let date_index: HashMap<NaiveDate, usize> = table
        .dates
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i))
        .collect();
    let known: std::collections::HashSet<&str> =
        table.skus.iter().map(|s| s.sku.as_str()).collect();
    // Per SKU: path number -> (values, periods seen).
    let mut paths: HashMap<String, std::collections::BTreeMap<u32, (Vec<f64>, usize)>> =
        HashMap::new();
    let h = table.dates.len();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let sku = get(c_sku);
        if !known.contains(sku) {
            return Err(err(format!(
                "line {line}, column sku: \"{sku}\" is not in the forecast file"
            )));
        }
        let path: u32 = get(c_path).parse().map_err(|_| {
            err(format!(
                "line {line}, column path: \"{}\" is not a path number",
                get(c_path)
            ))
        })?;
        let date = NaiveDate::parse_from_str(get(c_date), "%Y-%m-%d")
            .ok()
            .and_then(|d| date_index.get(&d).copied())
            .ok_or_else(|| {
                err(format!(
                    "line {line}, column date: \"{}\" is not one of the forecast's dates",
                    get(c_date)
                ))
            })?;
        let q: f64 = get(c_qty)
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                err(format!(
                    "line {line}, column quantity: \"{}\" is not a non-negative number",
                    get(c_qty)
                ))
            })?;
        let entry = paths
            .entry(sku.to_string())
            .or_default()
            .entry(path)
            .or_insert_with(|| (vec![f64::NAN; h], 0));
        if entry.0[date].is_nan() {
            entry.1 += 1;
        }
        entry.0[date] = q;
    }
    let mut out = HashMap::with_capacity(paths.len());
    for (sku, by_path) in paths {
        let mut v = Vec::with_capacity(by_path.len());
        for (k, (values, seen)) in by_path {
            if seen != h {
                return Err(err(format!(
                    "SKU \"{sku}\", path {k}: {seen} of the forecast's {h} dates"
                )));
            }
            v.push(values);
        }
        out.insert(sku, v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forecast_export_and_draws_paths() {
        let text = "sku,date,p10,p50,p90,model\nA,2026-11-23,1,2,4,AutoETS\nA,2026-11-24,1,2,4,AutoETS\n\"B,1\",2026-11-23,0,0,1,TSB\n\"B,1\",2026-11-24,0,0.5,1,TSB\n";
        let t = read_forecast_csv("f.csv", text.as_bytes()).unwrap();
        assert_eq!(t.dates.len(), 2);
        assert_eq!(t.skus[1].sku, "B,1");
        assert_eq!(t.period_days(), 1.0);
        let p = paths_from_quantiles(&t.skus[0].quantiles, 4000, 1);
        let mut col: Vec<f64> = p.iter().map(|x| x[0]).collect();
        col.sort_by(f64::total_cmp);
        assert!((col[2000] - 2.0).abs() < 0.1);
        assert!((col[400] - 1.0).abs() < 0.1);
        assert!((col[3600] - 4.0).abs() < 0.15);
        let bad = "sku,date,p10,p50,p90\nA,2026-11-23,1,x,4\n";
        let e = read_forecast_csv("f.csv", bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.csv: line 2, column p50"), "{e}");
        let e = read_forecast_csv("f.csv", b"sku,day\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no \"date\" column"), "{e}");
    }

    #[test]
    fn reads_a_path_file_and_names_bad_cells() {
        let fc = "sku,date,p10,p50,p90\nA,2026-11-23,1,2,4\nA,2026-11-24,1,2,4\n";
        let t = read_forecast_csv("f.csv", fc.as_bytes()).unwrap();
        let ok = "sku,path,date,quantity\nA,2,2026-11-24,5\nA,1,2026-11-23,1\nA,1,2026-11-24,0\nA,2,2026-11-23,3.5\n";
        let p = read_paths_csv("p.csv", ok.as_bytes(), &t).unwrap();
        assert_eq!(p["A"], vec![vec![1.0, 0.0], vec![3.5, 5.0]]);
        let cases = [
            (
                "sku,path,date,quantity\nB,1,2026-11-23,1\n",
                "line 2, column sku",
            ),
            (
                "sku,path,date,quantity\nA,x,2026-11-23,1\n",
                "line 2, column path",
            ),
            (
                "sku,path,date,quantity\nA,1,2026-12-23,1\n",
                "line 2, column date",
            ),
            (
                "sku,path,date,quantity\nA,1,2026-11-23,-1\n",
                "line 2, column quantity",
            ),
            (
                "sku,path,date,quantity\nA,1,2026-11-23,1\n",
                "path 1: 1 of the forecast's 2 dates",
            ),
            ("sku,date,quantity\n", "no \"path\" column"),
        ];
        for (text, want) in cases {
            let e = read_paths_csv("p.csv", text.as_bytes(), &t)
                .unwrap_err()
                .to_string();
            assert!(e.contains("p.csv") && e.contains(want), "{want}: {e}");
        }
    }
}
