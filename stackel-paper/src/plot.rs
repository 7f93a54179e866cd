//! Figures as PNG and SVG: panels of line, dot and marker series with titles,
//! axis labels and legends. A thin layer over `plotters` with an embedded
//! font (DejaVu Sans), so figures render the same on any machine.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("drawing {path}: {message}")]
pub struct PlotError {
    /// The file being written.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// A polyline through the points.
    Line,
    /// Small dots (e.g. a zero set sampled on a grid, or many end points).
    Dots,
    /// Large hollow markers (equilibria).
    Markers,
    /// Large filled markers.
    FilledMarkers,
    /// A dashed polyline (reference values).
    Dashed,
}

/// One data series.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend entry (none: not in the legend).
    pub label: Option<String>,
    /// (x, y) data, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub style: Style,
    /// Index into the palette.
    pub color: usize,
}

impl Series {
    /// A labelled polyline.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: Some(label.into()),
            points,
            style: Style::Line,
            color,
        }
    }
    /// A polyline without a legend entry.
    pub fn unlabelled_line(points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: None,
            points,
            style: Style::Line,
            color,
        }
    }
    /// Labelled small dots.
    pub fn dots(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: Some(label.into()),
            points,
            style: Style::Dots,
            color,
        }
    }
    /// Labelled hollow markers.
    pub fn markers(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: Some(label.into()),
            points,
            style: Style::Markers,
            color,
        }
    }
    /// Labelled filled markers.
    pub fn filled(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: Some(label.into()),
            points,
            style: Style::FilledMarkers,
            color,
        }
    }
    /// A dashed polyline (reference values), labelled or not.
    pub fn dashed(label: Option<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label,
            points,
            style: Style::Dashed,
            color,
        }
    }
}

/// One chart.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// The series, drawn in order.
    pub series: Vec<Series>,
    /// Axis ranges; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    /// y axis range; `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// Logarithmic y axis (non-positive values are dropped).
    pub log_y: bool,
    /// Logarithmic x axis (non-positive values are dropped).
    pub log_x: bool,
}

impl Panel {
    /// An empty chart with a title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }
    /// Adds a series.
    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }
    /// Fixes the x range to [lo, hi].
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }
    /// Fixes the y range to [lo, hi].
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// Makes the y axis logarithmic.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
    /// Makes the x axis logarithmic.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    fn data_range(&self, pick: impl Fn(&(f64, f64)) -> f64, positive: bool) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            for p in &s.points {
                let v = pick(p);
                if v.is_finite() && (!positive || v > 0.0) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        if !lo.is_finite() {
            return if positive { (1e-3, 1.0) } else { (0.0, 1.0) };
        }
        if positive {
            return (lo / 1.5, hi * 1.5);
        }
        let pad = ((hi - lo) * 0.05).max(1e-9 * (1.0 + hi.abs()));
        (lo - pad, hi + pad)
    }
}

/// A titled grid of panels.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Title above the grid.
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub cols: usize,
    /// Pixel size of one panel.
    pub panel_size: (u32, u32),
}

impl Figure {
    /// A figure of `panels`, `cols` per row, at the default panel size.
    pub fn new(title: impl Into<String>, panels: Vec<Panel>, cols: usize) -> Self {
        Figure {
            title: title.into(),
            panels,
            cols: cols.max(1),
            panel_size: (640, 480),
        }
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols) as u32;
        let cols = self.cols.min(self.panels.len().max(1)) as u32;
        (self.panel_size.0 * cols, self.panel_size.1 * rows + 40)
    }

    /// Writes `dir/stem.png` and `dir/stem.svg`; returns both paths.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
        register_font();
        let png = dir.join(format!("{stem}.png"));
        let svg = dir.join(format!("{stem}.svg"));
        let err = |p: &Path| {
            let p = p.display().to_string();
            move |e: Box<dyn std::error::Error>| PlotError {
                path: p.clone(),
                message: e.to_string(),
            }
        };
        {
            let root = BitMapBackend::new(&png, self.size()).into_drawing_area();
            self.draw(&root).map_err(err(&png))?;
            root.present().map_err(|e| err(&png)(Box::new(e)))?;
        }
        {
            let root = SVGBackend::new(&svg, self.size()).into_drawing_area();
            self.draw(&root).map_err(err(&svg))?;
            root.present().map_err(|e| err(&svg)(Box::new(e)))?;
        }
        Ok(vec![png, svg])
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), Box<dyn std::error::Error>>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, ("sans-serif", 24))?;
        let rows = self.panels.len().div_ceil(self.cols);
        let cols = self.cols.min(self.panels.len().max(1));
        let areas = root.split_evenly((rows, cols));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            draw_panel(panel, area)?;
        }
        Ok(())
    }
}

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is a valid TrueType font"));
    });
}

