//! # supplycast
//!
//! Demand forecasting and replenishment planning for e-commerce merchants, running in
//! the merchant's browser (WebAssembly, with a Web Worker for the heavy work) or as a
//! native command-line program.
//!
//! The core ([`data`], [`forecast`], [`anomaly`], [`inventory`], [`logistics`], [`pricing`])
//! is plain Rust that knows nothing of the browser or the terminal; [`plot`] draws
//! charts from core types on any plotters backend; `ui` (wasm only) is the Leptos app
//! and its worker; the CLI lives in `src/bin/supplycast.rs`.

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod anomaly;
pub mod data;
pub mod forecast;
pub mod format;
pub mod inventory;
pub mod logistics;
#[cfg(feature = "nn")]
pub mod nn;
pub mod par;
pub mod plot;
pub mod pricing;
mod rng;
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod ui;
