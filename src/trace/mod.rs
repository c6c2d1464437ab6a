//! What every worker did during a timed repeat: one record per task (who
//! served it, how many numbers it held, when it was submitted, started,
//! finished and answered), exact per-repeat aggregates (tasks, compute,
//! dispatch and idle time), and the CPU time of the coordinator and its
//! worker processes.
//!
//! How it works:
//! - Workers stamp each task with [`crate::work::clock`] (two clock reads);
//!   the strategy stamps submissions and replies and hands each task to the
//!   [`Tracer`] ([`collect`]), which folds it into the repeat's aggregates
//!   (over every task) and keeps a bounded selection of the records.
//! - Before the timer, [`lanes`] names each worker (process, slot, host)
//!   and estimates the clock offset of workers on other hosts.
//! - After each repeat, outside the timer, worker processes are asked for
//!   their CPU time ([`crate::work::Job::Usage`]).
//! - [`files`] writes `tasks.csv`, `workers.csv` and `trace.json` from the
//!   saved records, choosing what a case keeps ([`keep`]).

pub mod collect;
pub mod files;
pub mod keep;
pub mod lanes;

pub use collect::{Traced, Tracer};
pub use lanes::Lane;

/// One task as kept: seconds from the repeat's start (when its timer
/// started); `None` where not known (a stolen span has no submission).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskRow {
    /// The task's index within the repeat (a chunk's number, a worker's
    /// number for a queue round, the order a stolen span started in).
    pub task: u64,
    /// The worker's index among the case's workers.
    pub worker: usize,
    pub numbers: u64,
    pub submitted_s: Option<f64>,
    pub started_s: f64,
    pub finished_s: f64,
    pub replied_s: Option<f64>,
    /// Time inside the kernel (a queue worker's round; for other tasks the
    /// whole of started..finished).
    pub busy_s: Option<f64>,
}

/// What one timed repeat's workers did: exact aggregates over every task,
/// CPU time, and the records kept.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatTrace {
    /// The round the repeat ran in (set by the engine).
    pub round: u32,
    /// Whether tasks were recorded (`[run] trace`); if not, only the CPU
    /// time means anything.
    pub recorded: bool,
    /// The repeat's time on the timer, seconds.
    pub seconds: f64,
    /// The workers: their process, host and clock offset.
    pub lanes: Vec<Lane>,
    /// How many workers the case has (1 for serial).
    pub workers: usize,
    /// Tasks served, every one counted.
    pub tasks: u64,
    /// Numbers in those tasks.
    pub numbers: u64,
    /// Sum over workers of the time inside tasks.
    pub compute_s: f64,
    /// Sum over workers of the gaps between one task's finish and the next
    /// one's start.
    pub dispatch_s: f64,
    /// Sum over workers of the time before their first task and after
    /// their last, within the repeat.
    pub idle_s: f64,
    /// CPU time of runner and its worker processes during the repeat
    /// (Redis workers report their own).
    pub user_s: Option<f64>,
    pub sys_s: Option<f64>,
    /// Records kept: every `every`-th task by index (1: all of them).
    pub every: u64,
    pub kept: Vec<TaskRow>,
}

impl RepeatTrace {
    /// The same without its records (the aggregates stay), once written.
    pub fn without_tasks(&self) -> RepeatTrace {
        RepeatTrace {
            kept: Vec::new(),
            ..self.clone()
        }
    }

    /// `x` as a fraction of workers x wall.
    pub fn fraction(&self, x: f64) -> Option<f64> {
        let whole = self.workers as f64 * self.seconds;
        (whole > 0.0).then(|| x / whole)
    }

    /// CPU time over workers x wall.
    pub fn cpu_util(&self) -> Option<f64> {
        self.fraction(self.user_s? + self.sys_s?)
    }
}
