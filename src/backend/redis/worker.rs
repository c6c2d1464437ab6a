//! `runner worker`: a worker for the redis executor, started on any host.
//!
//! It pushes its hello on the lobby and waits on its control list. Given a
//! run, it builds one kernel (and flag handle) per slot, says it is ready,
//! and each slot serves the run's job stream with `XREADGROUP` in the
//! group `workers`, claiming with `XAUTOCLAIM` what a silent worker left
//! pending. When the run's keys vanish (its case ended) it goes back to the
//! lobby (a worker runner started for one run, `--run`, waits in that run's
//! own lobby and exits instead). It stops on SIGTERM, SIGINT or SIGHUP,
//! removing its hello and presence; it exits with a message if its
//! connection to Redis is lost, or the server refuses its credentials.
//!
//! A job is data: one of runner's built-in [`Job`](crate::work::Job)s
//! served by [`Worker::serve`](crate::work::Worker::serve) (see
//! [`super::slot`]). Nothing taken from the stream is ever run as code.
//!
//! Trust: whatever the worker reads from Redis is a stranger's. An
//! assignment is checked before anything is built ([`accept`]): only the
//! `none` and `redis` flags (a worker opens no path and no socket a message
//! names; the Redis flag uses the worker's own URL), at most the worker's
//! own `--slots`, a short printable key prefix, a bounded claim time; anything
//! else is a [`Rejection`], said on stderr and answered with `Failed`, and
//! the worker goes back to waiting. A control message over 64 KiB or a job
//! entry over 64 MiB is refused before it is decoded, and a job of more
//! numbers than a coordinator may send is refused unserved. A command
//! error from the server (a run's keys of the wrong type) ends that run for
//! the worker, never the worker: only a lost connection does.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{
    Assignment, BLOCK, CLAIM_IDLE, Control, GROUP, HEARTBEAT, LOBBY, PRESENCE_TTL, REDIS_TIMEOUT,
    RunKeys, Upward, WorkerHello, control_key, nonce, presence_key,
};
use super::slot::{self, Common, InProgress, Slot, add_reply, shown};
use crate::backend::wire;
use crate::console;
use crate::experiment::FlagKind;
use crate::flag::FlagSpec;
use crate::flag::redis::{Refusal, connect, connection_failed, interrupted, refusal};
use crate::machine::{Cores, MachineInfo};
use crate::secret::redact;

/// The largest control message a worker reads: an assignment is a few
/// hundred bytes.
pub const MAX_CONTROL: usize = 64 << 10;
/// The claim times a worker accepts, in ms (runner's is 3 s): shorter
/// would take a live worker's jobs, longer leaves a dead one's too long.
pub const CLAIM_IDLE_MS: std::ops::RangeInclusive<u64> = 100..=600_000;
/// The longest run-key prefix a worker accepts.
pub const MAX_PREFIX: usize = 128;

/// How a worker is started (from `runner worker`'s options).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub url: String,
    pub slots: usize,
    /// Names the worker in messages and the manifest (default: the host).
    pub name: Option<String>,
    /// The worker's whole id, for workers runner starts itself.
    pub id: Option<String>,
    /// The one run this worker serves (the prefix of its keys), for workers
    /// runner starts itself: it waits in that run's own lobby, refuses any
    /// other run, and exits once the run is over.
    pub run: Option<String>,
}

/// Why a worker refuses a run it was assigned. The worker says so on
/// stderr and, where the run's replies stream exists, in a `Failed` reply,
/// and goes back to waiting; nothing of the run was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A coordinator of another protocol version.
    #[error("{0}")]
    Protocol(String),
    /// A flag that lives in a file or behind a socket on another host.
    #[error(
        "the `{0}` flag names a path or a socket on the coordinator's host; a worker behind \
         Redis opens none: it shares only the `redis` flag (or none)"
    )]
    Flag(FlagKind),
    /// More slots than the worker has.
    #[error("{asked} slot(s) asked, but this worker has {own} (its --slots)")]
    Slots { asked: usize, own: usize },
    /// A run-key prefix no run has (empty, too long or unprintable).
    #[error("a run-key prefix no run has (1 to {MAX_PREFIX} printable characters): {0}")]
    Keys(String),
    /// A claim time out of bounds.
    #[error(
        "a claim time of {0} ms (a worker accepts {least} to {most} ms)",
        least = CLAIM_IDLE_MS.start(),
        most = CLAIM_IDLE_MS.end()
    )]
    ClaimIdle(u64),
    /// A worker runner started for one run, assigned another.
    #[error("this worker was started for run {0} and serves no other")]
    NotItsRun(String),
}

