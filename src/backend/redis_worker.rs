//! `runner worker`: a worker for the redis executor, started on any host.
//!
//! It pushes its hello on the lobby and waits on its control list. Given a
//! run, it builds one kernel (and flag handle) per slot, says it is ready,
//! and each slot serves the run's job stream with `XREADGROUP` in the
//! group `workers`, claiming with `XAUTOCLAIM` what a silent worker left
//! pending. When the run's keys vanish (its case ended) it goes back to the
//! lobby. It stops on SIGTERM, SIGINT or SIGHUP, or a `stop` control,
//! removing its hello and presence; it exits with a message if its
//! connection to Redis is lost.
//!
//! A job is data: one of runner's built-in [`Job`]s served by
//! [`Worker::serve`]. Nothing taken from the stream is ever run as code.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use redis::streams::{StreamAutoClaimReply, StreamReadReply};

use super::redis_streams::{
    Assignment, BLOCK, Control, Done, Envelope, GROUP, HEARTBEAT, LOBBY, PRESENCE_TTL,
    REDIS_TIMEOUT, Upward, WorkerHello, control_key, nonce, presence_key,
};
use super::wire;
use crate::flag::redis::{connect, redact};
use crate::flag::{Flag, FlagSpec, WithFlag};
use crate::primes::PrimeTest;
use crate::work::{Job, Reply, WithKernel, Worker, WorkerError};

/// How a worker is started (from `runner worker`'s options).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub url: String,
    pub slots: usize,
    /// Names the worker in messages and the manifest (default: the host).
    pub name: Option<String>,
    /// The worker's whole id, for workers runner starts itself.
    pub id: Option<String>,
}

/// Why a worker stops serving.
enum End {
    /// Its connection to Redis failed.
    Lost(String),
    /// A coordinator refused it.
    Refused(String),
}

/// The jobs each slot is serving now, which the heartbeat keeps fresh.
struct InProgress {
    jobs: String,
    /// Per slot: its consumer name and the entry it serves, if any.
    slots: Vec<(String, Option<String>)>,
}

/// What the slots and the heartbeat share.
struct Common {
    stop: Arc<AtomicBool>,
    /// Set when a slot or the heartbeat loses Redis.
    lost: Mutex<Option<String>>,
    serving: Mutex<Option<InProgress>>,
}

