//! The Solomon VRPTW text reader (distances truncated to one decimal and travel time
//! equal to distance, as the published best-known values assume).

use super::{Coord, Delivery, MAX_VEHICLES, Metric, RoutingProblem};
use crate::logistics::LogisticsError;

impl RoutingProblem {
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
}
