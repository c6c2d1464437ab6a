//! The queue the worker processes share, as the coordinator sets it up and
//! feeds it: a pipe whose read end every worker inherits, with a lock word
//! in a page they all map so one reader at a time takes a whole frame (the
//! design of `multiprocessing.Queue`, fed by a thread of the coordinator),
//! or a manager process every worker connects to (the design of
//! `multiprocessing.Manager().Queue()`).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};

use crate::backend::wire::{self, QueueAccess};
use crate::backend::{BackendError, start_error};
use crate::experiment::{Capacity, QueueHost};
use crate::ipc::manager::{self, ManagerProcess};
use crate::work::Job;

/// The coordinator's end of the queue the workers share.
pub(super) enum SharedQueue {
    /// Jobs go to the feeder thread, which writes them into the pipe.
    Pipe {
        jobs: Option<Sender<Job>>,
        feeder: Option<JoinHandle<()>>,
    },
    /// Jobs go to the manager process, one request each.
    Manager {
        client: Mutex<UnixStream>,
        /// Stops the manager when dropped, after the workers.
        process: Option<ManagerProcess>,
    },
}

/// Where the shared queue is being set up, before the workers start.
pub(super) enum QueuePlace {
    /// A pipe and its lock file, whose read end and lock every worker
    /// inherits.
    Pipe {
        read: OwnedFd,
        write: OwnedFd,
        lock: OwnedFd,
    },
    /// A manager process every worker connects to.
    Manager(ManagerProcess),
}

impl QueuePlace {
    pub(super) fn make(host: QueueHost, program: &Path) -> Result<QueuePlace, BackendError> {
        Ok(match host {
            QueueHost::Direct => {
                let (read, write) =
                    pipe().map_err(|e| start_error("cannot make the shared queue", &e))?;
                let lock =
                    lock_file().map_err(|e| start_error("cannot make the queue's lock", &e))?;
                QueuePlace::Pipe { read, write, lock }
            }
            QueueHost::Manager => QueuePlace::Manager(
                ManagerProcess::start(program)
                    .map_err(|e| start_error("cannot start the queue's manager process", &e))?,
            ),
        })
    }

    /// The descriptors a worker inherits, at the same numbers.
    pub(super) fn inherited(&self) -> Vec<RawFd> {
        match self {
            QueuePlace::Pipe { read, lock, .. } => vec![read.as_raw_fd(), lock.as_raw_fd()],
            QueuePlace::Manager(_) => Vec::new(),
        }
    }

    /// What a worker's hello says of the queue.
    pub(super) fn access(&self) -> QueueAccess {
        match self {
            QueuePlace::Pipe { read, lock, .. } => QueueAccess::Pipe {
                shared_fd: read.as_raw_fd(),
                lock_fd: lock.as_raw_fd(),
            },
            QueuePlace::Manager(manager) => QueueAccess::Manager {
                socket: manager.socket().to_path_buf(),
            },
        }
    }

    /// The coordinator's end, once every worker has its own: a manager's
    /// answer is awaited `tick` at a time, and the feeder thread tells
    /// `sent` the bytes and frames it writes.
    pub(super) fn open(
        self,
        capacity: Capacity,
        tick: Duration,
        sent: impl Fn(u64, u64) + Send + 'static,
    ) -> Result<SharedQueue, BackendError> {
        match self {
            QueuePlace::Pipe { read, write, lock } => {
                // The workers hold their own copies now; the coordinator
                // keeps none, so the queue reads as closed once it closes
                // its write end.
                drop((read, lock));
                let (jobs, queue_rx) = match capacity {
                    Capacity::Unbounded => unbounded(),
                    Capacity::Bounded(n) => bounded(n),
                };
                let pipe = File::from(write);
                let feeder = thread::Builder::new()
                    .name("queue-feeder".into())
                    .spawn(move || feed(&queue_rx, pipe, sent))
                    .map_err(|e| start_error("cannot start the queue's feeder thread", &e))?;
                Ok(SharedQueue::Pipe {
                    jobs: Some(jobs),
                    feeder: Some(feeder),
                })
            }
            QueuePlace::Manager(process) => {
                let bound = match capacity {
                    Capacity::Unbounded => 0u64,
                    Capacity::Bounded(n) => n as u64,
                };
                let mut client = manager::connect(process.socket())
                    .map_err(|e| start_error("cannot reach the queue's manager", &e))?;
                let mut request = vec![manager::BOUND];
                request.extend_from_slice(&bound.to_le_bytes());
                let mut done = [0u8];
                io::Write::write_all(&mut client, &request)
                    .and_then(|()| io::Read::read_exact(&mut client, &mut done))
                    .map_err(|e| start_error("the queue's manager did not answer", &e))?;
                client
                    .set_read_timeout(Some(tick))
                    .map_err(|e| start_error("the queue's manager connection", &e))?;
                Ok(SharedQueue::Manager {
                    client: Mutex::new(client),
                    process: Some(process),
                })
            }
        }
    }
}

/// A pipe whose ends are closed on exec (workers get a copy by dup2).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just opened both; nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// An unnamed file for the queue's lock: nothing to clean up, whatever
/// happens, since it never has a name (or has one only for an instant, on
/// file systems without O_TMPFILE).
fn lock_file() -> io::Result<OwnedFd> {
    // /dev/shm keeps the lock word in memory; the temp folder is the fallback.
    let shm = std::path::Path::new("/dev/shm");
    let dir = match shm.is_dir() {
        true => shm.to_path_buf(),
        false => std::env::temp_dir(),
    };
    let path =
        std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
    // SAFETY: a valid C string and flags; the result is checked.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC,
            0o600,
        )
    };
    if fd >= 0 {
        // SAFETY: open just returned this descriptor.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.set_len(LOCK_BYTES)?;
        return Ok(OwnedFd::from(file));
    }
    let named = dir.join(format!(
        ".runner-queue-lock-{}-{}",
        std::process::id(),
        LOCKS.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&named)?;
    std::fs::remove_file(&named)?;
    file.set_len(LOCK_BYTES)?;
    Ok(OwnedFd::from(file))
}

/// The size of the lock file: one page, mapped by every worker.
const LOCK_BYTES: u64 = 4096;

/// Names the fallback lock files apart.
static LOCKS: AtomicU64 = AtomicU64::new(0);

/// The most bytes the feeder writes at once: a pipe's buffer.
const FEED_BATCH: usize = 64 << 10;

/// The feeder thread: writes the queued jobs into the shared pipe, whole
/// frames only, gathering those already waiting into one write (a queued
/// number is a 9-byte frame: one write each would cost more than the frame),
/// telling `sent` the bytes and frames of each write.
fn feed(queue: &Receiver<Job>, mut pipe: File, sent: impl Fn(u64, u64)) {
    let mut batch = Vec::with_capacity(FEED_BATCH);
    while let Ok(job) = queue.recv() {
        let mut frames = 0u64;
        let mut next = Some(job);
        while let Some(job) = next.take() {
            match wire::encode(&job) {
                Ok(frame) => batch.extend_from_slice(&frame),
                Err(_) => return, // a task too large to send; `receive` reports the loss
            }
            frames += 1;
            if batch.len() < FEED_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if io::Write::write_all(&mut pipe, &batch).is_err() {
            return; // every worker is gone; `receive` says so
        }
        sent(batch.len() as u64, frames);
        batch.clear();
    }
}