impl Common {
    fn lose(&self, what: &str, e: &dyn std::fmt::Display) {
        // A signal interrupts a blocking read: that is a stop, not a loss.
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut lost = self.lost.lock().unwrap_or_else(PoisonError::into_inner);
        lost.get_or_insert_with(|| format!("{what}: {e}"));
        self.stop.store(true, Ordering::Relaxed);
    }
    fn lost(&self) -> Option<String> {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs a worker until it is stopped or loses Redis.
pub fn main(options: WorkerOptions) -> ExitCode {
    let shown = redact(&options.url);
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            crate::console::error(&format!("runner worker: cannot handle signals: {e}"));
            return ExitCode::from(1);
        }
    }
    let host = hostname();
    let id = options.id.clone().unwrap_or_else(|| {
        format!(
            "{}-{}-{:x}",
            options.name.as_deref().unwrap_or(&host),
            std::process::id(),
            nonce() & 0xffff
        )
    });
    let cores = crate::machine::Cores::detect();
    let hello = WorkerHello {
        protocol: wire::PROTOCOL,
        runner: env!("CARGO_PKG_VERSION").to_string(),
        id: id.clone(),
        host,
        machine: crate::machine::MachineInfo::detect().cpu_model,
        cores: cores.logical,
        slots: options.slots.max(1),
        pid: std::process::id(),
    };
    let text = serde_json::to_string(&hello).expect("plain data");
    let mut connection = match connect(&options.url, REDIS_TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            crate::console::error(&crate::console::one_line(&format!(
                "runner worker: cannot reach Redis at {shown}: {e}; check the URL (--redis or \
                 REDIS_URL) and that the server is running"
            )));
            return ExitCode::from(1);
        }
    };
    let common = Arc::new(Common {
        stop,
        lost: Mutex::new(None),
        serving: Mutex::new(None),
    });
    let beat = match connect(&options.url, REDIS_TIMEOUT) {
        Ok(beat) => {
            let (common, key, text) = (Arc::clone(&common), presence_key(&id), text.clone());
            let url = options.url.clone();
            thread::spawn(move || heartbeat(&url, beat, &key, &text, &common))
        }
        Err(e) => {
            crate::console::error(&format!(
                "runner worker: cannot reach Redis at {shown}: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    // A worker runner started itself (given its id) is quiet.
    if options.id.is_none() {
        crate::console::error(&format!(
            "runner worker {id}: {} slot(s), waiting for runs at {shown}",
            hello.slots
        ));
    }
    let end = serve_runs(&mut connection, &options, &hello, &text, &common);
    common.stop.store(true, Ordering::Relaxed);
    let _ = beat.join();
    // Leave no trace: the hello, the presence and any control left.
    let _ = redis::pipe()
        .cmd("LREM")
        .arg(LOBBY)
        .arg(0)
        .arg(&text)
        .ignore()
        .cmd("DEL")
        .arg(presence_key(&id))
        .arg(control_key(&id))
        .ignore()
        .query::<()>(&mut connection);
    match end {
        None => ExitCode::SUCCESS,
        Some(End::Refused(why)) => {
            crate::console::error(&format!("runner worker {id}: refused: {why}"));
            ExitCode::from(2)
        }
        Some(End::Lost(why)) => {
            crate::console::error(&crate::console::one_line(&format!(
                "runner worker {id}: lost Redis at {shown}: {why}"
            )));
            ExitCode::from(3)
        }
    }
}

/// Waits in the lobby and serves each run it is given, until stopped.
fn serve_runs(
    connection: &mut redis::Connection,
    options: &WorkerOptions,
    hello: &WorkerHello,
    text: &str,
    common: &Arc<Common>,
) -> Option<End> {
    let control = control_key(&hello.id);
    // The presence must exist before a coordinator reads the hello.
    if let Err(e) = redis::cmd("SET")
        .arg(presence_key(&hello.id))
        .arg(text)
        .arg("PX")
        .arg(PRESENCE_TTL.as_millis() as u64)
        .query::<()>(connection)
    {
        return Some(End::Lost(e.to_string()));
    }
    loop {
        if let Some(why) = common.lost() {
            return Some(End::Lost(why));
        }
        if common.stop.load(Ordering::Relaxed) {
            return None;
        }
        if let Err(e) = redis::cmd("RPUSH")
            .arg(LOBBY)
            .arg(text)
            .query::<()>(connection)
        {
            return Some(End::Lost(e.to_string()));
        }
        let message = loop {
            if common.stop.load(Ordering::Relaxed) {
                return common.lost().map(End::Lost);
            }
            let popped: redis::RedisResult<Option<(String, String)>> = redis::cmd("BLPOP")
                .arg(&control)
                .arg(BLOCK.as_secs_f64())
                .query(connection);
            match popped {
                Ok(Some((_, message))) => break message,
                Ok(None) => {}
                Err(_) if common.stop.load(Ordering::Relaxed) => {
                    return common.lost().map(End::Lost);
                }
                Err(e) if interrupted(&e) => match connect(&options.url, REDIS_TIMEOUT) {
                    Ok(c) => *connection = c,
                    Err(e) => return Some(End::Lost(e.to_string())),
                },
                Err(e) => return Some(End::Lost(e.to_string())),
            }
        };
        match serde_json::from_str::<Control>(&message) {
            Ok(Control::Stop) => return None,
            Ok(Control::Refused(why)) => return Some(End::Refused(why)),
            Ok(Control::Assign(assignment)) => {
                if let Err(why) = wire::check_peer(assignment.protocol, &assignment.runner) {
                    crate::console::error(&format!(
                        "runner worker {}: a run was refused: {why}",
                        hello.id
                    ));
                    continue;
                }
                serve_run(options, hello, assignment, common);
            }
            Err(e) => crate::console::error(&format!(
                "runner worker {}: ignored a malformed control message: {e}",
                hello.id
            )),
        }
    }
}

/// Serves one run with its slots until its keys vanish or the worker stops.
fn serve_run(
    options: &WorkerOptions,
    hello: &WorkerHello,
    assignment: Assignment,
    common: &Arc<Common>,
) {
    let slots = assignment.slots.max(1);
    let flag = match &assignment.flag {
        FlagSpec::Redis { key, .. } => FlagSpec::Redis {
            url: options.url.clone(),
            key: key.clone(),
        },
        other => other.clone(),
    };
    *common
        .serving
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(InProgress {
        jobs: assignment.keys.jobs(),
        slots: (0..slots)
            .map(|s| (format!("{}/{s}", hello.id), None))
            .collect(),
    });
    let run_over = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = crossbeam_channel::unbounded::<Result<(), String>>();
    let mut handles = Vec::new();
    for slot in 0..slots {
        let slot_ctx = Slot {
            url: options.url.clone(),
            consumer: format!("{}/{slot}", hello.id),
            index: slot,
            assignment: assignment.clone(),
            common: Arc::clone(common),
            run_over: Arc::clone(&run_over),
            ready: ready_tx.clone(),
        };
        let flag = flag.clone();
        handles.push(thread::spawn(move || {
            let ready = slot_ctx.ready.clone();
            match flag.dispatch(WithFlagStage(slot_ctx)) {
                Ok(()) => {}
                Err(e) => _ = ready.send(Err(format!("cannot connect to the shared flag: {e}"))),
            }
        }));
    }
    drop(ready_tx);
    let mut failure = None;
    for _ in 0..slots {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(why)) => _ = failure.get_or_insert(why),
            Err(_) => _ = failure.get_or_insert("a slot ended before it was ready".into()),
        }
    }
    let said = match connect(&options.url, REDIS_TIMEOUT) {
        Ok(mut connection) => {
            let up = match failure {
                None => Upward::Ready {
                    worker: hello.id.clone(),
                    slots,
                },
                Some(why) => {
                    run_over.store(true, Ordering::Relaxed);
                    Upward::Failed {
                        worker: hello.id.clone(),
                        why,
                    }
                }
            };
            add_reply(&mut connection, &assignment.keys.replies(), &up).map(drop)
        }
        Err(e) => Err(e),
    };
    if let Err(e) = said {
        common.lose("saying ready", &e);
    }
    for handle in handles {
        let _ = handle.join();
    }
    *common
        .serving
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
}

/// Adds `up` to the replies stream unless the stream is gone (the run
/// ended: a reply must not re-create a key nobody will delete). Whether it
/// was added.
fn add_reply(
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
struct Slot {
    url: String,
    consumer: String,
    index: usize,
    assignment: Assignment,
    common: Arc<Common>,
    run_over: Arc<AtomicBool>,
    ready: crossbeam_channel::Sender<Result<(), String>>,
}

struct WithFlagStage(Slot);

impl WithFlag for WithFlagStage {
    type Output = ();
    fn run<F: Flag>(self, flag: F) {
        let kernel = self.0.assignment.kernel;
        kernel.dispatch(WithKernelStage { slot: self.0, flag });
    }
}

struct WithKernelStage<F> {
    slot: Slot,
    flag: F,
}

impl<F: Flag> WithKernel for WithKernelStage<F> {
    type Output = ();
    fn run<K: PrimeTest + Clone + 'static>(self, kernel: K) {
        let slot = self.slot;
        let mut connection = match connect(&slot.url, REDIS_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                let _ = slot.ready.send(Err(format!("cannot reach Redis: {e}")));
                return;
            }
        };
        let _ = slot.ready.send(Ok(()));
        let mut worker = Worker {
            kernel,
            flag: self.flag,
        };
        loop {
            match serve_slot(&slot, &mut connection, &mut worker) {
                Ok(()) => break,
                Err(e) if interrupted(&e) => match connect(&slot.url, REDIS_TIMEOUT) {
                    Ok(c) => connection = c,
                    Err(e) => break slot.common.lose("serving jobs", &e),
                },
                Err(e) => break slot.common.lose("serving jobs", &e),
            }
        }
    }
}

