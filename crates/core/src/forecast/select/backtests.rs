//! The first stage: every candidate backtested on every series from the same rolling
//! origins ([`origins`]), with the error scales of each origin → [`Backtests`], which
//! travel between workers as bytes.

use super::learn::Group;
use crate::forecast::backtest::{self, BacktestConfig, origins};
use crate::forecast::{Model, check_history, metrics};
use crate::par::par_map;

/// One series' backtests.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SeriesBacktest {
    /// Forecast origins (history lengths), oldest first.
    pub origins: Vec<usize>,
    /// Error scale at each origin for errors pooled across series ([`local_scale`]).
    pub scales: Vec<f64>,
    /// Error scale at each origin for the series' own errors ([`backtest::level`]).
    pub levels: Vec<f64>,
    /// Per model id: its forecast from each origin (cut to the periods observed).
    pub forecasts: Vec<(usize, Vec<Option<Vec<f64>>>)>,
    /// The group of the series ([`Group`]).
    pub group: Group,
    /// In-sample MASE/RMSSE scales of the history before the first origin.
    pub mase_scale: Option<(f64, f64)>,
}

/// The candidate models of series `i` (they may borrow from the caller).
pub type Candidates<'a> = dyn Fn(usize) -> Vec<Box<dyn Model + 'a>> + Sync + 'a;

/// Every series' backtests, with the names of the models.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Backtests {
    /// Model names (ids index this).
    pub names: Vec<String>,
    /// Per series.
    pub series: Vec<SeriesBacktest>,
}

/// The error scale of `y` at `origin`: the mean absolute change between consecutive
/// periods over the recent history (the last `max(2h, 2 × season, 8)` periods), or
/// over the whole history when that is flat, or the mean level, or 1.
pub fn local_scale(y: &[f64], origin: usize, h: usize, season: usize) -> f64 {
    let w = (2 * h).max(2 * season).max(8);
    let mad = |x: &[f64]| {
        if x.len() < 2 {
            return 0.0;
        }
        x.windows(2).map(|p| (p[1] - p[0]).abs()).sum::<f64>() / (x.len() - 1) as f64
    };
    let past = &y[..origin.min(y.len())];
    let recent = &past[past.len().saturating_sub(w)..];
    for v in [
        mad(recent),
        mad(past),
        past.iter().map(|v| v.abs()).sum::<f64>() / past.len().max(1) as f64,
    ] {
        if v > 0.0 && v.is_finite() {
            return v;
        }
    }
    1.0
}

pub(super) fn clip(v: Vec<f64>) -> Vec<f64> {
    v.into_iter()
        .map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 })
        .collect()
}

