//! The lobby: where a run finds its workers ([`Remote`]), and how a
//! coordinator gathers a case's worker slots there before the timer. It
//! pops hellos, refuses a worker of another protocol, skips one that is
//! gone, assigns the others and waits until each says it is ready; the
//! workers it assigned are recorded for the manifest ([`WorkersSeen`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::streams::StreamReadReply;
use serde::Deserialize;

use super::local::LocalWorkers;
use super::protocol::{
    Assignment, Control, LOBBY, RUN_TTL, Upward, WorkerHello, control_key, presence_key,
};
use super::retry::{lost, retrying, stopping};
use crate::backend::BackendError;
use crate::backend::wire;
use crate::console;
use crate::flag::redis::redis_target;
use crate::secret::redact;
use crate::work::Reply;

/// How long a case waits for its worker slots, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Where a run finds its workers: the Redis server and how many local
/// workers the coordinator starts itself; and who served.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The server (may hold a password: show it with [`redact`] only).
    pub url: String,
    /// `runner worker` processes this runner starts per case (each with
    /// one slot), so that a one-machine run needs no second command.
    pub spawn_local: usize,
    /// How long a case waits for its slots before it fails.
    pub wait: Duration,
    /// Every worker assigned to a case of the run, for the manifest.
    pub seen: WorkersSeen,
}

impl Remote {
    /// Workers behind the server at `url`, none started here, waited for
    /// as long as [`DEFAULT_WAIT`].
    pub fn at(url: &str) -> Self {
        Remote {
            url: url.to_string(),
            spawn_local: 0,
            wait: DEFAULT_WAIT,
            seen: WorkersSeen::default(),
        }
    }
}

impl Default for Remote {
    /// Workers behind the server `REDIS_URL` names (or the default one).
    fn default() -> Self {
        Remote::at(&redis_target(None).url)
    }
}

/// The workers that served some case of a run, by id: each coordinator
/// adds those it assigned, and the run's manifest takes them as it ends.
/// Clones share one list.
#[derive(Debug, Clone, Default)]
pub struct WorkersSeen(Arc<Mutex<BTreeMap<String, WorkerHello>>>);

impl WorkersSeen {
    pub(super) fn add(&self, hellos: &[WorkerHello]) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for hello in hellos {
            seen.insert(hello.id.clone(), hello.clone());
        }
    }

    /// The workers seen since the last call, in the order of their ids,
    /// forgetting them.
    pub fn take(&self) -> Vec<WorkerHello> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
            .into_values()
            .collect()
    }
}

/// The coordinator's end of the replies stream: the lobby reads the
/// workers' `Ready` on it, then the coordinator their replies.
pub(super) struct Receiving {
    pub(super) connection: redis::Connection,
    /// The last reply entry read.
    pub(super) last: String,
    /// Replies ready for `receive`.
    pub(super) ready: VecDeque<Reply>,
}

/// How long an assigned worker may take to say it is ready before the
/// coordinator looks for another (its kernel is built meanwhile).
pub const READY_WAIT: Duration = Duration::from_secs(10);

