//! Sharing with a supplier: the purchase order and the next weeks' demand forecast of
//! that supplier's SKUs, and nothing else — no customers, no order lines, no other
//! supplier's products, no prices the merchant sells at.
//!
//! Weekly P10/P50/P90 are quantiles of each sample path summed over the week (so a
//! week's spread is that of real weekly demand, not seven daily spreads added). Weeks
//! beyond the forecast's horizon repeat its last season, as the planner's simulation
//! does, and are marked `extended`.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::plan::{Plan, PlanRequest, period_dates};
use super::sim::demand_at;

/// One line of the purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The SKU.
    pub sku: String,
    /// Its description.
    pub description: String,
    /// Units ordered.
    pub quantity: f64,
    /// The agreed unit cost (from the parameters).
    pub unit_cost: f64,
    /// When it is expected.
    pub arrival: NaiveDate,
}

/// One SKU-week of the forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekLine {
    /// The SKU.
    pub sku: String,
    /// The week's first day.
    pub week: NaiveDate,
    /// P10, P50, P90 of the week's units.
    pub quantiles: [f64; 3],
    /// Beyond the forecast's horizon (its last season repeated).
    pub extended: bool,
}

/// What a supplier is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplierShare {
    /// The supplier.
    pub supplier: String,
    /// The plan's date.
    pub made_on: NaiveDate,
    /// Today's orders of the supplier's SKUs (within the budget).
    pub order: Vec<OrderLine>,
    /// The weekly forecast of every SKU of the supplier (monthly or quarterly for
    /// monthly or quarterly data, over as many periods as cover the weeks asked).
    pub forecast: Vec<WeekLine>,
    /// What one line of the forecast covers: "week", "month" or "quarter".
    pub period: String,
}

