//! Delivery routes: capacitated vehicle routing with optional time windows and shift
//! lengths, solved by vrp-core's metaheuristic (rosomaxa), which builds for wasm32.
//!
//! Inputs: our CSV form (`id` plus `x,y` or `lat,lon`, `demand`, optional `ready`,
//! `due`, `service`; the depot is the row whose id is `depot`), CVRPLIB `.vrp` files
//! (EUC_2D, distances rounded to the nearest integer as CVRPLIB does) and Solomon VRPTW
//! text files (distances truncated to one decimal, travel time equal to distance, as
//! the published best-known values assume).
//!
//! Distances are straight lines: Euclidean on x/y, great-circle on lat/lon. Road
//! distances are not available offline; routes on lat/lon are a plan, not a sat-nav.
//!
//! One file per job: `csv_form.rs`, `cvrplib.rs` and `solomon.rs` read the three
//! instance forms, `solve_hgs.rs` and `solve_vrp_core.rs` hand a day to the two
//! solvers and read their routes back; this file holds the types, the checks and the
//! entry points.

mod csv_form;
mod cvrplib;
mod solomon;
mod solve_hgs;
mod solve_vrp_core;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use vrp_core::rosomaxa::utils::Timer;

use super::LogisticsError;

/// The most deliveries routed at once.
pub const MAX_STOPS: usize = 3000;
/// The largest fleet taken: the solvers allocate per vehicle, and a file's
/// `VEHICLES : 1000000000000000000` aborted on a failed allocation.
pub const MAX_VEHICLES: usize = MAX_STOPS;

/// A position: degrees on the globe or a plane's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Coord {
    /// Latitude and longitude in degrees (great-circle distances in km).
    LatLon {
        /// Latitude, degrees north.
        lat: f64,
        /// Longitude, degrees east.
        lon: f64,
    },
    /// Plane coordinates (Euclidean distances).
    Xy {
        /// x.
        x: f64,
        /// y.
        y: f64,
    },
}

/// How distances are measured and rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// Euclidean on x/y, unrounded.
    Euclidean,
    /// Euclidean rounded to the nearest integer (CVRPLIB's EUC_2D).
    EuclideanRounded,
    /// Euclidean truncated to one decimal (Solomon's VRPTW convention).
    EuclideanTruncated,
    /// Great-circle kilometres on lat/lon.
    GreatCircleKm,
}

/// One stop to serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id as the input names it (CVRPLIB: node id − 1; Solomon: customer number).
    pub id: String,
    /// Where.
    pub coord: Coord,
    /// Units to deliver (whole units).
    pub demand: f64,
    /// Earliest and latest start of service, in minutes from the start of the day.
    pub window: Option<(f64, f64)>,
    /// Service time (minutes).
    pub service: f64,
    /// The line of the input that gave it.
    pub line: usize,
}

/// A day's routing problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingProblem {
    /// The instance's name.
    pub name: String,
    /// Where vehicles start and end.
    pub depot: Coord,
    /// The depot's opening hours (vehicles leave after and return before).
    pub depot_window: Option<(f64, f64)>,
    /// The deliveries.
    pub deliveries: Vec<Delivery>,
    /// Vehicles available.
    pub vehicles: usize,
    /// Capacity of each vehicle (units).
    pub capacity: f64,
    /// Longest route a vehicle may drive, in minutes (None: no limit).
    pub shift: Option<f64>,
    /// How distances are measured.
    pub metric: Metric,
    /// Travel speed on lat/lon, km/h (x/y: one unit a minute).
    pub speed_kmh: f64,
    /// Use as few vehicles as possible first, then the least distance (otherwise
    /// distance only, as CVRPLIB's optima are).
    #[serde(default)]
    pub fewest_vehicles: bool,
}

/// One vehicle's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Deliveries in visiting order (indices into [`RoutingProblem::deliveries`]).
    pub stops: Vec<usize>,
    /// Arrival at each stop (minutes).
    pub arrivals: Vec<f64>,
    /// Units carried.
    pub load: f64,
    /// Distance driven, depot to depot.
    pub distance: f64,
    /// Back at the depot (minutes).
    pub end: f64,
}

