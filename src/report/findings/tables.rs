//! Sentences about a chart of a workload's table: the cost of one check
//! (samples.csv) and the smallest factors' histogram (factors.csv).

use crate::report::figure::{Figure, Series};
use crate::stats;
use crate::units::human_seconds;

/// The median cost of checking a prime against a non-prime.
pub(super) fn scatter_findings(figure: &Figure) -> Vec<String> {
    let of = |name: &str| {
        stats::median(
            &figure
                .series
                .iter()
                .filter(|s| s.name == name)
                .flat_map(|s| s.points.iter().map(|p| p.y))
                .collect::<Vec<_>>(),
        )
    };
    match (of("primes"), of("non-primes")) {
        (Some(p), Some(q)) => vec![format!(
            "Median cost of one check: {} for a prime, {} for a non-prime ({:.0}x less), because most non-primes stop at a small divisor.",
            human_seconds(p),
            human_seconds(q),
            p / q.max(1e-12)
        )],
        _ => vec![],
    }
}

/// One sentence per histogram (one per range or series), never a sum of them.
pub(super) fn histogram_findings(figure: &Figure) -> Vec<String> {
    let several = figure.series.len() > 1;
    figure
        .series
        .iter()
        .filter_map(|s| {
            let sentence = histogram_sentence(figure, s)?;
            Some(match several {
                true => format!("{}: {sentence}", s.name),
                false => sentence,
            })
        })
        .collect()
}

/// How many distinct smallest factors one histogram has, the most common
/// three with their shares, and the largest.
pub(super) fn histogram_sentence(figure: &Figure, series: &Series) -> Option<String> {
    let names = figure.categories.clone().unwrap_or_default();
    let counts: Vec<(String, f64)> = series
        .points
        .iter()
        .map(|p| (names.get(p.x as usize).cloned().unwrap_or_default(), p.y))
        .collect();
    let total: f64 = counts.iter().map(|c| c.1).sum();
    if total == 0.0 {
        return None;
    }
    let mut sorted = counts.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let share = |c: &(String, f64)| format!("{} for {:.1}%", c.0, 100.0 * c.1 / total);
    let top: Vec<String> = sorted.iter().take(3).map(share).collect();
    let largest = counts
        .iter()
        .filter_map(|c| c.0.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Some(format!(
        "{} distinct smallest factors among {} non-primes; the most common account {}; the largest smallest factor is {largest}.",
        counts.len(),
        total as u64,
        top.join(", ")
    ))
}
