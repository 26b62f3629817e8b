//! The automatic choice's tests, from recipes to the intervals and paths of whole
//! datasets.

use super::learn::{distinct_candidates, profile};
use super::*;
use crate::forecast::backtest::{BacktestConfig, origins};
use crate::forecast::scenarios::Scenarios;
use crate::forecast::{Model, models};

fn cfg(h: usize, season: usize) -> BacktestConfig {
    BacktestConfig {
        h,
        windows: 3,
        season,
        paths: 50,
        scenarios: Default::default(),
    }
}

/// A deterministic pseudo-random stream in [0, 1).
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut rng = crate::rng::SplitMix::new(seed);
    move || rng.uniform()
}

/// Weekly-cycle Poisson-like counts around `level`.
fn seasonal_counts(n: usize, level: f64, seed: u64) -> Vec<f64> {
    let mut u = noise(seed);
    (0..n)
        .map(|t| {
            let mean = level * (1.0 + 0.5 * ((t % 7) as f64 / 6.0 - 0.5));
            // Sum of uniforms: mean `mean`, spread about its square root.
            (mean + mean.sqrt() * 2.0 * (u() + u() + u() - 1.5))
                .max(0.0)
                .round()
        })
        .collect()
}

#[test]
fn a_weighted_recipe_weighs_its_members_and_rescales_without_one() {
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let r = Recipe {
        members: vec![0, 1, 2],
        median: false,
        weights: vec![0.5, 0.25, 0.25],
    };
    assert_eq!(r.name(&names), "Blend(a 50 %, b 25 %, c 25 %)");
    let (fa, fb, fc) = ([4.0, 8.0], [0.0, 0.0], [2.0, 4.0]);
    assert_eq!(
        r.combine(&[Some(&fa), Some(&fb), Some(&fc)]),
        Some(vec![2.5, 5.0])
    );
    // b cannot forecast: a and c at 0.5 and 0.25, rescaled to 2/3 and 1/3.
    let got = r.combine(&[Some(&fa), None, Some(&fc)]).unwrap();
    assert!((got[0] - (4.0 * 2.0 + 2.0) / 3.0).abs() < 1e-12, "{got:?}");
    let kept = r.only(&[true, false, true]);
    assert_eq!((kept.members, kept.weights), (vec![0, 2], vec![0.5, 0.25]));
    // Equal weights name and combine as the plain ensemble.
    let eq = Recipe {
        members: vec![0, 1],
        median: false,
        weights: vec![0.5, 0.5],
    };
    assert_eq!(eq.name(&names), "Ensemble(a, b)");
    assert_eq!(eq.combine(&[Some(&fa), Some(&fb)]), Some(vec![2.0, 4.0]));
}

#[test]
fn without_a_strong_model_recipes_combine_three_or_more_and_intervals_cover() {
    let ys: Vec<Vec<f64>> = (0..40)
        .map(|i| seasonal_counts(200, 5.0 + i as f64, i as u64))
        .collect();
    let refs: Vec<&[f64]> = ys.iter().map(|y| &y[..172]).collect();
    let c = cfg(28, 7);
    let all = |_: usize| models::standard(7);
    let res = choose_all(&refs, &all, &c, 2, 1, &mut |_, _| true);
    let (mut inside, mut total) = (0, 0);
    for (y, r) in ys.iter().zip(&res) {
        let ch = r.as_ref().unwrap();
        let name = &ch.forecast.model;
        assert!(
            name.starts_with("Ensemble(") || name.starts_with("Median("),
            "{name}"
        );
        assert!(name.matches(", ").count() >= 2, "{name}");
        assert!(ch.reason.contains("lowest backtest error"), "{}", ch.reason);
        assert!(ch.reason.contains("rolling origins"), "{}", ch.reason);
        assert_eq!(ch.forecast.paths.len(), 50);
        for j in 0..28 {
            let [lo, mid, hi] = [0, 1, 2].map(|k| ch.forecast.quantiles[k][j]);
            assert!(lo <= mid && mid <= hi);
            inside += usize::from(y[172 + j] >= lo && y[172 + j] <= hi);
            total += 1;
        }
    }
    let cover = inside as f64 / total as f64;
    assert!((0.7..=0.9).contains(&cover), "coverage {cover}");
}

