//! The smallest-factor histogram: for every non-prime of a range, its
//! smallest factor by the book's trial division, counted per factor.

use std::collections::BTreeMap;

use super::Workers;
use crate::answer::{Answer, checksum};
use crate::backend::Remote;
use crate::experiment::{Case, Order, Plan, Strategy};
use crate::flag::{FlagSpec, NoFlag};
use crate::outcome::{CaseResult, FactorRow, Table};
use crate::primes::oracle::smallest_factor_counts;
use crate::primes::{NumRange, PrimeTest};
use crate::strategy::map::map_chunks_traced;
use crate::strategy::{catch_panic, jobs_in_order};
use crate::timing::{Timer, time_runs_traced};
use crate::trace::{Traced, Tracer};
use crate::work::serve::smallest_factors;
use crate::work::{Job, KernelSpec, Reply, with_kernel};

/// How often each smallest factor occurs.
pub type Histogram = BTreeMap<u64, u64>;

/// Runs a factor-frequency case, its workers behind Redis found where
/// `remote` says; `None` if interrupted.
pub fn run_case(
    case: &Case,
    range: NumRange,
    plan: &Plan,
    remote: &Remote,
    timer: &Timer,
) -> Option<CaseResult> {
    let spec = KernelSpec::of(case);
    with_kernel!(spec, kernel => run_with(kernel, case, range, plan, remote, timer))
}

fn run_with<K: PrimeTest + Clone + 'static>(
    kernel: K,
    case: &Case,
    range: NumRange,
    plan: &Plan,
    remote: &Remote,
    timer: &Timer,
) -> Option<CaseResult> {
    let expected = smallest_factor_counts(range.start.max(3), range.end);
    let order = case.order.unwrap_or(Order::Given);
    let jobs = jobs_in_order(range, order, case.seed.unwrap_or(0));
    let check = |found: Histogram| match found == expected {
        true => Ok((answer_of(&found), None)),
        false => Err(describe_difference(&found, &expected)),
    };
    let tracer = Tracer::for_case(case, plan);
    let mut result = match case.strategy {
        Strategy::Pool => {
            let workers = match Workers::start(case, &kernel, &NoFlag, &FlagSpec::None, remote) {
                Ok(workers) => workers,
                Err(e) => return Some(CaseResult::failed(case, e.to_string())),
            };
            tracer.name_workers(workers.backend.as_ref());
            let chunksize = case.chunks.map_or(1, |c| c.size as usize);
            let run = || {
                map_chunks_traced(
                    workers.backend.as_ref(),
                    &jobs,
                    chunksize,
                    |task, numbers| Job::Factors { task, numbers },
                    Histogram::new(),
                    &tracer,
                    merge,
                )
                .map_err(|e| e.to_string())
            };
            let traced = Traced {
                tracer: &tracer,
                backend: Some(workers.backend.as_ref()),
            };
            let mut result = time_runs_traced(case, plan, timer, traced, run, check)?;
            if result.ok() {
                result.costs = Some(workers.costs(plan));
            }
            result
        }
        _ => {
            let traced = Traced {
                tracer: &tracer,
                backend: None,
            };
            let run = || {
                catch_panic(|| {
                    let started = tracer.now();
                    let counts = smallest_factors(jobs.iter(), &kernel);
                    if let (Some(started), Some(finished)) = (started, tracer.now()) {
                        tracer.ran(0, 0, jobs.len() as u64, started, finished);
                    }
                    counts.into_iter().collect()
                })
                .map_err(|e| e.to_string())
            };
            time_runs_traced(case, plan, timer, traced, run, check)?
        }
    };
    if result.ok() {
        let rows = expected
            .iter()
            .map(|(&factor, &count)| FactorRow { factor, count })
            .collect();
        result.tables.push(Table::Factors(rows));
    }
    Some(result)
}

/// Adds a task's (factor, count) pairs into the histogram.
fn merge(mut all: Histogram, reply: Reply) -> Histogram {
    let Reply::Factors { counts, .. } = reply else {
        return all;
    };
    for (factor, count) in counts {
        *all.entry(factor).or_insert(0) += count;
    }
    all
}

/// Distinct factors, non-primes counted, and a checksum of the pairs.
/// The histogram's answer: distinct factors, non-primes, an order-free checksum.
pub(crate) fn answer_of(h: &Histogram) -> Answer {
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
