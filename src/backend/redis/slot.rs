//! One slot of a `runner worker` in a run: it reads the run's job stream
//! with `XREADGROUP` in the group `workers`, claims with `XAUTOCLAIM` what a
//! silent worker left pending, serves each job with runner's built-in
//! kernels and answers every entry on the replies stream. Also what the
//! slots share with the worker's heartbeat: the jobs they serve now.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::streams::{StreamAutoClaimReply, StreamReadReply};

use super::protocol::{Assignment, BLOCK, Done, Envelope, GROUP, REDIS_TIMEOUT, Upward};
use crate::backend::wire;
use crate::console;
use crate::flag::redis::{connect, connection_failed, interrupted};
use crate::flag::{Flag, FlagError, FlagSpec, with_flag};
use crate::primes::PrimeTest;
use crate::work::{Chunk, Job, Reply, Worker, WorkerError, with_kernel};

/// A stranger's text as a message shows it: on one line, escaped, cut.
pub(super) fn shown(text: &str) -> String {
    const MOST: usize = 120;
    let cut: String = text.chars().take(MOST).collect();
    let more = match text.chars().count() > MOST {
        true => "...",
        false => "",
    };
    format!("{}{more}", console::one_line(&cut))
}

/// The jobs each slot is serving now, which the heartbeat keeps fresh.
pub(super) struct InProgress {
    pub(super) jobs: String,
    /// Per slot: its consumer name and the entry it serves, if any.
    pub(super) slots: Vec<(String, Option<String>)>,
}

/// What the slots and the heartbeat share.
pub(super) struct Common {
    pub(super) stop: Arc<AtomicBool>,
    /// Set when a slot or the heartbeat loses Redis.
    pub(super) lost: Mutex<Option<String>>,
    pub(super) serving: Mutex<Option<InProgress>>,
}

