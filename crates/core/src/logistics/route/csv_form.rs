//! Our CSV form of a day's deliveries: `id`, `x,y` or `lat,lon`, `demand`, optional
//! `ready,due,service`, with the depot as the row whose id is `depot`; the fleet comes
//! from the caller. Every problem is reported by line and column.

use super::{Delivery, Metric, RoutingProblem};
use crate::logistics::{LogisticsError, Table};

impl RoutingProblem {
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
            let coord = crate::logistics::allocate::read_coord(&mut t, row);
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
}
