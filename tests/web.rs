//! wasm-bindgen tests in headless Chromium: the core inside the browser, the chart on
//! a real canvas, IndexedDB, and Burn on WebGPU (SwiftShader here) and on the CPU with
//! asynchronous read-back.
#![cfg(target_arch = "wasm32")]

use supplycast::data::{self, LoadOptions};
use supplycast::plot::DemandChart;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EXCERPT: &[u8] = include_bytes!("fixtures/online_retail_excerpt.csv");

fn excerpt() -> data::Dataset {
    data::load(
        "online_retail_excerpt.csv",
        EXCERPT,
        &LoadOptions::default(),
        &mut |_| {},
    )
    .expect("the fixture loads")
}

#[wasm_bindgen_test]
fn core_parses_a_real_export_in_the_browser() {
    let ds = excerpt();
    assert_eq!(ds.report.rows, 5000);
    assert_eq!(ds.periods.len(), 2);
    // Same result as natively: the figures of tests/ingest.rs.
    let units: f64 = ds.series.iter().map(|s| s.units).sum();
    assert_eq!(units, ds.report.counts.kept.units);
    assert!(ds.report.counts.cancellations.lines > 0);
    let bad = data::load(
        "bad.csv",
        b"date,sku,quantity\n2024-01-01,A,x\n",
        &LoadOptions::default(),
        &mut |_| {},
    );
    assert!(matches!(bad, Err(data::DataError::BadRows { .. })));
}

#[wasm_bindgen_test]
fn chart_draws_on_a_canvas() {
    use plotters::prelude::IntoDrawingArea;
    let ds = excerpt();
    let doc = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement =
        doc.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(600);
    canvas.set_height(300);
    doc.body().unwrap().append_child(&canvas).unwrap();
    let s = &ds.series[0];
    let chart = DemandChart::new(&ds, s);
    let area = plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone())
        .unwrap()
        .into_drawing_area();
    chart.draw(&area).unwrap();
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let px = ctx.get_image_data(0.0, 0.0, 600.0, 300.0).unwrap().data();
    // Pixels of the demand line's blue.
    let blue = px.chunks(4).filter(|p| p[2] > 180 && p[0] < 120).count();
    assert!(blue > 50, "the demand line is drawn ({blue} blue pixels)");
}

#[wasm_bindgen_test]
async fn dataset_survives_in_indexeddb() {
    let ds = excerpt();
    supplycast::ui::storage::save(&ds.to_bytes()).await.unwrap();
    let back = supplycast::ui::storage::load()
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        data::Dataset::from_bytes(&back).unwrap().to_bytes(),
        ds.to_bytes()
    );
    supplycast::ui::storage::clear().await.unwrap();
    assert!(supplycast::ui::storage::load().await.unwrap().is_none());
}

/// A save whose request succeeds but whose transaction then aborts (as a quota check at
/// commit does) is an error, and the bytes saved before stay: a save is reported done
/// only when the browser committed it.
#[wasm_bindgen_test]
async fn a_save_aborted_at_commit_is_an_error_and_keeps_the_previous_bytes() {
    use supplycast::ui::storage;
    storage::save_key("abort-test", b"before").await.unwrap();
    let abort = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(
        |ev: web_sys::Event| {
            let req: web_sys::IdbRequest = ev.target().unwrap().dyn_into().unwrap();
            req.transaction().unwrap().abort().unwrap();
        },
    );
    let r = storage::save_key_then("abort-test", b"after", |req| {
        req.add_event_listener_with_callback("success", abort.as_ref().unchecked_ref())
            .unwrap();
    })
    .await;
    assert!(r.is_err(), "an aborted save is reported as an error");
    let back = storage::load_key("abort-test").await.unwrap();
    assert_eq!(back.as_deref(), Some(&b"before"[..]));
}

