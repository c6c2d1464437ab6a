//! Work queues with poison pills: the analogue of the book's
//! `multiprocessing.Queue` workers. Single numbers go to the workers through
//! one shared queue, each prime comes back on a result queue, and one poison
//! pill per worker ends the round: each worker answers its pill with
//! "finished", and the caller collects until every worker has finished.
//!
//! The workers outlive a round (a pill ends the round, not the thread), so
//! they are started once, before the timer, and serve every repeat. A worker
//! that has swallowed its pill waits for the next round's start token before
//! it reads the queue again: otherwise a fast worker could swallow a second
//! pill while a slow one still tests its last number, and the caller would
//! count every worker finished too early.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};

use super::StrategyError;
use super::jobs::Jobs;
use super::task::panic_message;
use crate::answer::Found;
use crate::experiment::{Capacity, Enqueue};
use crate::primes::PrimeTest;

/// What the caller (or its feeder) puts on the work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// One number to test.
    Number(u64),
    /// The poison pill: answer "finished".
    Pill,
}

/// What a worker puts on the result queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Prime(u64),
    /// The worker swallowed its pill.
    Finished,
    /// Testing a number panicked; the worker carries on.
    Panicked(String),
}

/// Who puts the work on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeding {
    /// The caller enqueues everything, then collects.
    Caller,
    /// A feeder thread enqueues while the caller already collects.
    Feeder,
}

/// Workers waiting on a shared work queue.
pub struct QueuePool {
    jobs: Option<Sender<Job>>,
    /// One start channel per worker: a token lets it serve one round.
    starts: Vec<Sender<()>>,
    outcomes: Receiver<Outcome>,
    handles: Vec<JoinHandle<()>>,
    enqueue: Enqueue,
    feeding: Feeding,
}

impl QueuePool {
    /// Starts `workers` threads on a work queue of `capacity`.
    pub fn new<T: PrimeTest + 'static>(
        workers: usize,
        test: Arc<T>,
        capacity: Capacity,
        enqueue: Enqueue,
        feeding: Feeding,
    ) -> Result<Self, StrategyError> {
        let (job_tx, job_rx) = match capacity {
            Capacity::Unbounded => unbounded(),
            Capacity::Bounded(n) => bounded(n),
        };
        let (outcome_tx, outcome_rx) = unbounded();
        let mut starts = Vec::new();
        let handles = (0..workers)
            .map(|i| {
                let (start_tx, start_rx) = bounded(1);
                starts.push(start_tx);
                let (jobs, outcomes, test) =
                    (job_rx.clone(), outcome_tx.clone(), Arc::clone(&test));
                thread::Builder::new()
                    .name(format!("queue-worker-{i}"))
                    .spawn(move || worker_loop(&start_rx, &jobs, &outcomes, test.as_ref()))
                    .map_err(|e| StrategyError::Setup(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueuePool {
            jobs: Some(job_tx),
            starts,
            outcomes: outcome_rx,
            handles,
            enqueue,
            feeding,
        })
    }

    /// One round: enqueue `jobs` and a pill per worker, collect every prime
    /// until every worker has finished.
    ///
    /// Memory: with an unbounded queue every item may wait in it at once,
    /// and every prime may wait on the result queue; the memory check
    /// counts both.
    pub fn run(&self, jobs: &Jobs) -> Result<Found, StrategyError> {
        let queue = self.jobs.as_ref().expect("the queue closes only on drop");
        let workers = self.handles.len();
        let enqueue = self.enqueue;
        // Odd-only never enqueues the even numbers; 2 is the one even prime.
        let mut primes = Found::default();
        if enqueue == Enqueue::Odd && jobs.contains(2) {
            primes.add(2);
        }
        for start in &self.starts {
            start
                .send(())
                .map_err(|e| StrategyError::Disconnected(e.to_string()))?;
        }
        let feed = move || -> Result<(), StrategyError> {
            let wanted = |n: &u64| enqueue == Enqueue::All || n % 2 == 1;
            let all = jobs.iter().filter(wanted).map(Job::Number);
            for job in all.chain(std::iter::repeat_n(Job::Pill, workers)) {
                queue
                    .send(job)
                    .map_err(|e| StrategyError::Disconnected(e.to_string()))?;
            }
            Ok(())
        };
        match self.feeding {
            Feeding::Caller => {
                feed()?;
                self.collect(workers, &mut primes)?;
            }
            Feeding::Feeder => thread::scope(|scope| {
                let feeder = scope.spawn(feed);
                let collected = self.collect(workers, &mut primes);
                let fed = feeder
                    .join()
                    .map_err(|p| StrategyError::WorkerPanicked(panic_message(p.as_ref())))?;
                fed.and(collected)
            })?,
        }
        Ok(primes)
    }

    /// Reads outcomes until `workers` have finished.
    fn collect(&self, workers: usize, primes: &mut Found) -> Result<(), StrategyError> {
        let mut finished = 0;
        let mut failure = None;
        while finished < workers {
            match self.outcomes.recv() {
                Ok(Outcome::Prime(p)) => primes.add(p),
                Ok(Outcome::Finished) => finished += 1,
                Ok(Outcome::Panicked(message)) => _ = failure.get_or_insert(message),
                Err(e) => return Err(StrategyError::Disconnected(e.to_string())),
            }
        }
        match failure {
            Some(message) => Err(StrategyError::WorkerPanicked(message)),
            None => Ok(()),
        }
    }
}

/// A worker: for each round it is started for, test numbers until its pill,
/// then answer "finished"; stop when the pool closes.
fn worker_loop(
    starts: &Receiver<()>,
    jobs: &Receiver<Job>,
    outcomes: &Sender<Outcome>,
    test: &impl PrimeTest,
) {
    for () in starts {
        for job in jobs {
            let outcome = match job {
                Job::Pill => Outcome::Finished,
                Job::Number(n) => match catch_unwind(AssertUnwindSafe(|| test.is_prime(n))) {
                    Ok(true) => Outcome::Prime(n),
                    Ok(false) => continue,
                    Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
                },
            };
            let finished = outcome == Outcome::Finished;
            if outcomes.send(outcome).is_err() {
                return;
            }
            if finished {
                break;
            }
        }
    }
}

impl Drop for QueuePool {
    fn drop(&mut self) {
        self.starts.clear(); // closing the start channels ends every worker loop
        drop(self.jobs.take());
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}