/// The solved day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routes {
    /// Total distance.
    pub cost: f64,
    /// Vehicles used.
    pub vehicles: usize,
    /// The routes.
    pub routes: Vec<Route>,
    /// Deliveries that cannot be served, with the reason.
    pub unserved: Vec<(usize, String)>,
    /// Seconds the search ran.
    pub seconds: f64,
}

/// A callback that receives the solver's progress lines.
pub type ProgressFn = Arc<dyn Fn(&str) + Send + Sync>;

/// How long and how the search runs.
#[derive(Clone)]
pub struct RouteOptions {
    /// Wall-clock limit (seconds).
    pub time_limit: f64,
    /// Most generations of the evolutionary search (None: the time limit only).
    pub max_generations: Option<usize>,
    /// Repeatable random numbers (tests) instead of fresh ones.
    pub repeatable: bool,
    /// Set to stop the search early; the best routes so far are returned.
    pub cancel: Arc<AtomicBool>,
    /// Called with the solver's progress lines.
    pub progress: Option<ProgressFn>,
}

impl Default for RouteOptions {
    fn default() -> Self {
        RouteOptions {
            time_limit: 10.0,
            max_generations: None,
            repeatable: false,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: None,
        }
    }
}

impl RoutingProblem {
    /// Reads any of the supported forms, recognised by content: CVRPLIB (a
    /// `NODE_COORD_SECTION`), Solomon (`VEHICLE` and `CUSTOMER` blocks), else our CSV,
    /// which takes the fleet from `vehicles`, `capacity` and `shift`.
    pub fn parse(
        file: &str,
        text: &str,
        vehicles: Option<usize>,
        capacity: Option<f64>,
        shift: Option<f64>,
    ) -> Result<RoutingProblem, LogisticsError> {
        let upper = text.to_ascii_uppercase();
        if upper.contains("NODE_COORD_SECTION") {
            let mut p = Self::from_cvrplib(file, text)?;
            if let Some(v) = vehicles {
                p.vehicles = v;
                p.check()?;
            }
            Ok(p)
        } else if upper.contains("CUSTOMER") && upper.contains("VEHICLE") {
            Self::from_solomon(file, text)
        } else {
            let fail = |what: &str| LogisticsError::Input {
                file: file.into(),
                problems: vec![format!(
                    "{what} is needed for a CSV of deliveries (--vehicles, --capacity)"
                )],
            };
            let vehicles = vehicles.ok_or_else(|| fail("the number of vehicles"))?;
            let capacity = capacity.ok_or_else(|| fail("the vehicle capacity"))?;
            Self::from_csv(file, text, vehicles, capacity, shift)
        }
    }

    fn check(&self) -> Result<(), LogisticsError> {
        // The distance and time matrices hold (n + 1)² numbers each: 3,000 stops are
        // 144 MB, the most a browser tab can be asked for.
        if self.deliveries.len() > MAX_STOPS {
            return Err(LogisticsError::Problem(format!(
                "{} deliveries: at most {MAX_STOPS} can be routed at once (split the day by area)",
                self.deliveries.len()
            )));
        }
        if self.vehicles == 0 {
            return Err(LogisticsError::Problem("no vehicles".into()));
        }
        if self.vehicles > MAX_VEHICLES {
            return Err(LogisticsError::Problem(format!(
                "{} vehicles: at most {MAX_VEHICLES} (one per delivery is the most a day can use)",
                self.vehicles
            )));
        }
        if !(self.capacity.is_finite() && self.capacity > 0.0) {
            return Err(LogisticsError::Problem(format!(
                "vehicle capacity {} must be a number > 0",
                self.capacity
            )));
        }
        let mixed = self
            .deliveries
            .iter()
            .any(|d| std::mem::discriminant(&d.coord) != std::mem::discriminant(&self.depot));
        if mixed {
            return Err(LogisticsError::Problem(
                "mixed lat/lon and x/y coordinates".into(),
            ));
        }
        Ok(())
    }

