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
//!   again on a new connection ([`retry`]); a signal that stops the
//!   run while a case waits for its workers interrupts it
//!   ([`lobby::INTERRUPTED`]).
//! - Workers the coordinator starts itself (`spawn_local`) wait in the run's
//!   own lobby ([`RunKeys::lobby`]) and serve that run alone, so
//!   coordinators sharing a server never take each other's.
//!
//! The files: this one is the coordinator, the backend a case's strategy
//! talks to; [`protocol`] is what it and `runner worker` say to each other
//! (the keys and messages), shared so that neither imports the other;
//! [`lobby`] gathers a case's worker slots; [`feed`] writes the jobs;
//! [`retry`] runs the coordinator's commands; [`local`] starts and stops
//! the `spawn_local` workers; [`worker`] and [`slot`] are `runner worker`
//! itself.

pub mod feed;
pub mod lobby;
pub mod local;
pub mod protocol;
pub mod retry;
pub mod slot;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use redis::streams::StreamReadReply;

use self::feed::{Feeding, feed_jobs};
use self::lobby::{Receiving, Remote, gather};
use self::local::LocalWorkers;
use self::protocol::{
    Assignment, BLOCK, CLAIM_IDLE, Envelope, GROUP, HEARTBEAT, PRESENCE_TTL, REDIS_TIMEOUT,
    RUN_TTL, RunKeys, Upward, WorkerHello, nonce, presence_key,
};
use self::retry::{lost, retrying};
use super::wire::{self, PROTOCOL};
use super::{Backend, BackendError, Place, Sent};
use crate::console;
use crate::flag::FlagSpec;
use crate::flag::redis::connect;
use crate::secret::redact;
use crate::work::{Job, KernelSpec, Reply};

/// The coordinator's bookkeeping of the jobs in flight.
#[derive(Default)]
struct Book {
    next_seq: u64,
    /// Jobs sent and not yet answered.
    outstanding: BTreeSet<u64>,
    /// Pills answered, whose `Finished` waits for the jobs before them.
    held: BTreeMap<u64, Reply>,
    /// The current search round (see [`Envelope::round`]).
    round: u64,
    /// Whether a reply was taken since the last job was sent: the next job
    /// starts a new round.
    answered: bool,
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
                BackendError::Start(console::one_line(&format!(
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
                .spawn(move || feed_jobs(feeding, &jobs, &shared.feed_error))
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
                    Some(finished @ Reply::Finished { .. }) => {
                        _ = book.held.insert(done.seq, finished)
                    }
                    Some(reply) => receiving.ready.push_back(reply),
                    None => {}
                }
            }
            // A pill's `Finished` goes out once every job before it is answered.
            while let Some(&pill) = book.held.keys().next() {
                match book.outstanding.first() {
                    Some(&first) if first < pill => break,
                    _ => {
                        if let Some((_, finished)) = book.held.pop_first() {
                            receiving.ready.push_back(finished);
                        }
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

    /// Each assigned worker's slots in the order they were assigned.
    fn places(&self) -> Vec<Place> {
        let slots = self.assigned.iter().flat_map(|hello| {
            (0..hello.slots).map(|slot| Place {
                pid: hello.pid,
                slot: slot as u32,
                host: hello.host.clone(),
            })
        });
        slots.take(self.workers).collect()
    }

    fn asks_each_worker(&self) -> bool {
        false
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
