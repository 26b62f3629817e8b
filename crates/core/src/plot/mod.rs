//! Charts drawn from core types on any plotters backend (a canvas in the browser).

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::format::{tick, tick_decimals};

/// A range that can be drawn: a degenerate one (all values equal) is widened around
/// its value so that the axis has distinct ticks.
pub(crate) fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo > 1e-12 * hi.abs().max(1.0) {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        let pad = lo.abs() * 0.1;
        (lo - pad, hi + pad)
    }
}

/// Colours shared by the charts.
pub mod palette {
    use plotters::style::RGBColor;
    /// Demand line.
    pub const DEMAND: RGBColor = RGBColor(37, 99, 235);
    /// Flagged points.
    pub const FLAG: RGBColor = RGBColor(220, 38, 38);
    /// Grid lines.
    pub const GRID: RGBColor = RGBColor(229, 231, 235);
    /// Forecast median and fan.
    pub const FORECAST: RGBColor = RGBColor(234, 88, 12);
    /// Backtest windows' forecasts.
    pub const BACKTEST: RGBColor = RGBColor(22, 163, 74);
}

/// The chart type of [`dated_chart`]: dates across, values up.
pub(crate) type DatedChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedDate<NaiveDate>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// A chart over dates and non-negative values with the shared styling: title, grid,
/// dates on the x axis, whole numbers on the y axis once values pass 10.
pub(crate) fn dated_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x0: NaiveDate,
    x1: NaiveDate,
    ymax: f64,
    y_desc: Option<&str>,
) -> Result<DatedChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let x1 = if x1 > x0 {
        x1
    } else {
        x0 + chrono::Duration::days(1)
    };
    let ymax = widen(0.0, ymax).1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .margin_right(28)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0.0..ymax)?;
    let decimals = tick_decimals(ymax, 6);
    let y_fmt = |v: &f64| tick(*v, decimals);
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(palette::GRID)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|d: &NaiveDate| d.format("%Y-%m-%d").to_string())
        .y_label_formatter(&y_fmt);
    if let Some(d) = y_desc {
        mesh.y_desc(d);
    }
    mesh.draw()?;
    Ok(chart)
}

/// The marks of a SKU's anomalies (and the whole shop's) on a line of (date, value)
/// points sorted by date: (date, the line's value there, excluded).
pub(crate) fn anomaly_marks<'a>(
    points: &[(NaiveDate, f64)],
    sku: &str,
    flags: impl IntoIterator<Item = (&'a crate::anomaly::Anomaly, bool)>,
) -> Vec<(NaiveDate, f64, bool)> {
    let mut out = Vec::new();
    for (a, excluded) in flags {
        if a.sku.as_deref().is_some_and(|s| s != sku) {
            continue;
        }
        for d in &a.dates {
            if let Ok(k) = points.binary_search_by_key(d, |p| p.0) {
                out.push((*d, points[k].1, excluded));
            }
        }
    }
    out
}

/// Draws anomaly marks: filled triangles kept, hollow ones excluded (imputed).
pub(crate) fn draw_anomalies<DB: DrawingBackend>(
    chart: &mut DatedChart<'_, DB>,
    marks: &[(NaiveDate, f64, bool)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (excluded, label) in [
        (false, "anomaly, kept"),
        (true, "anomaly, excluded (imputed)"),
    ] {
        let pts: Vec<(NaiveDate, f64)> = marks
            .iter()
            .filter(|a| a.2 == excluded)
            .map(|a| (a.0, a.1))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let style = if excluded {
            palette::FORECAST.stroke_width(2)
        } else {
            palette::FORECAST.filled()
        };
        chart
            .draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 6, style)))?
            .label(label)
            .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 5, style));
    }
    Ok(())
}

/// The one legend style of every chart: a white, slightly see-through box with a light
/// border, at `position`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(palette::GRID)
        .position(position)
        .draw()
}

/// Colours for one series each (vehicles, regions), distinct on white.
pub(crate) const SERIES: [RGBColor; 8] = [
    RGBColor(37, 99, 235),
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(219, 39, 119),
    RGBColor(13, 148, 136),
    RGBColor(161, 98, 7),
    RGBColor(71, 85, 105),
];

mod allocation;
mod decomposition;
mod demand;
mod forecast;
mod inventory;
mod loss;
mod route;
mod tradeoff;

