//! Workers as processes: the `runner` binary re-executed as the hidden
//! `pipe-worker` subcommand (not `fork`, which is unsound in a process with
//! threads), so that "IPC" means inter-process communication.
//!
//! How it works:
//! - Each worker gets its own pipe in (its stdin: the hello and start
//!   tokens) and out (its stdout: every reply), and the read end of one
//!   pipe all workers share ([`queue`]), with a lock word in a page they
//!   all map, so one reader at a time takes a whole frame: the design of
//!   `multiprocessing.Queue`. As there, a feeder thread in the coordinator
//!   writes the queued jobs into the pipe, so `submit` returns at once (or
//!   waits for room, with a bounded queue).
//! - With `queue_host = "manager"` the shared queue lives in a manager
//!   process instead (see [`crate::ipc::manager`]): `submit` is one request
//!   over a Unix socket, answered once the job is queued, and a worker asks
//!   for each job it takes: the design of `multiprocessing.Manager().Queue()`.
//! - A reader thread per worker turns its frames into one stream of replies.
//! - Tasks carry their numbers, encoded with postcard (see [`super::wire`]);
//!   the bytes and frames each way are counted.
//! - Every worker is started before the timer, with a versioned hello, and
//!   lives across the repeats of a case. It receives SIGKILL from the kernel
//!   if the thread that started it dies (the parent-death signal, set before
//!   exec), so no worker outlives the runner however the runner ends. The
//!   engine starts every backend from its main thread.
//! - A coordinator never waits blindly: every wait (for a reply, or for room
//!   on a full queue) wakes every [`TICK`] to see whether the run was asked
//!   to stop (then the repeat is abandoned at once: the workers are killed,
//!   not waited for) and to let the [`watchdog`](super::watchdog) look at the
//!   workers, which fails a case whose workers can no longer make progress
//!   (a stopped worker, or all asleep) after
//!   [`SILENCE`](super::watchdog::SILENCE).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, unbounded};

pub mod queue;

use self::queue::{QueuePlace, SharedQueue};
use super::watchdog::{Watch, Watched};
use super::wire::{self, Hello, Setup, Welcome};
use super::{Backend, BackendError, QueueSetup, Sent, start_error};
use crate::flag::FlagSpec;
use crate::ipc;
use crate::ipc::manager;
use crate::signals;
use crate::work::clock::hostname;
use crate::work::{Job, KernelSpec, Reply};

/// Bytes and frames that crossed the process boundary, each way.
#[derive(Debug)]
pub struct Traffic {
    pub bytes_sent: AtomicU64,
    pub frames_sent: AtomicU64,
    pub bytes_received: AtomicU64,
    pub frames_received: AtomicU64,
    /// The first worker whose stdout closed, or `NONE_LOST`.
    lost: AtomicUsize,
}

impl Traffic {
    /// Counts `frames` sent to the workers, of `bytes` in all.
    fn add_sent(&self, bytes: u64, frames: u64) {
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
        self.frames_sent.fetch_add(frames, Ordering::Relaxed);
    }
}

/// No worker is lost yet.
const NONE_LOST: usize = usize::MAX;

/// What a reader thread hears from its worker.
enum Event {
    Reply(Reply),
    /// The worker's stdout closed: it exited or was killed.
    Gone(usize),
}

/// How often a waiting coordinator checks for a stop and lets the
/// watchdog look at its workers.
const TICK: Duration = Duration::from_millis(100);

/// Worker processes; they are stopped when this is dropped.
pub struct Processes {
    children: Mutex<Vec<Child>>,
    own: Vec<Mutex<ChildStdin>>,
    queue: SharedQueue,
    events: Receiver<Event>,
    readers: Vec<JoinHandle<()>>,
    traffic: Arc<Traffic>,
    /// The workers and the queue's manager, for the watchdog.
    watched: Vec<Watched>,
    /// Why the workers can no longer serve (the watchdog gave up, or the
    /// run was asked to stop): every later wait fails at once with it, and
    /// the workers are killed without the grace of a clean end.
    broken: Mutex<Option<BackendError>>,
    /// Whether `broken` holds an error: read on every submit and reply,
    /// where a lock would cost more than an atomic load.
    is_broken: AtomicBool,
}

