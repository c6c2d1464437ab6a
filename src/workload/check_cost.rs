//! The cost of checking one n: for each n of a stepped range, time a single
//! `check_prime(n)` `repeats` times and keep the fastest, minus the clock's
//! own cost.
//!
//! A check takes from a few nanoseconds (even n) to microseconds (primes), so
//! the clock matters: reading `Instant` twice costs tens of nanoseconds. That
//! overhead is measured first as the fastest of many empty timings and
//! subtracted from every sample. `samples.csv` keeps both: `raw_s`, the
//! fastest timing as measured, and `seconds`, less the clock's cost. When
//! the check was no slower than an empty timing, the difference says
//! nothing, so `seconds` is left empty rather than written as a plain 0 s
//! (hardening issue, item 27), and charts skip the row.

use std::hint::black_box;
use std::time::Instant;

use crate::answer::Found;
use crate::experiment::columns::Fixed;
use crate::experiment::{Case, Plan};
use crate::outcome::{CaseResult, Failure, Run, SampleRow, Table};
use crate::primes::oracle::is_prime_u64;
use crate::primes::{NumRange, PrimeTest};
use crate::timing::Timer;
use crate::work::{KernelSpec, with_kernel};

/// Empty timings taken to find the clock's overhead.
pub const OVERHEAD_SAMPLES: usize = 100_000;

/// Runs a check-cost case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    range: NumRange,
    step: u64,
    plan: &Plan,
    timer: &Timer,
) -> Option<CaseResult> {
    let spec = KernelSpec::new(case.kernel, range.last());
    with_kernel!(spec, kernel => run_with(&kernel, case, range, step, plan, timer))
}

/// The fastest of many back-to-back `Instant` readings, in seconds.
pub fn clock_overhead() -> f64 {
    (0..OVERHEAD_SAMPLES)
        .map(|_| {
            let started = Instant::now();
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn run_with(
    test: &impl PrimeTest,
    case: &Case,
    range: NumRange,
    step: u64,
    plan: &Plan,
    timer: &Timer,
) -> Option<CaseResult> {
    let overhead = clock_overhead();
    let mut result = CaseResult::new(case);
    let mut rows = Vec::new();
    let mut primes = Found::default();
    let mut below = 0u64;
    let started = timer.clock.now();
    for n in (range.start..range.end).step_by(step as usize) {
        if timer.stopped() {
            return None;
        }
        for _ in 0..plan.warmup {
            black_box(test.is_prime(black_box(n)));
        }
        let mut best = f64::INFINITY;
        let mut prime = false;
        for _ in 0..plan.repeats {
            let began = Instant::now();
            prime = black_box(test.is_prime(black_box(n)));
            best = best.min(began.elapsed().as_secs_f64());
        }
        if prime != is_prime_u64(n) {
            let said = if prime { "prime" } else { "not prime" };
            result.failure = Some(Failure {
                repeat: 1,
                message: format!("wrong answer: called {n} {said}"),
            });
            return Some(result);
        }
        if prime {
            primes.add(n);
        }
        let net = best - overhead;
        // the clock counts whole nanoseconds: less than half of one is nothing
        let below_clock = net < 0.5e-9;
        below += u64::from(below_clock);
        rows.push(SampleRow {
            n,
            prime,
            seconds: (!below_clock).then_some(Fixed(net)),
            raw_s: Some(Fixed(best)),
        });
    }
    // One run of the whole sweep over n: it times its own samples, and
    // runs in one round whatever the schedule.
    result.runs.push(Run {
        seconds: timer.clock.elapsed(case, started),
        work: None,
        started_s: started,
        round: 1,
        position: 0,
    });
    result.answer = Some(primes.answer());
    result.tables.push(Table::Samples(rows));
    let mut note = format!(
        "best of {} timings per n, less the clock's own {:.1} ns",
        plan.repeats,
        overhead * 1e9
    );
    if below > 0 {
        note += &format!(
            "; {below} checks were no slower than the clock and have no net time (see raw_s)"
        );
    }
    result.note = Some(note);
    Some(result)
}
