//! New sales in: a newer export appended to the stored dataset.
//!
//! The newer file is read and cleaned on its own, then takes over every period from
//! its first one on: the stored periods it overlaps are replaced (never added to), SKUs
//! it does not mention sold nothing in its periods, new SKUs join. The calendar's
//! closed weekdays are detected again on the combined periods. With cancellations
//! netted on their own day, appending the next month equals reading the whole file
//! at once, SKU by SKU (`tests/update.rs`). With matched cancellations too: the stored
//! data keeps, per sale that a cancellation could still remove, its SKU, customer,
//! quantity and period ([`Matching`]), and a cancellation of the newer file that
//! matches none of its own sales removes the latest such stored sale of the same SKU,
//! customer and quantity, as loading both files at once would have. Data stored before
//! [`Matching`] existed has none: such cancellations stay returns.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::clean::{Provenance, Sale};
use super::ingest::Parsed;
use super::series::Aggregated;
use super::{DataError, Dataset, Frequency, make_series};

/// What matching a later export's cancellations needs of a dataset's order lines
/// (kept under [`super::CancellationRule::RemoveMatchedOrders`], for lines with a
/// customer: the rule matches on SKU, customer and quantity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Matching {
    /// SKU codes in upper case (codes match across letter case), by [`OpenLine::sku`].
    pub skus: Vec<String>,
    /// Customer ids as written, by [`OpenLine::customer`].
    pub customers: Vec<String>,
    /// Sales a later cancellation could still remove, in time order.
    pub sales: Vec<OpenLine>,
    /// Cancellations that matched none of the file's own sales (returns), in time
    /// order: an append matches them against the stored sales. Empty once appended
    /// (no later sale can be what an earlier cancellation cancels).
    pub returns: Vec<OpenLine>,
}

/// One order line kept for matching.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpenLine {
    /// The period (index into [`Dataset::periods`]) its units were counted in.
    pub period: u32,
    /// Index into [`Matching::skus`].
    pub sku: u32,
    /// Index into [`Matching::customers`].
    pub customer: u32,
    /// Units (negative for a return).
    pub qty: f64,
    /// Revenue counted with it.
    pub revenue: f64,
    /// For a sale a cancellation removed: the period of that cancellation. An append
    /// that replaces that period puts the sale back before matching the newer file's
    /// cancellations, since the newer file holds the cancellation again (or not).
    pub cancelled: Option<u32>,
}

impl Matching {
    /// The sales and unmatched cancellations of a cleaned file, with a customer and
    /// counted in a period (a sale in a dropped partial period is in no series).
    pub(super) fn from_file(
        parsed: &Parsed,
        sales: &[Sale],
        provenance: &Provenance,
        agg: &Aggregated,
    ) -> Matching {
        let period = |i: usize| {
            let l = parsed.lines.get(i)?;
            u32::try_from(agg.period_of(l.ts.date())?).ok()
        };
        let open = |i: usize, qty: f64, revenue: f64, cancelled: Option<u32>| {
            let l = parsed.lines.get(i)?;
            let customer = l.customer.checked_sub(1)?;
            Some((
                (l.ts, i),
                OpenLine {
                    period: period(i)?,
                    sku: l.sku,
                    customer,
                    qty,
                    revenue,
                    cancelled,
                },
            ))
        };
        let mut kept: Vec<_> = sales
            .iter()
            .zip(&provenance.sale_lines)
            .filter(|(s, _)| s.qty > 0.0)
            .filter_map(|(s, &i)| open(i, s.qty, s.revenue, None))
            .collect();
        kept.extend(provenance.matched.iter().filter_map(|&(i, revenue, c)| {
            let qty = parsed.lines.get(i)?.qty;
            // A cancellation outside every period (a dropped partial week) is
            // recorded on the sale's own period: put back only with the sale itself.
            let at = period(c).or_else(|| period(i));
            open(i, qty, revenue, at)
        }));
        let mut returns: Vec<_> = provenance
            .unmatched
            .iter()
            .filter_map(|&i| {
                let l = parsed.lines.get(i)?;
                let revenue = if l.price.is_nan() {
                    0.0
                } else {
                    l.qty * l.price
                };
                open(i, l.qty, revenue, None)
            })
            .collect();
        // Time order, then file order: the order `clean` matches in.
        kept.sort_by_key(|(k, _)| *k);
        returns.sort_by_key(|(k, _)| *k);
        Matching {
            skus: parsed.skus.iter().map(|s| s.code.to_uppercase()).collect(),
            customers: parsed.customer_ids.clone(),
            sales: kept.into_iter().map(|(_, o)| o).collect(),
            returns: returns.into_iter().map(|(_, o)| o).collect(),
        }
    }

