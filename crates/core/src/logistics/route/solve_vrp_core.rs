//! The adapter to vrp-core's search (time windows, shifts, fewest vehicles, or a fleet
//! too small): the day as a vrp-core problem, earlier routes as its starting solution,
//! a deadline that can be cancelled, and the solution read back as routes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use vrp_core::models::common::TimeWindow;
use vrp_core::models::problem::JobIdDimension;
use vrp_core::prelude::*;
use vrp_core::rosomaxa::utils::{Parallelism, Quota, Timer};

use super::{Route, RouteOptions, Routes, RoutingProblem};
use crate::logistics::LogisticsError;

impl RoutingProblem {
    /// vrp-core's search (windows, shifts, fewest vehicles, or a fleet too small).
    pub(super) fn solve_vrp_core(
        &self,
        options: &RouteOptions,
        warm: Option<&Routes>,
    ) -> Result<Routes, LogisticsError> {
        let timer = Timer::start();
        let unservable = self.unservable();
        let excluded: std::collections::HashSet<usize> = unservable.iter().map(|u| u.0).collect();
        let included: Vec<usize> = (0..self.deliveries.len())
            .filter(|i| !excluded.contains(i))
            .collect();
        let dist = self.distances();
        let n = self.deliveries.len() + 1;
        let per = self.minutes_per_unit();
        if included.is_empty() {
            return Ok(Routes {
                cost: 0.0,
                vehicles: 0,
                routes: Vec::new(),
                unserved: unservable,
                seconds: timer.elapsed_secs_as_float(),
            });
        }
        let durations: Vec<f64> = dist.iter().map(|d| d * per).collect();
        let err = |e: GenericError| LogisticsError::Solver(e.to_string());
        let transport: Arc<dyn TransportCost> =
            Arc::new(SimpleTransportCost::new(durations, dist.clone()).map_err(err)?);
        let timed = self.timed();
        let jobs = included
            .iter()
            .map(|&i| {
                let d = &self.deliveries[i];
                let mut b = SingleBuilder::default()
                    .id(&i.to_string())
                    .demand(Demand::delivery(d.demand as i32))
                    .location(i + 1)?
                    .duration(d.service)?;
                if let Some((r, due)) = d.window {
                    b = b.times(vec![TimeWindow::new(r, due.min(1e12))])?;
                }
                b.build_as_job()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let (open, close) = self.depot_window.unwrap_or((0.0, 1e12));
        let end = self.shift.map_or(close, |s| close.min(open + s));
        let vehicles = (0..self.vehicles)
            .map(|v| {
                let mut detail = VehicleDetailBuilder::default()
                    .set_start_location(0)
                    .set_end_location(0);
                if timed {
                    detail = detail.set_start_time(open).set_end_time(end);
                }
                VehicleBuilder::default()
                    .id(&format!("v{v}"))
                    .add_detail(detail.build()?)
                    .capacity(SingleDimLoad::new(self.capacity.min(i32::MAX as f64) as i32))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut features = vec![
            MinimizeUnassignedBuilder::new("min-unassigned")
                .build()
                .map_err(err)?,
        ];
        if self.fewest_vehicles {
            features.push(
                vrp_core::construction::features::create_minimize_tours_feature("min-tours")
                    .map_err(err)?,
            );
        }
        features.push(
            TransportFeatureBuilder::new("min-distance")
                .set_transport_cost(transport.clone())
                .set_time_constrained(timed)
                .build_minimize_distance()
                .map_err(err)?,
        );
        features.push(
            CapacityFeatureBuilder::<SingleDimLoad>::new("capacity")
                .build()
                .map_err(err)?,
        );
        let goal = GoalContextBuilder::with_features(&features)
            .map_err(err)?
            .build()
            .map_err(err)?;
        let progress = options.progress.clone();
        let logger: InfoLogger = Arc::new(move |msg: &str| {
            if let Some(p) = &progress {
                p(msg)
            }
        });
        let problem = Arc::new(
            ProblemBuilder::default()
                .with_logger(logger.clone())
                .add_jobs(jobs.into_iter())
                .add_vehicles(vehicles.into_iter())
                .with_goal(goal)
                .with_transport_cost(transport)
                .build()
                .map_err(err)?,
        );
        let random: Arc<dyn Random> = if options.repeatable {
            Arc::new(DefaultRandom::new_repeatable())
        } else {
            Arc::new(DefaultRandom::default())
        };
        let quota: Arc<dyn Quota> = Arc::new(Deadline {
            timer: Timer::start(),
            limit: options.time_limit,
            cancel: options.cancel.clone(),
        });
        let environment = Arc::new(Environment::new(
            random,
            Some(quota),
            Parallelism::default(),
            logger,
            false,
        ));
        let mut config = VrpConfigBuilder::new(problem.clone())
            .set_environment(environment.clone())
            .prebuild()
            .map_err(err)?
            .with_max_time(Some(options.time_limit.ceil().max(1.0) as usize))
            .with_max_generations(options.max_generations);
        if let Some(w) = warm
            && let Some(sol) = self.to_vrp_solution(&problem, w, &included)
        {
            config = config.with_init_solutions(
                vec![InsertionContext::new_from_solution(
                    problem.clone(),
                    (sol, None),
                    environment,
                )],
                None,
            );
        }
        let solution = Solver::new(problem, config.build().map_err(err)?)
            .solve()
            .map_err(err)?;
        let mut routes = Vec::new();
        let mut served = std::collections::HashSet::new();
        for r in &solution.routes {
            let mut stops = Vec::new();
            let mut arrivals = Vec::new();
            let mut end = 0.0;
            for a in r.tour.all_activities() {
                match &a.job {
                    Some(_) => {
                        stops.push(a.place.location - 1);
                        arrivals.push(a.schedule.arrival);
                    }
                    None => end = a.schedule.arrival,
                }
            }
            if stops.is_empty() {
                continue;
            }
            served.extend(stops.iter().copied());
            let mut distance = 0.0;
            let mut at = 0;
            for &s in &stops {
                distance += dist[at * n + s + 1];
                at = s + 1;
            }
            distance += dist[at * n];
            let load = stops.iter().map(|&s| self.deliveries[s].demand).sum();
            routes.push(Route {
                stops,
                arrivals,
                load,
                distance,
                end,
            });
        }
        let mut unserved = unservable;
        for &i in &included {
            if !served.contains(&i) {
                unserved.push((
                    i,
                    "no vehicle had room or time left for it (capacity, windows or shift)".into(),
                ));
            }
        }
        unserved.sort_by_key(|u| u.0);
        Ok(Routes {
            cost: routes.iter().map(|r| r.distance).sum(),
            vehicles: routes.len(),
            routes,
            unserved,
            seconds: timer.elapsed_secs_as_float(),
        })
    }

    /// Earlier routes as a vrp-core solution of `problem`, to continue the search.
    fn to_vrp_solution(
        &self,
        problem: &Arc<Problem>,
        warm: &Routes,
        included: &[usize],
    ) -> Option<Solution> {
        use vrp_core::models::solution::{Activity, Place, Registry, Route as VrpRoute, Tour};
        let jobs: std::collections::HashMap<usize, Job> = problem
            .jobs
            .all()
            .iter()
            .filter_map(|j| {
                let id = j.dimens().get_job_id()?.parse::<usize>().ok()?;
                Some((id, j.clone()))
            })
            .collect();
        let mut registry = Registry::new(&problem.fleet, Arc::new(DefaultRandom::default()));
        let mut actors = problem.fleet.actors.iter();
        let mut routes = Vec::new();
        for r in &warm.routes {
            let actor = actors.next()?.clone();
            registry.use_actor(&actor);
            let mut tour = Tour::new(&actor);
            for (k, &s) in r.stops.iter().enumerate() {
                if !included.contains(&s) {
                    return None;
                }
                let single = jobs.get(&s)?.as_single()?.clone();
                let place = &single.places[0];
                tour.insert_at(
                    Activity {
                        place: Place {
                            idx: 0,
                            location: place.location?,
                            duration: place.duration,
                            time: place
                                .times
                                .first()
                                .and_then(|t| t.as_time_window())
                                .unwrap_or_else(TimeWindow::max),
                        },
                        schedule: vrp_core::models::common::Schedule::new(0.0, 0.0),
                        job: Some(single),
                        commute: None,
                    },
                    k + 1,
                );
            }
            routes.push(VrpRoute { actor, tour });
        }
        Some(Solution {
            cost: Cost::default(),
            registry,
            routes,
            unassigned: Vec::new(),
            telemetry: None,
        })
    }
}

/// Stops the search at the deadline or when cancelled.
struct Deadline {
    timer: Timer,
    limit: f64,
    cancel: Arc<AtomicBool>,
}

impl Quota for Deadline {
    fn is_reached(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.timer.elapsed_secs_as_float() >= self.limit
    }
}
