//! What the coordinator and `runner worker` say to each other through
//! Redis, and where: the keys (the lobby, a worker's presence and control
//! list, a run's streams and flags), the timings both sides keep, and the
//! messages (a worker's hello, a control message with its assignment, a job
//! entry's envelope, a reply entry). Both sides share this file, and
//! neither imports the other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::flag::FlagSpec;
use crate::work::{Job, KernelSpec, Reply};

/// The consumer group every worker slot reads the jobs in.
pub const GROUP: &str = "workers";
/// The list idle workers wait in.
pub const LOBBY: &str = "runner:lobby";
/// A job left pending this long by a silent worker is claimed by another.
pub const CLAIM_IDLE: Duration = Duration::from_secs(3);
/// How often a worker refreshes its presence and its jobs in progress.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// A worker whose heartbeat stops is taken for gone after this long.
pub const PRESENCE_TTL: Duration = Duration::from_secs(5);
/// A run's keys expire this long after its coordinator's last heartbeat.
pub const RUN_TTL: Duration = Duration::from_secs(30);
/// A Redis command not answered within this fails the case.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a blocking read waits before looking around (stop, liveness).
pub const BLOCK: Duration = Duration::from_millis(500);

/// The key of a worker's presence (its hello, with a short TTL).
pub fn presence_key(worker: &str) -> String {
    format!("runner:worker:{worker}")
}

/// The list a worker reads its assignments (or its refusal) from.
pub fn control_key(worker: &str) -> String {
    format!("runner:worker:{worker}:control")
}

/// The keys of one run (one case's workers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunKeys {
    pub prefix: String,
}

impl RunKeys {
    pub fn jobs(&self) -> String {
        format!("{}:jobs", self.prefix)
    }
    pub fn replies(&self) -> String {
        format!("{}:replies", self.prefix)
    }
    /// Exists while the coordinator lives.
    pub fn alive(&self) -> String {
        format!("{}:alive", self.prefix)
    }
    /// The shared flag of one search round (see [`Envelope::round`]); it
    /// expires by itself once raised.
    pub fn flag(&self, round: u64) -> String {
        format!("{}:flag:{round}", self.prefix)
    }
    /// The lobby of the workers runner starts for this run alone
    /// (`spawn_local`): no other coordinator looks there.
    pub fn lobby(&self) -> String {
        format!("{}:lobby", self.prefix)
    }
    pub fn all(&self) -> [String; 3] {
        [self.jobs(), self.replies(), self.alive()]
    }
}

/// A worker's hello, pushed on the lobby as JSON (self-describing, so a
/// worker of another protocol can still be read and refused by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerHello {
    pub protocol: u32,
    pub runner: String,
    /// Unique among the workers: name or host, pid, and a nonce.
    pub id: String,
    pub host: String,
    /// The CPU model, for the manifest.
    #[serde(default)]
    pub machine: String,
    #[serde(default)]
    pub cores: usize,
    #[serde(default = "one")]
    pub slots: usize,
    #[serde(default)]
    pub pid: u32,
}

fn one() -> usize {
    1
}

/// What a coordinator tells a worker on its control list (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// Serve this run with `slots` slots.
    Assign(Assignment),
    /// This worker cannot serve (another protocol); it exits.
    Refused(String),
}

/// A run a worker is to serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub protocol: u32,
    pub runner: String,
    pub keys: RunKeys,
    pub slots: usize,
    pub kernel: KernelSpec,
    /// The shared flag; a Redis flag's URL is left empty and the worker
    /// uses its own (so no password travels through the server).
    pub flag: FlagSpec,
    pub claim_idle_ms: u64,
}

/// A job entry: field `j`, postcard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub seq: u64,
    /// The search round the job belongs to: a batch of jobs sent after the
    /// replies to the previous batch were read. A search uses the flag key
    /// [`RunKeys::flag`] of its round, so a late duplicate of an earlier
    /// round (a worker wrongly taken for dead) cannot raise this round's flag.
    pub round: u64,
    pub job: Job,
}

/// An entry of the replies stream: field `r`, postcard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upward {
    /// A worker's slots are ready (kernels built, flag connected).
    Ready { worker: String, slots: usize },
    /// A worker could not set up for the run.
    Failed { worker: String, why: String },
    /// A job entry served.
    Done(Done),
}

/// One job entry served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub seq: u64,
    /// The job's entry id, for the coordinator's XACK.
    pub entry: String,
    /// Whether this delivery was claimed from a silent worker.
    pub claimed: bool,
    pub reply: Option<Reply>,
}

/// Names the runs of this process apart.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// A nonce for names: the clock's nanoseconds, mixed with a counter.
pub fn nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ RUNS.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::wire::PROTOCOL;
    use crate::experiment::Kernel;

    #[test]
    fn messages_travel() {
        let envelope = Envelope {
            seq: 7,
            round: 3,
            job: Job::Queued(11),
        };
        let bytes = postcard::to_stdvec(&envelope).unwrap();
        assert_eq!(postcard::from_bytes::<Envelope>(&bytes).unwrap(), envelope);
        let up = Upward::Done(Done {
            seq: 7,
            entry: "1-0".into(),
            claimed: true,
            reply: Some(Reply::Prime(11)),
        });
        let bytes = postcard::to_stdvec(&up).unwrap();
        assert_eq!(postcard::from_bytes::<Upward>(&bytes).unwrap(), up);
        let control = Control::Assign(Assignment {
            protocol: PROTOCOL,
            runner: "x".into(),
            keys: RunKeys { prefix: "p".into() },
            slots: 2,
            kernel: KernelSpec::new(Kernel::Fast, 10),
            flag: FlagSpec::Redis {
                url: String::new(),
                key: "k".into(),
            },
            claim_idle_ms: 3000,
        });
        let text = serde_json::to_string(&control).unwrap();
        assert_eq!(serde_json::from_str::<Control>(&text).unwrap(), control);
    }

    #[test]
    fn a_hello_of_another_protocol_still_reads() {
        let text = r#"{"protocol": 99, "runner": "9.9.9", "id": "w", "future": [1]}"#;
        #[derive(Deserialize)]
        struct Peer {
            protocol: u32,
        }
        assert_eq!(serde_json::from_str::<Peer>(text).unwrap().protocol, 99);
    }
}
