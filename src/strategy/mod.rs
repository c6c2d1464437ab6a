//! How work is coordinated: policies over any [`crate::backend`]. The
//! chunked map ([`map`]), the queue with poison pills and start tokens
//! ([`queue`]) and the cooperative search ([`cooperative`]) send jobs and
//! fold replies; they do not know whether the workers are threads or
//! processes. Serial runs in the caller and work stealing is rayon's, so
//! those two need no backend.
//!
//! Each strategy is started before the timer (workers spawned, as the book
//! builds its pools) and then runs the job list as often as the engine asks.

pub mod cooperative;
pub mod map;
pub mod order;
pub mod queue;
pub mod stealing;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::answer::Found;
use crate::backend::{self, Backend, BackendError, QueueSetup, Remote};
use crate::experiment::{Case, Enqueue, Strategy};
use crate::flag::{FlagSpec, NoFlag};
use crate::primes::PrimeTest;
use crate::trace::Tracer;
use crate::work::serve::panic_message;
use crate::work::{Job, Jobs, Reply, WorkerError};
use map::map_chunks_traced;
use queue::{Feeding, queue_round_traced};

pub use order::{jobs_in_order, ordered_jobs};

/// Why a run produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    /// A worker could not serve a job (its kernel panicked, its flag failed).
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// The workers could not be started or reached.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The caller's own handle to the shared flag failed.
    #[error("the shared flag failed: {0}")]
    Flag(String),
    /// The feeder thread of the `feeder` strategy failed.
    #[error("{0}")]
    Feeder(String),
    /// A worker answered with a reply that does not fit the job (a bug).
    #[error("a worker sent an unexpected reply: {0}")]
    Unexpected(String),
}

/// A strategy for finding the primes of a job list, ready to run: its
/// workers are started (before the timer) and live across the repeats.
pub enum PrimeFinder<K> {
    /// The caller's thread does everything.
    Serial(K),
    /// Workers pulling chunks of `chunksize` numbers from one task queue.
    Pool {
        backend: Box<dyn Backend>,
        chunksize: usize,
    },
    /// Workers pulling single numbers, ended by poison pills.
    Queue {
        backend: Box<dyn Backend>,
        enqueue: Enqueue,
        feeding: Feeding,
    },
    /// rayon's work stealing (threads of this process only).
    Stealing(stealing::Stealing<K>),
}

impl<K: PrimeTest + Clone + 'static> PrimeFinder<K> {
    /// Starts the strategy `case` names, with `kernel` as its kernel (its
    /// workers behind Redis found where `remote` says).
    pub fn start(case: &Case, kernel: K, remote: &Remote) -> Result<Self, StrategyError> {
        let chunksize = case.chunks.map_or(1, |c| c.size as usize);
        let threads =
            |queue| backend::start(case, &kernel, &NoFlag, &FlagSpec::None, queue, remote);
        Ok(match case.strategy {
            Strategy::Serial => PrimeFinder::Serial(kernel),
            Strategy::Pool => PrimeFinder::Pool {
                backend: threads(QueueSetup::default())?,
                chunksize,
            },
            Strategy::Queue | Strategy::Feeder => {
                let q = case.queue.unwrap_or_default();
                PrimeFinder::Queue {
                    backend: threads(QueueSetup {
                        capacity: q.capacity,
                        rounds: true,
                        host: q.host.unwrap_or_default(),
                    })?,
                    enqueue: q.enqueue,
                    feeding: match case.strategy {
                        Strategy::Queue => Feeding::Caller,
                        _ => Feeding::Feeder,
                    },
                }
            }
            Strategy::Stealing => {
                PrimeFinder::Stealing(stealing::Stealing::new(case.workers, chunksize, kernel)?)
            }
            Strategy::Cooperative => {
                let why = "the cooperative strategy verifies single numbers, not ranges";
                return Err(BackendError::Start(why.into()).into());
            }
        })
    }

    /// The backend the strategy's workers run on, if it has one.
    pub fn backend(&self) -> Option<&dyn Backend> {
        match self {
            PrimeFinder::Pool { backend, .. } | PrimeFinder::Queue { backend, .. } => {
                Some(backend.as_ref())
            }
            PrimeFinder::Serial(_) | PrimeFinder::Stealing(_) => None,
        }
    }

    /// Finds the primes among `jobs`, folded into a tally as they arrive.
    pub fn run(&self, jobs: &Jobs) -> Result<Found, StrategyError> {
        self.run_traced(jobs, &Tracer::off())
    }

    /// [`Self::run`], handing every task to `tracer`.
    pub fn run_traced(&self, jobs: &Jobs, tracer: &Tracer) -> Result<Found, StrategyError> {
        match self {
            PrimeFinder::Serial(kernel) => catch_panic(|| {
                let started = tracer.now();
                let found = jobs
                    .iter()
                    .filter(|&n| kernel.is_prime(n))
                    .collect::<Found>();
                if let (Some(started), Some(finished)) = (started, tracer.now()) {
                    tracer.ran(0, 0, jobs.len() as u64, started, finished);
                }
                found
            }),
            PrimeFinder::Pool { backend, chunksize } => map_chunks_traced(
                backend.as_ref(),
                jobs,
                *chunksize,
                |task, numbers| Job::Primes { task, numbers },
                Found::default(),
                tracer,
                |mut found, reply| {
                    if let Reply::Primes { primes, .. } = reply {
                        primes.into_iter().for_each(|p| found.add(p));
                    }
                    found
                },
            ),
            PrimeFinder::Queue {
                backend,
                enqueue,
                feeding,
            } => queue_round_traced(backend.as_ref(), jobs, *enqueue, *feeding, tracer),
            PrimeFinder::Stealing(stealing) => catch_panic(|| stealing.run(jobs, tracer)),
        }
    }
}

/// Runs `f`, turning a panic into a worker failure.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, StrategyError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| WorkerError::Panicked(panic_message(payload.as_ref())).into())
}
