//! A worker process: the `runner` binary re-executed as the hidden
//! `pipe-worker` subcommand by the processes backend.
//!
//! Its inboxes are file descriptors its coordinator set up before exec:
//! stdin is its own (the hello, start tokens), and the hello says how to
//! reach the queue all workers share: either the read end of a pipe and an
//! unnamed file holding a lock word every worker maps, so one reader at a
//! time takes a whole frame (the role of the lock in
//! `multiprocessing.Queue`), or the socket of a manager process holding the
//! queue, asked for one job at a time (`multiprocessing.Manager().Queue()`).
//! Replies go to stdout. Each frame is read and written whole (see
//! [`super::wire`]). The worker stops when its stdin or the shared queue
//! closes, and the kernel delivers SIGKILL if its coordinator dies first
//! (the parent-death signal set before exec).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};

use super::wire::{self, Hello, QueueAccess, Welcome, WireError};
use crate::console;
use crate::flag::{Flag, with_flag};
use crate::ipc::manager;
use crate::primes::PrimeTest;
use crate::signals;
use crate::work::{Job, Worker, with_kernel};

/// Runs a worker process until its coordinator closes its inboxes.
pub fn main() -> ExitCode {
    // A signal to the whole process group (Ctrl-C at a terminal, `kill --
    // -PGID`) reaches the workers too: the coordinator decides when its
    // workers stop, so they ignore every signal that stops a run. They end
    // when their inboxes close, or by the parent-death signal.
    for signal in signals::STOPPING {
        // SAFETY: setting a disposition to "ignore" has no preconditions.
        unsafe { libc::signal(signal, libc::SIG_IGN) };
    }
    // The pipes from and to the coordinator move to descriptors of their
    // own, and stdout becomes stderr: a stray print can then never corrupt
    // the replies, and no std handle shares the pipes.
    let (mut own, mut out) = match (private(0), private(1)) {
        (Ok(own), Ok(out)) => (own, out),
        _ => return ExitCode::from(2),
    };
    // SAFETY: dup2 and open on descriptors this process owns.
    unsafe {
        libc::dup2(2, 1);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::close(null);
        }
    }
    let hello: Hello = match wire::receive(&mut own) {
        Ok((hello, _)) => hello,
        Err(e) => return refuse(&mut out, format!("no hello from the coordinator: {e}")),
    };
    if let Err(why) = wire::check_peer(hello.protocol, &hello.runner) {
        return refuse(&mut out, why);
    }
    let setup = hello.setup;
    let shared = match Shared::reach(&setup.queue) {
        Ok(shared) => shared,
        Err(why) => return refuse(&mut out, why),
    };
    let mut inboxes = Inboxes {
        own,
        shared,
        out,
        started: !setup.rounds,
    };
    // The flag is connected and the kernel built before the worker says it
    // is ready, so neither costs anything inside a timed run.
    let inboxes = &mut inboxes;
    let served = with_flag!(&setup.flag, flag => with_kernel!(setup.kernel, kernel => {
        ready_then_serve(Worker::new(kernel, flag, 0), inboxes)
    }));
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            console::error(&format!("runner worker {}: {e}", setup.index));
            ExitCode::from(1)
        }
        Err(e) => refuse(
            &mut inboxes.out,
            format!("cannot connect to the shared flag: {e}"),
        ),
    }
}

/// Refuses to serve, saying why to the coordinator.
fn refuse(out: &mut File, why: String) -> ExitCode {
    let _ = wire::send(out, &Welcome::Refused(why));
    ExitCode::from(2)
}

/// A copy of descriptor `fd` at a number of its own (closed on exec).
fn private(fd: i32) -> io::Result<File> {
    // SAFETY: F_DUPFD_CLOEXEC makes a new descriptor or fails.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` was just made and nothing else owns it.
    Ok(unsafe { File::from_raw_fd(copy) })
}

/// The descriptor `fd` the coordinator passed, checked to be open (and a
/// pipe, for the queue) before this process takes it.
fn inherited(fd: i32, pipe: bool) -> io::Result<File> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes into `stat` or fails.
    if fd < 3 || unsafe { libc::fstat(fd, stat.as_mut_ptr()) } < 0 {
        return Err(io::Error::other(format!("descriptor {fd} is not open")));
    }
    // SAFETY: fstat succeeded, so `stat` is written.
    let mode = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
    if pipe != (mode == libc::S_IFIFO) {
        return Err(io::Error::other(format!(
            "descriptor {fd} is not what was said"
        )));
    }
    match pipe {
        // SAFETY: the coordinator handed this descriptor to this process alone.
        true => Ok(unsafe { File::from_raw_fd(fd) }),
        // Mapped read-write through a description of its own.
        false => OpenOptions::new()
            .read(true)
            .write(true)
            .open(format!("/proc/self/fd/{fd}")),
    }
}

