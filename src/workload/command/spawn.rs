//! One run of a command's program: spawned in a process group of its own,
//! its pipes read on the calling thread without blocking while it runs,
//! and the whole group killed on a timeout, at exit and when runner stops.

use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::lines::{LineScanner, Said, Tail};
use crate::experiment::CommandSpec;
use crate::signals;
use crate::timing::Timer;

/// The bytes read from a pipe at a time.
const READ_CHUNK: usize = 64 * 1024;
/// How often a waiting repeat looks at runner's stop flag.
const STOP_POLL: Duration = Duration::from_millis(20);
/// How long the pipes are read after the program exited (and its group was
/// killed): only a process that left the group can hold them open longer.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// How one run of the program ended, when it ran to a zero exit.
#[derive(Debug, Clone, PartialEq)]
pub struct Exit {
    /// Seconds from spawn to exit.
    pub wall_s: f64,
    /// The last `runner-*` lines of stdout.
    pub said: Said,
    /// The tail of stderr.
    pub stderr: Tail,
    /// Set when a pipe was still open after the program exited: what a
    /// note or a failure says about it.
    pub held_open: Option<String>,
}

/// Why a run of the program gave no result.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// Runner was asked to stop; the program was killed.
    Stopped,
    /// The program failed; the message says how, with its stderr tail.
    Failed(String),
}

/// Runs `argv` once as `spec` says; `extra_env` is added after the file's.
pub fn run_once(
    argv: &[String],
    spec: &CommandSpec,
    extra_env: &[(String, String)],
    timer: &Timer,
) -> Result<Exit, RunError> {
    let mut command = match spec.shell {
        true => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c").arg(argv.join(" "));
            c
        }
        false => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(cwd) = &spec.cwd {
        command.current_dir(cwd);
    }
    command.envs(spec.env.iter().chain(extra_env).map(|(k, v)| (k, v)));
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        let program = if spec.shell { "/bin/sh" } else { &argv[0] };
        RunError::Failed(format!("cannot start {program}: {e}"))
    })?;
    let group = Group(child.id() as i32);
    // A second stopping signal exits at once: the group goes first.
    let pgid = group.0;
    let _hook = signals::on_immediate_exit(move || kill_group(pgid));
    let mut pipes = Pipes::new(child.stdout.take(), child.stderr.take());
    // The exit is noted on a thread the moment it happens; the pipes are
    // read here meanwhile, so the wall time does not wait for them.
    let (tx, exited) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(status.map(|s| (s, started.elapsed())));
    });
    let ended = loop {
        let left = spec.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Waited::TimedOut;
        }
        let step = left.min(STOP_POLL);
        let news = match pipes.open() {
            true => {
                pipes.read_for(step);
                exited.try_recv().map_err(|e| match e {
                    mpsc::TryRecvError::Empty => None,
                    mpsc::TryRecvError::Disconnected => Some(()),
                })
            }
            false => exited.recv_timeout(step).map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => None,
                mpsc::RecvTimeoutError::Disconnected => Some(()),
            }),
        };
        match news {
            Ok(Ok((status, wall))) => break Waited::Exited(status, wall),
            Ok(Err(e)) => break Waited::Lost(e),
            Err(Some(())) => {
                break Waited::Lost(std::io::Error::other("the waiting thread died"));
            }
            Err(None) if timer.stopped() => break Waited::Stopped,
            Err(None) => continue,
        }
    };
    // Whatever ended the leader, its descendants go with it; the leader is
    // then reaped by its thread.
    drop(group);
    let _ = waiter.join();
    if let Waited::Stopped = ended {
        return Err(RunError::Stopped);
    }
    let held_open = pipes.drain(DRAIN_GRACE);
    let (said, stderr) = pipes.finish();
    let tail = || {
        let held = held_open
            .as_ref()
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        format!("{held}{}", stderr.describe())
    };
    match ended {
        Waited::Exited(status, wall) if status.success() => Ok(Exit {
            wall_s: wall.as_secs_f64(),
            said,
            stderr,
            held_open,
        }),
        Waited::Exited(status, _) => Err(RunError::Failed(format!(
            "the program {}{}",
            describe_status(status),
            tail()
        ))),
        Waited::TimedOut => Err(RunError::Failed(format!(
            "the program was killed after its timeout of {} s{}",
            spec.timeout.as_secs_f64(),
            tail()
        ))),
        Waited::Stopped => Err(RunError::Stopped),
        Waited::Lost(e) => Err(RunError::Failed(format!(
            "cannot wait for the program: {e}{}",
            tail()
        ))),
    }
}

