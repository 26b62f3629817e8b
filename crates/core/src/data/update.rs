//! New sales in: a newer export appended to the stored dataset.
//!
//! The newer file is read and cleaned on its own, then takes over every period from
//! its first one on: the stored periods it overlaps are replaced (never added to), SKUs
//! it does not mention sold nothing in its periods, new SKUs join. The calendar's
//! closed weekdays are detected again on the combined periods. With cancellations
//! netted on their own day, appending the next month equals reading the whole file
//! at once, SKU by SKU (`tests/update.rs`); with matched cancellations, a cancellation
//! in the newer file of a sale in the stored one cannot remove that sale any more and
//! counts as a return.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::{DataError, Dataset, Frequency, make_series};

/// What an append changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppendReport {
    /// The newer export's name.
    pub file: String,
    /// Stored periods the newer file covered again and replaced.
    pub replaced_periods: usize,
    /// Units in the replaced periods, as stored and as in the newer file.
    pub replaced_units: (f64, f64),
    /// Periods after the stored data.
    pub added_periods: usize,
    /// Units in the added periods.
    pub added_units: f64,
    /// SKUs that were not in the stored data.
    pub new_skus: Vec<String>,
    /// Stored SKUs without a sale in the newer file's periods.
    pub quiet_skus: usize,
    /// Closed weekdays before and after.
    pub closed_weekdays: (Vec<Weekday>, Vec<Weekday>),
    /// First and last period of the result.
    pub span: (NaiveDate, NaiveDate),
}