/// A worker's file descriptors and whether it serves the shared queue now.
struct Inboxes {
    own: File,
    shared: Shared,
    out: File,
    started: bool,
}

/// A worker's end of the queue it shares with its peers.
enum Shared {
    /// The pipe's read end, read whole frame by whole frame under the lock.
    Pipe { pipe: File, lock: QueueLock },
    /// A connection to the manager process holding the queue, and whether
    /// a request for a job is out (its answer is the next job).
    Manager { stream: UnixStream, asked: bool },
}

impl Shared {
    /// Reaches the queue as the coordinator's hello says.
    fn reach(access: &QueueAccess) -> Result<Shared, String> {
        match access {
            QueueAccess::Pipe { shared_fd, lock_fd } => {
                match (inherited(*shared_fd, true), inherited(*lock_fd, false)) {
                    (Ok(pipe), Ok(lock)) => match QueueLock::map(&lock) {
                        Ok(lock) => Ok(Shared::Pipe { pipe, lock }),
                        Err(e) => Err(format!("the queue's lock: {e}")),
                    },
                    (Err(e), _) | (_, Err(e)) => Err(format!("the queue's descriptors: {e}")),
                }
            }
            QueueAccess::Manager { socket } => {
                let stream = manager::connect(socket).map_err(|e| e.0)?;
                // A worker may wait for work as long as its coordinator likes.
                stream
                    .set_read_timeout(None)
                    .map_err(|e| format!("the queue's manager connection: {e}"))?;
                Ok(Shared::Manager {
                    stream,
                    asked: false,
                })
            }
        }
    }
}

/// A worker with its flag and kernel: it says it is ready, then serves.
fn ready_then_serve<K: PrimeTest, F: Flag>(
    mut worker: Worker<K, F>,
    inboxes: &mut Inboxes,
) -> Result<(), WireError> {
    let ready = Welcome::Ready {
        protocol: wire::PROTOCOL,
        runner: env!("CARGO_PKG_VERSION").to_string(),
        pid: std::process::id(),
    };
    wire::send(&mut inboxes.out, &ready)?;
    serve(&mut worker, inboxes)
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
            if let Shared::Manager { stream, asked } = &mut self.shared
                && !*asked
            {
                stream.write_all(&[manager::TAKE])?;
                *asked = true;
            }
            let shared_fd = match &self.shared {
                Shared::Pipe { pipe, .. } => pipe.as_raw_fd(),
                Shared::Manager { stream, .. } => stream.as_raw_fd(),
            };
            let (own, shared) = wait_readable(self.own.as_raw_fd(), shared_fd)?;
            if own {
                return wire::receive(&mut self.own).map(|(job, _)| job);
            }
            if !shared {
                continue;
            }
            match &mut self.shared {
                Shared::Pipe { pipe, lock } => {
                    let _held = lock.lock();
                    // Another worker may have taken the frame while we waited.
                    if readable_now(pipe)? {
                        return wire::receive(pipe).map(|(job, _)| job);
                    }
                }
                Shared::Manager { stream, asked } => {
                    *asked = false;
                    return wire::receive(stream).map(|(job, _)| job);
                }
            }
        }
    }
}

/// Waits until `own` or `shared` can be read (or has closed).
fn wait_readable(own: RawFd, shared: RawFd) -> Result<(bool, bool), WireError> {
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
    let mut fd = pollfd(file.as_raw_fd());
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error().into());
    }
    Ok(fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)
}

fn pollfd(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// The shared queue's lock: a word in a page every worker maps, taken by
/// compare-and-swap. A reader holds it for two reads of one frame, so a
/// waiter spins briefly, then yields its core; no system call is made when
/// the lock is free (flock cost two per frame, and a sleep when contended).
struct QueueLock {
    map: memmap2::MmapMut,
}

impl QueueLock {
    /// Maps the lock file the coordinator passed.
    fn map(file: &File) -> io::Result<QueueLock> {
        // SAFETY: the file is a private unnamed page of this worker group,
        // accessed only through the atomic below.
        let map = unsafe { memmap2::MmapMut::map_mut(file)? };
        match map.len() >= 4 {
            true => Ok(QueueLock { map }),
            false => Err(io::Error::other("the queue's lock file is empty")),
        }
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: the map is at least 4 bytes, page-aligned, lives as long
        // as `self`, and is only ever accessed as this atomic.
        unsafe { AtomicU32::from_ptr(self.map.as_ptr().cast::<u32>().cast_mut()) }
    }

    fn lock(&self) -> Held<'_> {
        let word = self.word();
        let mut tries = 0u32;
        while word
            .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            tries += 1;
            match tries < 100 {
                true => std::hint::spin_loop(),
                false => std::thread::yield_now(),
            }
        }
        Held(word)
    }
}

/// The shared queue's lock, held until dropped.
struct Held<'a>(&'a AtomicU32);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}
