//! The chunked pool: the analogue of `multiprocessing.Pool.map`. A fixed set
//! of worker threads pulls chunks of `chunksize` numbers from one shared task
//! queue and sends one reply per chunk back to the caller.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::StrategyError;
use super::jobs::{Jobs, Numbers};
use super::task::{Task, panic_message};

/// A worker's answer to one task: what the work returned, or its panic.
type Reply<R> = Result<R, String>;

/// Worker threads waiting on a task queue; they stop when the pool drops.
pub struct Pool<R> {
    tasks: Option<Sender<Task>>,
    replies: Receiver<Reply<R>>,
    workers: Vec<JoinHandle<()>>,
}

impl<R: Send + 'static> Pool<R> {
    /// Starts `workers` threads, each doing `work` on the chunks it pulls.
    pub fn new<W>(workers: usize, work: Arc<W>) -> Result<Self, StrategyError>
    where
        W: Fn(Numbers<'_>) -> R + Send + Sync + 'static,
    {
        let (task_tx, task_rx) = unbounded::<Task>();
        let (reply_tx, reply_rx) = unbounded::<Reply<R>>();
        let handles = (0..workers)
            .map(|i| {
                let (tasks, replies, work) = (task_rx.clone(), reply_tx.clone(), Arc::clone(&work));
                thread::Builder::new()
                    .name(format!("pool-worker-{i}"))
                    .spawn(move || worker_loop(&tasks, &replies, work.as_ref()))
                    .map_err(|e| StrategyError::Setup(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pool {
            tasks: Some(task_tx),
            replies: reply_rx,
            workers: handles,
        })
    }

    /// Sends `jobs` in chunks of `chunksize`, then gathers one reply per chunk
    /// (in the order they come back). Every chunk is answered even when one
    /// panics, so the pool stays usable.
    pub fn map(&self, jobs: &Jobs, chunksize: usize) -> Result<Vec<R>, StrategyError> {
        self.fold(jobs, chunksize, Vec::new(), |mut all, reply| {
            all.push(reply);
            all
        })
    }

    /// Like [`Pool::map`], but folds each reply into `init` as it arrives,
    /// so the caller holds one accumulator instead of a reply per chunk.
    ///
    /// Every task is queued before the first reply is read, as
    /// `Pool.map` does: the queue holds one small message per chunk (a
    /// span, never the numbers), which the memory check counts.
    pub fn fold<A>(
        &self,
        jobs: &Jobs,
        chunksize: usize,
        init: A,
        mut f: impl FnMut(A, R) -> A,
    ) -> Result<A, StrategyError> {
        let tasks = self.tasks.as_ref().expect("tasks close only on drop");
        let chunksize = chunksize.max(1);
        let mut sent = 0;
        for start in (0..jobs.len()).step_by(chunksize) {
            let span = start..(start + chunksize).min(jobs.len());
            tasks
                .send(Task {
                    jobs: jobs.clone(),
                    span,
                })
                .map_err(|e| StrategyError::Disconnected(e.to_string()))?;
            sent += 1;
        }
        let mut answers = Some(init);
        let mut failure = None;
        for _ in 0..sent {
            match self.replies.recv() {
                Ok(Ok(answer)) => answers = answers.map(|acc| f(acc, answer)),
                Ok(Err(message)) => _ = failure.get_or_insert(message),
                Err(e) => return Err(StrategyError::Disconnected(e.to_string())),
            }
        }
        match failure {
            Some(message) => Err(StrategyError::WorkerPanicked(message)),
            None => Ok(answers.expect("folded every reply")),
        }
    }
}

/// A worker: answer tasks until the queue closes.
fn worker_loop<R>(
    tasks: &Receiver<Task>,
    replies: &Sender<Reply<R>>,
    work: &impl Fn(Numbers<'_>) -> R,
) {
    for task in tasks {
        let reply = catch_unwind(AssertUnwindSafe(|| work(task.numbers())))
            .map_err(|payload| panic_message(payload.as_ref()));
        if replies.send(reply).is_err() {
            return;
        }
    }
}

impl<R> Drop for Pool<R> {
    fn drop(&mut self) {
        drop(self.tasks.take()); // closing the queue ends every worker loop
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}
