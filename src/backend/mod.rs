//! Where workers run. A backend starts N workers before the timer, carries
//! jobs to them and replies back, and stops them; it knows nothing of what
//! a job computes (that is [`crate::work`]) nor of how jobs are coordinated
//! (that is [`crate::strategy`]).
//!
//! Every worker reads two inboxes: the shared queue, which any worker may
//! take a job from, and its own, which only start tokens use. After a pill a
//! worker reads only its own inbox until its next start token, so no worker
//! can swallow a second pill of the same round.

pub mod processes;
pub mod redis;
pub mod threads;
pub mod watchdog;
pub mod wire;
pub mod worker_process;

use crate::experiment::{Capacity, Case, Executor, QueueHost};
use crate::flag::{Flag, FlagSpec};
use crate::primes::PrimeTest;
use crate::work::clock::hostname;
use crate::work::{Chunk, Job, KernelSpec, Reply};

pub use processes::Processes;
pub use redis::RedisStreams;
pub use redis::lobby::Remote;
pub use threads::Threads;

/// Why workers could not be started or reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The workers could not be started.
    #[error("could not start the workers: {0}")]
    Start(String),
    /// A worker went away (it crashed, was killed, or its connection broke).
    #[error("the workers stopped answering: {0}")]
    Gone(String),
    /// The workers made no progress for too long (see [`watchdog`]).
    #[error("the workers fell silent: {0}")]
    Silent(String),
    /// The run was asked to stop (a signal) while the workers were busy:
    /// the repeat is abandoned.
    #[error("the run was asked to stop; the repeat in progress was abandoned")]
    Interrupted,
    /// A task carries more numbers than a message to a process can hold.
    #[error(
        "a task of {0} numbers is too large to send to a worker process (at most {max}); use a smaller chunksize",
        max = wire::MAX_TASK_NUMBERS
    )]
    TooLarge(usize),
}

/// A start-up failure: what could not be done, and why.
pub(crate) fn start_error(what: &str, e: &dyn std::fmt::Display) -> BackendError {
    BackendError::Start(format!("{what}: {e}"))
}

/// How the workers' shared queue behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueSetup {
    /// How many jobs the shared queue holds before a sender waits.
    pub capacity: Capacity,
    /// Whether the workers serve in rounds: each waits for its own start
    /// token before it reads the shared queue, from the very first round
    /// (the queue strategies), or serves it at once (the others).
    pub rounds: bool,
    /// Where the queue lives, for worker processes.
    pub host: QueueHost,
}

/// Starts the workers of `case` wherever its executor says: threads share
/// `kernel` and connect to `flag`; processes and Redis workers build their
/// own kernel from the case (a kernel that is not one of runner's, as in some tests, can only
/// run in threads) and connect to the shared flag `flag_spec` names. Workers
/// behind Redis are found where `remote` says.
pub fn start<K, F>(
    case: &Case,
    kernel: &K,
    flag: &F,
    flag_spec: &FlagSpec,
    queue: QueueSetup,
    remote: &Remote,
) -> Result<Box<dyn Backend>, BackendError>
where
    K: PrimeTest + Clone + 'static,
    F: Flag,
{
    let workers = case.workers;
    Ok(match case.executor.unwrap_or_default() {
        Executor::Threads => Box::new(Threads::start(workers, kernel, flag, queue)?),
        Executor::Processes => Box::new(Processes::start(
            workers,
            KernelSpec::of(case),
            flag_spec,
            queue,
        )?),
        Executor::Redis => Box::new(RedisStreams::start(
            workers,
            KernelSpec::of(case),
            flag_spec,
            remote,
        )?),
    })
}

/// N workers somewhere, ready for jobs.
pub trait Backend: Send + Sync {
    /// How many workers there are.
    fn workers(&self) -> usize;
    /// Puts `job` on the shared queue, for whichever worker takes it first.
    fn submit(&self, job: Job) -> Result<(), BackendError>;
    /// Sends `job` to worker `worker` alone.
    fn submit_to(&self, worker: usize, job: Job) -> Result<(), BackendError>;
    /// The next reply from any worker.
    fn receive(&self) -> Result<Reply, BackendError>;
    /// Bytes and messages sent so far, where they cross a process boundary.
    fn sent(&self) -> Option<Sent> {
        None
    }
    /// Jobs delivered again to another worker after their first worker
    /// fell silent, where the backend can do that.
    fn redelivered(&self) -> Option<u64> {
        None
    }
    /// Where each worker runs, in worker order (for task records): by
    /// default threads of this process, slot = worker index.
    fn places(&self) -> Vec<Place> {
        (0..self.workers()).map(Place::here).collect()
    }
    /// Whether `submit_to` reaches the worker it names (it does not over
    /// Redis, where any free slot takes a job).
    fn asks_each_worker(&self) -> bool {
        true
    }
}

/// Where one worker runs: its process, its slot in the process, its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub pid: u32,
    pub slot: u32,
    pub host: String,
}

impl Place {
    /// Worker thread `worker` of this process.
    pub fn here(worker: usize) -> Place {
        Place {
            pid: std::process::id(),
            slot: worker as u32,
            host: hostname(),
        }
    }
}

/// Bytes and messages sent to the workers, and bytes of their replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    pub bytes: u64,
    pub frames: u64,
    /// Bytes that came back (replies, and for Redis their envelopes).
    pub bytes_back: u64,
}

/// Empty tasks sent one at a time to measure a round trip.
const PROBES: usize = 200;

/// The median seconds for one empty task to reach worker 0 and its reply to
/// come back: the fixed cost of a task, apart from its numbers. Measured
/// between cases' runs, never inside a timer; through the worker's own
/// inbox, so it works whether or not the workers serve in rounds.
pub fn round_trip(backend: &dyn Backend) -> Result<f64, BackendError> {
    let mut times = Vec::with_capacity(PROBES);
    for task in 0..PROBES as u64 {
        let started = std::time::Instant::now();
        backend.submit_to(
            0,
            Job::Primes {
                task,
                numbers: Chunk::List(Vec::new()),
            },
        )?;
        backend.receive()?;
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
