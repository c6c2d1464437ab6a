//! The chunked map: the analogue of `multiprocessing.Pool.map`. The job
//! list is cut into chunks of `chunksize` numbers, each sent as one task on
//! the backend's shared queue, and one reply per task is folded as it
//! arrives, whatever the order the workers answer in.

use super::StrategyError;
use crate::backend::Backend;
use crate::trace::Tracer;
use crate::work::Jobs;
use crate::work::{Chunk, Job, Reply};

/// Sends every chunk of `jobs` as the task `make(id, chunk)`, then folds
/// each reply into `init`. Every task is queued before the first reply is
/// read, as `Pool.map` does. A failed task fails the map, but only after
/// every reply is in, so the workers are idle and ready for the next run.
pub fn map_chunks<A>(
    backend: &dyn Backend,
    jobs: &Jobs,
    chunksize: usize,
    make: fn(u64, Chunk) -> Job,
    init: A,
    fold: impl FnMut(A, Reply) -> A,
) -> Result<A, StrategyError> {
    map_chunks_traced(backend, jobs, chunksize, make, init, &Tracer::off(), fold)
}

/// [`map_chunks`], each task handed to `tracer` with its submission and
/// reply times.
pub fn map_chunks_traced<A>(
    backend: &dyn Backend,
    jobs: &Jobs,
    chunksize: usize,
    make: fn(u64, Chunk) -> Job,
    init: A,
    tracer: &Tracer,
    mut fold: impl FnMut(A, Reply) -> A,
) -> Result<A, StrategyError> {
    let chunksize = chunksize.max(1);
    let mut tasks = 0u64;
    // When each task was submitted (8 bytes a task, for this repeat only).
    let mut submitted = Vec::new();
    for start in (0..jobs.len()).step_by(chunksize) {
        let span = start..(start + chunksize).min(jobs.len());
        let chunk = Chunk::Span {
            jobs: jobs.clone(),
            span,
        };
        if let Some(now) = tracer.now() {
            submitted.push(now);
        }
        backend.submit(make(tasks, chunk))?;
        tasks += 1;
    }
    let mut acc = init;
    let mut failure = None;
    for _ in 0..tasks {
        let reply = backend.receive()?;
        if tracer.on()
            && let Reply::Primes { task, stamp, .. } | Reply::Factors { task, stamp, .. } = &reply
        {
            let start = (*task as usize).saturating_mul(chunksize);
            let numbers = jobs.len().saturating_sub(start).min(chunksize) as u64;
            let at = submitted.get(*task as usize).copied();
            tracer.served(*task, numbers, at, stamp, tracer.now(), None);
        }
        match reply {
            Reply::Failed(e) => _ = failure.get_or_insert(e),
            reply => acc = fold(acc, reply),
        }
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(acc),
    }
}
