//! Runs the cases of a plan: for each, the workload builds its strategy
//! (before the timer), then the engine warms it up, times N repeats with a
//! monotonic clock and checks every answer against the oracle. Observers hear
//! of each step; the engine knows nothing of files or terminals.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::experiment::{Case, Input, Plan, Requirement};
use crate::outcome::CaseResult;
use crate::workload::{Context, check_cost, factor_frequency, primes, verify};

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
