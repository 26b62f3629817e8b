//! # supplycast
//!
//! Demand forecasting and replenishment planning for e-commerce merchants, running in
//! the merchant's browser (WebAssembly, with a Web Worker for the heavy work) or as a
//! native command-line program.
//!
//! The core ([`data`], [`forecast`], [`anomaly`], [`inventory`], [`logistics`], [`pricing`],
//! [`store`], and [`plot`], which draws charts from core types on any plotters backend) is
//! the crate `supplycast-core` (`crates/core`), plain Rust that knows nothing of the
//! browser or the terminal, re-exported here; this crate adds `nn` (Burn, feature `nn`),
//! `ui` (wasm only: the Leptos app and its workers) and the CLI (`src/bin/supplycast.rs`).

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub use supplycast_core::{
    anomaly, data, field, forecast, format, inventory, logistics, par, plot, pricing, store,
};
// The neural models' data sampling and training draw from the core's seeded generator.
#[cfg(feature = "nn")]
use supplycast_core::rng;

#[cfg(feature = "nn")]
pub mod nn;
#[cfg(target_arch = "wasm32")]
pub mod ui;
