//! Draws a `Figure` as a PNG or an SVG with plotters, in memory: the bundled
//! DejaVu Sans (no system fonts), a white background, units on every axis, a
//! legend in its own panel so it never hides data. The same figure always
//! gives the same bytes. One drawing, generic over the plotters backend, serves
//! both formats, so the PNG and the SVG of a chart cannot drift apart.

use std::fmt::Debug;
use std::sync::Once;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::figure::{Figure, Ideal, Point};
use crate::experiment::schema::ChartKind;
use crate::stats::Verdict;

pub(crate) const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Tableau's ten colours: distinct, and readable on white and in print.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(crate) fn err<E: Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// Registers the bundled font once per process.
pub(crate) fn register_font() -> anyhow::Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .map_err(|_| anyhow!("the bundled font is not a valid TrueType font"));
    });
    result
}

/// The pixel size of a figure: taller for many horizontal bars.
pub fn size(figure: &Figure) -> (u32, u32) {
    match (figure.chart.kind, &figure.categories) {
        (ChartKind::Hbars, Some(c)) if c.len() > 30 => (960, 1000),
        _ => (960, 540),
    }
}

/// The figure as PNG bytes.
pub fn png(figure: &Figure) -> anyhow::Result<Vec<u8>> {
    let (w, h) = size(figure);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_figure(figure, &root)?;
    }
    encode(&rgb, w, h)
}

/// The figure as an SVG document. Its text names the font family rather
/// than embedding glyphs, so a viewer draws it with its own sans-serif.
pub fn svg(figure: &Figure) -> anyhow::Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size(figure)).into_drawing_area();
        draw_figure(figure, &root)?;
    }
    Ok(text)
}

