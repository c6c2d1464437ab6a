//! What a worker computes, apart from where it runs: jobs and replies as
//! plain serde messages ([`job`]), and the one function that serves a job
//! ([`serve`]), with the kernel chosen once from a value a message carries.

pub mod calibrate;
pub mod clock;
pub mod job;
pub mod jobs;
pub mod search;
pub mod serve;

pub use calibrate::Tuning;
pub use job::{Chunk, Job, Reply, WorkerError};
pub use jobs::Jobs;
pub(crate) use serve::with_kernel;
pub use serve::{KernelSpec, WithKernel, Worker};