impl Processes {
    /// Starts `workers` worker processes running `kernel`, on a shared
    /// queue set up as `queue` says, and waits until each has said hello.
    ///
    /// The workers receive SIGKILL when the thread calling this ends (the
    /// parent-death signal follows the thread): call it from a thread that
    /// outlives the backend, as the engine's main thread does. If any worker
    /// cannot start, those already started are killed and reaped.
    pub fn start(
        workers: usize,
        kernel: KernelSpec,
        flag: &FlagSpec,
        queue: QueueSetup,
    ) -> Result<Processes, BackendError> {
        let program = worker_program()
            .map_err(|e| start_error("cannot find the runner program to start workers", &e))?;
        let place = QueuePlace::make(queue.host, &program)?;
        let traffic = Arc::new(Traffic {
            bytes_sent: AtomicU64::new(0),
            frames_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            frames_received: AtomicU64::new(0),
            lost: AtomicUsize::new(NONE_LOST),
        });
        let (event_tx, events) = unbounded();
        let mut children = Spawned(Vec::new());
        let mut own = Vec::new();
        let mut readers = Vec::new();
        let mut watched = Vec::new();
        if let QueuePlace::Manager(manager) = &place {
            watched.push(Watched {
                name: "the queue's manager process".into(),
                pid: manager.pid(),
            });
        }
        for index in 0..workers {
            let mut child = spawn(&program, &place.inherited())
                .map_err(|e| start_error("cannot start a worker process", &e))?;
            watched.insert(
                index,
                Watched {
                    name: format!("worker process {index}"),
                    pid: child.id(),
                },
            );
            let mut stdin = child.stdin.take().expect("piped");
            let mut stdout = child.stdout.take().expect("piped");
            children.0.push(child);
            let setup = Setup {
                index,
                kernel,
                flag: flag.clone(),
                rounds: queue.rounds,
                queue: place.access(),
            };
            let sent = wire::send(&mut stdin, &Hello::new(setup));
            if sent.is_ok() {
                // A worker stopped before it answers must not hang the start.
                await_hello(&stdout, &watched[index..=index])?;
            }
            let greeting = sent.and_then(|_| wire::receive::<Welcome>(&mut stdout));
            match greeting {
                Ok((
                    Welcome::Ready {
                        protocol, runner, ..
                    },
                    _,
                )) => wire::check_peer(protocol, &runner).map_err(BackendError::Start)?,
                Ok((Welcome::Refused(why), _)) => {
                    return Err(BackendError::Start(format!(
                        "worker {index} refused: {why}"
                    )));
                }
                Err(e) => {
                    let child = children.0.last_mut().expect("pushed above");
                    let _ = child.kill();
                    let status = child.wait().map(describe).unwrap_or_default();
                    return Err(BackendError::Start(format!(
                        "worker {index} did not say hello ({e}){status}"
                    )));
                }
            }
            let (events, traffic) = (event_tx.clone(), Arc::clone(&traffic));
            let reader = thread::Builder::new()
                .name(format!("worker-{index}-replies"))
                .spawn(move || read_replies(index, stdout, &events, &traffic))
                .map_err(|e| start_error("cannot start a reader thread", &e))?;
            readers.push(reader);
            own.push(Mutex::new(stdin));
        }
        let counted = Arc::clone(&traffic);
        let queue = place.open(queue.capacity, TICK, move |bytes, frames| {
            counted.add_sent(bytes, frames);
        })?;
        Ok(Processes {
            children: Mutex::new(std::mem::take(&mut children.0)),
            own,
            queue,
            events,
            readers,
            traffic,
            watched,
            broken: Mutex::new(None),
            is_broken: AtomicBool::new(false),
        })
    }

    /// Fails if the workers can no longer serve, or the run was asked to
    /// stop (then the repeat in progress is abandoned).
    fn going(&self) -> Result<(), BackendError> {
        if !self.is_broken.load(Ordering::Relaxed) && !signals::stop_flag().load(Ordering::Relaxed)
        {
            return Ok(());
        }
        // Broken already, or asked to stop (which breaks it from now on).
        let mut broken = self.broken.lock().unwrap_or_else(PoisonError::into_inner);
        self.is_broken.store(true, Ordering::Relaxed);
        Err(broken.get_or_insert(BackendError::Interrupted).clone())
    }

    /// Lets `watch` look at the workers during a wait; fails the wait (and
    /// every later one) if they can no longer make progress.
    fn look(&self, watch: &mut Watch) -> Result<(), BackendError> {
        watch.look(&self.watched).map_err(|why| {
            let e = BackendError::Silent(why);
            let mut broken = self.broken.lock().unwrap_or_else(PoisonError::into_inner);
            self.is_broken.store(true, Ordering::Relaxed);
            broken.get_or_insert(e).clone()
        })
    }

