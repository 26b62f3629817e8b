//! Anomalies in demand: what looks wrong in a shop's history, why, and what it would
//! do to the forecast if left in.
//!
//! Detectors, each with a stated rule ([`detect`] for the series, [`orders`] for the
//! order lines of an order export):
//! - **spike / dip** — a period far from a robust seasonal decomposition of the
//!   series (robust STL of `ln(1 + demand)`, residual over the residuals' MAD), or for
//!   mostly-zero series a sale far larger than the SKU's usual sale;
//! - **level shift** — the median level of the weeks after a point differs from the
//!   weeks before by a ratio, and each side is flat (a step, not a seasonal ramp);
//! - **stock-out** — a run of zero periods that is improbable for the SKU's own rate
//!   of zero periods around it (demand was censored, not absent);
//! - **missing** — periods in which the whole shop sold far less than usual (orders
//!   missing from the export), and long runs of open days without any line;
//! - **order** — an order line whose quantity is extreme for its SKU and its customer
//!   (a mistaken bulk order), noting when it was cancelled later.
//!
//! The merchant keeps or excludes each; [`impute`] replaces excluded periods by a
//! seasonal local mean of the SKU's own unflagged periods (not zero), and an excluded
//! level shift drops the history before it. Detection quality is measured by
//! [`inject`]: anomalies of every kind injected into real series with their labels.

pub mod detect;
pub mod inject;
pub mod orders;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::{Dataset, csv_field};

pub use detect::{Settings, detect, from_reconstruction};

/// What kind of anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// A period far above the SKU's expected demand.
    Spike,
    /// A period at most a tenth of the expected demand (not a run of zeros; a single
    /// zero only for a SKU that almost never has a zero period).
    Dip,
    /// The SKU's level stepped up or down and stayed there.
    LevelShift,
    /// A run of zeros too long for the SKU: demand censored by a stock-out.
    Stockout,
    /// The whole shop's data looks incomplete in these periods.
    Missing,
    /// An order line extreme for its SKU and customer.
    Order,
}

impl Kind {
    /// Every kind, in the order they are listed.
    pub const ALL: [Kind; 6] = [
        Kind::Spike,
        Kind::Dip,
        Kind::LevelShift,
        Kind::Stockout,
        Kind::Missing,
        Kind::Order,
    ];

    /// The name written in files (`spike`, `dip`, `level_shift`, `stockout`,
    /// `missing`, `order`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::Dip => "dip",
            Kind::LevelShift => "level_shift",
            Kind::Stockout => "stockout",
            Kind::Missing => "missing",
            Kind::Order => "order",
        }
    }

    /// Whether the merchant's data is better off with these periods imputed unless
    /// they say otherwise: censored demand (stock-outs) and lost data are not demand;
    /// a spike, a dip or a shift may be real and stay until excluded by hand.
    pub fn excluded_by_default(self) -> bool {
        matches!(self, Kind::Stockout | Kind::Missing)
    }
}

/// One flagged anomaly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The SKU, or `None` when it concerns the whole shop (missing data).
    pub sku: Option<String>,
    /// What kind.
    pub kind: Kind,
    /// First period, as an index into [`Dataset::periods`] (for an order line, the
    /// period of its day; for open days without any line, the period after them).
    pub start: usize,
    /// Periods flagged (0 for days that are not periods of the series: a run of open
    /// days without any line, listed in `dates`).
    pub len: usize,
    /// Every flagged date (the periods, or the days).
    pub dates: Vec<NaiveDate>,
    /// How strong the evidence is, on the detector's own scale (a robust z-score, or
    /// −log10 of a probability); larger is stronger.
    pub score: f64,
    /// Units observed in the flagged periods (all SKUs for missing data).
    pub observed: f64,
    /// Units the SKU's own unflagged history leads one to expect there.
    pub expected: f64,
    /// How much the anomaly pulls the forecast: units away from the expected demand,
    /// halved for every 90 days of age (recent history weighs most in every model).
    pub impact: f64,
    /// Why it was flagged, in the merchant's words.
    pub reason: String,
    /// For order-line anomalies: the 1-based line number in the file.
    pub line: Option<u32>,
}

