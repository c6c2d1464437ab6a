//! Workers on other hosts: `runner worker` processes reached through Redis
//! Streams with one consumer group. Redis does the delivery: one consumer
//! per job, acknowledgement, pending-entry tracking and claiming of a dead
//! consumer's work. Nothing here is a broker of runner's own.
//!
//! How it works:
//! - An idle worker pushes its hello (runner and protocol versions, host,
//!   machine, cores, slots) on the lobby list `runner:lobby` and keeps a
//!   presence key alive with a heartbeat. Starting a case, the coordinator
//!   pops hellos until it has `workers` slots: it refuses a worker of another
//!   protocol (a `Refused` on the worker's control list), skips a hello whose
//!   worker is gone, and sends the others an assignment: the run's keys, the
//!   kernel and the flag. Each worker answers `Ready` once its kernels are
//!   built, all before the timer. It waits at most [`Remote::wait`].
//! - Jobs go on the run's stream `runner:run:<id>:jobs` (`XADD`), wrapped
//!   with a sequence number, written by a feeder thread that sends those
//!   already waiting in one pipeline, so `submit` does not wait for the
//!   network; every slot of every worker reads it
//!   with `XREADGROUP` in the group `workers`, serves the job with runner's
//!   built-in kernels (nothing else: a job is data, never code), and answers
//!   every entry, a reply or not, on `runner:run:<id>:replies`. The
//!   coordinator reads the replies with `XREAD` and acknowledges each entry
//!   (`XACK`, then `XDEL`, so the stream holds only the work in flight).
//! - A worker that dies leaves its entries pending. Each slot runs
//!   `XAUTOCLAIM` once a second for entries idle longer than [`CLAIM_IDLE`],
//!   while a live worker's heartbeat keeps its own entries fresh (`XCLAIM
//!   ... JUSTID` to itself), so only a dead worker's jobs are taken over.
//!   Every job carries a sequence number unique in the case: the first reply
//!   counts, a late or duplicate one is dropped (and counted), whatever the
//!   round. Replies from claimed deliveries are counted as re-deliveries.
//! - Pills need no worker to stop reading: over Redis a pill's `Finished` is
//!   held by the coordinator until every job sent before that pill has been
//!   answered, so a round ends exactly when its work is done even if the
//!   worker that took a pill died. Start tokens are therefore not sent.
//! - The coordinator refreshes a TTL of [`RUN_TTL`] on every key of the run
//!   twice a second and deletes them all when the case ends, so a run whose
//!   coordinator dies leaves nothing behind for long; one stopped (SIGSTOP)
//!   for longer finds its keys expired and says so. Every Redis command
//!   gives up after [`REDIS_TIMEOUT`]: a server that stops or restarts
//!   mid-case fails the case within that bound, with a message, and the
//!   next case is tried. A command cut short by a signal (EINTR) is tried
//!   again on a new connection ([`interrupted`]); a signal that stops the
//!   run while a case waits for its workers interrupts it ([`INTERRUPTED`]).
//! - Workers the coordinator starts itself (`spawn_local`) wait in the run's
//!   own lobby ([`RunKeys::lobby`]) and serve that run alone, so
//!   coordinators sharing a server never take each other's.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use redis::streams::StreamReadReply;
use serde::{Deserialize, Serialize};