impl AppendReport {
    /// One paragraph for the merchant.
    pub fn summary(&self) -> String {
        let days = |w: &[Weekday]| {
            if w.is_empty() {
                "none".to_string()
            } else {
                w.iter()
                    .map(|d| super::weekday_name(*d))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut s = format!(
            "{}: {} new periods ({} units) added, {} stored periods replaced ({} units stored, {} in the newer file, never counted twice), {} new SKUs, {} SKUs without a sale in the new periods; data now {} to {}.",
            self.file,
            self.added_periods,
            crate::format::units(self.added_units),
            self.replaced_periods,
            crate::format::units(self.replaced_units.0),
            crate::format::units(self.replaced_units.1),
            self.new_skus.len(),
            self.quiet_skus,
            self.span.0,
            self.span.1
        );
        if self.closed_weekdays.0 != self.closed_weekdays.1 {
            s.push_str(&format!(
                " Closed weekdays changed from {} to {}.",
                days(&self.closed_weekdays.0),
                days(&self.closed_weekdays.1)
            ));
        }
        s
    }
}

/// `stored` with `newer` appended (see the module's rules). Both must have the same
/// period; `newer` must not end before `stored` begins.
pub fn append(stored: &Dataset, newer: &Dataset) -> Result<(Dataset, AppendReport), DataError> {
    let fail = |reason: String| DataError::Append {
        file: newer.name.clone(),
        reason,
    };
    if stored.frequency() != newer.frequency() {
        return Err(fail(format!(
            "the stored data is {} and the newer file {}: load it with the same period",
            stored.frequency().label(),
            newer.frequency().label()
        )));
    }
    // A short export cannot tell a closed weekday from a quiet one: its periods on the
    // stored data's closed weekdays without a single sale are not trading days.
    let trimmed;
    let newer = if stored.frequency() == Frequency::Daily
        && !stored.report.calendar.closed_weekdays.is_empty()
    {
        trimmed = drop_closed_days(newer, &stored.report.calendar.closed_weekdays);
        &trimmed
    } else {
        newer
    };
    let (Some(&cut), Some(&new_last)) = (newer.periods.first(), newer.periods.last()) else {
        return Err(fail("the newer file has no periods".into()));
    };
    let Some(&stored_first) = stored.periods.first() else {
        return Ok((
            newer.clone(),
            report(stored, newer, newer, 0, (0.0, 0.0), 0.0),
        ));
    };
    if cut < stored_first {
        return Err(fail(format!(
            "it starts on {cut}, before the stored data ({stored_first}): load the whole history instead"
        )));
    }
    let keep = stored.periods.partition_point(|d| *d < cut);
    let replaced = stored.periods.len() - keep;
    let mut periods: Vec<NaiveDate> = stored.periods[..keep].to_vec();
    periods.extend_from_slice(&newer.periods);
    let total = periods.len();
    // SKU codes match across letter case, as within one file at ingest.
    let new_index: HashMap<String, usize> = newer
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.sku.to_uppercase(), i))
        .collect();
    let stored_index: HashMap<String, usize> = stored
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.sku.to_uppercase(), i))
        .collect();
    let mut replaced_units = (0.0, 0.0);
    let mut series = Vec::with_capacity(stored.series.len() + newer.series.len());
    let mut quiet = 0usize;
    // A series' values over periods `from..to` of its dataset (0 before its start).
    let values_over = |s: &super::Series, from: usize, to: usize| -> Vec<f64> {
        (from..to)
            .map(|p| {
                p.checked_sub(s.start)
                    .and_then(|k| s.values.get(k))
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect()
    };
    for s in &stored.series {
        let mut totals = values_over(s, 0, keep);
        let old_tail: f64 = values_over(s, keep, stored.periods.len()).iter().sum();
        replaced_units.0 += old_tail;
        let mut revenue = if s.units > 0.0 {
            s.revenue * totals.iter().sum::<f64>() / s.units
        } else {
            0.0
        };
        let mut code = s.sku.as_str();
        match new_index.get(&s.sku.to_uppercase()) {
            Some(&j) => {
                let n = &newer.series[j];
                totals.extend(values_over(n, 0, newer.periods.len()));
                revenue += n.revenue;
                // The upper-case spelling wins, as at ingest.
                if n.sku == n.sku.to_uppercase() {
                    code = n.sku.as_str();
                }
            }
            None => {
                quiet += 1;
                totals.resize(total, 0.0);
            }
        }
        if let Some(x) = make_series(code, &s.description, &totals, revenue, &periods) {
            series.push(x);
        }
    }
    let mut new_skus = Vec::new();
    for n in &newer.series {
        if stored_index.contains_key(&n.sku.to_uppercase()) {
            continue;
        }
        new_skus.push(n.sku.clone());
        let mut totals = vec![0.0; keep];
        totals.extend(values_over(n, 0, newer.periods.len()));
        if let Some(x) = make_series(&n.sku, &n.description, &totals, n.revenue, &periods) {
            series.push(x);
        }
    }
    // Units of the newer file in the periods it replaced.
    let replaced_new_periods = newer
        .periods
        .partition_point(|d| stored.periods.last().is_some_and(|l| d <= l));
    for n in &newer.series {
        replaced_units.1 += values_over(n, 0, replaced_new_periods).iter().sum::<f64>();
    }
    let added_units: f64 = newer.series.iter().map(|s| s.units).sum::<f64>() - replaced_units.1;
    series.sort_by(|a, b| b.units.total_cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
    let mut report_ = stored.report.clone();
    report_.calendar.closed_weekdays = closed_weekdays(&periods, stored.frequency());
    report_.calendar.last_day = newer.report.calendar.last_day.or(Some(new_last));
    report_.calendar.closure_days.retain(|d| *d < cut);
    report_
        .calendar
        .closure_days
        .extend(newer.report.calendar.closure_days.iter().copied());
    report_.rows += newer.report.rows;
    report_.flagged_points = series.iter().map(|s| s.quality.flags.len()).sum();
    report_.skus_in_file = series.len();
    let out = Dataset {
        name: stored.name.clone(),
        freq: stored.freq,
        periods,
        series,
        report: report_,
    };
    let mut r = report(
        stored,
        newer,
        &out,
        replaced,
        replaced_units,
        added_units.max(0.0),
    );
    r.new_skus = new_skus;
    r.quiet_skus = quiet;
    Ok((out, r))
}

fn report(
    stored: &Dataset,
    newer: &Dataset,
    out: &Dataset,
    replaced: usize,
    replaced_units: (f64, f64),
    added_units: f64,
) -> AppendReport {
    AppendReport {
        file: newer.name.clone(),
        replaced_periods: replaced,
        replaced_units,
        added_periods: out.periods.len().saturating_sub(stored.periods.len()),
        added_units,
        new_skus: Vec::new(),
        quiet_skus: 0,
        closed_weekdays: (
            stored.report.calendar.closed_weekdays.clone(),
            out.report.calendar.closed_weekdays.clone(),
        ),
        span: (
            out.periods.first().copied().unwrap_or_default(),
            out.periods.last().copied().unwrap_or_default(),
        ),
    }
}

/// `ds` without its periods on `closed` weekdays that no SKU sold on.
fn drop_closed_days(ds: &Dataset, closed: &[Weekday]) -> Dataset {
    let n = ds.periods.len();
    let mut sold = vec![false; n];
    for s in &ds.series {
        for (k, v) in s.values.iter().enumerate() {
            if *v != 0.0 {
                sold[s.start + k] = true;
            }
        }
    }
    let keep: Vec<bool> = (0..n)
        .map(|i| sold[i] || !closed.contains(&ds.periods[i].weekday()))
        .collect();
    if keep.iter().all(|k| *k) {
        return ds.clone();
    }
    let periods: Vec<NaiveDate> = (0..n).filter(|&i| keep[i]).map(|i| ds.periods[i]).collect();
    let series = ds
        .series
        .iter()
        .filter_map(|s| {
            let totals: Vec<f64> = (0..n)
                .filter(|&i| keep[i])
                .map(|i| {
                    i.checked_sub(s.start)
                        .and_then(|k| s.values.get(k))
                        .copied()
                        .unwrap_or(0.0)
                })
                .collect();
            make_series(&s.sku, &s.description, &totals, s.revenue, &periods)
        })
        .collect();
    Dataset {
        periods,
        series,
        ..ds.clone()
    }
}

/// Weekdays no daily period falls on (none for weekly or coarser data), over a
/// stretch long enough to tell: at least four weeks.
fn closed_weekdays(periods: &[NaiveDate], freq: Frequency) -> Vec<Weekday> {
    if freq != Frequency::Daily || periods.len() < 20 {
        return Vec::new();
    }
    let mut seen = [false; 7];
    for d in periods {
        seen[d.weekday().num_days_from_monday() as usize] = true;
    }
    (0..7u8)
        .filter(|&i| !seen[i as usize])
        .filter_map(|i| Weekday::try_from(i).ok())
        .collect()
}
