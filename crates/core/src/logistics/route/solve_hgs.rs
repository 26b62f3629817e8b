//! The adapter to our hybrid genetic search (`logistics/hgs.rs`) for days with
//! capacities only: the day cut down to the deliveries that can be served, one search
//! per core natively, and the routes read back with their loads, distances and times.

use vrp_core::prelude::{DefaultRandom, Random};
use vrp_core::rosomaxa::utils::Timer;

use super::{Coord, Route, RouteOptions, Routes, RoutingProblem};
use crate::logistics::hgs;

impl RoutingProblem {
    /// Capacities only: the hybrid genetic search ([`hgs`]), one independent
    /// search per core natively (the best wins). None when it finds no routes that
    /// serve everyone (e.g. the fleet is too small), so that vrp-core decides what to
    /// leave out.
    pub(super) fn solve_hgs(
        &self,
        options: &RouteOptions,
        warm: Option<&Routes>,
        report: &mut dyn FnMut(&Routes),
    ) -> Option<Routes> {
        let timer = Timer::start();
        let unservable = self.unservable();
        let excluded: std::collections::HashSet<usize> = unservable.iter().map(|u| u.0).collect();
        let included: Vec<usize> = (0..self.deliveries.len())
            .filter(|i| !excluded.contains(i))
            .collect();
        let total: f64 = included.iter().map(|&i| self.deliveries[i].demand).sum();
        if included.is_empty() || total > self.capacity * self.vehicles as f64 + 1e-9 {
            return None;
        }
        let dist = self.distances();
        let n = self.deliveries.len() + 1;
        let m = included.len() + 1;
        let nodes: Vec<usize> = std::iter::once(0)
            .chain(included.iter().map(|&i| i + 1))
            .collect();
        let mut sub = vec![0.0; m * m];
        for (a, &i) in nodes.iter().enumerate() {
            for (b, &j) in nodes.iter().enumerate() {
                sub[a * m + b] = dist[i * n + j];
            }
        }
        let xy = |c: Coord| match c {
            Coord::Xy { x, y } => (x, y),
            Coord::LatLon { lat, lon } => (lon, lat),
        };
        let points: Vec<(f64, f64)> = std::iter::once(xy(self.depot))
            .chain(included.iter().map(|&i| xy(self.deliveries[i].coord)))
            .collect();
        let demand: Vec<f64> = std::iter::once(0.0)
            .chain(included.iter().map(|&i| self.deliveries[i].demand))
            .collect();
        let inst = hgs::Instance::new(sub, demand, &points, self.capacity, self.vehicles);
        let client_of: std::collections::HashMap<usize, usize> = included
            .iter()
            .enumerate()
            .map(|(k, &i)| (i, k + 1))
            .collect();
        let warm_routes = warm.and_then(|w| {
            w.routes
                .iter()
                .map(|r| r.stops.iter().map(|s| client_of.get(s).copied()).collect())
                .collect::<Option<Vec<Vec<usize>>>>()
        });
        let to_routes = |routes: &[Vec<usize>], seconds: f64| {
            self.routes_from(
                routes
                    .iter()
                    .filter(|r| !r.is_empty())
                    .map(|r| r.iter().map(|&c| included[c - 1]).collect())
                    .collect(),
                &dist,
                unservable.clone(),
                seconds,
            )
        };
        let threads = if options.repeatable || cfg!(target_arch = "wasm32") {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |p| p.get().min(8))
        };
        let base_seed = if options.repeatable {
            1
        } else {
            let r = DefaultRandom::default();
            ((r.uniform_int(0, 1 << 30) as u64) << 30) ^ r.uniform_int(0, 1 << 30) as u64
        };
        let clock = || timer.elapsed_secs_as_float();
        let stop = hgs::Stop {
            clock: &clock,
            limit: options.time_limit,
            max_iterations: options.max_generations,
            cancel: &options.cancel,
        };
        let progress = options.progress.clone();
        let line = move |cost: f64, t: f64| {
            if let Some(p) = &progress {
                p(&format!("best distance {cost:.1} after {t:.1} s"));
            }
        };
        let best = if threads == 1 {
            let mut last = f64::NEG_INFINITY;
            let mut latest: Option<Routes> = None;
            hgs::solve(&inst, base_seed, warm_routes, &stop, &mut |event| {
                let t = clock();
                if let Some((routes, cost)) = event {
                    latest = Some(to_routes(routes, t));
                    if t - last >= 1.0 {
                        line(cost, t);
                    }
                }
                if t - last >= 1.0
                    && let Some(r) = &mut latest
                {
                    last = t;
                    r.seconds = t;
                    report(r);
                }
            })
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|k| {
                        let (inst, stop, warm, line) = (&inst, &stop, warm_routes.clone(), &line);
                        let seed = base_seed.wrapping_add(0x9E37_79B9 * k as u64);
                        scope.spawn(move || {
                            let mut last = f64::NEG_INFINITY;
                            hgs::solve(inst, seed, warm, stop, &mut |event| {
                                let t = (stop.clock)();
                                if let Some((_, cost)) = event
                                    && k == 0
                                    && t - last >= 1.0
                                {
                                    last = t;
                                    line(cost, t);
                                }
                            })
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().ok().flatten())
                    .min_by(|a, b| a.1.total_cmp(&b.1))
            })
        };
        let (routes, _) = best?;
        Some(to_routes(&routes, clock()))
    }

    /// Routes (stops as delivery indices) with their loads, distances and clock times.
    fn routes_from(
        &self,
        stops: Vec<Vec<usize>>,
        dist: &[f64],
        unserved: Vec<(usize, String)>,
        seconds: f64,
    ) -> Routes {
        let n = self.deliveries.len() + 1;
        let per = self.minutes_per_unit();
        let open = self.depot_window.map_or(0.0, |w| w.0);
        let routes: Vec<Route> = stops
            .into_iter()
            .map(|stops| {
                let (mut at, mut t, mut distance) = (0, open, 0.0);
                let mut arrivals = Vec::with_capacity(stops.len());
                for &s in &stops {
                    let d = dist[at * n + s + 1];
                    distance += d;
                    t += d * per;
                    if let Some((ready, _)) = self.deliveries[s].window {
                        t = t.max(ready);
                    }
                    arrivals.push(t);
                    t += self.deliveries[s].service;
                    at = s + 1;
                }
                distance += dist[at * n];
                let end = t + dist[at * n] * per;
                let load = stops.iter().map(|&s| self.deliveries[s].demand).sum();
                Route {
                    stops,
                    arrivals,
                    load,
                    distance,
                    end,
                }
            })
            .collect();
        Routes {
            cost: routes.iter().map(|r| r.distance).sum(),
            vehicles: routes.len(),
            routes,
            unserved,
            seconds,
        }
    }
}
