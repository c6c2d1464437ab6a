//! Work stealing with rayon: the job list is split recursively and idle
//! threads steal halves, never splitting below `chunksize` numbers. The
//! primes each thread finds are folded into a tally and the tallies reduced,
//! so nothing grows with the range.
//!
//! The job list is split as spans of positions (`rayon::iter::split`), and
//! each span that is not split further runs the serial loop's own code over
//! its numbers: no per-number indexing through the job list, no tally per
//! number. Rayon still decides when to split: at the start into about one
//! span per thread, then again whenever a thread steals.

use std::ops::Range;

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::StrategyError;
use crate::answer::Found;
use crate::backend::BackendError;
use crate::primes::PrimeTest;
use crate::trace::Tracer;
use crate::work::Jobs;

/// A rayon thread pool of a fixed size, built before the timer.
pub struct Stealing<T> {
    pool: rayon::ThreadPool,
    min_len: usize,
    test: T,
}

impl<T: PrimeTest> Stealing<T> {
    /// A pool of `workers` threads that splits no finer than `min_len`.
    pub fn new(workers: usize, min_len: usize, test: T) -> Result<Self, StrategyError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("stealing-worker-{i}"))
            .build()
            .map_err(|e| BackendError::Start(e.to_string()))?;
        Ok(Stealing {
            pool,
            min_len: min_len.max(1),
            test,
        })
    }

    /// The primes among `jobs`; a worker's panic resurfaces here. Each span
    /// rayon did not split further is a task for `tracer`, on the thread
    /// that ran it, numbered in the order the spans started.
    pub fn run(&self, jobs: &Jobs, tracer: &Tracer) -> Found {
        let test = &self.test;
        let min_len = self.min_len;
        let spans = AtomicU64::new(0);
        self.pool.install(|| {
            rayon::iter::split(0..jobs.len(), |span| halves(span, min_len))
                .map(|span| {
                    let started = tracer.now();
                    let numbers = span.len() as u64;
                    let found = jobs
                        .numbers(span)
                        .filter(|&n| test.is_prime(n))
                        .collect::<Found>();
                    if let (Some(started), Some(finished)) = (started, tracer.now()) {
                        let task = spans.fetch_add(1, Ordering::Relaxed);
                        let worker = rayon::current_thread_index().unwrap_or(0);
                        tracer.ran(task, worker, numbers, started, finished);
                    }
                    found
                })
                .reduce(Found::default, Found::merge)
        })
    }
}

/// `span` cut in halves of at least `min_len` positions, or left whole.
fn halves(span: Range<usize>, min_len: usize) -> (Range<usize>, Option<Range<usize>>) {
    match span.len() / 2 >= min_len {
        true => {
            let middle = span.start + span.len() / 2;
            (span.start..middle, Some(middle..span.end))
        }
        false => (span, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::{NumRange, PlainTester};

    #[test]
    fn spans_are_never_split_below_the_minimum() {
        assert_eq!(halves(0..10, 5), (0..5, Some(5..10)));
        assert_eq!(halves(0..9, 5), (0..9, None));
        assert_eq!(halves(3..4, 1), (3..4, None));
        assert_eq!(halves(0..0, 1), (0..0, None));
    }

    #[test]
    fn every_number_is_tested_once_whatever_the_minimum() {
        let jobs = Jobs::from(NumRange {
            start: 1_000,
            end: 31_000,
        });
        let serial: Found = jobs.iter().filter(|&n| PlainTester.is_prime(n)).collect();
        for min_len in [1, 7, 1000, 100_000] {
            let stealing = Stealing::new(3, min_len, PlainTester).unwrap();
            assert_eq!(
                stealing.run(&jobs, &Tracer::off()).answer(),
                serial.answer(),
                "{min_len}"
            );
        }
    }
}