/// Why anomalies could not be read or applied.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnomalyError {
    /// A flags file's row could not be read.
    #[error("{file}: line {line}: {detail}")]
    Row {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
}

/// The flags as CSV: `sku,date,kind,score,reason,line`, one row per flagged date
/// (`*` as the SKU for the whole shop; `line` is the order line's number in the file,
/// empty for series anomalies).
pub fn to_csv(flags: &[Anomaly]) -> String {
    let mut out = String::from("sku,date,kind,score,reason,line\n");
    for a in flags {
        let sku = a.sku.as_deref().unwrap_or("*");
        for d in &a.dates {
            out.push_str(&format!(
                "{},{},{},{:.3},{},{}\n",
                csv_field(sku),
                d,
                a.kind.label(),
                a.score,
                csv_field(&a.reason),
                a.line.map(|l| l.to_string()).unwrap_or_default()
            ));
        }
    }
    out
}

/// What [`impute`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ImputeReport {
    /// SKU-periods replaced by their expected demand.
    pub points: usize,
    /// SKUs touched.
    pub skus: usize,
    /// Units in the replaced periods before.
    pub units_before: f64,
    /// Units put in their place.
    pub units_after: f64,
    /// Level shifts whose history before the shift was dropped.
    pub shifts: usize,
}

/// The periods of `series` (indices into its values) that `a` covers.
fn span_of(a: &Anomaly, series_start: usize, n: usize) -> std::ops::Range<usize> {
    let lo = a.start.saturating_sub(series_start).min(n);
    let hi = (a.start + a.len).saturating_sub(series_start).min(n);
    lo..hi
}

/// The dataset with `excluded` anomalies taken out: each excluded period replaced by
/// the expected demand of its SKU there ([`detect::local_expected`]: the mean of the
/// same weekday in the weeks around, or of the neighbouring periods, leaving every
/// excluded period out of the mean), and the history before an excluded level shift
/// dropped. Whole-shop anomalies apply to every SKU that has those periods. Order-line
/// anomalies are not imputed here (their lines are already one period's demand: the
/// spike they cause is excluded as a spike).
pub fn impute(ds: &Dataset, excluded: &[Anomaly]) -> (Dataset, ImputeReport) {
    let mut out = ds.clone();
    let mut report = ImputeReport::default();
    let mut by_sku: HashMap<&str, Vec<&Anomaly>> = HashMap::new();
    let mut shop: Vec<&Anomaly> = Vec::new();
    // An excluded order anomaly takes its excess (the line over a usual line, the
    // one-off buyer's peak over a usual period) out of its period; a cancelled line
    // (no impact) is out of demand already.
    let mut order_cuts: HashMap<(&str, usize), f64> = HashMap::new();
    for a in excluded
        .iter()
        .filter(|a| a.kind == Kind::Order && a.impact > 0.0)
    {
        if let Some(s) = &a.sku {
            *order_cuts.entry((s.as_str(), a.start)).or_default() +=
                (a.observed - a.expected).max(0.0);
        }
    }
    let mut cut_skus: std::collections::HashSet<String> = std::collections::HashSet::new();
    for s in &mut out.series {
        let mut touched = false;
        for i in 0..s.values.len() {
            if let Some(cut) = order_cuts.get(&(s.sku.as_str(), s.start + i)) {
                let after = (s.values[i] - cut).max(0.0);
                report.points += 1;
                report.units_before += s.values[i];
                report.units_after += after;
                s.values[i] = after;
                touched = true;
            }
        }
        if touched {
            report.skus += 1;
            cut_skus.insert(s.sku.clone());
            s.units = s.values.iter().sum();
        }
    }
    for a in excluded.iter().filter(|a| a.kind != Kind::Order) {
        match &a.sku {
            Some(s) => by_sku.entry(s.as_str()).or_default().push(a),
            None => shop.push(a),
        }
    }
    let local = detect::local_period(ds);
    for s in &mut out.series {
        let own = by_sku.get(s.sku.as_str()).map_or(&[][..], |v| v.as_slice());
        if own.is_empty() && shop.is_empty() {
            continue;
        }
        let n = s.values.len();
        let mut mask = vec![false; n];
        let mut cut = 0usize;
        for a in own.iter().chain(shop.iter()) {
            if a.kind == Kind::LevelShift {
                let r = span_of(a, s.start, n);
                if r.start > cut && r.start < n {
                    cut = r.start;
                }
                continue;
            }
            for i in span_of(a, s.start, n) {
                mask[i] = true;
            }
        }
        let mut touched = false;
        if mask.iter().any(|m| *m) {
            let spikes: Vec<usize> = s.quality.flags.iter().map(|f| f.index).collect();
            let expected = detect::local_expected(&s.values, &mask, &spikes, local);
            for i in 0..n {
                if mask[i] {
                    report.points += 1;
                    report.units_before += s.values[i];
                    report.units_after += expected[i];
                    s.values[i] = expected[i];
                    touched = true;
                }
            }
        }
        if cut > 0 && cut + 1 < n {
            s.values.drain(..cut);
            s.start += cut;
            report.shifts += 1;
            touched = true;
        }
        if touched {
            if !cut_skus.contains(&s.sku) {
                report.skus += 1;
            }
            s.units = s.values.iter().sum();
        }
    }
    (out, report)
}

