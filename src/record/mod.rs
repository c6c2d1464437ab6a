//! The records a run leaves: one row per repeat (`results.csv`) and one per
//! case (`summary.csv`), typed ([`rows`]) and in a fixed column order, so a
//! report can be drawn from the CSV alone. Cells that do not apply to a
//! case are empty.

pub mod read;
pub mod rows;
pub mod summary;

use std::borrow::Cow;

use crate::experiment::Case;
use crate::experiment::columns::{CaseColumns, Fixed, Params, Seconds};
use crate::outcome::{CaseResult, Failure, Status};
use crate::trace::RepeatTrace;
use crate::work::KernelSpec;

pub use crate::experiment::columns::{number_cell, params_of, seconds_cell};
pub use rows::{FileRow, Repeat, ResultRow, Summary, SummaryRow};
pub use summary::{Stats, baseline, summary_row};

/// How this CPU runs the case's kernel (`KernelSpec::path`): the last
/// column of both CSV files, not a parameter (it is the machine's answer).
fn kernel_path(case: &Case) -> String {
    KernelSpec::new(case.kernel, 0).path()
}

/// The answer's cells: value, checksum, factor.
fn answer_cells(result: &CaseResult) -> (String, Option<String>, Option<u64>) {
    match result.answer {
        Some(a) => (a.value(), a.checksum(), a.factor()),
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
/// failure (with no time) or the reason it was skipped, if any; `params`
/// are the case's values of a command's own parameters.
pub fn result_rows(experiment: &str, result: &CaseResult, params: &Params) -> Vec<ResultRow> {
    let result = &*as_recorded(result);
    let case = CaseColumns::of(experiment, &result.case);
    let (answer, checksum, factor) = answer_cells(result);
    let row = |repeat: Repeat| ResultRow {
        case: case.clone(),
        repeat,
        params: params.clone(),
    };
    let mut rows: Vec<ResultRow> = result
        .runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let cpu = CpuCells::of(result.traces.get(i));
            row(Repeat {
                repeat: Some(i as u32 + 1),
                round: Some(run.round),
                position: Some(run.position),
                started_s: Some(Fixed(run.started_s)),
                seconds: Some(Fixed(run.seconds)),
                answer: answer.clone(),
                checksum: checksum.clone(),
                factor,
                candidates: run.work.map(|w| w.candidates),
                looks: run.work.map(|w| w.looks),
                // The repeat itself gave the oracle's answer.
                status: Status::Ok,
                ok: true,
                error: String::new(),
                kernel_path: kernel_path(&result.case),
                user_s: cpu.user_s,
                sys_s: cpu.sys_s,
                tasks_served: cpu.tasks_served,
                compute_s: cpu.compute_s,
                dispatch_s: cpu.dispatch_s,
                idle_s: cpu.idle_s,
            })
        })
        .collect();
    let end = match (&result.failure, &result.skipped) {
        (Some(f), _) => Some((Some(f.repeat), f.message.clone())),
        (None, Some(why)) => Some((None, why.clone())),
        (None, None) => None,
    };
    if let Some((repeat, message)) = end {
        rows.push(row(Repeat {
            repeat,
            round: None,
            position: None,
            started_s: None,
            seconds: None,
            answer: String::new(),
            checksum: None,
            factor: None,
            candidates: None,
            looks: None,
            status: result.status(),
            ok: false,
            error: message,
            kernel_path: kernel_path(&result.case),
            user_s: None,
            sys_s: None,
            tasks_served: None,
            compute_s: None,
            dispatch_s: None,
            idle_s: None,
        }));
    }
    rows
}

/// A repeat's CPU time and task aggregates as results.csv holds them:
/// none where not measured, the task columns only where tasks were
/// recorded.
#[derive(Default)]
struct CpuCells {
    user_s: Option<Seconds>,
    sys_s: Option<Seconds>,
    tasks_served: Option<u64>,
    compute_s: Option<Seconds>,
    dispatch_s: Option<Seconds>,
    idle_s: Option<Seconds>,
}