#[wasm_bindgen_test]
fn forecasting_engine_runs_in_the_browser() {
    use supplycast::forecast::{backtest::BacktestConfig, run};
    // Three SKUs over 150 days: weekly-seasonal, intermittent, trending.
    let mut csv = String::from("date,sku,quantity\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..150i64 {
        let d = start + chrono::Duration::days(i);
        csv.push_str(&format!(
            "{d},SEASONAL,{}\n",
            [9, 4, 3, 3, 5, 12, 15][(i % 7) as usize] + (i * 13 % 5)
        ));
        csv.push_str(&format!(
            "{d},SPARSE,{}\n",
            if i % 9 == 0 { 3 + i % 4 } else { 0 }
        ));
        csv.push_str(&format!("{d},TREND,{}\n", 10 + i / 5 + i * 7 % 3));
    }
    let ds = data::load(
        "engine.csv",
        csv.as_bytes(),
        &LoadOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let cfg = BacktestConfig {
        h: 14,
        windows: 3,
        season: ds.season(),
        paths: 50,
        scenarios: Default::default(),
    };
    let r = run::forecast_dataset(&ds, cfg, &mut |_, _| true);
    assert_eq!(r.skus.len(), 3);
    for s in &r.skus {
        let c = s.result.as_ref().expect("every SKU gets a forecast");
        let q = &c.forecast.quantiles;
        assert!(
            (0..14).all(|j| q[0][j] >= 0.0 && q[0][j] <= q[1][j] && q[1][j] <= q[2][j]),
            "{}",
            s.sku
        );
        assert_eq!(c.forecast.paths.len(), 50);
        // AutoETS (augurs, with its rand-based internals) runs in the browser too.
        assert!(
            c.leaderboard.iter().any(|m| m.model == "AutoETS"),
            "{}",
            s.sku
        );
    }
    assert!(
        r.skus
            .iter()
            .find(|s| s.sku == "SEASONAL")
            .unwrap()
            .seasonal
    );
    assert_eq!(r.to_csv().lines().count(), 1 + 3 * 14);
}

#[wasm_bindgen_test]
fn planner_runs_in_the_browser() {
    use supplycast::inventory::params::SkuParams;
    use supplycast::inventory::plan::{OwnedDemand, PlanConfig, PlanRequest, Status};
    use supplycast::inventory::policy;
    // The exact policies (statrs' normal/Poisson functions compiled to wasm).
    let e = policy::eoq(8.0, 0.225, 1300.0, None).unwrap();
    assert!((e.q - 304.05).abs() < 0.01);
    let ss = policy::ss_optimal(1.0, 4.0, 5.0, 6.0).unwrap();
    assert_eq!((ss.s, ss.big_s), (4, 10));
    // A small catalogue planned and simulated (1,000 runs × 90 days) as the worker does.
    let paths: Vec<Vec<f64>> = (0..100u64)
        .map(|i| (0..28u64).map(|t| ((i * 7 + t * 3) % 9) as f64).collect())
        .collect();
    let demand: Vec<OwnedDemand> = ["A", "B", "C"]
        .iter()
        .map(|s| OwnedDemand {
            sku: s.to_string(),
            description: String::new(),
            paths: paths.clone(),
            point: vec![4.0; 28],
        })
        .collect();
    let mut params: Vec<SkuParams> = ["A", "B", "C"]
        .iter()
        .map(|s| SkuParams::defaults(s, 10.0))
        .collect();
    params[1].on_hand = 10_000.0;
    let req = PlanRequest {
        config: PlanConfig::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            1.0,
            7,
        ),
        params,
        demand,
    };
    let back = PlanRequest::from_bytes(&req.to_bytes()).unwrap();
    let plan = back.run(&mut |_, _| true);
    assert_eq!(plan.skus.len(), 3);
    assert_eq!(plan.skus[0].status, Status::OrderNow);
    assert_eq!(plan.skus[1].status, Status::Overstocked);
    assert_eq!(plan.skus[0].simulated.runs, 1000);
    assert!(plan.skus[0].simulated.fill_rate > 0.8);
    assert_eq!(plan.purchase_csv().lines().count(), 3);
}

#[cfg(feature = "nn")]
mod burn {
    use super::*;
    use supplycast::nn;

    const A: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    const B: [f32; 6] = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    const AB: [f32; 4] = [58.0, 64.0, 139.0, 154.0];

    #[wasm_bindgen_test]
    async fn cpu_matmul_in_the_browser() {
        let out = nn::matmul_async(&nn::device::cpu(), &A, &B, 2, 3, 2)
            .await
            .unwrap();
        assert_eq!(out, AB);
    }

    /// Eight short weekly-seasonal series for tiny training runs.
    fn tiny_series() -> Vec<nn::data::NnSeries> {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<chrono::NaiveDate> =
            (0..60).map(|i| start + chrono::Duration::days(i)).collect();
        let future: Vec<chrono::NaiveDate> = (60..70)
            .map(|i| start + chrono::Duration::days(i))
            .collect();
        (0..8)
            .map(|k| nn::data::NnSeries {
                sku: format!("S{k}"),
                values: (0..60)
                    .map(|t| ((k + 1) * [3, 2, 2, 1, 1, 4, 5][t % 7]) as f64)
                    .collect(),
                dates: dates.clone(),
                future: future.clone(),
            })
            .collect()
    }

