//! The timing loop every workload shares: warm-ups, then timed repeats on a
//! clock, each answer checked against the oracle after the clock stops. The
//! first wrong answer or crash fails the case.
//!
//! The clock is injectable: the real one reads a monotonic `Instant`; a
//! test's can script every timed run's seconds, so the statistics, the
//! intervals and the findings drawn from them can be pinned exactly (as
//! hyperfine does with its mock executor).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::answer::{Answer, Work};
use crate::experiment::{Case, Plan};
use crate::outcome::{CaseResult, Failure, Run};
use crate::trace::{Traced, Tracer};

/// What the timing loop reads the time from.
pub trait Clock: Send + Sync {
    /// Seconds since the start of the run.
    fn now(&self) -> f64;
    /// Seconds a timed run of `case` took, begun at `started` (a `now`).
    fn elapsed(&self, case: &Case, started: f64) -> f64 {
        let _ = case;
        self.now() - started
    }
}

/// The machine's monotonic clock, counting from the start of the run.
pub struct SystemClock(Instant);

impl SystemClock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// What every timing loop is given: the clock, and the flag that asks the
/// run to stop after the current repeat.
#[derive(Clone, Copy)]
pub struct Timer<'a> {
    pub clock: &'a dyn Clock,
    pub stop: &'a AtomicBool,
}

impl Timer<'_> {
    /// Whether the run was asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The timing loop every workload shares: `warmup` untimed runs, then
/// `repeats` timed ones; `work` runs inside the timer, `check` (the oracle)
/// after it. The first wrong answer or crash fails the case. `None` if the
/// run was asked to stop before a repeat, or during one that then failed
/// (worker processes abandon a repeat when asked to stop).
pub fn time_runs<T>(
    case: &Case,
    plan: &Plan,
    timer: &Timer,
    work: impl FnMut() -> Result<T, String>,
    check: impl Fn(T) -> Result<(Answer, Option<Work>), String>,
) -> Option<CaseResult> {
    let tracer = Tracer::off();
    let traced = Traced {
        tracer: &tracer,
        backend: None,
    };
    time_runs_traced(case, plan, timer, traced, work, check)
}

/// [`time_runs`], recording what the workers did in each timed repeat with
/// `traced` (its hooks ask worker processes for their CPU time outside the
/// timer, and mark the repeat's start and end just inside it).
pub fn time_runs_traced<T>(
    case: &Case,
    plan: &Plan,
    timer: &Timer,
    traced: Traced,
    mut work: impl FnMut() -> Result<T, String>,
    check: impl Fn(T) -> Result<(Answer, Option<Work>), String>,
) -> Option<CaseResult> {
    let mut result = CaseResult::new(case);
    let mut fail = |repeat: u32, message: String| {
        result.failure = Some(Failure { repeat, message });
    };
    for _ in 0..plan.warmup {
        if let Err(message) = work().and_then(&check) {
            // A stop abandons the run in progress (worker processes do);
            // that is an interruption, not a failure of the case.
            if timer.stopped() {
                return None;
            }
            fail(0, format!("during warm-up: {message}"));
            return Some(result);
        }
    }
    for repeat in 1..=plan.repeats {
        if timer.stopped() {
            return None;
        }
        traced.tracer.before(traced.backend);
        let started = timer.clock.now();
        traced.tracer.begin();
        let output = work();
        traced.tracer.end();
        let seconds = timer.clock.elapsed(case, started);
        let trace = traced.tracer.after(traced.backend, seconds);
        match output.and_then(&check) {
            Ok((answer, work)) => {
                if let Some(mut trace) = trace {
                    trace.round = repeat;
                    result.traces.push(trace);
                }
                result.runs.push(Run {
                    seconds,
                    work,
                    started_s: started,
                    round: repeat,
                    position: 0,
                });
                result.answer = Some(answer);
            }
            Err(_) if timer.stopped() => return None,
            Err(message) => {
                fail(repeat, message);
                return Some(result);
            }
        }
    }
    Some(result)
}
