//! A rough time estimate for a plan, calibrated on this machine: time the
//! kernel serially on a sample of each range and scale up.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::experiment::{Case, Input, Kernel, Plan, Strategy};
use crate::machine::Cores;
use crate::primes::{FastTester, PlainTester, PrimeTest};
use crate::strategy::search::candidates_in;
use crate::strategy::task::primes_among;

/// Numbers sampled from each range.
const SAMPLE: u64 = 2_000;

/// Estimates the plan's total running time, warm-ups included.
pub fn estimate(plan: &Plan, cores: Cores) -> Duration {
    let mut serial: HashMap<(Input, Kernel), f64> = HashMap::new();
    let runs = f64::from(plan.warmup + plan.repeats);
    let seconds: f64 = plan
        .cases
        .iter()
        .map(|case| {
            let one = *serial
                .entry((case.input.clone(), case.kernel))
                .or_insert_with(|| serial_seconds(&case.input, case.kernel));
            runs * one / parallelism(case, cores)
        })
        .sum();
    Duration::from_secs_f64(seconds)
}

fn parallelism(case: &Case, cores: Cores) -> f64 {
    match case.strategy {
        Strategy::Serial => 1.0,
        _ => case.workers.min(cores.logical) as f64,
    }
}

/// Seconds for one serial run: timed for a number, sampled for a range.
fn serial_seconds(input: &Input, kernel: Kernel) -> f64 {
    let (range, step) = match input {
        Input::Range(range) | Input::Factors(range) => (*range, 1),
        Input::Stepped { range, step } => (*range, *step),
        Input::Number(number) => return verify_seconds(number.value, kernel),
    };
    // An odd stride alternates parity, so even numbers are not over- or under-sampled.
    let stride = (range.len() / SAMPLE).max(1) | 1;
    let sample: Vec<u64> = (range.start..range.end).step_by(stride as usize).collect();
    let started = Instant::now();
    let found = match kernel {
        Kernel::Plain => primes_among(sample.iter().copied(), &PlainTester).count,
        Kernel::Fast => primes_among(sample.iter().copied(), &FastTester::new(range.last())).count,
    };
    std::hint::black_box(found);
    let tested = range.len().div_ceil(step);
    started.elapsed().as_secs_f64() * tested as f64 / sample.len() as f64
}

/// Seconds to verify `n` serially, from the first million candidates.
fn verify_seconds(n: u64, kernel: Kernel) -> f64 {
    let hi = n.isqrt() + 1;
    let all = candidates_in(3, hi).max(1);
    let sample_hi = hi.min(3 + 2 * SAMPLE * 500);
    let started = Instant::now();
    let found = match kernel {
        Kernel::Plain => PlainTester.factor_in(n, 3, sample_hi),
        Kernel::Fast => FastTester::new(0).factor_in(n, 3, sample_hi),
    };
    let seconds = started.elapsed().as_secs_f64();
    match found {
        Some(_) => seconds, // the search ends within the sample
        None => seconds * all as f64 / candidates_in(3, sample_hi).max(1) as f64,
    }
}
