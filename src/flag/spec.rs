//! Flags shared across processes: the owner a coordinator creates per case
//! ([`SharedFlag`]), and the serializable [`FlagSpec`] a worker process
//! connects from.
//!
//! The coordinator creates one `SharedFlag` per case, before the timer; it
//! owns what the flag lives in (a /dev/shm file, a manager process, a Redis
//! key) and removes it when dropped or on an immediate exit. Its `spec()`
//! goes to every worker in a message; a worker calls
//! [`FlagSpec::dispatch`] once, which connects the kind's own handle type and
//! runs the worker's generic code with it, so every look is compiled for its
//! kind (as `KernelSpec::dispatch` does for kernels).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::shm::ShmFile;
use super::shm_mutex::ShmMutexFlag;
use super::{Flag, FlagError, RedisFlag};
use crate::experiment::FlagKind;
use crate::ipc::manager::ManagerProcess;

/// How a worker in any process reaches a shared flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagSpec {
    /// No flag: nothing to connect to.
    None,
    /// An atomic byte in a /dev/shm file (the book's RawValue).
    Atomic { path: PathBuf },
    /// A byte behind a process-shared mutex in a /dev/shm file.
    Mutex { path: PathBuf },
    /// A manager process listening on a Unix socket.
    Manager { socket: PathBuf },
    /// Byte 0 of a /dev/shm file each worker maps (the book's mmap).
    Mmap { path: PathBuf },
    /// A key on a Redis server.
    Redis { url: String, key: String },
}

/// Connects this process's first handle to the flag that the [`FlagSpec`]
/// `$spec` (a reference) names and runs `$body` with `$flag` bound to it:
/// `Ok` of the body, or the [`FlagError`] of connecting. The body is compiled
/// once per kind, so every look in it is a direct call (the
/// `either::for_both!` idiom, as `work::with_kernel!` for kernels). The only
/// place a spec's kind is matched; further handles for more workers of this
/// process come from `Flag::connect`.
macro_rules! with_flag {
    ($spec:expr, $flag:ident => $body:expr) => {{
        use $crate::flag::FlagSpec;
        let spec: &FlagSpec = $spec;
        match spec {
            FlagSpec::None => {
                let $flag = $crate::flag::NoFlag;
                Ok($body)
            }
            FlagSpec::Atomic { path } => match $crate::flag::ShmAtomicFlag::open(path) {
                Ok($flag) => Ok($body),
                Err(e) => Err(e),
            },
            FlagSpec::Mutex { path } => match $crate::flag::ShmMutexFlag::open(path) {
                Ok($flag) => Ok($body),
                Err(e) => Err(e),
            },
            FlagSpec::Manager { socket } => match $crate::flag::ManagerClient::connect_to(socket) {
                Ok($flag) => Ok($body),
                Err(e) => Err(e),
            },
            FlagSpec::Mmap { path } => match $crate::flag::ShmMmapFlag::open(path) {
                Ok($flag) => Ok($body),
                Err(e) => Err(e),
            },
            FlagSpec::Redis { url, key } => match $crate::flag::RedisFlag::attach(url, key) {
                Ok($flag) => Ok($body),
                Err(e) => Err(e),
            },
        }
    }};
}
pub(crate) use with_flag;

/// Code that runs with whichever flag a spec names, compiled per kind (for
/// code outside the crate; inside it, [`with_flag!`] says the same).
pub trait WithFlag {
    type Output;
    fn run<F: Flag>(self, flag: F) -> Self::Output;
}

impl FlagSpec {
    /// The kind of flag this spec reaches.
    pub fn kind(&self) -> FlagKind {
        match self {
            FlagSpec::None => FlagKind::None,
            FlagSpec::Atomic { .. } => FlagKind::Atomic,
            FlagSpec::Mutex { .. } => FlagKind::Mutex,
            FlagSpec::Manager { .. } => FlagKind::Manager,
            FlagSpec::Mmap { .. } => FlagKind::Mmap,
            FlagSpec::Redis { .. } => FlagKind::Redis,
        }
    }

    /// Connects this process's first handle and runs `user` with it
    /// ([`with_flag!`]).
    pub fn dispatch<U: WithFlag>(&self, user: U) -> Result<U::Output, FlagError> {
        with_flag!(self, flag => user.run(flag))
    }

    /// A handle of whichever kind, for code that looks rarely (a
    /// coordinator clearing the flag between searches); workers should use
    /// `dispatch`, which avoids a match per look.
    pub fn connect(&self) -> Result<AnyFlag, FlagError> {
        with_flag!(self, flag => AnyFlag(Box::new(flag)))
    }
}

/// A handle of any kind, behind one indirect call per operation.
pub struct AnyFlag(Box<dyn DynFlag>);

/// `Flag` without `Sized`, so it can be boxed. (Its own names, so a call
/// on a handle never has two candidates.)
trait DynFlag: Send {
    fn connect_any(&self) -> Result<AnyFlag, FlagError>;
    fn clear_any(&mut self) -> Result<(), FlagError>;
    fn set_any(&mut self) -> Result<(), FlagError>;
    fn is_set_any(&mut self) -> Result<bool, FlagError>;
    fn rekey_any(&mut self, key: &str);
}