impl Common {
    pub(super) fn lose(&self, what: &str, e: &dyn std::fmt::Display) {
        // A signal interrupts a blocking read: that is a stop, not a loss.
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut lost = self.lost.lock().unwrap_or_else(PoisonError::into_inner);
        lost.get_or_insert_with(|| format!("{what}: {e}"));
        self.stop.store(true, Ordering::Relaxed);
    }
    pub(super) fn lost(&self) -> Option<String> {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Adds `up` to the replies stream unless the stream is gone (the run
/// ended: a reply must not re-create a key nobody will delete). Whether it
/// was added.
pub(super) fn add_reply(
    connection: &mut redis::Connection,
    replies: &str,
    up: &Upward,
) -> redis::RedisResult<bool> {
    let bytes = postcard::to_stdvec(up).expect("plain data");
    let id: Option<String> = redis::cmd("XADD")
        .arg(replies)
        .arg("NOMKSTREAM")
        .arg("*")
        .arg("r")
        .arg(bytes)
        .query(connection)?;
    Ok(id.is_some())
}

/// One slot of a worker in a run.
pub(super) struct Slot {
    pub(super) url: String,
    pub(super) consumer: String,
    pub(super) index: usize,
    pub(super) assignment: Assignment,
    pub(super) common: Arc<Common>,
    pub(super) run_over: Arc<AtomicBool>,
    pub(super) ready: crossbeam_channel::Sender<Result<(), String>>,
}

/// Connects the slot's flag and builds its kernel, then serves the slot;
/// the error of connecting the flag, if it cannot.
pub(super) fn run(slot: Slot, flag: &FlagSpec) -> Result<(), FlagError> {
    let kernel = slot.assignment.kernel;
    let index = slot.index as u32;
    with_flag!(flag, flag => with_kernel!(kernel, kernel => serve_with(slot, Worker::new(kernel, flag, index))))
}

/// Serves the slot's jobs with its worker (kernel and flag ready) until the
/// run ends or the server is lost.
fn serve_with<K: PrimeTest, F: Flag>(slot: Slot, mut worker: Worker<K, F>) {
    let mut connection = match connect(&slot.url, REDIS_TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            let _ = slot.ready.send(Err(format!("cannot reach Redis: {e}")));
            return;
        }
    };
    let _ = slot.ready.send(Ok(()));
    loop {
        match serve_slot(&slot, &mut connection, &mut worker) {
            Ok(()) => break,
            Err(e) if interrupted(&e) => match connect(&slot.url, REDIS_TIMEOUT) {
                Ok(c) => connection = c,
                Err(e) => break slot.common.lose("serving jobs", &e),
            },
            Err(e) if connection_failed(&e) => break slot.common.lose("serving jobs", &e),
            // A command the server refused (the run's keys are of
            // another type, or gone): the run is over for this worker.
            Err(e) => {
                if !run_gone(&e) && !slot.run_over.swap(true, Ordering::Relaxed) {
                    console::error(&console::one_line(&format!(
                        "runner worker {}: left run {}, whose keys are not a run's: {e}",
                        slot.consumer,
                        shown(&slot.assignment.keys.prefix)
                    )));
                }
                slot.run_over.store(true, Ordering::Relaxed);
                break;
            }
        }
    }
}

/// Whether a Redis error says the run's stream or group is gone.
fn run_gone(e: &redis::RedisError) -> bool {
    matches!(e.code(), Some("NOGROUP" | "UNBLOCKED"))
}

/// Serves the run's jobs until it ends; an error is a failed command.
fn serve_slot<K: PrimeTest, F: Flag>(
    slot: &Slot,
    connection: &mut redis::Connection,
    worker: &mut Worker<K, F>,
) -> Result<(), redis::RedisError> {
    let keys = &slot.assignment.keys;
    let (jobs, replies) = (keys.jobs(), keys.replies());
    let claim_every = Duration::from_secs(1);
    let mut last_claim = Instant::now();
    let mut last_look = Instant::now();
    loop {
        if slot.common.stop.load(Ordering::Relaxed) || slot.run_over.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut delivered = None;
        if last_claim.elapsed() >= claim_every {
            last_claim = Instant::now();
            let claimed: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&jobs)
                .arg(GROUP)
                .arg(&slot.consumer)
                .arg(slot.assignment.claim_idle_ms)
                .arg("0-0")
                .arg("COUNT")
                .arg(1)
                .query(connection)?;
            delivered = claimed.claimed.into_iter().next().map(|e| (e, true));
        }
        if delivered.is_none() {
            let read: Option<StreamReadReply> = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg(GROUP)
                .arg(&slot.consumer)
                .arg("COUNT")
                .arg(1)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&jobs)
                .arg(">")
                .query(connection)?;
            delivered = read
                .into_iter()
                .flat_map(|r| r.keys)
                .flat_map(|k| k.ids)
                .next()
                .map(|e| (e, false));
        }
        let Some((entry, claimed)) = delivered else {
            // Idle: is the run still on? (Its coordinator may have died.)
            if last_look.elapsed() >= claim_every {
                last_look = Instant::now();
                let alive: bool = redis::cmd("EXISTS").arg(keys.alive()).query(connection)?;
                if !alive {
                    slot.run_over.store(true, Ordering::Relaxed);
                    return Ok(());
                }
            }
            continue;
        };
        set_serving(&slot.common, slot.index, Some(entry.id.clone()));
        let (seq, reply) = match entry.map.get("j") {
            Some(redis::Value::BulkString(bytes)) if bytes.len() > wire::MAX_FRAME => (
                0,
                Some(malformed(&format!(
                    "{} bytes, more than the {} MiB a job may take",
                    bytes.len(),
                    wire::MAX_FRAME >> 20
                ))),
            ),
            Some(redis::Value::BulkString(bytes)) => {
                match postcard::from_bytes::<Envelope>(bytes) {
                    Ok(Envelope { seq, job, .. }) if numbers(&job) > MAX_JOB_NUMBERS => (
                        seq,
                        Some(malformed(&format!(
                            "a job of {} numbers, more than the {MAX_JOB_NUMBERS} a coordinator \
                             may send",
                            numbers(&job)
                        ))),
                    ),
                    Ok(Envelope { seq, round, job }) => {
                        // Each round's search raises a flag of its own, so
                        // a late duplicate of an earlier round is harmless.
                        worker.flag.rekey(&keys.flag(round));
                        (seq, serve(worker, job))
                    }
                    Err(e) => (0, Some(malformed(&e))),
                }
            }
            _ => (0, Some(malformed(&"no field `j`"))),
        };
        let done = Upward::Done(Done {
            seq,
            entry: entry.id.clone(),
            claimed,
            reply,
        });
        let added = add_reply(connection, &replies, &done);
        set_serving(&slot.common, slot.index, None);
        if !added? {
            return Ok(()); // the run ended meanwhile
        }
    }
}

/// The most numbers a worker serves in one job: what a coordinator may send.
const MAX_JOB_NUMBERS: u64 = wire::MAX_TASK_NUMBERS as u64;

/// How many numbers `job` carries, without overflow for a stranger's
/// reversed range (which holds none).
fn numbers(job: &Job) -> u64 {
    match job {
        Job::Primes { numbers, .. } | Job::Factors { numbers, .. } => match numbers {
            Chunk::Range { start, end } => end.saturating_sub(*start),
            Chunk::List(list) => list.len() as u64,
            Chunk::Span { span, .. } => span.len() as u64,
        },
        _ => 1,
    }
}

/// Serves one built-in job.
fn serve<K: PrimeTest, F: Flag>(worker: &mut Worker<K, F>, job: Job) -> Option<Reply> {
    worker.serve(job)
}

fn malformed(e: &dyn std::fmt::Display) -> Reply {
    Reply::Failed(WorkerError::Panicked(format!(
        "a malformed job entry (another runner build?): {e}"
    )))
}

fn set_serving(common: &Common, slot: usize, entry: Option<String>) {
    if let Some(serving) = common
        .serving
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
        && let Some(s) = serving.slots.get_mut(slot)
    {
        s.1 = entry;
    }
}
