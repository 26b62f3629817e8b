//! The allocation chart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{SERIES, legend, palette};
use crate::format::{tick, tick_decimals};

/// Units shipped from each location, stacked by region.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationChart {
    /// Title.
    pub title: String,
    /// Location names.
    pub locations: Vec<String>,
    /// Region names.
    pub regions: Vec<String>,
    /// units[location][region].
    pub units: Vec<Vec<f64>>,
    /// Each location's capacity, when it has one.
    pub capacity: Vec<Option<f64>>,
}

impl AllocationChart {
    /// From a solved allocation.
    pub fn new(title: &str, a: &crate::logistics::Allocation) -> AllocationChart {
        let locations: Vec<String> = a.capacity.iter().map(|c| c.location.clone()).collect();
        let mut regions: Vec<String> = a.flows.iter().map(|f| f.region.clone()).collect();
        regions.sort();
        regions.dedup();
        let mut units = vec![vec![0.0; regions.len()]; locations.len()];
        for f in &a.flows {
            if let (Some(l), Ok(r)) = (
                locations.iter().position(|x| *x == f.location),
                regions.binary_search(&f.region),
            ) {
                units[l][r] += f.units;
            }
        }
        AllocationChart {
            title: title.to_string(),
            locations,
            regions,
            units,
            capacity: a.capacity.iter().map(|c| c.capacity).collect(),
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let n = self.locations.len();
        let top = self
            .units
            .iter()
            .map(|r| r.iter().sum::<f64>())
            .chain(self.capacity.iter().flatten().copied())
            .fold(0.0, f64::max)
            .max(1.0)
            // Headroom for the legend above the bars.
            * 1.35;
        let names = self.locations.clone();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..n as f64, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(palette::GRID)
            .disable_x_mesh()
            .x_labels(n.max(1) * 2 + 1)
            .x_label_formatter(&|v: &f64| {
                let i = (v - 0.5).round();
                if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("units shipped")
            .y_label_formatter(&|v: &f64| tick(*v, tick_decimals(top, 6)))
            .draw()?;
        for (r, region) in self.regions.iter().enumerate() {
            let colour = SERIES[r % SERIES.len()];
            let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
                .map(|l| {
                    let below: f64 = self.units[l][..r].iter().sum();
                    let x = l as f64;
                    Rectangle::new(
                        [(x + 0.2, below), (x + 0.8, below + self.units[l][r])],
                        colour.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)?
                .label(region.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        for (l, cap) in self.capacity.iter().enumerate() {
            if let Some(c) = cap {
                let x = l as f64;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x + 0.1, *c), (x + 0.9, *c)],
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        if !self.regions.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        area.present()?;
        Ok(())
    }
}