/// An added candidate: its name, and its forecast of series `i` from `origin`.
type Extra<'a> = (&'a str, &'a (dyn Fn(usize, usize) -> Vec<f64> + Sync));

/// The held-out mean MASE of the default over `ys` (last `h` held out) with the
/// standard models plus `extra(i, origin)`'s forecasts as candidates, and the
/// forecasts.
fn held_out_default(ys: &[Vec<f64>], h: usize, extra: &[Extra<'_>]) -> (f64, Vec<Vec<f64>>) {
    let c = cfg(h, 7);
    let trains: Vec<&[f64]> = ys.iter().map(|y| &y[..y.len() - h]).collect();
    let candidates = |i: usize| -> Vec<Box<dyn Model>> {
        let mut m = models::standard(7);
        let n = trains[i].len();
        for (name, f) in extra {
            let by_origin = origins(n, &c)
                .into_iter()
                .chain([n])
                .map(|o| (o, f(i, o)))
                .collect();
            m.push(Box::new(models::Precomputed {
                name: name.to_string(),
                by_origin,
            }));
        }
        m
    };
    let res = choose_all(&trains, &candidates, &c, 2, 1, &mut |_, _| true);
    let mut total = 0.0;
    let mut points = Vec::new();
    for (y, r) in ys.iter().zip(res) {
        let f = r.unwrap().forecast;
        total += crate::forecast::bench::held_out_score(y, &f, h, 7)
            .unwrap()
            .mase;
        points.push(f.point);
    }
    (total / ys.len() as f64, points)
}

#[test]
fn adding_a_candidate_never_makes_the_default_worse() {
    // Weekly-cycle counts whose mean profile a strong candidate knows (as a pretrained
    // model knows retail demand); a poor candidate forecasts three times the level.
    let levels: Vec<f64> = (0..40).map(|i| 5.0 + i as f64).collect();
    let ys: Vec<Vec<f64>> = levels
        .iter()
        .enumerate()
        .map(|(i, &l)| seasonal_counts(200, l, 300 + i as u64))
        .collect();
    let h = 28;
    let strong = |i: usize, o: usize| -> Vec<f64> {
        (o..o + h)
            .map(|t| levels[i] * (1.0 + 0.5 * ((t % 7) as f64 / 6.0 - 0.5)))
            .collect()
    };
    let poor = |i: usize, _: usize| -> Vec<f64> { vec![3.0 * levels[i]; h] };
    // The pretrained model's stand-in: the series' level without its weekly cycle.
    let flat = |i: usize, _: usize| -> Vec<f64> { vec![levels[i]; h] };
    let pre: Extra<'_> = ("pretrained", &flat);
    let (base, base_points) = held_out_default(&ys, h, &[pre]);
    let (with_poor, poor_points) = held_out_default(&ys, h, &[pre, ("poor", &poor)]);
    let (with_strong, _) = held_out_default(&ys, h, &[pre, ("strong", &strong)]);
    let (with_both, _) = held_out_default(&ys, h, &[pre, ("strong", &strong), ("poor", &poor)]);
    let (strong_alone, _) = {
        let f = |i: usize| crate::forecast::Forecast {
            model: "strong".into(),
            point: strong(i, 172),
            quantiles: [strong(i, 172), strong(i, 172), strong(i, 172)],
            paths: Vec::new(),
        };
        let m: f64 = (0..ys.len())
            .map(|i| {
                crate::forecast::bench::held_out_score(&ys[i], &f(i), h, 7)
                    .unwrap()
                    .mase
            })
            .sum::<f64>()
            / ys.len() as f64;
        (m, ())
    };
    // A poor candidate changes nothing.
    assert_eq!(poor_points, base_points, "MASE {with_poor} against {base}");
    // A strong one makes the default better, and the default is within 1 % of it
    // (a combination forced to three or more models would dilute it).
    assert!(with_strong < base, "{with_strong} against {base}");
    assert!(
        with_strong <= 1.01 * strong_alone,
        "default {with_strong}, the strong candidate alone {strong_alone}"
    );
    assert!(
        with_both <= with_strong * 1.0001,
        "{with_both} against {with_strong}"
    );
}

#[test]
fn short_histories_borrow_their_groups_errors() {
    // 30 long series and one of 5 periods: the short one is still backtested (one short
    // window) and its interval comes from its group's errors, with a width.
    let mut ys: Vec<Vec<f64>> = (0..30)
        .map(|i| seasonal_counts(120, 8.0, 100 + i as u64))
        .collect();
    ys.push(vec![6.0, 9.0, 7.0, 8.0, 10.0]);
    let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let all = |_: usize| models::standard(7);
    let res = choose_all(&refs, &all, &cfg(14, 7), 1, 1, &mut |_, _| true);
    let short = res[30].as_ref().unwrap();
    assert!(
        short.reason.contains("pooled across its group"),
        "{}",
        short.reason
    );
    assert!((0..14).all(|j| short.forecast.quantiles[2][j] > short.forecast.quantiles[0][j]));
    let long = res[0].as_ref().unwrap();
    assert!(
        long.reason.contains("own backtest errors"),
        "{}",
        long.reason
    );
}

#[test]
fn a_short_smooth_sku_keeps_its_point_as_p50_when_its_group_drifts() {
    // Thirty long series climbing steadily: Naive trails them, its median error is
    // positive and moving P50 by it helps the long ones. A five-period flat SKU of
    // the same group (smooth, over 10 units) has no errors of its own; the group's
    // drift says nothing about it, so its P50 stays at its point forecast.
    let mut ys: Vec<Vec<f64>> = (0..30)
        .map(|i| {
            let mut u = noise(900 + i as u64);
            (0..120)
                .map(|t| (40.0 + 2.0 * t as f64 + 6.0 * (u() - 0.5)).round())
                .collect()
        })
        .collect();
    ys.push(vec![50.0, 52.0, 49.0, 51.0, 50.0]);
    let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let naive = |_: usize| -> Vec<Box<dyn Model>> { vec![Box::new(models::Naive)] };
    let res = choose_all(&refs, &naive, &cfg(8, 1), 1, 1, &mut |_, _| true);
    let long = &res[0].as_ref().unwrap().forecast;
    assert!(
        (0..8).all(|j| long.quantiles[1][j] > long.point[j] + 1.0),
        "the long series' P50 moves up: {:?} vs {:?}",
        long.quantiles[1],
        long.point
    );
    let short = res[30].as_ref().unwrap();
    assert!(
        short.reason.contains("pooled across its group"),
        "{}",
        short.reason
    );
    let f = &short.forecast;
    assert_eq!(f.quantiles[1], f.point, "P50 of the short smooth SKU");
    assert!((0..8).all(|j| f.quantiles[0][j] < f.point[j] && f.quantiles[2][j] > f.point[j]));
    // Sample paths drawn from the group's error windows centre on that P50 too.
    let windows = BacktestConfig {
        paths: 400,
        scenarios: Scenarios::Windows,
        ..cfg(8, 1)
    };
    let res = choose_all(&refs, &naive, &windows, 1, 1, &mut |_, _| true);
    let f = &res[30].as_ref().unwrap().forecast;
    assert_eq!(f.paths.len(), 400);
    for j in 0..8 {
        let mut at: Vec<f64> = f.paths.iter().map(|p| p[j]).collect();
        at.sort_by(f64::total_cmp);
        let median = at[200];
        let spread = f.quantiles[2][j] - f.quantiles[0][j];
        assert!(
            (median - f.quantiles[1][j]).abs() <= 0.1 * spread + 1.0,
            "step {j}: paths' median {median}, P50 {}, P10–P90 {spread}",
            f.quantiles[1][j]
        );
    }
}

#[test]
fn a_new_shops_lumpy_skus_keep_their_intervals_near_their_history() {
    // Forty SKUs of 8 weeks, each launched with one big week after almost nothing:
    // their backtest windows start after 4 weeks, whose dispersion is the unit
    // fallback or tiny, so the group's relative errors run to hundreds.
    let mut u = noise(77);
    let mut ys: Vec<Vec<f64>> = (0..40)
        .map(|i| {
            let mut y = vec![0.0; 8];
            y[2 + i % 2] = (3.0 * u()).round();
            y[4 + i % 4] = (500.0 + 5000.0 * u()).round();
            y
        })
        .collect();
    ys.push(vec![0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 7128.0, 2.0]);
    let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let all = |_: usize| models::standard(1);
    let res = choose_all(&refs, &all, &cfg(8, 1), 1, 1, &mut |_, _| true);
    let f = &res[40].as_ref().unwrap().forecast;
    for j in 0..8 {
        assert!(
            f.quantiles[2][j] <= f.point[j] + 4.0 * 7128.0 + 1e-6,
            "step {j}: P90 {} for a SKU whose best week sold 7,128",
            f.quantiles[2][j]
        );
        assert!(f.quantiles[2][j] > f.point[j], "the interval stays open");
    }
    assert!(f.paths.iter().flatten().all(|v| *v <= 7128.0 * 5.0));
}

#[test]
fn clones_and_models_that_never_forecast_are_not_combined() {
    // Season 1: seasonal naive is naive, and the seasonal ETS never forecasts.
    let ys: Vec<Vec<f64>> = (0..10)
        .map(|i| seasonal_counts(80, 3.0 + i as f64, 7 + i as u64))
        .collect();
    let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let all = |_: usize| models::standard(1);
    let c = cfg(8, 1);
    let bt = backtest_all(&refs, &all, &c, 1, &mut |_| true);
    let members: Vec<usize> = (0..refs.len()).collect();
    let ids: Vec<usize> = (0..bt.names.len()).collect();
    let kept: Vec<&str> = distinct_candidates(&bt, &members, ids)
        .into_iter()
        .map(|m| bt.names[m].as_str())
        .collect();
    assert!(kept.contains(&"Naive"));
    assert!(!kept.contains(&"SeasonalNaive"), "{kept:?}");
    assert!(!kept.contains(&"SeasonalETS"), "{kept:?}");
}

#[test]
fn uncertainty_grows_with_the_horizon_for_wandering_series() {
    // Random walks: errors grow like the square root of the steps ahead.
    let ys: Vec<Vec<f64>> = (0..30)
        .map(|i| {
            let mut u = noise(500 + i as u64);
            let mut v = 1000.0;
            (0..150)
                .map(|_| {
                    v += 20.0 * (u() - 0.5);
                    v
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let c = cfg(12, 1);
    let naive = |_: usize| -> Vec<Box<dyn Model>> { vec![Box::new(models::Naive)] };
    let bt = backtest_all(&refs, &naive, &c, 1, &mut |_| true);
    let members: Vec<usize> = (0..refs.len()).collect();
    let r = Recipe {
        members: vec![0],
        median: false,
        weights: Vec::new(),
    };
    let p = profile(&r, &members, &bt, &refs, None, 12);
    assert!(p[11] > 1.5 * p[0], "{p:?}");
    assert!(((p.iter().sum::<f64>() / 12.0) - 1.0).abs() < 1e-9);
}

#[test]
fn origins_for_every_history_length() {
    let c = cfg(8, 52);
    assert_eq!(origins(100, &c), vec![76, 80, 84, 88, 92]);
    // Too short for a whole window: one shorter window from the middle.
    assert_eq!(origins(9, &c), vec![4]);
    assert!(origins(3, &c).is_empty());
    // Seasonal models join only where two seasons of history stand before.
    let s = models::SeasonalNaive { season: 52 };
    assert_eq!(s.min_history(), 104);
}