use super::wire::{self, PROTOCOL};
use super::{Backend, BackendError, Sent};
use crate::flag::FlagSpec;
use crate::flag::redis::{connect, interrupted, redis_target, refusal};
use crate::ipc;
use crate::secret::redact;
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
/// How long an assigned worker may take to say it is ready before the
/// coordinator looks for another (its kernel is built meanwhile).
pub const READY_WAIT: Duration = Duration::from_secs(10);
/// How long a case waits for its worker slots, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

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
    fn add(&self, hellos: &[WorkerHello]) {
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

/// Names the runs of this process apart.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// A nonce for names: the clock's nanoseconds, mixed with a counter.
pub fn nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ RUNS.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

/// The coordinator's bookkeeping of the jobs in flight.
#[derive(Default)]
struct Book {
    next_seq: u64,
    /// Jobs sent and not yet answered.
    outstanding: BTreeSet<u64>,
    /// Pills answered, whose `Finished` waits for the jobs before them.
    held: BTreeSet<u64>,
    /// The current search round (see [`Envelope::round`]).
    round: u64,
    /// Whether a reply was taken since the last job was sent: the next job
    /// starts a new round.
    answered: bool,
}

/// The coordinator's end of the replies stream.
struct Receiving {
    connection: redis::Connection,
    /// The last reply entry read.
    last: String,
    /// Replies ready for `receive`.
    ready: VecDeque<Reply>,
}

/// Counters shared with the heartbeat thread.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// Assigned workers whose presence key still exists.
    live: AtomicUsize,
    bytes_sent: AtomicU64,
    frames_sent: AtomicU64,
    /// Bytes of the reply entries read.
    bytes_back: AtomicU64,
    redelivered: AtomicU64,
    duplicates: AtomicU64,
    /// Why the feeder thread stopped writing jobs, if it did.
    feed_error: Mutex<Option<BackendError>>,
    /// Why the heartbeat found the run's keys gone, if it did.
    keys_gone: Mutex<Option<String>>,
}

