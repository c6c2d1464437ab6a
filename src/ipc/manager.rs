//! The manager process: the runner binary re-executed as the hidden
//! `manager` subcommand, holding objects other processes reach over a Unix
//! socket, one serialized request and reply at a time, as the proxies of
//! `multiprocessing.Manager()` reach theirs. It holds a flag (the `manager`
//! flag kind: one request byte and one reply byte per look) and a queue of
//! frames (the `queue_host = "manager"` queue: a put or a get per item).
//!
//! # How it works
//! The owner ([`ManagerProcess`]) makes a private directory
//! (`$TMPDIR/runner-<pid>-<n>/`, mode 0700), starts the manager with the
//! socket path inside it, and waits for the manager's `ready` line, which it
//! prints once the socket is listening; so the manager is up before any
//! timer starts, and a client can connect at once.
//!
//! # When the manager stops
//! - The owner is dropped: it kills and reaps the manager and removes the
//!   directory.
//! - An immediate exit (a second Ctrl-C): the owner's `on_immediate_exit`
//!   hook kills the manager and removes the directory.
//! - The parent dies without either (SIGKILL, a crash): the manager's stdin
//!   is a pipe from the parent, and the manager exits when it reads end of
//!   file, which the kernel delivers when the parent's last descriptor
//!   closes, however it died. That is the one rule the manager relies on;
//!   `PR_SET_PDEATHSIG` (SIGTERM) is also set, as a second line. Either
//!   way the manager removes its socket and the directory before it exits,
//!   since a dead parent cannot. Because the death signal follows the
//!   *thread* that forked, the manager is started from a thread of its own
//!   that lives exactly as long as the owner, never from a caller's thread
//!   that might end first.
//!
//! The manager runs in a process group of its own, so a Ctrl-C at the
//! terminal reaches only the runner, which decides when the manager stops.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::frame::MAX_FRAME;
use super::spawn_self;
use crate::signals::{self, HookGuard};

/// The flag's requests, one byte each; the reply is the flag's value
/// after the request, one byte.
pub const GET: u8 = b'?';
pub const SET: u8 = b'1';
pub const CLEAR: u8 = b'0';

/// The queue's requests. `BOUND` and a u64 (little-endian; 0 for
/// unbounded) sets its capacity before first use, and is answered with
/// [`DONE`]. `PUT` and a frame (a u32 length, little-endian, and that many
/// bytes) is answered with [`DONE`] once the frame is queued, which waits
/// while a bounded queue is full. `TAKE` is answered with the oldest frame,
/// once there is one.
pub const BOUND: u8 = b'B';
pub const PUT: u8 = b'P';
pub const TAKE: u8 = b'T';
pub const DONE: u8 = 1;

/// What the manager prints once its socket is listening.
const READY: &str = "ready";

/// How long a request waits for the manager before failing instead of
/// hanging, unless its caller waits in its own way.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Why the manager could not start or answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManagerError(pub String);

/// Managers started by this process, numbered so their directories differ.
static MANAGERS: AtomicU64 = AtomicU64::new(0);

/// A running manager process, owned by the process that started it.
pub struct ManagerProcess {
    socket: PathBuf,
    dir: PathBuf,
    pid: u32,
    /// Dropping the sender tells the starter thread to stop the manager.
    stop: Option<mpsc::Sender<()>>,
    starter: Option<JoinHandle<()>>,
    hook: Option<HookGuard>,
}