/// Whether a command was cut short by a signal, not by the server: on Linux
/// a read with a timeout fails with EINTR after the worker is stopped and
/// continued (SIGSTOP, SIGCONT). The connection is opened again and the
/// worker goes on; an entry whose reply was lost is claimed again.
fn interrupted(e: &redis::RedisError) -> bool {
    e.is_io_error()
        && (std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::Interrupted)
            || e.to_string().contains("(os error 4)"))
}

/// Whether a Redis error says the run's stream or group is gone.
fn run_gone(e: &redis::RedisError) -> bool {
    matches!(e.code(), Some("NOGROUP" | "UNBLOCKED"))
}

/// Serves the run's jobs until it ends; an error is a lost connection.
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
            let claimed: redis::RedisResult<StreamAutoClaimReply> = redis::cmd("XAUTOCLAIM")
                .arg(&jobs)
                .arg(GROUP)
                .arg(&slot.consumer)
                .arg(slot.assignment.claim_idle_ms)
                .arg("0-0")
                .arg("COUNT")
                .arg(1)
                .query(connection);
            match claimed {
                Ok(reply) => delivered = reply.claimed.into_iter().next().map(|e| (e, true)),
                Err(e) if run_gone(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        if delivered.is_none() {
            let read: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREADGROUP")
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
                .query(connection);
            match read {
                Ok(read) => {
                    delivered = read
                        .into_iter()
                        .flat_map(|r| r.keys)
                        .flat_map(|k| k.ids)
                        .next()
                        .map(|e| (e, false));
                }
                Err(e) if run_gone(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
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
            Some(redis::Value::BulkString(bytes)) => {
                match postcard::from_bytes::<Envelope>(bytes) {
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
        match added {
            Ok(true) => {}
            Ok(false) => return Ok(()), // the run ended meanwhile
            Err(e) => return Err(e),
        }
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

/// The worker's heartbeat: its presence, and the entries its slots serve
/// kept fresh (claimed to themselves with `JUSTID`, which resets their idle
/// time without counting a delivery), so no other worker takes them over.
fn heartbeat(url: &str, mut connection: redis::Connection, key: &str, text: &str, common: &Common) {
    let ttl = PRESENCE_TTL.as_millis() as u64;
    let fresh = (super::redis_streams::CLAIM_IDLE / 3).as_millis() as u64;
    while !common.stop.load(Ordering::Relaxed) {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(key)
            .arg(text)
            .arg("PX")
            .arg(ttl)
            .ignore();
        pipe.cmd("PEXPIRE").arg(LOBBY).arg(ttl * 12).ignore();
        if let Some(serving) = common
            .serving
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            for (consumer, entry) in &serving.slots {
                if let Some(entry) = entry {
                    pipe.cmd("XCLAIM")
                        .arg(&serving.jobs)
                        .arg(GROUP)
                        .arg(consumer)
                        .arg(fresh)
                        .arg(entry)
                        .arg("JUSTID")
                        .ignore();
                }
            }
        }
        match pipe.query::<()>(&mut connection) {
            Ok(()) => {}
            // A stream deleted as its run ends is not a lost connection.
            Err(e) if run_gone(&e) => {}
            Err(e) if interrupted(&e) => match connect(url, REDIS_TIMEOUT) {
                Ok(c) => connection = c,
                Err(e) => return common.lose("heartbeat", &e),
            },
            Err(e) => {
                common.lose("heartbeat", &e);
                return;
            }
        }
        let beat = Instant::now();
        while beat.elapsed() < HEARTBEAT && !common.stop.load(Ordering::Relaxed) {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// This host's name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| crate::machine::command_output("hostname", &[]))
        .unwrap_or_else(|| "unknown-host".into())
}
