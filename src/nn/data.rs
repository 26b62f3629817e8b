//! Training windows for the global models: every SKU cut into (context, horizon)
//! windows, scaled per window, with calendar features.
//!
//! Scaling follows DeepAR (Salinas et al. 2020, §3.3): each window is divided by
//! 1 + the mean of its context, so that SKUs selling 0.1 and 100 a day train one
//! model, and an all-zero context (common in intermittent series) stays finite.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::rng::SplitMix;

/// Calendar features per period (holiday-free): day of week and day of year as
/// sine/cosine pairs.
pub const CAL_FEATURES: usize = 4;
/// Features per context step: scaled demand, a zero-sale indicator, and the calendar.
pub const IN_FEATURES: usize = 2 + CAL_FEATURES;

/// Calendar features of a date.
pub fn calendar(d: NaiveDate) -> [f32; CAL_FEATURES] {
    let tau = std::f32::consts::TAU;
    let dow = d.weekday().num_days_from_monday() as f32 / 7.0;
    let doy = d.ordinal0() as f32 / 365.25;
    [
        (tau * dow).sin(),
        (tau * dow).cos(),
        (tau * doy).sin(),
        (tau * doy).cos(),
    ]
}

/// One series for the neural models: demand per period and the date of each period,
/// plus the dates of the periods to forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnSeries {
    /// SKU.
    pub sku: String,
    /// Demand per period.
    pub values: Vec<f64>,
    /// Date of each period (same length as `values`).
    pub dates: Vec<NaiveDate>,
    /// Dates of the periods after the data (at least the horizon).
    pub future: Vec<NaiveDate>,
}

impl NnSeries {
    /// The date of period `t` (which may lie past the data).
    fn date(&self, t: usize) -> NaiveDate {
        if t < self.dates.len() {
            self.dates[t]
        } else {
            let k = t - self.dates.len();
            self.future.get(k).copied().unwrap_or_else(|| {
                let last = self
                    .future
                    .last()
                    .or(self.dates.last())
                    .copied()
                    .unwrap_or_default();
                last + chrono::Duration::days((k + 1 - self.future.len()) as i64)
            })
        }
    }

    /// The series of a dataset (all of them), with `h` future dates.
    pub fn from_dataset(ds: &crate::data::Dataset, h: usize) -> Vec<NnSeries> {
        let future = ds.future_periods(h);
        ds.series
            .iter()
            .map(|s| NnSeries {
                sku: s.sku.clone(),
                values: s.values.clone(),
                dates: s.dates(ds).to_vec(),
                future: future.clone(),
            })
            .collect()
    }

    /// The same series without its last `k` periods (their dates become the future).
    pub fn truncated(&self, k: usize) -> NnSeries {
        let n = self.values.len().saturating_sub(k);
        let mut future: Vec<NaiveDate> = self.dates[n..].to_vec();
        future.extend(self.future.iter().copied());
        NnSeries {
            sku: self.sku.clone(),
            values: self.values[..n].to_vec(),
            dates: self.dates[..n].to_vec(),
            future,
        }
    }
}

/// A batch in flat row-major arrays, ready for tensors.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Windows in the batch.
    pub size: usize,
    /// `[size, context, IN_FEATURES]`.
    pub x: Vec<f32>,
    /// `[size, horizon, CAL_FEATURES]`.
    pub future: Vec<f32>,
    /// `[size, horizon]` scaled targets (empty when predicting).
    pub y: Vec<f32>,
    /// The scale of each window.
    pub scale: Vec<f32>,
}

/// Window geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geometry {
    /// Periods of context.
    pub context: usize,
    /// Periods forecast.
    pub horizon: usize,
}

