//! A lock every process can take: a process-shared, robust pthread mutex in
//! a /dev/shm file, guarding one byte. Every look takes and releases the
//! lock, like the book's `multiprocessing.Value` with its lock.
//!
//! The mutex is process-shared so a futex in the shared page works across
//! address spaces, and robust so a worker killed while holding it does not
//! wedge the others: the next locker is told (`EOWNERDEAD`), marks the
//! mutex consistent and goes on, since a one-byte flag cannot be left
//! half-written.

use std::path::Path;
use std::sync::Arc;

use super::shm::{ShmFile, ShmMap};
use super::{Flag, FlagError};

/// What the shared file holds.
#[repr(C)]
struct Locked {
    mutex: libc::pthread_mutex_t,
    value: u8,
}

/// The file's size.
pub const LEN: usize = size_of::<Locked>();

/// A handle to a byte behind a process-shared mutex.
#[derive(Debug, Clone)]
pub struct ShmMutexFlag(Arc<ShmMap>);

/// An error from a pthread call, with what was being done.
fn failed(action: &str, code: libc::c_int) -> FlagError {
    FlagError(format!(
        "cannot {action} the shared flag's mutex: {}",
        std::io::Error::from_raw_os_error(code)
    ))
}

impl ShmMutexFlag {
    /// Creates the file, initialises its mutex and returns the owner (which
    /// removes the file) and a first handle. The mutex is initialised before
    /// anyone else can know the path, so no process sees it half made.
    pub fn create() -> Result<(ShmFile, Self), FlagError> {
        let file = ShmFile::create("mutex", LEN)?;
        let map = ShmMap::open(file.path(), LEN)?;
        let locked = map.ptr().cast::<Locked>();
        // SAFETY: the map is LEN bytes, page-aligned (so aligned for Locked),
        // and nobody else has the path yet. The attribute is initialised
        // before use and destroyed after.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            let mut code = libc::pthread_mutexattr_init(&mut attr);
            if code != 0 {
                return Err(failed("prepare", code));
            }
            code = libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
            if code == 0 {
                code = libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
            }
            if code == 0 {
                code = libc::pthread_mutex_init(&raw mut (*locked).mutex, &attr);
            }
            libc::pthread_mutexattr_destroy(&mut attr);
            if code != 0 {
                return Err(failed("initialise", code));
            }
        }
        Ok((file, ShmMutexFlag(Arc::new(map))))
    }

    /// Maps the file at `path` (made by `create`).
    pub fn open(path: &Path) -> Result<Self, FlagError> {
        ShmMap::open(path, LEN).map(|m| ShmMutexFlag(Arc::new(m)))
    }

    /// Runs `f` on the value with the mutex held.
    fn with_lock<T>(&self, f: impl FnOnce(&mut u8) -> T) -> Result<T, FlagError> {
        let locked = self.0.ptr().cast::<Locked>();
        // SAFETY: the mapping holds an initialised Locked (made by `create`
        // before the path was shared) and lives as long as `self`; the value
        // is only touched with the mutex held.
        unsafe {
            let mutex = &raw mut (*locked).mutex;
            match libc::pthread_mutex_lock(mutex) {
                0 => {}
                libc::EOWNERDEAD => {
                    // A holder died mid-look; a byte has no broken state.
                    let code = libc::pthread_mutex_consistent(mutex);
                    if code != 0 {
                        libc::pthread_mutex_unlock(mutex);
                        return Err(failed("recover", code));
                    }
                }
                code => return Err(failed("lock", code)),
            }
            let out = f(&mut (*locked).value);
            let code = libc::pthread_mutex_unlock(mutex);
            if code != 0 {
                return Err(failed("unlock", code));
            }
            Ok(out)
        }
    }
}

impl Flag for ShmMutexFlag {
    /// Shares this process's mapping.
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(self.clone())
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.with_lock(|v| *v = 0)
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.with_lock(|v| *v = 1)
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        self.with_lock(|v| *v == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_set_through_one_mapping_is_seen_through_another() {
        let (file, mut a) = ShmMutexFlag::create().unwrap();
        let mut b = ShmMutexFlag::open(file.path()).unwrap();
        assert!(!b.is_set().unwrap());
        a.set().unwrap();
        assert!(b.is_set().unwrap());
        b.clear().unwrap();
        assert!(!a.is_set().unwrap());
    }

    #[test]
    fn threads_taking_the_lock_in_turn_all_see_the_raise() {
        let (_file, flag) = ShmMutexFlag::create().unwrap();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let mut f = flag.connect().unwrap();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        f.is_set().unwrap();
                    }
                    if i == 0 {
                        f.set().unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(flag.clone().is_set().unwrap());
    }
}
