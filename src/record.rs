//! The records a run leaves: one row per repeat (`results.csv`) and one per
//! case (`summary.csv`), in a fixed column order so a report can be drawn
//! from the CSV alone. Cells that do not apply to a case are empty.

use std::borrow::Cow;

use crate::experiment::{Case, Chunking, Enqueue, FlagKind, Input, Strategy};
use crate::machine::Cores;
use crate::outcome::{CaseResult, Failure, Run};
use crate::stats::{self, seed_for};

/// The columns that describe a case, first in both files.
pub const CASE_COLUMNS: [&str; 25] = [
    "experiment",
    "case",
    "variant",
    "strategy",
    "executor",
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
    "number_name",
    "number",
    "precheck",
    "flag",
    "loop",
    "check_every",
    "enqueue",
    "capacity",
    "queue_host",
    "step",
];

/// The columns of `results.csv` after the case's.
pub const RESULT_COLUMNS: [&str; 20] = [
    "repeat",
    "round",
    "position",
    "started_s",
    "seconds",
    "answer",
    "checksum",
    "factor",
    "candidates",
    "looks",
    "status",
    "ok",
    "error",
    "kernel_path",
    "user_s",
    "sys_s",
    "tasks_served",
    "compute_s",
    "dispatch_s",
    "idle_s",
];

/// The columns of `summary.csv` after the case's.
pub const SUMMARY_COLUMNS: [&str; 40] = [
    "repeats",
    "best_s",
    "median_s",
    "mean_s",
    "stddev_s",
    "max_s",
    "median_lo_s",
    "median_hi_s",
    "noise_pct",
    "speedup",
    "speedup_lo",
    "speedup_hi",
    "efficiency",
    "efficiency_lo",
    "efficiency_hi",
    "baseline_case",
    "candidates",
    "looks",
    "look_ns",
    "answer",
    "checksum",
    "factor",
    "status",
    "ok",
    "error",
    "item_ns",
    "note",
    "startup_s",
    "round_trip_us",
    "bytes_per_run",
    "frames_per_run",
    "redelivered",
    "bytes_back_per_run",
    "kernel_path",
    "user_s",
    "sys_s",
    "cpu_util",
    "compute_frac",
    "dispatch_frac",
    "idle_frac",
];

/// How this CPU runs the case's kernel (`KernelSpec::path`): the last
/// column of both CSV files, not a parameter (it is the machine's answer).
fn kernel_path(case: &Case) -> String {
    crate::work::KernelSpec::new(case.kernel, 0).path()
}

/// Seconds with nanosecond resolution, the clock's own (see [`number_cell`]).
pub fn seconds_cell(s: f64) -> String {
    number_cell(s, 9)
}

/// A number as every file writes it, so that it reads back as one: fixed
/// `decimals`; beyond 1e15, where fixed digits would run to hundreds and
/// say nothing, in exponent form ("1e300"); -0 as 0; and nothing at all
/// for infinity or NaN, which no file holds (issue 20 item 7).
pub fn number_cell(v: f64, decimals: usize) -> String {
    match v {
        v if !v.is_finite() => String::new(),
        v if v.abs() >= 1e15 => format!("{v:e}"),
        // -0 would read back, but as a time it says nothing a 0 does not.
        0.0 => format!("{:.decimals$}", 0.0),
        v => format!("{v:.decimals$}"),
    }
}

