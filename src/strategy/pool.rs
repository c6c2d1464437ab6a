//! The chunked pool: the analogue of `multiprocessing.Pool.map`. A fixed set
//! of worker threads pulls chunks of `chunksize` numbers from one shared task
//! queue and sends one reply per chunk back to the caller.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::StrategyError;
use super::task::{Reply, Task, panic_message, primes_among};
use crate::primes::PrimeTest;

/// Worker threads waiting on a task queue; they stop when the pool drops.
pub struct Pool {
    tasks: Option<Sender<Task>>,
    replies: Receiver<Reply>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads, each testing with `test`.
    pub fn new<T: PrimeTest + 'static>(
        workers: usize,
        test: Arc<T>,
    ) -> Result<Self, StrategyError> {
        let (task_tx, task_rx) = unbounded::<Task>();
        let (reply_tx, reply_rx) = unbounded::<Reply>();
        let handles = (0..workers)
            .map(|i| {
                let (tasks, replies, test) = (task_rx.clone(), reply_tx.clone(), Arc::clone(&test));
                thread::Builder::new()
                    .name(format!("pool-worker-{i}"))
                    .spawn(move || worker_loop(&tasks, &replies, test.as_ref()))
                    .map_err(|e| StrategyError::Setup(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pool {
            tasks: Some(task_tx),
            replies: reply_rx,
            workers: handles,
        })
    }

    /// Sends `jobs` in chunks of `chunksize`, then gathers one reply per chunk.
    /// Every chunk is answered even when one panics, so the pool stays usable.
    pub fn map(&self, jobs: &[u64], chunksize: usize) -> Result<Vec<u64>, StrategyError> {
        let tasks = self.tasks.as_ref().expect("tasks close only on drop");
        let mut sent = 0;
        for chunk in jobs.chunks(chunksize.max(1)) {
            tasks
                .send(Task {
                    numbers: chunk.to_vec(),
                })
                .map_err(|e| StrategyError::Disconnected(e.to_string()))?;
            sent += 1;
        }
        let mut primes = Vec::new();
        let mut failure = None;
        for _ in 0..sent {
            match self.replies.recv() {
                Ok(Reply::Primes(found)) => primes.extend(found),
                Ok(Reply::Panicked(message)) => _ = failure.get_or_insert(message),
                Err(e) => return Err(StrategyError::Disconnected(e.to_string())),
            }
        }
        match failure {
            Some(message) => Err(StrategyError::WorkerPanicked(message)),
            None => Ok(primes),
        }
    }
}

/// A worker: answer tasks until the queue closes.
fn worker_loop(tasks: &Receiver<Task>, replies: &Sender<Reply>, test: &impl PrimeTest) {
    for task in tasks {
        let reply = match catch_unwind(AssertUnwindSafe(|| primes_among(&task.numbers, test))) {
            Ok(primes) => Reply::Primes(primes),
            Err(payload) => Reply::Panicked(panic_message(payload.as_ref())),
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        drop(self.tasks.take()); // closing the queue ends every worker loop
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}
