//! The chunked map: the analogue of `multiprocessing.Pool.map`. The job
//! list is cut into chunks of `chunksize` numbers, each sent as one task on
//! the backend's shared queue, and one reply per task is folded as it
//! arrives, whatever the order the workers answer in.

use super::StrategyError;
use crate::backend::Backend;
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
    mut fold: impl FnMut(A, Reply) -> A,
) -> Result<A, StrategyError> {
    let chunksize = chunksize.max(1);
    let mut tasks = 0u64;
    for start in (0..jobs.len()).step_by(chunksize) {
        let span = start..(start + chunksize).min(jobs.len());
        let chunk = Chunk::Span {
            jobs: jobs.clone(),
            span,
        };
        backend.submit(make(tasks, chunk))?;
        tasks += 1;
    }
    let mut acc = init;
    let mut failure = None;
    for _ in 0..tasks {
        match backend.receive()? {
            Reply::Failed(e) => _ = failure.get_or_insert(e),
            reply => acc = fold(acc, reply),
        }
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(acc),
    }
}