    fn tiny() -> (nn::models::NetConfig, nn::train::TrainConfig) {
        (
            nn::models::NetConfig::new(nn::models::Kind::Mlp, 14, 7).with_hidden(4),
            nn::train::TrainConfig {
                epochs: 3,
                steps_per_epoch: 2,
                batch: 16,
                lr: 1e-2,
                patience: 3,
                ..Default::default()
            },
        )
    }

    #[wasm_bindgen_test]
    async fn cpu_training_in_the_browser_and_a_model_in_indexeddb() {
        let dev = nn::device::cpu();
        let series = tiny_series();
        let (cfg, tc) = tiny();
        let t = nn::train::train(cfg.clone(), &series, &tc, &dev, &mut |_| true)
            .await
            .unwrap();
        let losses: Vec<f64> = t.history.iter().map(|p| p.train_loss).collect();
        assert!(
            losses.last().unwrap() < losses.first().unwrap(),
            "{losses:?}"
        );
        let meta = nn::train::ModelMeta {
            config: cfg.clone(),
            period_days: 1.0,
            series: series.len(),
            valid_loss: t.history.last().unwrap().valid_loss,
            epochs: t.history.len(),
            fitted_through: nn::train::fitted_through(&series),
        };
        let bytes = nn::train::save(&t.net, &meta).unwrap();
        supplycast::ui::storage::save_key("model:test", &bytes)
            .await
            .unwrap();
        let back = supplycast::ui::storage::load_key("model:test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, bytes);
        let (net, meta2) = nn::train::load(&back, &dev).unwrap();
        assert_eq!(meta2, meta);
        let a = nn::train::predict(&t.net, &cfg, &series, &dev)
            .await
            .unwrap();
        let b = nn::train::predict(&net, &cfg, &series, &dev).await.unwrap();
        assert_eq!(a, b);
    }

    #[wasm_bindgen_test]
    async fn webgpu_matmul_and_training_in_the_browser() {
        // One test: a page initialises its WebGPU device once.
        let dev = nn::device::webgpu().await.expect(
            "headless Chromium with --enable-unsafe-webgpu has a (software) WebGPU adapter",
        );
        let out = nn::matmul_async(&dev, &A, &B, 2, 3, 2).await.unwrap();
        assert_eq!(out, AB);
        // A tiny MLP, a few Adam steps on SwiftShader (software: kept tiny).
        let series = tiny_series();
        let (cfg, tc) = tiny();
        let t = nn::train::train(cfg.clone(), &series, &tc, &dev, &mut |_| true)
            .await
            .unwrap();
        let losses: Vec<f64> = t.history.iter().map(|p| p.train_loss).collect();
        assert!(
            losses.last().unwrap() < losses.first().unwrap(),
            "{losses:?}"
        );
        // Weights trained on WebGPU are read back asynchronously onto the CPU, so the
        // model can be saved (a synchronous read-back cannot work here) and forecasts
        // as it did on the GPU.
        let cpu = nn::device::cpu();
        let on_cpu = nn::to_cpu_async(&t.net, cfg.init(&cpu)).await.unwrap();
        let meta = nn::train::ModelMeta {
            config: cfg.clone(),
            period_days: 1.0,
            series: series.len(),
            valid_loss: t.history.last().unwrap().valid_loss,
            epochs: t.history.len(),
            fitted_through: nn::train::fitted_through(&series),
        };
        let bytes = nn::train::save(&on_cpu, &meta).unwrap();
        let (loaded, _) = nn::train::load(&bytes, &cpu).unwrap();
        let a = nn::train::predict(&t.net, &cfg, &series, &dev)
            .await
            .unwrap();
        let b = nn::train::predict(&loaded, &cfg, &series, &cpu)
            .await
            .unwrap();
        for (x, y) in a
            .iter()
            .flatten()
            .flatten()
            .zip(b.iter().flatten().flatten())
        {
            assert!((x - y).abs() <= 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }
}

/// The issue's size, 5 locations × 200 SKUs × 30 regions (22,210 shipping variables),
/// solved in the browser as the worker solves it, to SciPy HiGHS's optimum
/// (tests/reference/logistics/alloc_5x200x30). Prints the time: the benchmark figure.
#[wasm_bindgen_test]
fn allocation_at_issue_size_solves_in_the_browser() {
    use supplycast::logistics::{AllocationProblem, Outcome, Request, run};
    const DIR: &str = "reference/logistics/alloc_5x200x30/";
    let mut p = AllocationProblem::from_csv(
        (
            "locations.csv",
            include_str!("reference/logistics/alloc_5x200x30/locations.csv"),
        ),
        (
            "stock.csv",
            include_str!("reference/logistics/alloc_5x200x30/stock.csv"),
        ),
        (
            "demand.csv",
            include_str!("reference/logistics/alloc_5x200x30/demand.csv"),
        ),
        (
            "costs.csv",
            include_str!("reference/logistics/alloc_5x200x30/costs.csv"),
        ),
    )
    .unwrap();
    p.unmet_cost = Some(100.0);
    let t0 = js_sys::Date::now();
    let Ok(Outcome::Allocation(a)) = run(&Request::Allocate(p), &mut |_, _| {}) else {
        panic!("no allocation")
    };
    let ms = js_sys::Date::now() - t0;
    web_sys::console::log_1(
        &format!("{DIR}: allocation solved in the browser in {ms:.0} ms").into(),
    );
    // scipy 1.17.1 linprog (HiGHS): 579270.
    assert!((a.cost - 579_270.0).abs() < 1e-6 * 579_270.0, "{}", a.cost);
}

/// A routing search in the browser (one thread, the JS clock): the capacity-only
/// instance runs the hybrid genetic search, reporting its best routes as it goes, to
/// the small instance's proven optimum.
#[wasm_bindgen_test]
fn routing_runs_in_the_browser() {
    use supplycast::logistics::{Outcome, Request, RoutingProblem, run};
    let p = RoutingProblem::parse(
        "small_cvrp.vrp",
        include_str!("reference/routing/small_cvrp.vrp"),
        None,
        None,
        None,
    )
    .unwrap();
    let mut reports = 0;
    let Ok(Outcome::Routes(r)) = run(
        &Request::Route {
            problem: p,
            seconds: 3.0,
        },
        &mut |_, _| reports += 1,
    ) else {
        panic!("no routes")
    };
    assert!(
        reports >= 2,
        "the search reports its best routes about once a second"
    );
    web_sys::console::log_1(
        &format!(
            "small_cvrp in the browser: {} in {:.1} s ({reports} reports)",
            r.cost, r.seconds
        )
        .into(),
    );
    assert!(r.unserved.is_empty());
    // tests/reference/routing/small_optima.json: 619.
    assert!(r.cost <= 619.0 * 1.01, "{}", r.cost);
}

/// Time windows in the browser: vrp-core's search (rayon on the current thread,
/// rosomaxa's clock the JS Date) in two-second slices, each reported.
#[wasm_bindgen_test]
fn routing_with_time_windows_runs_in_the_browser() {
    use supplycast::logistics::{Outcome, Request, RoutingProblem, run};
    let p = RoutingProblem::parse(
        "small_vrptw.txt",
        include_str!("reference/routing/small_vrptw.txt"),
        None,
        None,
        None,
    )
    .unwrap();
    let mut slices = 0;
    let Ok(Outcome::Routes(r)) = run(
        &Request::Route {
            problem: p,
            seconds: 4.0,
        },
        &mut |_, _| slices += 1,
    ) else {
        panic!("no routes")
    };
    assert!(slices >= 2, "the search reports after each slice");
    assert!(r.unserved.is_empty());
    web_sys::console::log_1(&format!("small_vrptw in the browser: {}", r.cost).into());
    // tests/reference/routing/small_optima.json: 270.2 (the native test asserts 1 % on
    // all cores; one thread and restarted slices here).
    assert!(r.cost <= 270.2 * 1.05, "{}", r.cost);
}

/// The page ↔ worker protocol: a request survives the envelope, and a message that is
/// not one, or does not decode, is an error (which the worker reports to the page)
/// rather than a job run with defaults.
#[wasm_bindgen_test]
fn worker_messages_are_typed_and_bad_ones_are_errors() {
    use supplycast::ui::protocol::{Request, envelope, open};
    let req = Request::Load {
        file: "orders.csv".into(),
        opts: supplycast::data::LoadOptions::default(),
    };
    let payload = js_sys::Uint8Array::from(&b"date,sku,quantity\n"[..]);
    let (o, transfer) = envelope(&req, Some(&payload));
    assert_eq!(transfer.length(), 1);
    let (back, bytes) = open::<Request>(&o).unwrap();
    assert!(matches!(back, Request::Load { ref file, .. } if file == "orders.csv"));
    assert_eq!(bytes, b"date,sku,quantity\n");
    let e = open::<Request>(&wasm_bindgen::JsValue::from_str("load")).unwrap_err();
    assert!(e.contains("not a supplycast message"), "{e}");
    let bad = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &bad,
        &"message".into(),
        &js_sys::Uint8Array::from(&[250u8, 1, 2][..]),
    );
    let e = open::<Request>(&bad).unwrap_err();
    assert!(e.contains("could not be decoded"), "{e}");
}