fn ratio_cell(r: Option<f64>) -> String {
    r.map(|r| number_cell(r, 4)).unwrap_or_default()
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
    let range = case.range();
    let number = match &case.input {
        Input::Number(n) => Some(n),
        _ => None,
    };
    let shared = case.cooperation;
    vec![
        experiment.to_string(),
        case.number.to_string(),
        case.variant.clone(),
        case.strategy.to_string(),
        opt(case.executor),
        case.kernel.to_string(),
        case.workers.to_string(),
        opt(case.chunks.map(|c| c.size)),
        opt(rule.as_ref().and_then(|r| r.as_str())),
        opt(nbr_chunks),
        opt(case.chunks.zip(range).map(|(c, r)| c.tasks(r.len()))),
        opt(case.order),
        opt(case.seed),
        opt(range.map(|r| r.start)),
        opt(range.map(|r| r.end)),
        opt(number.map(|n| n.name.clone())),
        opt(number.map(|n| n.value)),
        opt(shared.map(|c| c.precheck)),
        opt(shared.map(|c| c.flag)),
        opt(shared.and_then(|c| c.loop_style)),
        opt(shared.and_then(|c| c.check_every)),
        opt(case.queue.map(|q| q.enqueue)),
        opt(case.queue.map(|q| q.capacity)),
        opt(case.queue.and_then(|q| q.host)),
        opt(match case.input {
            Input::Stepped { step, .. } => Some(step),
            _ => None,
        }),
    ]
}

/// The cells of the user's parameters `names` (command workloads), which
/// follow every other column of both files.
pub fn param_cells(names: &[String], case: &Case) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            case.params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// The answer's cells: value, checksum, factor.
fn answer_cells(result: &CaseResult) -> [String; 3] {
    match result.answer {
        Some(a) => [a.value(), opt(a.checksum()), opt(a.factor())],
        None => Default::default(),
    }
}

/// `result` as the files record it: a timed repeat whose time is not a
/// duration (infinite, NaN or negative) has no cell a reader could take
/// back, so it ends the case as a failure at that repeat, and the repeats
/// before it stand. No clock or parser of runner gives such a time; this
/// keeps the files readable whatever a `CaseResult` holds.
pub fn as_recorded(result: &CaseResult) -> Cow<'_, CaseResult> {
    let Some(bad) = result
        .runs
        .iter()
        .position(|r| !(r.seconds.is_finite() && r.seconds >= 0.0))
    else {
        return Cow::Borrowed(result);
    };
    let mut recorded = result.clone();
    let seconds = recorded.runs[bad].seconds;
    recorded.runs.truncate(bad);
    if recorded.failure.is_none() {
        recorded.failure = Some(Failure {
            repeat: (bad + 1) as u32,
            message: format!(
                "timed repeat {} gave {}, which is not a duration",
                bad + 1,
                match seconds {
                    s if s.is_nan() => "a time that is not a number",
                    s if s.is_infinite() => "an infinite time",
                    _ => "a negative time",
                }
            ),
        });
    }
    Cow::Owned(recorded)
}

/// The rows of `results.csv` for one case: each timed repeat, then the
/// failure (with no time) or the reason it was skipped, if any.
pub fn result_rows(experiment: &str, result: &CaseResult) -> Vec<Vec<String>> {
    let result = &*as_recorded(result);
    let case = case_cells(experiment, &result.case);
    let answer = answer_cells(result);
    let row = |tail: Vec<String>| [&case[..], &tail].concat();
    let mut rows: Vec<Vec<String>> = result
        .runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let mut tail = vec![
                (i + 1).to_string(),
                run.round.to_string(),
                run.position.to_string(),
                seconds_cell(run.started_s),
                seconds_cell(run.seconds),
            ];
            tail.extend(answer.iter().cloned());
            tail.extend([
                opt(run.work.map(|w| w.candidates)),
                opt(run.work.map(|w| w.looks)),
            ]);
            tail.extend(["ok".into(), "true".into(), String::new()]);
            tail.push(kernel_path(&result.case));
            tail.extend(trace_cells(result.traces.get(i)));
            row(tail)
        })
        .collect();
    let status = result.status().as_str().to_string();
    let end = match (&result.failure, &result.skipped) {
        (Some(f), _) => Some((f.repeat.to_string(), f.message.clone())),
        (None, Some(why)) => Some((String::new(), why.clone())),
        (None, None) => None,
    };
    if let Some((repeat, message)) = end {
        let mut tail = vec![repeat];
        tail.resize(10, String::new());
        tail.extend([status, "false".into(), message]);
        tail.push(kernel_path(&result.case));
        tail.extend(trace_cells(None));
        rows.push(row(tail));
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
        let var = match n {
            1 => 0.0,
            _ => sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64,
        };
        Some(Stats {
            best: sorted[0],
            median: stats::median_of_sorted(&sorted),
            mean,
            stddev: var.sqrt(),
            max: sorted[n - 1],
        })
    }
}