/// Whether this worker takes `assignment`, with `own` slots: the flag
/// spec its slots will connect to (a Redis flag with the worker's own URL),
/// or why not.
pub fn accept(
    assignment: &Assignment,
    options: &WorkerOptions,
    own: usize,
) -> Result<FlagSpec, Rejection> {
    if let Err(why) = wire::check_peer(assignment.protocol, &assignment.runner) {
        return Err(Rejection::Protocol(shown(&why)));
    }
    let flag = match &assignment.flag {
        FlagSpec::None => FlagSpec::None,
        // The key is never used as given: each round's search rekeys the
        // flag to the run's own `<prefix>:flag:<round>`.
        FlagSpec::Redis { key, .. } => FlagSpec::Redis {
            url: options.url.clone(),
            key: key.clone(),
        },
        other => return Err(Rejection::Flag(other.kind())),
    };
    let prefix = &assignment.keys.prefix;
    if let Some(run) = &options.run
        && prefix != run
    {
        return Err(Rejection::NotItsRun(run.clone()));
    }
    if !usable_prefix(prefix) {
        return Err(Rejection::Keys(shown(prefix)));
    }
    if assignment.slots == 0 || assignment.slots > own {
        return Err(Rejection::Slots {
            asked: assignment.slots,
            own,
        });
    }
    if !CLAIM_IDLE_MS.contains(&assignment.claim_idle_ms) {
        return Err(Rejection::ClaimIdle(assignment.claim_idle_ms));
    }
    Ok(flag)
}

/// Whether `prefix` can name a run's keys: short and printable.
fn usable_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && prefix.len() <= MAX_PREFIX && prefix.chars().all(|c| c.is_ascii_graphic())
}

/// Why a worker stops serving.
enum End {
    /// Its connection to Redis failed.
    Lost(String),
    /// A coordinator refused it.
    Refused(String),
    /// The server refused its credentials or an ACL forbids its commands.
    Misconfigured(String),
}

impl End {
    /// A failed command as an end: a configuration the server refuses, or
    /// a lost connection.
    fn of(e: &redis::RedisError) -> End {
        match refusal(e) {
            Some(_) => End::Misconfigured(e.to_string()),
            None => End::Lost(e.to_string()),
        }
    }
}

