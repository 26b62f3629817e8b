//! Measuring the detectors: anomalies of every kind injected into real series by a
//! seeded generator, with their labels, and precision and recall per kind.
//!
//! The real series have anomalies of their own that nobody labelled, so a flag that
//! matches no injected anomaly counts against precision even when it is right: the
//! precision reported is a lower bound. The false-alarm rate is measured on the SKUs
//! left untouched (flags per 1,000 SKU-periods), with the same caveat.

use serde::{Deserialize, Serialize};

use super::{Anomaly, Kind};
use crate::data::Dataset;
use crate::rng::SplitMix;

/// One injected anomaly: its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Injected {
    /// The SKU, `None` for the whole shop (a lost week).
    pub sku: Option<String>,
    /// What was injected.
    pub kind: Kind,
    /// First period (index into [`Dataset::periods`]).
    pub start: usize,
    /// Periods.
    pub len: usize,
    /// The factor applied (spikes, level shifts; 0 for zeroed periods).
    pub factor: f64,
}

/// Which SKUs an injection touched, and which it left alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Injection {
    /// The labels.
    pub labels: Vec<Injected>,
    /// SKUs with an injected anomaly, with the half each is in (0: validation, where
    /// the thresholds were chosen; 1: test, where they are reported).
    pub touched: Vec<(String, u8)>,
    /// SKUs considered and left untouched (for the false-alarm rate).
    pub untouched: Vec<String>,
}

/// Injects anomalies into the `top` best-selling SKUs with at least 200 periods of
/// history: half of them (drawn by `seed`) get one each — a spike (×5 to ×20), a level
/// shift (×0.4, ×0.5, ×2, ×2.5 or ×3 from a point to the end), or a stock-out (7 to 21
/// periods of zeros; 2 to 4 for weekly data), in turn — and the whole shop loses two
/// weeks of data (every SKU zero). Everything stays before the last `keep_clean`
/// periods (a held-out part for forecast accuracy), except a level shift's new level.
pub fn inject(ds: &Dataset, seed: u64, top: usize, keep_clean: usize) -> (Dataset, Injection) {
    let mut out = ds.clone();
    let mut r = SplitMix::new(seed);
    let local = super::detect::local_period(ds);
    let np = ds.periods.len();
    let end = np.saturating_sub(keep_clean);
    let mut labels = Vec::new();
    let mut touched = Vec::new();
    let mut untouched = Vec::new();
    let kinds = [Kind::Spike, Kind::LevelShift, Kind::Stockout];
    let mut next_kind = 0usize;
    // Two lost weeks for the whole shop, apart from each other; the SKUs' anomalies
    // are placed clear of them.
    let week = local.max(1);
    let mut lost: Vec<usize> = Vec::new();
    if end > np / 4 + 2 * week {
        let mut tries = 0;
        while lost.len() < 2 && tries < 1000 {
            tries += 1;
            let a = np / 4 + r.below(end - np / 4 - week);
            if lost.iter().all(|b| b.abs_diff(a) > 4 * week) {
                lost.push(a);
            }
        }
    }
    let clear = |a: usize, len: usize| {
        lost.iter()
            .all(|&l| a + len + week <= l || l + 2 * week <= a)
    };
    let eligible: Vec<usize> = (0..out.series.len())
        .filter(|&i| out.series[i].values.len() >= 200)
        .take(top)
        .collect();
    for (rank, &si) in eligible.iter().enumerate() {
        let s = &mut out.series[si];
        if r.uniform() < 0.5 {
            untouched.push(s.sku.clone());
            continue;
        }
        let n = s.values.len();
        let n_end = end.saturating_sub(s.start).min(n);
        let first = n / 4;
        let kind = kinds[next_kind % kinds.len()];
        next_kind += 1;
        let w = if local > 1 { 4 * local } else { 8 };
        let (at, len, factor) = match kind {
            Kind::Spike => {
                if n_end <= first + 1 {
                    continue;
                }
                let at = first + r.below(n_end - first);
                if !clear(s.start + at, 1) {
                    continue;
                }
                let factor = 5.0 + 15.0 * r.uniform();
                let mask: Vec<bool> = (0..n).map(|i| i == at).collect();
                let base = s.values[at]
                    .max(super::detect::local_expected(&s.values, &mask, &[], local)[at].max(1.0));
                s.values[at] = (base * factor).round();
                (at, 1, factor)
            }
            Kind::LevelShift => {
                if n_end <= first + 2 * w {
                    continue;
                }
                let at = first + r.below(n_end - first - w);
                let factor = [0.4, 0.5, 2.0, 2.5, 3.0][r.below(5)];
                for v in &mut s.values[at..] {
                    *v = (*v * factor).round();
                }
                (at, 1, factor)
            }
            _ => {
                let len = if local > 1 {
                    7 + r.below(15)
                } else {
                    2 + r.below(3)
                };
                if n_end <= first + len {
                    continue;
                }
                let at = first + r.below(n_end - first - len);
                if !clear(s.start + at, len) {
                    continue;
                }
                s.values[at..at + len].iter_mut().for_each(|v| *v = 0.0);
                (at, len, 0.0)
            }
        };
        labels.push(Injected {
            sku: Some(s.sku.clone()),
            kind,
            start: s.start + at,
            len,
            factor,
        });
        touched.push((s.sku.clone(), (rank % 2) as u8));
    }
    for a in lost {
        for s in &mut out.series {
            for p in a..a + week {
                if p >= s.start
                    && let Some(v) = s.values.get_mut(p - s.start)
                {
                    *v = 0.0;
                }
            }
        }
        labels.push(Injected {
            sku: None,
            kind: Kind::Missing,
            start: a,
            len: week,
            factor: 0.0,
        });
    }
    for s in &mut out.series {
        s.units = s.values.iter().sum();
    }
    (
        out,
        Injection {
            labels,
            touched,
            untouched,
        },
    )
}