    /// Distances between all points, the depot first.
    pub fn distances(&self) -> Vec<f64> {
        let points: Vec<Coord> = std::iter::once(self.depot)
            .chain(self.deliveries.iter().map(|d| d.coord))
            .collect();
        let n = points.len();
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    m[i * n + j] = distance(points[i], points[j], self.metric);
                }
            }
        }
        m
    }

    /// Minutes per unit of distance.
    fn minutes_per_unit(&self) -> f64 {
        match self.metric {
            Metric::GreatCircleKm => 60.0 / self.speed_kmh,
            _ => 1.0,
        }
    }

    /// Deliveries no vehicle can serve, with the reason.
    pub fn unservable(&self) -> Vec<(usize, String)> {
        let dist = self.distances();
        let n = self.deliveries.len() + 1;
        let per = self.minutes_per_unit();
        let (open, close) = self.depot_window.unwrap_or((0.0, f64::MAX));
        let mut out = Vec::new();
        for (i, d) in self.deliveries.iter().enumerate() {
            let there = dist[i + 1] * per;
            let back = dist[(i + 1) * n] * per;
            if d.demand > self.capacity {
                out.push((
                    i,
                    format!(
                        "demand {} is larger than a vehicle's capacity {}",
                        d.demand, self.capacity
                    ),
                ));
                continue;
            }
            let arrive = open + there;
            if let Some((_, due)) = d.window
                && arrive > due + 1e-9
            {
                out.push((
                    i,
                    format!(
                        "the earliest arrival ({arrive:.1}) is after the window closes ({due})"
                    ),
                ));
                continue;
            }
            let start = d.window.map_or(arrive, |w| arrive.max(w.0));
            let home = start + d.service + back;
            let end = self.shift.map_or(close, |s| close.min(open + s));
            if home > end + 1e-9 {
                out.push((i, format!("a vehicle cannot be back at the depot in time (back at {home:.1}, the day ends at {end})")));
            }
        }
        out
    }

    /// Solves the day (see the module's docs). `warm` continues from earlier routes.
    pub fn solve(
        &self,
        options: &RouteOptions,
        warm: Option<&Routes>,
    ) -> Result<Routes, LogisticsError> {
        self.solve_reporting(options, warm, &mut |_| {})
    }

    /// Whether the day has clocks to respect (windows, depot hours, a shift).
    fn timed(&self) -> bool {
        self.depot_window.is_some()
            || self.shift.is_some()
            || self.deliveries.iter().any(|d| d.window.is_some())
    }

    /// Whether [`Self::solve`] uses the hybrid genetic search (capacities only, least
    /// distance): it searches the whole time limit in one go and reports improvements
    /// as it finds them, so it should not be cut into slices.
    pub fn searches_continuously(&self) -> bool {
        !self.timed() && !self.fewest_vehicles
    }

    /// [`Self::solve`], calling `report` about once a second with the best routes so far
    /// while it searches (single-threaded capacity-only searches, as in the browser).
    pub fn solve_reporting(
        &self,
        options: &RouteOptions,
        warm: Option<&Routes>,
        report: &mut dyn FnMut(&Routes),
    ) -> Result<Routes, LogisticsError> {
        // Fields are public: a problem built or changed in code is checked here too.
        self.check()?;
        if self.searches_continuously() {
            let timer = Timer::start();
            if let Some(r) = self.solve_hgs(options, warm, report) {
                return Ok(r);
            }
            // No routes serve everyone (a fleet too small): vrp-core decides what to
            // leave out, in the time that is left (at least a second).
            let left = RouteOptions {
                time_limit: (options.time_limit - timer.elapsed_secs_as_float()).max(1.0),
                ..options.clone()
            };
            return self.solve_vrp_core(&left, warm);
        }
        self.solve_vrp_core(options, warm)
    }
}

/// The distance between two points under a metric.
pub fn distance(a: Coord, b: Coord, metric: Metric) -> f64 {
    match (a, b) {
        (Coord::Xy { x: x1, y: y1 }, Coord::Xy { x: x2, y: y2 }) => {
            let d = ((x1 - x2).powi(2) + (y1 - y2).powi(2)).sqrt();
            match metric {
                Metric::EuclideanRounded => d.round(),
                Metric::EuclideanTruncated => (d * 10.0).floor() / 10.0,
                _ => d,
            }
        }
        (Coord::LatLon { lat: a1, lon: o1 }, Coord::LatLon { lat: a2, lon: o2 }) => {
            // Haversine on the mean Earth radius (IUGG): within 0.5 % of the ellipsoid.
            let (p1, p2) = (a1.to_radians(), a2.to_radians());
            let dp = p2 - p1;
            let dl = (o2 - o1).to_radians();
            let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
        }
        _ => f64::NAN,
    }
}
