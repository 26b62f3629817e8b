//! The series detectors: spikes and dips, level shifts, stock-outs, missing data.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Anomaly, Kind};
use crate::data::quality::median;
use crate::data::{Dataset, Frequency, Series, fmt_qty};

/// Thresholds of the detectors. The defaults were chosen on the injected anomalies of
/// the validation half of the SKUs ([`super::inject`]); the figures reported are on the
/// other half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Robust z-score of `ln(1 + demand)` against the seasonal decomposition beyond
    /// which a period is a spike or a dip (and a level step's z-score must pass too).
    pub spike_z: f64,
    /// Smallest ratio between the levels after and before a level shift.
    pub shift_ratio: f64,
    /// A zero run is a stock-out when −log10 of its chance, given the SKU's share of
    /// zero periods around it and counted once per place a run could start
    /// (Bonferroni), is at least this.
    pub stockout_score: f64,
    /// A period whose shop-wide units are below this share of the usual is missing data.
    pub missing_share: f64,
    /// Robust z-score of the autoencoder's reconstruction error beyond which a period
    /// is a spike or a dip ([`from_reconstruction`]; 5 was the best spike F1 on the
    /// validation half of `bench-anomalies --autoencoder`).
    pub autoencoder_z: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            spike_z: 4.5,
            shift_ratio: 1.8,
            stockout_score: 3.0,
            missing_share: 0.2,
            autoencoder_z: 5.0,
        }
    }
}

/// The spacing of "the same period" for local means: the trading week for daily data
/// (the same weekday), the neighbouring period otherwise.
pub(crate) fn local_period(ds: &Dataset) -> usize {
    if ds.frequency() == Frequency::Daily {
        ds.season().max(1)
    } else {
        1
    }
}

/// Neighbours on each side averaged by [`local_expected`].
const NEIGHBOURS: usize = 4;

/// The expected demand at each masked index: the mean of the nearest unmasked values
/// `period` apart (the same weekday of the weeks around, for daily data), at least
/// `2 × 4` of them where the series has them. Unmasked indices keep their value.
/// Indices in `avoid` (the SKU's extreme spikes: one bulk order would dominate a mean
/// of eight days) keep their value but are not used as neighbours.
///
/// A seasonal local mean rather than a fitted model's forecast: it needs no history
/// before the gap (a stock-out in a SKU's first weeks), uses the demand after the gap
/// as well as before, and keeps intermittent demand's mean (a log-scale decomposition
/// would put a mostly-zero SKU's expected demand near zero).
// (index loops: the index takes part in the arithmetic, as in the formulas)
#[allow(clippy::needless_range_loop)]
pub fn local_expected(values: &[f64], mask: &[bool], avoid: &[usize], period: usize) -> Vec<f64> {
    let n = values.len();
    let period = period.max(1);
    let mut skip: Vec<bool> = mask.to_vec();
    skip.resize(n, false);
    for &i in avoid {
        if let Some(x) = skip.get_mut(i) {
            *x = true;
        }
    }
    let unmasked: Vec<f64> = values
        .iter()
        .zip(&skip)
        .filter(|(_, m)| !**m)
        .map(|(v, _)| *v)
        .collect();
    let overall = if unmasked.is_empty() {
        0.0
    } else {
        unmasked.iter().sum::<f64>() / unmasked.len() as f64
    };
    let mut out = values.to_vec();
    for i in 0..n {
        if !mask.get(i).copied().unwrap_or(false) {
            continue;
        }
        let (mut sum, mut cnt) = (0.0, 0usize);
        let mut k = 1;
        while cnt < 2 * NEIGHBOURS && k * period < n {
            if let Some(j) = i.checked_sub(k * period)
                && !skip[j]
            {
                sum += values[j];
                cnt += 1;
            }
            let j = i + k * period;
            if j < n && !skip[j] {
                sum += values[j];
                cnt += 1;
            }
            k += 1;
        }
        out[i] = if cnt > 0 { sum / cnt as f64 } else { overall };
    }
    out
}

