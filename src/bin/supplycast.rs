//! The native command-line program.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(e) = cli::run() {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/anomaly.rs"]
mod anomaly_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/inventory.rs"]
mod inventory_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/logistics.rs"]
mod logistics_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/neural.rs"]
mod neural_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/pretrain.rs"]
mod pretrain_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/tracking.rs"]
mod tracking_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/pricing.rs"]
mod pricing_cli;

#[cfg(not(target_arch = "wasm32"))]
#[path = "supplycast/scenarios.rs"]
mod scenarios_cli;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::io::{Read, Write};
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use anyhow::{Context, bail};
    use clap::{Parser, Subcommand, ValueEnum};
    use supplycast::data::{self, CancellationRule, DateStyle, Format, Frequency, LoadOptions};
    use supplycast::forecast::{self, backtest::BacktestConfig};

    #[derive(Parser)]
    #[command(
        name = "supplycast",
        version,
        about = "Demand forecasting and replenishment planning"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Read a sales export, clean it, print the cleaning report and write the series.
        Ingest {
            #[command(flatten)]
            input: Input,
            /// Write the long series (date,sku,quantity) here.
            #[arg(long)]
            out: Option<PathBuf>,
            /// Keep only the N best-selling SKUs in the output.
            #[arg(long)]
            top: Option<usize>,
            /// Add a description column to the output.
            #[arg(long)]
            with_description: bool,
            /// Leave zero periods out of the output (a compact file; readers zero-fill).
            #[arg(long)]
            skip_zeros: bool,
            /// List every SKU with its quality figures.
            #[arg(long)]
            skus: bool,
            /// Also write a store file (the data and its forecast, kept so that `update`
            /// can score it when newer sales arrive).
            #[arg(long)]
            store: Option<PathBuf>,
            /// With --store: do not forecast (nothing to score at the next update).
            #[arg(long)]
            no_forecast: bool,
        },
        /// Add a newer export to a store: overlapping periods replaced, new SKUs added,
        /// the kept forecast scored on the new sales (drift flagged), then forecast again.
        Update {
            /// The store file (from `ingest --store`).
            store: PathBuf,
            #[command(flatten)]
            input: Input,
            /// Write the updated long series (date,sku,quantity) here.
            #[arg(long)]
            out: Option<PathBuf>,
            /// Do not forecast again after the update.
            #[arg(long)]
            no_forecast: bool,
        },
        /// The accuracy history of a store: each kept forecast scored on the sales that
        /// followed it (MASE, bias, P10–P90 coverage, drifting SKUs).
        Accuracy {
            /// The store file.
            store: PathBuf,
            /// Print JSON (every score, per SKU).
            #[arg(long)]
            json: bool,
            /// Write the latest score per SKU here (CSV).
            #[arg(long)]
            out: Option<PathBuf>,
        },
        /// Forecast every series: the automatic choice per SKU, P10/P50/P90 per period.
        Forecast {
            #[command(flatten)]
            input: Input,
            /// Horizon in periods (default: 28 days, 8 weeks, 6 months or 4 quarters).
            #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
            h: Option<u16>,
            /// Season length in periods (default: from the data's calendar).
            #[arg(long)]
            season: Option<usize>,
            /// Backtest windows.
            #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..))]
            windows: u8,
            /// Write `sku,date,p10,p50,p90,model` here (default: standard output).
            #[arg(long)]
            out: Option<PathBuf>,
            /// Forecast with one model instead of the automatic choice: `pretrained` (the
            /// shipped pretrained model, zero-shot), a fine-tuned weights file (from
            /// `supplycast finetune`) or a neural model file (from `supplycast train`).
            /// One model has no backtests, choice or sample paths: the flags for those
            /// are refused beside it.
            #[arg(long, conflicts_with_all = ["season", "windows", "pretrained", "no_pretrained", "paths", "paths_out", "scenarios"])]
            model: Option<PathBuf>,
            /// The pretrained model (zero-shot) is among every SKU's candidates and in the
            /// default recipe by default in a build with feature `nn`; this flag is kept
            /// for older scripts and changes nothing.
            #[arg(long, hide = true)]
            pretrained: bool,
            /// Leave the pretrained model out of the candidates (statistical models only).
            #[arg(long)]
            no_pretrained: bool,
            /// Impute the flagged stock-outs and missing data (from each SKU's own
            /// demand around them) before forecasting, as the app does by default.
            #[arg(long)]
            clean: bool,
            /// Sample paths (demand scenarios) per SKU, written with `--paths-out`.
            #[arg(long, default_value_t = 100, requires = "paths_out")]
            paths: usize,
            /// Write the sample paths here: `sku,path,date,quantity`.
            #[arg(long)]
            paths_out: Option<PathBuf>,
            /// How the periods of a path depend on each other: copula (default; fitted
            /// to the backtest errors), vae (the generative scenario model trained on
            /// this file; feature `nn`), windows (whole backtest error windows) or
            /// independent.
            #[arg(long, default_value = "copula", requires = "paths_out")]
            scenarios: String,
        },
        /// Measure the demand scenarios: coverage of the 80 % interval and CRPS of demand
        /// summed over 1, 7, 14 and 28 periods (and a lead time) on the last h periods
        /// and on the h before them, for each way of drawing paths.
        BenchScenarios {
            #[command(flatten)]
            input: Input,
            /// Periods forecast (default: 28 days, 8 weeks, 6 months, 4 quarters).
            #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
            h: Option<u16>,
            /// SKUs scored (the best-selling with at least 4h periods).
            #[arg(long, default_value_t = 400)]
            top: usize,
            /// Sample paths per SKU.
            #[arg(long, default_value_t = 500)]
            paths: usize,
            /// Also score demand over this lead time (days).
            #[arg(long)]
            lead_days: Option<f64>,
            /// Also train the generative scenario model (conditional VAE; feature `nn`)
            /// on each origin's history and score its paths.
            #[arg(long)]
            vae: bool,
            /// Time instead of scoring: scenarios of every SKU of the file (`--paths`
            /// × h periods) and anomaly detection (with `--vae`, the scenario model and
            /// the autoencoder too).
            #[arg(long)]
            speed: bool,
            /// Print JSON.
            #[arg(long)]
            json: bool,
        },
        /// Flag anomalies — spikes, dips, level shifts, stock-outs, missing data and
        /// (order-line files) extreme order lines — with a score and a reason each.
        Anomalies {
            #[command(flatten)]
            input: Input,
            /// Write `sku,date,kind,score,reason,line` here, one row per flagged date,
            /// most impact first (default: standard output).
            #[arg(long)]
            out: Option<PathBuf>,
            /// Write JSON (every field, one object per anomaly) instead of CSV.
            #[arg(long)]
            json: bool,
            /// Also flag spikes and dips by the autoencoder (the scenario model trained
            /// on this file, reconstruction error scaled per SKU; feature `nn`): more
            /// injected spikes found, far more false alarms (see the README).
            #[arg(long)]
            autoencoder: bool,
        },
        /// Measure the anomaly detectors: inject labelled anomalies into the best-selling
        /// SKUs, print precision and recall per kind, false alarms on untouched SKUs and
        /// forecast accuracy on the last h periods with and without cleaning.
        BenchAnomalies {
            #[command(flatten)]
            input: Input,
            /// Seed of the injection.
            #[arg(long, default_value_t = 1)]
            seed: u64,
            /// SKUs considered (the best-selling with 200+ periods); about half get one.
            #[arg(long, default_value_t = 400)]
            top: usize,
            /// Periods held out at the end (default: 28 days, 8 weeks, 6 months, 4 quarters).
            #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
            h: Option<u16>,
            /// Also forecast the top SKUs with and without cleaning (slower).
            #[arg(long)]
            accuracy: bool,
            /// Write the injected anomalies' labels here.
            #[arg(long)]
            labels_out: Option<PathBuf>,
            /// Also score each threshold moved alone, on the validation half only.
            #[arg(long)]
            sweep: bool,
            /// Also measure the autoencoder detector (the scenario model trained on the
            /// injected file; feature `nn`).
            #[arg(long)]
            autoencoder: bool,
        },
        /// Train a neural model across all SKUs and save it.
        Train {
            #[command(flatten)]
            input: Input,
            /// lstm, gru, patchtst or mlp.
            #[arg(long, default_value = "lstm")]
            model: String,
            /// auto (a real GPU if there is one), gpu or cpu.
            #[arg(long, default_value = "auto")]
            device: String,
            /// Most epochs (training stops early when validation stops improving).
            #[arg(long, default_value_t = 30)]
            epochs: usize,
            /// Horizon the model forecasts (periods; default: the data's frequency's,
            /// 28 days, 8 weeks, 6 months, 4 quarters).
            #[arg(long)]
            h: Option<usize>,
            /// Model file to write.
            #[arg(long)]
            out: PathBuf,
        },
        /// Fine-tune the pretrained demand model on a file's history (all but its last
        /// `windows × h` periods, kept for the automatic choice's backtests) and save it.
        Finetune {
            #[command(flatten)]
            input: Input,
            /// Horizon in periods (default: 28 days, 8 weeks, 6 months or 4 quarters).
            #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
            h: Option<u16>,
            /// Backtest windows kept out of fine-tuning.
            #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..))]
            windows: u8,
            /// Optimiser steps (64 windows each).
            #[arg(long, default_value_t = 300)]
            steps: usize,
            /// auto (a real GPU if there is one), gpu or cpu.
            #[arg(long, default_value = "auto")]
            device: String,
            /// Peak learning rate (AdamW).
            #[arg(long, default_value_t = 1e-4)]
            lr: f64,
            /// Start from these weights instead of the shipped ones.
            #[arg(long)]
            weights: Option<PathBuf>,
            /// Weights file to write.
            #[arg(long)]
            out: PathBuf,
        },
        /// Benchmark forecasting: hold out the last h periods of every series, run every
        /// model and the automatic choice, print MASE/RMSSE/scaled pinball/coverage/time.
        BenchForecast {
            #[command(flatten)]
            input: Input,
            /// Horizon (held-out periods; default: 28 days, 8 weeks, 6 months or 4 quarters).
            #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
            h: Option<u16>,
            /// Season length (also the lag of the MASE scale; default: from the calendar).
            #[arg(long)]
            season: Option<usize>,
            /// Backtest windows per series (for intervals and the automatic choice).
            #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..))]
            windows: u8,
            /// Only the N best-selling series.
            #[arg(long)]
            max_series: Option<usize>,
            /// Print JSON instead of a table.
            #[arg(long)]
            json: bool,
            /// Write every model's held-out forecasts here (long CSV).
            #[arg(long)]
            forecasts_out: Option<PathBuf>,
            /// Threads for the automatic choice (default: all cores).
            #[arg(long)]
            threads: Option<usize>,
            /// Neural models to train and score too: lstm,gru,patchtst,mlp, and the
            /// pretrained model zero-shot (pretrained) or fine-tuned (pretrained-ft).
            #[arg(long)]
            models: Option<String>,
            /// Device for the neural models: auto, gpu or cpu.
            #[arg(long, default_value = "cpu")]
            device: String,
            /// Most epochs for the neural models.
            #[arg(long)]
            epochs: Option<usize>,
            /// Only the neural models (skip the statistical ones).
            #[arg(long)]
            only_neural: bool,
            /// Override the neural models' hidden width (for experiments).
            #[arg(long)]
            nn_hidden: Option<usize>,
            /// Override the neural models' context length in periods (for experiments).
            #[arg(long)]
            nn_context: Option<usize>,
            /// Cold start: keep only the last K periods before the held-out ones, as if
            /// every SKU were new (every row, and the MASE scale, see only those).
            #[arg(long)]
            history: Option<usize>,
            /// Leave the pretrained model out (its row, and the automatic choice's
            /// candidates); in a build without feature `nn` it is always out.
            #[arg(long)]
            no_pretrained: bool,
            /// Extra automatic-choice rows on the same backtests, for tuning the rule:
            /// `ANCHOR:Z:MARGIN,...` with ANCHOR one of strong, strong+comb, comb, none.
            #[arg(long, value_delimiter = ',', value_parser = supplycast::forecast::rule::ChoiceRule::parse)]
            rules: Vec<supplycast::forecast::rule::ChoiceRule>,
        },
        /// Pretrain the demand model on a synthetic (and optionally real) corpus and
        /// write its weights file, checkpoints, loss curve and provenance.
        Pretrain(crate::pretrain_cli::PretrainArgs),
        /// Single inventory-policy computations; each prints one JSON object.
        Policy {
            #[command(subcommand)]
            cmd: crate::inventory_cli::PolicyCmd,
        },
        /// Purchase list for today from a forecast file and per-SKU parameters.
        Plan(crate::inventory_cli::PlanArgs),
        /// Price elasticity of demand per SKU from an order export's price variation:
        /// `sku,elasticity,lo,hi,n_prices,n_lines,method` (80 % interval; "not enough
        /// price variation" where there is none to learn from).
        Elasticity {
            #[command(flatten)]
            input: Input,
            /// Write the CSV here (default: standard output).
            #[arg(long)]
            out: Option<PathBuf>,
        },
        /// How well elasticities are recovered on order lines generated with known ones
        /// in five price structures: mean absolute error and 80 % coverage per
        /// structure, for each combination of the settings given.
        BenchElasticity(crate::pricing_cli::BenchElasticityArgs),
        /// Margin-maximising prices for the SKUs of a costs file (`sku,unit_cost[,
        /// min_price,max_price]`), with what each price does to today's order.
        Price {
            #[command(flatten)]
            input: Input,
            /// Costs file: sku,unit_cost and optionally min_price,max_price.
            #[arg(long)]
            costs: PathBuf,
            /// Write the recommendations here (default: standard output).
            #[arg(long)]
            out: Option<PathBuf>,
        },
        /// Stock allocation: which location serves which region's demand (least
        /// shipping cost plus unmet cost; whole units), capacity values, order split.
        Allocate(crate::logistics_cli::AllocateArgs),
        /// Transfers between locations so each ends at or above its target stock.
        Rebalance(crate::logistics_cli::RebalanceArgs),
        /// Delivery routes: capacitated vehicle routing with optional time windows
        /// (our CSV, CVRPLIB .vrp or Solomon files).
        Route(crate::logistics_cli::RouteArgs),
        /// Region shares of each SKU's units from an order export with a region column
        /// (Country, ship-to, …), for `allocate --region-split` and the Logistics page.
        RegionShares(crate::logistics_cli::RegionSharesArgs),
        /// Benchmark planning: forecast the top SKUs, then time the plan (policies and
        /// the Monte Carlo simulation of every SKU).
        BenchPlan {
            #[command(flatten)]
            input: Input,
            /// Plan the N best-selling SKUs.
            #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
            skus: u32,
            /// Forecast horizon (periods).
            #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u16).range(1..))]
            h: u16,
            /// Replications per SKU and policy (1 to 100,000).
            #[arg(long, default_value_t = 1000, value_parser = crate::inventory_cli::simulations)]
            simulations: usize,
            /// Days simulated (above 0, at most 3,650).
            #[arg(long, default_value_t = 90.0, value_parser = crate::inventory_cli::horizon_days)]
            horizon_days: f64,
            /// Repetitions of the plan (1 to 100).
            #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=100))]
            runs: u8,
        },
        /// Benchmark ingestion: parse and clean the file N times and print the figures.
        BenchIngest {
            #[command(flatten)]
            input: Input,
            /// Repetitions.
            #[arg(long, default_value_t = 5)]
            runs: usize,
        },
    }

    #[derive(clap::Args)]
    struct Input {
        /// CSV export (a .gz file is decompressed first).
        file: PathBuf,
        /// Series frequency: the finest wanted (a weekly, monthly or quarterly file keeps
        /// its own period; a coarser one aggregates it).
        #[arg(long, value_enum, default_value_t = Freq::Daily)]
        freq: Freq,
        /// Override the detected format.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Override the detected delimiter (one character; "tab" for a tab).
        #[arg(long)]
        delimiter: Option<String>,
        /// Override the detected date style.
        #[arg(long, value_enum)]
        date_style: Option<DateArg>,
        /// What a cancellation does to demand.
        #[arg(long, value_enum, default_value_t = CancelArg::Match)]
        cancellations: CancelArg,
        /// Load the file even if some rows cannot be read, leaving them out.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Bundles and kits (`bundle sku, component sku, quantity per bundle`): each
        /// bundle's sales become its components' demand, and bundles are not forecast.
        #[arg(long)]
        bundles: Option<PathBuf>,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Freq {
        Daily,
        Weekly,
        Monthly,
        Quarterly,
    }
    #[derive(Clone, Copy, ValueEnum)]
    enum FormatArg {
        OrderLines,
        Long,
        Wide,
    }
    #[derive(Clone, Copy, ValueEnum)]
    enum DateArg {
        Iso,
        Mdy,
        Dmy,
    }
    #[derive(Clone, Copy, ValueEnum)]
    enum CancelArg {
        /// Remove the sale a cancellation matches; unmatched ones are returns.
        Match,
        /// Subtract every cancellation on its own day.
        Net,
    }

    pub(crate) fn run() -> anyhow::Result<()> {
        let cli = Cli::parse();
        match cli.command {
            Command::Policy { cmd } => crate::inventory_cli::policy(cmd)?,
            Command::Finetune {
                input,
                h,
                windows,
                steps,
                lr,
                device,
                weights,
                out,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                let h = h.map_or(ds.frequency().default_horizon(), usize::from);
                #[cfg(feature = "nn")]
                crate::neural_cli::finetune_cmd(
                    &ds,
                    h,
                    usize::from(windows),
                    steps,
                    lr,
                    &device,
                    weights.as_deref(),
                    &out,
                )?;
                #[cfg(not(feature = "nn"))]
                {
                    let _ = (ds, h, windows, steps, lr, device, weights, out);
                    return Err(crate::neural_cli::unavailable());
                }
            }
            Command::Pretrain(a) => {
                #[cfg(feature = "nn")]
                crate::pretrain_cli::pretrain(a)?;
                #[cfg(not(feature = "nn"))]
                {
                    let _ = a;
                    return Err(crate::neural_cli::unavailable());
                }
            }
            Command::Anomalies {
                input,
                out,
                json,
                autoencoder,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                #[allow(unused_mut)] // extended only with feature `nn`
                let mut flags = crate::anomaly_cli::find(&name, &bytes, &opts, &ds)?;
                if autoencoder {
                    #[cfg(feature = "nn")]
                    {
                        let recon = crate::neural_cli::reconstruction(&ds)?;
                        let z = supplycast::anomaly::Settings::default().autoencoder_z;
                        let extra =
                            supplycast::anomaly::from_reconstruction(&ds, &recon, z, &flags);
                        flags.extend(extra);
                        flags.sort_by(|a, b| b.impact.total_cmp(&a.impact));
                    }
                    #[cfg(not(feature = "nn"))]
                    return Err(crate::neural_cli::unavailable());
                }
                crate::anomaly_cli::write(&flags, out.as_deref(), json)?;
            }
            Command::BenchAnomalies {
                input,
                seed,
                top,
                h,
                accuracy,
                labels_out,
                sweep,
                autoencoder,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                let h = h.map_or(ds.frequency().default_horizon(), usize::from);
                crate::anomaly_cli::bench(
                    &ds,
                    seed,
                    top,
                    h,
                    accuracy,
                    labels_out.as_deref(),
                    sweep,
                    autoencoder,
                )?;
            }
            Command::BenchScenarios {
                input,
                h,
                top,
                paths,
                lead_days,
                vae,
                speed,
                json,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                let h = h.map_or(ds.frequency().default_horizon(), usize::from);
                if speed {
                    return crate::scenarios_cli::speed(&ds, h, paths, vae);
                }
                crate::scenarios_cli::bench(&ds, h, ds.season(), top, paths, lead_days, vae, json)?;
            }
            Command::Plan(a) => crate::inventory_cli::plan(a)?,
            Command::Update {
                store,
                input,
                out,
                no_forecast,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                crate::tracking_cli::update(
                    &store,
                    &name,
                    &bytes,
                    opts,
                    out.as_deref(),
                    !no_forecast,
                )?
            }
            Command::Accuracy { store, json, out } => {
                crate::tracking_cli::accuracy(&store, json, out.as_deref())?
            }
            Command::Elasticity { input, out } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                crate::pricing_cli::elasticity(&name, &bytes, &opts, out.as_deref())?
            }
            Command::BenchElasticity(a) => crate::pricing_cli::bench_elasticity(&a)?,
            Command::Price { input, costs, out } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                crate::pricing_cli::price(&name, &bytes, &opts, &costs, out.as_deref())?
            }
            Command::Allocate(a) => crate::logistics_cli::allocate(a)?,
            Command::Rebalance(a) => crate::logistics_cli::rebalance(a)?,
            Command::Route(a) => crate::logistics_cli::route(a)?,
            Command::RegionShares(a) => crate::logistics_cli::region_shares(a)?,
            Command::BenchPlan {
                input,
                skus,
                h,
                simulations,
                horizon_days,
                runs,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let mut ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                ds.keep_top(skus as usize);
                crate::inventory_cli::bench_plan(
                    &ds,
                    usize::from(h),
                    simulations,
                    horizon_days,
                    usize::from(runs),
                )?;
            }
            Command::Ingest {
                input,
                out,
                top,
                with_description,
                skip_zeros,
                skus,
                store,
                no_forecast,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let mut ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                print_report(&ds);
                if skus {
                    print_skus(&ds);
                }
                if let Some(path) = &store {
                    crate::tracking_cli::create(ds.clone(), path, !no_forecast)?;
                }
                if let Some(n) = top {
                    ds.keep_top(n);
                }
                if let Some(out) = out {
                    let f = std::fs::File::create(&out)
                        .with_context(|| format!("cannot create {}", out.display()))?;
                    ds.write_long_csv(std::io::BufWriter::new(f), with_description, skip_zeros)
                        .with_context(|| format!("cannot write {}", out.display()))?;
                    println!("wrote {} series to {}", ds.series.len(), out.display());
                }
            }
            Command::Train {
                input,
                model,
                device,
                epochs,
                h,
                out,
            } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                #[cfg(feature = "nn")]
                crate::neural_cli::train_cmd(
                    &ds,
                    &model,
                    &device,
                    epochs,
                    h.unwrap_or(ds.frequency().default_horizon()),
                    &out,
                )?;
                #[cfg(not(feature = "nn"))]
                {
                    let _ = (ds, model, device, epochs, h, out);
                    return Err(crate::neural_cli::unavailable());
                }
            }
            Command::Forecast {
                input,
                h,
                season,
                windows,
                out,
                model,
                pretrained: _,
                no_pretrained,
                clean,
                paths,
                paths_out,
                scenarios,
            } => {
                let scenarios = crate::scenarios_cli::parse(&scenarios)?;
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let mut ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                if clean {
                    let flags = supplycast::anomaly::detect(&ds, &Default::default());
                    let (cleaned, rep) = supplycast::anomaly::impute(
                        &ds,
                        &supplycast::anomaly::default_exclusions(&flags),
                    );
                    eprintln!(
                        "cleaned: {} periods of {} SKUs imputed (stock-outs, missing data): {} units became {}",
                        rep.points,
                        rep.skus,
                        data::fmt_qty(rep.units_before),
                        data::fmt_qty(rep.units_after)
                    );
                    ds = cleaned;
                }
                let h = h.map_or(ds.frequency().default_horizon(), usize::from);
                if let Some(model) = model {
                    #[cfg(feature = "nn")]
                    {
                        let (kind, q) = crate::neural_cli::forecast_with_model(&ds, &model, h)?;
                        let dates = ds.future_periods(h);
                        let sink: Box<dyn Write> = match &out {
                            Some(p) => Box::new(std::io::BufWriter::new(
                                std::fs::File::create(p)
                                    .with_context(|| format!("cannot create {}", p.display()))?,
                            )),
                            None => Box::new(std::io::stdout().lock()),
                        };
                        let mut w = csv::Writer::from_writer(sink);
                        w.write_record(["sku", "date", "p10", "p50", "p90", "model"])?;
                        for (s, q) in ds.series.iter().zip(&q) {
                            for (j, d) in dates.iter().enumerate() {
                                w.write_record([
                                    s.sku.clone(),
                                    d.to_string(),
                                    fmt4(q[0][j]),
                                    fmt4(q[1][j]),
                                    fmt4(q[2][j]),
                                    kind.clone(),
                                ])?;
                            }
                        }
                        w.flush()?;
                        return Ok(());
                    }
                    #[cfg(not(feature = "nn"))]
                    {
                        let _ = model;
                        return Err(crate::neural_cli::unavailable());
                    }
                }
                let season = season.unwrap_or_else(|| ds.season());
                let windows = usize::from(windows);
                let cfg = BacktestConfig {
                    h,
                    windows,
                    season,
                    paths: if paths_out.is_some() { paths } else { 0 },
                    scenarios,
                };
                let dates = ds.future_periods(h);
                let sink: Box<dyn Write> = match &out {
                    Some(p) => Box::new(std::io::BufWriter::new(
                        std::fs::File::create(p)
                            .with_context(|| format!("cannot create {}", p.display()))?,
                    )),
                    None => Box::new(std::io::stdout().lock()),
                };
                let mut w = csv::Writer::from_writer(sink);
                w.write_record(["sku", "date", "p10", "p50", "p90", "model"])?;
                // The whole dataset at once, as the app does: the choice learns from
                // every SKU's backtests.
                #[cfg(feature = "nn")]
                let globals = if no_pretrained {
                    Vec::new()
                } else {
                    vec![crate::neural_cli::pretrained_globals(&ds, &cfg)?]
                };
                #[cfg(not(feature = "nn"))]
                let globals = {
                    if !no_pretrained {
                        eprintln!(
                            "note: this build has no pretrained model (feature nn): the forecast uses the statistical models only"
                        );
                    }
                    Vec::new()
                };
                let templates = if scenarios == forecast::scenarios::Scenarios::Generative {
                    #[cfg(feature = "nn")]
                    {
                        let ys: Vec<&[f64]> =
                            ds.series.iter().map(|s| s.values.as_slice()).collect();
                        crate::neural_cli::vae_paths(&ys, h, paths.min(256))
                            .iter()
                            .map(|t| t.as_deref().and_then(forecast::scenarios::Ranks::of))
                            .collect::<Vec<_>>()
                    }
                    #[cfg(not(feature = "nn"))]
                    {
                        return Err(crate::neural_cli::unavailable());
                    }
                } else {
                    Vec::new()
                };
                let run = forecast::run::forecast_dataset_scenarios(
                    &ds,
                    cfg,
                    &globals,
                    &templates,
                    &mut |_, _| true,
                );
                for s in &run.skus {
                    let c = match &s.result {
                        Ok(c) => c,
                        Err(e) => {
                            eprintln!("{}: {e}", s.sku);
                            continue;
                        }
                    };
                    let f = &c.forecast;
                    for (j, d) in dates.iter().enumerate() {
                        w.write_record([
                            s.sku.clone(),
                            d.to_string(),
                            fmt4(f.quantiles[0][j]),
                            fmt4(f.quantiles[1][j]),
                            fmt4(f.quantiles[2][j]),
                            f.model.clone(),
                        ])?;
                    }
                }
                w.flush()?;
                if let Some(p) = out {
                    eprintln!(
                        "wrote forecasts of {} series, {h} periods ({} to {}), to {}",
                        ds.series.len(),
                        dates.first().map(|d| d.to_string()).unwrap_or_default(),
                        dates.last().map(|d| d.to_string()).unwrap_or_default(),
                        p.display()
                    );
                }
                if let Some(p) = paths_out {
                    crate::scenarios_cli::write_paths(&run, &p)?;
                }
            }
            Command::BenchForecast {
                input,
                h,
                season,
                windows,
                max_series,
                json,
                forecasts_out,
                threads,
                models,
                device,
                epochs,
                only_neural,
                nn_hidden,
                nn_context,
                history,
                no_pretrained,
                rules,
            } => {
                let threads = threads.unwrap_or_else(|| {
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(1)
                });
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let mut ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                if let Some(n) = max_series {
                    ds.keep_top(n);
                }
                let season = season.unwrap_or_else(|| ds.season());
                let h = h.map_or(ds.frequency().default_horizon(), usize::from);
                if let Some(k) = history {
                    for s in &mut ds.series {
                        let keep = k + h;
                        if s.values.len() > keep {
                            let cut = s.values.len() - keep;
                            s.start += cut;
                            s.values.drain(..cut);
                        }
                    }
                }
                let windows = usize::from(windows);
                let cfg = BacktestConfig {
                    h,
                    windows,
                    season,
                    paths: 0,
                    scenarios: Default::default(),
                };
                let series: Vec<(String, Vec<f64>)> = ds
                    .series
                    .iter()
                    .map(|s| (s.sku.clone(), s.values.clone()))
                    .collect();
                let t = Instant::now();
                let stats_series: &[(String, Vec<f64>)] = if only_neural { &[] } else { &series };
                // The pretrained model is a candidate of the default forecast, so it is one
                // here too (its forecasts made once, on the training parts).
                #[cfg(feature = "nn")]
                let extra = if no_pretrained || only_neural {
                    Vec::new()
                } else {
                    crate::neural_cli::pretrained_bench_candidates(&ds, &cfg)?
                };
                #[cfg(not(feature = "nn"))]
                let extra = {
                    if !no_pretrained {
                        eprintln!(
                            "note: this build has no pretrained model (feature nn): statistical models only"
                        );
                    }
                    Vec::new()
                };
                let all_rules: Vec<forecast::rule::ChoiceRule> =
                    std::iter::once(Default::default()).chain(rules).collect();
                let mut report = forecast::bench::run_with(
                    stats_series,
                    &extra,
                    &all_rules,
                    &cfg,
                    forecasts_out.is_some(),
                    threads,
                    &mut |_| {},
                );
                if only_neural {
                    report.models.clear();
                    report.series = series.iter().filter(|(_, y)| y.len() > h + season).count();
                }
                if let Some(list) = &models {
                    #[cfg(feature = "nn")]
                    {
                        let rows = crate::neural_cli::bench_models(
                            &ds, h, season, list, &device, epochs, nn_hidden, nn_context,
                        )?;
                        let (rows, held): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
                        crate::neural_cli::print_extra(&rows);
                        let at = report
                            .models
                            .len()
                            .saturating_sub(usize::from(!only_neural));
                        for (k, r) in crate::neural_cli::reports(&rows).into_iter().enumerate() {
                            report.models.insert(at + k, r);
                        }
                        if forecasts_out.is_some() {
                            report.forecasts.extend(held.into_iter().flatten());
                        }
                        if !only_neural {
                            let (auto, picks, skipped) = crate::neural_cli::auto_with(
                                &ds, &cfg, list, &device, epochs, threads,
                            )?;
                            for s in skipped {
                                eprintln!("not a candidate of the automatic choice: {s}");
                            }
                            eprintln!(
                                "automatic choice with neural candidates picked: {}",
                                picks
                                    .iter()
                                    .map(|(m, n)| format!("{m} {n}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            );
                            report.models.push(auto);
                        }
                    }
                    #[cfg(not(feature = "nn"))]
                    {
                        let _ = (list, &device, epochs, nn_hidden, nn_context);
                        return Err(crate::neural_cli::unavailable());
                    }
                }
                let total = t.elapsed().as_secs_f64();
                if let Some(p) = &forecasts_out {
                    write_held_out(p, &ds, &report)?;
                }
                if json {
                    let mut v = serde_json::to_value(&report)?;
                    if let Some(o) = v.as_object_mut() {
                        o.remove("forecasts");
                        o.insert("total_wall_s".into(), total.into());
                        o.insert("data".into(), name.clone().into());
                    }
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else {
                    print_bench(&name, &report, total);
                }
            }
            Command::BenchIngest { input, runs } => {
                let (name, bytes) = read_input(&input.file)?;
                let opts = load_options(&input, &name, &bytes)?;
                let mut times = Vec::new();
                let mut lines = 0;
                for _ in 0..runs.max(1) {
                    let t = Instant::now();
                    let ds = with_bundles(&input, data::load(&name, &bytes, &opts, &mut |_| {})?)?;
                    times.push(t.elapsed().as_secs_f64());
                    lines = ds.report.rows;
                }
                times.sort_by(f64::total_cmp);
                let med = times[times.len() / 2];
                println!(
                    "file: {name} ({:.1} MB, {lines} rows)",
                    bytes.len() as f64 / 1e6
                );
                println!(
                    "ingest (parse + clean + aggregate), {} runs: median {med:.3} s, min {:.3} s, max {:.3} s",
                    times.len(),
                    times[0],
                    times[times.len() - 1]
                );
                println!(
                    "throughput: {:.0} rows/s, {:.1} MB/s",
                    lines as f64 / med,
                    bytes.len() as f64 / 1e6 / med
                );
            }
        }
        Ok(())
    }

    fn fmt4(v: f64) -> String {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.to_string()
        }
    }

    fn write_held_out(
        path: &Path,
        ds: &data::Dataset,
        r: &forecast::bench::BenchReport,
    ) -> anyhow::Result<()> {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record(["sku", "date", "model", "forecast", "p10", "p50", "p90"])?;
        for ho in &r.forecasts {
            let Some(s) = ds.get(&ho.sku) else { continue };
            let dates = s.dates(ds);
            let start = dates.len().saturating_sub(r.h);
            for (j, d) in dates[start..].iter().enumerate() {
                w.write_record([
                    ho.sku.clone(),
                    d.to_string(),
                    ho.model.clone(),
                    fmt4(ho.point[j]),
                    fmt4(ho.p10[j]),
                    fmt4(ho.p50[j]),
                    fmt4(ho.p90[j]),
                ])?;
            }
        }
        w.flush()?;
        Ok(())
    }

    fn print_bench(name: &str, r: &forecast::bench::BenchReport, total: f64) {
        println!(
            "data: {name}  h={}  season={}  series={} (too short, skipped: {})",
            r.h, r.season, r.series, r.too_short
        );
        println!(
            "{:<22} {:>9} {:>11} {:>10} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8}",
            "model",
            "MASE mean",
            "MASE median",
            "RMSSE mean",
            "WAPE",
            "bias",
            "SQL q0.1",
            "SQL q0.5",
            "SQL q0.9",
            "SQL mean",
            "cov80",
            "wall s"
        );
        let f = |v: f64| data::fmt_figure(v, 3);
        for m in &r.models {
            let s = &m.summary;
            let name = if m.threads > 1 {
                format!("{} ({}t)", m.model, m.threads)
            } else {
                m.model.clone()
            };
            if s.series == 0 {
                println!("{name:<22} (no series long enough for this model)");
                continue;
            }
            println!(
                "{:<22} {:>9} {:>11} {:>10} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8.2}",
                name,
                f(s.mase),
                f(s.mase_median),
                f(s.rmsse),
                f(s.wape),
                f(s.bias),
                f(s.sql[0]),
                f(s.sql[1]),
                f(s.sql[2]),
                f(s.sql_mean),
                f(s.coverage80),
                m.wall_s
            );
        }
        let picks: Vec<String> = r.choices.iter().map(|(m, n)| format!("{m} {n}")).collect();
        println!("automatic choice picked: {}", picks.join(", "));
        let naive = r.chosen("Naive");
        println!(
            "Naive chosen for {naive} series; Naive is the best single model out of sample on {}",
            r.naive_wins
        );
        println!("total wall time: {total:.2} s");
    }

    /// The most bytes an input file may hold (decompressed): 1 GiB, about 15 million
    /// order lines, or `SUPPLYCAST_MAX_INPUT_MB`. The file is parsed in memory, so a
    /// bigger one (or a small gzip that inflates to gigabytes) would exhaust it: it is
    /// refused, with its size, before that.
    fn max_input_bytes() -> u64 {
        std::env::var("SUPPLYCAST_MAX_INPUT_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&mb| mb > 0)
            .map_or(1 << 30, |mb| mb.saturating_mul(1 << 20))
    }

    /// A file's name and bytes, gzip decompressed as it is read (never held compressed
    /// and decompressed at once), refused beyond [`max_input_bytes`].
    pub(crate) fn read_input(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
        let shown = path.display();
        let limit = max_input_bytes();
        let too_big = |what: &str| {
            anyhow::anyhow!(
                "{shown}: more than {} MB{what}; the limit is {} MB (SUPPLYCAST_MAX_INPUT_MB sets it): split the export by date, or aggregate it first",
                limit >> 20,
                limit >> 20
            )
        };
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {shown}"))?;
        if file.metadata().is_ok_and(|m| m.len() > limit) {
            return Err(too_big(""));
        }
        let mut reader = std::io::BufReader::new(file);
        let gzip = std::io::BufRead::fill_buf(&mut reader)
            .with_context(|| format!("cannot read {shown}"))?
            .starts_with(&[0x1f, 0x8b]);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut out = Vec::new();
        if gzip {
            flate2::read::MultiGzDecoder::new(reader)
                .take(limit + 1)
                .read_to_end(&mut out)
                .with_context(|| format!("{shown}: not a valid gzip file"))?;
            if out.len() as u64 > limit {
                return Err(too_big(" when decompressed"));
            }
            return Ok((name.trim_end_matches(".gz").to_string(), out));
        }
        reader
            .take(limit + 1)
            .read_to_end(&mut out)
            .with_context(|| format!("cannot read {shown}"))?;
        if out.len() as u64 > limit {
            return Err(too_big(""));
        }
        Ok((name, out))
    }

    /// `ds` with the bundles of `--bundles` turned into their components' demand.
    fn with_bundles(input: &Input, ds: data::Dataset) -> anyhow::Result<data::Dataset> {
        let Some(p) = &input.bundles else {
            return Ok(ds);
        };
        let name = p.display().to_string();
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {name}"))?;
        let bundles = data::bundles::read(&name, &bytes)?;
        let (ds, report) = data::bundles::explode(&ds, &bundles);
        eprintln!("{}", report.summary());
        Ok(ds)
    }

    fn load_options(input: &Input, name: &str, bytes: &[u8]) -> anyhow::Result<LoadOptions> {
        let mut read = data::ReadOptions {
            skip_bad_rows: input.skip_bad_rows,
            ..Default::default()
        };
        if let Some(d) = &input.delimiter {
            read.delimiter = Some(match d.as_str() {
                "tab" | "\\t" => b'\t',
                s if s.len() == 1 => s.as_bytes()[0],
                s => bail!("--delimiter must be one character or 'tab', not '{s}'"),
            });
        }
        read.date_style = input.date_style.map(|d| match d {
            DateArg::Iso => DateStyle::Iso,
            DateArg::Mdy => DateStyle::MonthFirst,
            DateArg::Dmy => DateStyle::DayFirst,
        });
        if let Some(f) = input.format {
            let format = match f {
                FormatArg::OrderLines => Format::OrderLines,
                FormatArg::Long => Format::Long,
                FormatArg::Wide => Format::Wide,
            };
            // Keep the detected roles, change only how rows are read.
            let mut sn = data::ingest::sniff(name, bytes, &read)
                .map(|s| s.mapping)
                .or_else(|e| match e {
                    data::DataError::UnknownFormat { .. } => Ok(data::ColumnMapping {
                        format,
                        columns: Vec::new(),
                    }),
                    e => Err(e),
                })?;
            sn.format = format;
            read.mapping = Some(sn);
        }
        Ok(LoadOptions {
            read,
            freq: match input.freq {
                Freq::Daily => Frequency::Daily,
                Freq::Weekly => Frequency::Weekly,
                Freq::Monthly => Frequency::Monthly,
                Freq::Quarterly => Frequency::Quarterly,
            },
            cancellations: match input.cancellations {
                CancelArg::Match => CancellationRule::RemoveMatchedOrders,
                CancelArg::Net => CancellationRule::Net,
            },
        })
    }

    fn print_report(ds: &data::Dataset) {
        let r = &ds.report;
        let s = &r.sniff;
        let out = &mut std::io::stdout().lock();
        let delim = match s.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", char::from(d)),
        };
        let _ = writeln!(out, "file: {}", ds.name);
        let _ = writeln!(
            out,
            "format: {} (delimiter {delim}, {:?}, dates {})",
            s.mapping.format.label(),
            s.encoding,
            s.date_style.label()
        );
        let roles: Vec<String> = s
            .mapping
            .columns
            .iter()
            .map(|(role, c)| {
                format!(
                    "{}={}",
                    role.label(),
                    s.headers.get(*c).map(String::as_str).unwrap_or("?")
                )
            })
            .collect();
        let _ = writeln!(out, "columns: {}", roles.join(", "));
        let _ = writeln!(
            out,
            "rows: {}   unreadable rows left out: {}",
            r.rows, r.bad_rows
        );
        for p in &r.problems {
            let _ = writeln!(out, "  {p}");
        }
        let _ = writeln!(out, "\ncleaning:");
        for st in r.steps() {
            let _ = writeln!(
                out,
                "  {:<28} {:>9} lines {:>12} units   {}",
                st.name,
                st.lines,
                data::fmt_qty(st.units.round()),
                st.rule
            );
        }
        if !r.counts.non_product_codes.is_empty() {
            let _ = writeln!(out, "\nnon-product codes excluded:");
            for np in &r.counts.non_product_codes {
                let _ = writeln!(
                    out,
                    "  {:<14} {:<40} {:>6} lines",
                    np.code, np.description, np.tally.lines
                );
            }
        }
        if r.counts.case_merged_codes > 0 {
            let _ = writeln!(
                out,
                "SKU codes differing only in letter case, merged: {}",
                r.counts.case_merged_codes
            );
        }
        let cal = &r.calendar;
        let _ = writeln!(
            out,
            "\ncalendar: {} .. {}, {} {} periods",
            cal.first_day.map(|d| d.to_string()).unwrap_or_default(),
            cal.last_day.map(|d| d.to_string()).unwrap_or_default(),
            ds.periods.len(),
            ds.frequency().label()
        );
        if ds.frequency() != Frequency::Daily {
            let _ = writeln!(
                out,
                "  detected frequency: {} (season {}); --freq aggregates further",
                ds.frequency().label(),
                ds.season()
            );
        }
        if !cal.closed_weekdays.is_empty() {
            let names: Vec<&str> = cal
                .closed_weekdays
                .iter()
                .map(|w| data::weekday_name(*w))
                .collect();
            let _ = writeln!(out, "  closed weekdays: {}", names.join(", "));
        }
        if !cal.closure_days.is_empty() {
            let days: Vec<String> = cal.closure_days.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(out, "  closures ({} days): {}", days.len(), days.join(" "));
        }
        if !cal.moved_from.is_empty() {
            let days: Vec<String> = cal.moved_from.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(
                out,
                "  sales on closed days moved to the next trading day: {} lines from {}",
                cal.moved_lines,
                days.join(" ")
            );
        }
        if !cal.partial_weeks.is_empty() {
            let _ = writeln!(
                out,
                "  partial weeks at the ends left out: {} ({} units)",
                cal.partial_weeks.len(),
                data::fmt_qty(cal.partial_week_units)
            );
        }
        let q = ds.quality_summary();
        let _ = writeln!(
            out,
            "\nSKUs: {} with sales ({} in the file, {} without any sale left)",
            ds.series.len(),
            r.skus_in_file,
            r.skus_without_sales
        );
        let classes: Vec<String> = q
            .classes
            .iter()
            .map(|(c, n)| format!("{} {n}", c.label()))
            .collect();
        let _ = writeln!(out, "  demand classes: {}", classes.join(", "));
        let _ = writeln!(
            out,
            "  zero periods: {:.1} %   median history: {} periods   short histories: {}",
            100.0 * q.zero_share,
            q.median_history,
            q.short_histories
        );
        let _ = writeln!(
            out,
            "  flagged spikes: {}   customers: {}   countries: {}",
            r.flagged_points, r.customers, r.countries
        );
    }

    fn print_skus(ds: &data::Dataset) {
        println!(
            "\n{:<14} {:<36} {:>9} {:>7} {:>6} {:>6} {:<13} {:<10} {:<10} {:>5}",
            "sku",
            "description",
            "units",
            "periods",
            "zero%",
            "ADI",
            "class",
            "first",
            "last",
            "flags"
        );
        for s in &ds.series {
            let q = &s.quality;
            let desc: String = s.description.chars().take(36).collect();
            println!(
                "{:<14} {:<36} {:>9} {:>7} {:>6.1} {:>6} {:<13} {:<10} {:<10} {:>5}",
                s.sku,
                desc,
                data::fmt_qty(s.units),
                q.periods,
                100.0 * q.zero_share,
                data::fmt_figure(q.adi, 2),
                q.class.label(),
                q.first_sale,
                q.last_sale,
                q.flags.len()
            );
        }
    }
}