/// Backtests `models` on `y` from the common origins ([`origins`]); a model is skipped
/// at origins with less history than it needs ([`Model::min_history`]).
pub fn backtest_series(
    models: &[Box<dyn Model + '_>],
    y: &[f64],
    cfg: &BacktestConfig,
    ids: &mut dyn FnMut(&str) -> usize,
) -> SeriesBacktest {
    // A history with a non-finite value is refused when it is forecast; kept out of the
    // backtests, it cannot spoil its group's scores.
    let os = if check_history(y).is_ok() {
        origins(y.len(), cfg)
    } else {
        Vec::new()
    };
    let scales = os
        .iter()
        .map(|&o| local_scale(y, o, cfg.h, cfg.season))
        .collect();
    let levels = os.iter().map(|&o| backtest::level(y, o, cfg.h)).collect();
    let forecasts = models
        .iter()
        .map(|m| (ids(&m.name()), from_origins(m.as_ref(), y, &os, cfg.h)))
        .collect();
    let first = os.first().copied().unwrap_or(y.len());
    let mase_scale = metrics::scales(&y[..first], cfg.season.max(1))
        .filter(|s| s.0 > 0.0)
        .or_else(|| metrics::scales(&y[..first], 1).filter(|s| s.0 > 0.0));
    SeriesBacktest {
        origins: os,
        scales,
        levels,
        forecasts,
        group: Group::of(y, cfg.season),
        mase_scale,
    }
}

/// `m`'s forecasts of `y` from each origin in `os`, cut to the periods observed; `None`
/// where it has too little history or fails.
fn from_origins(m: &dyn Model, y: &[f64], os: &[usize], h: usize) -> Vec<Option<Vec<f64>>> {
    let need = m.min_history();
    os.iter()
        .map(|&o| {
            if o < need || o > y.len() {
                return None;
            }
            let f = m.forecast(&y[..o], h).ok()?;
            let keep = h.min(y.len() - o).min(f.len());
            (keep > 0).then(|| clip(f[..keep].to_vec()))
        })
        .collect()
}

/// Series handled between two progress reports: enough to keep `threads` busy, few
/// enough for at least eight reports (and a prompt stop).
pub(super) fn chunk_size(threads: usize, n: usize) -> usize {
    (threads.max(1) * 4).min(n / 8).max(1)
}

/// Backtests every series (`candidates(i)` gives series `i`'s models) on `threads`
/// threads. `progress(done)` is called as series finish and may return `false` to
/// stop: the series backtested so far are returned.
pub fn backtest_all(
    ys: &[&[f64]],
    candidates: &Candidates<'_>,
    cfg: &BacktestConfig,
    threads: usize,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Backtests {
    let mut out = Backtests::default();
    let chunk = chunk_size(threads, ys.len());
    let idx: Vec<usize> = (0..ys.len()).collect();
    for part in idx.chunks(chunk) {
        let results = par_map(part, threads, |&i| {
            let mut local: Vec<String> = Vec::new();
            let bt = backtest_series(&candidates(i), ys[i], cfg, &mut |n| {
                local.iter().position(|x| x == n).unwrap_or_else(|| {
                    local.push(n.to_string());
                    local.len() - 1
                })
            });
            (bt, local)
        });
        for (mut bt, local) in results {
            for f in &mut bt.forecasts {
                let name = &local[f.0];
                f.0 = match out.names.iter().position(|x| x == name) {
                    Some(k) => k,
                    None => {
                        out.names.push(name.clone());
                        out.names.len() - 1
                    }
                };
            }
            out.series.push(bt);
        }
        if !progress(out.series.len()) {
            break;
        }
    }
    out
}

impl Backtests {
    /// These backtests with more models added, from the same origins, as if they had
    /// been among the candidates from the start: `extra(i)` gives series `i`'s added
    /// models. A model a series already has is skipped. This is how a global
    /// model that finishes after the statistical backtests (the pretrained model in the
    /// browser's neural worker, run beside them) joins the choice.
    pub fn with_models(mut self, ys: &[&[f64]], extra: &Candidates<'_>, h: usize) -> Backtests {
        for (i, s) in self.series.iter_mut().enumerate() {
            let Some(y) = ys.get(i) else { break };
            for m in extra(i) {
                let name = m.name();
                let id = match self.names.iter().position(|x| *x == name) {
                    Some(k) => k,
                    None => {
                        self.names.push(name);
                        self.names.len() - 1
                    }
                };
                if s.forecasts.iter().any(|(k, _)| *k == id) {
                    continue;
                }
                s.forecasts
                    .push((id, from_origins(m.as_ref(), y, &s.origins, h)));
            }
        }
        self
    }

    /// The backtests of consecutive parts of the series (made apart, e.g. in several
    /// workers) as one, in order: model ids are renumbered into one list of names.
    pub fn merge(parts: Vec<Backtests>) -> Backtests {
        let mut out = Backtests::default();
        for part in parts {
            let ids: Vec<usize> = part
                .names
                .iter()
                .map(|n| match out.names.iter().position(|x| x == n) {
                    Some(k) => k,
                    None => {
                        out.names.push(n.clone());
                        out.names.len() - 1
                    }
                })
                .collect();
            for mut s in part.series {
                for f in &mut s.forecasts {
                    f.0 = ids[f.0];
                }
                out.series.push(s);
            }
        }
        out
    }

    /// Serialises for sending to another process or machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads what [`Backtests::to_bytes`] wrote, checking that model ids are in range.
    pub fn from_bytes(bytes: &[u8]) -> Option<Backtests> {
        let b: Backtests = postcard::from_bytes(bytes).ok()?;
        let n = b.names.len();
        b.series
            .iter()
            .all(|s| s.forecasts.iter().all(|(m, _)| *m < n))
            .then_some(b)
    }
}
