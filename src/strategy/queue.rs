//! Work queues with poison pills: the analogue of the book's
//! `multiprocessing.Queue` workers. Single numbers go to the workers through
//! the backend's shared queue, each prime comes back as a reply, and one
//! poison pill per worker ends the round: each worker answers its pill with
//! "finished", and the caller collects until every worker has finished.
//!
//! The workers outlive a round (a pill ends the round, not the worker), so
//! they are started once, before the timer, and serve every repeat. A worker
//! that has swallowed its pill serves nothing from the shared queue until
//! its own start token of the next round: otherwise a fast worker could
//! swallow a second pill while a slow one still tests its last number, and
//! the caller would count every worker finished too early.

use std::thread;

use super::StrategyError;
use crate::answer::Found;
use crate::backend::Backend;
use crate::experiment::Enqueue;
use crate::trace::Tracer;
use crate::work::Jobs;
use crate::work::{Job, Reply};

/// Who puts the work on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeding {
    /// The caller enqueues everything, then collects.
    Caller,
    /// A feeder thread enqueues while the caller already collects.
    Feeder,
}

/// One round: start every worker, enqueue `jobs` (all, or only the odd
/// ones) and a pill per worker, and collect every prime until every worker
/// has finished.
///
/// Memory: with an unbounded queue every item may wait in it at once, and
/// every prime may wait among the replies; the memory check counts both.
pub fn queue_round(
    backend: &dyn Backend,
    jobs: &Jobs,
    enqueue: Enqueue,
    feeding: Feeding,
) -> Result<Found, StrategyError> {
    queue_round_traced(backend, jobs, enqueue, feeding, &Tracer::off())
}

/// [`queue_round`], each worker's round (its items from the first to its
/// pill) a task for `tracer`.
pub fn queue_round_traced(
    backend: &dyn Backend,
    jobs: &Jobs,
    enqueue: Enqueue,
    feeding: Feeding,
    tracer: &Tracer,
) -> Result<Found, StrategyError> {
    let workers = backend.workers();
    // Odd-only never enqueues the even numbers; 2 is the one even prime.
    let mut primes = Found::default();
    if enqueue == Enqueue::Odd && jobs.contains(2) {
        primes.add(2);
    }
    for worker in 0..workers {
        backend.submit_to(worker, Job::Start)?;
    }
    let feed = || -> Result<(), StrategyError> {
        let wanted = |n: &u64| enqueue == Enqueue::All || n % 2 == 1;
        for n in jobs.iter().filter(wanted) {
            backend.submit(Job::Queued(n))?;
        }
        for _ in 0..workers {
            backend.submit(Job::Pill)?;
        }
        Ok(())
    };
    match feeding {
        Feeding::Caller => {
            feed()?;
            collect(backend, &mut primes, tracer)?;
        }
        Feeding::Feeder => thread::scope(|scope| {
            let feeder = scope.spawn(feed);
            let collected = collect(backend, &mut primes, tracer);
            let fed = feeder.join().unwrap_or_else(|_| {
                Err(StrategyError::Feeder("the feeder thread panicked".into()))
            });
            fed.and(collected)
        })?,
    }
    Ok(primes)
}

/// Reads replies until every worker has finished; each worker's round
/// (its items, from its first to its pill) is one task for `tracer`.
fn collect(
    backend: &dyn Backend,
    primes: &mut Found,
    tracer: &Tracer,
) -> Result<(), StrategyError> {
    let mut finished = 0;
    let mut failure = None;
    while finished < backend.workers() {
        match backend.receive()? {
            Reply::Prime(p) => primes.add(p),
            Reply::Finished {
                stamp,
                items,
                busy_ns,
            } => {
                tracer.served(
                    finished as u64,
                    items,
                    None,
                    &stamp,
                    tracer.now(),
                    Some(busy_ns),
                );
                finished += 1
            }
            Reply::Failed(e) => _ = failure.get_or_insert(e),
            other => return Err(StrategyError::Unexpected(format!("{other:?}"))),
        }
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