impl Shared {
    fn feed_error(&self) -> Option<BackendError> {
        self.feed_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    fn keys_gone(&self) -> Option<String> {
        self.keys_gone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A case's workers behind Redis; the run's keys are deleted (and local
/// workers stopped) when this is dropped.
pub struct RedisStreams {
    keys: RunKeys,
    /// The server (may hold a password: never shown), to connect again.
    url: String,
    /// The server, password redacted, for messages.
    shown: String,
    workers: usize,
    /// Job entries for the feeder thread, which writes them to the stream.
    feed: Option<crossbeam_channel::Sender<Vec<u8>>>,
    feeder: Option<JoinHandle<()>>,
    /// For setting up and deleting the run's keys.
    control: Mutex<redis::Connection>,
    receiving: Mutex<Receiving>,
    book: Mutex<Book>,
    shared: Arc<Shared>,
    heartbeat: Option<JoinHandle<()>>,
    assigned: Vec<WorkerHello>,
    local: LocalWorkers,
}

/// What could not be done with Redis, as a backend error.
fn lost(shown: &str, what: &str, e: &redis::RedisError) -> BackendError {
    if let Some(refusal) = refusal(e) {
        return BackendError::Gone(crate::console::one_line(&format!(
            "Redis at {shown} refused a command while {what}: {e}; {}",
            refusal.help("REDIS_URL")
        )));
    }
    BackendError::Gone(crate::console::one_line(&format!(
        "lost Redis at {shown} while {what}: {e}; the case fails (a command waits at most {} s)",
        REDIS_TIMEOUT.as_secs()
    )))
}

/// Runs `command` on `connection`; one cut short by a signal (see
/// [`interrupted`]) is run again on a new connection. Every command retried
/// so is safe to run twice: reads from a position, acknowledgements,
/// deletions, and job entries, whose duplicates the sequence numbers drop.
fn retrying<T>(
    connection: &mut redis::Connection,
    url: &str,
    mut command: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
) -> redis::RedisResult<T> {
    let mut tries = 0;
    loop {
        match command(connection) {
            Err(e) if interrupted(&e) && tries < 10 => {}
            other => return other,
        }
        tries += 1;
        match connect(url, REDIS_TIMEOUT) {
            Ok(fresh) => *connection = fresh,
            Err(e) if interrupted(&e) && tries < 10 => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether a signal asked the run to stop (the coordinator's own flag).
fn stopping() -> bool {
    crate::signals::stop_flag().load(Ordering::SeqCst)
}

impl RedisStreams {
    /// Creates the run's keys, starts the `spawn_local` workers `remote`
    /// asks for, and waits until `workers` slots are assigned and ready.
    pub fn start(
        workers: usize,
        kernel: KernelSpec,
        flag: &FlagSpec,
        remote: &Remote,
    ) -> Result<RedisStreams, BackendError> {
        let shown = redact(&remote.url);
        let flag = match flag {
            FlagSpec::None => FlagSpec::None,
            FlagSpec::Redis { key, .. } => FlagSpec::Redis {
                url: String::new(),
                key: key.clone(),
            },
            other => {
                return Err(BackendError::Start(format!(
                    "the `{}` flag lives on this host; workers behind Redis can only share the \
                     `redis` flag (or none): use `flag = \"redis\"` with `executor = \"redis\"`",
                    other.kind()
                )));
            }
        };
        let open = |what: &str| {
            connect(&remote.url, REDIS_TIMEOUT).map_err(|e| {
                BackendError::Start(crate::console::one_line(&format!(
                    "cannot reach Redis at {shown} to {what}: {e}; start a server, or point \
                     `redis_url` in [workload] (or REDIS_URL) at one"
                )))
            })
        };
        let mut connection = open("start the workers")?;
        let keys = RunKeys {
            prefix: format!("runner:run:{}-{:x}", std::process::id(), nonce()),
        };
        // From here on, dropping `cleanup` deletes the keys.
        let mut cleanup = Cleanup {
            url: remote.url.clone(),
            keys: Some(keys.clone()),
            local: LocalWorkers::default(),
        };
        let ttl = RUN_TTL.as_millis() as u64;
        redis::pipe()
            .cmd("XGROUP")
            .arg("CREATE")
            .arg(keys.jobs())
            .arg(GROUP)
            .arg("$")
            .arg("MKSTREAM")
            .ignore()
            .cmd("XADD")
            .arg(keys.replies())
            .arg("*")
            .arg("open")
            .arg(1)
            .ignore()
            .cmd("SET")
            .arg(keys.alive())
            .arg(1)
            .arg("PX")
            .arg(ttl)
            .ignore()
            .cmd("PEXPIRE")
            .arg(keys.jobs())
            .arg(ttl)
            .ignore()
            .cmd("PEXPIRE")
            .arg(keys.replies())
            .arg(ttl)
            .ignore()
            .query::<()>(&mut connection)
            .map_err(|e| lost(&shown, "creating the run's streams", &e))?;
        cleanup.local = LocalWorkers::spawn(remote.spawn_local, &remote.url, &keys)?;
        let assignment = Assignment {
            protocol: PROTOCOL,
            runner: env!("CARGO_PKG_VERSION").to_string(),
            keys: keys.clone(),
            slots: 0,
            kernel,
            flag,
            claim_idle_ms: CLAIM_IDLE.as_millis() as u64,
        };
        let mut receiving = Receiving {
            connection: open("read the replies")?,
            // Entries other than replies (the one that made the stream) are skipped.
            last: "0-0".to_string(),
            ready: VecDeque::new(),
        };
        let assigned = gather(
            &mut connection,
            &mut receiving,
            &assignment,
            workers,
            remote,
            &mut cleanup.local,
        )?;
        remote.seen.add(&assigned);
        let shared = Arc::new(Shared {
            live: AtomicUsize::new(assigned.len()),
            ..Shared::default()
        });
        let heartbeat = {
            let beat = Heartbeat {
                connection: open("keep the run alive")?,
                url: remote.url.clone(),
                keys: keys.clone(),
                presences: assigned.iter().map(|h| presence_key(&h.id)).collect(),
                shared: Arc::clone(&shared),
            };
            thread::Builder::new()
                .name("redis-heartbeat".into())
                .spawn(move || beat.run())
                .map_err(|e| BackendError::Start(format!("cannot start a thread: {e}")))?
        };
        let (feed, jobs) = crossbeam_channel::unbounded();
        let feeder = {
            let feeding = Feeding {
                connection: open("send jobs")?,
                url: remote.url.clone(),
                key: keys.jobs(),
                shown: shown.clone(),
            };
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("redis-feeder".into())
                .spawn(move || feed_jobs(feeding, &jobs, &shared))
                .map_err(|e| BackendError::Start(format!("cannot start a thread: {e}")))?
        };
        let local = std::mem::take(&mut cleanup.local);
        cleanup.keys = None;
        Ok(RedisStreams {
            keys,
            url: remote.url.clone(),
            shown,
            workers,
            feed: Some(feed),
            feeder: Some(feeder),
            control: Mutex::new(connection),
            receiving: Mutex::new(receiving),
            book: Mutex::new(Book::default()),
            shared,
            heartbeat: Some(heartbeat),
            assigned,
            local,
        })
    }

    /// The workers serving this case.
    pub fn assigned(&self) -> &[WorkerHello] {
        &self.assigned
    }

    /// Reads what replies have come, acknowledging their job entries;
    /// waits at most [`BLOCK`].
    fn read_replies(&self, receiving: &mut Receiving) -> Result<bool, BackendError> {
        let last = receiving.last.clone();
        let read: Option<StreamReadReply> =
            retrying(&mut receiving.connection, &self.url, |connection| {
                redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(512)
                    .arg("BLOCK")
                    .arg(BLOCK.as_millis() as u64)
                    .arg("STREAMS")
                    .arg(self.keys.replies())
                    .arg(&last)
                    .query(connection)
            })
            .map_err(|e| lost(&self.shown, "reading the replies", &e))?;
        let entries: Vec<_> = read
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        if entries.is_empty() {
            return Ok(false);
        }
        let mut acks = Vec::new();
        let mut read_ids = Vec::new();
        {
            let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
            for entry in entries {
                receiving.last = entry.id.clone();
                read_ids.push(entry.id.clone());
                let Some(redis::Value::BulkString(bytes)) = entry.map.get("r") else {
                    continue;
                };
                let Ok(up) = postcard::from_bytes::<Upward>(bytes) else {
                    continue;
                };
                self.shared
                    .bytes_back
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let Upward::Done(done) = up else { continue };
                acks.push(done.entry.clone());
                if !book.outstanding.remove(&done.seq) {
                    self.shared.duplicates.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if done.claimed {
                    self.shared.redelivered.fetch_add(1, Ordering::Relaxed);
                }
                match done.reply {
                    Some(Reply::Finished) => _ = book.held.insert(done.seq),
                    Some(reply) => receiving.ready.push_back(reply),
                    None => {}
                }
            }
            // A pill's `Finished` goes out once every job before it is answered.
            while let Some(&pill) = book.held.first() {
                match book.outstanding.first() {
                    Some(&first) if first < pill => break,
                    _ => {
                        book.held.pop_first();
                        receiving.ready.push_back(Reply::Finished);
                    }
                }
            }
        }
        let mut pipe = redis::pipe();
        if !acks.is_empty() {
            pipe.cmd("XACK")
                .arg(self.keys.jobs())
                .arg(GROUP)
                .arg(&acks)
                .ignore();
            pipe.cmd("XDEL").arg(self.keys.jobs()).arg(&acks).ignore();
        }
        pipe.cmd("XDEL")
            .arg(self.keys.replies())
            .arg(&read_ids)
            .ignore();
        retrying(&mut receiving.connection, &self.url, |connection| {
            pipe.query::<()>(connection)
        })
        .map_err(|e| lost(&self.shown, "acknowledging replies", &e))?;
        Ok(true)
    }

    /// Jobs re-delivered to another worker after their first worker fell
    /// silent, so far.
    pub fn redelivered(&self) -> u64 {
        self.shared.redelivered.load(Ordering::Relaxed)
    }
}

/// Pops hellos from the run's own lobby (its local workers) and the shared
/// one until `workers` slots are assigned and ready, or the wait runs out,
/// or a signal asks the run to stop (the case is then interrupted, not
/// failed: see [`INTERRUPTED`]).
fn gather(
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
            return Err(BackendError::Start(crate::console::one_line(&format!(
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
                        crate::console::error(&format!("warning: {why}"));
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
                    return Err(BackendError::Start(crate::console::one_line(&format!(
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
            crate::console::one_line(&text.chars().take(80).collect::<String>())
        );
        return Ok(Considered::Refused(why));
    };
    if let Err(why) = wire::check_peer(peer.protocol, &peer.runner) {
        let control = Control::Refused(why.clone());
        retrying(connection, url, |connection| {
            send_control(connection, &peer.id, &control)
        })
        .map_err(|e| lost(shown, "refusing a worker", &e))?;
        return Ok(Considered::Refused(crate::console::one_line(&format!(
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

/// The coordinator's heartbeat: keeps the run's keys alive, counts the
/// assigned workers still present, and finds out when the keys are gone
/// (they expired while the coordinator was stopped, or someone deleted them).
struct Heartbeat {
    connection: redis::Connection,
    url: String,
    keys: RunKeys,
    presences: Vec<String>,
    shared: Arc<Shared>,
}

impl Heartbeat {
    fn run(mut self) {
        let ttl = RUN_TTL.as_millis() as u64;
        let mut last_beat = Instant::now();
        while !self.shared.stop.load(Ordering::Relaxed) {
            let mut pipe = redis::pipe();
            // PEXPIRE, not SET: a key that expired must stay gone, and says so.
            for key in self.keys.all() {
                pipe.cmd("PEXPIRE").arg(key).arg(ttl);
            }
            for presence in &self.presences {
                pipe.cmd("EXISTS").arg(presence);
            }
            let answers = retrying(&mut self.connection, &self.url, |connection| {
                pipe.query::<Vec<bool>>(connection)
            });
            let Ok(answers) = answers else {
                return; // `receive` reports the lost server
            };
            let (kept, present) = answers.split_at(self.keys.all().len().min(answers.len()));
            if kept.iter().any(|&kept| !kept) {
                let gap = last_beat.elapsed();
                let why = match gap > RUN_TTL {
                    true => format!(
                        "the run's keys expired while the coordinator was stopped for {} s (they \
                         live {} s without its heartbeat), and its workers left; do not stop a \
                         coordinator (SIGSTOP, Ctrl-Z, a suspended machine) for that long",
                        gap.as_secs(),
                        RUN_TTL.as_secs()
                    ),
                    false => "the run's keys vanished from Redis (deleted by someone else, or \
                              the server restarted without them), and its workers left"
                        .to_string(),
                };
                *self
                    .shared
                    .keys_gone
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(why);
                return;
            }
            let live = present.iter().filter(|&&p| p).count();
            self.shared.live.store(live, Ordering::Relaxed);
            last_beat = Instant::now();
            while last_beat.elapsed() < HEARTBEAT && !self.shared.stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Backend for RedisStreams {
    fn workers(&self) -> usize {
        self.workers
    }

    fn submit(&self, job: Job) -> Result<(), BackendError> {
        // Pills are held by the coordinator (see the module's notes), so no
        // worker needs a start token.
        if job == Job::Start {
            return Ok(());
        }
        if job.numbers() > wire::MAX_TASK_NUMBERS {
            return Err(BackendError::TooLarge(job.numbers()));
        }
        let (seq, round) = {
            let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
            book.next_seq += 1;
            let seq = book.next_seq;
            book.outstanding.insert(seq);
            if book.answered || book.round == 0 {
                book.round += 1;
                book.answered = false;
            }
            (seq, book.round)
        };
        let entry = postcard::to_stdvec(&Envelope { seq, round, job })
            .map_err(|e| BackendError::Gone(format!("cannot encode a job: {e}")))?;
        let bytes = entry.len() as u64;
        let feed = self.feed.as_ref().expect("open until dropped");
        if feed.send(entry).is_err() {
            let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
            book.outstanding.remove(&seq);
            return Err(self.shared.feed_error().unwrap_or_else(|| {
                BackendError::Gone("the thread sending jobs to Redis stopped".into())
            }));
        }
        self.shared.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
        self.shared.frames_sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// No job over Redis needs one worker in particular: it goes on the
    /// shared stream (a start token is not sent at all).
    fn submit_to(&self, _worker: usize, job: Job) -> Result<(), BackendError> {
        self.submit(job)
    }

    fn receive(&self) -> Result<Reply, BackendError> {
        let mut receiving = self
            .receiving
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(reply) = receiving.ready.pop_front() {
                self.book
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .answered = true;
                return Ok(reply);
            }
            if self.read_replies(&mut receiving)? {
                continue;
            }
            if let Some(e) = self.shared.feed_error() {
                return Err(e);
            }
            if let Some(why) = self.shared.keys_gone() {
                return Err(BackendError::Gone(why));
            }
            if self.shared.live.load(Ordering::Relaxed) == 0 {
                let names: Vec<_> = self
                    .assigned
                    .iter()
                    .map(|h| format!("{} on {}", h.id, h.host))
                    .collect();
                return Err(BackendError::Gone(format!(
                    "every worker of this case has gone silent (no heartbeat for {} s): {}",
                    PRESENCE_TTL.as_secs(),
                    names.join(", ")
                )));
            }
        }
    }

    fn sent(&self) -> Option<Sent> {
        Some(Sent {
            bytes: self.shared.bytes_sent.load(Ordering::Relaxed),
            frames: self.shared.frames_sent.load(Ordering::Relaxed),
            bytes_back: self.shared.bytes_back.load(Ordering::Relaxed),
        })
    }

    fn redelivered(&self) -> Option<u64> {
        Some(self.redelivered())
    }
}

impl Drop for RedisStreams {
    fn drop(&mut self) {
        drop(self.feed.take());
        if let Some(feeder) = self.feeder.take() {
            let _ = feeder.join();
        }
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(heartbeat) = self.heartbeat.take() {
            let _ = heartbeat.join();
        }
        let mut control = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        delete_run(&mut control, &self.keys);
        let rounds = self
            .book
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .round;
        delete_flags(&mut control, &self.keys, rounds);
        drop(control);
        self.local.stop(&self.url);
    }
}

/// The most job entries the feeder writes in one round trip.
const FEED_BATCH: usize = 1024;

/// Where the feeder thread writes.
struct Feeding {
    connection: redis::Connection,
    url: String,
    /// The run's jobs stream.
    key: String,
    /// The server, password redacted, for messages.
    shown: String,
}

/// The feeder thread: writes the job entries waiting in `jobs` to the
/// stream, those already waiting in one pipeline (one round trip to the
/// server for many jobs, as the processes backend's feeder gathers frames
/// into one write), so `submit` never waits for the network. A stream that
/// is gone (the run's keys expired) is not made again (`NOMKSTREAM`).
fn feed_jobs(mut feeding: Feeding, jobs: &crossbeam_channel::Receiver<Vec<u8>>, shared: &Shared) {
    while let Ok(first) = jobs.recv() {
        let mut pipe = redis::pipe();
        let mut next = Some(first);
        let mut n = 0;
        while let Some(entry) = next.take() {
            pipe.cmd("XADD")
                .arg(&feeding.key)
                .arg("NOMKSTREAM")
                .arg("*")
                .arg("j")
                .arg(entry)
                .ignore();
            n += 1;
            if n < FEED_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        let sent = retrying(&mut feeding.connection, &feeding.url, |connection| {
            pipe.query::<()>(connection)
        });
        if let Err(e) = sent {
            *shared
                .feed_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) =
                Some(lost(&feeding.shown, "sending jobs", &e));
            return;
        }
    }
}

/// Deletes the flag keys of a run's `rounds` search rounds, a thousand a
/// command. Best effort: a flag raised later (or left by a lost server)
/// expires by itself.
fn delete_flags(connection: &mut redis::Connection, keys: &RunKeys, rounds: u64) {
    let mut round = 1;
    while round <= rounds {
        let last = rounds.min(round + 999);
        let names: Vec<String> = (round..=last).map(|r| keys.flag(r)).collect();
        if redis::cmd("DEL")
            .arg(&names)
            .query::<()>(connection)
            .is_err()
        {
            return;
        }
        round = last + 1;
    }
}

/// Deletes a run's keys (and its own lobby); the workers see their streams
/// vanish and go back to the lobby. Best effort: a lost server's keys
/// expire by themselves.
fn delete_run(connection: &mut redis::Connection, keys: &RunKeys) {
    let _ = redis::cmd("DEL")
        .arg(&keys.all()[..])
        .arg(keys.lobby())
        .query::<()>(connection);
}

/// Deletes the keys of a run that did not start, and stops its local workers.
struct Cleanup {
    url: String,
    keys: Option<RunKeys>,
    local: LocalWorkers,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(keys) = &self.keys
            && let Ok(mut connection) = connect(&self.url, REDIS_TIMEOUT)
        {
            delete_run(&mut connection, keys);
        }
        self.local.stop(&self.url);
    }
}

/// `runner worker` processes this runner started for a case.
#[derive(Default)]
struct LocalWorkers {
    children: Vec<(String, Child)>,
    /// The run's own lobby, where they wait.
    lobby: String,
}

impl LocalWorkers {
    /// Starts `n` workers of one slot each for the run of `keys` alone
    /// (they wait in its own lobby, serve no other run, and exit when it is
    /// over: a coordinator running beside this one cannot take them), with
    /// the parent-death signal, the URL passed in the environment (never on
    /// a command line).
    fn spawn(n: usize, url: &str, keys: &RunKeys) -> Result<LocalWorkers, BackendError> {
        let mut local = LocalWorkers {
            children: Vec::new(),
            lobby: keys.lobby(),
        };
        if n == 0 {
            return Ok(local);
        }
        let program = super::processes::worker_program()
            .map_err(|e| BackendError::Start(format!("cannot find the runner program: {e}")))?;
        for i in 0..n {
            let name = format!(
                "local{i}-{}-{:x}",
                std::process::id(),
                nonce() & 0xffff_ffff
            );
            let child = ipc::spawn_self(&program, "worker", libc::SIGKILL, |command| {
                // A process group of its own: a Ctrl-C at the terminal stops
                // the coordinator after the current repeat, which then stops
                // its workers, instead of killing them mid-repeat.
                command
                    .process_group(0)
                    .args(["--slots", "1", "--id", &name])
                    .args(["--run", &keys.prefix])
                    .env("REDIS_URL", url)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit());
            })
            .map_err(|e| BackendError::Start(format!("cannot start a local worker: {e}")))?;
            local.children.push((name, child));
        }
        Ok(local)
    }

    /// Why a local worker exited early, if one did.
    fn failed(&mut self) -> Option<String> {
        self.children.iter_mut().find_map(|(name, child)| {
            match child.try_wait() {
                Ok(Some(status)) => Some(format!(
                    "local worker {name} exited before it was ready ({status}); its message is above"
                )),
                _ => None,
            }
        })
    }

    /// Stops every local worker (SIGTERM, then SIGKILL after 3 s) and
    /// removes whatever a killed one left in the lobby.
    fn stop(&mut self, url: &str) {
        if self.children.is_empty() {
            return;
        }
        for (_, child) in &self.children {
            // SAFETY: signalling our own child, which we have not reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut killed = Vec::new();
        for (name, child) in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                killed.push(name.clone());
            }
            let _ = child.wait();
        }
        self.children.clear();
        if !killed.is_empty()
            && let Ok(mut connection) = connect(url, REDIS_TIMEOUT)
        {
            forget_workers(&mut connection, &killed, &[LOBBY, &self.lobby]);
        }
    }
}

/// Removes the entries in `lobbies`, presence and control keys of workers
/// that were killed (best effort).
pub fn forget_workers(connection: &mut redis::Connection, ids: &[String], lobbies: &[&str]) {
    for lobby in lobbies {
        let entries: Vec<String> = redis::cmd("LRANGE")
            .arg(lobby)
            .arg(0)
            .arg(-1)
            .query(connection)
            .unwrap_or_default();
        for entry in entries {
            let of_them = serde_json::from_str::<WorkerHello>(&entry)
                .is_ok_and(|hello| ids.contains(&hello.id));
            if of_them {
                let _ = redis::cmd("LREM")
                    .arg(lobby)
                    .arg(0)
                    .arg(&entry)
                    .query::<()>(connection);
            }
        }
    }
    for id in ids {
        let _ = redis::cmd("DEL")
            .arg(presence_key(id))
            .arg(control_key(id))
            .query::<()>(connection);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            kernel: KernelSpec::new(crate::experiment::Kernel::Fast, 10),
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