/// The median of a work count over the runs that counted it.
fn median_work(runs: &[Run], count: impl Fn(&Run) -> Option<u64>) -> Option<u64> {
    let counts: Vec<f64> = runs
        .iter()
        .filter_map(|r| count(r).map(|c| c as f64))
        .collect();
    stats::median(&counts).map(|m| m.round() as u64)
}

/// The case each case's speedup is measured against: a serial case on the
/// same input (the same kernel if there is one), else the first case on it.
pub fn baseline<'a>(result: &CaseResult, all: &'a [CaseResult]) -> Option<&'a CaseResult> {
    let case = &result.case;
    let same_input = || all.iter().filter(|r| r.ok() && r.case.input == case.input);
    let serial = |r: &&CaseResult| r.case.strategy == Strategy::Serial;
    same_input()
        .filter(serial)
        .find(|r| r.case.kernel == case.kernel)
        .or_else(|| same_input().find(serial))
        .or_else(|| same_input().next())
}

/// What one look at a shared flag cost one worker, in ns: the median time
/// over the same search with no flag, per look of one worker. The workers
/// look in parallel, each `looks / workers` times, so the time they lose
/// together is one worker's looks times the cost of one. Only for primes,
/// where the flag saves nothing. In the counter loop the figure includes the
/// loop's own bookkeeping; the blocked loop's is the look alone (the report
/// says which it quotes).
fn look_ns(
    result: &CaseResult,
    all: &[CaseResult],
    median: f64,
    looks: Option<u64>,
) -> Option<f64> {
    let plan = result.case.cooperation?;
    let looks = looks.filter(|&l| l > 0)?;
    let prime = matches!(
        result.answer,
        Some(crate::answer::Answer::Verdict { prime: true, .. })
    );
    let unshared = all.iter().find(|r| {
        let c = &r.case;
        r.ok()
            && c.input == result.case.input
            && c.kernel == result.case.kernel
            && c.workers == result.case.workers
            && c.executor == result.case.executor
            && c.cooperation
                .is_some_and(|p| p.flag == FlagKind::None && p.precheck == plan.precheck)
    })?;
    let base = Stats::of(&unshared.seconds())?.median;
    // Only a search slower than the unshared one beyond the noise has a
    // look cost to speak of: below that, the difference is noise, and a
    // "negative cost" would be a sentence the data do not support.
    let seed = seed_for(0, result.case.number as u64, unshared.case.number as u64);
    let slower = stats::ratio_interval(&result.seconds(), &unshared.seconds(), seed)
        .and_then(|(_, interval)| interval)
        .is_some_and(|i| i.lo > 1.0);
    let per_worker = looks as f64 / result.case.workers.max(1) as f64;
    (prime && slower).then(|| (median - base) * 1e9 / per_worker)
}

/// What handing one item to a queue cost, in ns of core time: the cores the
/// workers occupy times the time, less the serial loop's time, per item
/// enqueued. Only for queue strategies.
fn item_ns(result: &CaseResult, best: f64, serial_best: Option<f64>, cores: &Cores) -> Option<f64> {
    let queue = result.case.queue?;
    let range = result.case.range()?;
    let items = match queue.enqueue {
        Enqueue::All => range.len(),
        Enqueue::Odd => range.odd_count(),
    };
    let busy = result.case.workers.min(cores.logical) as f64;
    Some((busy * best - serial_best?) * 1e9 / items.max(1) as f64)
}

