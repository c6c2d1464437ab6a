//! The primes workload: find every prime in a range with a chunked strategy.

use std::sync::Arc;

use std::time::Instant;

use super::{Context, worker_costs};
use crate::answer::{Answer, check_primes};
use crate::backend::Remote;
use crate::experiment::{Case, Order, Plan};
use crate::outcome::CaseResult;
use crate::primes::{NumRange, PrimeTest};
use crate::strategy::{PrimeFinder, jobs_in_order};
use crate::timing::{Timer, time_runs_traced};
use crate::trace::{Traced, Tracer};
use crate::work::{KernelSpec, with_kernel};

/// Runs a primes case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    range: NumRange,
    plan: &Plan,
    context: &mut Context,
    timer: &Timer,
) -> Option<CaseResult> {
    let expected = context.primes_in(range);
    let spec = KernelSpec::of(case);
    // The kernel (and a fast kernel's divisor table) is built here, before the timer.
    let remote = &context.remote;
    with_kernel!(spec, kernel => run_with(kernel, case, range, plan, remote, expected, timer))
}

/// Runs a primes case with kernel `test` against the oracle's `expected`
/// answer for `range` (see [`crate::answer::oracle_primes`]), its workers
/// behind Redis found where `remote` says.
pub fn run_with<T: PrimeTest + 'static>(
    test: T,
    case: &Case,
    range: NumRange,
    plan: &Plan,
    remote: &Remote,
    expected: Answer,
    timer: &Timer,
) -> Option<CaseResult> {
    let order = case.order.unwrap_or(Order::Given);
    let jobs = jobs_in_order(range, order, case.seed.unwrap_or(0));
    let started = Instant::now();
    let finder = match PrimeFinder::start(case, Arc::new(test), remote) {
        Ok(finder) => finder,
        Err(e) => return Some(CaseResult::failed(case, e.to_string())),
    };
    let startup = started.elapsed();
    let before = finder.backend().and_then(|b| b.sent());
    let tracer = Tracer::for_case(case, plan);
    if let Some(backend) = finder.backend() {
        tracer.name_workers(backend);
    }
    let traced = Traced {
        tracer: &tracer,
        backend: finder.backend(),
    };
    let mut result = time_runs_traced(
        case,
        plan,
        timer,
        traced,
        || finder.run_traced(&jobs, &tracer).map_err(|e| e.to_string()),
        |found| check_primes(found, range, expected).map(|answer| (answer, None)),
    )?;
    result.costs = finder
        .backend()
        .filter(|_| result.ok())
        .map(|b| worker_costs(b, startup, before, plan));
    Some(result)
}
