//! The merchant's store over time: the dataset, the forecasts kept for scoring, their
//! scores as newer sales arrived, and what each update changed — one versioned file
//! (`supplycast ingest --store`, `update`, `accuracy`) that the app can also download
//! and read.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::update::AppendReport;
use crate::data::{DataError, Dataset};
use crate::forecast::tracking::{Evaluation, Snapshot};

/// The first bytes of a store file.
pub const MAGIC: [u8; 4] = *b"SCST";
/// The store's format.
pub const FORMAT: u16 = 1;
/// Kept forecasts: the latest few (older ones have been scored already).
const KEEP_SNAPSHOTS: usize = 8;

/// What can go wrong with a store.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StoreError {
    /// The bytes are from a newer version.
    #[error(
        "{file}: saved by a newer version of supplycast (store format {format}; this version reads format {FORMAT})"
    )]
    Newer {
        /// The file's name.
        file: String,
        /// The format found.
        format: u16,
    },
    /// The bytes are not a store (or are damaged).
    #[error("{file}: not a supplycast store ({reason})")]
    Damaged {
        /// The file's name.
        file: String,
        /// What failed.
        reason: String,
    },
    /// The dataset inside could not be used.
    #[error(transparent)]
    Data(#[from] DataError),
}

/// What happened to the data over time: the forecasts kept for scoring, their scores
/// and every update. The browser keeps it beside the dataset (key `tracking`); a store
/// file holds both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Forecasts kept for scoring, oldest first.
    pub snapshots: Vec<Snapshot>,
    /// Every score so far, oldest first.
    pub evaluations: Vec<Evaluation>,
    /// Every update so far, oldest first.
    pub updates: Vec<AppendReport>,
}

/// The first bytes of a stored history.
pub const HISTORY_MAGIC: [u8; 4] = *b"SCHI";

impl History {
    /// Keeps a forecast for scoring later (one per data end: a newer forecast of the
    /// same data replaces the older).
    pub fn keep(&mut self, snap: Snapshot) {
        self.snapshots.retain(|s| s.data_end != snap.data_end);
        self.snapshots.push(snap);
        let n = self.snapshots.len();
        if n > KEEP_SNAPSHOTS {
            self.snapshots.drain(..n - KEEP_SNAPSHOTS);
        }
    }

    /// Appends `newer` to `stored` and scores the latest kept forecast made before the
    /// new periods on them. Returns the updated data, what changed and the score.
    pub fn update(
        &mut self,
        stored: &Dataset,
        newer: &Dataset,
    ) -> Result<(Dataset, AppendReport, Option<Evaluation>), DataError> {
        let (ds, report) = crate::data::update::append(stored, newer)?;
        let eval = self
            .snapshots
            .iter()
            .rev()
            .find_map(|s| crate::forecast::tracking::evaluate(s, &ds));
        if let Some(e) = &eval {
            // A later update over the same forecast replaces its earlier, partial score.
            self.evaluations.retain(|x| x.data_end != e.data_end);
            self.evaluations.push(e.clone());
        }
        self.updates.push(report.clone());
        Ok((ds, report, eval))
    }

    /// [`HISTORY_MAGIC`], [`FORMAT`] (two little-endian bytes), the history.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = HISTORY_MAGIC.to_vec();
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// Reads what [`History::to_bytes`] wrote.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<History, StoreError> {
        let damaged = |reason: String| StoreError::Damaged {
            file: file.to_string(),
            reason,
        };
        let rest = bytes
            .strip_prefix(HISTORY_MAGIC.as_slice())
            .ok_or_else(|| damaged("not a forecast history".into()))?;
        if rest.len() < 2 {
            return Err(damaged("cut short".into()));
        }
        let format = u16::from_le_bytes([rest[0], rest[1]]);
        if format > FORMAT {
            return Err(StoreError::Newer {
                file: file.to_string(),
                format,
            });
        }
        postcard::from_bytes(&rest[2..]).map_err(|e| damaged(e.to_string()))
    }
}

/// The store: the dataset and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Store {
    /// The sales so far.
    pub dataset: Dataset,
    /// Kept forecasts, their scores and the updates.
    pub history: History,
}

impl Store {
    /// A store holding a dataset only.
    pub fn new(dataset: Dataset) -> Store {
        Store {
            dataset,
            history: History::default(),
        }
    }

    /// Keeps a forecast for scoring later.
    pub fn keep(&mut self, snap: Snapshot) {
        self.history.keep(snap);
    }

    /// Appends newer sales and scores the latest kept forecast made before them on
    /// the periods that arrived. Returns what changed and the new score, if any.
    pub fn update(
        &mut self,
        newer: &Dataset,
    ) -> Result<(AppendReport, Option<Evaluation>), DataError> {
        let (ds, report, eval) = self.history.update(&self.dataset, newer)?;
        self.dataset = ds;
        Ok((report, eval))
    }

    /// The versioned bytes: [`MAGIC`], [`FORMAT`] (two little-endian bytes), then the
    /// store. The dataset inside carries its own format header.
    pub fn to_bytes(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            dataset: Vec<u8>,
            snapshots: &'a [Snapshot],
            evaluations: &'a [Evaluation],
            updates: &'a [AppendReport],
        }
        let body = Body {
            dataset: self.dataset.to_stored_bytes(),
            snapshots: &self.history.snapshots,
            evaluations: &self.history.evaluations,
            updates: &self.history.updates,
        };
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend(postcard::to_allocvec(&body).unwrap_or_default());
        out
    }

    /// Reads a store, or a bare stored dataset (what the app keeps in the browser)
    /// as a store without history.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Store, StoreError> {
        #[derive(Deserialize)]
        struct Body {
            dataset: Vec<u8>,
            snapshots: Vec<Snapshot>,
            evaluations: Vec<Evaluation>,
            updates: Vec<AppendReport>,
        }
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Dataset::from_stored_bytes(bytes)
                .map(Store::new)
                .map_err(|e| StoreError::Damaged {
                    file: file.to_string(),
                    reason: e.to_string(),
                });
        };
        let damaged = |reason: String| StoreError::Damaged {
            file: file.to_string(),
            reason,
        };
        if rest.len() < 2 {
            return Err(damaged("cut short".into()));
        }
        let format = u16::from_le_bytes([rest[0], rest[1]]);
        if format > FORMAT {
            return Err(StoreError::Newer {
                file: file.to_string(),
                format,
            });
        }
        let body: Body = postcard::from_bytes(&rest[2..]).map_err(|e| damaged(e.to_string()))?;
        let dataset =
            Dataset::from_stored_bytes(&body.dataset).map_err(|e| damaged(e.to_string()))?;
        Ok(Store {
            dataset,
            history: History {
                snapshots: body.snapshots,
                evaluations: body.evaluations,
                updates: body.updates,
            },
        })
    }
}