impl ManagerProcess {
    /// Starts `program` (the runner binary) as a manager and waits until it
    /// listens.
    pub fn start(program: &Path) -> Result<Self, ManagerError> {
        let dir = std::env::temp_dir().join(format!(
            "runner-{}-{}",
            std::process::id(),
            MANAGERS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                ManagerError(format!(
                    "cannot create {} for the manager's socket: {e}; point TMPDIR at a \
                     writable folder",
                    dir.display()
                ))
            })?;
        let socket = dir.join("manager.sock");
        let (started_tx, started_rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let (program, path) = (program.to_path_buf(), socket.clone());
        let starter = thread::Builder::new()
            .name("manager".into())
            .spawn(move || {
                let mut child = match spawn(&program, &path) {
                    Ok(child) => child,
                    Err(e) => return drop(started_tx.send(Err(e))),
                };
                let _ = started_tx.send(Ok(child.id()));
                // Parked until the owner is dropped; this thread's life is
                // what PR_SET_PDEATHSIG follows.
                let _ = stop_rx.recv();
                let _ = child.kill();
                let _ = child.wait();
            });
        let starter = match starter {
            Ok(handle) => handle,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(ManagerError(format!(
                    "cannot start a thread for the manager: {e}"
                )));
            }
        };
        let started = started_rx
            .recv()
            .unwrap_or_else(|_| Err(ManagerError("the manager's starter thread stopped".into())));
        let pid = match started {
            Ok(pid) => pid,
            Err(e) => {
                let _ = starter.join();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let hook_dir = dir.clone();
        let hook = signals::on_immediate_exit(move || {
            // The manager is not reaped before this hook is unregistered
            // (see Drop), so the pid is still ours.
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let _ = std::fs::remove_dir_all(&hook_dir);
        });
        Ok(ManagerProcess {
            socket,
            dir,
            pid,
            stop: Some(stop),
            starter: Some(starter),
            hook: Some(hook),
        })
    }

    /// The socket handles connect to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The manager's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// Starts the manager and waits for its `ready` line; a manager that fails
/// before it is ready is killed and reaped.
fn spawn(program: &Path, socket: &Path) -> Result<Child, ManagerError> {
    let mut child = spawn_self(program, "manager", libc::SIGTERM, |command| {
        command
            .arg(socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0);
    })
    .map_err(|e| {
        ManagerError(format!(
            "cannot start the manager process {}: {e}",
            program.display()
        ))
    })?;
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    let ready = BufReader::new(stdout).read_line(&mut line);
    if ready.is_err() || line.trim_end() != READY {
        let _ = child.kill();
        let status = child.wait();
        return Err(ManagerError(format!(
            "the manager process did not start (it said {:?}, {}); its error, if any, \
             is above",
            line.trim_end(),
            status.map_or_else(|e| e.to_string(), |s| s.to_string())
        )));
    }
    Ok(child)
}

impl Drop for ManagerProcess {
    fn drop(&mut self) {
        // Unregister the hook first: once the manager is reaped its pid may
        // be reused, and the hook must not kill a stranger.
        drop(self.hook.take());
        drop(self.stop.take());
        if let Some(starter) = self.starter.take() {
            let _ = starter.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The manager process's life (the hidden `runner manager SOCKET`): listen
/// at `socket`, say `ready` on stdout, answer every connection on a thread
/// of its own, and exit when stdin reaches end of file (the parent closed it
/// or died). Returns only on a setup error.
pub fn serve(socket: &Path) -> Result<(), ManagerError> {
    let listener = UnixListener::bind(socket).map_err(|e| {
        ManagerError(format!(
            "the manager cannot listen at {}: {e}",
            socket.display()
        ))
    })?;
    let no_thread = |e: std::io::Error| ManagerError(format!("the manager cannot start: {e}"));
    let path = socket.to_path_buf();
    thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || {
            // Blocks until the parent closes the pipe or dies.
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            shut_down(&path);
        })
        .map_err(no_thread)?;
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT]).map_err(no_thread)?;
    let path = socket.to_path_buf();
    thread::Builder::new()
        .name("signal-watch".into())
        .spawn(move || {
            // The parent's death signal, or anyone asking politely.
            if signals.forever().next().is_some() {
                shut_down(&path);
            }
        })
        .map_err(no_thread)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{READY}")
        .and_then(|()| stdout.flush())
        .map_err(|e| ManagerError(format!("the manager cannot say it is ready: {e}")))?;
    drop(stdout);
    let held = Arc::new(Held::default());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let held = Arc::clone(&held);
        // A client that cannot get a thread is dropped; it sees an error.
        let _ = thread::Builder::new()
            .name("manager-client".into())
            .spawn(move || answer(stream, &held));
    }
    Ok(())
}

/// Removes the socket and its directory (if nothing else is in it) and
/// exits: what the parent would have done, had it lived.
fn shut_down(socket: &Path) -> ! {
    let _ = std::fs::remove_file(socket);
    if let Some(dir) = socket.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    std::process::exit(0);
}

/// What the manager holds for its clients.
#[derive(Default)]
struct Held {
    flag: AtomicBool,
    queue: Mutex<Queue>,
    /// Signalled when a frame is queued.
    filled: Condvar,
    /// Signalled when a frame is taken.
    emptied: Condvar,
}

/// The queue's frames, oldest first, and how many it may hold.
#[derive(Default)]
struct Queue {
    frames: VecDeque<Vec<u8>>,
    capacity: Option<usize>,
}

/// Answers one client's requests until it disconnects or sends something
/// that is not a request.
fn answer(mut stream: UnixStream, held: &Held) {
    let mut request = [0u8; 1];
    while stream.read_exact(&mut request).is_ok() {
        let answered = match request[0] {
            GET | SET | CLEAR => {
                match request[0] {
                    SET => held.flag.store(true, Ordering::SeqCst),
                    CLEAR => held.flag.store(false, Ordering::SeqCst),
                    _ => {}
                }
                let value = u8::from(held.flag.load(Ordering::SeqCst));
                stream.write_all(&[value])
            }
            BOUND => bound(&mut stream, held),
            PUT => put(&mut stream, held),
            TAKE => take(&mut stream, held),
            _ => return,
        };
        if answered.is_err() {
            return;
        }
    }
}

/// Sets the queue's capacity.
fn bound(stream: &mut UnixStream, held: &Held) -> std::io::Result<()> {
    let mut capacity = [0u8; 8];
    stream.read_exact(&mut capacity)?;
    let capacity = usize::try_from(u64::from_le_bytes(capacity)).unwrap_or(usize::MAX);
    lock(&held.queue).capacity = (capacity > 0).then_some(capacity);
    stream.write_all(&[DONE])
}

/// Reads one frame and queues it, waiting while the queue is full.
fn put(stream: &mut UnixStream, held: &Held) -> std::io::Result<()> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other("a frame larger than any job"));
    }
    let mut frame = Vec::with_capacity(4 + len);
    frame.extend_from_slice(&(len as u32).to_le_bytes());
    frame.resize(4 + len, 0);
    stream.read_exact(&mut frame[4..])?;
    let mut queue = lock(&held.queue);
    while queue.capacity.is_some_and(|c| queue.frames.len() >= c) {
        queue = held
            .emptied
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner);
    }
    queue.frames.push_back(frame);
    drop(queue);
    held.filled.notify_one();
    stream.write_all(&[DONE])
}

/// Sends the oldest frame, waiting until there is one.
fn take(stream: &mut UnixStream, held: &Held) -> std::io::Result<()> {
    let mut queue = lock(&held.queue);
    let frame = loop {
        match queue.frames.pop_front() {
            Some(frame) => break frame,
            None => {
                queue = held
                    .filled
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner)
            }
        }
    };
    drop(queue);
    held.emptied.notify_one();
    let sent = stream.write_all(&frame);
    if sent.is_err() {
        // The client went away while it waited: the frame is still owed
        // to another.
        lock(&held.queue).frames.push_front(frame);
        held.filled.notify_one();
    }
    sent
}

fn lock(queue: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Connects to the manager listening at `socket`, with the request timeout.
pub fn connect(socket: &Path) -> Result<UnixStream, ManagerError> {
    UnixStream::connect(socket)
        .and_then(|s| {
            s.set_read_timeout(Some(TIMEOUT))?;
            s.set_write_timeout(Some(TIMEOUT))?;
            Ok(s)
        })
        .map_err(|e| {
            ManagerError(format!(
                "cannot reach the manager at {}: {e}",
                socket.display()
            ))
        })
}