/// The row of `summary.csv` for `result`, given every result of the run.
pub fn summary_row(
    experiment: &str,
    result: &CaseResult,
    all: &[CaseResult],
    cores: &Cores,
) -> Vec<String> {
    let result = &*as_recorded(result);
    let seconds = result.seconds();
    let stats = Stats::of(&seconds).filter(|_| result.ok());
    let number = result.case.number as u64;
    let median_interval =
        stats.and_then(|_| stats::median_interval(&seconds, seed_for(0, number, 0)));
    let noise = stats.and_then(|_| stats::noise_percent(&seconds, seed_for(0, number, 0)));
    let base = baseline(result, all);
    let base_best = base.and_then(|b| Stats::of(&b.seconds())).map(|s| s.best);
    // The speedup is the ratio of the medians, robust to a stray slow run,
    // with its bootstrap interval (see `crate::stats`).
    // A time below the clock's resolution gives no ratio (it would be
    // infinite): the speedup is undefined, and the note says why.
    let unmeasured = base.filter(|_| stats.is_some()).and_then(|b| {
        let own = stats::unmeasurable(&seconds).map(|why| format!("case {number} {why}"));
        let theirs = || {
            let why = stats::unmeasurable(&as_recorded(b).seconds())?;
            Some(format!("its baseline, case {}, {why}", b.case.number))
        };
        own.or_else(theirs)
    });
    let speedup = base
        .filter(|_| stats.is_some() && unmeasured.is_none())
        .and_then(|b| {
            if b.case.number == result.case.number {
                return Some((1.0, None)); // the baseline against itself
            }
            let seed = seed_for(0, number, b.case.number as u64);
            stats::ratio_interval(&as_recorded(b).seconds(), &seconds, seed)
        });
    // Efficiency (speedup per worker) only means something against one core.
    let parallel = result.case.strategy != Strategy::Serial;
    let serial_base = base.is_some_and(|b| b.case.strategy == Strategy::Serial);
    let per_worker = |x: f64| x / result.case.workers as f64;
    let efficiency = speedup.filter(|_| parallel && serial_base).map(|(s, i)| {
        (
            per_worker(s),
            i.map(|i| (per_worker(i.lo), per_worker(i.hi))),
        )
    });
    let bounds = |r: Option<(f64, Option<(f64, f64)>)>| {
        let i = r.and_then(|(_, i)| i);
        (ratio_cell(i.map(|i| i.0)), ratio_cell(i.map(|i| i.1)))
    };
    let (speedup_lo, speedup_hi) = bounds(speedup.map(|(s, i)| (s, i.map(|i| (i.lo, i.hi)))));
    let (efficiency_lo, efficiency_hi) = bounds(efficiency);
    let candidates = median_work(&result.runs, |r| r.work.map(|w| w.candidates));
    let looks = median_work(&result.runs, |r| r.work.map(|w| w.looks));
    let per_look = stats.and_then(|s| look_ns(result, all, s.median, looks));
    let stat = |f: fn(&Stats) -> f64| stats.map(|s| seconds_cell(f(&s)));
    let [answer, checksum, factor] = answer_cells(result);
    let message = match (&result.failure, &result.skipped) {
        (Some(f), _) => f.message.clone(),
        (None, Some(why)) => why.clone(),
        (None, None) => String::new(),
    };
    let tail = vec![
        result.runs.len().to_string(),
        opt(stat(|s| s.best)),
        opt(stat(|s| s.median)),
        opt(stat(|s| s.mean)),
        opt(stat(|s| s.stddev)),
        opt(stat(|s| s.max)),
        opt(median_interval.map(|i| seconds_cell(i.lo))),
        opt(median_interval.map(|i| seconds_cell(i.hi))),
        noise.map(|n| number_cell(n, 2)).unwrap_or_default(),
        ratio_cell(speedup.map(|s| s.0)),
        speedup_lo,
        speedup_hi,
        ratio_cell(efficiency.map(|e| e.0)),
        efficiency_lo,
        efficiency_hi,
        opt(base.map(|b| b.case.number)),
        opt(candidates),
        opt(looks),
        per_look.map(|ns| number_cell(ns, 1)).unwrap_or_default(),
        answer,
        checksum,
        factor,
        result.status().as_str().to_string(),
        result.ok().to_string(),
        message,
        stats
            .and_then(|s| item_ns(result, s.best, base_best, cores))
            .map(|ns| number_cell(ns, 1))
            .unwrap_or_default(),
        note(result.note.as_deref(), unmeasured.as_deref()),
        opt(result.costs.map(|c| seconds_cell(c.startup_s))),
        opt(result
            .costs
            .and_then(|c| c.round_trip_s)
            .map(|s| number_cell(s * 1e6, 2))),
        opt(result
            .costs
            .and_then(|c| c.bytes_per_run)
            .map(|b| number_cell(b, 0))),
        opt(result
            .costs
            .and_then(|c| c.frames_per_run)
            .map(|f| number_cell(f, 0))),
        opt(result.costs.and_then(|c| c.redelivered)),
        opt(result
            .costs
            .and_then(|c| c.bytes_back_per_run)
            .map(|b| number_cell(b, 0))),
        kernel_path(&result.case),
    ];
    let traced = |f: fn(&crate::trace::RepeatTrace) -> Option<f64>, decimals: usize| {
        let values: Vec<f64> = result.traces.iter().filter_map(f).collect();
        stats::median(&values)
            .filter(|_| result.ok())
            .map(|m| number_cell(m, decimals))
            .unwrap_or_default()
    };
    let fraction = |x: fn(&crate::trace::RepeatTrace) -> f64| {
        let values: Vec<f64> = result
            .traces
            .iter()
            .filter(|t| t.recorded)
            .filter_map(|t| t.fraction(x(t)))
            .collect();
        stats::median(&values)
            .filter(|_| result.ok())
            .map(|m| number_cell(m, 4))
            .unwrap_or_default()
    };
    let cpu = [
        traced(|t| t.user_s, 6),
        traced(|t| t.sys_s, 6),
        traced(|t| t.cpu_util(), 4),
        fraction(|t| t.compute_s),
        fraction(|t| t.dispatch_s),
        fraction(|t| t.idle_s),
    ];
    [case_cells(experiment, &result.case), tail, cpu.to_vec()].concat()
}