impl Geometry {
    /// Appends the window of `s` whose target starts at period `end` (context
    /// `end − context .. end`, zero-padded on the left), with targets when `with_y`.
    pub fn push(&self, b: &mut Batch, s: &NnSeries, end: usize, with_y: bool) {
        let (c, h) = (self.context, self.horizon);
        let from = end.saturating_sub(c);
        let ctx = &s.values[from..end.min(s.values.len())];
        let scale = 1.0 + ctx.iter().sum::<f64>() / ctx.len().max(1) as f64;
        let pad = c - ctx.len();
        for k in 0..c {
            let t = (end + k) as i64 - c as i64;
            let (v, cal) = if k < pad || t < 0 {
                (0.0, [0.0; CAL_FEATURES])
            } else {
                (ctx[k - pad], calendar(s.date(t as usize)))
            };
            b.x.push((v / scale) as f32);
            b.x.push(if v > 0.0 { 1.0 } else { 0.0 });
            b.x.extend_from_slice(&cal);
        }
        for k in 0..h {
            b.future.extend_from_slice(&calendar(s.date(end + k)));
            if with_y {
                let v = s.values.get(end + k).copied().unwrap_or(0.0);
                b.y.push((v / scale) as f32);
            }
        }
        b.scale.push(scale as f32);
        b.size += 1;
    }
}

/// Training and validation windows over a set of series: validation is the last
/// `horizon` periods of each series long enough; training windows end before them.
#[derive(Debug, Clone)]
pub struct Windows {
    /// Geometry.
    pub geometry: Geometry,
    /// (series, target start) of training windows.
    pub train: Vec<(usize, usize)>,
    /// (series, target start) of validation windows.
    pub valid: Vec<(usize, usize)>,
}

impl Windows {
    /// Cuts the windows. A series takes part when it has at least `2·horizon + 7`
    /// periods.
    pub fn new(series: &[NnSeries], geometry: Geometry) -> Windows {
        let h = geometry.horizon;
        let mut train = Vec::new();
        let mut valid = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let n = s.values.len();
            if n < 2 * h + 7 {
                continue;
            }
            valid.push((i, n - h));
            // Targets must end before the validation targets start.
            let last = n - 2 * h;
            let first = 7.min(last);
            for end in first..=last {
                train.push((i, end));
            }
        }
        Windows {
            geometry,
            train,
            valid,
        }
    }

    /// A random training batch.
    pub(crate) fn sample(&self, series: &[NnSeries], size: usize, rng: &mut SplitMix) -> Batch {
        let mut b = Batch::default();
        if self.train.is_empty() {
            return b;
        }
        for _ in 0..size {
            let (i, end) = self.train[rng.below(self.train.len())];
            self.geometry.push(&mut b, &series[i], end, true);
        }
        b
    }

    /// The validation windows in batches of at most `size`.
    pub fn valid_batches(&self, series: &[NnSeries], size: usize) -> Vec<Batch> {
        self.valid
            .chunks(size.max(1))
            .map(|chunk| {
                let mut b = Batch::default();
                for &(i, end) in chunk {
                    self.geometry.push(&mut b, &series[i], end, true);
                }
                b
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_scale_pad_and_split() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..40).map(|i| start + chrono::Duration::days(i)).collect();
        let s = NnSeries {
            sku: "A".into(),
            values: (0..40).map(|i| (i % 7) as f64).collect(),
            dates: dates.clone(),
            future: (40..50)
                .map(|i| start + chrono::Duration::days(i))
                .collect(),
        };
        let g = Geometry {
            context: 14,
            horizon: 7,
        };
        let w = Windows::new(std::slice::from_ref(&s), g);
        assert_eq!(w.valid, vec![(0, 33)]);
        assert_eq!(w.train.first(), Some(&(0, 7)));
        assert_eq!(w.train.last(), Some(&(0, 26)));
        let mut b = Batch::default();
        g.push(&mut b, &s, 7, true);
        assert_eq!(b.x.len(), 14 * IN_FEATURES);
        assert_eq!(b.future.len(), 7 * CAL_FEATURES);
        // Context 0..6 padded by 7 zeros on the left: scale 1 + mean(0..6) = 4.
        assert_eq!(b.scale, vec![4.0]);
        assert_eq!(b.x[7 * IN_FEATURES], 0.0);
        assert_eq!(b.x[8 * IN_FEATURES], 0.25);
        assert_eq!(b.y[0], 0.0 / 4.0);
        assert_eq!(b.y[1], 1.0 / 4.0);
        // Future dates beyond the data come from `future`.
        let mut p = Batch::default();
        g.push(&mut p, &s, 40, false);
        assert!(p.y.is_empty());
        assert_eq!(
            &p.future[..CAL_FEATURES],
            &calendar(start + chrono::Duration::days(40))
        );
        let t = s.truncated(7);
        assert_eq!(t.values.len(), 33);
        assert_eq!(t.future[0], dates[33]);
    }
}
