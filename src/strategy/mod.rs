//! How work is spread over workers. Each strategy is built before the timer
//! (threads spawned, pools created, as the book does) and then runs the job
//! list as often as the engine asks.
//!
//! Work travels as messages: a [`task::Task`] (a chunk of numbers, or one
//! number on a queue) goes to a worker loop and a reply (the primes found)
//! comes back, so a later executor can move the same loop into another
//! process or machine.

pub mod cooperative;
pub mod jobs;
pub mod order;
pub mod pool;
pub mod queue;
pub mod search;
pub mod stealing;
pub mod task;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::answer::Found;
use crate::experiment::{Case, Strategy};
use crate::primes::PrimeTest;

pub use jobs::Jobs;
pub use order::{jobs_in_order, ordered_jobs};

/// Why a run produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    /// A worker panicked; the message is the panic's.
    #[error("a worker panicked: {0}")]
    WorkerPanicked(String),
    /// The workers went away without answering.
    #[error("the workers stopped answering ({0})")]
    Disconnected(String),
    /// The strategy could not be set up.
    #[error("could not start the workers: {0}")]
    Setup(String),
}

/// A strategy ready to run a case's job list.
pub enum Executor<T: PrimeTest + 'static> {
    /// The caller's thread does everything.
    Serial(Arc<T>),
    /// A fixed set of threads pulling chunks from one task queue.
    Pool(pool::Pool<Found>, usize),
    /// Threads pulling single numbers, ended by poison pills.
    Queue(queue::QueuePool),
    /// rayon's work stealing.
    Stealing(stealing::Stealing<T>),
}

impl<T: PrimeTest + 'static> Executor<T> {
    /// Builds the strategy `case` names, with `test` as its kernel.
    pub fn build(case: &Case, test: Arc<T>) -> Result<Self, StrategyError> {
        let chunksize = case.chunks.map_or(1, |c| c.size as usize);
        Ok(match case.strategy {
            Strategy::Serial => Executor::Serial(test),
            Strategy::Pool => {
                let work = Arc::new(move |numbers: jobs::Numbers<'_>| {
                    task::primes_among(numbers, test.as_ref())
                });
                Executor::Pool(pool::Pool::new(case.workers, work)?, chunksize)
            }
            Strategy::Queue | Strategy::Feeder => {
                let feeding = match case.strategy {
                    Strategy::Queue => queue::Feeding::Caller,
                    _ => queue::Feeding::Feeder,
                };
                let q = case.queue.unwrap_or_default();
                Executor::Queue(queue::QueuePool::new(
                    case.workers,
                    test,
                    q.capacity,
                    q.enqueue,
                    feeding,
                )?)
            }
            Strategy::Stealing => {
                Executor::Stealing(stealing::Stealing::new(case.workers, chunksize, test)?)
            }
            Strategy::Cooperative => {
                let why = "the cooperative strategy verifies single numbers, not ranges";
                return Err(StrategyError::Setup(why.into()));
            }
        })
    }

    /// Finds the primes among `jobs`, folded into a tally as they arrive.
    pub fn run(&self, jobs: &Jobs) -> Result<Found, StrategyError> {
        match self {
            Executor::Serial(test) => {
                catch_panic(|| task::primes_among(jobs.iter(), test.as_ref()))
            }
            Executor::Pool(pool, chunksize) => {
                pool.fold(jobs, *chunksize, Found::default(), Found::merge)
            }
            Executor::Queue(queue) => queue.run(jobs),
            Executor::Stealing(stealing) => catch_panic(|| stealing.run(jobs)),
        }
    }
}

/// Runs `f`, turning a panic into a [`StrategyError`].
fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, StrategyError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| StrategyError::WorkerPanicked(task::panic_message(payload.as_ref())))
}