pub use allocation::AllocationChart;
pub use decomposition::DecompositionChart;
pub use demand::DemandChart;
pub use forecast::ForecastChart;
pub use inventory::InventoryChart;
pub use loss::LossChart;
pub use route::RouteChart;
pub use tradeoff::TradeoffChart;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn anomaly_marks_sit_on_the_line_for_the_sku_and_the_shop() {
        let d = |k: u32| NaiveDate::from_ymd_opt(2026, 3, k).unwrap();
        let points: Vec<(NaiveDate, f64)> = (1..=10).map(|k| (d(k), k as f64)).collect();
        let flag = |sku: Option<&str>, dates: Vec<NaiveDate>| crate::anomaly::Anomaly {
            sku: sku.map(str::to_string),
            kind: crate::anomaly::Kind::Stockout,
            start: 0,
            len: dates.len(),
            dates,
            score: 5.0,
            observed: 0.0,
            expected: 9.0,
            impact: 9.0,
            reason: String::new(),
            line: None,
        };
        let flags = [
            flag(Some("A"), vec![d(3), d(4)]),
            flag(Some("B"), vec![d(5)]),
            flag(None, vec![d(9)]),
            flag(Some("A"), vec![d(20)]),
        ];
        let excluded = [true, false, false, false];
        let m = anomaly_marks(&points, "A", flags.iter().zip(excluded));
        assert_eq!(
            m,
            vec![(d(3), 3.0, true), (d(4), 4.0, true), (d(9), 9.0, false)]
        );
    }

    /// A backend that keeps the text drawn on it, so that axis labels can be read back.
    #[derive(Clone, Default)]
    struct Texts(Rc<RefCell<Vec<(String, BackendCoord)>>>);

    #[derive(Debug)]
    struct Never;
    impl std::fmt::Display for Never {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("never")
        }
    }
    impl std::error::Error for Never {}

    impl DrawingBackend for Texts {
        type ErrorType = Never;
        fn get_size(&self) -> (u32, u32) {
            (900, 300)
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_pixel(
            &mut self,
            _: BackendCoord,
            _: BackendColor,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            _: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Never>> {
            self.0.borrow_mut().push((text.to_string(), pos));
            Ok(())
        }
        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            _: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<Never>> {
            Ok((7 * text.chars().count() as u32, 12))
        }
        fn draw_line<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: BackendCoord,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_rect<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: BackendCoord,
            _: &S,
            _: bool,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_circle<S: BackendStyle>(
            &mut self,
            _: BackendCoord,
            _: u32,
            _: &S,
            _: bool,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            _: I,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            _: I,
            _: &S,
        ) -> Result<(), DrawingErrorKind<Never>> {
            Ok(())
        }
    }

    fn numeric(texts: &[(String, BackendCoord)]) -> Vec<String> {
        texts
            .iter()
            .map(|t| t.0.clone())
            .filter(|t| {
                !t.is_empty()
                    && t.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == '-')
            })
            .collect()
    }

    /// One epoch with losses 0.00091–0.00112 used to print six "0.001" and an epoch
    /// axis "0 1 1 1 1 1 1 1 1 1 2": every tick now reads differently, epochs whole.
    #[test]
    fn loss_chart_ticks_are_distinct_whatever_the_range() {
        for (train, valid) in [
            (vec![(1.0, 0.00112)], vec![(1.0, 0.00091)]),
            (vec![(1.0, 0.5)], vec![(1.0, 0.5)]),
            (
                (1..=37).map(|e| (e as f64, 1.0 / e as f64)).collect(),
                vec![],
            ),
        ] {
            let b = Texts::default();
            let chart = LossChart {
                title: "t".into(),
                train,
                valid,
            };
            chart.draw(&b.clone().into_drawing_area()).unwrap();
            let labels = numeric(&b.0.borrow());
            let mut seen = std::collections::HashSet::new();
            for l in &labels {
                assert!(seen.insert(l.clone()), "repeated tick {l} in {labels:?}");
            }
            assert!(labels.len() >= 3, "{labels:?}");
        }
        // Nothing at all before the first epoch.
        let b = Texts::default();
        let empty = LossChart {
            title: "t".into(),
            train: vec![],
            valid: vec![],
        };
        assert!(empty.is_empty());
        empty.draw(&b.clone().into_drawing_area()).unwrap();
        assert!(b.0.borrow().is_empty());
    }

    /// A slow SKU's trade-off (investment 0.2–1.4) used to read "0 0 0 0 0 1 1 1" with
    /// overlapping point labels: distinct ticks, and no two target labels on top of
    /// each other.
    #[test]
    fn tradeoff_chart_ticks_distinct_labels_apart() {
        let points: Vec<(f64, f64, f64)> =
            [0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995]
                .iter()
                .enumerate()
                .map(|(i, &t)| (0.2 + 0.12 * i as f64, 90.0 + 9.0 * t, t))
                .collect();
        let chart = TradeoffChart {
            title: "t".into(),
            points,
            current: Some((0.9, 98.0)),
        };
        let b = Texts::default();
        chart.draw(&b.clone().into_drawing_area()).unwrap();
        let texts = b.0.borrow();
        let labels = numeric(&texts);
        let mut seen = std::collections::HashSet::new();
        for l in &labels {
            assert!(seen.insert(l.clone()), "repeated tick {l} in {labels:?}");
        }
        let targets: Vec<&(String, BackendCoord)> =
            texts.iter().filter(|t| t.0.ends_with('%')).collect();
        assert!(targets.len() >= 3, "{targets:?}");
        for (i, a) in targets.iter().enumerate() {
            for b in &targets[i + 1..] {
                let (dx, dy) = ((a.1.0 - b.1.0).abs(), (a.1.1 - b.1.1).abs());
                assert!(dx > 40 || dy > 12, "{} and {} overlap", a.0, b.0);
            }
        }
    }
}
