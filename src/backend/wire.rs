//! The wire between a coordinator and a worker process: frames of
//! postcard-encoded serde messages (see [`crate::ipc::frame`], re-exported
//! here for the backends), and a versioned hello.
//!
//! The hello is the first frame each way: the coordinator says which
//! protocol and runner it speaks and what the worker is to run; the worker
//! answers with its own versions, and either side refuses a peer of another
//! protocol before any timer starts.

use serde::{Deserialize, Serialize};

pub use crate::ipc::frame::{MAX_FRAME, WireError, encode, receive, send};

use crate::flag::FlagSpec;
use crate::work::KernelSpec;

/// The version of the frames and messages; a change to `Job`, `Reply` or
/// the hello bumps it.
pub const PROTOCOL: u32 = 6;

/// The most numbers one task may carry to a worker process: a number takes
/// at most 10 bytes (a variable-length u64), plus a little for the rest.
pub const MAX_TASK_NUMBERS: usize = (MAX_FRAME - 64) / 10;

/// What a worker process is to run, sent in the coordinator's hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// The worker's index among its peers (for messages).
    pub index: usize,
    pub kernel: KernelSpec,
    /// The shared flag its searches look at.
    pub flag: FlagSpec,
    /// Whether it serves in rounds (waits for a start token first).
    pub rounds: bool,
    /// How the worker reaches the queue it shares with its peers.
    pub queue: QueueAccess,
}

/// How a worker process reaches the shared queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueAccess {
    /// The read end of a pipe and a lock file, at these descriptors.
    Pipe { shared_fd: i32, lock_fd: i32 },
    /// A manager process listening at this socket.
    Manager { socket: std::path::PathBuf },
}

/// The coordinator's first frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub runner: String,
    pub setup: Setup,
}

/// The worker's answer to the hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Welcome {
    /// Ready to serve.
    Ready {
        protocol: u32,
        runner: String,
        pid: u32,
    },
    /// The worker will not serve this coordinator, and says why.
    Refused(String),
}

impl Hello {
    /// The hello of this build of runner.
    pub fn new(setup: Setup) -> Self {
        Hello {
            protocol: PROTOCOL,
            runner: env!("CARGO_PKG_VERSION").to_string(),
            setup,
        }
    }
}

/// Whether a peer speaking `protocol` (of runner `version`) can be served.
pub fn check_peer(protocol: u32, version: &str) -> Result<(), String> {
    match protocol == PROTOCOL {
        true => Ok(()),
        false => Err(format!(
            "a peer of protocol {protocol} (runner {version}) cannot work with protocol {PROTOCOL} \
             (runner {}); use the same runner build on both sides",
            env!("CARGO_PKG_VERSION")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Kernel;
    use crate::work::Jobs;
    use crate::work::{Chunk, Job, Reply};

    #[test]
    fn frames_round_trip_and_spans_travel_as_their_numbers() {
        let jobs = Jobs::from(vec![7u64, 11, 13, 17]);
        let job = Job::Primes {
            task: 3,
            numbers: Chunk::Span { jobs, span: 1..3 },
        };
        let mut buffer = Vec::new();
        let sent = send(&mut buffer, &job).unwrap();
        let (back, read): (Job, usize) = receive(&mut buffer.as_slice()).unwrap();
        assert_eq!(sent, read);
        assert_eq!(
            back,
            Job::Primes {
                task: 3,
                numbers: Chunk::List(vec![11, 13])
            }
        );
        let reply = Reply::Prime(100_000_007);
        assert!(encode(&reply).unwrap().len() <= 4 + 1 + 5, "compact");
        let hello = Hello::new(Setup {
            index: 1,
            kernel: KernelSpec::new(Kernel::Fast, 1 << 40),
            flag: FlagSpec::None,
            rounds: true,
            queue: QueueAccess::Pipe {
                shared_fd: 3,
                lock_fd: 4,
            },
        });
        let mut buffer = Vec::new();
        send(&mut buffer, &hello).unwrap();
        assert_eq!(receive::<Hello>(&mut buffer.as_slice()).unwrap().0, hello);
    }

    #[test]
    fn every_flag_spec_travels_in_a_hello() {
        // postcard cannot carry internally tagged enums: every spec must
        // round-trip through a frame, not only through JSON.
        let specs = [
            FlagSpec::None,
            FlagSpec::Atomic {
                path: "/dev/shm/a".into(),
            },
            FlagSpec::Mutex {
                path: "/dev/shm/m".into(),
            },
            FlagSpec::Manager {
                socket: "/tmp/s".into(),
            },
            FlagSpec::Mmap {
                path: "/dev/shm/b".into(),
            },
            FlagSpec::Redis {
                url: "redis://127.0.0.1:1".into(),
                key: "k".into(),
            },
        ];
        for flag in specs {
            let hello = Hello::new(Setup {
                index: 0,
                kernel: KernelSpec::new(Kernel::Plain, 0),
                flag,
                rounds: false,
                queue: QueueAccess::Manager {
                    socket: "/tmp/m".into(),
                },
            });
            let frame = encode(&hello).unwrap();
            assert_eq!(receive::<Hello>(&mut frame.as_slice()).unwrap().0, hello);
        }
    }

    #[test]
    fn another_protocol_is_refused() {
        assert!(check_peer(PROTOCOL, "x").is_ok());
        let err = check_peer(PROTOCOL + 1, "9.9.9").unwrap_err();
        assert!(err.contains("runner 9.9.9"), "{err}");
    }
}