/// The anomalies excluded unless the merchant says otherwise
/// ([`Kind::excluded_by_default`]).
pub fn default_exclusions(flags: &[Anomaly]) -> Vec<Anomaly> {
    flags
        .iter()
        .filter(|a| a.kind.excluded_by_default())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, LoadOptions};

    fn daily_long(skus: &[(&str, Vec<f64>)]) -> Dataset {
        let mut csv = String::from("date,sku,quantity\n");
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for (sku, v) in skus {
            for (i, q) in v.iter().enumerate() {
                csv.push_str(&format!(
                    "{},{sku},{q}\n",
                    start + chrono::Duration::days(i as i64)
                ));
            }
        }
        data::load(
            "t.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap()
    }

    fn weekly_pattern(n: usize, level: f64, seed: u64) -> Vec<f64> {
        let mut r = crate::rng::SplitMix::new(seed);
        (0..n)
            .map(|i| {
                let wd = [1.0, 1.1, 1.0, 0.9, 1.2, 1.4, 0.6][i % 7];
                (level * wd * (1.0 + 0.25 * r.normal())).max(0.0).round()
            })
            .collect()
    }

    #[test]
    fn stockout_is_found_and_imputing_it_raises_the_forecast() {
        let mut v = weekly_pattern(280, 12.0, 1);
        v[230..252].iter_mut().for_each(|x| *x = 0.0);
        let other = weekly_pattern(280, 20.0, 2);
        let ds = daily_long(&[("A", v), ("B", other)]);
        let flags = detect(&ds, &Settings::default());
        let so: Vec<_> = flags
            .iter()
            .filter(|a| a.kind == Kind::Stockout && a.sku.as_deref() == Some("A"))
            .collect();
        assert_eq!(so.len(), 1, "{flags:#?}");
        assert_eq!((so[0].start, so[0].len), (230, 22));
        assert!(so[0].expected > 200.0 && so[0].observed == 0.0);
        assert!(
            !flags.iter().any(|a| a.sku.as_deref() == Some("B")),
            "{flags:#?}"
        );
        let (clean, rep) = impute(&ds, &default_exclusions(&flags));
        assert_eq!(rep.points, 22);
        assert_eq!(rep.skus, 1);
        // A forecast that averages the recent weeks (as every level model does) rises.
        let cfg = crate::forecast::backtest::BacktestConfig {
            h: 28,
            windows: 2,
            season: 7,
            paths: 0,
            scenarios: Default::default(),
        };
        let f_raw = crate::forecast::run::forecast_dataset(&ds, cfg, &mut |_, _| true);
        let f_clean = crate::forecast::run::forecast_dataset(&clean, cfg, &mut |_, _| true);
        let total = |r: &crate::forecast::run::ForecastRun| -> f64 {
            r.skus[0]
                .result
                .as_ref()
                .unwrap()
                .forecast
                .point
                .iter()
                .sum()
        };
        assert_eq!(ds.series[0].sku, "B");
        let a = |r: &crate::forecast::run::ForecastRun| -> f64 {
            r.skus[1]
                .result
                .as_ref()
                .unwrap()
                .forecast
                .point
                .iter()
                .sum()
        };
        // A's true mean: 12 × the weekday profile's mean (7.2 / 7) × 28 days = 345.6.
        let truth = 12.0 * 7.2 / 7.0 * 28.0;
        assert!(
            a(&f_clean) > 1.1 * a(&f_raw) && (a(&f_clean) / truth - 1.0).abs() < 0.08,
            "raw {} clean {} truth {truth}",
            a(&f_raw),
            a(&f_clean)
        );
        // B's data untouched (its forecast may move: the automatic choice learns its
        // recipe across similar SKUs).
        assert_eq!(clean.series[0], ds.series[0]);
        assert!(total(&f_clean) > 0.0);
    }

    #[test]
    fn spike_dip_shift_and_lost_week_are_found() {
        let mut a = weekly_pattern(300, 15.0, 3);
        a[120] *= 12.0;
        let mut b = weekly_pattern(300, 10.0, 4);
        b[150..].iter_mut().for_each(|x| *x = (*x * 3.0).round());
        let mut c = weekly_pattern(300, 25.0, 5);
        c[90] = 1.0;
        let mut d = weekly_pattern(300, 8.0, 6);
        let mut e = weekly_pattern(300, 30.0, 7);
        for s in [&mut a, &mut b, &mut c, &mut d, &mut e] {
            s[200..207].iter_mut().for_each(|x| *x = 0.0);
        }
        d[260] = d[260].max(1.0);
        let ds = daily_long(&[("A", a), ("B", b), ("C", c), ("D", d), ("E", e)]);
        let flags = detect(&ds, &Settings::default());
        let has = |sku: Option<&str>, kind: Kind, at: usize, tol: usize| {
            flags
                .iter()
                .any(|f| f.sku.as_deref() == sku && f.kind == kind && f.start.abs_diff(at) <= tol)
        };
        assert!(has(Some("A"), Kind::Spike, 120, 0), "{flags:#?}");
        assert!(has(Some("B"), Kind::LevelShift, 150, 3), "{flags:#?}");
        assert!(has(Some("C"), Kind::Dip, 90, 0), "{flags:#?}");
        assert!(has(None, Kind::Missing, 200, 0), "{flags:#?}");
        // The lost week is the shop's, not five stock-outs.
        assert!(
            !flags.iter().any(|f| f.kind == Kind::Stockout),
            "{flags:#?}"
        );
        let csv = to_csv(&flags);
        assert!(csv.starts_with("sku,date,kind,score,reason,line\n"));
        assert!(csv.contains(",missing,"));
        // Excluding the shift drops B's history before it.
        let shift: Vec<Anomaly> = flags
            .iter()
            .filter(|f| f.kind == Kind::LevelShift)
            .cloned()
            .collect();
        let (clean, rep) = impute(&ds, &shift);
        assert_eq!(rep.shifts, 1);
        let b = clean.get("B").unwrap();
        assert!(b.start.abs_diff(150) <= 3);
    }
}