    /// Puts `job` on the manager's queue: one request, answered once the job
    /// is queued. While a bounded queue is full the answer waits; if every
    /// worker has gone meanwhile, nobody will make room, and that is said.
    fn put(&self, client: &mut UnixStream, job: &Job) -> Result<(), BackendError> {
        let lost = |e: &dyn std::fmt::Display| {
            BackendError::Gone(format!(
                "the queue's manager process stopped answering: {e}"
            ))
        };
        let frame = wire::encode(job).map_err(|e| lost(&e))?;
        let mut request = Vec::with_capacity(1 + frame.len());
        request.push(manager::PUT);
        request.extend_from_slice(&frame);
        io::Write::write_all(client, &request).map_err(|e| lost(&e))?;
        let mut done = [0u8];
        let mut watch = Watch::new();
        loop {
            match io::Read::read_exact(client, &mut done) {
                Ok(()) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    self.going()?;
                    if let Some(gone) = self.all_gone() {
                        return Err(gone);
                    }
                    self.look(&mut watch)?;
                }
                Err(e) => return Err(lost(&e)),
            }
        }
        self.traffic.add_sent(frame.len() as u64, 1);
        Ok(())
    }

    /// If no worker process is left, why the first one went.
    fn all_gone(&self) -> Option<BackendError> {
        let alive = {
            let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
            children
                .iter_mut()
                .any(|child| matches!(child.try_wait(), Ok(None)))
        };
        (!alive).then(|| self.gone(0))
    }

    /// Why worker `index` is gone, as its exit status says.
    fn gone(&self, index: usize) -> BackendError {
        let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        let child = &mut children[index];
        let pid = child.id();
        // The pipe closes as the process ends; its status follows shortly.
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break describe(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                _ => break String::from(" and is still running"),
            }
        };
        BackendError::Gone(format!(
            "worker process {index} (pid {pid}) stopped answering{status}"
        ))
    }
}

/// Waits until a worker's stdout can be read (its hello, or its end),
/// while the watchdog looks at it: a worker stopped before it says hello
/// fails the start instead of hanging it. Its kernel may take a while to
/// build, which uses CPU time, so only a stopped or sleeping worker fails.
fn await_hello(stdout: &std::process::ChildStdout, worker: &[Watched]) -> Result<(), BackendError> {
    let mut watch = Watch::new();
    let mut fd = libc::pollfd {
        fd: stdout.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let tick = TICK.as_millis() as libc::c_int;
    loop {
        // SAFETY: one valid pollfd for the call.
        let n = unsafe { libc::poll(&mut fd, 1, tick) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(start_error("cannot wait for a worker's hello", &e));
            }
        }
        watch
            .look(worker)
            .map_err(|why| BackendError::Start(format!("a worker did not say hello: {why}")))?;
    }
}

/// The program worker processes run, when it is not this one.
static WORKER_PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Makes worker processes run `program` (the `runner` binary) instead of
/// the current executable: for tests and other programs that link the
/// library but are not runner.
pub fn set_worker_program(program: PathBuf) {
    let _ = WORKER_PROGRAM.set(program);
}

pub(crate) fn worker_program() -> io::Result<PathBuf> {
    match WORKER_PROGRAM.get() {
        Some(program) => Ok(program.clone()),
        None => std::env::current_exe(),
    }
}

/// Workers started so far; if starting the rest fails, dropping this
/// kills and reaps them, so no process is left behind.
struct Spawned(Vec<Child>);

impl Drop for Spawned {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// ", killed by signal 9 (SIGKILL)" or ", exited with status 1".
fn describe(status: std::process::ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(signal), _) => format!(": it was killed by signal {signal}{}", signal_name(signal)),
        (None, Some(code)) => format!(": it exited with status {code}"),
        _ => String::new(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGINT => " (SIGINT)",
        _ => "",
    }
}

