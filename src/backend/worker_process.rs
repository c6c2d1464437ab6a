//! A worker process: the `runner` binary re-executed as the hidden
//! `pipe-worker` subcommand by the processes backend.
//!
//! Its inboxes are file descriptors its coordinator set up before exec:
//! stdin is its own (start tokens), fd 3 the read end of the queue all
//! workers share, and fd 4 an unnamed file whose lock makes one reader at a
//! time take a whole frame from the shared queue (the role of the lock in
//! `multiprocessing.Queue`). Replies go to stdout. Each frame is read and
//! written whole (see [`super::wire`]). The worker stops when its stdin or
//! the shared queue closes, and the kernel delivers SIGKILL if its
//! coordinator dies first (the parent-death signal set before exec).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::process::ExitCode;

use super::wire::{self, Hello, Welcome, WireError};
use crate::flag::{Flag, WithFlag};
use crate::primes::PrimeTest;
use crate::work::{Job, WithKernel, Worker};

/// The file descriptor of the shared queue's read end in a worker.
pub const SHARED_FD: i32 = 3;
/// The file descriptor of the shared queue's lock file in a worker.
pub const LOCK_FD: i32 = 4;

/// Runs a worker process until its coordinator closes its inboxes.
pub fn main() -> ExitCode {
    // Ctrl-C at a terminal signals the whole foreground group, workers too:
    // the coordinator decides when its workers stop, so they ignore it.
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    // SAFETY: stdin and stdout are this process's own pipes from its
    // coordinator; nothing else in this process uses them.
    let (mut own, mut out) = unsafe { (File::from_raw_fd(0), File::from_raw_fd(1)) };
    let hello: Hello = match wire::receive(&mut own) {
        Ok((hello, _)) => hello,
        Err(e) => return fail(&mut out, format!("no hello from the coordinator: {e}")),
    };
    if let Err(why) = wire::check_peer(hello.protocol, &hello.runner) {
        return fail(&mut out, why);
    }
    // SAFETY: the coordinator set up fd 3 before exec (it only says hello
    // once it has); nothing else in this process uses it.
    let shared = unsafe { File::from_raw_fd(SHARED_FD) };
    // A description of the lock file of its own: flock excludes other
    // descriptions, and the inherited fd is one description for everyone.
    let lock = match OpenOptions::new()
        .read(true)
        .open(format!("/proc/self/fd/{LOCK_FD}"))
    {
        Ok(lock) => lock,
        Err(e) => return fail(&mut out, format!("cannot open the queue's lock: {e}")),
    };
    let ready = Welcome::Ready {
        protocol: wire::PROTOCOL,
        runner: env!("CARGO_PKG_VERSION").to_string(),
        pid: std::process::id(),
    };
    if wire::send(&mut out, &ready).is_err() {
        return ExitCode::from(1);
    }
    let inboxes = Inboxes {
        own,
        shared,
        lock,
        out,
        started: !hello.setup.rounds,
    };
    let kernel = hello.setup.kernel;
    let served = hello
        .setup
        .flag
        .dispatch(WithFlagStage { inboxes, kernel })
        .map_err(|e| e.to_string())
        .and_then(|served| served.map_err(|e| e.to_string()));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::console::error(&format!("runner worker: {e}"));
            ExitCode::from(1)
        }
    }
}

/// Refuses to serve, saying why to the coordinator.
fn fail(out: &mut File, why: String) -> ExitCode {
    let _ = wire::send(out, &Welcome::Refused(why));
    ExitCode::from(2)
}

/// A worker's file descriptors and whether it serves the shared queue now.
struct Inboxes {
    own: File,
    shared: File,
    lock: File,
    out: File,
    started: bool,
}

/// A worker with its flag connected, waiting for its kernel.
struct WithFlagStage {
    inboxes: Inboxes,
    kernel: crate::work::KernelSpec,
}

impl WithFlag for WithFlagStage {
    type Output = Result<(), WireError>;
    fn run<F: Flag>(self, flag: F) -> Result<(), WireError> {
        self.kernel.dispatch(WithKernelStage {
            inboxes: self.inboxes,
            flag,
        })
    }
}

/// A worker with its flag and kernel: ready to serve.
struct WithKernelStage<F> {
    inboxes: Inboxes,
    flag: F,
}

impl<F: Flag> WithKernel for WithKernelStage<F> {
    type Output = Result<(), WireError>;
    fn run<K: PrimeTest + Clone + 'static>(mut self, kernel: K) -> Result<(), WireError> {
        let mut worker = Worker {
            kernel,
            flag: self.flag,
        };
        serve(&mut worker, &mut self.inboxes)
    }
}

/// Serves jobs until an inbox closes; a closed inbox is a normal end.
fn serve<K: PrimeTest, F: Flag>(
    worker: &mut Worker<K, F>,
    io: &mut Inboxes,
) -> Result<(), WireError> {
    loop {
        let job = match io.next_job() {
            Ok(job) => job,
            Err(WireError::Closed) => return Ok(()),
            Err(e) => return Err(e),
        };
        match job {
            Job::Start => io.started = true,
            Job::Pill => io.started = false,
            _ => {}
        }
        if let Some(reply) = worker.serve(job) {
            match wire::send(&mut io.out, &reply) {
                Err(WireError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                other => _ = other?,
            }
        }
    }
}

impl Inboxes {
    /// The next job: from its own inbox first, else (once started) a whole
    /// frame from the shared queue, taken under the queue's lock.
    fn next_job(&mut self) -> Result<Job, WireError> {
        if !self.started {
            return wire::receive(&mut self.own).map(|(job, _)| job);
        }
        loop {
            let (own, shared) = wait_readable(&self.own, &self.shared)?;
            if own {
                return wire::receive(&mut self.own).map(|(job, _)| job);
            }
            if shared {
                let _held = Held::lock(&self.lock)?;
                // Another worker may have taken the frame while we waited.
                if readable_now(&self.shared)? {
                    return wire::receive(&mut self.shared).map(|(job, _)| job);
                }
            }
        }
    }
}

/// Waits until `own` or `shared` can be read (or has closed).
fn wait_readable(own: &File, shared: &File) -> Result<(bool, bool), WireError> {
    let mut fds = [pollfd(own), pollfd(shared)];
    loop {
        // SAFETY: `fds` is a valid array of two pollfd for the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n >= 0 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e.into());
        }
    }
    let ready =
        |fd: &libc::pollfd| fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
    Ok((ready(&fds[0]), ready(&fds[1])))
}

/// Whether `file` can be read right now (or has closed).
fn readable_now(file: &File) -> Result<bool, WireError> {
    let mut fd = pollfd(file);
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error().into());
    }
    Ok(fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)
}

fn pollfd(file: &File) -> libc::pollfd {
    libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }
}

/// The shared queue's lock, held until dropped.
struct Held<'a>(&'a File);

impl<'a> Held<'a> {
    fn lock(file: &'a File) -> Result<Held<'a>, WireError> {
        file.lock()?;
        Ok(Held(file))
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
