//! A rough time estimate for a plan, calibrated on this machine: time the
//! kernel serially on a sample of each range and scale up.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::experiment::{Case, Kernel, Plan, Strategy};
use crate::machine::Cores;
use crate::primes::{FastTester, NumRange, PlainTester, PrimeTest};

/// Numbers sampled from each range.
const SAMPLE: u64 = 2_000;

/// Estimates the plan's total running time, warm-ups included.
pub fn estimate(plan: &Plan, cores: Cores) -> Duration {
    let mut serial: HashMap<(NumRange, Kernel), f64> = HashMap::new();
    let runs = f64::from(plan.warmup + plan.repeats);
    let seconds: f64 = plan
        .cases
        .iter()
        .map(|case| {
            let one = *serial
                .entry((case.range, case.kernel))
                .or_insert_with(|| serial_seconds(case.range, case.kernel));
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

/// Seconds to test the whole range serially, from an evenly spread sample.
fn serial_seconds(range: NumRange, kernel: Kernel) -> f64 {
    // An odd stride alternates parity, so even numbers are not over- or under-sampled.
    let stride = (range.len() / SAMPLE).max(1) | 1;
    let sample: Vec<u64> = (range.start..range.end).step_by(stride as usize).collect();
    let started = Instant::now();
    let found = match kernel {
        Kernel::Plain => count(&PlainTester, &sample),
        Kernel::Fast => count(&FastTester::new(range.last()), &sample),
    };
    std::hint::black_box(found);
    started.elapsed().as_secs_f64() * range.len() as f64 / sample.len() as f64
}

fn count(test: &impl PrimeTest, numbers: &[u64]) -> usize {
    numbers.iter().filter(|&&n| test.is_prime(n)).count()
}
