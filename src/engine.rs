//! Runs the cases of a plan: for each, build the strategy (before the timer),
//! warm it up, time N repeats with a monotonic clock, and check every answer
//! against the oracle. Observers hear of each step; the engine knows nothing
//! of files or terminals.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::answer::{self, Answer};
use crate::experiment::{Case, Kernel, Plan};
use crate::primes::{FastTester, NumRange, PlainTester, PrimeTest, oracle};
use crate::strategy::{Executor, ordered_jobs};

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub case: Case,
    /// The timed repeats that gave the oracle's answer, in order.
    pub seconds: Vec<f64>,
    /// The (single, checked) answer of those repeats.
    pub answer: Option<Answer>,
    /// Why the case failed, if it did; no time is reported for a failed run.
    pub failure: Option<Failure>,
}

/// A run that crashed or disagreed with the oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The timed repeat that failed (1-based), or 0 during warm-up or setup.
    pub repeat: u32,
    pub message: String,
}

impl CaseResult {
    /// Whether every run of the case gave the oracle's answer.
    pub fn ok(&self) -> bool {
        self.failure.is_none()
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
    observers: &mut [&mut dyn Observer],
    stop: &AtomicBool,
) -> anyhow::Result<RunOutcome> {
    let mut oracles: HashMap<NumRange, Arc<Vec<u64>>> = HashMap::new();
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
        let expected = oracles
            .entry(case.range)
            .or_insert_with(|| Arc::new(oracle::primes_in(case.range.start, case.range.end)));
        let Some(result) = run_case(case, plan, expected, stop) else {
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

/// Runs one case with the kernel it names; `None` if interrupted.
pub fn run_case(
    case: &Case,
    plan: &Plan,
    expected: &[u64],
    stop: &AtomicBool,
) -> Option<CaseResult> {
    match case.kernel {
        Kernel::Plain => run_with(PlainTester, case, plan, expected, stop),
        // The divisor table is built here, before the timer.
        Kernel::Fast => run_with(
            FastTester::new(case.range.last()),
            case,
            plan,
            expected,
            stop,
        ),
    }
}

/// Runs one case with kernel `test`: build, warm up, time, check.
pub fn run_with<T: PrimeTest + 'static>(
    test: T,
    case: &Case,
    plan: &Plan,
    expected: &[u64],
    stop: &AtomicBool,
) -> Option<CaseResult> {
    let mut result = CaseResult {
        case: case.clone(),
        seconds: Vec::new(),
        answer: None,
        failure: None,
    };
    let fail = |mut result: CaseResult, repeat: u32, message: String| {
        result.failure = Some(Failure { repeat, message });
        Some(result)
    };
    let jobs = ordered_jobs(case.range, case.order, case.seed.unwrap_or(0));
    let executor = match Executor::build(case, Arc::new(test)) {
        Ok(executor) => executor,
        Err(e) => return fail(result, 0, e.to_string()),
    };
    for _ in 0..plan.warmup {
        if let Err(message) = checked(executor.run(&jobs), expected) {
            return fail(result, 0, format!("during warm-up: {message}"));
        }
    }
    for repeat in 1..=plan.repeats {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let started = Instant::now();
        let found = executor.run(&jobs);
        let seconds = started.elapsed().as_secs_f64();
        match checked(found, expected) {
            Ok(answer) => {
                result.seconds.push(seconds);
                result.answer = Some(answer);
            }
            Err(message) => return fail(result, repeat, message),
        }
    }
    Some(result)
}

fn checked(
    found: Result<Vec<u64>, crate::strategy::StrategyError>,
    expected: &[u64],
) -> Result<Answer, String> {
    answer::check(found.map_err(|e| e.to_string())?, expected)
}
