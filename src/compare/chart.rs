//! The comparison's chart (compare.png): one row per compared case, its
//! ratio AFTER/BEFORE as a dot with the 95% interval as a whisker, and a
//! line at 1 (no change). Drawn as the reports' charts are: plotters'
//! bitmap backend, the bundled font, the same bytes for the same data.

use plotters::prelude::*;

use super::{Outcome, Report};
use crate::report::draw::{FONT, axis, encode, err, register_font};
use crate::stats::Verdict;

/// The chart's width in pixels.
pub const WIDTH: u32 = 960;

/// The chart's height: room for every compared case.
pub fn height(cases: usize) -> u32 {
    (140 + 28 * cases as u32).clamp(240, 4000)
}

/// The longest case label drawn, in characters (the table has them whole).
const LABEL_CHARS: usize = 38;

/// The compared cases' ratios as PNG bytes; `None` when nothing was compared.
/// A compared ratio is finite (a time that is not measurable is never
/// compared), and the axis passes through [`axis`] all the same.
pub fn png(report: &Report) -> anyhow::Result<Option<Vec<u8>>> {
    let cases: Vec<(String, f64, (f64, f64), Verdict)> = report
        .matched
        .iter()
        .filter_map(|m| match &m.outcome {
            Outcome::Compared(c) => {
                let whisker = c.interval.map_or((c.ratio, c.ratio), |i| (i.lo, i.hi));
                Some((short(&m.label), c.ratio, whisker, c.verdict))
            }
            Outcome::NotCompared(_) => None,
        })
        .collect();
    if cases.is_empty() {
        return Ok(None);
    }
    register_font()?;
    let (w, h) = (WIDTH, height(cases.len()));
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (lo, hi) = cases
            .iter()
            .fold((1.0f64, 1.0f64), |(lo, hi), (_, r, (l, h), _)| {
                (lo.min(*l).min(*r), hi.max(*h).max(*r))
            });
        let pad = ((hi - lo) * 0.08).max(0.02);
        let (lo, hi) = axis(lo - pad, hi + pad);
        let n = cases.len();
        let mut chart = ChartBuilder::on(&root)
            .caption("Median time, AFTER over BEFORE (95% interval)", (FONT, 20))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(300)
            .build_cartesian_2d(lo..hi, -0.6..(n as f64 - 0.4))
            .map_err(err)?;
        let names: Vec<String> = cases.iter().map(|c| c.0.clone()).collect();
        // The first case at the top, as in the table.
        let label = move |y: &f64| {
            let i = y.round();
            match (y - i).abs() < 1e-6 && i >= 0.0 {
                true => names
                    .get(n.saturating_sub(1 + i as usize))
                    .cloned()
                    .unwrap_or_default(),
                false => String::new(),
            }
        };
        chart
            .configure_mesh()
            .x_desc("AFTER / BEFORE (below 1: faster, above 1: slower)")
            .x_label_formatter(&|x| format!("{x:.2}"))
            .y_labels(n + 1)
            .y_label_formatter(&label)
            .disable_y_mesh()
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(err)?;
        let top = n as f64 - 0.4;
        chart
            .draw_series([PathElement::new(
                vec![(1.0, -0.6), (1.0, top)],
                BLACK.mix(0.7).stroke_width(1),
            )])
            .map_err(err)?;
        for (i, (_, ratio, (l, h), verdict)) in cases.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let c = colour(*verdict);
            chart
                .draw_series([PathElement::new(
                    vec![(*l, y), (*h, y)],
                    c.mix(0.7).stroke_width(3),
                )])
                .map_err(err)?;
            chart
                .draw_series([Circle::new((*ratio, y), 5, c.filled())])
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    encode(&rgb, w, h).map(Some)
}

/// Red for slower, green for faster, grey for indistinguishable.
fn colour(verdict: Verdict) -> RGBColor {
    match verdict {
        Verdict::Slower => RGBColor(214, 39, 40),
        Verdict::Faster => RGBColor(44, 160, 44),
        Verdict::Indistinguishable => RGBColor(127, 127, 127),
    }
}

fn short(label: &str) -> String {
    match label.chars().count() > LABEL_CHARS {
        true => label.chars().take(LABEL_CHARS - 1).collect::<String>() + "…",
        false => label.to_string(),
    }
}
