//! The one way the in-process tests (strategies, failures, simd) build a
//! `Case`: a range case of a strategy, with only what a test varies said,
//! so a change to `Case`'s fields is one change here.

use runner::experiment::{
    Case, ChunkPlan, Chunking, Executor, Input, Kernel, Order, QueuePlan, Strategy,
};
use runner::primes::NumRange;

/// A case being built; [`CaseBuilder::build`] gives it.
pub struct CaseBuilder(Case);

/// A range case of `strategy` over `range`: one worker, the plain kernel,
/// in the given order, on threads, chunked only if [`CaseBuilder::chunksize`]
/// says so.
pub fn case(strategy: Strategy, range: NumRange) -> CaseBuilder {
    CaseBuilder(Case {
        number: 1,
        variant: String::new(),
        strategy,
        executor: None,
        kernel: Kernel::Plain,
        input: Input::Range(range),
        workers: 1,
        chunks: None,
        order: Some(Order::Given),
        seed: None,
        cooperation: None,
        queue: None,
        requires: Vec::new(),
        params: Vec::new(),
    })
}

impl CaseBuilder {
    /// Worker threads (or processes).
    pub fn workers(mut self, workers: usize) -> Self {
        self.0.workers = workers;
        self
    }

    /// Chunks of `size` numbers.
    pub fn chunksize(mut self, size: u64) -> Self {
        self.0.chunks = Some(ChunkPlan {
            size,
            rule: Chunking::Size(size),
        });
        self
    }

    /// The order jobs are handed out in, and the seed of a shuffle.
    pub fn order(mut self, order: Order, seed: u64) -> Self {
        self.0.order = Some(order);
        self.0.seed = Some(seed);
        self
    }

    /// The kernel the case names.
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.0.kernel = kernel;
        self
    }

    /// Where the workers run.
    pub fn executor(mut self, executor: Executor) -> Self {
        self.0.executor = Some(executor);
        self
    }

    /// How the queue of a queue or feeder case is fed.
    pub fn queue(mut self, queue: QueuePlan) -> Self {
        self.0.queue = Some(queue);
        self
    }

    /// The case.
    pub fn build(self) -> Case {
        self.0
    }
}
