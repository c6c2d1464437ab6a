//! Work stealing with rayon: the job list is split recursively and idle
//! threads steal halves, never splitting below `chunksize` numbers.

use std::sync::Arc;

use rayon::prelude::*;

use super::StrategyError;
use crate::primes::PrimeTest;

/// A rayon thread pool of a fixed size, built before the timer.
pub struct Stealing<T> {
    pool: rayon::ThreadPool,
    min_len: usize,
    test: Arc<T>,
}

impl<T: PrimeTest> Stealing<T> {
    /// A pool of `workers` threads that splits no finer than `min_len`.
    pub fn new(workers: usize, min_len: usize, test: Arc<T>) -> Result<Self, StrategyError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("stealing-worker-{i}"))
            .build()
            .map_err(|e| StrategyError::Setup(e.to_string()))?;
        Ok(Stealing {
            pool,
            min_len: min_len.max(1),
            test,
        })
    }

    /// The primes among `jobs`; a worker's panic resurfaces here.
    pub fn run(&self, jobs: &[u64]) -> Vec<u64> {
        let test = self.test.as_ref();
        self.pool.install(|| {
            jobs.par_iter()
                .with_min_len(self.min_len)
                .copied()
                .filter(|&n| test.is_prime(n))
                .collect()
        })
    }
}
