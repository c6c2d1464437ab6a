//! Sentences about a chart of ratios (speedup, efficiency): the highest,
//! and those whose intervals overlap it.

use super::words::{and_list, describe, points};
use crate::report::figure::{Figure, Point, axis_label};

/// The highest ratio, and those whose intervals overlap it.
pub(super) fn ratio_findings(figure: &Figure) -> Vec<String> {
    let what = axis_label(&figure.chart.y);
    let mut all: Vec<(&str, &Point)> = points(figure).collect();
    all.sort_by(|a, b| b.1.y.total_cmp(&a.1.y));
    let Some(&(s, p)) = all.first() else {
        return vec![];
    };
    let interval = |p: &Point| {
        p.whisker
            .map(|(lo, hi)| format!(" (95% interval {lo:.2} to {hi:.2})"))
            .unwrap_or_default()
    };
    let mut sentence = format!(
        "Highest {what}: {}, {:.2}{}",
        describe(figure, s, p),
        p.y,
        interval(p)
    );
    // Two 95% intervals that overlap do not separate the two values.
    let overlaps = |q: &Point| match (p.whisker, q.whisker) {
        (Some((lo, _)), Some((_, hi))) => hi >= lo,
        _ => true,
    };
    let tied: Vec<String> = all[1..]
        .iter()
        .filter(|(_, q)| overlaps(q))
        .map(|(s, q)| format!("{} ({:.2})", describe(figure, s, q), q.y))
        .collect();
    if !tied.is_empty() {
        sentence.push_str(&format!(
            "; indistinguishable from it (their intervals overlap): {}",
            and_list(&tied)
        ));
    }
    sentence.push('.');
    vec![sentence]
}