/// A repeat's CPU time and task aggregates, in [`RESULT_COLUMNS`] order
/// (empty where not measured; the task columns only where tasks were
/// recorded).
fn trace_cells(trace: Option<&crate::trace::RepeatTrace>) -> [String; 6] {
    let Some(t) = trace else {
        return Default::default();
    };
    let recorded = |v: f64| match t.recorded {
        true => seconds_cell(v),
        false => String::new(),
    };
    [
        opt(t.user_s.map(seconds_cell)),
        opt(t.sys_s.map(seconds_cell)),
        match t.recorded {
            true => t.tasks.to_string(),
            false => String::new(),
        },
        recorded(t.compute_s),
        recorded(t.dispatch_s),
        recorded(t.idle_s),
    ]
}

/// The note column: the case's own note, then why it has no speedup.
fn note(own: Option<&str>, unmeasured: Option<&str>) -> String {
    let unmeasured =
        unmeasured.map(|why| format!("no speedup or efficiency: {why}, so no ratio can be drawn"));
    [own.map(String::from), unmeasured]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}

/// Renders rows as CSV lines, without a header (for appending).
pub fn csv_rows(rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    Ok(writer.into_inner()?)
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
    use crate::experiment::PlanOptions;

    /// Two serial cases on one range (case 1 the baseline), as results with
    /// the timed repeats `first` and `second`.
    fn results(first: &[f64], second: &[f64]) -> Vec<CaseResult> {
        let text = r#"
name = "t"
[workload]
kind = "primes"
range = [1000, 2000]
[run]
strategy = "serial"
[[variant]]
label = "a"
[[variant]]
label = "b"
"#;
        let experiment = crate::experiment::parse(std::path::Path::new("t.toml"), text).unwrap();
        let cores = Cores {
            physical: 2,
            logical: 2,
        };
        let plan = experiment.plan(cores, &PlanOptions::default());
        [first, second]
            .iter()
            .zip(&plan.cases)
            .map(|(times, case)| {
                let mut result = CaseResult::new(case);
                result.answer = Some(crate::answer::Answer::Primes {
                    count: 135,
                    checksum: 1,
                });
                result.runs = times
                    .iter()
                    .enumerate()
                    .map(|(i, &seconds)| Run {
                        seconds,
                        work: None,
                        started_s: i as f64,
                        round: i as u32 + 1,
                        position: i as u64 + 1,
                    })
                    .collect();
                result
            })
            .collect()
    }

    /// summary.csv's row of case `n` of `all`, by column.
    fn summary(all: &[CaseResult], n: usize) -> std::collections::BTreeMap<&'static str, String> {
        let cores = Cores {
            physical: 2,
            logical: 2,
        };
        let columns = CASE_COLUMNS.iter().chain(&SUMMARY_COLUMNS).copied();
        columns
            .zip(summary_row("t", &all[n], all, &cores))
            .collect()
    }

    /// Issue 20 item 7: no cell is an infinity, a NaN or hundreds of digits.
    #[test]
    fn number_cells_read_back_as_numbers() {
        assert_eq!(number_cell(1.5, 4), "1.5000");
        assert_eq!(number_cell(-0.0, 9), "0.000000000");
        assert_eq!(number_cell(1e300, 9), "1e300");
        assert_eq!(number_cell(1e-300, 9), "0.000000000");
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(number_cell(v, 4), "");
        }
        assert_eq!(
            stats::median_of_sorted(&[f64::MAX, f64::MAX]),
            f64::MAX,
            "no overflow"
        );
        assert_eq!(stats::median_of_sorted(&[1.0, 2.0]), 1.5);
    }

    /// Issue 20 item 7: a zero (or 1e-300) median makes the speedup and
    /// efficiency undefined: empty, with a note, never inf or 300 digits.
    #[test]
    fn a_time_below_the_clock_has_no_speedup_and_says_why() {
        for zero in [0.0, 1e-300] {
            let all = results(&[0.01, 0.011, 0.012], &[zero, zero, zero]);
            let row = summary(&all, 1);
            assert_eq!(row["status"], "ok");
            assert_eq!(row["median_s"], "0.000000000");
            for column in ["speedup", "speedup_lo", "speedup_hi", "noise_pct"] {
                assert_eq!(row[column], "", "{column} with {zero}");
            }
            assert!(
                row["note"].starts_with("no speedup or efficiency: case 2 has a median time of "),
                "{}",
                row["note"]
            );
            // The baseline's own zero leaves the others without a speedup too.
            let all = results(&[zero, zero, zero], &[0.01, 0.011, 0.012]);
            let row = summary(&all, 1);
            assert_eq!(row["speedup"], "");
            assert!(row["note"].contains("its baseline, case 1, has a median time of"));
            for row in [summary(&all, 0), summary(&all, 1)] {
                assert!(row.values().all(|c| c.len() < 200), "{row:?}");
            }
        }
        let all = results(&[0.01, 0.011, 0.012], &[0.02, 0.022, 0.024]);
        assert_eq!(summary(&all, 1)["speedup"], "0.5000");
        assert_eq!(summary(&all, 1)["note"], "");
    }

    /// A repeat whose time is not a duration cannot be written as one: the
    /// case fails at that repeat, in both files alike.
    #[test]
    fn a_time_that_is_not_a_duration_fails_the_case() {
        let all = results(&[0.01, 0.011, 0.012], &[0.01, f64::NAN, 0.012]);
        let rows = result_rows("t", &all[1]);
        assert_eq!(rows.len(), 2, "the first repeat, then the failure");
        let ok = CASE_COLUMNS.len() + 11;
        assert_eq!(rows[0][ok], "true");
        assert_eq!(rows[1][ok], "false");
        assert!(rows[1][ok + 1].contains("repeat 2 gave a time that is not a number"));
        let row = summary(&all, 1);
        assert_eq!(
            (row["status"].as_str(), row["repeats"].as_str()),
            ("failed", "1")
        );
        assert!(rows.iter().flatten().all(|c| !c.contains("NaN")));
    }

    #[test]
    fn stats_of_repeats() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.best, s.median, s.mean, s.max), (1.0, 2.5, 2.5, 4.0));
        assert!((s.stddev - 1.290_994_448_7).abs() < 1e-9);
        assert_eq!(Stats::of(&[2.0]).unwrap().stddev, 0.0);
        assert!(Stats::of(&[]).is_none());
    }
}
