//! The fuzz command (not part of CI): every parser a merchant's input reaches — the sales
//! file, the parameters CSV, the forecast file, the stored-data bytes (dataset and
//! forecast run, as IndexedDB keeps them) and each logistics input (locations, stock,
//! demand, costs, lanes, region coordinates, order exports for region shares, deliveries
//! as CSV, CVRPLIB and Solomon) — gets `FUZZ_N` (default 1,000,000) inputs made by
//! mutating valid seeds (byte flips, insertions, deletions, duplicated and swapped
//! lines, hostile tokens such as `1e308`, `NaN`, `99999999999999999999`, quotes, NULs,
//! truncation). Any panic is a failure; the inputs that caused one are printed so that
//! they can be kept as regression cases.
//!
//! ```sh
//! cargo test --release --test fuzz_parsers -- --ignored --nocapture          # 10^6 each
//! FUZZ_N=20000 cargo test --release --test fuzz_parsers -- --ignored --nocapture
//! ```
//!
//! The model-file reader (`nn::train::load`, `nn::pretrained::load`) needs the `nn`
//! feature: `cargo test --release --features nn --test fuzz_parsers -- --ignored`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use supplycast::data::{self, Dataset, LoadOptions};
use supplycast::logistics::{self, AllocationProblem, RoutingProblem};

/// xorshift64*: deterministic, so a crash found once is found again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: [&[u8]; 18] = [
    b",",
    b";",
    b"\n",
    b"\r\n",
    b"\"",
    b"-",
    b"0",
    b"-1",
    b"1e308",
    b"-1e308",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"\0",
    b"\xff\xfe",
    b"2024-02-30",
    b"  ",
    b"depot",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = v.len();
        match rng.below(8) {
            0 if n > 0 => {
                let i = rng.below(n);
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(n + 1);
                v.insert(i, rng.next() as u8);
            }
            2 if n > 0 => {
                let i = rng.below(n);
                let j = (i + 1 + rng.below(16)).min(n);
                v.drain(i..j);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let j = (i + 1 + rng.below(64)).min(n);
                let part = v[i..j].to_vec();
                let at = rng.below(n + 1);
                v.splice(at..at, part);
            }
            4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(n + 1);
                v.splice(i..i, t.iter().copied());
            }
            5 if n > 0 => v.truncate(rng.below(n)),
            6 => {
                // Swap two lines.
                let mut lines: Vec<Vec<u8>> =
                    v.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                if lines.len() > 2 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                }
                v = lines.join(&b'\n');
            }
            _ => {
                // Replace a number-looking run with a hostile token.
                if let Some(i) = (0..n)
                    .map(|_| rng.below(n.max(1)))
                    .find(|&i| v[i].is_ascii_digit())
                {
                    let mut j = i;
                    while j < v.len() && (v[j].is_ascii_digit() || v[j] == b'.') {
                        j += 1;
                    }
                    let t = TOKENS[6 + rng.below(7)];
                    v.splice(i..j, t.iter().copied());
                }
            }
        }
    }
    v
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The first whole lines of a file, up to about `max` bytes.
fn head(b: Vec<u8>, max: usize) -> Vec<u8> {
    if b.len() <= max {
        return b;
    }
    let cut = b[..max]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(max, |i| i + 1);
    b[..cut].to_vec()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `n` mutated inputs through `parse` (true: the input was accepted); returns the
/// inputs that panicked. The seeds themselves must be accepted.
fn fuzz(
    name: &str,
    seeds: &[Vec<u8>],
    n: usize,
    seed: u64,
    parse: &dyn Fn(&[u8]) -> bool,
) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let mut crashes = Vec::new();
    let mut accepted = 0usize;
    let t = std::time::Instant::now();
    for k in 0..n {
        let input = if k < seeds.len() {
            seeds[k].clone()
        } else {
            mutate(&seeds[rng.below(seeds.len())], &mut rng)
        };
        match catch_unwind(AssertUnwindSafe(|| parse(&input))) {
            Ok(ok) => {
                if !ok && k < seeds.len() {
                    // (The panic hook is silenced while fuzzing: say it first.)
                    eprintln!("{name}: seed {k} is refused");
                    panic!("{name}: seed {k} is refused");
                }
                accepted += usize::from(ok);
            }
            Err(_) if crashes.len() < 20 => crashes.push(input),
            Err(_) => {}
        }
    }
    eprintln!(
        "{name}: {n} inputs in {:.1} s ({accepted} accepted, the rest refused with an error), {} crashes",
        t.elapsed().as_secs_f64(),
        crashes.len()
    );
    for c in crashes.iter().take(3) {
        eprintln!("  crash input: {:?}", text(c));
    }
    crashes
}

