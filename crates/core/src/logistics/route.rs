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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use vrp_core::models::common::TimeWindow;
use vrp_core::models::problem::JobIdDimension;
use vrp_core::prelude::*;
use vrp_core::rosomaxa::utils::{Parallelism, Quota, Timer};

use super::{LogisticsError, Table};

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

    /// Our CSV form: `id`, `x,y` or `lat,lon`, `demand`, optional `ready,due,service`
    /// (minutes from the start of the day); the row with id `depot` is the depot.
    pub fn from_csv(
        file: &str,
        text: &str,
        vehicles: usize,
        capacity: f64,
        shift: Option<f64>,
    ) -> Result<RoutingProblem, LogisticsError> {
        let mut t = Table::parse(file, text, &["id"])?;
        let latlon = t.has("lat") || t.has("lon");
        let xy = t.has("x") && t.has("y");
        if !latlon && !xy {
            return Err(LogisticsError::Input {
                file: file.into(),
                problems: vec!["line 1: no coordinates: give lat,lon or x,y columns".into()],
            });
        }
        let mut depot = None;
        let mut depot_window = None;
        let mut deliveries = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for row in 0..t.len() {
            let Some(id) = t.name(row, "id") else {
                continue;
            };
            let coord = super::allocate::read_coord(&mut t, row);
            if coord.is_none() {
                let col = if latlon { "lat" } else { "x" };
                // A bad or half-given position was reported by read_coord already.
                if t.text(row, col).is_empty()
                    && t.text(row, if latlon { "lon" } else { "y" }).is_empty()
                {
                    t.problem(row, col, "no coordinates: distances need them");
                }
            }
            let ready = t.non_negative(row, "ready", true);
            let due = t.non_negative(row, "due", true);
            let service = t.non_negative(row, "service", true).unwrap_or(0.0);
            let window = match (ready, due) {
                (None, None) => None,
                (r, d) => {
                    let (r, d) = (r.unwrap_or(0.0), d.unwrap_or(f64::MAX));
                    if d < r {
                        t.problem(row, "due", format_args!("{d} is before ready {r}"));
                    }
                    Some((r, d))
                }
            };
            if let Some(prev) = seen.insert(id.clone(), t.line(row)) {
                t.problem(
                    row,
                    "id",
                    format_args!("\"{id}\" already given on line {prev}"),
                );
                continue;
            }
            if id.eq_ignore_ascii_case("depot") {
                depot = coord;
                depot_window = window;
                continue;
            }
            let demand = t.non_negative(row, "demand", true).unwrap_or(0.0);
            if demand.fract() != 0.0 {
                t.problem(
                    row,
                    "demand",
                    format_args!("{demand} is not a whole number of units"),
                );
            }
            if let Some(c) = coord {
                deliveries.push(Delivery {
                    id,
                    coord: c,
                    demand,
                    window,
                    service,
                    line: t.line(row),
                });
            }
        }
        t.finish()?;
        let depot = depot.ok_or_else(|| LogisticsError::Input {
            file: file.into(),
            problems: vec!["no row with id \"depot\" (where the vehicles start)".into()],
        })?;
        let p = RoutingProblem {
            name: file.to_string(),
            depot,
            depot_window,
            deliveries,
            vehicles,
            capacity,
            shift,
            metric: if latlon {
                Metric::GreatCircleKm
            } else {
                Metric::Euclidean
            },
            speed_kmh: 30.0,
            fewest_vehicles: false,
        };
        p.check()?;
        Ok(p)
    }

    /// A CVRPLIB `.vrp` file (EUC_2D).
    pub fn from_cvrplib(file: &str, text: &str) -> Result<RoutingProblem, LogisticsError> {
        let fail = |line: usize, what: String| LogisticsError::Input {
            file: file.into(),
            problems: vec![format!("line {line}: {what}")],
        };
        let mut name = String::new();
        let mut dimension = None;
        let mut capacity = None;
        let mut vehicles = None;
        let mut max_distance = None;
        let mut service = 0.0;
        let mut coords: Vec<Option<(f64, f64)>> = Vec::new();
        let mut demands: Vec<Option<f64>> = Vec::new();
        let mut depots = Vec::new();
        let mut section = "";
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() {
                continue;
            }
            let upper = l.to_ascii_uppercase();
            if upper.ends_with("_SECTION") || upper == "EOF" {
                section = match upper.as_str() {
                    "NODE_COORD_SECTION" => "coord",
                    "DEMAND_SECTION" => "demand",
                    "DEPOT_SECTION" => "depot",
                    "EOF" => "",
                    other => return Err(fail(line, format!("unsupported section {other}"))),
                };
                let n = dimension
                    .ok_or_else(|| fail(line, "DIMENSION must come before the sections".into()))?;
                coords.resize(n, None);
                demands.resize(n, None);
                continue;
            }
            if let Some((k, v)) = l.split_once(':')
                && section.is_empty()
            {
                let v = v.trim().trim_matches('"');
                let num = || {
                    v.parse::<f64>()
                        .map_err(|_| fail(line, format!("{} \"{v}\" is not a number", k.trim())))
                };
                match k.trim().to_ascii_uppercase().as_str() {
                    "NAME" => name = v.to_string(),
                    "DIMENSION" => {
                        let n = num()?;
                        if !(2.0..=100_000.0).contains(&n) || n.fract() != 0.0 {
                            return Err(fail(
                                line,
                                format!("DIMENSION {v} must be a whole number from 2 to 100000"),
                            ));
                        }
                        dimension = Some(n as usize);
                    }
                    "CAPACITY" => capacity = Some(num()?),
                    "VEHICLES" => {
                        let n = num()?;
                        if !(1.0..=MAX_VEHICLES as f64).contains(&n) || n.fract() != 0.0 {
                            return Err(fail(
                                line,
                                format!(
                                    "VEHICLES {v} must be a whole number from 1 to {MAX_VEHICLES}"
                                ),
                            ));
                        }
                        vehicles = Some(n as usize);
                    }
                    "DISTANCE" => max_distance = Some(num()?),
                    "SERVICE_TIME" => service = num()?,
                    "EDGE_WEIGHT_TYPE" if !v.eq_ignore_ascii_case("EUC_2D") => {
                        return Err(fail(
                            line,
                            format!("EDGE_WEIGHT_TYPE {v}: only EUC_2D is supported"),
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            let nums: Vec<&str> = l.split_whitespace().collect();
            let parse = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| fail(line, format!("\"{s}\" is not a number")))
            };
            match section {
                "coord" | "demand" => {
                    let want = if section == "coord" { 3 } else { 2 };
                    if nums.len() < want {
                        return Err(fail(line, format!("expected {want} numbers")));
                    }
                    let id = parse(nums[0])?;
                    if id < 1.0 || id.fract() != 0.0 || id as usize > coords.len() {
                        return Err(fail(
                            line,
                            format!("node {} is outside 1..={}", nums[0], coords.len()),
                        ));
                    }
                    let i = id as usize - 1;
                    if section == "coord" {
                        coords[i] = Some((parse(nums[1])?, parse(nums[2])?));
                    } else {
                        let d = parse(nums[1])?;
                        if d < 0.0 || d.fract() != 0.0 {
                            return Err(fail(
                                line,
                                format!("demand {d} must be a whole number ≥ 0"),
                            ));
                        }
                        demands[i] = Some(d);
                    }
                }
                "depot" => {
                    let id = parse(nums[0])?;
                    if id > 0.0 {
                        depots.push(id as usize);
                    }
                }
                _ => return Err(fail(line, format!("unexpected \"{l}\""))),
            }
        }
        let capacity = capacity.ok_or_else(|| fail(1, "no CAPACITY".into()))?;
        let depot = depots.first().copied().unwrap_or(1);
        if depot == 0 || depot > coords.len() {
            return Err(fail(1, format!("depot {depot} is not a node")));
        }
        let mut deliveries = Vec::new();
        let mut depot_coord = None;
        for (i, c) in coords.iter().enumerate() {
            let (x, y) = c.ok_or_else(|| fail(1, format!("node {} has no coordinates", i + 1)))?;
            if i + 1 == depot {
                depot_coord = Some(Coord::Xy { x, y });
                continue;
            }
            deliveries.push(Delivery {
                // CVRPLIB's solution files number customers node id − 1.
                id: i.to_string(),
                coord: Coord::Xy { x, y },
                demand: demands[i]
                    .ok_or_else(|| fail(1, format!("node {} has no demand", i + 1)))?,
                window: None,
                service,
                line: 0,
            });
        }
        let n = deliveries.len();
        let p = RoutingProblem {
            name: if name.is_empty() { file.into() } else { name },
            depot: depot_coord.expect("depot checked"),
            depot_window: None,
            deliveries,
            vehicles: vehicles.unwrap_or(n.max(1)),
            capacity,
            shift: max_distance,
            metric: Metric::EuclideanRounded,
            speed_kmh: 30.0,
            fewest_vehicles: false,
        };
        p.check()?;
        Ok(p)
    }

    /// A Solomon VRPTW text file.
    pub fn from_solomon(file: &str, text: &str) -> Result<RoutingProblem, LogisticsError> {
        let fail = |line: usize, what: String| LogisticsError::Input {
            file: file.into(),
            problems: vec![format!("line {line}: {what}")],
        };
        let mut name = String::new();
        let mut fleet: Option<(usize, f64)> = None;
        let mut rows: Vec<(usize, [f64; 7])> = Vec::new();
        let mut in_vehicle = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() {
                continue;
            }
            if name.is_empty() {
                name = l.to_string();
                continue;
            }
            let upper = l.to_ascii_uppercase();
            if upper.starts_with("VEHICLE") {
                in_vehicle = true;
                continue;
            }
            if upper.starts_with("CUSTOMER") {
                in_vehicle = false;
                continue;
            }
            let nums: Vec<&str> = l.split_whitespace().collect();
            if nums.first().is_some_and(|s| s.parse::<f64>().is_err()) {
                continue; // column headings
            }
            let parsed: Result<Vec<f64>, _> = nums.iter().map(|s| s.parse::<f64>()).collect();
            let parsed =
                parsed.map_err(|_| fail(line, format!("\"{l}\" is not a row of numbers")))?;
            if in_vehicle {
                if parsed.len() < 2 {
                    return Err(fail(line, "expected NUMBER CAPACITY".into()));
                }
                if !(1.0..=MAX_VEHICLES as f64).contains(&parsed[0]) || parsed[0].fract() != 0.0 {
                    return Err(fail(
                        line,
                        format!(
                            "VEHICLE NUMBER {} must be a whole number from 1 to {MAX_VEHICLES}",
                            parsed[0]
                        ),
                    ));
                }
                fleet = Some((parsed[0] as usize, parsed[1]));
            } else {
                if parsed.len() < 7 {
                    return Err(fail(
                        line,
                        "expected CUST NO., X, Y, DEMAND, READY TIME, DUE DATE, SERVICE TIME"
                            .into(),
                    ));
                }
                let mut r = [0.0; 7];
                r.copy_from_slice(&parsed[..7]);
                rows.push((line, r));
            }
        }
        let (vehicles, capacity) =
            fleet.ok_or_else(|| fail(1, "no VEHICLE NUMBER / CAPACITY".into()))?;
        let (_, d) = *rows.first().ok_or_else(|| fail(1, "no customers".into()))?;
        let deliveries = rows[1..]
            .iter()
            .map(|&(line, r)| Delivery {
                id: format!("{}", r[0] as i64),
                coord: Coord::Xy { x: r[1], y: r[2] },
                demand: r[3],
                window: Some((r[4], r[5])),
                service: r[6],
                line,
            })
            .collect();
        let p = RoutingProblem {
            name,
            depot: Coord::Xy { x: d[1], y: d[2] },
            depot_window: Some((d[4], d[5])),
            deliveries,
            vehicles,
            capacity,
            shift: None,
            metric: Metric::EuclideanTruncated,
            speed_kmh: 30.0,
            fewest_vehicles: false,
        };
        p.check()?;
        Ok(p)
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

    /// Capacities only: the hybrid genetic search ([`super::hgs`]), one independent
    /// search per core natively (the best wins). None when it finds no routes that
    /// serve everyone (e.g. the fleet is too small), so that vrp-core decides what to
    /// leave out.
    fn solve_hgs(
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
        let inst = super::hgs::Instance::new(sub, demand, &points, self.capacity, self.vehicles);
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
        let stop = super::hgs::Stop {
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
            super::hgs::solve(&inst, base_seed, warm_routes, &stop, &mut |event| {
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
                            super::hgs::solve(inst, seed, warm, stop, &mut |event| {
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

    /// vrp-core's search (windows, shifts, fewest vehicles, or a fleet too small).
    fn solve_vrp_core(
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
