//! The shop's trading calendar and aggregation of cleaned sales to per-SKU series.
//!
//! Calendar rules (daily input):
//! - the span runs from the first to the last day with any line in the file;
//! - a weekday is **closed** when the shop has lines on at most 10 % of its
//!   occurrences in the span (e.g. Saturdays with one exceptional trading day) while
//!   it has lines on at least half of its other days;
//! - when the shop has lines on at least 90 % of its open days, an open day with no
//!   line at all is a **closure** (bank holiday, Christmas break) rather than a day
//!   without demand; a quieter shop gets every open day zero-filled;
//! - sales on a day outside the calendar are counted on the next trading day (the
//!   previous one at the very end), so no unit is lost.
//!
//! Weekly series are Monday-based weeks of those trading days; the weeks at either
//! end that the data covers only partly are left out (a partial week would look like
//! a drop in demand), as are weeks without any trading day.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::clean::Sale;

/// The period of the series, finest first.
///
/// As a load option it is the *finest* frequency wanted: a file whose dates are
/// already a week, a month or a quarter apart keeps its own (coarser) period, so
/// the default (`Daily`) means "as the file is".
// New variants go at the end: datasets kept in the browser's storage are postcard
// bytes, which name a variant by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Frequency {
    /// One value per trading day.
    #[default]
    Daily,
    /// One value per week (Monday-based when built from days; on the file's own
    /// weekday when the file is weekly).
    Weekly,
    /// One value per calendar month (dated the 1st).
    Monthly,
    /// One value per calendar quarter (dated the 1st of January, April, July, October).
    Quarterly,
}

impl Frequency {
    /// Lower-case name.
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
        }
    }

    /// Reads a label as [`Frequency::label`] writes it.
    pub fn from_label(s: &str) -> Option<Frequency> {
        [
            Frequency::Daily,
            Frequency::Weekly,
            Frequency::Monthly,
            Frequency::Quarterly,
        ]
        .into_iter()
        .find(|f| f.label() == s)
    }

    /// The name of one period ("day", "week", ...).
    pub fn unit(self) -> &'static str {
        match self {
            Frequency::Daily => "day",
            Frequency::Weekly => "week",
            Frequency::Monthly => "month",
            Frequency::Quarterly => "quarter",
        }
    }

    /// Position from finest (0) to coarsest.
    fn rank(self) -> u8 {
        match self {
            Frequency::Daily => 0,
            Frequency::Weekly => 1,
            Frequency::Monthly => 2,
            Frequency::Quarterly => 3,
        }
    }

    /// The coarser of two frequencies.
    pub fn coarser(self, other: Frequency) -> Frequency {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// The length of the yearly cycle in periods (for days: `None`, as the weekly cycle
    /// of trading days comes first).
    pub fn periods_per_year(self) -> Option<usize> {
        match self {
            Frequency::Daily => None,
            Frequency::Weekly => Some(52),
            Frequency::Monthly => Some(12),
            Frequency::Quarterly => Some(4),
        }
    }

    /// The horizon offered by default: four weeks of days, eight weeks, six months,
    /// four quarters.
    pub fn default_horizon(self) -> usize {
        match self {
            Frequency::Daily => 28,
            Frequency::Weekly => 8,
            Frequency::Monthly => 6,
            Frequency::Quarterly => 4,
        }
    }

    /// Average calendar days per period (daily: one calendar day).
    pub fn days(self) -> f64 {
        match self {
            Frequency::Daily => 1.0,
            Frequency::Weekly => 7.0,
            Frequency::Monthly => 365.2425 / 12.0,
            Frequency::Quarterly => 365.2425 / 4.0,
        }
    }

    /// The start of the period that holds `d` (months and quarters only; other
    /// frequencies return `d`).
    pub fn period_start(self, d: NaiveDate) -> NaiveDate {
        let month0 = match self {
            Frequency::Monthly => d.month0(),
            Frequency::Quarterly => d.month0() / 3 * 3,
            _ => return d,
        };
        NaiveDate::from_ymd_opt(d.year(), month0 + 1, 1).unwrap_or(d)
    }

    /// The date `k` periods after `d` (months and quarters keep the day of month,
    /// clamped to the month's end).
    pub fn step(self, d: NaiveDate, k: u32) -> NaiveDate {
        match self {
            Frequency::Daily => d + Duration::days(i64::from(k)),
            Frequency::Weekly => d + Duration::days(7 * i64::from(k)),
            Frequency::Monthly => d.checked_add_months(chrono::Months::new(k)).unwrap_or(d),
            Frequency::Quarterly => d
                .checked_add_months(chrono::Months::new(3 * k))
                .unwrap_or(d),
        }
    }
}

