//! The demand chart.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{dated_chart, legend, palette};
use crate::data::{Dataset, Series};

/// What a demand chart shows: the series and its flagged points, as plain numbers
/// so that callers and tests can check it without a drawing backend.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandChart {
    /// Title.
    pub title: String,
    /// (date, demand) per period.
    pub points: Vec<(NaiveDate, f64)>,
    /// (date, demand) of flagged spikes.
    pub flagged: Vec<(NaiveDate, f64)>,
    /// (date, demand) of the periods the anomaly detectors flagged, with whether the
    /// merchant excluded them (imputed before forecasting).
    pub anomalies: Vec<(NaiveDate, f64, bool)>,
}

impl DemandChart {
    /// The chart of one SKU's history.
    pub fn new(ds: &Dataset, s: &Series) -> DemandChart {
        let dates = s.dates(ds);
        let points: Vec<(NaiveDate, f64)> = dates
            .iter()
            .copied()
            .zip(s.values.iter().copied())
            .collect();
        let flagged = s
            .quality
            .flags
            .iter()
            .filter_map(|f| points.get(f.index).copied())
            .collect();
        let name = if s.description.is_empty() {
            s.sku.clone()
        } else {
            format!("{} — {}", s.sku, s.description)
        };
        DemandChart {
            title: format!("{name} ({} demand)", ds.freq.label()),
            points,
            flagged,
            anomalies: Vec::new(),
        }
    }

    /// Marks the periods of this SKU's anomalies (and the whole shop's), each with
    /// whether it is excluded.
    pub fn with_anomalies<'a>(
        mut self,
        sku: &str,
        flags: impl IntoIterator<Item = (&'a crate::anomaly::Anomaly, bool)>,
    ) -> DemandChart {
        self.anomalies = super::anomaly_marks(&self.points, sku, flags);
        self
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return Ok(());
        };
        let (x0, x1) = (first.0, last.0);
        let ymax = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.05;
        let mut chart = dated_chart(area, &self.title, x0, x1, ymax, Some("units"))?;
        chart
            .draw_series(LineSeries::new(
                self.points.iter().copied(),
                palette::DEMAND.stroke_width(1),
            ))?
            .label("demand")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], palette::DEMAND));
        if !self.flagged.is_empty() {
            chart
                .draw_series(
                    self.flagged
                        .iter()
                        .map(|p| Circle::new(*p, 5, palette::FLAG.filled())),
                )?
                .label("flagged spike")
                .legend(|(x, y)| Circle::new((x + 8, y), 4, palette::FLAG.filled()));
        }
        super::draw_anomalies(&mut chart, &self.anomalies)?;
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        area.present()?;
        Ok(())
    }
}
