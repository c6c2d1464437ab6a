//! The primes workload: find every prime in a range with a chunked strategy.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::Context;
use crate::answer::{Answer, check_primes};
use crate::experiment::{Case, Kernel, Order, Plan};
use crate::outcome::CaseResult;
use crate::primes::{FastTester, NumRange, PlainTester, PrimeTest};
use crate::strategy::{Executor, jobs_in_order};
use crate::timing::time_runs;

/// Runs a primes case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    range: NumRange,
    plan: &Plan,
    context: &mut Context,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    let expected = context.primes_in(range);
    match case.kernel {
        Kernel::Plain => run_with(PlainTester, case, range, plan, expected, stop),
        // The divisor table is built here, before the timer.
        Kernel::Fast => run_with(
            FastTester::new(range.last()),
            case,
            range,
            plan,
            expected,
            stop,
        ),
    }
}

/// Runs a primes case with kernel `test` against the oracle's `expected`
/// answer for `range` (see [`crate::answer::oracle_primes`]).
pub fn run_with<T: PrimeTest + 'static>(
    test: T,
    case: &Case,
    range: NumRange,
    plan: &Plan,
    expected: Answer,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    let order = case.order.unwrap_or(Order::Given);
    let jobs = jobs_in_order(range, order, case.seed.unwrap_or(0));
    let executor = match Executor::build(case, Arc::new(test)) {
        Ok(executor) => executor,
        Err(e) => return Some(CaseResult::failed(case, e.to_string())),
    };
    time_runs(
        case,
        plan,
        stop,
        || executor.run(&jobs).map_err(|e| e.to_string()),
        |found| check_primes(found, range, expected).map(|answer| (answer, None)),
    )
}
