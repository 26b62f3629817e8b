//! Bundles and kits: a bundle's sales become demand for its components before
//! forecasting, so that what is bought from suppliers (the components) is forecast and
//! planned, and the bundle itself is not.
//!
//! The file is `bundle sku, component sku, quantity per bundle`, one row per component
//! (headers also `bundle`, `kit sku`, `parent sku`; `component`, `child sku`; `quantity`,
//! `qty`, `units`). A component may itself be a bundle: it is expanded in turn, and a
//! bundle that contains itself, directly or not, is refused.

use std::collections::{BTreeMap, HashMap};

use super::{DataError, Dataset, make_series};

/// Deepest nesting of bundles in bundles.
const MAX_DEPTH: usize = 10;
/// Most units of one component in one bundle.
const MAX_PER_BUNDLE: f64 = 1e6;

/// What each bundle is made of, expanded to the components that are not bundles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundles {
    /// Per bundle SKU: (component SKU, units per bundle), in file order.
    kits: BTreeMap<String, Vec<(String, f64)>>,
}

/// What [`explode`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BundleReport {
    /// Bundles of the file that sold in the data.
    pub bundles_sold: usize,
    /// Bundles of the file without sales in the data.
    pub bundles_not_sold: Vec<String>,
    /// Bundle units sold, all bundles together.
    pub bundle_units: f64,
    /// Component units those became.
    pub component_units: f64,
    /// Per component: the bundles it is part of.
    pub components: BTreeMap<String, Vec<String>>,
    /// Components that had no sales of their own (now forecast from bundles only).
    pub new_components: Vec<String>,
}

impl BundleReport {
    /// One sentence for the merchant.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "bundles: {} sold, their {} units became {} units of {} components; bundles are not forecast or purchased themselves",
            self.bundles_sold,
            super::fmt_qty(self.bundle_units),
            super::fmt_qty(self.component_units),
            self.components.len()
        );
        if !self.bundles_not_sold.is_empty() {
            s.push_str(&format!(
                "; {} in the file did not sell",
                self.bundles_not_sold.len()
            ));
        }
        if !self.new_components.is_empty() {
            s.push_str(&format!(
                "; {} components sell only in bundles",
                self.new_components.len()
            ));
        }
        s
    }
}

fn key(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Reads a bundle file. Errors name the file, line and column.
pub fn read(file: &str, bytes: &[u8]) -> Result<Bundles, DataError> {
    let err = |line: usize, column: &str, detail: String| DataError::BundleFile {
        file: file.to_string(),
        line,
        column: column.to_string(),
        detail,
    };
    let (text, _) = super::sniff::decode(file, bytes)?;
    let delim = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| {
            text.lines()
                .next()
                .unwrap_or("")
                .bytes()
                .filter(|b| b == d)
                .count()
        })
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, "", e.to_string()))?
        .iter()
        .map(key)
        .collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let need = |names: &[&str], label: &str| {
        find(names).ok_or_else(|| {
            err(
                1,
                label,
                format!(
                    "no {label} column (expected bundle sku, component sku, quantity per bundle)"
                ),
            )
        })
    };
    let c_bundle = need(
        &[
            "bundlesku",
            "bundle",
            "kitsku",
            "kit",
            "parentsku",
            "parent",
        ],
        "bundle sku",
    )?;
    let c_comp = need(
        &["componentsku", "component", "childsku", "child", "sku"],
        "component sku",
    )?;
    let c_qty = need(
        &[
            "quantityperbundle",
            "quantity",
            "qty",
            "units",
            "unitsperbundle",
            "perbundle",
        ],
        "quantity per bundle",
    )?;
    let mut direct: BTreeMap<String, Vec<(String, f64, usize)>> = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, "", e.to_string()))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let (b, c, q) = (get(c_bundle), get(c_comp), get(c_qty));
        if b.is_empty() {
            return Err(err(line, "bundle sku", "empty".into()));
        }
        if c.is_empty() {
            return Err(err(line, "component sku", "empty".into()));
        }
        if b == c {
            return Err(err(
                line,
                "component sku",
                format!("\"{c}\" is the bundle itself"),
            ));
        }
        let qty: f64 = q
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= MAX_PER_BUNDLE)
            .ok_or_else(|| {
                err(
                    line,
                    "quantity per bundle",
                    format!("\"{q}\" is not a number of units above 0 and at most 1,000,000"),
                )
            })?;
        direct
            .entry(b.to_string())
            .or_default()
            .push((c.to_string(), qty, line));
    }
    // Expand bundles of bundles, refusing cycles.
    fn expand(
        b: &str,
        direct: &BTreeMap<String, Vec<(String, f64, usize)>>,
        path: &mut Vec<String>,
        out: &mut Vec<(String, f64)>,
        factor: f64,
    ) -> Result<(), (usize, String)> {
        for (c, q, line) in &direct[b] {
            if path.iter().any(|p| p == c) {
                return Err((
                    *line,
                    format!(
                        "\"{c}\" contains \"{b}\": a bundle cannot contain itself ({} → {c})",
                        path.join(" → ")
                    ),
                ));
            }
            if direct.contains_key(c) {
                if path.len() >= MAX_DEPTH {
                    return Err((*line, format!("bundles nested more than {MAX_DEPTH} deep")));
                }
                path.push(c.clone());
                expand(c, direct, path, out, factor * q)?;
                path.pop();
            } else {
                match out.iter_mut().find(|(x, _)| x == c) {
                    Some(e) => e.1 += factor * q,
                    None => out.push((c.clone(), factor * q)),
                }
            }
        }
        Ok(())
    }
    let mut kits = BTreeMap::new();
    for b in direct.keys() {
        let mut out = Vec::new();
        expand(b, &direct, &mut vec![b.clone()], &mut out, 1.0)
            .map_err(|(line, detail)| err(line, "component sku", detail))?;
        kits.insert(b.clone(), out);
    }
    Ok(Bundles { kits })
}