/// Pops hellos from the run's own lobby (its local workers) and the shared
/// one until `workers` slots are assigned and ready, or the wait runs out,
/// or a signal asks the run to stop (the case is then interrupted, not
/// failed: see [`INTERRUPTED`]).
pub(super) fn gather(
    connection: &mut redis::Connection,
    receiving: &mut Receiving,
    assignment: &Assignment,
    workers: usize,
    remote: &Remote,
    local: &mut LocalWorkers,
) -> Result<Vec<WorkerHello>, BackendError> {
    let shown = redact(&remote.url);
    let url = remote.url.as_str();
    let deadline = Instant::now() + remote.wait;
    // Assigned workers not yet ready, and those ready.
    let mut pending: Vec<(WorkerHello, usize, Instant)> = Vec::new();
    // Assigned workers given up on (gone, or silent too long): one that is
    // ready after all still serves, and counts.
    let mut given_up: Vec<(WorkerHello, usize, Instant)> = Vec::new();
    let mut ready: Vec<WorkerHello> = Vec::new();
    let mut ready_slots = 0;
    let mut refused: Vec<String> = Vec::new();
    let waiting = |e: &redis::RedisError| match stopping() {
        true => BackendError::Start(INTERRUPTED.into()),
        false => lost(&shown, "waiting for workers", e),
    };
    while ready_slots < workers {
        if stopping() {
            return Err(BackendError::Start(INTERRUPTED.into()));
        }
        if let Some(why) = local.failed() {
            return Err(BackendError::Start(why));
        }
        if Instant::now() > deadline {
            let refused = match refused.is_empty() {
                true => String::new(),
                false => format!("; refused: {}", refused.join("; ")),
            };
            return Err(BackendError::Start(console::one_line(&format!(
                "only {ready_slots} of {workers} worker slots were ready at {shown} within {} s \
                 ({} assigned and silent){refused}; start workers with `runner worker` \
                 (REDIS_URL set to this server) on any host, or set `spawn_local` \
                 (`--spawn-local N`) to start them here",
                remote.wait.as_secs(),
                pending.len()
            ))));
        }
        let assigned_slots = ready_slots + pending.iter().map(|p| p.1).sum::<usize>();
        if assigned_slots < workers {
            // A hello popped just as a signal cut the reply short is lost:
            // that worker waits unassigned until it is stopped.
            let popped: Option<(String, String)> = retrying(connection, url, |connection| {
                redis::cmd("BLPOP")
                    .arg(assignment.keys.lobby())
                    .arg(LOBBY)
                    .arg(0.2)
                    .query(connection)
            })
            .map_err(|e| waiting(&e))?;
            if let Some((_, text)) = popped {
                match consider(connection, url, &text, &shown)? {
                    Considered::Refused(why) => {
                        console::error(&format!("warning: {why}"));
                        refused.push(why);
                    }
                    Considered::Gone => {}
                    Considered::Welcome(hello) => {
                        let slots = hello.slots.max(1).min(workers - assigned_slots);
                        let control = Control::Assign(Assignment {
                            slots,
                            ..assignment.clone()
                        });
                        retrying(connection, url, |connection| {
                            send_control(connection, &hello.id, &control)
                        })
                        .map_err(|e| lost(&shown, "assigning a worker", &e))?;
                        pending.push((hello, slots, Instant::now()));
                    }
                }
                continue;
            }
        }
        // Hear from the assigned workers.
        let last = receiving.last.clone();
        let read: Option<StreamReadReply> =
            retrying(&mut receiving.connection, url, |connection| {
                redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(64)
                    .arg("BLOCK")
                    .arg(100)
                    .arg("STREAMS")
                    .arg(assignment.keys.replies())
                    .arg(&last)
                    .query(connection)
            })
            .map_err(|e| waiting(&e))?;
        for entry in read.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
            receiving.last = entry.id.clone();
            let Some(redis::Value::BulkString(bytes)) = entry.map.get("r") else {
                continue;
            };
            match postcard::from_bytes::<Upward>(bytes) {
                Ok(Upward::Ready { worker, .. }) => {
                    let late = given_up.iter().position(|p| p.0.id == worker);
                    if let Some(at) = pending.iter().position(|p| p.0.id == worker) {
                        let (hello, slots, _) = pending.remove(at);
                        ready_slots += slots;
                        ready.push(hello);
                    } else if let Some(at) = late {
                        let (hello, slots, _) = given_up.remove(at);
                        ready_slots += slots;
                        ready.push(hello);
                    }
                }
                Ok(Upward::Failed { worker, why }) => {
                    return Err(BackendError::Start(console::one_line(&format!(
                        "worker {worker} could not set up: {why}"
                    ))));
                }
                _ => {}
            }
        }
        // An assigned worker that went away is replaced from the lobby.
        let mut i = 0;
        while i < pending.len() {
            let silent = pending[i].2.elapsed() > READY_WAIT;
            let presence = presence_key(&pending[i].0.id);
            let present: bool = retrying(connection, url, |connection| {
                redis::cmd("EXISTS").arg(&presence).query(connection)
            })
            .map_err(|e| waiting(&e))?;
            if !present || silent {
                given_up.push(pending.remove(i));
            } else {
                i += 1;
            }
        }
    }
    Ok(ready)
}

/// Why a case did not start when a signal stopped the run while it waited
/// for its workers; the engine takes a case that failed so, before any
/// timed run, for interrupted.
pub const INTERRUPTED: &str =
    "interrupted by a signal while waiting for worker slots (the case did not start)";

/// What a hello from the lobby turned out to be.
enum Considered {
    Welcome(WorkerHello),
    Refused(String),
    /// A hello whose worker has gone since it was pushed.
    Gone,
}

/// Reads a hello: refuses one of another protocol (telling the worker),
/// and skips one whose worker is gone.
fn consider(
    connection: &mut redis::Connection,
    url: &str,
    text: &str,
    shown: &str,
) -> Result<Considered, BackendError> {
    #[derive(Deserialize)]
    struct Peer {
        protocol: u32,
        #[serde(default)]
        runner: String,
        id: String,
        #[serde(default)]
        host: String,
    }
    let Ok(peer) = serde_json::from_str::<Peer>(text) else {
        let why = format!(
            "a malformed hello in {LOBBY} was dropped: {}",
            console::one_line(&text.chars().take(80).collect::<String>())
        );
        return Ok(Considered::Refused(why));
    };
    if let Err(why) = wire::check_peer(peer.protocol, &peer.runner) {
        let control = Control::Refused(why.clone());
        retrying(connection, url, |connection| {
            send_control(connection, &peer.id, &control)
        })
        .map_err(|e| lost(shown, "refusing a worker", &e))?;
        return Ok(Considered::Refused(console::one_line(&format!(
            "worker {} on {} was refused: {why}",
            peer.id, peer.host
        ))));
    }
    let present: bool = retrying(connection, url, |connection| {
        redis::cmd("EXISTS")
            .arg(presence_key(&peer.id))
            .query(connection)
    })
    .map_err(|e| lost(shown, "waiting for workers", &e))?;
    match (present, serde_json::from_str::<WorkerHello>(text)) {
        (true, Ok(hello)) => Ok(Considered::Welcome(hello)),
        _ => Ok(Considered::Gone),
    }
}

/// Pushes `control` on a worker's control list, which expires if the
/// worker never reads it.
pub fn send_control(
    connection: &mut redis::Connection,
    worker: &str,
    control: &Control,
) -> redis::RedisResult<()> {
    let text = serde_json::to_string(control).expect("plain data");
    let key = control_key(worker);
    redis::pipe()
        .cmd("RPUSH")
        .arg(&key)
        .arg(text)
        .ignore()
        .cmd("PEXPIRE")
        .arg(&key)
        .arg(RUN_TTL.as_millis() as u64)
        .ignore()
        .query(connection)
}