#[test]
#[ignore = "the fuzz command: minutes, not part of CI"]
fn every_parser_survives_a_million_mutated_inputs() {
    let n: usize = std::env::var("FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = Vec::new();
    // FUZZ_ONLY=text: only the parsers whose name holds it.
    let only = std::env::var("FUZZ_ONLY").unwrap_or_default();
    let mut run = |name: &str, seeds: Vec<Vec<u8>>, parse: &dyn Fn(&[u8]) -> bool| {
        if !name.contains(only.as_str()) {
            return;
        }
        let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        if !fuzz(name, &seeds, n, seed, parse).is_empty() {
            failed.push(name.to_string());
        }
    };

    // The sales file.
    let sales: Vec<Vec<u8>> = [
        "tests/fixtures/monthly_long.csv",
        "tests/fixtures/long_nixtla.csv",
        "tests/fixtures/long_us_dates.csv",
        "tests/fixtures/shopify_orders.csv",
        "tests/fixtures/wide_semicolon_dmy.csv",
        "tests/fixtures/quarterly_wide.csv",
    ]
    .iter()
    .map(|p| head(read(p), 1500))
    .collect();
    run("sales file", sales.clone(), &|b| {
        data::load("fuzz.csv", b, &LoadOptions::default(), &mut |_| {}).is_ok()
    });

    // The parameters CSV, merged into the defaults of two SKUs.
    let current = vec![
        supplycast::inventory::params::SkuParams::defaults("A", 2.0),
        supplycast::inventory::params::SkuParams::defaults("B", 5.0),
    ];
    run(
        "parameters CSV",
        vec![
            b"sku,on_hand,lead_time_days,lead_time_sd_days,unit_cost,price,moq,case_pack,service_level,policy\nA,10,7,2,1.5,3,1,6,0.95,auto\nB,0,14,0,2,5,10,1,0.9,rq\n".to_vec(),
            b"sku,on_hand,lead_time_days\nA,5,3\nB,0,21\n".to_vec(),
        ],
        &|b| {
            supplycast::inventory::params::merge_csv("params.csv", b, &current).is_ok()
        },
    );

    // The forecast file the planner reads.
    run(
        "forecast file",
        vec![
            b"sku,date,model,p10,p50,p90\nA,2024-01-01,SESOpt,1,2,4\nA,2024-01-02,SESOpt,1,2.5,4\nB,2024-01-01,Naive,0,0,1\nB,2024-01-02,Naive,0,1,1\n".to_vec(),
        ],
        &|b| {
            supplycast::inventory::forecast_file::read_forecast_csv("forecast.csv", b).is_ok()
        },
    );

    // Stored bytes: a dataset and a forecast run as IndexedDB keeps them.
    let ds = data::load(
        "monthly_long.csv",
        &read("tests/fixtures/monthly_long.csv"),
        &LoadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ds_bytes = ds.to_bytes();
    let config = supplycast::forecast::backtest::BacktestConfig {
        h: 3,
        windows: 2,
        ..Default::default()
    };
    let run_bytes =
        supplycast::forecast::run::forecast_dataset(&ds, config, &mut |_, _| true).to_bytes();
    let stored = ds.to_stored_bytes();
    run("stored dataset bytes", vec![ds_bytes], &|b| {
        Dataset::from_bytes(b).is_ok()
    });
    // What IndexedDB holds: the format header, then the dataset.
    run("stored dataset with its header", vec![stored], &|b| {
        Dataset::from_stored_bytes(b).is_ok()
    });
    run("stored forecast-run bytes", vec![run_bytes], &|b| {
        supplycast::forecast::run::ForecastRun::from_bytes(b).is_some()
    });

    // What decodes is used: a store file (dataset and history) is forecast, stored
    // parameters and a plan worker's request are planned, so that bytes that pass the
    // reader cannot make the next step panic or hang.
    let small = |ds: &Dataset| {
        let mut ds = ds.clone();
        ds.keep_top(3);
        let cfg = supplycast::forecast::backtest::BacktestConfig {
            h: 2,
            windows: 1,
            ..Default::default()
        };
        supplycast::forecast::run::forecast_dataset(&ds, cfg, &mut |_, _| true)
    };
    let store = supplycast::store::Store::new(ds.clone()).to_bytes();
    run(
        "store file, then a forecast",
        vec![store],
        &|b| match supplycast::store::Store::from_bytes("store.scs", b) {
            Ok(s) => {
                small(&s.dataset);
                true
            }
            Err(_) => false,
        },
    );
    run(
        "stored history",
        vec![supplycast::store::History::default().to_bytes()],
        &|b| supplycast::store::History::from_bytes("history", b).is_ok(),
    );
    let fr = small(&ds);
    let mut req = supplycast::inventory::plan::PlanRequest::from_forecast(
        &fr,
        &ds,
        supplycast::inventory::plan::default_params(&ds),
    )
    .unwrap();
    req.config.simulations = 20;
    req.config.horizon_days = 14.0;
    let plan_small = |r: &supplycast::inventory::plan::PlanRequest| {
        let mut r = r.clone();
        // The fuzz times the checks, not large plans: at most 20 replications of 3 SKUs.
        r.config.simulations = r.config.simulations.min(20);
        r.demand.truncate(3);
        r.run(&mut |_, _| true);
    };
    run(
        "stored parameters, then a plan",
        vec![supplycast::inventory::params::to_stored_bytes(&req.params)],
        &|b| match supplycast::inventory::params::from_stored_bytes(b) {
            Ok(p) => {
                let mut r = req.clone();
                r.params = p;
                plan_small(&r);
                true
            }
            Err(_) => false,
        },
    );
    run(
        "plan worker request, then a plan",
        vec![req.to_bytes()],
        &|b| match supplycast::inventory::plan::PlanRequest::from_bytes(b) {
            Some(r) => {
                plan_small(&r);
                true
            }
            None => false,
        },
    );

    // The shop's own files: stock exports, purchase orders and bundles.
    let params2 = current.clone();
    run(
        "stock export",
        vec![
            b"Handle,Title,Vendor,Variant SKU,Variant Inventory Qty,Variant Price,Cost per item,Status\nmug,Mug,Acme,A,12,9.50,4.10,active\nmug,,,B,3,9.50,4.10,\n".to_vec(),
            b"Handle,Title,SKU,Location,Incoming,Unavailable,Committed,Available,On hand\nmug,Mug,A,Main,2,0,1,5,6\nmug,Mug,A,Back,0,0,0,not stocked,not stocked\n".to_vec(),
            b"ID,Type,SKU,Name,Stock,Regular price,Sale price,Parent\n1,simple,A,Mug,4,9.5,,\n2,variation,B,Tee,\"1,234\",19,15,id:1\n".to_vec(),
            b"sku;on_hand;cost;price;supplier;location\nA;3;2,5;4;Acme;Main\n".to_vec(),
        ],
        &|b| match supplycast::inventory::stock::read("stock.csv", b) {
            Ok(f) => supplycast::inventory::stock::merge(&f, &params2).is_ok(),
            Err(_) => false,
        },
    );
    run(
        "purchase orders",
        vec![b"sku,quantity,expected date,supplier,po number\nA,10,2026-01-20,Acme,PO-1\nB,5,2026-02-01,,PO-2\n".to_vec()],
        &|b| match supplycast::inventory::purchase_orders::read("po.csv", b) {
            Ok(o) => supplycast::inventory::purchase_orders::merge(&o, &params2).is_ok(),
            Err(_) => false,
        },
    );
    let sku0 = ds.series[0].sku.clone();
    let sku1 = ds.series[1].sku.clone();
    run(
        "bundles, then exploded",
        vec![
            format!(
                "bundle sku,component sku,quantity\n{sku0},{sku1},2\n{sku0},C,1\nKIT,{sku0},3\n"
            )
            .into_bytes(),
        ],
        &|b| match data::bundles::read("bundles.csv", b) {
            Ok(bu) => {
                data::bundles::explode(&ds, &bu);
                true
            }
            Err(_) => false,
        },
    );

    // Logistics inputs.
    let asset = |f: &str| read(&format!("assets/logistics/{f}"));
    let (locations, stock, costs, lanes) = (
        text(&asset("locations.csv")),
        text(&asset("stock.csv"))
            .lines()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
        text(&asset("costs.csv")),
        text(&asset("lanes.csv")),
    );
    let demand = "region,sku,demand\nNorth,21212,40\nMidlands,21212,12\nScotland,85123A,3\n";
    run(
        "allocation: locations",
        vec![locations.clone().into_bytes()],
        &|b| {
            AllocationProblem::from_csv(
                ("l.csv", &text(b)),
                ("s.csv", &stock),
                ("d.csv", demand),
                ("c.csv", &costs),
            )
            .is_ok()
        },
    );
    run(
        "allocation: stock",
        vec![stock.clone().into_bytes()],
        &|b| {
            AllocationProblem::from_csv(
                ("l.csv", &locations),
                ("s.csv", &text(b)),
                ("d.csv", demand),
                ("c.csv", &costs),
            )
            .is_ok()
        },
    );
    run(
        "allocation: demand",
        vec![demand.as_bytes().to_vec()],
        &|b| logistics::allocate::read_demand("d.csv", &text(b)).is_ok(),
    );
    run(
        "allocation: costs",
        vec![costs.clone().into_bytes()],
        &|b| {
            AllocationProblem::from_csv(
                ("l.csv", &locations),
                ("s.csv", &stock),
                ("d.csv", demand),
                ("c.csv", &text(b)),
            )
            .is_ok()
        },
    );
    run("lanes", vec![lanes.clone().into_bytes()], &|b| {
        logistics::rebalance::read_lanes("lanes.csv", &text(b)).is_ok()
    });
    run(
        "region coordinates",
        vec![
            b"region,lat,lon\nNorth,54.0,-2.0\nScotland,56.5,-4.2\n".to_vec(),
            b"region,x,y\nA,1,2\n".to_vec(),
        ],
        &|b| logistics::allocate::read_region_coords("r.csv", &text(b)).is_ok(),
    );
    run(
        "forecast split by region",
        vec![b"sku,p50\n21212,40\n85123A,3\n".to_vec()],
        &|b| {
            logistics::allocate::demand_from_forecast(
                ("f.csv", &text(b)),
                ("s.csv", "region,share\nNorth,0.5\nScotland,0.5\n"),
            )
            .is_ok()
        },
    );
    run(
        "order export for region shares",
        vec![head(read("tests/fixtures/online_retail_excerpt.csv"), 2000)],
        &|b| logistics::regions::shares_from_orders("orders.csv", &text(b), None).is_ok(),
    );
    let routing = |f: &str| read(&format!("tests/reference/routing/{f}"));
    run(
        "deliveries CSV",
        vec![routing("small_latlon.csv"), asset("deliveries.csv")],
        &|b| RoutingProblem::parse("day.csv", &text(b), Some(3), Some(20.0), None).is_ok(),
    );
    run("CVRPLIB file", vec![routing("small_cvrp.vrp")], &|b| {
        RoutingProblem::parse("x.vrp", &text(b), None, None, None).is_ok()
    });
    run("Solomon file", vec![routing("small_vrptw.txt")], &|b| {
        RoutingProblem::parse("s.txt", &text(b), None, None, None).is_ok()
    });

    #[cfg(feature = "nn")]
    {
        let device = supplycast::nn::device::cpu();
        let model = read("tests/fixtures/lstm_h28.model");
        run("model file", vec![model], &|b| {
            supplycast::nn::train::load(b, &device).is_ok()
        });
        // Pretrained weights in f32 (format 2) and f16 (format 3), of a tiny network.
        use supplycast::nn::pretrained::{self, PretrainedConfig, PretrainedMeta};
        let cfg = PretrainedConfig::new()
            .with_context(32)
            .with_patch(8)
            .with_horizon(8)
            .with_width(8)
            .with_layers(1)
            .with_head(16);
        let net = cfg.init(&device);
        let meta = PretrainedMeta {
            config: cfg,
            provenance: vec!["fuzz seed".into()],
            fitted_through: None,
            steps: 1,
            valid_loss: 0.1,
        };
        let seeds = vec![
            pretrained::save(&net, &meta).unwrap(),
            pretrained::save_f16(&net, &meta).unwrap(),
        ];
        run("pretrained weights file", seeds, &|b| {
            pretrained::load(b, &device).is_ok()
        });
    }

    let _ = std::panic::take_hook();
    assert!(failed.is_empty(), "parsers that panicked: {failed:?}");
}