/// Months from year 0 (for month arithmetic on dates).
fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// The granularity of the file's own dates: a week, a month or a quarter apart
/// (at least three dates), else daily. Monthly dates share their day of month (the
/// 1st, say) or are all month ends; quarterly ones are also three months apart.
pub fn input_frequency(days: &[NaiveDate]) -> Frequency {
    if is_weekly_input(days) {
        return Frequency::Weekly;
    }
    if days.len() < 3 {
        return Frequency::Daily;
    }
    let month_end = |d: &NaiveDate| d.succ_opt().is_none_or(|n| n.day() == 1);
    let same_day = days.iter().all(|d| d.day() == days[0].day());
    let all_ends = days.iter().all(month_end);
    if !(same_day || all_ends) {
        return Frequency::Daily;
    }
    let gaps: Vec<i64> = days
        .windows(2)
        .map(|w| month_index(w[1]) - month_index(w[0]))
        .collect();
    if gaps.iter().any(|&g| g < 1) {
        return Frequency::Daily;
    }
    // Quarterly: every date in one phase of the year's quarters, three months apart.
    if gaps.iter().all(|g| g % 3 == 0) {
        Frequency::Quarterly
    } else {
        Frequency::Monthly
    }
}

/// The trading calendar derived from the data, with what was done to fit it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    /// First day with any line.
    pub first_day: Option<NaiveDate>,
    /// Last day with any line.
    pub last_day: Option<NaiveDate>,
    /// Weekdays on which the shop does not trade.
    pub closed_weekdays: Vec<Weekday>,
    /// Open weekdays without any line, taken as closures.
    pub closure_days: Vec<NaiveDate>,
    /// Whether the input itself was weekly (dates a week apart).
    pub weekly_input: bool,
    /// Sales moved from closed days to the next trading day: (lines, units).
    pub moved_lines: usize,
    /// Units moved from closed days.
    pub moved_units: f64,
    /// Days whose dates had sales on a closed weekday.
    pub moved_from: Vec<NaiveDate>,
    /// Units in partial periods (weeks, months, quarters) at the ends, left out of the
    /// series.
    pub partial_week_units: f64,
    /// Starts of the partial periods left out.
    pub partial_weeks: Vec<NaiveDate>,
}

/// Per-SKU totals over the calendar's periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
    /// Period start dates (trading days, or week Mondays).
    pub periods: Vec<NaiveDate>,
    /// Per SKU (index as in the parsed file): the total per period.
    pub totals: Vec<Vec<f64>>,
    /// Per SKU: revenue.
    pub revenue: Vec<f64>,
    /// Per SKU: periods whose net total was negative and was set to zero.
    pub clipped: usize,
    /// What the calendar did.
    pub calendar: Calendar,
    /// The period of the series: the coarser of the file's own and the one asked for.
    pub freq: Frequency,
    /// The first day of the data and, per day from it, the period its sales were
    /// counted in (none in a dropped partial period): what a later cancellation of a
    /// sale must subtract from ([`super::update::Matching`]).
    pub day_period: (Option<NaiveDate>, Vec<Option<usize>>),
}

impl Aggregated {
    /// The period a sale of `day` was counted in.
    pub fn period_of(&self, day: NaiveDate) -> Option<usize> {
        let i = usize::try_from((day - self.day_period.0?).num_days()).ok()?;
        self.day_period.1.get(i).copied().flatten()
    }
}

fn is_weekly_input(days: &[NaiveDate]) -> bool {
    days.len() >= 3 && days.windows(2).all(|w| (w[1] - w[0]).num_days() % 7 == 0)
}