/// A robust spread: 1.4826 × MAD, or 1.2533 × the mean absolute deviation when the MAD
/// is 0 (Iglewicz & Hoaglin's modified z-score).
fn robust_scale(resid: &[f64]) -> f64 {
    let mut r: Vec<f64> = resid.iter().copied().filter(|x| x.is_finite()).collect();
    if r.is_empty() {
        return 0.0;
    }
    let med = median(&mut r);
    let mut dev: Vec<f64> = r.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&mut dev);
    if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * dev.iter().sum::<f64>() / dev.len() as f64
    }
}

/// An expected quantity as the merchant reads it: whole units from 10 up.
pub(crate) fn about(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn odd(n: usize) -> usize {
    if n.is_multiple_of(2) { n + 1 } else { n }
}

/// `ln(1 + demand)` split into a baseline (trend + season) and the season alone:
/// robust STL where the series holds two seasons, else a centred running median.
fn decompose(y: &[f64], season: usize, local: usize) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    if season >= 2 && n >= 2 * season + 2 {
        // STL's own trend length for a 7-point seasonal smoother, but at least four
        // weeks, so a two-week stock-out or a step is not absorbed by the trend.
        let default_nt = (1.5 * season as f64 / (1.0 - 1.5 / 7.0)).ceil() as usize;
        let nt = odd(default_nt.max(4 * local + 1));
        if let Ok(fit) = stlrs::params()
            .seasonal_length(7)
            .trend_length(nt)
            .robust(true)
            .fit(y, season)
        {
            let base: Vec<f64> = fit
                .trend()
                .iter()
                .zip(fit.seasonal())
                .map(|(t, s)| t + s)
                .collect();
            if base.iter().all(|b| b.is_finite()) {
                return (base, fit.seasonal().to_vec());
            }
        }
    }
    let half = (3 * local).max(3);
    let base = (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            median(&mut y[lo..hi].to_vec())
        })
        .collect();
    (base, vec![0.0; n])
}

/// Periods per 90 days, for the age weighting of [`Anomaly::impact`].
fn recency(ds: &Dataset, end_period: usize) -> f64 {
    let last = ds.periods.len().saturating_sub(1);
    let age_days = last.saturating_sub(end_period) as f64 * ds.period_days();
    0.5f64.powf(age_days / 90.0)
}

/// Spikes and dips from an autoencoder's reconstruction of each series
/// (`recon[i][t]` = (expected units, error in the decoder's s.d.) for series `i`,
/// period `t`, NaN where not reconstructed; the neural scenario model computes it).
/// Each SKU's errors are scaled by their own robust spread (median and MAD), so a SKU
/// the model reconstructs poorly everywhere is not flagged everywhere; a period is a
/// spike at z ≥ `z` and at least twice the reconstruction + 2 units, a dip at z ≤ −`z`,
/// at most a tenth of a reconstruction of 5 or more. Periods `existing` already flags
/// for the SKU, and the shop's missing periods, are left to those flags.
pub fn from_reconstruction(
    ds: &Dataset,
    recon: &[Vec<(f64, f64)>],
    z: f64,
    existing: &[Anomaly],
) -> Vec<Anomaly> {
    let mut taken: std::collections::HashSet<(&str, usize)> = std::collections::HashSet::new();
    let mut shop_missing: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for a in existing {
        for p in a.start..a.start + a.len.max(1) {
            match &a.sku {
                Some(s) => {
                    taken.insert((s.as_str(), p));
                }
                None => {
                    shop_missing.insert(p);
                }
            }
        }
    }
    let u = ds.frequency().unit();
    let mut out = Vec::new();
    for (s, r) in ds.series.iter().zip(recon) {
        let v = &s.values;
        if r.len() != v.len() {
            continue;
        }
        let errors: Vec<f64> = r.iter().map(|x| x.1).collect();
        let finite: Vec<f64> = errors.iter().copied().filter(|e| e.is_finite()).collect();
        if finite.len() < 8 {
            continue;
        }
        let mut sorted = finite.clone();
        let med = median(&mut sorted);
        let scale = robust_scale(&finite).max(0.05);
        let dates = s.dates(ds);
        for (i, &(exp, e)) in r.iter().enumerate() {
            let p = s.start + i;
            if !e.is_finite() || taken.contains(&(s.sku.as_str(), p)) || shop_missing.contains(&p) {
                continue;
            }
            let zi = (e - med) / scale;
            let kind = if zi >= z && v[i] >= 2.0 * exp + 2.0 {
                Kind::Spike
            } else if zi <= -z && exp >= 5.0 && v[i] <= 0.1 * exp {
                Kind::Dip
            } else {
                continue;
            };
            out.push(Anomaly {
                sku: Some(s.sku.clone()),
                kind,
                start: p,
                len: 1,
                dates: vec![dates[i]],
                score: zi.abs(),
                observed: v[i],
                expected: exp,
                impact: (v[i] - exp).abs() * recency(ds, p),
                reason: format!(
                    "autoencoder: {} units where the model trained on the shop's windows reconstructs about {} from this {u}'s window (error z {:.1}, against the SKU's usual errors)",
                    fmt_qty(v[i]),
                    about(exp),
                    zi
                ),
                line: None,
            });
        }
    }
    out
}

