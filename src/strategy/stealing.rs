//! Work stealing with rayon: the job list is split recursively and idle
//! threads steal halves, never splitting below `chunksize` numbers. The
//! primes each thread finds are folded into a tally and the tallies reduced,
//! so nothing grows with the range.

use rayon::prelude::*;

use super::StrategyError;
use super::jobs::Jobs;
use crate::answer::Found;
use crate::backend::BackendError;
use crate::primes::PrimeTest;

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

    /// The primes among `jobs`; a worker's panic resurfaces here.
    pub fn run(&self, jobs: &Jobs) -> Found {
        let test = &self.test;
        // Positions, not numbers: a u64 range is not an indexed parallel
        // iterator in rayon, and `with_min_len` needs one.
        self.pool.install(|| {
            (0..jobs.len())
                .into_par_iter()
                .with_min_len(self.min_len)
                .map(|i| jobs.get(i))
                .filter(|&n| test.is_prime(n))
                .fold(Found::default, |mut found, n| {
                    found.add(n);
                    found
                })
                .reduce(Found::default, Found::merge)
        })
    }
}