/// A process group, killed when dropped (a no-op once it is empty).
struct Group(i32);

impl Drop for Group {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals the group; no memory is touched.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

enum Waited {
    Exited(ExitStatus, Duration),
    TimedOut,
    Stopped,
    Lost(std::io::Error),
}

/// The program's stdout and stderr, read without blocking as they stream:
/// stdout is scanned line by line, stderr keeps its tail. Nothing here
/// grows with what the program prints, and nothing outlives the repeat:
/// the pipes are read on the caller's thread with a deadline, and closed
/// when dropped.
struct Pipes {
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    lines: LineScanner,
    tail: Tail,
    chunk: Vec<u8>,
}

impl Pipes {
    fn new(stdout: Option<ChildStdout>, stderr: Option<ChildStderr>) -> Pipes {
        let stdout = stdout.filter(|p| nonblocking(p.as_raw_fd()));
        let stderr = stderr.filter(|p| nonblocking(p.as_raw_fd()));
        Pipes {
            stdout,
            stderr,
            lines: LineScanner::default(),
            tail: Tail::default(),
            chunk: vec![0; READ_CHUNK],
        }
    }

    /// Whether a pipe is still open at our end (its writers may write).
    fn open(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some()
    }

    /// Waits up to `wait` for either pipe to have something, and reads
    /// what is there; a pipe at its end is closed.
    fn read_for(&mut self, wait: Duration) {
        let fd = |p: Option<i32>| libc::pollfd {
            fd: p.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        };
        let mut fds = [
            fd(self.stdout.as_ref().map(AsRawFd::as_raw_fd)),
            fd(self.stderr.as_ref().map(AsRawFd::as_raw_fd)),
        ];
        let ms = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: `fds` is a valid array of two pollfd for the call's
        // duration; a negative fd is ignored by poll(2).
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if ready <= 0 {
            // Nothing yet, or EINTR: the caller looks again.
            return;
        }
        if fds[0].revents != 0 {
            let (pipe, chunk, lines) = (&mut self.stdout, &mut self.chunk, &mut self.lines);
            read_some(pipe, chunk, |bytes| lines.feed(bytes));
        }
        if fds[1].revents != 0 {
            let (pipe, chunk, tail) = (&mut self.stderr, &mut self.chunk, &mut self.tail);
            read_some(pipe, chunk, |bytes| tail.feed(bytes));
        }
    }

    /// Reads both pipes to their end, or for `grace` at most. Returns what
    /// to say when a pipe was still open then: the program has exited and
    /// its group is gone, so a process that left the group holds it.
    fn drain(&mut self, grace: Duration) -> Option<String> {
        let deadline = Instant::now() + grace;
        while self.open() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.read_for(left);
        }
        let held: Vec<&str> = [
            self.stdout.as_ref().map(|_| "stdout"),
            self.stderr.as_ref().map(|_| "stderr"),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Our ends close here: a late writer gets EPIPE, and no thread of
        // ours is left waiting on it.
        self.stdout = None;
        self.stderr = None;
        (!held.is_empty()).then(|| {
            format!(
                "a process the program started kept its {} open after the program exited (it left the program's process group, so runner could not stop it); what was printed until then was read, and reading stopped {} s later",
                held.join(" and "),
                grace.as_secs_f64()
            )
        })
    }

    /// What stdout said and stderr's tail.
    fn finish(self) -> (Said, Tail) {
        (self.lines.finish(), self.tail)
    }
}

/// Makes `fd` non-blocking; false (the pipe is then not read) on failure.
fn nonblocking(fd: i32) -> bool {
    // SAFETY: fcntl(2) on a descriptor we own; no memory is touched.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) >= 0
    }
}

/// Reads what `pipe` has now into `fold`; at its end (or on an error) the
/// pipe is closed.
fn read_some(pipe: &mut Option<impl Read>, chunk: &mut [u8], mut fold: impl FnMut(&[u8])) {
    let Some(reader) = pipe else { return };
    match reader.read(chunk) {
        Ok(0) => *pipe = None,
        Ok(n) => fold(&chunk[..n]),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
        Err(_) => *pipe = None,
    }
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal} ({})", signal_name(signal)),
        (None, None) => "ended abnormally".into(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "another signal",
    }
}
