//! Region shares of demand from an order export that carries a region column
//! (country, region, ship-to…): what fraction of each SKU's units went to each region,
//! to split a forecast by region for the allocation.

use std::collections::BTreeMap;

use super::{LogisticsError, Table};

const SKU: [&str; 6] = [
    "sku",
    "stockcode",
    "stock code",
    "lineitem sku",
    "variant sku",
    "product",
];
const QUANTITY: [&str; 5] = [
    "quantity",
    "qty",
    "lineitem quantity",
    "units",
    "quantity ordered",
];
const REGION: [&str; 7] = [
    "region",
    "country",
    "ship_to",
    "ship to",
    "shipping country",
    "ship country",
    "shipping province",
];

/// Region shares from an order export: per SKU (units net of cancellations, never below
/// zero per region) and, in rows without a SKU, over all SKUs (for SKUs the export does
/// not have). `region_column` overrides the detected region column. Rows are
/// `(region, sku or "", share)` with shares adding up to 1 per SKU.
pub fn shares_from_orders(
    file: &str,
    text: &str,
    region_column: Option<&str>,
) -> Result<Vec<(String, String, f64)>, LogisticsError> {
    let mut t = Table::parse(file, text, &[])?;
    let pick = |names: &[&str], t: &Table| names.iter().find(|n| t.has(n)).map(|s| s.to_string());
    let fail = |what: String| LogisticsError::Input {
        file: file.into(),
        problems: vec![format!("line 1: {what}")],
    };
    let sku = pick(&SKU, &t)
        .ok_or_else(|| fail(format!("no SKU column (one of: {})", SKU.join(", "))))?;
    let qty = pick(&QUANTITY, &t).ok_or_else(|| {
        fail(format!(
            "no quantity column (one of: {})",
            QUANTITY.join(", ")
        ))
    })?;
    let region = match region_column {
        Some(c) => {
            let c = c.trim().to_ascii_lowercase();
            if !t.has(&c) {
                return Err(fail(format!("no \"{c}\" column")));
            }
            c
        }
        None => pick(&REGION, &t).ok_or_else(|| {
            fail(format!(
                "no region column (one of: {}; or name it)",
                REGION.join(", ")
            ))
        })?,
    };
    let mut units: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in 0..t.len() {
        let k = t.text(row, &sku).to_string();
        let r = t.text(row, &region).to_string();
        if k.is_empty() || r.is_empty() {
            continue;
        }
        if let Some(q) = t.number(row, &qty) {
            *units.entry((k, r)).or_default() += q;
        }
    }
    t.finish()?;
    let mut per_sku: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut overall: BTreeMap<String, f64> = BTreeMap::new();
    for ((k, r), u) in units {
        if u > 0.0 {
            *overall.entry(r.clone()).or_default() += u;
            per_sku.entry(k).or_default().push((r, u));
        }
    }
    let total: f64 = overall.values().sum();
    if total <= 0.0 {
        return Err(fail("no units with a region".into()));
    }
    let mut out: Vec<(String, String, f64)> = overall
        .into_iter()
        .map(|(r, u)| (r, String::new(), u / total))
        .collect();
    for (k, list) in per_sku {
        let sum: f64 = list.iter().map(|x| x.1).sum();
        out.extend(list.into_iter().map(|(r, u)| (r, k.clone(), u / sum)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_per_sku_and_overall_net_of_cancellations() {
        let text = "Invoice,StockCode,Quantity,Country\n1,A,10,United Kingdom\n2,A,5,France\nC3,A,-5,France\n4,B,3,France\n5,B,1,United Kingdom\n";
        let s = shares_from_orders("orders.csv", text, None).unwrap();
        let get = |r: &str, k: &str| s.iter().find(|x| x.0 == r && x.1 == k).map(|x| x.2);
        assert_eq!(get("United Kingdom", "A"), Some(1.0));
        assert_eq!(get("France", "A"), None, "cancelled out");
        assert_eq!(get("France", "B"), Some(0.75));
        assert_eq!(get("France", ""), Some(3.0 / 14.0));
        let e = shares_from_orders("orders.csv", "sku,quantity\nA,1\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no region column"), "{e}");
    }
}