/// Starts one worker process that inherits the descriptors `inherited` (at
/// the same numbers), with the parent-death signal set.
fn spawn(program: &std::path::Path, inherited: &[RawFd]) -> io::Result<Child> {
    let inherited = inherited.to_vec();
    ipc::spawn_self(program, "pipe-worker", libc::SIGKILL, |command| {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: between fork and exec only fcntl is called, which is
        // async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                // The inherited descriptors keep their numbers (the hello
                // names them); only their close-on-exec flag is cleared, in
                // this child.
                for &fd in &inherited {
                    if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    })
}

/// A reader thread: every reply of worker `index`, then its end.
fn read_replies(
    index: usize,
    mut stdout: std::process::ChildStdout,
    events: &Sender<Event>,
    traffic: &Traffic,
) {
    loop {
        match wire::receive::<Reply>(&mut stdout) {
            Ok((reply, bytes)) => {
                traffic
                    .bytes_received
                    .fetch_add(bytes as u64, Ordering::Relaxed);
                traffic.frames_received.fetch_add(1, Ordering::Relaxed);
                if events.send(Event::Reply(reply)).is_err() {
                    return;
                }
            }
            Err(_) => {
                let _ = traffic.lost.compare_exchange(
                    NONE_LOST,
                    index,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                let _ = events.send(Event::Gone(index));
                return;
            }
        }
    }
}

impl Backend for Processes {
    fn workers(&self) -> usize {
        self.own.len()
    }

    fn submit(&self, job: Job) -> Result<(), BackendError> {
        // Checked here, on the caller's thread: the feeder encodes later.
        if job.numbers() > wire::MAX_TASK_NUMBERS {
            return Err(BackendError::TooLarge(job.numbers()));
        }
        self.going()?;
        // A lost worker fails the case now, not after the last job is sent.
        match self.traffic.lost.load(Ordering::Relaxed) {
            NONE_LOST => {}
            index => return Err(self.gone(index)),
        }
        match &self.queue {
            SharedQueue::Pipe { jobs, .. } => {
                let jobs = jobs.as_ref().expect("open until dropped");
                // A bounded queue may stay full: the wait is watched.
                let mut watch = Watch::new();
                let mut job = job;
                loop {
                    match jobs.send_timeout(job, TICK) {
                        Ok(()) => return Ok(()),
                        Err(SendTimeoutError::Timeout(back)) => job = back,
                        Err(SendTimeoutError::Disconnected(_)) => {
                            return Err(BackendError::Gone(
                                "the worker processes stopped reading their queue".into(),
                            ));
                        }
                    }
                    self.going()?;
                    if let Some(gone) = self.all_gone() {
                        return Err(gone);
                    }
                    self.look(&mut watch)?;
                }
            }
            SharedQueue::Manager { client, .. } => {
                let mut client = client.lock().unwrap_or_else(PoisonError::into_inner);
                self.put(&mut client, &job)
            }
        }
    }

    fn submit_to(&self, worker: usize, job: Job) -> Result<(), BackendError> {
        if job.numbers() > wire::MAX_TASK_NUMBERS {
            return Err(BackendError::TooLarge(job.numbers()));
        }
        let mut stdin = self.own[worker]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match wire::send(&mut *stdin, &job) {
            Ok(bytes) => {
                self.traffic.add_sent(bytes as u64, 1);
                Ok(())
            }
            Err(_) => Err(self.gone(worker)),
        }
    }

    fn places(&self) -> Vec<super::Place> {
        let host = hostname();
        let children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        children
            .iter()
            .map(|child| super::Place {
                pid: child.id(),
                slot: 0,
                host: host.clone(),
            })
            .collect()
    }

    fn sent(&self) -> Option<Sent> {
        Some(Sent {
            bytes: self.traffic.bytes_sent.load(Ordering::Relaxed),
            frames: self.traffic.frames_sent.load(Ordering::Relaxed),
            bytes_back: self.traffic.bytes_received.load(Ordering::Relaxed),
        })
    }

    fn receive(&self) -> Result<Reply, BackendError> {
        let mut watch = Watch::new();
        loop {
            // Checked before every reply too: replies may flow without a
            // pause for minutes (a manager queue) and a stop must not wait.
            self.going()?;
            match self.events.recv_timeout(TICK) {
                Ok(Event::Reply(reply)) => return Ok(reply),
                Ok(Event::Gone(index)) => return Err(self.gone(index)),
                Err(RecvTimeoutError::Timeout) => self.look(&mut watch)?,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(BackendError::Gone(
                        "every worker process has stopped".into(),
                    ));
                }
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        // Closing their inboxes ends the workers; the feeder ends with its queue.
        self.own.clear();
        if let SharedQueue::Pipe { jobs, .. } = &mut self.queue {
            drop(jobs.take());
        }
        // Workers that can still serve end at their next job; broken ones
        // (stopped, stuck, or busy with an abandoned repeat) are killed now.
        let broken = self.is_broken.load(Ordering::Relaxed);
        let grace = if broken {
            Duration::ZERO
        } else {
            Duration::from_secs(2)
        };
        let mut children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + grace;
        for child in children.iter_mut() {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        drop(children);
        match &mut self.queue {
            SharedQueue::Pipe { feeder, .. } => {
                if let Some(feeder) = feeder.take() {
                    let _ = feeder.join();
                }
            }
            // After the workers: none of them waits on it any more.
            SharedQueue::Manager { process, .. } => drop(process.take()),
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}
