//! The workloads: how each kind of case builds its work (before the timer)
//! and checks its answer (after it).

pub mod check_cost;
pub mod command;
pub mod factor_frequency;
pub mod primes;
pub mod verify;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use self::command::requirements::CommandContext;
use crate::answer::{Answer, oracle_primes};
use crate::backend::{self, Backend, BackendError, QueueSetup, Remote, Sent};
use crate::experiment::{Case, CommandSpec, Plan};
use crate::flag::redis::{ProbeError, RedisTarget, redis_target};
use crate::flag::{Flag, FlagSpec};
use crate::outcome::WorkerCosts;
use crate::primes::{NumRange, PrimeTest};

/// What lasts from one case to the next: oracle answers and service probes.
pub struct Context {
    /// The oracle's count and checksum per range, computed once.
    oracles: HashMap<NumRange, Answer>,
    /// The Redis server the `redis` flag uses.
    pub redis: RedisTarget,
    redis_probe: Option<Result<(), ProbeError>>,
    /// Where `executor = "redis"` cases find their workers, and who served.
    pub remote: Remote,
    /// For a command workload: how its program runs.
    pub command_spec: Option<CommandSpec>,
    /// For a command workload: requirements and the spawn cost, asked once.
    pub command: CommandContext,
}

impl Context {
    /// A context for an experiment that names `redis_url` (or not).
    pub fn new(redis_url_from_file: Option<&str>) -> Self {
        let redis = redis_target(redis_url_from_file);
        Context {
            oracles: HashMap::new(),
            remote: Remote::at(&redis.url),
            redis,
            redis_probe: None,
            command_spec: None,
            command: CommandContext::default(),
        }
    }

    /// The context of a command workload that runs `spec`.
    pub fn with_command(mut self, spec: Option<CommandSpec>) -> Self {
        self.command_spec = spec;
        self
    }

    /// The context of a run whose `executor = "redis"` cases start
    /// `spawn_local` workers of their own, and wait `wait` for their slots.
    pub fn with_redis_workers(mut self, spawn_local: usize, wait: Duration) -> Self {
        self.remote.spawn_local = spawn_local;
        self.remote.wait = wait;
        self
    }

    /// The oracle's answer for the primes of `range`: a count and a
    /// checksum, streamed, never the list.
    pub fn primes_in(&mut self, range: NumRange) -> Answer {
        *self
            .oracles
            .entry(range)
            .or_insert_with(|| oracle_primes(range))
    }

    /// The context with the answer of a probe of its Redis server already
    /// made (the run command probes before it claims any folder, to refuse
    /// a wrong password before anything is written).
    pub fn with_redis_probe(mut self, probe: Option<Result<(), ProbeError>>) -> Self {
        self.redis_probe = probe;
        self
    }

    /// Whether the Redis server answers PING (asked once per run, so a
    /// dead or silent server costs one short timeout, not one per case).
    pub fn redis_available(&mut self) -> Result<(), String> {
        let target = self.redis.clone();
        self.redis_probe
            .get_or_insert_with(|| target.probe())
            .clone()
            .map_err(|e| e.to_string())
    }
}

/// A case's workers, started (before the timer), and what starting them
/// cost; `costs` adds the traffic of the runs since and a round trip.
pub(crate) struct Workers {
    pub backend: Box<dyn Backend>,
    startup: Duration,
    before: Option<Sent>,
}

impl Workers {
    /// Starts the workers of `case` (see [`backend::start`]).
    pub fn start<K: PrimeTest + Clone + 'static, F: Flag>(
        case: &Case,
        kernel: &K,
        flag: &F,
        flag_spec: &FlagSpec,
        remote: &Remote,
    ) -> Result<Workers, BackendError> {
        let clock = Instant::now();
        let queue = QueueSetup::default();
        let backend = backend::start(case, kernel, flag, flag_spec, queue, remote)?;
        Ok(Workers {
            startup: clock.elapsed(),
            before: backend.sent(),
            backend,
        })
    }

    /// What the workers cost besides the work, after the timed runs.
    pub fn costs(&self, plan: &Plan) -> WorkerCosts {
        worker_costs(self.backend.as_ref(), self.startup, self.before, plan)
    }
}

/// What a case's workers cost besides the work: `startup` (measured around
/// starting them), the traffic of the timed and warm-up runs since `before`,
/// per run, and a round trip measured now, after the timed runs.
pub(crate) fn worker_costs(
    backend: &dyn Backend,
    startup: Duration,
    before: Option<Sent>,
    plan: &Plan,
) -> WorkerCosts {
    let runs = f64::from(plan.warmup + plan.repeats).max(1.0);
    let sent = backend.sent().zip(before).map(|(after, before)| {
        (
            (after.bytes - before.bytes) as f64 / runs,
            (after.frames - before.frames) as f64 / runs,
            (after.bytes_back - before.bytes_back) as f64 / runs,
        )
    });
    WorkerCosts {
        startup_s: startup.as_secs_f64(),
        round_trip_s: backend::round_trip(backend).ok(),
        bytes_per_run: sent.map(|s| s.0),
        frames_per_run: sent.map(|s| s.1),
        bytes_back_per_run: sent.map(|s| s.2),
        redelivered: backend.redelivered(),
    }
}