impl Bundles {
    /// Bundles in the file.
    pub fn len(&self) -> usize {
        self.kits.len()
    }

    /// Whether the file had no bundle.
    pub fn is_empty(&self) -> bool {
        self.kits.is_empty()
    }
}

/// `ds` with every bundle's sales added to its components' (units × quantity per
/// bundle, period by period; the bundle's revenue shared by the components' average
/// prices) and the bundles themselves left out.
pub fn explode(ds: &Dataset, bundles: &Bundles) -> (Dataset, BundleReport) {
    let n = ds.periods.len();
    let mut report = BundleReport::default();
    let index: HashMap<&str, usize> = ds
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.sku.as_str(), i))
        .collect();
    let full = |i: usize| {
        let s = &ds.series[i];
        let mut t = vec![0.0; n];
        t[s.start..s.start + s.values.len()].copy_from_slice(&s.values);
        t
    };
    // Components' totals, descriptions and revenue, starting from their own sales.
    let mut totals: BTreeMap<String, (Vec<f64>, String, f64)> = BTreeMap::new();
    let mut is_bundle = vec![false; ds.series.len()];
    for (b, parts) in &bundles.kits {
        let Some(&bi) = index.get(b.as_str()) else {
            report.bundles_not_sold.push(b.clone());
            continue;
        };
        is_bundle[bi] = true;
        report.bundles_sold += 1;
        let bs = &ds.series[bi];
        report.bundle_units += bs.units;
        let price_of = |c: &str| {
            index
                .get(c)
                .map(|&i| &ds.series[i])
                .filter(|s| s.units > 0.0 && s.revenue > 0.0)
                .map_or(1.0, |s| s.revenue / s.units)
        };
        let weight: f64 = parts.iter().map(|(c, q)| q * price_of(c)).sum();
        for (c, q) in parts {
            let entry = totals
                .entry(c.clone())
                .or_insert_with(|| match index.get(c.as_str()) {
                    Some(&ci) => (
                        full(ci),
                        ds.series[ci].description.clone(),
                        ds.series[ci].revenue,
                    ),
                    None => {
                        report.new_components.push(c.clone());
                        (vec![0.0; n], String::new(), 0.0)
                    }
                });
            for (t, v) in bs.values.iter().enumerate() {
                entry.0[bs.start + t] += q * v;
            }
            entry.2 += bs.revenue * q * price_of(c) / weight.max(f64::MIN_POSITIVE);
            report.component_units += q * bs.units;
            report
                .components
                .entry(c.clone())
                .or_default()
                .push(b.clone());
        }
    }
    let mut series: Vec<_> = ds
        .series
        .iter()
        .enumerate()
        .filter(|(i, s)| !is_bundle[*i] && !totals.contains_key(&s.sku))
        .map(|(_, s)| s.clone())
        .collect();
    for (c, (t, desc, revenue)) in &totals {
        if let Some(s) = make_series(c, desc, t, *revenue, &ds.periods) {
            series.push(s);
        }
    }
    series.sort_by(|a, b| b.units.total_cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
    (
        Dataset {
            series,
            ..ds.clone()
        },
        report,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{LoadOptions, load};

    fn dataset() -> Dataset {
        let mut csv = String::from("date,sku,quantity\n");
        for d in 1..=20 {
            csv.push_str(&format!("2024-01-{d:02},MUG,2\n"));
            if d % 2 == 0 {
                csv.push_str(&format!("2024-01-{d:02},GIFTSET,1\n"));
            }
        }
        csv.push_str("2024-01-05,OTHER,4\n");
        load(
            "s.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap()
    }

    #[test]
    fn a_bundles_sales_become_its_components_demand() {
        let ds = dataset();
        let file = "bundle sku,component sku,quantity per bundle\nGIFTSET,MUG,2\nGIFTSET,SPOON,3\nGHOST,MUG,1\n";
        let b = read("bundles.csv", file.as_bytes()).unwrap();
        let (out, rep) = explode(&ds, &b);
        assert!(out.get("GIFTSET").is_none(), "the bundle is not forecast");
        let mug = out.get("MUG").unwrap();
        // 2 a day of its own, plus 2 per gift set on even days.
        assert_eq!(mug.units, 40.0 + 2.0 * 10.0);
        let spoon = out.get("SPOON").unwrap();
        assert_eq!(spoon.units, 30.0);
        assert_eq!(spoon.values[0], 3.0, "SPOON starts with the first gift set");
        assert_eq!(rep.bundles_sold, 1);
        assert_eq!(rep.bundles_not_sold, ["GHOST"]);
        assert_eq!(rep.bundle_units, 10.0);
        assert_eq!(rep.component_units, 50.0);
        assert_eq!(rep.new_components, ["SPOON"]);
        assert_eq!(rep.components["MUG"], ["GIFTSET"]);
        assert!(out.get("OTHER").is_some());
        assert_eq!(out.periods, ds.periods);
        // Best-selling first, as every dataset.
        assert!(out.series.windows(2).all(|w| w[0].units >= w[1].units));
    }

    #[test]
    fn bundles_of_bundles_expand_and_cycles_are_refused() {
        let file = "kit,component,qty\nBIG,SMALL,2\nSMALL,MUG,3\nBIG,BOX,1\n";
        let b = read("k.csv", file.as_bytes()).unwrap();
        assert_eq!(
            b.kits["BIG"],
            [("MUG".to_string(), 6.0), ("BOX".to_string(), 1.0)]
        );
        let cycle = "kit,component,qty\nA,B,1\nB,C,1\nC,A,2\n";
        let e = read("k.csv", cycle.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("cannot contain itself"), "{e}");
        assert!(e.contains("line "), "{e}");
    }

    #[test]
    fn bad_lines_name_line_and_column() {
        let e = read("k.csv", b"bundle sku,component sku,quantity\nA,B,zero\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("k.csv: line 2, column quantity per bundle"),
            "{e}"
        );
        let e = read("k.csv", b"bundle sku,component sku,quantity\nA,A,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("the bundle itself"),
            "{e}"
        );
        let e = read("k.csv", b"sku,qty\nA,1\n").unwrap_err().to_string();
        assert!(e.contains("no bundle sku column"), "{e}");
        let e = read("k.csv", b"bundle,component,qty\nA,B,1e300\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1,000,000"), "{e}");
    }
}