    /// Whether every index points into its table and the `periods` periods.
    pub(super) fn check(&self, periods: usize) -> Result<(), String> {
        for o in self.sales.iter().chain(&self.returns) {
            if o.period as usize >= periods
                || o.cancelled.is_some_and(|c| c as usize >= periods)
                || o.sku as usize >= self.skus.len()
                || o.customer as usize >= self.customers.len()
                || !o.qty.is_finite()
                || !o.revenue.is_finite()
            {
                return Err(format!(
                    "an order line kept for matching (period {}, SKU {}, customer {}) does not fit the data",
                    o.period, o.sku, o.customer
                ));
            }
        }
        Ok(())
    }

    /// The same lines on other periods: `period` maps an old index to the new one
    /// (`None`: the period is gone, and its lines with it).
    pub(super) fn remap(&self, period: impl Fn(usize) -> Option<usize>) -> Matching {
        let map = |v: &[OpenLine]| -> Vec<OpenLine> {
            v.iter()
                .filter_map(|o| {
                    let p = u32::try_from(period(o.period as usize)?).ok()?;
                    // As at ingest: a cancellation whose period is gone stays on the
                    // sale's own.
                    let cancelled = o.cancelled.map(|c| {
                        period(c as usize)
                            .and_then(|c| u32::try_from(c).ok())
                            .unwrap_or(p)
                    });
                    Some(OpenLine {
                        period: p,
                        cancelled,
                        ..*o
                    })
                })
                .collect()
        };
        Matching {
            skus: self.skus.clone(),
            customers: self.customers.clone(),
            sales: map(&self.sales),
            returns: map(&self.returns),
        }
    }
}

/// Changes to stored series per upper-case SKU code: (period, units, revenue) added.
type Changes = HashMap<String, Vec<(usize, f64, f64)>>;