/// Everything the series detectors flag in `ds`: the shop-wide missing periods first,
/// then each SKU's stock-outs, spikes and dips, level shifts (skipping the periods
/// the shop as a whole is missing, so a lost week is one flag, not one per SKU).
/// Natively the SKUs are spread over every core.
pub fn detect(ds: &Dataset, settings: &Settings) -> Vec<Anomaly> {
    let local = local_period(ds);
    let (mut out, shop_mask) = detect_missing(ds, settings, local);
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let per = crate::par::par_map(&ds.series, threads, |s| {
        detect_series(ds, s, &shop_mask, local, settings)
    });
    out.extend(per.into_iter().flatten());
    out
}

fn unit(ds: &Dataset) -> &'static str {
    ds.frequency().unit()
}

/// Shop-wide missing data: periods whose total is far below the usual total around
/// them, and runs of three or more open days without any line (outside the Christmas
/// and New Year fortnight, when closing is normal).
fn detect_missing(ds: &Dataset, settings: &Settings, local: usize) -> (Vec<Anomaly>, Vec<bool>) {
    let np = ds.periods.len();
    let mut totals = vec![0.0; np];
    for s in &ds.series {
        for (i, v) in s.values.iter().enumerate() {
            if let Some(t) = totals.get_mut(s.start + i) {
                *t += v;
            }
        }
    }
    let mut out = Vec::new();
    let mut mask = vec![false; np];
    if np >= 4 * local.max(2) {
        let y: Vec<f64> = totals.iter().map(|t| t.ln_1p()).collect();
        let half = 2 * local.max(3);
        let roll: Vec<f64> = (0..np)
            .map(|i| {
                let lo = i.saturating_sub(half);
                let hi = (i + half + 1).min(np);
                median(&mut y[lo..hi].to_vec())
            })
            .collect();
        let mut seasonal = vec![0.0; local.max(1)];
        if local > 1 {
            for (p, s) in seasonal.iter_mut().enumerate() {
                let mut d: Vec<f64> = (p..np).step_by(local).map(|i| y[i] - roll[i]).collect();
                *s = median(&mut d);
            }
        }
        let expected: Vec<f64> = (0..np)
            .map(|i| (roll[i] + seasonal[i % local.max(1)]).exp_m1().max(0.0))
            .collect();
        let low: Vec<bool> = (0..np)
            .map(|i| expected[i] >= 10.0 && totals[i] < settings.missing_share * expected[i])
            .collect();
        let mut i = 0;
        while i < np {
            if !low[i] {
                i += 1;
                continue;
            }
            let a = i;
            while i < np && low[i] {
                i += 1;
            }
            let obs: f64 = totals[a..i].iter().sum();
            let exp: f64 = expected[a..i].iter().sum();
            mask[a..i].iter_mut().for_each(|m| *m = true);
            let u = unit(ds);
            let reason = format!(
                "the whole shop sold {} units in {} {u}{} from {}, {:.0} % of the usual {}: orders may be missing from the export",
                fmt_qty(obs),
                i - a,
                if i - a == 1 { "" } else { "s" },
                ds.periods[a],
                100.0 * obs / exp.max(1e-9),
                about(exp)
            );
            out.push(Anomaly {
                sku: None,
                kind: Kind::Missing,
                start: a,
                len: i - a,
                dates: ds.periods[a..i].to_vec(),
                score: ((exp + 1.0) / (obs + 1.0)).ln(),
                observed: obs,
                expected: exp,
                impact: (exp - obs) * recency(ds, i - 1),
                reason,
                line: None,
            });
        }
    }
    // Open days without any line: the calendar took them as closures.
    let cal = &ds.report.calendar;
    let closed = &cal.closed_weekdays;
    let mut runs: Vec<Vec<NaiveDate>> = Vec::new();
    for &d in &cal.closure_days {
        let joins = runs.last().and_then(|r| r.last()).is_some_and(|&prev| {
            let mut x = prev.succ_opt();
            while let Some(day) = x {
                if day >= d || !closed.contains(&day.weekday()) {
                    break;
                }
                x = day.succ_opt();
            }
            x == Some(d)
        });
        if joins {
            if let Some(r) = runs.last_mut() {
                r.push(d);
            }
        } else {
            runs.push(vec![d]);
        }
    }
    let holiday =
        |d: &NaiveDate| (d.month() == 12 && d.day() >= 20) || (d.month() == 1 && d.day() <= 6);
    let daily_total = totals.iter().sum::<f64>() / np.max(1) as f64;
    for r in runs {
        if r.len() < 3 || r.iter().all(holiday) || ds.frequency() != Frequency::Daily {
            continue;
        }
        let first = r[0];
        let last = *r.last().unwrap_or(&first);
        let start = ds.periods.partition_point(|p| *p < first);
        let exp = daily_total * r.len() as f64;
        out.push(Anomaly {
            sku: None,
            kind: Kind::Missing,
            start,
            len: 0,
            score: r.len() as f64,
            observed: 0.0,
            expected: exp,
            impact: exp * recency(ds, start),
            reason: format!(
                "no line at all on {} open days from {first} to {last}: the shop was closed, or these days are missing from the export",
                r.len()
            ),
            dates: r,
            line: None,
        });
    }
    (out, mask)
}

