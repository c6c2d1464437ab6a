//! The records a run leaves: one row per repeat (`results.csv`) and one per
//! case (`summary.csv`), in a fixed column order so a report can be drawn
//! from the CSV alone.

use crate::engine::CaseResult;
use crate::experiment::{Case, Chunking, Strategy};

/// The columns that describe a case, first in both files.
pub const CASE_COLUMNS: [&str; 14] = [
    "experiment",
    "case",
    "variant",
    "strategy",
    "kernel",
    "workers",
    "chunksize",
    "chunk_rule",
    "nbr_chunks",
    "tasks",
    "order",
    "seed",
    "range_start",
    "range_end",
];

/// The columns of `results.csv` after the case's.
pub const RESULT_COLUMNS: [&str; 6] = ["repeat", "seconds", "answer", "checksum", "ok", "error"];

/// The columns of `summary.csv` after the case's.
pub const SUMMARY_COLUMNS: [&str; 13] = [
    "repeats",
    "best_s",
    "median_s",
    "mean_s",
    "stddev_s",
    "max_s",
    "speedup",
    "efficiency",
    "baseline_case",
    "answer",
    "checksum",
    "ok",
    "error",
];

/// Seconds with nanosecond resolution, the clock's own.
pub fn seconds_cell(s: f64) -> String {
    format!("{s:.9}")
}

fn ratio_cell(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The case's cells, in [`CASE_COLUMNS`] order.
pub fn case_cells(experiment: &str, case: &Case) -> Vec<String> {
    let nbr_chunks = case.chunks.and_then(|c| match c.rule {
        Chunking::NbrChunks(k) => Some(k),
        _ => None,
    });
    let rule = case
        .chunks
        .map(|c| serde_json::to_value(c.rule).expect("a string"));
    vec![
        experiment.to_string(),
        case.number.to_string(),
        case.variant.clone(),
        case.strategy.to_string(),
        case.kernel.to_string(),
        case.workers.to_string(),
        opt(case.chunks.map(|c| c.size)),
        opt(rule.as_ref().and_then(|r| r.as_str())),
        opt(nbr_chunks),
        opt(case.chunks.map(|c| c.tasks(case.range.len()))),
        case.order.to_string(),
        opt(case.seed),
        case.range.start.to_string(),
        case.range.end.to_string(),
    ]
}

/// The rows of `results.csv` for one case: each timed repeat, then the
/// failure (with no time) if there was one.
pub fn result_rows(experiment: &str, result: &CaseResult) -> Vec<Vec<String>> {
    let case = case_cells(experiment, &result.case);
    let (count, checksum) = match result.answer {
        Some(a) => (a.count.to_string(), format!("{:016x}", a.checksum)),
        None => Default::default(),
    };
    let mut rows: Vec<Vec<String>> = result
        .seconds
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let tail = [
                (i + 1).to_string(),
                seconds_cell(s),
                count.clone(),
                checksum.clone(),
            ];
            [&case[..], &tail, &["true".into(), String::new()]].concat()
        })
        .collect();
    if let Some(failure) = &result.failure {
        let tail = [
            failure.repeat.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        rows.push([&case[..], &tail, &["false".into(), failure.message.clone()]].concat());
    }
    rows
}

/// Statistics of one case's timed repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub best: f64,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation (0 for one repeat).
    pub stddev: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics of `seconds`, or `None` if there are none.
    pub fn of(seconds: &[f64]) -> Option<Stats> {
        if seconds.is_empty() {
            return None;
        }
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let median = match n % 2 {
            1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        let var = match n {
            1 => 0.0,
            _ => sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64,
        };
        Some(Stats {
            best: sorted[0],
            median,
            mean,
            stddev: var.sqrt(),
            max: sorted[n - 1],
        })
    }
}

/// The case each case's speedup is measured against: a serial case on the
/// same range (the same kernel if there is one), else the first case on it.
pub fn baseline<'a>(result: &CaseResult, all: &'a [CaseResult]) -> Option<&'a CaseResult> {
    let case = &result.case;
    let same_range = || all.iter().filter(|r| r.ok() && r.case.range == case.range);
    let serial = |r: &&CaseResult| r.case.strategy == Strategy::Serial;
    same_range()
        .filter(serial)
        .find(|r| r.case.kernel == case.kernel)
        .or_else(|| same_range().find(serial))
        .or_else(|| same_range().next())
}

/// The row of `summary.csv` for `result`, given every result of the run.
pub fn summary_row(experiment: &str, result: &CaseResult, all: &[CaseResult]) -> Vec<String> {
    let stats = Stats::of(&result.seconds);
    let base = baseline(result, all);
    let base_best = base.and_then(|b| Stats::of(&b.seconds)).map(|s| s.best);
    let speedup = match (stats, base_best, result.ok()) {
        (Some(s), Some(b), true) => Some(b / s.best),
        _ => None,
    };
    // Efficiency (speedup per worker) only means something against one core.
    let parallel = result.case.strategy != Strategy::Serial;
    let serial_base = base.is_some_and(|b| b.case.strategy == Strategy::Serial);
    let efficiency = speedup
        .filter(|_| parallel && serial_base)
        .map(|s| s / result.case.workers as f64);
    let stat = |f: fn(&Stats) -> f64| stats.filter(|_| result.ok()).map(|s| seconds_cell(f(&s)));
    let tail = vec![
        result.seconds.len().to_string(),
        opt(stat(|s| s.best)),
        opt(stat(|s| s.median)),
        opt(stat(|s| s.mean)),
        opt(stat(|s| s.stddev)),
        opt(stat(|s| s.max)),
        ratio_cell(speedup),
        ratio_cell(efficiency),
        opt(base.map(|b| b.case.number)),
        opt(result.answer.map(|a| a.count)),
        opt(result.answer.map(|a| format!("{:016x}", a.checksum))),
        result.ok().to_string(),
        result
            .failure
            .as_ref()
            .map(|f| f.message.clone())
            .unwrap_or_default(),
    ];
    [case_cells(experiment, &result.case), tail].concat()
}

/// Renders a CSV file from a header and rows.
pub fn to_csv(header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row)?;
    }
    Ok(writer.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_repeats() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.best, s.median, s.mean, s.max), (1.0, 2.5, 2.5, 4.0));
        assert!((s.stddev - 1.290_994_448_7).abs() < 1e-9);
        assert_eq!(Stats::of(&[2.0]).unwrap().stddev, 0.0);
        assert!(Stats::of(&[]).is_none());
    }
}
