//! The flag lives in a separate manager process; workers ask it over a Unix
//! socket, one request byte and one reply byte per look: the book's
//! `Manager().Value` proxy and its round trip to the manager process.
//!
//! # How it works
//! The manager is the runner binary re-executed as the hidden `manager`
//! subcommand. The owner ([`ManagerProcess`]) makes a private directory
//! (`$TMPDIR/runner-<pid>-<n>/`, mode 0700), starts the manager with the
//! socket path inside it, and waits for the manager's `ready` line, which it
//! prints once the socket is listening; so the manager is up before any
//! timer starts, and a handle can connect at once.
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

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::{Flag, FlagError};
use crate::signals::{self, HookGuard};

/// The requests a handle sends, one byte each.
const GET: u8 = b'?';
const SET: u8 = b'1';
const CLEAR: u8 = b'0';

/// What the manager prints once its socket is listening.
const READY: &str = "ready";

/// How long a look waits for the manager before failing instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(30);

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
    pub fn start(program: &Path) -> Result<Self, FlagError> {
        let dir = std::env::temp_dir().join(format!(
            "runner-{}-{}",
            std::process::id(),
            MANAGERS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                FlagError(format!(
                    "cannot create {} for the flag manager's socket: {e}; point TMPDIR at a \
                     writable folder",
                    dir.display()
                ))
            })?;
        let socket = dir.join("flag.sock");
        let (started_tx, started_rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let (program, path) = (program.to_path_buf(), socket.clone());
        let starter = thread::Builder::new()
            .name("flag-manager".into())
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
                return Err(FlagError(format!(
                    "cannot start a thread for the flag manager: {e}"
                )));
            }
        };
        let started = started_rx.recv().unwrap_or_else(|_| {
            Err(FlagError(
                "the flag manager's starter thread stopped".into(),
            ))
        });
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
fn spawn(program: &Path, socket: &Path) -> Result<Child, FlagError> {
    let parent = std::process::id();
    let mut command = Command::new(program);
    command
        .arg("manager")
        .arg(socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    // SAFETY: the closure runs between fork and exec and only makes two
    // async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the death signal was armed.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("the parent already exited"));
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| {
        FlagError(format!(
            "cannot start the flag manager process {}: {e}",
            program.display()
        ))
    })?;
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    let ready = BufReader::new(stdout).read_line(&mut line);
    if ready.is_err() || line.trim_end() != READY {
        let _ = child.kill();
        let status = child.wait();
        return Err(FlagError(format!(
            "the flag manager process did not start (it said {:?}, {}); its error, if any, \
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

/// One connection to the manager; each look is a request and its reply.
#[derive(Debug)]
pub struct ManagerClient {
    socket: PathBuf,
    stream: UnixStream,
}

impl ManagerClient {
    /// Connects to the manager listening at `socket`.
    pub fn connect_to(socket: &Path) -> Result<Self, FlagError> {
        let stream = UnixStream::connect(socket)
            .and_then(|s| {
                s.set_read_timeout(Some(TIMEOUT))?;
                s.set_write_timeout(Some(TIMEOUT))?;
                Ok(s)
            })
            .map_err(|e| {
                FlagError(format!(
                    "cannot reach the flag manager at {}: {e}",
                    socket.display()
                ))
            })?;
        Ok(ManagerClient {
            socket: socket.to_path_buf(),
            stream,
        })
    }

    /// Sends one request and reads the value the manager holds after it.
    fn ask(&mut self, request: u8) -> Result<bool, FlagError> {
        let mut reply = [0u8; 1];
        self.stream
            .write_all(&[request])
            .and_then(|()| self.stream.read_exact(&mut reply))
            .map_err(|e| {
                FlagError(format!(
                    "the flag manager at {} stopped answering: {e}",
                    self.socket.display()
                ))
            })?;
        Ok(reply[0] == 1)
    }
}

impl Flag for ManagerClient {
    /// A new connection: a connection belongs to one worker.
    fn connect(&self) -> Result<Self, FlagError> {
        ManagerClient::connect_to(&self.socket)
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.ask(CLEAR).map(drop)
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.ask(SET).map(drop)
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        self.ask(GET)
    }
}

/// The manager process's life (the hidden `runner manager SOCKET`): listen
/// at `socket`, say `ready` on stdout, answer every connection on a thread
/// of its own, and exit when stdin reaches end of file (the parent closed it
/// or died). Returns only on a setup error.
pub fn serve(socket: &Path) -> Result<(), FlagError> {
    let listener = UnixListener::bind(socket).map_err(|e| {
        FlagError(format!(
            "the flag manager cannot listen at {}: {e}",
            socket.display()
        ))
    })?;
    let no_thread = |e: std::io::Error| FlagError(format!("the flag manager cannot start: {e}"));
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
        .map_err(|e| FlagError(format!("the flag manager cannot say it is ready: {e}")))?;
    drop(stdout);
    let value = Arc::new(AtomicBool::new(false));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let value = Arc::clone(&value);
        // A client that cannot get a thread is dropped; it sees an error.
        let _ = thread::Builder::new()
            .name("flag-client".into())
            .spawn(move || answer(stream, &value));
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

/// Answers one client's requests until it disconnects.
fn answer(mut stream: UnixStream, value: &AtomicBool) {
    let mut request = [0u8; 1];
    while stream.read_exact(&mut request).is_ok() {
        match request[0] {
            SET => value.store(true, Ordering::SeqCst),
            CLEAR => value.store(false, Ordering::SeqCst),
            _ => {}
        }
        let reply = u8::from(value.load(Ordering::SeqCst));
        if stream.write_all(&[reply]).is_err() {
            return;
        }
    }
}
