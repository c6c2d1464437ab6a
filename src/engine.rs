//! Runs the cases of a plan: for each, the workload builds its strategy
//! (before the timer), then the engine warms it up, times N repeats with a
//! monotonic clock and checks every answer against the oracle. Observers hear
//! of each step; the engine knows nothing of files or terminals.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::answer::{Answer, Work};
use crate::experiment::{Case, Input, Plan, Requirement};
use crate::workload::{Context, check_cost, factor_frequency, primes, verify};

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub case: Case,
    /// The timed repeats that gave the oracle's answer, in order.
    pub runs: Vec<Run>,
    /// The checked answer of those repeats.
    pub answer: Option<Answer>,
    /// Why the case failed, if it did; no time is reported for a failed run.
    pub failure: Option<Failure>,
    /// Why the case was not run, if it was not.
    pub skipped: Option<String>,
    /// Data beyond the timings (per-n costs, a histogram), one file per name.
    pub tables: Vec<Table>,
    /// How to read the numbers, when it needs saying.
    pub note: Option<String>,
}

/// Rows for a CSV file of their own, e.g. `samples.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file's stem.
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// One timed repeat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub seconds: f64,
    /// The work done, where the strategy counts it.
    pub work: Option<Work>,
}

/// A run that crashed or disagreed with the oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The timed repeat that failed (1-based), or 0 during warm-up or setup.
    pub repeat: u32,
    pub message: String,
}

/// Whether a case gave the oracle's answer, failed, or could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

impl CaseResult {
    /// A result with nothing in it yet.
    pub fn new(case: &Case) -> Self {
        CaseResult {
            case: case.clone(),
            runs: Vec::new(),
            answer: None,
            failure: None,
            skipped: None,
            tables: Vec::new(),
            note: None,
        }
    }

    /// A case that failed before any run.
    pub fn failed(case: &Case, message: String) -> Self {
        let failure = Some(Failure { repeat: 0, message });
        CaseResult {
            failure,
            ..CaseResult::new(case)
        }
    }

    /// How the case ended.
    pub fn status(&self) -> Status {
        match (&self.failure, &self.skipped) {
            (Some(_), _) => Status::Failed,
            (None, Some(_)) => Status::Skipped,
            (None, None) => Status::Ok,
        }
    }

    /// Whether every run of the case gave the oracle's answer.
    pub fn ok(&self) -> bool {
        self.status() == Status::Ok
    }

    /// The timed repeats' seconds.
    pub fn seconds(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.seconds).collect()
    }
}

impl Status {
    /// The word for the CSV's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// Hears of the engine's progress; progress bars and writers implement it.
pub trait Observer {
    /// A case is about to start.
    fn case_started(&mut self, _case: &Case, _plan: &Plan) {}
    /// A case finished (with or without success). An error stops the run.
    fn case_finished(&mut self, _result: &CaseResult, _plan: &Plan) -> anyhow::Result<()> {
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub results: Vec<CaseResult>,
    /// True when `stop` was raised before every case finished.
    pub interrupted: bool,
}

/// Runs every case of `plan`, telling `observers` as it goes. Raising `stop`
/// ends the run after the current repeat; the unfinished case is dropped.
pub fn run(
    plan: &Plan,
    context: &mut Context,
    observers: &mut [&mut dyn Observer],
    stop: &AtomicBool,
) -> anyhow::Result<RunOutcome> {
    let mut results = Vec::new();
    for case in &plan.cases {
        if stop.load(Ordering::Relaxed) {
            return Ok(RunOutcome {
                results,
                interrupted: true,
            });
        }
        observers
            .iter_mut()
            .for_each(|o| o.case_started(case, plan));
        let Some(result) = run_case(case, plan, context, stop) else {
            return Ok(RunOutcome {
                results,
                interrupted: true,
            });
        };
        for observer in observers.iter_mut() {
            observer.case_finished(&result, plan)?;
        }
        results.push(result);
    }
    Ok(RunOutcome {
        results,
        interrupted: false,
    })
}

/// Runs one case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    plan: &Plan,
    context: &mut Context,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    if case.requires == Some(Requirement::Redis)
        && let Err(why) = context.redis_available()
    {
        let skipped = Some(format!("skipped: needs Redis: {why}"));
        return Some(CaseResult {
            skipped,
            ..CaseResult::new(case)
        });
    }
    match &case.input {
        Input::Range(range) => primes::run_case(case, *range, plan, context, stop),
        Input::Number(number) => verify::run_case(case, number.value, plan, context, stop),
        Input::Stepped { range, step } => check_cost::run_case(case, *range, *step, plan, stop),
        Input::Factors(range) => factor_frequency::run_case(case, *range, plan, stop),
    }
}

/// The timing loop every workload shares: `warmup` untimed runs, then
/// `repeats` timed ones; `work` runs inside the timer, `check` (the oracle)
/// after it. The first wrong answer or crash fails the case.
pub fn time_runs<T>(
    case: &Case,
    plan: &Plan,
    stop: &AtomicBool,
    mut work: impl FnMut() -> Result<T, String>,
    check: impl Fn(T) -> Result<(Answer, Option<Work>), String>,
) -> Option<CaseResult> {
    let mut result = CaseResult::new(case);
    let mut fail = |repeat: u32, message: String| {
        result.failure = Some(Failure { repeat, message });
    };
    for _ in 0..plan.warmup {
        if let Err(message) = work().and_then(&check) {
            fail(0, format!("during warm-up: {message}"));
            return Some(result);
        }
    }
    for repeat in 1..=plan.repeats {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let started = Instant::now();
        let output = work();
        let seconds = started.elapsed().as_secs_f64();
        match output.and_then(&check) {
            Ok((answer, work)) => {
                result.runs.push(Run { seconds, work });
                result.answer = Some(answer);
            }
            Err(message) => {
                fail(repeat, message);
                return Some(result);
            }
        }
    }
    Some(result)
}
