//! Shared early-exit flags: several workers search one number's divisors, and
//! the first to find a factor sets the flag so the others can stop.
//!
//! Each kind is a real mechanism with its real cost per look: a relaxed atomic
//! load, a lock, a round trip to a server thread, a byte in a memory map, a
//! request to a Redis server. Every worker holds its own handle (`connect`),
//! since a connection or a reply channel belongs to one worker.
//!
//! Two families: the in-process flags (`AtomicFlag`, `MutexFlag`,
//! `ManagerFlag`, `MmapFlag`), which only threads of one process can share,
//! and the flags that cross processes (`ShmAtomicFlag`, `ShmMutexFlag`,
//! `ManagerClient`, `ShmMmapFlag`), created per case as a [`SharedFlag`]
//! and reached from a serializable [`FlagSpec`]. `NoFlag` and `RedisFlag`
//! serve both.

pub mod atomic;
pub mod manager;
pub mod manager_client;
pub mod mmap;
pub mod mutex;
pub mod none;
pub mod redis;
pub mod shm;
pub mod shm_mutex;
pub mod spec;

use crate::ipc::manager::ManagerError;

/// Why a flag could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FlagError(pub String);

impl From<ManagerError> for FlagError {
    fn from(e: ManagerError) -> Self {
        FlagError(e.0)
    }
}

/// One worker's handle to a shared flag.
pub trait Flag: Send + Sized + 'static {
    /// Another handle to the same flag, for another worker.
    fn connect(&self) -> Result<Self, FlagError>;
    /// Lowers the flag before a search.
    fn clear(&mut self) -> Result<(), FlagError>;
    /// Raises the flag: a factor was found.
    fn set(&mut self) -> Result<(), FlagError>;
    /// Whether any worker raised the flag.
    fn is_set(&mut self) -> Result<bool, FlagError>;
    /// Uses `key` from now on, for a flag that lives in a keyed store (Redis):
    /// the Redis executor gives every search round a key of its own, so that
    /// a late search of an earlier round cannot raise this round's flag. A
    /// key so chosen expires by itself. Other flags ignore it.
    fn rekey(&mut self, _key: &str) {}
}

pub use atomic::AtomicFlag;
pub use manager::ManagerFlag;
pub use manager_client::ManagerClient;
pub use mmap::MmapFlag;
pub use mutex::MutexFlag;
pub use none::NoFlag;
pub use redis::RedisFlag;
pub use shm::{ShmAtomicFlag, ShmFile, ShmMmapFlag};
pub use shm_mutex::ShmMutexFlag;
pub(crate) use spec::with_flag;
pub use spec::{AnyFlag, FlagSetup, FlagSpec, SharedFlag, WithFlag};
