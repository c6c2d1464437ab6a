//! Workers as threads of this process: crossbeam channels carry the jobs,
//! and a chunk is a span of the job list every thread shares, so a task
//! costs one message each way and no copy of its numbers.

use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, bounded, select, unbounded};

use super::{Backend, BackendError, QueueSetup};
use crate::experiment::Capacity;
use crate::flag::Flag;
use crate::primes::PrimeTest;
use crate::work::{Job, Reply, Worker};

/// Worker threads; they stop when this is dropped.
pub struct Threads {
    shared: Option<Sender<Job>>,
    own: Vec<Sender<Job>>,
    replies: Receiver<Reply>,
    handles: Vec<JoinHandle<()>>,
}

impl Threads {
    /// Starts `workers` threads, each with a copy of `kernel` and its own
    /// handle to `flag`, on a shared queue set up as `queue` says.
    pub fn start<K, F>(
        workers: usize,
        kernel: &K,
        flag: &F,
        queue: QueueSetup,
    ) -> Result<Threads, BackendError>
    where
        K: PrimeTest + Clone + 'static,
        F: Flag,
    {
        let (shared_tx, shared_rx) = match queue.capacity {
            Capacity::Unbounded => unbounded(),
            Capacity::Bounded(n) => bounded(n),
        };
        let (reply_tx, reply_rx) = unbounded();
        let mut threads = Threads {
            shared: Some(shared_tx),
            own: Vec::new(),
            replies: reply_rx,
            handles: Vec::new(),
        };
        for i in 0..workers {
            let (own_tx, own_rx) = unbounded();
            let flag = flag.connect().map_err(|e| BackendError::Start(e.0))?;
            let mut worker = Worker::new(kernel.clone(), flag, i as u32);
            let (shared, replies) = (shared_rx.clone(), reply_tx.clone());
            let handle = thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || serve_loop(&mut worker, &shared, &own_rx, &replies, !queue.rounds))
                .map_err(|e| BackendError::Start(e.to_string()))?;
            threads.own.push(own_tx);
            threads.handles.push(handle);
        }
        Ok(threads)
    }
}

/// A worker's life: take jobs from the shared queue or its own inbox (only
/// its own between a pill and the next start token), answer each, and stop
/// when the backend closes its inboxes.
fn serve_loop<K: PrimeTest, F: Flag>(
    worker: &mut Worker<K, F>,
    shared: &Receiver<Job>,
    own: &Receiver<Job>,
    replies: &Sender<Reply>,
    mut started: bool,
) {
    loop {
        let job = match started {
            true => select! {
                recv(own) -> job => job,
                recv(shared) -> job => job,
            },
            false => own.recv(),
        };
        let Ok(job) = job else { return };
        match job {
            Job::Start => started = true,
            Job::Pill => started = false,
            _ => {}
        }
        if let Some(reply) = worker.serve(job)
            && replies.send(reply).is_err()
        {
            return;
        }
    }
}

impl Backend for Threads {
    fn workers(&self) -> usize {
        self.handles.len()
    }

    fn submit(&self, job: Job) -> Result<(), BackendError> {
        let shared = self.shared.as_ref().expect("open until dropped");
        shared
            .send(job)
            .map_err(|_| BackendError::Gone("every worker thread has stopped".into()))
    }

    fn submit_to(&self, worker: usize, job: Job) -> Result<(), BackendError> {
        self.own[worker]
            .send(job)
            .map_err(|_| BackendError::Gone(format!("worker thread {worker} has stopped")))
    }

    fn receive(&self) -> Result<Reply, BackendError> {
        self.replies
            .recv()
            .map_err(|_| BackendError::Gone("every worker thread has stopped".into()))
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        // Closing both inboxes ends every worker's loop.
        drop(self.shared.take());
        self.own.clear();
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}
