//! Findings in plain sentences, computed from the data a chart shows: never
//! written by hand, so a re-run with other numbers says other things.

use super::data::{Row, RunData, number, value};
use super::figure::{Figure, Point, Series, axis_label};
use crate::experiment::WorkloadKind;
use crate::progress::human_seconds;

/// What a chart shows, in a few sentences: chosen by the values it plots,
/// not by how it draws them, so a speedup drawn as bars is described as a
/// speedup (hardening item 10).
pub fn chart_findings(figure: &Figure) -> Vec<String> {
    match figure.chart.y.as_str() {
        "count" => histogram_findings(figure),
        "seconds" if figure.series.iter().any(|s| s.name.ends_with("primes")) => {
            scatter_findings(figure)
        }
        _ if figure.y_is_seconds && compares_within_categories(figure) => {
            per_category_findings(figure)
        }
        _ if figure.y_is_seconds => time_findings(figure),
        _ => ratio_findings(figure),
    }
}

/// Whether x names different work (numbers, ranges): then the series are
/// compared within each category, never one category against another.
fn compares_within_categories(figure: &Figure) -> bool {
    figure.series.len() > 1 && matches!(figure.chart.x.as_str(), "number" | "range")
}

/// For each category, the fastest series and how the others compare.
fn per_category_findings(figure: &Figure) -> Vec<String> {
    let names = figure.categories.clone().unwrap_or_default();
    names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let mut here: Vec<(&str, f64)> = points(figure)
                .filter(|(_, p)| p.x as usize == i)
                .map(|(s, p)| (s, p.y))
                .collect();
            here.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (best, fast) = *here.first()?;
            let (worst, slow) = *here.last()?;
            Some(match here.len() {
                1 => format!("{name}: {best} {}.", human_seconds(fast)),
                _ => format!(
                    "{name}: fastest {best} ({}); {worst} is {}.",
                    human_seconds(fast),
                    slower(slow, fast)
                ),
            })
        })
        .collect()
}

/// "chunksize 64", "range C", "prime 1 (mmap redux)".
fn describe(figure: &Figure, series: &str, p: &Point) -> String {
    let x = match &figure.categories {
        Some(names) => names.get(p.x as usize).cloned().unwrap_or_default(),
        None => format!("{} {}", short(&figure.chart.x), trim(p.x)),
    };
    let x = if p.is_default {
        format!("{x} (the default)")
    } else {
        x
    };
    match figure.series.len() > 1 && !series.is_empty() {
        true => format!("{x}, {series}"),
        false => x,
    }
}

fn short(name: &str) -> String {
    name.replace('_', " ")
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn points(figure: &Figure) -> impl Iterator<Item = (&str, &Point)> {
    figure
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s.name.as_str(), p)))
}

/// How much slower `slow` is than `fast`, in words.
fn slower(slow: f64, fast: f64) -> String {
    let ratio = slow / fast;
    match ratio {
        r if r < 1.02 => format!(
            "within {:.0}% of it",
            ((r - 1.0) * 100.0).max(0.0).ceil().max(1.0)
        ),
        r if r < 1.5 => format!("{:.0}% slower", (r - 1.0) * 100.0),
        r => format!("{r:.1}x slower"),
    }
}

fn time_findings(figure: &Figure) -> Vec<String> {
    let all: Vec<_> = points(figure).collect();
    let Some(&(fs, fastest)) = all.iter().min_by(|a, b| a.1.y.total_cmp(&b.1.y)) else {
        // Say which: a filter that keeps nothing is not a failed run.
        return vec![match figure.chart.filter.is_empty() {
            true => {
                "No case of this chart finished correctly, so there is nothing to compare.".into()
            }
            false => {
                "No correct case passes this chart's filter, so there is nothing to compare.".into()
            }
        }];
    };
    let mut out = vec![format!(
        "Fastest: {}, {}.",
        describe(figure, fs, fastest),
        human_seconds(fastest.y)
    )];
    if let Some((ds, default)) = all
        .iter()
        .find(|(_, p)| p.is_default && !std::ptr::eq(*p, fastest))
    {
        out.push(format!(
            "The default chunksize ({}{}) is {}.",
            trim(default.x),
            if figure.series.len() > 1 {
                format!(", {ds}")
            } else {
                String::new()
            },
            slower(default.y, fastest.y)
        ));
    }
    if let Some(&(ss, slowest)) = all.iter().max_by(|a, b| a.1.y.total_cmp(&b.1.y))
        && all.len() > 1
    {
        out.push(format!(
            "Slowest: {}, {}.",
            describe(figure, ss, slowest),
            slower(slowest.y, fastest.y)
        ));
    }
    if figure.series.len() > 1 {
        let wins: Vec<String> = figure
            .series
            .iter()
            .filter_map(|s| {
                let best = s.points.iter().min_by(|a, b| a.y.total_cmp(&b.y))?;
                Some(format!("{} {}", s.name, human_seconds(best.y)))
            })
            .collect();
        out.push(format!("Best of each: {}.", wins.join(", ")));
    }
    out
}