/// The palette (colour-blind friendly, Okabe-Ito).
pub fn color(i: usize) -> RGBColor {
    const P: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(240, 228, 66),
    ];
    P[i % P.len()]
}

/// A short axis label: integers without decimals, small and large values in
/// scientific notation, others with at most three significant decimals.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.0e}");
        s.replace("e-0", "e-").replace("e0", "")
    } else if (v - v.round()).abs() < 1e-9 * a.max(1.0) {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

macro_rules! draw_on_chart {
    ($chart:expr, $panel:expr, $keep:expr) => {{
        let chart = $chart;
        chart
            .configure_mesh()
            .x_labels(7)
            .y_labels(8)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .x_desc($panel.x_label.as_str())
            .y_desc($panel.y_label.as_str())
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let mut any_label = false;
        for s in &$panel.series {
            let c = color(s.color);
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter($keep).collect();
            let anno = match s.style {
                Style::Line => chart.draw_series(LineSeries::new(pts, c.stroke_width(2)))?,
                Style::Dashed => {
                    chart.draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(2)))?
                }
                Style::Dots => chart
                    .draw_series(pts.into_iter().map(move |p| Circle::new(p, 1, c.filled())))?,
                Style::Markers => chart.draw_series(
                    pts.into_iter()
                        .map(move |p| Circle::new(p, 7, c.stroke_width(3))),
                )?,
                Style::FilledMarkers => chart.draw_series(
                    pts.into_iter()
                        .map(move |p| TriangleMarker::new(p, 8, c.filled())),
                )?,
            };
            if let Some(l) = &s.label {
                any_label = true;
                let style = s.style;
                anno.label(l.as_str()).legend(move |(x, y)| match style {
                    Style::Line | Style::Dashed => {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)).into_dyn()
                    }
                    Style::FilledMarkers => {
                        TriangleMarker::new((x + 9, y), 6, c.filled()).into_dyn()
                    }
                    _ => Circle::new((x + 9, y), 4, c.filled()).into_dyn(),
                });
            }
        }
        if any_label {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
    }};
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = panel
        .x_range
        .unwrap_or_else(|| panel.data_range(|p| p.0, panel.log_x));
    let (y0, y1) = panel
        .y_range
        .unwrap_or_else(|| panel.data_range(|p| p.1, panel.log_y));
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(62);
    let (lx, ly) = (panel.log_x, panel.log_y);
    let keep = move |p: &(f64, f64)| {
        p.0.is_finite()
            && p.1.is_finite()
            && (!lx || p.0 > 0.0)
            && (!ly || p.1 > 0.0)
            && p.0 >= x0.min(x1)
            && p.0 <= x0.max(x1)
            && p.1 >= y0.min(y1)
            && p.1 <= y0.max(y1)
    };
    match (lx, ly) {
        (false, false) => {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
            draw_on_chart!(&mut chart, panel, keep);
        }
        (false, true) => {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
            draw_on_chart!(&mut chart, panel, keep);
        }
        (true, false) => {
            let mut chart = builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?;
            draw_on_chart!(&mut chart, panel, keep);
        }
        (true, true) => {
            let mut chart =
                builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
            draw_on_chart!(&mut chart, panel, keep);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(20000.0), "20000");
        assert_eq!(tick(0.9999999999999999), "1");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(1e-5), "1e-5");
        assert_eq!(tick(1e6), "1e6");
    }

    #[test]
    fn writes_png_and_svg_with_labels() {
        let dir = std::env::temp_dir().join(format!("stackel-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = Panel::new("a panel", "step k", "value")
            .with(Series::line(
                "sin",
                (0..50)
                    .map(|k| (k as f64, (k as f64 / 5.0).sin()))
                    .collect(),
                0,
            ))
            .with(Series::markers("point", vec![(10.0, 0.5)], 1));
        let q = Panel::new("log panel", "k", "norm")
            .log_y()
            .with(Series::line(
                "decay",
                (1..50)
                    .map(|k| (k as f64, (-(k as f64) / 5.0).exp()))
                    .collect(),
                2,
            ));
        let files = Figure::new("test figure", vec![p, q], 2)
            .save(&dir, "fig")
            .unwrap();
        assert_eq!(files.len(), 2);
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        assert!(svg.contains("a panel") && svg.contains("step k") && svg.contains("decay"));
        let png = std::fs::read(&files[0]).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        if std::env::var_os("STACKEL_KEEP_PLOT").is_none() {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
}