/// The suppliers named in the parameters, sorted.
pub fn suppliers(req: &PlanRequest) -> Vec<String> {
    let mut v: Vec<String> = req
        .params
        .iter()
        .map(|p| p.supplier.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort_by_key(|s| s.to_lowercase());
    v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    v
}

/// The share for `supplier` (matched without regard to case): `weeks` weeks of
/// forecast from the plan's date.
pub fn share(
    req: &PlanRequest,
    plan: &Plan,
    supplier: &str,
    weeks: usize,
) -> Result<SupplierShare, InventoryError> {
    let skus: Vec<&super::params::SkuParams> = req
        .params
        .iter()
        .filter(|p| p.supplier.trim().eq_ignore_ascii_case(supplier.trim()))
        .collect();
    if skus.is_empty() {
        return Err(InventoryError::UnknownSupplier {
            supplier: supplier.to_string(),
            known: suppliers(req),
        });
    }
    let cfg = &req.config;
    let mut order = Vec::new();
    for p in &skus {
        if let Some(s) = plan
            .skus
            .iter()
            .find(|s| s.sku == p.sku && s.order_qty > 0.0 && s.in_budget)
        {
            order.push(OrderLine {
                sku: s.sku.clone(),
                description: s.description.clone(),
                quantity: s.order_qty,
                unit_cost: p.unit_cost,
                arrival: s.arrival,
            });
        }
    }
    let mut forecast = Vec::new();
    // Weeks of daily data sum their trading days; monthly or quarterly data keep their
    // own periods (a week of a month is not known), as many as cover the weeks asked.
    let coarse = cfg.period_days > 7.5;
    let (per_week, buckets, period) = if coarse {
        let n = ((weeks as f64 * 7.0) / cfg.period_days).ceil().max(1.0) as usize;
        let name = if cfg.period_days > 60.0 {
            "quarter"
        } else {
            "month"
        };
        (1, n, name)
    } else {
        let per = (7.0 / cfg.period_days.max(1e-9)).round().max(1.0) as usize;
        (per, weeks, "week")
    };
    let weeks = buckets;
    for p in &skus {
        let Some(d) = req.demand.iter().find(|d| d.sku == p.sku) else {
            continue;
        };
        let horizon = d.paths.first().map_or(d.point.len(), Vec::len);
        let dates = period_dates(cfg, weeks * per_week);
        for w in 0..weeks {
            let (from, to) = (w * per_week, (w + 1) * per_week);
            let mut sums: Vec<f64> = if d.paths.is_empty() {
                vec![(from..to).map(|t| demand_at(&d.point, t, cfg.season)).sum()]
            } else {
                d.paths
                    .iter()
                    .map(|path| (from..to).map(|t| demand_at(path, t, cfg.season)).sum())
                    .collect()
            };
            sums.sort_by(f64::total_cmp);
            let q = |x: f64| crate::forecast::backtest::quantile(&sums, x);
            forecast.push(WeekLine {
                sku: p.sku.clone(),
                week: dates
                    .get(from)
                    .copied()
                    .unwrap_or(cfg.today + Duration::days(7 * w as i64)),
                quantiles: [q(0.1), q(0.5), q(0.9)],
                extended: to > horizon,
            });
        }
    }
    Ok(SupplierShare {
        supplier: skus[0].supplier.trim().to_string(),
        made_on: cfg.today,
        order,
        forecast,
        period: period.to_string(),
    })
}

impl SupplierShare {
    /// One table: `section,sku,description,date,quantity,p10,p50,p90,unit_cost,note`,
    /// the order lines (`order`, date = expected arrival) then the forecast weeks
    /// (`forecast`, date = the week's first day).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "section",
            "sku",
            "description",
            "date",
            "quantity",
            "p10",
            "p50",
            "p90",
            "unit_cost",
            "note",
        ]);
        let q = |v: f64| format!("{v:.1}");
        for o in &self.order {
            let _ = w.write_record([
                "order".to_string(),
                o.sku.clone(),
                o.description.clone(),
                o.arrival.to_string(),
                crate::data::fmt_qty(o.quantity),
                String::new(),
                String::new(),
                String::new(),
                format!("{:.2}", o.unit_cost),
                "expected arrival".into(),
            ]);
        }
        for f in &self.forecast {
            let _ = w.write_record([
                "forecast".to_string(),
                f.sku.clone(),
                String::new(),
                f.week.to_string(),
                String::new(),
                q(f.quantiles[0]),
                q(f.quantiles[1]),
                q(f.quantiles[2]),
                String::new(),
                if f.extended {
                    "extended: beyond the forecast horizon, its last weeks repeated".into()
                } else {
                    String::new()
                },
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// A printable page (self-contained HTML, no scripts, no requests).
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut h = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Purchase order and forecast for {s}</title>\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #999;padding:.25em .6em}}td.n{{text-align:right}}@media print{{body{{margin:0}}}}</style></head><body>\
<h1>Purchase order and demand forecast for {s}</h1><p>Made on {d}. Quantities in units; the forecast gives a range per {p}: 8 {p}s in 10 should fall between P10 and P90.</p>",
            s = esc(&self.supplier),
            d = self.made_on,
            p = self.period
        );
        h.push_str("<h2>Purchase order</h2>");
        if self.order.is_empty() {
            h.push_str("<p>No order today.</p>");
        } else {
            h.push_str("<table><thead><tr><th>SKU</th><th>Description</th><th>Quantity</th><th>Unit cost</th><th>Expected arrival</th></tr></thead><tbody>");
            for o in &self.order {
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td>{}</td></tr>",
                    esc(&o.sku),
                    esc(&o.description),
                    crate::format::units(o.quantity),
                    o.unit_cost,
                    o.arrival
                ));
            }
            h.push_str("</tbody></table>");
        }
        h.push_str(&format!("<h2>Demand forecast per {p}</h2><table><thead><tr><th>SKU</th><th>{p} of</th><th>P10</th><th>P50</th><th>P90</th><th></th></tr></thead><tbody>", p = self.period));
        for f in &self.forecast {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&f.sku),
                f.week,
                crate::format::units(f.quantiles[0].round()),
                crate::format::units(f.quantiles[1].round()),
                crate::format::units(f.quantiles[2].round()),
                if f.extended { "extended" } else { "" }
            ));
        }
        h.push_str("</tbody></table><p>Weeks marked extended lie beyond the forecast horizon and repeat its last weeks.</p></body></html>");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::params::SkuParams;
    use crate::inventory::plan::{OwnedDemand, PlanConfig};

    #[test]
    fn a_share_holds_only_its_suppliers_skus_and_weekly_sums_of_paths() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let mut params = Vec::new();
        let mut demand = Vec::new();
        for (k, sup) in ["Acme", "acme", "Other"].iter().enumerate() {
            let mut p = SkuParams::defaults(&format!("S{k}"), 10.0);
            p.supplier = sup.to_string();
            params.push(p);
            demand.push(OwnedDemand {
                sku: format!("S{k}"),
                description: "secret".into(),
                point: vec![2.0; 14],
                // Path i sells i units every day.
                paths: (0..11).map(|i| vec![i as f64; 14]).collect(),
            });
        }
        let req = PlanRequest {
            config: PlanConfig::new(today, 1.0, 7),
            params,
            demand,
        };
        let plan = req.run(&mut |_, _| true);
        let s = share(&req, &plan, "ACME", 3).unwrap();
        assert_eq!(s.supplier, "Acme");
        assert!(s.forecast.iter().all(|f| f.sku != "S2"));
        assert_eq!(s.forecast.len(), 2 * 3);
        // Weekly sums of paths 0..=10 units a day: 0, 7, ..., 70; P50 = 35.
        assert!((s.forecast[0].quantiles[1] - 35.0).abs() < 1e-9);
        assert!(!s.forecast[1].extended && s.forecast[2].extended);
        assert_eq!(s.forecast[1].week, today + Duration::days(7));
        let csv = s.to_csv();
        assert!(!csv.contains("S2") && csv.starts_with("section,sku"));
        assert!(
            s.to_html()
                .contains("Purchase order and demand forecast for Acme")
        );
        assert_eq!(
            suppliers(&req),
            vec!["Acme".to_string(), "Other".to_string()]
        );
        assert_eq!(s.period, "week");
        // Monthly data: months, as many as cover 12 weeks.
        let mut monthly = req.clone();
        monthly.config.period_days = 30.4;
        let m = share(&monthly, &monthly.run(&mut |_, _| true), "Acme", 12).unwrap();
        assert_eq!((m.period.as_str(), m.forecast.len()), ("month", 2 * 3));
        let e = share(&req, &plan, "Nobody", 3).unwrap_err().to_string();
        assert!(e.contains("Nobody") && e.contains("Acme"), "{e}");
    }
}
