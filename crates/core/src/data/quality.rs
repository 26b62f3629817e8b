//! Per-SKU data quality: intermittency class and flagged spikes.

use serde::{Deserialize, Serialize};

/// Syntetos–Boylan demand class, from the average inter-demand interval (ADI) and
/// the squared coefficient of variation of the non-zero demand sizes (CV²), with
/// the published cut-offs ADI = 1.32 and CV² = 0.49.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DemandClass {
    /// Regular demand, stable sizes.
    Smooth,
    /// Regular demand, variable sizes.
    Erratic,
    /// Sporadic demand, stable sizes.
    Intermittent,
    /// Sporadic demand, variable sizes.
    Lumpy,
    /// Fewer than two non-zero periods: no class can be given.
    TooFewSales,
}

impl DemandClass {
    /// Lower-case name.
    pub fn label(self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
            DemandClass::TooFewSales => "too few sales",
        }
    }
}

/// ADI, CV² and the class of a series.
pub fn intermittency(values: &[f64]) -> (f64, f64, DemandClass) {
    let nz: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| *v > 0.0)
        .collect();
    if nz.len() < 2 {
        return (f64::NAN, f64::NAN, DemandClass::TooFewSales);
    }
    // ADI as in Syntetos & Boylan: periods per demand occurrence over the history.
    let adi = values.len() as f64 / nz.len() as f64;
    let mean = nz.iter().map(|(_, v)| v).sum::<f64>() / nz.len() as f64;
    let var = nz.iter().map(|(_, v)| (v - mean).powi(2)).sum::<f64>() / nz.len() as f64;
    let cv2 = var / (mean * mean);
    let class = match (adi > 1.32, cv2 > 0.49) {
        (false, false) => DemandClass::Smooth,
        (false, true) => DemandClass::Erratic,
        (true, false) => DemandClass::Intermittent,
        (true, true) => DemandClass::Lumpy,
    };
    (adi, cv2, class)
}

/// A point flagged as an extreme one-off spike (kept in the series, only marked).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Index into the series' values.
    pub index: usize,
    /// The value.
    pub value: f64,
    /// Its robust z-score.
    pub score: f64,
}

/// Robust z-score above which a point is flagged.
pub const SPIKE_THRESHOLD: f64 = 6.0;

/// The median (sorts `v`); NaN for an empty slice.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Flags extreme spikes with a robust (median/MAD) z-score of `ln(1 + demand)`.
///
/// On the log scale because order sizes are multiplicative: a wholesale customer's
/// order of 10× the usual size is common in e-commerce data, and on the raw scale a
/// z-score flags about a tenth of all sales of the real Online Retail II data (25,513
/// points at z > 6), on the log scale 847 (0.3 % of the days with sales).
///
/// For mostly-zero series the score is computed over the non-zero demand sizes, so
/// an ordinary sale in a sparse series is not a "spike". When the MAD is 0 the mean
/// absolute deviation stands in for it (scaled by 1.2533, as in Iglewicz & Hoaglin's
/// modified z-score), and a series whose sizes never vary flags nothing.
pub fn flag_spikes(values: &[f64], threshold: f64) -> Vec<Flag> {
    let zeros = values.iter().filter(|v| **v <= 0.0).count();
    let sparse = zeros * 2 > values.len();
    let mut pool: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| !sparse || *v > 0.0)
        .map(f64::ln_1p)
        .collect();
    if pool.len() < 8 {
        return Vec::new();
    }
    let med = median(&mut pool);
    let mut dev: Vec<f64> = pool.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev);
    let scale = if mad > 0.0 {
        1.4826 * mad
    } else {
        let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
        1.2533 * mean_ad
    };
    if scale <= 0.0 {
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !sparse || **v > 0.0)
        .map(|(i, &v)| Flag {
            index: i,
            value: v,
            score: (v.max(0.0).ln_1p() - med) / scale,
        })
        .filter(|f| f.score > threshold)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(intermittency(&[5.0, 5.0, 6.0, 5.0]).2, DemandClass::Smooth);
        assert_eq!(
            intermittency(&[1.0, 20.0, 1.0, 30.0]).2,
            DemandClass::Erratic
        );
        assert_eq!(
            intermittency(&[0.0, 0.0, 5.0, 0.0, 0.0, 5.0]).2,
            DemandClass::Intermittent
        );
        assert_eq!(
            intermittency(&[0.0, 0.0, 1.0, 0.0, 0.0, 40.0]).2,
            DemandClass::Lumpy
        );
        assert_eq!(intermittency(&[0.0, 3.0]).2, DemandClass::TooFewSales);
        let (adi, cv2, _) = intermittency(&[0.0, 2.0, 0.0, 4.0]);
        assert!((adi - 2.0).abs() < 1e-12 && (cv2 - 1.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn spikes() {
        let mut v: Vec<f64> = (0..60).map(|i| 10.0 + (i % 5) as f64).collect();
        v[30] = 500.0;
        let f = flag_spikes(&v, SPIKE_THRESHOLD);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].index, 30);
        // Sparse series: only non-zero sizes count.
        let mut s = vec![0.0; 100];
        for i in (0..100).step_by(7) {
            s[i] = 2.0 + (i % 3) as f64;
        }
        assert!(flag_spikes(&s, SPIKE_THRESHOLD).is_empty());
        s[50] = 300.0;
        assert_eq!(
            flag_spikes(&s, SPIKE_THRESHOLD)
                .iter()
                .map(|f| f.index)
                .collect::<Vec<_>>(),
            vec![50]
        );
        assert!(flag_spikes(&[3.0; 20], SPIKE_THRESHOLD).is_empty());
    }
}
