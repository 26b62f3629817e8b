//! Prices: each SKU's price elasticity of demand from the price variation in the
//! merchant's own order lines, and the margin-maximising price it implies.
//!
//! - [`elasticity`]: per SKU a Poisson regression of daily demand on the day's price,
//!   the weekday and a smooth level (season, trend), with wholesale lines and
//!   stock-outs left out, shrunk towards SKUs of a similar price (empirical Bayes) when
//!   its own price variation says little; "not enough price variation" rather than a
//!   made-up number. [`glm`] fits it.
//! - [`optimise`]: the price that maximises the margin for a unit cost within a range
//!   (by default the prices the SKU has actually sold at: a constant elasticity is not
//!   trusted beyond them).
//! - [`synthetic`] and [`generators`]: order lines generated with known elasticities
//!   (five price structures), to measure how well they are recovered.
//!
//! Written here rather than taken from a crate: the regressions are small dense
//! Poisson fits and a one-dimensional search, and no maintained crate for elasticity
//! estimation builds for the browser without pulling in a linear-algebra stack.

pub mod elasticity;
pub mod generators;
pub mod glm;
pub mod optimise;
pub mod synthetic;

pub use elasticity::{Elasticity, Method, elasticities};
pub use optimise::{PriceChoice, recommend};

use thiserror::Error;

/// What can go wrong with prices.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PricingError {
    /// The file has no unit prices, so there is no price variation to learn from.
    #[error("{file}: the file has no unit prices (an order export with a price column is needed)")]
    NoPrices {
        /// The file's name.
        file: String,
    },
    /// A costs file could not be used; every problem is listed.
    #[error("{file}: {} problem(s):\n{}", problems.len(), problems.join("\n"))]
    CostsFile {
        /// The file's name.
        file: String,
        /// One line per problem, naming the line and the column.
        problems: Vec<String>,
    },
}

/// One SKU's unit cost and the price range the merchant allows.
#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    /// The SKU.
    pub sku: String,
    /// What one unit costs the merchant.
    pub unit_cost: f64,
    /// The lowest price allowed (default: the lowest price the SKU sold at).
    pub min_price: Option<f64>,
    /// The highest price allowed (default: the highest price the SKU sold at).
    pub max_price: Option<f64>,
}

/// Reads a costs file: a header with `sku` and `unit_cost` (also `cost`), optional
/// `min_price` and `max_price`. Every bad cell is reported with its line and column.
pub fn parse_costs(file: &str, text: &str) -> Result<Vec<CostLine>, PricingError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let err = |problems: Vec<String>| PricingError::CostsFile {
        file: file.to_string(),
        problems,
    };
    let headers = rdr
        .headers()
        .map_err(|e| err(vec![format!("line 1: {e}")]))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (Some(sku_col), Some(cost_col)) = (col(&["sku"]), col(&["unit_cost", "cost"])) else {
        return Err(err(vec![
            "line 1: the header needs the columns sku and unit_cost".into(),
        ]));
    };
    let (min_col, max_col) = (col(&["min_price"]), col(&["max_price"]));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let sku = rec.get(sku_col).unwrap_or("").to_string();
        if sku.is_empty() {
            problems.push(format!("line {line}, column sku: empty"));
            continue;
        }
        let mut number = |c: Option<usize>, name: &str, required: bool| -> Option<f64> {
            let cell = c.and_then(|c| rec.get(c)).unwrap_or("");
            if cell.is_empty() {
                if required {
                    problems.push(format!("line {line}, column {name}: empty"));
                }
                return None;
            }
            match crate::data::ingest::parse_number(cell, false) {
                Some(v) if v >= 0.0 => Some(v),
                _ => {
                    problems.push(format!(
                        "line {line}, column {name}: '{cell}' is not a non-negative number"
                    ));
                    None
                }
            }
        };
        let cost = number(Some(cost_col), "unit_cost", true);
        let lo = number(min_col, "min_price", false);
        let hi = number(max_col, "max_price", false);
        if let (Some(a), Some(b)) = (lo, hi)
            && a > b
        {
            problems.push(format!("line {line}: min_price {a} is above max_price {b}"));
            continue;
        }
        if let Some(unit_cost) = cost {
            out.push(CostLine {
                sku,
                unit_cost,
                min_price: lo,
                max_price: hi,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(err(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_file_errors_name_line_and_column() {
        let ok = parse_costs("c.csv", "sku,unit_cost,max_price\nA,2.5,9\nB,1,\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].max_price, Some(9.0));
        assert_eq!(ok[1].max_price, None);
        let e = parse_costs("c.csv", "sku,unit_cost\nA,x\n,3\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("line 2, column unit_cost: 'x'"), "{text}");
        assert!(text.contains("line 3, column sku: empty"), "{text}");
        assert!(parse_costs("c.csv", "sku,price\nA,1\n").is_err());
    }
}
