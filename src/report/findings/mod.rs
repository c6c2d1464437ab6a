//! Findings in plain sentences, computed from the data a chart shows: never
//! written by hand, so a re-run with other numbers says other things.

mod drift;
mod look;
mod ranked;
mod ratio;
mod run;
mod tables;
mod time;
mod words;

use super::figure::Figure;
use crate::experiment::ParamName;

pub use drift::{drift_finding, drifted};
pub(crate) use ranked::compare;
pub use run::{NOISY_PERCENT, run_findings};

/// What a chart shows, in a few sentences: chosen by the values it plots,
/// not by how it draws them, so a speedup drawn as bars is described as a
/// speedup (hardening item 10).
pub fn chart_findings(figure: &Figure) -> Vec<String> {
    match figure.chart.y.as_str() {
        "count" => tables::histogram_findings(figure),
        "seconds" if figure.series.iter().any(|s| s.name.ends_with("primes")) => {
            tables::scatter_findings(figure)
        }
        _ if figure.y_is_seconds && compares_within_categories(figure) => {
            time::per_category_findings(figure)
        }
        _ if figure.y_is_seconds => time::time_findings(figure),
        _ => ratio::ratio_findings(figure),
    }
}

/// Whether x names different work (numbers, ranges): then the series are
/// compared within each category, never one category against another.
fn compares_within_categories(figure: &Figure) -> bool {
    let x = figure.chart.x.as_str();
    let range = ParamName::from_key(x) == Some(ParamName::Range);
    figure.series.len() > 1 && (x == "number" || range)
}