impl CpuCells {
    fn of(trace: Option<&RepeatTrace>) -> CpuCells {
        let Some(t) = trace else {
            return CpuCells::default();
        };
        let recorded = |v: f64| t.recorded.then_some(Fixed(v));
        CpuCells {
            user_s: t.user_s.map(Fixed),
            sys_s: t.sys_s.map(Fixed),
            tasks_served: t.recorded.then_some(t.tasks),
            compute_s: recorded(t.compute_s),
            dispatch_s: recorded(t.dispatch_s),
            idle_s: recorded(t.idle_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::PlanOptions;
    use crate::experiment::columns::CASE_COLUMNS;
    use crate::machine::Cores;
    use crate::outcome::Run;
    use crate::stats;

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
        let row = summary_row("t", &all[n], all, &cores, Vec::new());
        let columns = CASE_COLUMNS.iter().chain(Summary::COLUMNS).copied();
        columns.map(|c| (c, row.get(c).unwrap())).collect()
    }

    /// Issue 20 item 7: no median overflows (the cells are pinned in
    /// `experiment::columns`).
    #[test]
    fn medians_do_not_overflow() {
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
        let rows = result_rows("t", &all[1], &Vec::new());
        assert_eq!(rows.len(), 2, "the first repeat, then the failure");
        assert!(rows[0].repeat.ok);
        assert!(!rows[1].repeat.ok);
        assert!(
            rows[1]
                .repeat
                .error
                .contains("repeat 2 gave a time that is not a number")
        );
        let row = summary(&all, 1);
        assert_eq!(
            (row["status"].as_str(), row["repeats"].as_str()),
            ("failed", "1")
        );
        let bytes = rows::to_csv(None, &rows).unwrap();
        assert!(!String::from_utf8(bytes).unwrap().contains("NaN"));
    }

    /// Both files of `text`'s plan with `fill` giving each case its result,
    /// as the report writer writes them.
    fn files(text: &str, fill: impl Fn(&mut CaseResult)) -> String {
        let experiment = crate::experiment::parse(std::path::Path::new("t.toml"), text).unwrap();
        let cores = Cores {
            physical: 2,
            logical: 2,
        };
        let plan = experiment.plan(cores, &PlanOptions::default());
        let all: Vec<CaseResult> = plan
            .cases
            .iter()
            .map(|case| {
                let mut result = CaseResult::new(case);
                fill(&mut result);
                result
            })
            .collect();
        let names = experiment.params.names();
        let results: Vec<ResultRow> = all
            .iter()
            .flat_map(|r| result_rows(&experiment.name, r, &params_of(&names, &r.case)))
            .collect();
        let summary: Vec<SummaryRow> = all
            .iter()
            .map(|r| {
                let params = params_of(&names, &r.case);
                summary_row(&experiment.name, r, &all, &cores, params)
            })
            .collect();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        let results_header = rows::header::<ResultRow>(&names);
        let summary_header = rows::header::<SummaryRow>(&names);
        format!(
            "results.csv\n{}\nsummary.csv\n{}",
            text(rows::to_csv(Some(&results_header), &results).unwrap()),
            text(rows::to_csv(Some(&summary_header), &summary).unwrap())
        )
    }

    /// Timed repeats for case `n`: a spread that differs by case.
    fn runs(n: usize, count: usize) -> Vec<Run> {
        (0..count)
            .map(|i| Run {
                seconds: 0.01 * n as f64 + 0.0007 * ((i * 7 + n) % 5) as f64,
                work: n.is_multiple_of(2).then_some(crate::answer::Work {
                    candidates: 1000 + i as u64,
                    looks: 10 * n as u64,
                }),
                started_s: 0.125 * (i + n) as f64,
                round: i as u32 + 1,
                position: (i * 10 + n) as u64,
            })
            .collect()
    }

    /// What case `n`'s repeats did, as the tracer reports it: CPU time on
    /// every repeat, the task aggregates only where `recorded`.
    fn traces(n: usize, runs: &[Run], recorded: bool) -> Vec<crate::trace::RepeatTrace> {
        runs.iter()
            .map(|run| {
                let whole = 2.0 * run.seconds;
                crate::trace::RepeatTrace {
                    round: run.round,
                    recorded,
                    seconds: run.seconds,
                    lanes: Vec::new(),
                    workers: 2,
                    tasks: 100 * n as u64,
                    numbers: 1000,
                    compute_s: 0.75 * whole,
                    dispatch_s: 0.125 * whole,
                    idle_s: 0.125 * whole,
                    user_s: Some(0.000_125 * n as f64 + run.seconds),
                    sys_s: Some(0.000_002),
                    every: 1,
                    kept: Vec::new(),
                }
            })
            .collect()
    }

    /// The exact bytes of both files, for every kind of cell: what the
    /// typed rows must write again.
    #[test]
    fn the_files_hold_these_bytes() {
        let primes = r#"
name = "p"
[workload]
kind = "primes"
range = [1000, 2000]
[run]
strategy = "serial"
kernel = "plain"
[[variant]]
label = "serial"
[[variant]]
label = "pool"
strategy = "pool"
workers = 2
chunksize = 10
[[variant]]
label = "shuffled"
strategy = "pool"
workers = 2
order = "shuffled"
[[variant]]
label = "nbr"
strategy = "stealing"
workers = 2
nbr_chunks = 4
[[variant]]
label = "queue"
strategy = "queue"
executor = "processes"
workers = 2
queue_host = "manager"
enqueue = "odd"
capacity = 8
[[variant]]
label = "feeder"
strategy = "feeder"
workers = 2
[[variant]]
label = "broken"
strategy = "pool"
workers = 2
[[variant]]
label = "skipped"
strategy = "pool"
executor = "redis"
workers = 2
"#;
        let filled = files(primes, |r| {
            let n = r.case.number;
            r.answer = Some(crate::answer::Answer::Primes {
                count: 135,
                checksum: 0xdead_beef,
            });
            r.runs = runs(n, 3 + n % 3);
            r.costs = (n > 1).then_some(crate::outcome::WorkerCosts {
                startup_s: 0.0012 * n as f64,
                round_trip_s: n.is_multiple_of(2).then_some(0.000_034_5),
                bytes_per_run: (n > 4).then_some(1234.0),
                frames_per_run: (n > 4).then_some(17.0),
                bytes_back_per_run: (n > 5).then_some(99.0),
                redelivered: (n == 8).then_some(2),
            });
            if n == 3 {
                r.note = Some("a note, with a comma".into());
            }
            // Tasks recorded (pool, feeder), CPU time alone (trace off:
            // the queue), or nothing measured (the rest).
            if n == 2 || n == 6 {
                r.traces = traces(n, &r.runs, true);
            }
            if n == 5 {
                r.traces = traces(n, &r.runs, false);
            }
            if n == 7 {
                r.runs[1].seconds = f64::NAN;
            }
            if n == 8 {
                r.runs.clear();
                r.answer = None;
                r.skipped = Some("needs a Redis server".into());
            }
        });
        let verify = r#"
name = "v"
[workload]
kind = "verify"
numbers = [
  { name = "prime 1", value = "100109100129100151" },
  { name = "small", value = 91 },
]
[run]
strategy = "cooperative"
kernel = "plain"
[sweep]
flag = ["none", "atomic"]
loop = ["counter", "blocked"]
check_every = [1000]
"#;
        let verified = files(verify, |r| {
            let n = r.case.number;
            r.answer = Some(crate::answer::Answer::Verdict {
                prime: n <= 4,
                factor: (n > 4).then_some(7),
            });
            r.runs = runs(n, 4);
        });
        let command = r#"
name = "c"
[workload]
kind = "command"
command = ["prog", "{python}", "{workers}"]
range = [1000, 2000]
answer = "primes"
params = { python = "python3", queue = "mp" }
[run]
strategy = "pool"
kernel = "plain"
[sweep]
workers = [1, 2]
[[variant]]
label = "CPython"
params = { python = "python3" }
[[variant]]
label = "PyPy"
params = { python = "pypy3", queue = "manager" }
"#;
        let commanded = files(command, |r| {
            r.runs = runs(r.case.number, 2);
            r.failure = (r.case.number == 4).then(|| Failure {
                repeat: 2,
                message: "exit status 1: \"quoted\"\nsecond line".into(),
            });
        });
        insta::assert_snapshot!("primes", filled);
        insta::assert_snapshot!("verify", verified);
        insta::assert_snapshot!("command", commanded);
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