/// Precision and recall of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KindScore {
    /// The kind.
    pub kind: Kind,
    /// Anomalies of this kind injected.
    pub injected: usize,
    /// Of those, found by a flag of the same kind.
    pub found: usize,
    /// Flags of this kind on the touched SKUs (and the shop).
    pub flags: usize,
    /// Of those, flags that match an injected anomaly of the same kind.
    pub true_flags: usize,
    /// Flags of this kind on the touched SKUs that the original data does not have
    /// (same SKU, kind and first period): the detector's response to the injection.
    pub new_flags: usize,
    /// Of those, flags that match an injected anomaly.
    pub new_true_flags: usize,
}

impl KindScore {
    /// Found / injected.
    pub fn recall(&self) -> f64 {
        self.found as f64 / self.injected.max(1) as f64
    }
    /// True flags / flags (a lower bound: real, unlabelled anomalies count as false).
    pub fn precision(&self) -> f64 {
        if self.flags == 0 {
            f64::NAN
        } else {
            self.true_flags as f64 / self.flags as f64
        }
    }
    /// Precision among the flags the injection brought (flags the original data
    /// already had are left out: they are the data's own anomalies, or the
    /// detector's false alarms, which the untouched SKUs' rate measures).
    pub fn new_precision(&self) -> f64 {
        if self.new_flags == 0 {
            f64::NAN
        } else {
            self.new_true_flags as f64 / self.new_flags as f64
        }
    }
}

/// The scores of one evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Per injected kind.
    pub kinds: Vec<KindScore>,
    /// Flags per 1,000 SKU-periods on the untouched SKUs, per kind (every kind).
    pub false_alarms: Vec<(Kind, f64)>,
    /// SKU-periods of the untouched SKUs.
    pub untouched_periods: usize,
}

fn matches(f: &Anomaly, g: &Injected, local: usize) -> bool {
    if f.kind != g.kind || f.sku != g.sku {
        return false;
    }
    if g.kind == Kind::LevelShift {
        return f.start.abs_diff(g.start) <= 2 * local.max(2);
    }
    let (fa, fb) = (f.start, f.start + f.len.max(1));
    let (ga, gb) = (g.start, g.start + g.len.max(1));
    fa <= gb && ga <= fb
}

