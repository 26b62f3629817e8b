//! The CVRPLIB `.vrp` reader (EUC_2D only, distances rounded to integers as CVRPLIB
//! does, customers numbered node id − 1 as its solution files number them).

use super::{Coord, Delivery, MAX_VEHICLES, Metric, RoutingProblem};
use crate::logistics::LogisticsError;

impl RoutingProblem {
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
}