/// Matches `newer`'s returns against `stored`'s sales in the periods before `keep`,
/// as [`super::clean`] would have on both files at once: first the stored sales whose
/// cancellation lies in a replaced period are put back (the newer file holds that
/// cancellation again, or no longer), then per return of the newer file, in time
/// order, the latest sale left of the same SKU, customer and quantity is removed.
/// Returns the changes to the stored series (per upper-case SKU code: period, units,
/// revenue) and the merged lines, `newer`'s periods mapped by `newer_period`.
fn rematch(
    stored: &Matching,
    newer: &Matching,
    keep: usize,
    newer_period: impl Fn(usize) -> Option<usize>,
) -> (Changes, Matching) {
    let mut changes = Changes::new();
    let sku_of =
        |m: &Matching, o: &OpenLine| m.skus.get(o.sku as usize).cloned().unwrap_or_default();
    let mut sales: Vec<OpenLine> = stored
        .sales
        .iter()
        .filter(|o| (o.period as usize) < keep)
        .copied()
        .collect();
    for o in &mut sales {
        if o.cancelled.is_some_and(|c| c as usize >= keep) {
            o.cancelled = None;
            changes.entry(sku_of(stored, o)).or_default().push((
                o.period as usize,
                o.qty,
                o.revenue,
            ));
        }
    }
    let key = |m: &Matching, o: &OpenLine, qty: f64| {
        (
            m.customers.get(o.customer as usize).cloned(),
            sku_of(m, o),
            qty.to_bits(),
        )
    };
    let mut candidates: HashMap<_, Vec<usize>> = HashMap::new();
    for (i, o) in sales.iter().enumerate() {
        if o.cancelled.is_none() {
            candidates.entry(key(stored, o, o.qty)).or_default().push(i);
        }
    }
    for r in &newer.returns {
        // Candidates are in time order: the latest one left is the last.
        let Some(i) = candidates
            .get_mut(&key(newer, r, -r.qty))
            .and_then(Vec::pop)
        else {
            continue;
        };
        let o = &mut sales[i];
        // A return outside the merged periods is recorded at the first replaced one.
        let at = newer_period(r.period as usize).unwrap_or(keep);
        o.cancelled = u32::try_from(at).ok();
        changes
            .entry(sku_of(stored, o))
            .or_default()
            .push((o.period as usize, -o.qty, -o.revenue));
    }
    let mut out = Matching {
        skus: stored.skus.clone(),
        customers: stored.customers.clone(),
        sales,
        returns: Vec::new(),
    };
    let index = |table: &mut Vec<String>, map: &mut HashMap<String, u32>, name: &str| {
        *map.entry(name.to_string()).or_insert_with(|| {
            table.push(name.to_string());
            table.len() as u32 - 1
        })
    };
    let mut skus: HashMap<String, u32> = out
        .skus
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as u32))
        .collect();
    let mut customers: HashMap<String, u32> = out
        .customers
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as u32))
        .collect();
    for o in &newer.sales {
        let (Some(sku), Some(customer), Some(period)) = (
            newer.skus.get(o.sku as usize),
            newer.customers.get(o.customer as usize),
            newer_period(o.period as usize).and_then(|p| u32::try_from(p).ok()),
        ) else {
            continue;
        };
        let cancelled = o.cancelled.map(|c| {
            newer_period(c as usize)
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(period)
        });
        let sku = index(&mut out.skus, &mut skus, sku);
        let customer = index(&mut out.customers, &mut customers, customer);
        out.sales.push(OpenLine {
            period,
            sku,
            customer,
            cancelled,
            ..*o
        });
    }
    (changes, out)
}

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
    let original = newer;
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
    // The newer file's cancellations of stored sales, and what is left to match.
    let (mut changes, matching) = rematch(&stored.matching, &original.matching, keep, |p| {
        let day = original.periods.get(p)?;
        newer.periods.binary_search(day).ok().map(|i| keep + i)
    });
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
        let changed = changes.remove(&s.sku.to_uppercase()).unwrap_or_default();
        for &(p, qty, r) in &changed {
            if let Some(v) = totals.get_mut(p) {
                *v += qty;
                revenue += r;
            }
        }
        for &(p, _, _) in &changed {
            if let Some(v) = totals.get_mut(p) {
                // Never below zero, as a period's total at ingest.
                *v = v.max(0.0);
            }
        }
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
        matching,
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
    let matching = ds.matching.remap(|p| {
        let day = ds.periods.get(p)?;
        periods.binary_search(day).ok()
    });
    Dataset {
        periods,
        series,
        matching,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CancellationRule, LoadOptions, load};

    const HEADER: &str =
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n";

    fn ds(name: &str, rows: &[String]) -> Dataset {
        let text = format!("{HEADER}{}", rows.concat());
        let opts = LoadOptions {
            cancellations: CancellationRule::RemoveMatchedOrders,
            ..Default::default()
        };
        load(name, text.as_bytes(), &opts, &mut |_| {}).unwrap()
    }

    /// Every SKU's values over the whole calendar.
    fn values(d: &Dataset) -> Vec<(String, Vec<f64>, i64)> {
        let mut v: Vec<_> = d
            .series
            .iter()
            .map(|s| {
                let mut full = vec![0.0; s.start];
                full.extend_from_slice(&s.values);
                (s.sku.clone(), full, s.revenue.round() as i64)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// A sale of the stored period cancelled in the newer file: appending removes it,
    /// as loading both at once does; the latest of two equal sales is the one removed,
    /// a cancellation without a sale stays a return, and the kept lines survive the
    /// stored bytes.
    #[test]
    fn a_newer_cancellation_removes_the_stored_sale_it_matches() {
        let day = |d: u32| format!("2024-03-{d:02} 10:00");
        let mut first = Vec::new();
        let mut second = Vec::new();
        for d in 1..=28 {
            let part = if d <= 14 { &mut first } else { &mut second };
            // A filler so that every day trades.
            part.push(format!("{},Z1,filler,1,{},1.0,99,UK\n", 1000 + d, day(d)));
        }
        first.push(format!("2001,A1,mug,5,{},2.0,7,UK\n", day(3)));
        first.push(format!("2002,A1,mug,5,{},2.0,7,UK\n", day(9)));
        first.push(format!("2003,B1,towel,2,{},4.0,8,UK\n", day(10)));
        // Cancelled inside the stored file itself.
        first.push(format!("2004,b1,towel,1,{},4.0,8,UK\n", day(11)));
        first.push(format!("C2005,B1,towel,-1,{},4.0,8,UK\n", day(12)));
        // The newer file: a cancellation of the 9 March mug sale (the later of two
        // equal ones), one of its own sale, one of nothing (a return).
        second.push(format!("C3001,a1,mug,-5,{},2.0,7,UK\n", day(16)));
        second.push(format!("3002,B1,towel,3,{},4.0,8,UK\n", day(17)));
        second.push(format!("C3003,B1,towel,-3,{},4.0,8,UK\n", day(18)));
        second.push(format!("C3004,B1,towel,-9,{},4.0,8,UK\n", day(19)));
        let whole = ds("whole.csv", &[first.clone(), second.clone()].concat());
        let stored = ds("first.csv", &first);
        let stored = Dataset::from_stored_bytes(&stored.to_stored_bytes()).unwrap();
        assert!(!stored.matching.sales.is_empty());
        let newer = ds("second.csv", &second);
        assert_eq!(
            newer.matching.returns.len(),
            2,
            "the mug and the unmatched towel"
        );
        let (appended, _) = append(&stored, &newer).unwrap();
        assert_eq!(appended.periods, whole.periods);
        assert_eq!(values(&appended), values(&whole));
        let mug = appended.get("A1").unwrap();
        assert_eq!(mug.values[..9].iter().sum::<f64>(), 5.0, "3 March kept");
        assert_eq!(mug.units, 5.0);
        // Appending the same newer file again changes nothing.
        let (again, _) = append(&appended, &newer).unwrap();
        assert_eq!(values(&again), values(&whole));
        // A newer file from 12 March holds the stored file's own cancellation of the
        // 11 March towel again: put back, then matched again, not counted twice.
        let overlap: Vec<String> = first
            .iter()
            .chain(&second)
            .filter(|r| r.contains("2024-03-1") || r.contains("2024-03-2"))
            .filter(|r| !r.contains("2024-03-10") && !r.contains("2024-03-11"))
            .cloned()
            .collect();
        let (appended_overlap, r) = append(&stored, &ds("overlap.csv", &overlap)).unwrap();
        assert_eq!(r.replaced_periods, 3);
        assert_eq!(values(&appended_overlap), values(&whole));
        // Without the kept lines (data stored before them) the cancellation is a
        // return and the stored sale stays, as before.
        let old = Dataset {
            matching: Matching::default(),
            ..stored.clone()
        };
        let (appended, _) = append(&old, &newer).unwrap();
        assert_eq!(appended.get("A1").unwrap().units, 10.0);
    }
}