/// Scores `flags` (detected on the injected dataset) against the labels, on the
/// touched SKUs of `half` (0 validation, 1 test; `None` both) and the shop-wide ones;
/// `original` are the flags of the data before injection.
pub fn evaluate(
    ds: &Dataset,
    flags: &[Anomaly],
    original: &[Anomaly],
    inj: &Injection,
    half: Option<u8>,
) -> Evaluation {
    let before: std::collections::HashSet<(Option<&str>, Kind, usize)> = original
        .iter()
        .map(|f| (f.sku.as_deref(), f.kind, f.start))
        .collect();
    let is_new = |f: &Anomaly| !before.contains(&(f.sku.as_deref(), f.kind, f.start));
    let local = super::detect::local_period(ds);
    let in_half = |sku: &Option<String>| match sku {
        None => true,
        Some(s) => inj
            .touched
            .iter()
            .any(|(t, h)| t == s && half.is_none_or(|x| x == *h)),
    };
    let mut kinds = Vec::new();
    for kind in [Kind::Spike, Kind::LevelShift, Kind::Stockout, Kind::Missing] {
        let labels: Vec<&Injected> = inj
            .labels
            .iter()
            .filter(|g| g.kind == kind && in_half(&g.sku))
            .collect();
        let fl: Vec<&Anomaly> = flags
            .iter()
            .filter(|f| f.kind == kind && in_half(&f.sku))
            .collect();
        kinds.push(KindScore {
            kind,
            injected: labels.len(),
            found: labels
                .iter()
                .filter(|g| fl.iter().any(|f| matches(f, g, local)))
                .count(),
            flags: fl.len(),
            true_flags: fl
                .iter()
                .filter(|f| labels.iter().any(|g| matches(f, g, local)))
                .count(),
            new_flags: fl.iter().filter(|f| is_new(f)).count(),
            new_true_flags: fl
                .iter()
                .filter(|f| is_new(f) && labels.iter().any(|g| matches(f, g, local)))
                .count(),
        });
    }
    let untouched_periods: usize = ds
        .series
        .iter()
        .filter(|s| inj.untouched.contains(&s.sku))
        .map(|s| s.values.len())
        .sum();
    let false_alarms = Kind::ALL
        .iter()
        .filter(|k| **k != Kind::Missing && **k != Kind::Order)
        .map(|&k| {
            let n = flags
                .iter()
                .filter(|f| {
                    f.kind == k && f.sku.as_ref().is_some_and(|s| inj.untouched.contains(s))
                })
                .count();
            (k, 1000.0 * n as f64 / untouched_periods.max(1) as f64)
        })
        .collect();
    Evaluation {
        kinds,
        false_alarms,
        untouched_periods,
    }
}

/// The dataset without its last `h` periods, and those periods' values per series
/// (empty for a series that starts inside them).
pub fn hold_out(ds: &Dataset, h: usize) -> (Dataset, Vec<Vec<f64>>) {
    let mut train = ds.clone();
    let cut = ds.periods.len().saturating_sub(h);
    train.periods.truncate(cut);
    let mut tests = Vec::new();
    let mut keep = Vec::new();
    for s in &ds.series {
        if s.start + 1 >= cut {
            continue;
        }
        let k = cut - s.start;
        let mut t = s.clone();
        tests.push(t.values.split_off(k));
        t.units = t.values.iter().sum();
        keep.push(t);
    }
    train.series = keep;
    (train, tests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, LoadOptions};

    #[test]
    fn injection_is_seeded_labelled_and_found() {
        let mut csv = String::from("date,sku,quantity\n");
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut r = SplitMix::new(9);
        for k in 0..12 {
            for i in 0..364 {
                let wd = [1.0, 1.1, 1.0, 0.9, 1.2, 1.4, 0.6][i % 7];
                let q = ((10.0 + 3.0 * k as f64) * wd * (1.0 + 0.2 * r.normal())).round();
                csv.push_str(&format!(
                    "{},S{k},{}\n",
                    start + chrono::Duration::days(i as i64),
                    q.max(0.0)
                ));
            }
        }
        let ds = data::load(
            "t.csv",
            csv.as_bytes(),
            &LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let (a, ia) = inject(&ds, 7, 12, 28);
        let (b, ib) = inject(&ds, 7, 12, 28);
        assert_eq!(a, b);
        assert_eq!(ia, ib);
        assert!(ia.labels.iter().filter(|l| l.sku.is_none()).count() == 2);
        assert!(
            ia.labels
                .iter()
                .all(|l| l.start + l.len <= 364 - 28 || l.kind == Kind::LevelShift)
        );
        let flags = super::super::detect(&a, &super::super::Settings::default());
        let original = super::super::detect(&ds, &super::super::Settings::default());
        let ev = evaluate(&a, &flags, &original, &ia, None);
        let injected: usize = ev.kinds.iter().map(|k| k.injected).sum();
        let found: usize = ev.kinds.iter().map(|k| k.found).sum();
        assert!(injected >= 5);
        // Clean synthetic series: everything injected is found, nothing else flagged.
        assert_eq!(found, injected, "{ev:#?}\n{flags:#?}");
        let flagged: usize = ev.kinds.iter().map(|k| k.flags).sum();
        let true_flags: usize = ev.kinds.iter().map(|k| k.true_flags).sum();
        assert_eq!(flagged, true_flags, "{ev:#?}\n{flags:#?}");
        // Noise alone (20 % Gaussian, rounded) flags at most 1 in 1,000 SKU-periods.
        assert!(ev.false_alarms.iter().all(|(_, r)| *r <= 1.0), "{ev:#?}");
        let (train, tests) = hold_out(&ds, 28);
        assert_eq!(train.periods.len(), 364 - 28);
        assert!(tests.iter().all(|t| t.len() == 28));
    }
}