fn detect_series(
    ds: &Dataset,
    s: &Series,
    shop_mask: &[bool],
    local: usize,
    settings: &Settings,
) -> Vec<Anomaly> {
    let v = &s.values;
    let n = v.len();
    let mut out = Vec::new();
    if n < 3 * local.max(7) {
        return out;
    }
    let u = unit(ds);
    let shop: Vec<bool> = (0..n)
        .map(|i| shop_mask.get(s.start + i).copied().unwrap_or(false))
        .collect();
    let dates = s.dates(ds);
    let anomaly = |kind: Kind, a: usize, len: usize, score: f64, obs: f64, exp: f64| Anomaly {
        sku: Some(s.sku.clone()),
        kind,
        start: s.start + a,
        len,
        dates: dates[a..(a + len).min(n)].to_vec(),
        score,
        observed: obs,
        expected: exp,
        impact: (obs - exp).abs() * recency(ds, s.start + (a + len).saturating_sub(1)),
        reason: String::new(),
        line: None,
    };

    // Stock-outs: zero runs improbable for the SKU's share of zero periods around them.
    let spikes: Vec<usize> = s.quality.flags.iter().map(|f| f.index).collect();
    let mut masked = shop.clone();
    let mut i = 0;
    while i < n {
        if v[i] > 0.0 {
            i += 1;
            continue;
        }
        let a = i;
        while i < n && v[i] <= 0.0 {
            i += 1;
        }
        let (b, len) = (i, i - a);
        let in_shop = shop[a..b].iter().filter(|m| **m).count();
        if len < 2 || in_shop * 2 >= len {
            continue;
        }
        // Longer than eight weeks is a SKU not sold for a season (or any more), not a
        // stock-out: nothing before it says which.
        let max_run = if local > 1 { 8 * local } else { 8 };
        if len > max_run {
            continue;
        }
        let reach = 8 * local.max(2);
        let side = |r: std::ops::Range<usize>| -> Option<f64> {
            let idx: Vec<usize> = r.filter(|&j| !shop[j]).collect();
            (idx.len() >= 4).then(|| {
                let zeros = idx.iter().filter(|&&j| v[j] <= 0.0).count();
                (zeros as f64 + 0.5) / (idx.len() as f64 + 1.0)
            })
        };
        // The run must be improbable for the rate on each side it has (a seasonal SKU
        // that starts selling after the run is not judged by its busy season alone).
        let p0 = match (
            side(a.saturating_sub(reach)..a),
            side(b..(b + reach).min(n)),
        ) {
            (Some(x), Some(y)) => x.max(y),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => continue,
        };
        let score = -((len - in_shop) as f64) * p0.log10() - (n as f64).log10();
        if score < settings.stockout_score {
            continue;
        }
        let mut run_mask = shop.clone();
        run_mask[a..b].iter_mut().for_each(|m| *m = true);
        let exp: f64 = local_expected(v, &run_mask, &spikes, local)[a..b]
            .iter()
            .sum();
        if exp < 3.0 {
            continue;
        }
        masked[a..b].iter_mut().for_each(|m| *m = true);
        let pct = 100.0 * (1.0 - p0);
        let mut an = anomaly(Kind::Stockout, a, len, score, 0.0, exp);
        an.reason = if b == n {
            format!(
                "no sale in the last {len} {u}s (from {}) although it sold in {pct:.0} % of the {u}s before: about {} units expected — out of stock, or no longer sold",
                dates[a],
                about(exp)
            )
        } else {
            format!(
                "no sale for {len} {u}s ({} to {}) although it sold in at least {pct:.0} % of the {u}s on either side: about {} units of demand likely lost to a stock-out",
                dates[a],
                dates[b - 1],
                about(exp)
            )
        };
        out.push(an);
    }

    let zero_share = v.iter().filter(|x| **x <= 0.0).count() as f64 / n as f64;
    let season = if ds.frequency() == Frequency::Daily {
        local
    } else {
        ds.season()
    };
    if zero_share > 0.5 {
        // Sparse: a sale far larger than the SKU's usual sale.
        let mut sizes: Vec<f64> = v.iter().copied().filter(|x| *x > 0.0).collect();
        let usual = median(&mut sizes);
        for f in crate::data::quality::flag_spikes(v, settings.spike_z) {
            if masked[f.index] || f.value < 3.0 * usual {
                continue;
            }
            let mut an = anomaly(Kind::Spike, f.index, 1, f.score, f.value, usual);
            an.reason = format!(
                "{} units in one {u}, {:.0}× the SKU's usual sale of {} (robust z {:.1} of log sizes)",
                fmt_qty(f.value),
                f.value / usual.max(1e-9),
                about(usual),
                f.score
            );
            out.push(an);
        }
        return out;
    }

    // Dense: residuals of a robust seasonal decomposition of ln(1 + demand), with the
    // stock-outs and missing periods replaced by their expected demand first.
    let filled = local_expected(v, &masked, &spikes, local);
    let y: Vec<f64> = filled.iter().map(|x| x.max(0.0).ln_1p()).collect();
    let (base, seasonal) = decompose(&y, season, local);
    let resid: Vec<f64> = (0..n)
        .map(|i| if masked[i] { f64::NAN } else { y[i] - base[i] })
        .collect();
    let scale = robust_scale(&resid).max(0.05);
    for i in 0..n {
        if masked[i] {
            continue;
        }
        let z = resid[i] / scale;
        let exp = base[i].exp_m1().max(0.0);
        if z >= settings.spike_z && v[i] >= 2.0 * exp + 2.0 {
            let mut an = anomaly(Kind::Spike, i, 1, z, v[i], exp);
            an.reason = format!(
                "{} units against about {} expected for this {u} ({:.1}×; robust z {z:.1})",
                fmt_qty(v[i]),
                about(exp),
                v[i] / exp.max(1e-9)
            );
            out.push(an);
        } else if z <= -settings.spike_z
            && exp >= 5.0
            && v[i] <= 0.1 * exp
            // A zero day is only a dip for a SKU that almost never has one (else it
            // is the SKU's ordinary intermittency).
            && (v[i] > 0.0 || zero_share < 0.02)
        {
            let mut an = anomaly(Kind::Dip, i, 1, -z, v[i], exp);
            an.reason = format!(
                "{} units against about {} expected for this {u} (robust z {z:.1})",
                fmt_qty(v[i]),
                about(exp)
            );
            out.push(an);
        }
    }

    // Level shifts on the seasonally adjusted log series: the medians of `w` periods
    // either side differ by the ratio, the step is sharp (the halves next to it differ
    // too) and each side is flat (a step, not a seasonal ramp).
    let w = if local > 1 { 4 * local } else { 8 };
    if n < 2 * w + 2 {
        return out;
    }
    let adj: Vec<f64> = (0..n)
        .map(|i| {
            if masked[i] {
                f64::NAN
            } else {
                y[i] - seasonal[i]
            }
        })
        .collect();
    let med_of = |lo: usize, hi: usize| -> Option<f64> {
        let mut x: Vec<f64> = adj[lo..hi]
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        (x.len() * 2 >= hi - lo).then(|| median(&mut x))
    };
    let units = |m: f64| m.exp_m1().max(0.0) + 0.5;
    let log_ratio = settings.shift_ratio.ln();
    let mut cands: Vec<(usize, f64, f64, f64, f64)> = Vec::new();
    for t in w..=n - w {
        let (Some(mb), Some(ma)) = (med_of(t - w, t), med_of(t, t + w)) else {
            continue;
        };
        let step = (units(ma) / units(mb)).ln();
        if step.abs() < log_ratio {
            continue;
        }
        let h = w / 2;
        let (Some(b1), Some(b2), Some(a1), Some(a2)) = (
            med_of(t - w, t - h),
            med_of(t - h, t),
            med_of(t, t + h),
            med_of(t + h, t + w),
        ) else {
            continue;
        };
        let sharp = (units(a1) / units(b2)).ln().abs() >= log_ratio;
        let flat = (units(b2) / units(b1)).ln().abs() < 0.5 * step.abs()
            && (units(a2) / units(a1)).ln().abs() < 0.5 * step.abs();
        if !sharp || !flat {
            continue;
        }
        let resid: Vec<f64> = adj[t - w..t]
            .iter()
            .map(|x| x - mb)
            .chain(adj[t..t + w].iter().map(|x| x - ma))
            .collect();
        let se = 1.2533 * robust_scale(&resid).max(0.05) * (2.0 / w as f64).sqrt();
        let z = (ma - mb).abs() / se;
        if z >= settings.spike_z {
            cands.push((t, step, z, units(mb) - 0.5, units(ma) - 0.5));
        }
    }
    cands.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let mut taken: Vec<usize> = Vec::new();
    for (t, step, z, before, after) in cands {
        if taken.iter().any(|&k| k.abs_diff(t) < w) {
            continue;
        }
        taken.push(t);
        let obs: f64 = v[t..].iter().sum();
        let exp = before * (n - t) as f64;
        let mut an = anomaly(Kind::LevelShift, t, 1, z, obs, exp);
        an.impact = (obs - exp).abs() * recency(ds, s.start + n - 1);
        an.reason = format!(
            "the level {} from about {} to about {} a {u} at {} ({:.1}×) and stayed there",
            if step > 0.0 { "rose" } else { "fell" },
            about(before),
            about(after),
            dates[t],
            step.exp()
        );
        out.push(an);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_expected_uses_the_same_weekday_around_the_gap() {
        let v: Vec<f64> = (0..70)
            .map(|i| if i % 7 == 3 { 20.0 } else { 5.0 })
            .collect();
        let mut mask = vec![false; 70];
        mask[28..42].iter_mut().for_each(|m| *m = true);
        let e = local_expected(&v, &mask, &[], 7);
        assert_eq!(e[31], 20.0);
        assert_eq!(e[30], 5.0);
        assert_eq!(e[10], v[10]);
        // Nothing unmasked: the mean of nothing is 0, not NaN.
        assert_eq!(
            local_expected(&[1.0, 2.0], &[true, true], &[], 1),
            vec![0.0, 0.0]
        );
        // A bulk order next to the gap is not part of the mean.
        let mut w = vec![4.0; 20];
        w[9] = 400.0;
        let e = local_expected(
            &w,
            &[
                false, false, false, false, false, false, false, false, false, false, true,
            ],
            &[9],
            1,
        );
        assert_eq!(e[10], 4.0);
    }
}