fn ratio_findings(figure: &Figure) -> Vec<String> {
    let what = axis_label(&figure.chart.y);
    let best = points(figure).max_by(|a, b| a.1.y.total_cmp(&b.1.y));
    match best {
        Some((s, p)) => vec![format!(
            "Highest {what}: {}, {:.2}.",
            describe(figure, s, p),
            p.y
        )],
        None => vec![],
    }
}

/// The median of unsorted values, if there are any.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    (!values.is_empty()).then(|| crate::record::median(&values))
}

fn scatter_findings(figure: &Figure) -> Vec<String> {
    let of = |name: &str| {
        median(
            figure
                .series
                .iter()
                .filter(|s| s.name == name)
                .flat_map(|s| s.points.iter().map(|p| p.y))
                .collect(),
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
fn histogram_findings(figure: &Figure) -> Vec<String> {
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

fn histogram_sentence(figure: &Figure, series: &Series) -> Option<String> {
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

/// Findings about the run as a whole, from the summary.
pub fn run_findings(run: &RunData) -> Vec<String> {
    let rows = &run.summary;
    let mut out = Vec::new();
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| value(r, "status") == "failed")
        .collect();
    let skipped: Vec<&Row> = rows
        .iter()
        .filter(|r| value(r, "status") == "skipped")
        .collect();
    if !failed.is_empty() {
        out.push(format!(
            "{} of {} cases FAILED; their rows below say why.",
            failed.len(),
            rows.len()
        ));
    }
    if let Some(first) = skipped.first() {
        out.push(format!(
            "{} cases were not run: {}",
            skipped.len(),
            value(first, "error")
        ));
    }
    let look_costs = per_flag(rows, "look_ns");
    if !look_costs.is_empty() {
        out.push(format!(
            "One look at the flag, on the primes (where it saves nothing), costs about: {}.",
            look_costs.join(", ")
        ));
    }
    let items: Vec<f64> = rows.iter().filter_map(|r| number(r, "item_ns")).collect();
    if let (Some(lo), Some(hi)) = (
        items.iter().copied().reduce(f64::min),
        items.iter().copied().reduce(f64::max),
    ) {
        out.push(format!(
            "Handing one number to a queue costs {lo:.0} to {hi:.0} ns of core time beyond the serial loop's work, depending on workers and what is enqueued."
        ));
    }
    // Efficiency compares equal work; an early exit changes the work.
    let same_work = matches!(
        run.experiment.workload,
        WorkloadKind::Primes | WorkloadKind::FactorFrequency
    );
    let efficiencies: Vec<(f64, &Row)> = rows
        .iter()
        .filter(|r| same_work && value(r, "workers") != "1")
        .filter_map(|r| Some((number(r, "efficiency")?, r)))
        .collect();
    if let Some((e, r)) = efficiencies.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        out.push(format!(
            "Best parallel efficiency with more than one worker: {:.2} ({} with {} workers).",
            e,
            value(r, "strategy"),
            value(r, "workers"),
        ));
    }
    out
}

/// The median of a per-look column for each flag kind, e.g. "atomic 5 ns".
fn per_flag(rows: &[Row], column: &str) -> Vec<String> {
    let mut flags: Vec<String> = rows
        .iter()
        .map(|r| value(r, "flag"))
        .filter(|f| !f.is_empty())
        .collect();
    flags.dedup();
    let mut seen = Vec::new();
    for flag in flags {
        if seen.iter().any(|(f, _): &(String, String)| *f == flag) {
            continue;
        }
        let costs = rows
            .iter()
            .filter(|r| value(r, "flag") == flag)
            .filter_map(|r| number(r, column))
            .collect();
        if let Some(m) = median(costs) {
            seen.push((flag.clone(), format!("{flag} {}", human_seconds(m * 1e-9))));
        }
    }
    seen.into_iter().map(|(_, s)| s).collect()
}
