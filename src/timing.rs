//! The timing loop every workload shares: warm-ups, then timed repeats on a
//! monotonic clock, each answer checked against the oracle after the clock
//! stops. The first wrong answer or crash fails the case.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::answer::{Answer, Work};
use crate::experiment::{Case, Plan};
use crate::outcome::{CaseResult, Failure, Run};

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