/// Builds the calendar from the days with any line and aggregates `sales` over it.
pub fn aggregate(
    activity: &[NaiveDate],
    sales: &[Sale],
    n_skus: usize,
    freq: Frequency,
) -> Aggregated {
    let mut days: Vec<NaiveDate> = activity.to_vec();
    days.sort_unstable();
    days.dedup();
    let mut cal = Calendar::default();
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Aggregated {
            periods: Vec::new(),
            totals: vec![Vec::new(); n_skus],
            revenue: vec![0.0; n_skus],
            clipped: 0,
            calendar: cal,
            freq,
            day_period: (None, Vec::new()),
        };
    };
    cal.first_day = Some(first);
    cal.last_day = Some(last);
    let span = (last - first).num_days() as usize + 1;
    let day_at = |i: usize| first + Duration::days(i as i64);

    // Day index -> period index, for every day of the span (None = not a trading day).
    let mut day_period: Vec<Option<usize>> = vec![None; span];
    let mut periods: Vec<NaiveDate> = Vec::new();
    let input = input_frequency(&days);
    let target = input.coarser(freq);
    cal.weekly_input = input == Frequency::Weekly;
    if input != Frequency::Daily && matches!(target, Frequency::Monthly | Frequency::Quarterly) {
        // Already whole weeks, months or quarters: every calendar period from the first
        // to the last is a period (a period without rows sold nothing), and no days
        // in between are invented. A week counts in the month of its middle day.
        let shift = if input == Frequency::Weekly { 3 } else { 0 };
        let mut start = target.period_start(first + Duration::days(shift));
        let end = target.period_start(last + Duration::days(shift));
        while start <= end {
            periods.push(start);
            start = target.step(start, 1);
        }
        for (i, slot) in day_period.iter_mut().enumerate() {
            let p = target.period_start(day_at(i) + Duration::days(shift));
            *slot = periods.binary_search(&p).ok();
        }
    } else if input == Frequency::Weekly {
        // As for days: a shop with lines in at least 90 % of its weeks was closed in
        // a week without any (a Christmas break); a quieter one gets every week.
        let weeks = span / 7 + 1;
        let busy = days.len() * 10 >= weeks * 9;
        for i in (0..span).step_by(7) {
            let d = day_at(i);
            if busy && days.binary_search(&d).is_err() {
                cal.closure_days.push(d);
                continue;
            }
            day_period[i] = Some(periods.len());
            periods.push(d);
        }
    } else {
        let mut active = vec![false; span];
        for d in &days {
            active[(*d - first).num_days() as usize] = true;
        }
        let mut occurrences = [0usize; 7];
        let mut active_on = [0usize; 7];
        for (i, &a) in active.iter().enumerate() {
            let w = day_at(i).weekday().num_days_from_monday() as usize;
            occurrences[w] += 1;
            active_on[w] += usize::from(a);
        }
        // A weekday is closed when the shop trades on at most 10 % of them while it
        // trades on most (at least half) of its other days: a clear weekly pattern,
        // not the gaps of a quiet shop.
        let closed: Vec<bool> = (0..7)
            .map(|w| {
                let (occ_other, on_other) = (0..7)
                    .filter(|&o| o != w)
                    .fold((0, 0), |(a, b), o| (a + occurrences[o], b + active_on[o]));
                occurrences[w] >= 4
                    && active_on[w] * 10 <= occurrences[w]
                    && on_other * 2 >= occ_other
            })
            .collect();
        cal.closed_weekdays = (0..7)
            .filter(|&w| closed[w])
            .map(|w| Weekday::try_from(w as u8).unwrap_or(Weekday::Mon))
            .collect();
        let open: Vec<bool> = (0..span)
            .map(|i| !closed[day_at(i).weekday().num_days_from_monday() as usize])
            .collect();
        let n_open = open.iter().filter(|o| **o).count();
        let n_active_open = (0..span).filter(|&i| open[i] && active[i]).count();
        let busy = n_open > 0 && n_active_open * 10 >= n_open * 9;
        let trading: Vec<bool> = (0..span).map(|i| open[i] && (active[i] || !busy)).collect();
        cal.closure_days = (0..span)
            .filter(|&i| open[i] && !trading[i])
            .map(day_at)
            .collect();

        match target {
            Frequency::Daily => {
                for i in 0..span {
                    if trading[i] {
                        day_period[i] = Some(periods.len());
                        periods.push(day_at(i));
                    }
                }
            }
            Frequency::Weekly | Frequency::Monthly | Frequency::Quarterly => {
                // Monday-based weeks, calendar months or quarters of trading days; a
                // period the data covers only partly at either end is left out (it
                // would look like a drop in demand), as is one without trading days.
                let start_of = |d: NaiveDate| match target {
                    Frequency::Weekly => {
                        d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
                    }
                    _ => target.period_start(d),
                };
                let mut start = start_of(first);
                while start <= last {
                    let next = target.step(start, 1);
                    let days_of: Vec<NaiveDate> = (0..(next - start).num_days())
                        .map(|k| start + Duration::days(k))
                        .collect();
                    let complete = days_of.iter().all(|d| {
                        closed[d.weekday().num_days_from_monday() as usize]
                            || (*d >= first && *d <= last)
                    });
                    let any_trading = days_of.iter().any(|d| {
                        *d >= first && *d <= last && trading[(*d - first).num_days() as usize]
                    });
                    if any_trading {
                        if complete {
                            for d in &days_of {
                                if *d >= first && *d <= last {
                                    day_period[(*d - first).num_days() as usize] =
                                        Some(periods.len());
                                }
                            }
                            periods.push(start);
                        } else {
                            cal.partial_weeks.push(start);
                        }
                    }
                    start = next;
                }
                // A sale on a closed day of a kept period stays in its own period.
            }
        }
        // Sales on non-trading days go to the next trading day (previous at the end).
        // Days in a dropped partial week stay unmapped on purpose.
        let partial: Vec<bool> = (0..span)
            .map(|i| {
                let d = day_at(i);
                cal.partial_weeks
                    .iter()
                    .any(|w| d >= *w && d < target.step(*w, 1))
            })
            .collect();
        let sale_days: std::collections::HashSet<NaiveDate> = sales.iter().map(|s| s.day).collect();
        let mut next: Option<usize> = None;
        let mut fill = vec![None; span];
        for i in (0..span).rev() {
            if let Some(p) = day_period[i] {
                next = Some(p);
            } else if !partial[i] {
                fill[i] = next;
            }
        }
        let mut prev = None;
        for i in 0..span {
            if let Some(p) = day_period[i] {
                prev = Some(p);
            } else if !partial[i] && fill[i].is_none() {
                fill[i] = prev;
            }
        }
        for i in 0..span {
            if day_period[i].is_none() && fill[i].is_some() {
                day_period[i] = fill[i];
                if !trading[i] && sale_days.contains(&day_at(i)) {
                    cal.moved_from.push(day_at(i));
                }
            }
        }
        // Count moved sales below, where each sale is placed.
        let moved_days: std::collections::HashSet<NaiveDate> =
            cal.moved_from.iter().copied().collect();
        for s in sales {
            if moved_days.contains(&s.day) {
                cal.moved_lines += 1;
                cal.moved_units += s.qty;
            }
        }
        for s in sales {
            let i = (s.day - first).num_days();
            if i >= 0 && (i as usize) < span && partial[i as usize] {
                cal.partial_week_units += s.qty;
            }
        }
    }

    let mut totals = vec![vec![0.0; periods.len()]; n_skus];
    let mut revenue = vec![0.0; n_skus];
    for s in sales {
        let i = (s.day - first).num_days();
        if i < 0 || i as usize >= span {
            continue;
        }
        if let Some(p) = day_period[i as usize] {
            totals[s.sku as usize][p] += s.qty;
        }
        revenue[s.sku as usize] += s.revenue;
    }
    let mut clipped = 0;
    for t in &mut totals {
        for v in t.iter_mut() {
            if *v < 0.0 {
                *v = 0.0;
                clipped += 1;
            }
        }
    }
    Aggregated {
        periods,
        totals,
        revenue,
        clipped,
        calendar: cal,
        freq: target,
        day_period: (Some(first), day_period),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sale(day: &str, qty: f64) -> Sale {
        Sale {
            day: d(day),
            sku: 0,
            qty,
            revenue: 0.0,
        }
    }

    /// A shop open Monday to Friday and Sunday that once sold on a Saturday and
    /// was closed on one Wednesday.
    fn shop() -> (Vec<NaiveDate>, Vec<Sale>) {
        let mut activity = Vec::new();
        let mut sales = Vec::new();
        let start = d("2024-01-01"); // a Monday
        for i in 0..70 {
            let day = start + Duration::days(i);
            let sat = day.weekday() == Weekday::Sat;
            if (sat && i != 12) || day == d("2024-01-17") {
                continue;
            }
            activity.push(day);
            sales.push(Sale {
                day,
                sku: 0,
                qty: 1.0,
                revenue: 0.0,
            });
        }
        (activity, sales)
    }

    #[test]
    fn daily_calendar() {
        let (activity, sales) = shop();
        let a = aggregate(&activity, &sales, 1, Frequency::Daily);
        assert_eq!(a.calendar.closed_weekdays, vec![Weekday::Sat]);
        assert_eq!(a.calendar.closure_days, vec![d("2024-01-17")]);
        assert_eq!(a.calendar.moved_from, vec![d("2024-01-13")]);
        // The Saturday sale lands on Sunday 14th: 2 units there.
        let sun = a
            .periods
            .iter()
            .position(|p| *p == d("2024-01-14"))
            .unwrap();
        assert_eq!(a.totals[0][sun], 2.0);
        assert_eq!(a.totals[0].iter().sum::<f64>(), sales.len() as f64);
        assert!(!a.periods.contains(&d("2024-01-17")));
    }

    #[test]
    fn weekly_drops_partial_edges() {
        let (mut activity, mut sales) = shop();
        // Start on a Wednesday: the first week is partial.
        activity.retain(|x| *x >= d("2024-01-03"));
        sales.retain(|s| s.day >= d("2024-01-03"));
        let a = aggregate(&activity, &sales, 1, Frequency::Weekly);
        assert_eq!(a.periods.first(), Some(&d("2024-01-08")));
        assert_eq!(a.calendar.partial_weeks.first(), Some(&d("2024-01-01")));
        assert!(a.periods.iter().all(|p| p.weekday() == Weekday::Mon));
        let kept: f64 = a.totals[0].iter().sum();
        assert_eq!(kept + a.calendar.partial_week_units, sales.len() as f64);
        // The first full week holds the Saturday sale moved to Sunday; the third is a
        // plain week of 6 open days.
        assert_eq!(a.totals[0][0], 7.0);
        assert_eq!(a.totals[0][2], 6.0);
    }

    #[test]
    fn weekly_input_kept_as_is() {
        let days: Vec<NaiveDate> = (0..10)
            .map(|i| d("2024-01-07") + Duration::days(7 * i))
            .collect();
        let sales: Vec<Sale> = days
            .iter()
            .map(|x| Sale {
                day: *x,
                sku: 0,
                qty: 3.0,
                revenue: 0.0,
            })
            .collect();
        let a = aggregate(&days, &sales, 1, Frequency::Daily);
        assert!(a.calendar.weekly_input);
        assert_eq!(a.periods.len(), 10);
        assert_eq!(a.totals[0], vec![3.0; 10]);
        // A busy shop's week without any line is a closure, not a zero.
        let mut gap = days.clone();
        gap.remove(4);
        let sales: Vec<Sale> = gap
            .iter()
            .map(|x| Sale {
                day: *x,
                sku: 0,
                qty: 3.0,
                revenue: 0.0,
            })
            .collect();
        let a = aggregate(&gap, &sales, 1, Frequency::Daily);
        assert_eq!(a.periods.len(), 9);
        assert_eq!(a.calendar.closure_days, vec![days[4]]);
    }

    #[test]
    fn quiet_shop_zero_fills() {
        let activity = vec![d("2024-01-01"), d("2024-01-10"), d("2024-01-31")];
        let sales = vec![
            sale("2024-01-01", 1.0),
            sale("2024-01-10", 2.0),
            sale("2024-01-31", -5.0),
        ];
        let a = aggregate(&activity, &sales, 1, Frequency::Daily);
        assert_eq!(a.periods.len(), 31);
        assert!(a.calendar.closure_days.is_empty());
        assert_eq!(a.clipped, 1);
        assert_eq!(a.totals[0][30], 0.0);
    }
}
