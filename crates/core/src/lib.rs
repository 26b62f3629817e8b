//! # supplycast-core
//!
//! supplycast's core: plain Rust that knows nothing of the browser, the terminal or
//! neural-network runtimes — the data ([`data`]: ingest, cleaning, series, quality),
//! forecasting ([`forecast`]), anomalies ([`anomaly`]), inventory planning
//! ([`inventory`]), logistics ([`logistics`]), pricing ([`pricing`]), the merchant's
//! store over time ([`store`]) and charts drawn from core types on any plotters backend
//! ([`plot`]). Its own crate so that this is a compile-time rule: its manifest names no
//! browser, terminal or Burn crate. The `supplycast` crate re-exports every module and
//! adds the neural models (`nn`), the Leptos app (`ui`) and the command-line program.

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod anomaly;
pub mod data;
pub mod field;
pub mod forecast;
pub mod format;
pub mod inventory;
pub mod logistics;
pub mod par;
pub mod plot;
pub mod pricing;
pub mod rng;
pub mod store;