/// Draws the whole figure, plot and legend, onto `root`.
fn draw_figure<DB: DrawingBackend>(
    figure: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    register_font()?;
    let (w, _) = size(figure);
    root.fill(&WHITE).map_err(err)?;
    // A legend for several series, or to say what a whisker and a tick are.
    let whiskers = figure
        .series
        .iter()
        .flat_map(|s| &s.points)
        .any(|p| p.whisker.is_some() || p.best.is_some());
    let keyed = figure.series.len() > 1 || (whiskers && figure.whisker.is_some());
    let legend_width = if keyed { 190 } else { 0 };
    let (plot, legend) = root.split_horizontally(w - legend_width);
    draw_plot(figure, &plot)?;
    if legend_width > 0 {
        draw_legend(figure, &legend)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

pub(crate) fn encode(rgb: &[u8], w: u32, h: u32) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// Maps a value onto the axis: log10 for log axes.
fn onto(v: f64, log: bool) -> f64 {
    if log { v.max(1e-12).log10() } else { v }
}

/// A tick label for an axis position. A log axis spanning `decades` of 1.5
/// or more labels only the powers of ten.
fn tick(v: f64, log: bool, decades: f64, seconds: bool) -> String {
    if log && decades >= 1.5 && (v - v.round()).abs() > 1e-6 {
        return String::new();
    }
    let v = if log { 10f64.powf(v) } else { v };
    if seconds {
        return compact_seconds(v);
    }
    let rounded = v.round();
    if (v - rounded).abs() < 1e-6 * v.abs().max(1.0) {
        if rounded.abs() >= 1e6 {
            return format!("{rounded:.0e}");
        }
        return group_digits(rounded as i64);
    }
    three_digits(v)
}

/// Whether an axis position stands for a whole number (after the log, on a log axis).
fn at_integer(v: f64, log: bool) -> bool {
    let v = if log { 10f64.powf(v) } else { v };
    (v - v.round()).abs() < 1e-6 * v.abs().max(1.0)
}

/// A time with at most three significant digits: "50 ms", "2.5 µs".
fn compact_seconds(s: f64) -> String {
    let (value, unit) = match s.abs() {
        a if a >= 1.0 || a == 0.0 => (s, "s"),
        a if a >= 1e-3 => (s * 1e3, "ms"),
        a if a >= 1e-6 => (s * 1e6, "µs"),
        _ => (s * 1e9, "ns"),
    };
    format!("{} {unit}", three_digits(value))
}

/// A number with three significant digits and no trailing zeros.
fn three_digits(v: f64) -> String {
    let decimals = match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    let text = format!("{v:.decimals$}");
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// 100000 -> "100,000".
fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The largest magnitude an axis reaches: a range between its two ends is
/// still a finite number.
const AXIS_LIMIT: f64 = f64::MAX / 4.0;

/// An axis range plotters can always lay ticks on: both ends finite, the
/// width finite and positive. plotters' tick search loops forever on an
/// infinite range (`compute_f64_key_points` divides its scale by ten until
/// a count it can never reach, issue 20 item 6) and panics on NaN, so every
/// chart's ranges pass through here on their way to `build_cartesian_2d`.
pub(crate) fn axis(lo: f64, hi: f64) -> (f64, f64) {
    let clamp = |v: f64| v.clamp(-AXIS_LIMIT, AXIS_LIMIT);
    let (lo, hi) = match (lo.is_nan(), hi.is_nan()) {
        (true, true) => (0.0, 1.0),
        (true, false) => (clamp(hi) - 1.0, clamp(hi)),
        (false, true) => (clamp(lo), clamp(lo) + 1.0),
        (false, false) => (clamp(lo.min(hi)), clamp(lo.max(hi))),
    };
    // An empty range (or one too narrow to tell its ends apart) widens
    // around its value.
    let room = (hi.abs() * 1e-9).max(1e-9);
    match hi - lo < room {
        true => (lo - room, hi + room),
        false => (lo, hi),
    }
}

/// The range covering `values`, padded; linear ranges of positive values
/// for bars start at zero. A value that is not finite cannot be placed, so
/// it does not stretch the range.
fn span(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.06;
    (
        if from_zero && lo == 0.0 {
            0.0
        } else {
            lo - pad
        },
        hi + pad,
    )
}

fn draw_plot<DB: DrawingBackend>(
    figure: &Figure,
    area: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let chart = &figure.chart;
    let horizontal = chart.kind == ChartKind::Hbars;
    let (log_x, log_y) = (chart.log_x, chart.log_y);
    let points = || figure.series.iter().flat_map(|s| s.points.iter());
    let bars = matches!(chart.kind, ChartKind::Bars | ChartKind::Hbars);
    let n_categories = figure.categories.as_ref().map_or(0, Vec::len);

    // The value axis (y, or x for horizontal bars) and the other one.
    let reference = figure.reference.as_ref().map(|(_, y)| onto(*y, log_y));
    let values = points()
        .flat_map(|p| {
            let (lo, hi) = p.whisker.unwrap_or((p.y, p.y));
            let best = p.best.unwrap_or(p.y);
            [p.y, lo, hi, best].map(|v| onto(v, log_y))
        })
        .chain(reference)
        .chain(ideal_reach(figure).map(|v| onto(v, log_y)));
    let (v_lo, v_hi) = span(values, bars && !log_y);
    let (c_lo, c_hi) = match n_categories {
        0 => span(points().map(|p| onto(p.x, log_x)), false),
        n => (-0.6, n as f64 - 0.4),
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&figure.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(if horizontal { 46 } else { 58 })
        .y_label_area_size(if horizontal { 80 } else { 86 });
    let (x_range, y_range) = if horizontal {
        (axis(v_lo, v_hi), axis(c_lo, c_hi))
    } else {
        (axis(c_lo, c_hi), axis(v_lo, v_hi))
    };
    let mut ctx = builder
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
        .map_err(err)?;

    let categories = figure.categories.clone().unwrap_or_default();
    let every = (categories.len() / 40).max(1);
    let category_label = move |v: &f64| {
        let i = v.round();
        let on_tick = (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(every);
        match on_tick {
            true => categories.get(i as usize).cloned().unwrap_or_default(),
            false => String::new(),
        }
    };
    let seconds = figure.y_is_seconds;
    let value_label = move |v: &f64| tick(*v, log_y, v_hi - v_lo, seconds);
    // Parameters such as workers or chunksize are counts: no tick at 2.2.
    let integer_x = points().all(|p| p.x.fract() == 0.0);
    let numeric_x_label = move |v: &f64| match integer_x && !at_integer(*v, log_x) {
        true => String::new(),
        false => tick(*v, log_x, c_hi - c_lo, false),
    };
    let (x_fmt, y_fmt): (&Labeller, &Labeller) = match (horizontal, n_categories) {
        (true, _) => (&value_label, &category_label),
        (false, 0) => (&numeric_x_label, &value_label),
        (false, _) => (&category_label, &value_label),
    };
    let (x_desc, y_desc) = match horizontal {
        true => (&figure.y_label, &figure.x_label),
        false => (&figure.x_label, &figure.y_label),
    };
    let category_ticks = (n_categories / every).clamp(1, 60) + 1;
    ctx.configure_mesh()
        .x_desc(x_desc.as_str())
        .y_desc(y_desc.as_str())
        .x_labels(if n_categories > 0 && !horizontal {
            category_ticks
        } else if integer_x && !log_x && n_categories == 0 {
            // At most one tick per whole number, so no tick goes unlabelled.
            ((c_hi - c_lo).floor() as usize + 1).clamp(2, 10)
        } else {
            10
        })
        .y_labels(if horizontal { category_ticks } else { 8 })
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;

    // The guides go under the data, so a point is never hidden by them.
    if let Some(ideal) = figure.ideal {
        draw_ideal(ideal, figure, &mut ctx, (c_lo, c_hi), (v_lo, v_hi))?;
    }
    if let (Some((label, at)), 0) = (&figure.cores, n_categories) {
        draw_cores(
            label,
            onto(*at, log_x),
            &mut ctx,
            (c_lo, c_hi),
            (v_lo, v_hi),
        )?;
    }
    match chart.kind {
        ChartKind::Line => draw_lines(figure, &mut ctx)?,
        ChartKind::Scatter => draw_scatter(figure, &mut ctx)?,
        ChartKind::Bars | ChartKind::Hbars => draw_bars(figure, &mut ctx, v_lo, horizontal)?,
    }
    // The baseline the chart's cases are measured against, as a line across.
    if let (Some((label, _)), Some(v)) = (&figure.reference, reference) {
        let grey = RGBColor(110, 110, 110);
        let ends = match horizontal {
            true => vec![(v, c_lo), (v, c_hi)],
            false => vec![(c_lo, v), (c_hi, v)],
        };
        ctx.draw_series(LineSeries::new(ends, grey.stroke_width(2)))
            .map_err(err)?;
        let at = match horizontal {
            true => (v, c_hi - 0.04 * (c_hi - c_lo)),
            false => (c_lo + 0.01 * (c_hi - c_lo), v),
        };
        ctx.draw_series(std::iter::once(Text::new(
            label.clone(),
            at,
            (FONT, 13).into_font().color(&grey),
        )))
        .map_err(err)?;
    }
    Ok(())
}

/// Turns an axis position into its tick label.
type Labeller = dyn Fn(&f64) -> String;

type Ctx<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_lines<DB: DrawingBackend>(figure: &Figure, ctx: &mut Ctx<'_, DB>) -> anyhow::Result<()> {
    let (log_x, log_y) = (figure.chart.log_x, figure.chart.log_y);
    let at = |p: &Point| (onto(p.x, log_x), onto(p.y, log_y));
    for (i, series) in figure.series.iter().enumerate() {
        let c = colour(i);
        let line: Vec<_> = series
            .points
            .iter()
            .filter(|p| !p.is_default)
            .map(at)
            .collect();
        ctx.draw_series(LineSeries::new(line, c.stroke_width(2)))
            .map_err(err)?;
        ctx.draw_series(
            series
                .points
                .iter()
                .map(|p| Circle::new(at(p), 4, c.filled())),
        )
        .map_err(err)?;
        for p in &series.points {
            let x = onto(p.x, log_x);
            draw_whisker(ctx, p, x, log_y, c.mix(0.7).stroke_width(2), 5)?;
            draw_best_tick(ctx, p, x, log_y, c, 7)?;
        }
    }
    mark_special_points(figure, ctx)
}

/// A point's whisker, from one end of its interval to the other through the
/// point, with caps `cap` pixels wide each side: what the legend says it is.
fn draw_whisker<DB: DrawingBackend>(
    ctx: &mut Ctx<'_, DB>,
    p: &Point,
    x: f64,
    log_y: bool,
    style: ShapeStyle,
    cap: i32,
) -> anyhow::Result<()> {
    let Some((lo, hi)) = p.whisker else {
        return Ok(());
    };
    let (lo, hi) = (onto(lo, log_y), onto(hi, log_y));
    ctx.draw_series(std::iter::once(PathElement::new(
        vec![(x, lo), (x, hi)],
        style,
    )))
    .map_err(err)?;
    let caps = [lo, hi]
        .map(|y| EmptyElement::at((x, y)) + PathElement::new(vec![(-cap, 0), (cap, 0)], style));
    ctx.draw_series(caps).map_err(err)?;
    Ok(())
}

/// The best repeat as a short dark tick beside the point, `half` pixels
/// each side of it, so the book's best-of-N figure stays readable.
fn draw_best_tick<DB: DrawingBackend>(
    ctx: &mut Ctx<'_, DB>,
    p: &Point,
    x: f64,
    log_y: bool,
    c: RGBColor,
    half: i32,
) -> anyhow::Result<()> {
    let Some(best) = p.best else {
        return Ok(());
    };
    let dark = RGBColor(c.0 / 2, c.1 / 2, c.2 / 2);
    let tick = EmptyElement::at((x, onto(best, log_y)))
        + PathElement::new(vec![(-half, 0), (half, 0)], dark.stroke_width(2));
    ctx.draw_series(std::iter::once(tick)).map_err(err)?;
    Ok(())
}

/// How high the ideal line must be visible: the ideal speedup at the
/// largest worker count drawn, but never past the machine's physical cores
/// (beyond them the ideal is out of reach, and would squash the data).
fn ideal_reach(figure: &Figure) -> Option<f64> {
    let most = figure
        .series
        .iter()
        .flat_map(|s| &s.points)
        .map(|p| p.x)
        .reduce(f64::max)?;
    match figure.ideal? {
        Ideal::Speedup => Some(match figure.cores {
            Some((_, cores)) => most.min(cores),
            None => most,
        }),
        Ideal::Efficiency => Some(1.0),
    }
}

/// The ideal line across the plot, dashed and labelled, clipped to the
/// value axis (a speedup of 8 on a chart that tops out at 2 leaves the top).
fn draw_ideal<DB: DrawingBackend>(
    ideal: Ideal,
    figure: &Figure,
    ctx: &mut Ctx<'_, DB>,
    (c_lo, c_hi): (f64, f64),
    (v_lo, v_hi): (f64, f64),
) -> anyhow::Result<()> {
    let (log_x, log_y) = (figure.chart.log_x, figure.chart.log_y);
    let unlog = |v: f64| if log_x { 10f64.powf(v) } else { v };
    const STEPS: usize = 200;
    let line: Vec<(f64, f64)> = (0..=STEPS)
        .map(|i| c_lo + (c_hi - c_lo) * i as f64 / STEPS as f64)
        .map(|x| {
            let y = match ideal {
                Ideal::Speedup => unlog(x),
                Ideal::Efficiency => 1.0,
            };
            (x, onto(y, log_y))
        })
        .filter(|&(_, y)| y >= v_lo && y <= v_hi)
        .collect();
    let Some(&last) = line.last() else {
        return Ok(());
    };
    let grey = RGBColor(90, 90, 90);
    ctx.draw_series(DashedLineSeries::new(line, 8, 6, grey.stroke_width(2)))
        .map_err(err)?;
    let label = Text::new(
        ideal.label(),
        (-150, -20),
        (FONT, 13).into_font().color(&grey),
    );
    ctx.draw_series(std::iter::once(EmptyElement::at(last) + label))
        .map_err(err)?;
    Ok(())
}

/// A vertical line at the machine's physical cores, labelled at its top.
fn draw_cores<DB: DrawingBackend>(
    label: &str,
    x: f64,
    ctx: &mut Ctx<'_, DB>,
    (c_lo, c_hi): (f64, f64),
    (v_lo, v_hi): (f64, f64),
) -> anyhow::Result<()> {
    if !(c_lo..=c_hi).contains(&x) {
        return Ok(());
    }
    let colour = RGBColor(150, 60, 160);
    ctx.draw_series(DashedLineSeries::new(
        vec![(x, v_lo), (x, v_hi)],
        4,
        4,
        colour.stroke_width(2),
    ))
    .map_err(err)?;
    let text = Text::new(
        label.to_string(),
        (6, 4),
        (FONT, 13).into_font().color(&colour),
    );
    ctx.draw_series(std::iter::once(EmptyElement::at((x, v_hi)) + text))
        .map_err(err)?;
    Ok(())
}

/// Rings and labels the fastest point and the `default` chunksize.
fn mark_special_points<DB: DrawingBackend>(
    figure: &Figure,
    ctx: &mut Ctx<'_, DB>,
) -> anyhow::Result<()> {
    let (log_x, log_y) = (figure.chart.log_x, figure.chart.log_y);
    let all = figure.series.iter().flat_map(|s| s.points.iter());
    let lower_is_better = figure.y_is_seconds;
    let best = all.clone().min_by(|a, b| {
        let (a, b) = if lower_is_better {
            (a.y, b.y)
        } else {
            (-a.y, -b.y)
        };
        a.total_cmp(&b)
    });
    let mut marks: Vec<(&Point, String, RGBColor)> = Vec::new();
    // Ringed as the fastest only when its time is faster than every other
    // point's beyond the noise, as the findings would say: on a chart of
    // times, or of speedups (the highest speedup is the fastest case); never
    // on efficiency, whose highest point is seldom the fastest.
    let ranks_speed = lower_is_better || figure.chart.y == "speedup";
    let separated = |best: &Point| {
        ranks_speed
            && all.clone().filter(|p| !std::ptr::eq(*p, best)).all(|p| {
                super::findings::compare(best, p).is_some_and(|c| c.verdict == Verdict::Faster)
            })
    };
    if let Some(best) = best.filter(|b| separated(b)) {
        marks.push((best, "fastest".into(), RGBColor(0, 0, 0)));
    }
    // Every default point is ringed; the label is said once.
    for (i, p) in all.filter(|p| p.is_default).enumerate() {
        let text = if i == 0 {
            format!("default ({})", tick(p.x, false, 0.0, false))
        } else {
            String::new()
        };
        marks.push((p, text, RGBColor(200, 30, 30)));
    }
    for (i, (p, text, c)) in marks.iter().enumerate() {
        let at = (onto(p.x, log_x), onto(p.y, log_y));
        // The first label above its point, the next below, so they do not collide.
        let offset = if i % 2 == 0 { (10, -24) } else { (10, 10) };
        let ring = Circle::new((0, 0), 9, c.stroke_width(2));
        let label = Text::new(text.clone(), offset, (FONT, 14).into_font().color(c));
        ctx.draw_series([EmptyElement::at(at) + ring + label])
            .map_err(err)?;
    }
    Ok(())
}

fn draw_scatter<DB: DrawingBackend>(figure: &Figure, ctx: &mut Ctx<'_, DB>) -> anyhow::Result<()> {
    let (log_x, log_y) = (figure.chart.log_x, figure.chart.log_y);
    for (i, series) in figure.series.iter().enumerate() {
        let c = colour(i);
        let at = |p: &Point| (onto(p.x, log_x), onto(p.y, log_y));
        // Primes as crosses, everything else as dots, as in the book.
        if series.name == "primes" {
            ctx.draw_series(
                series
                    .points
                    .iter()
                    .map(|p| Cross::new(at(p), 3, c.stroke_width(1))),
            )
            .map_err(err)?;
        } else {
            ctx.draw_series(
                series
                    .points
                    .iter()
                    .map(|p| Circle::new(at(p), 1, c.mix(0.6).filled())),
            )
            .map_err(err)?;
        }
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    figure: &Figure,
    ctx: &mut Ctx<'_, DB>,
    base: f64,
    horizontal: bool,
) -> anyhow::Result<()> {
    let log_y = figure.chart.log_y;
    let k = figure.series.len().max(1) as f64;
    let width = 0.8 / k;
    for (i, series) in figure.series.iter().enumerate() {
        let c = colour(i);
        let bars = series.points.iter().map(|p| {
            let left = p.x - 0.4 + width * i as f64;
            let (a, b) = ((left, base), (left + width * 0.92, onto(p.y, log_y)));
            match horizontal {
                true => Rectangle::new([(a.1, a.0), (b.1, b.0)], c.filled()),
                false => Rectangle::new([a, b], c.filled()),
            }
        });
        ctx.draw_series(bars).map_err(err)?;
        if !horizontal {
            // The whisker and the best tick at the bar's middle.
            for p in &series.points {
                let x = p.x - 0.4 + width * (i as f64 + 0.46);
                draw_whisker(ctx, p, x, log_y, BLACK.mix(0.75).stroke_width(1), 3)?;
                draw_best_tick(ctx, p, x, log_y, RGBColor(40, 40, 40), 5)?;
            }
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    figure: &Figure,
    area: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let style = (FONT, 14).into_font();
    let top = 60;
    let keys = if figure.series.len() > 1 {
        &figure.series[..]
    } else {
        &[]
    };
    for (i, series) in keys.iter().enumerate() {
        let y = top + i as i32 * 24;
        let c = colour(i);
        // A line chart's series keys are lines with a dot, as they are drawn.
        match figure.chart.kind {
            ChartKind::Line => {
                area.draw(&PathElement::new(
                    vec![(4, y + 7), (24, y + 7)],
                    c.stroke_width(2),
                ))
                .map_err(err)?;
                area.draw(&Circle::new((14, y + 7), 4, c.filled()))
                    .map_err(err)?;
            }
            _ => area
                .draw(&Rectangle::new([(6, y), (22, y + 14)], c.filled()))
                .map_err(err)?,
        }
        let name: String = series.name.chars().take(22).collect();
        area.draw(&Text::new(name, (28, y), style.clone()))
            .map_err(err)?;
    }
    let whiskers = figure
        .series
        .iter()
        .flat_map(|s| &s.points)
        .any(|p| p.whisker.is_some() || p.best.is_some());
    if let Some(lines) = figure.whisker.filter(|_| whiskers) {
        let y = top + keys.len() as i32 * 24 + 10;
        let note = (FONT, 12).into_font().color(&RGBColor(90, 90, 90));
        for (i, line) in lines.iter().enumerate() {
            area.draw(&Text::new(*line, (6, y + 16 * i as i32), note.clone()))
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hardening item 17: an integer axis has no fractional ticks.
    #[test]
    fn every_axis_range_is_finite_and_wide() {
        let ok = |(lo, hi): (f64, f64)| lo.is_finite() && hi.is_finite() && (hi - lo) > 0.0;
        let ends = [
            0.0,
            1.0,
            -1.0,
            1e-300,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for lo in ends {
            for hi in ends {
                let range = axis(lo, hi);
                assert!(ok(range), "{lo}..{hi} gave {range:?}");
                assert!((range.1 - range.0).is_finite());
            }
        }
        assert_eq!(axis(0.5, 2.0), (0.5, 2.0), "a good range is kept");
        let (lo, hi) = span([1.0, f64::INFINITY, 3.0].into_iter(), false);
        assert!(
            lo.is_finite() && hi < 4.0,
            "an infinite value does not stretch it"
        );
    }

    /// Issue 20 item 6: a chart of any values is drawn, in bounded time
    /// (before the guard, an infinite end made plotters spin forever; the
    /// drawing runs on its own thread so that a regression fails, not hangs).
    #[test]
    fn a_chart_of_infinite_and_huge_values_is_drawn() {
        use plotters::prelude::*;
        register_font().unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for (lo, hi) in [
                (1.0, f64::INFINITY),
                (f64::NEG_INFINITY, 0.0),
                (f64::NAN, 1.0),
                (-1e308, 1e308),
                (1e-300, 1e300),
                (3.0, 3.0),
            ] {
                let (lo, hi) = axis(lo, hi);
                let (w, h) = (200u32, 100u32);
                let mut rgb = vec![255u8; (w * h * 3) as usize];
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                let mut chart = ChartBuilder::on(&root)
                    .x_label_area_size(20)
                    .build_cartesian_2d(lo..hi, 0.0..1.0)
                    .map_err(err)?;
                chart
                    .configure_mesh()
                    .label_style((FONT, 10))
                    .draw()
                    .map_err(err)?;
            }
            done.send(()).map_err(err)
        });
        finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("every chart drawn within a minute");
    }

    #[test]
    fn integer_positions() {
        assert!(at_integer(2.0, false) && !at_integer(2.2, false));
        assert!(at_integer(2f64.log10(), true) && !at_integer(0.35, true));
        assert_eq!(tick(1000.0, false, 3.0, false), "1,000");
    }
}
