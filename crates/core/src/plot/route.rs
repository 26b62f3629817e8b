//! The route chart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{SERIES, legend, palette};
use crate::format::{tick, tick_decimals};

/// A day's delivery routes: the depot, every stop in visiting order, one colour per
/// vehicle; stops left unserved are crosses.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteChart {
    /// Title.
    pub title: String,
    /// The depot (x, y; for lat/lon, x = longitude, y = latitude).
    pub depot: (f64, f64),
    /// Each route's stops in order.
    pub routes: Vec<Vec<(f64, f64)>>,
    /// Stops not served.
    pub unserved: Vec<(f64, f64)>,
}

impl RouteChart {
    /// From a problem and its routes.
    pub fn new(
        title: &str,
        p: &crate::logistics::RoutingProblem,
        r: &crate::logistics::Routes,
    ) -> RouteChart {
        let xy = |c: crate::logistics::Coord| match c {
            crate::logistics::Coord::Xy { x, y } => (x, y),
            crate::logistics::Coord::LatLon { lat, lon } => (lon, lat),
        };
        RouteChart {
            title: title.to_string(),
            depot: xy(p.depot),
            routes: r
                .routes
                .iter()
                .map(|route| {
                    route
                        .stops
                        .iter()
                        .map(|&s| xy(p.deliveries[s].coord))
                        .collect()
                })
                .collect(),
            unserved: r
                .unserved
                .iter()
                .map(|u| xy(p.deliveries[u.0].coord))
                .collect(),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let all = self
            .routes
            .iter()
            .flatten()
            .chain(&self.unserved)
            .chain(std::iter::once(&self.depot));
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        // A margin of 5 % (and a span for a single point) keeps ticks distinct.
        let pad = |a: f64, b: f64| ((b - a) * 0.05).max(1e-3 * (1.0 + a.abs()));
        let (px, py) = (pad(x0, x1), pad(y0, y1));
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))?;
        let (dx, dy) = (
            tick_decimals(x1 - x0 + 2.0 * px, 8),
            tick_decimals(y1 - y0 + 2.0 * py, 8),
        );
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .x_label_formatter(&|v: &f64| tick(*v, dx))
            .y_label_formatter(&|v: &f64| tick(*v, dy))
            .draw()?;
        for (i, stops) in self.routes.iter().enumerate() {
            let colour = SERIES[i % SERIES.len()];
            let path: Vec<(f64, f64)> = std::iter::once(self.depot)
                .chain(stops.iter().copied())
                .chain(std::iter::once(self.depot))
                .collect();
            chart
                .draw_series(LineSeries::new(path, colour.stroke_width(2)))?
                .label(format!("vehicle {} ({} stops)", i + 1, stops.len()))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart.draw_series(stops.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
        chart.draw_series(
            self.unserved
                .iter()
                .map(|&p| Cross::new(p, 5, palette::FLAG.stroke_width(2))),
        )?;
        chart.draw_series(std::iter::once(
            EmptyElement::at(self.depot)
                + Rectangle::new([(-6, -6), (6, 6)], BLACK.filled())
                + Text::new("depot", (8, -14), ("sans-serif", 12)),
        ))?;
        if !self.routes.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        area.present()?;
        Ok(())
    }
}