impl<F: Flag> DynFlag for F {
    fn rekey_any(&mut self, key: &str) {
        self.rekey(key);
    }
    fn connect_any(&self) -> Result<AnyFlag, FlagError> {
        self.connect().map(|f| AnyFlag(Box::new(f)))
    }
    fn clear_any(&mut self) -> Result<(), FlagError> {
        self.clear()
    }
    fn set_any(&mut self) -> Result<(), FlagError> {
        self.set()
    }
    fn is_set_any(&mut self) -> Result<bool, FlagError> {
        self.is_set()
    }
}

impl Flag for AnyFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        self.0.connect_any()
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.0.clear_any()
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.0.set_any()
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        self.0.is_set_any()
    }
    fn rekey(&mut self, key: &str) {
        self.0.rekey_any(key);
    }
}

/// What creating a shared flag may need besides its kind.
#[derive(Debug, Clone)]
pub struct FlagSetup {
    /// The runner binary, re-executed as the manager process.
    pub program: PathBuf,
    /// The Redis server for a `redis` flag.
    pub redis_url: String,
}

impl FlagSetup {
    /// The running binary as the manager program, and `redis_url`.
    pub fn this_binary(redis_url: &str) -> Result<Self, FlagError> {
        let program = std::env::current_exe().map_err(|e| {
            FlagError(format!(
                "cannot find the runner binary to start a flag manager: {e}"
            ))
        })?;
        Ok(FlagSetup {
            program,
            redis_url: redis_url.to_string(),
        })
    }
}

/// What an owner keeps alive; dropped after the owner's own handle.
enum Owned {
    Nothing,
    /// Held only so its Drop removes the file.
    File(#[allow(dead_code)] ShmFile),
    Manager(ManagerProcess),
}

/// A flag that workers in other processes can reach, owned by the
/// coordinator that created it for one case.
///
/// Dropping it removes the /dev/shm file, stops the manager process and
/// removes its socket, or deletes the Redis key; an immediate exit does the
/// same through `signals::on_immediate_exit` hooks (all but the Redis key,
/// which is no file and no process: it dies with the server).
pub struct SharedFlag {
    // Declared (so dropped) before `owned`: a handle is closed before what
    // it connects to goes away, and a Redis owner handle deletes its key.
    handle: AnyFlag,
    spec: FlagSpec,
    owned: Owned,
}

impl SharedFlag {
    /// Creates a flag of `kind`, lowered, and the owner's own handle.
    pub fn create(kind: FlagKind, setup: &FlagSetup) -> Result<Self, FlagError> {
        let (owned, spec, handle) = match kind {
            FlagKind::None => (Owned::Nothing, FlagSpec::None, None),
            FlagKind::Atomic => {
                let file = ShmFile::create("atomic", 1)?;
                let spec = FlagSpec::Atomic {
                    path: file.path().to_path_buf(),
                };
                (Owned::File(file), spec, None)
            }
            FlagKind::Mmap => {
                let file = ShmFile::create("mmap", 1)?;
                let spec = FlagSpec::Mmap {
                    path: file.path().to_path_buf(),
                };
                (Owned::File(file), spec, None)
            }
            FlagKind::Mutex => {
                let (file, handle) = ShmMutexFlag::create()?;
                let spec = FlagSpec::Mutex {
                    path: file.path().to_path_buf(),
                };
                (Owned::File(file), spec, Some(AnyFlag(Box::new(handle))))
            }
            FlagKind::Manager => {
                let manager = ManagerProcess::start(&setup.program)?;
                let spec = FlagSpec::Manager {
                    socket: manager.socket().to_path_buf(),
                };
                (Owned::Manager(manager), spec, None)
            }
            FlagKind::Redis => {
                let owner = RedisFlag::connect_to(&setup.redis_url)?;
                let spec = FlagSpec::Redis {
                    url: setup.redis_url.clone(),
                    key: owner.key().to_string(),
                };
                (Owned::Nothing, spec, Some(AnyFlag(Box::new(owner))))
            }
        };
        let mut handle = match handle {
            Some(handle) => handle,
            None => spec.connect()?,
        };
        // A fresh file is zero and a fresh manager holds false; clearing
        // anyway makes "created lowered" true of every kind, Redis included.
        handle.clear()?;
        Ok(SharedFlag {
            handle,
            spec,
            owned,
        })
    }

    /// What a worker in any process connects from.
    pub fn spec(&self) -> &FlagSpec {
        &self.spec
    }

    /// The owner's own handle, to clear the flag between searches or look.
    pub fn handle(&mut self) -> &mut AnyFlag {
        &mut self.handle
    }

    /// The manager process's id, for a `manager` flag.
    pub fn manager_pid(&self) -> Option<u32> {
        match &self.owned {
            Owned::Manager(m) => Some(m.pid()),
            _ => None,
        }
    }

    /// The /dev/shm file or the manager's socket this flag lives in, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.spec {
            FlagSpec::Atomic { path } | FlagSpec::Mutex { path } | FlagSpec::Mmap { path } => {
                Some(path)
            }
            FlagSpec::Manager { socket } => Some(socket),
            FlagSpec::None | FlagSpec::Redis { .. } => None,
        }
    }
}