/// Runs a worker until it is stopped or loses Redis.
pub fn main(options: WorkerOptions) -> ExitCode {
    let shown_url = redact(&options.url);
    let stop = Arc::new(AtomicBool::new(false));
    // Raised by signals only (`stop` is also raised by the worker itself as
    // it ends, when a signal must still mean "stop cleanly").
    let signalled = Arc::new(AtomicBool::new(false));
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // The first signal stops the worker cleanly (the jobs in hand are
        // left to others: see `serve_run`); a second one at once, even
        // while it cleans up on a server that no longer answers.
        let handled = signal_hook::flag::register_conditional_shutdown(
            signal,
            128 + signal,
            Arc::clone(&signalled),
        )
        .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&signalled)))
        .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)));
        if let Err(e) = handled {
            console::error(&format!("runner worker: cannot handle signals: {e}"));
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
    let cores = Cores::detect();
    let hello = WorkerHello {
        protocol: wire::PROTOCOL,
        runner: env!("CARGO_PKG_VERSION").to_string(),
        id: id.clone(),
        host,
        machine: MachineInfo::detect().cpu_model,
        cores: cores.logical,
        slots: options.slots.max(1),
        pid: std::process::id(),
    };
    let lobby = match &options.run {
        Some(prefix) => RunKeys {
            prefix: prefix.clone(),
        }
        .lobby(),
        None => LOBBY.to_string(),
    };
    let text = serde_json::to_string(&hello).expect("plain data");
    let unusable = |e: &redis::RedisError| {
        let (status, advice) = match refusal(e) {
            Some(refusal) => (2, refusal.help("--redis or REDIS_URL")),
            None => (
                1,
                "check the URL (--redis or REDIS_URL) and that the server is running".to_string(),
            ),
        };
        console::error(&console::one_line(&format!(
            "runner worker: cannot use Redis at {shown_url}: {e}; {advice}"
        )));
        ExitCode::from(status)
    };
    let mut connection = match connect(&options.url, REDIS_TIMEOUT) {
        Ok(c) => c,
        Err(e) => return unusable(&e),
    };
    let common = Arc::new(Common {
        stop,
        lost: Mutex::new(None),
        serving: Mutex::new(None),
    });
    let beat = match connect(&options.url, REDIS_TIMEOUT) {
        Ok(beat) => {
            let (common, key, text) = (Arc::clone(&common), presence_key(&id), text.clone());
            let (url, lobby) = (options.url.clone(), lobby.clone());
            thread::Builder::new()
                .name("heartbeat".into())
                .spawn(move || heartbeat(&url, beat, &key, &text, &lobby, &common))
        }
        Err(e) => return unusable(&e),
    };
    let beat = match beat {
        Ok(beat) => beat,
        Err(e) => {
            console::error(&format!(
                "runner worker: cannot start its heartbeat thread: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    // A worker runner started itself (given its id) is quiet.
    if options.id.is_none() {
        console::error(&format!(
            "runner worker {id}: {} slot(s), waiting for runs at {shown_url}",
            hello.slots
        ));
    }
    let lobbied = Lobbied {
        options: &options,
        hello: &hello,
        text: &text,
        lobby: &lobby,
    };
    let end = serve_runs(&mut connection, &lobbied, &common);
    common.stop.store(true, Ordering::Relaxed);
    let _ = beat.join();
    // Leave no trace: the hello, the presence and any control left.
    let _ = redis::pipe()
        .cmd("LREM")
        .arg(&lobby)
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
            console::error(&format!("runner worker {id}: refused: {}", shown(&why)));
            ExitCode::from(2)
        }
        Some(End::Misconfigured(why)) => {
            console::error(&console::one_line(&format!(
                "runner worker {id}: Redis at {shown_url} refused a command: {why}; {}",
                Refusal::Acl.help("--redis or REDIS_URL")
            )));
            ExitCode::from(2)
        }
        Some(End::Lost(why)) => {
            console::error(&console::one_line(&format!(
                "runner worker {id}: lost Redis at {shown_url}: {why}"
            )));
            ExitCode::from(3)
        }
    }
}

/// A worker as it waits: its options, its hello (as data and as the text
/// on the lobby) and the lobby it waits in.
struct Lobbied<'a> {
    options: &'a WorkerOptions,
    hello: &'a WorkerHello,
    text: &'a str,
    lobby: &'a str,
}

impl Lobbied<'_> {
    /// Says `what` on stderr, as this worker.
    fn say(&self, what: &str) {
        console::error(&console::one_line(&format!(
            "runner worker {}: {what}",
            self.hello.id
        )));
    }
}

/// Waits in the lobby and serves each run it is given, until stopped (or,
/// for a worker started for one run, until that run is over).
fn serve_runs(
    connection: &mut redis::Connection,
    lobbied: &Lobbied,
    common: &Arc<Common>,
) -> Option<End> {
    let (options, hello) = (lobbied.options, lobbied.hello);
    let control = control_key(&hello.id);
    // The presence must exist before a coordinator reads the hello.
    if let Err(e) = redis::cmd("SET")
        .arg(presence_key(&hello.id))
        .arg(lobbied.text)
        .arg("PX")
        .arg(PRESENCE_TTL.as_millis() as u64)
        .query::<()>(connection)
    {
        return Some(End::of(&e));
    }
    loop {
        if let Some(why) = common.lost() {
            return Some(End::Lost(why));
        }
        if common.stop.load(Ordering::Relaxed) {
            return None;
        }
        // Once in the lobby, however often a stranger's message sends it back.
        if let Err(e) = redis::pipe()
            .cmd("LREM")
            .arg(lobbied.lobby)
            .arg(0)
            .arg(lobbied.text)
            .ignore()
            .cmd("RPUSH")
            .arg(lobbied.lobby)
            .arg(lobbied.text)
            .ignore()
            .query::<()>(connection)
        {
            return Some(End::of(&e));
        }
        let message = loop {
            if common.stop.load(Ordering::Relaxed) {
                return common.lost().map(End::Lost);
            }
            let popped: redis::RedisResult<Option<(String, Vec<u8>)>> = redis::cmd("BLPOP")
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
                    Err(e) => return Some(End::of(&e)),
                },
                Err(e) if connection_failed(&e) => return Some(End::of(&e)),
                // Not a list: a stranger's key in the worker's own name.
                Err(e) => {
                    lobbied.say(&format!("removed its control key, which was no list: {e}"));
                    if let Err(e) = redis::cmd("DEL").arg(&control).query::<()>(connection) {
                        return Some(End::of(&e));
                    }
                }
            }
        };
        if message.len() > MAX_CONTROL {
            lobbied.say(&format!(
                "ignored a control message of {} bytes (at most {MAX_CONTROL})",
                message.len()
            ));
            continue;
        }
        let assignment = match serde_json::from_slice::<Control>(&message) {
            Ok(Control::Refused(why)) => return Some(End::Refused(why)),
            Ok(Control::Assign(assignment)) => assignment,
            Err(e) => {
                lobbied.say(&format!(
                    "ignored a malformed control message: {}",
                    shown(&e.to_string())
                ));
                continue;
            }
        };
        match accept(&assignment, options, hello.slots) {
            Ok(flag) => serve_run(options, hello, assignment, flag, common),
            Err(rejection) => {
                lobbied.say(&format!("a run was refused: {rejection}"));
                // Tell its coordinator, if the run exists (never create keys).
                if usable_prefix(&assignment.keys.prefix) {
                    let failed = Upward::Failed {
                        worker: hello.id.clone(),
                        why: rejection.to_string(),
                    };
                    match add_reply(connection, &assignment.keys.replies(), &failed) {
                        Err(e) if connection_failed(&e) => return Some(End::of(&e)),
                        _ => {}
                    }
                }
                continue;
            }
        }
        if options.run.is_some() {
            return None; // its one run is over
        }
    }
}

