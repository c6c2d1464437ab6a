//! `runner worker`: serve the jobs of `executor = "redis"` runs (see
//! [`crate::backend::redis::worker`]).

use std::process::ExitCode;

use crate::backend::redis::worker::{self, WorkerOptions};
use crate::cli::WorkerArgs;
use crate::flag::redis::redis_target;

/// Runs a worker until it is stopped; its exit status says how it ended.
pub fn worker(args: &WorkerArgs) -> ExitCode {
    let url = args.redis.clone().unwrap_or_else(|| redis_target(None).url);
    worker::main(WorkerOptions {
        url,
        slots: args.slots as usize,
        name: args.name.clone(),
        id: args.id.clone(),
        run: args.run.clone(),
    })
}
