//! The smallest-factor histogram: for every non-prime of a range, its
//! smallest factor by the book's trial division, counted per factor.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::answer::{Answer, checksum};
use crate::experiment::{Case, Kernel, Order, Plan, Strategy};
use crate::outcome::{CaseResult, Table};
use crate::primes::oracle::smallest_factor_counts;
use crate::primes::{FastTester, NumRange, PlainTester, PrimeTest};
use crate::strategy::jobs::Numbers;
use crate::strategy::jobs_in_order;
use crate::strategy::pool::Pool;
use crate::timing::time_runs;

/// How often each smallest factor occurs.
pub type Histogram = BTreeMap<u64, u64>;

/// Runs a factor-frequency case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    range: NumRange,
    plan: &Plan,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    match case.kernel {
        Kernel::Plain => run_with(Arc::new(PlainTester), case, range, plan, stop),
        Kernel::Fast => run_with(
            Arc::new(FastTester::new(range.last())),
            case,
            range,
            plan,
            stop,
        ),
    }
}

fn run_with<T: PrimeTest + 'static>(
    test: Arc<T>,
    case: &Case,
    range: NumRange,
    plan: &Plan,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    let expected = smallest_factor_counts(range.start.max(3), range.end);
    let order = case.order.unwrap_or(Order::Given);
    let jobs = jobs_in_order(range, order, case.seed.unwrap_or(0));
    let check = |found: Histogram| match found == expected {
        true => Ok((answer_of(&found), None)),
        false => Err(describe_difference(&found, &expected)),
    };
    let mut result = match case.strategy {
        Strategy::Pool => {
            let work = {
                let test = Arc::clone(&test);
                Arc::new(move |numbers: Numbers<'_>| smallest_factors(numbers, test.as_ref()))
            };
            let pool = match Pool::new(case.workers, work) {
                Ok(pool) => pool,
                Err(e) => return Some(CaseResult::failed(case, e.to_string())),
            };
            let chunksize = case.chunks.map_or(1, |c| c.size as usize);
            let run = || {
                pool.fold(&jobs, chunksize, Histogram::new(), merge)
                    .map_err(|e| e.to_string())
            };
            time_runs(case, plan, stop, run, check)?
        }
        _ => time_runs(
            case,
            plan,
            stop,
            || Ok(smallest_factors(jobs.iter(), test.as_ref())),
            check,
        )?,
    };
    if result.ok() {
        let rows = expected
            .iter()
            .map(|(f, c)| vec![f.to_string(), c.to_string()])
            .collect();
        result.tables.push(Table {
            name: "factors",
            header: vec!["factor", "count"],
            rows,
        });
    }
    Some(result)
}

/// The histogram of `numbers` (n >= 3): 2 for the even ones, the kernel's
/// first odd divisor for the odd ones, nothing for primes.
pub fn smallest_factors(
    numbers: impl IntoIterator<Item = u64>,
    test: &impl PrimeTest,
) -> Histogram {
    let mut counts = Histogram::new();
    for n in numbers.into_iter().filter(|&n| n >= 3) {
        let factor = match n % 2 {
            0 => Some(2),
            _ => test.factor_in(n, 3, n.isqrt() + 1),
        };
        if let Some(f) = factor {
            *counts.entry(f).or_insert(0) += 1;
        }
    }
    counts
}

/// Adds one chunk's histogram to the running total.
fn merge(mut all: Histogram, part: Histogram) -> Histogram {
    for (factor, count) in part {
        *all.entry(factor).or_insert(0) += count;
    }
    all
}

/// Distinct factors, non-primes counted, and a checksum of the pairs.
fn answer_of(h: &Histogram) -> Answer {
    let pairs = h
        .iter()
        .map(|(f, c)| f.wrapping_mul(0x9e37_79b9).wrapping_add(*c));
    Answer::Factors {
        distinct: h.len() as u64,
        total: h.values().sum(),
        checksum: checksum(pairs),
    }
}

fn describe_difference(found: &Histogram, expected: &Histogram) -> String {
    let first = expected
        .iter()
        .find(|(f, c)| found.get(f) != Some(c))
        .map(|(f, c)| (*f, *c, found.get(f).copied().unwrap_or(0)))
        .or_else(|| {
            found
                .iter()
                .find(|(f, _)| !expected.contains_key(f))
                .map(|(f, c)| (*f, 0, *c))
        });
    match first {
        Some((f, want, got)) => {
            format!("wrong answer: factor {f} counted {got} times, the oracle {want}")
        }
        None => "wrong answer".into(),
    }
}