/// Serves one run with its slots until its keys vanish or the worker
/// stops; `flag` is what [`accept`] gave.
fn serve_run(
    options: &WorkerOptions,
    hello: &WorkerHello,
    assignment: Assignment,
    flag: FlagSpec,
    common: &Arc<Common>,
) {
    let slots = assignment.slots;
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
    let mut failure = None;
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
        let spawned = thread::Builder::new()
            .name(format!("slot-{slot}"))
            .spawn(move || {
                let ready = slot_ctx.ready.clone();
                match slot::run(slot_ctx, &flag) {
                    Ok(()) => {}
                    Err(e) => {
                        _ = ready.send(Err(format!("cannot connect to the shared flag: {e}")))
                    }
                }
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            // Out of threads: the run is refused, the worker lives on.
            Err(e) => {
                failure = Some(format!("cannot start slot {} of {slots}: {e}", slot + 1));
                break;
            }
        }
    }
    drop(ready_tx);
    for _ in 0..handles.len() {
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
    match said {
        Err(e) if connection_failed(&e) => common.lose("saying ready", &e),
        // The run's replies are not a stream: it is no run.
        Err(_) => run_over.store(true, Ordering::Relaxed),
        Ok(()) => {}
    }
    // A slot in a long job is not waited for once the worker stops: the
    // process ends, and its job is claimed by another worker.
    while !handles.iter().all(thread::JoinHandle::is_finished) {
        if common.stop.load(Ordering::Relaxed) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    for handle in handles {
        let _ = handle.join();
    }
    *common
        .serving
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
}

/// The worker's heartbeat: its presence, and the entries its slots serve
/// kept fresh (claimed to themselves with `JUSTID`, which resets their idle
/// time without counting a delivery), so no other worker takes them over.
fn heartbeat(
    url: &str,
    mut connection: redis::Connection,
    key: &str,
    text: &str,
    lobby: &str,
    common: &Common,
) {
    let ttl = PRESENCE_TTL.as_millis() as u64;
    let fresh = (CLAIM_IDLE / 3).as_millis() as u64;
    while !common.stop.load(Ordering::Relaxed) {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(key)
            .arg(text)
            .arg("PX")
            .arg(ttl)
            .ignore();
        pipe.cmd("PEXPIRE").arg(lobby).arg(ttl * 12).ignore();
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
            Err(e) if interrupted(&e) => match connect(url, REDIS_TIMEOUT) {
                Ok(c) => connection = c,
                Err(e) => return common.lose("heartbeat", &e),
            },
            Err(e) if connection_failed(&e) => return common.lose("heartbeat", &e),
            // A stream deleted as its run ends, or a run's keys of another
            // type: the slots find out; the presence was refreshed anyway
            // (a pipeline's commands run whatever one of them answers).
            Err(_) => {}
        }
        let beat = Instant::now();
        while beat.elapsed() < HEARTBEAT && !common.stop.load(Ordering::Relaxed) {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// This host's name (the same as every worker's stamps name).
pub use crate::work::clock::hostname;
