//! One writer per report folder: a run (or a redraw) holds an exclusive lock
//! on `DIR/.lock` for as long as it writes there.
//!
//! The lock is the operating system's (`flock`), so it is released whenever
//! the process ends, even by SIGKILL: a lock file left behind by a dead run is
//! simply locked again. The file holds the holder's pid, so a refused run can
//! say who holds it, and a reader can tell a run still going ("running" in its
//! manifest, lock held) from one that died (lock free).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::files::FileError;
use crate::signals;

/// The lock file's name inside a report folder.
pub const LOCK_FILE: &str = ".lock";

/// Why a folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "{} is being written by another runner (pid {holder}); wait for it to finish, or choose another --out",
        dir.display()
    )]
    Held { dir: PathBuf, holder: String },
    #[error(transparent)]
    File(#[from] FileError),
}

/// A held lock; dropping it removes the lock file and releases it.
pub struct FolderLock {
    path: PathBuf,
    file: File,
    /// Removes the lock file on an immediate exit, which skips `drop`.
    _hook: signals::HookGuard,
}

impl std::fmt::Debug for FolderLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FolderLock({})", self.path.display())
    }
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<FolderLock, LockError> {
        let path = dir.join(LOCK_FILE);
        // The holder may remove the file between our open and our lock; then
        // we hold a lock on a file nobody else can see, so try again.
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| FileError::new("create", &path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(LockError::Held {
                        dir: dir.to_path_buf(),
                        holder: if holder.is_empty() {
                            "unknown".into()
                        } else {
                            holder.to_string()
                        },
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(FileError::new("lock", &path, e).into());
                }
            }
            if !same_file(&file, &path) {
                continue;
            }
            let write = |file: &mut File| -> std::io::Result<()> {
                file.set_len(0)?;
                file.rewind()?;
                file.write_all(std::process::id().to_string().as_bytes())
            };
            write(&mut file).map_err(|e| FileError::new("write", &path, e))?;
            let hook = {
                let path = path.clone();
                signals::on_immediate_exit(move || _ = fs::remove_file(&path))
            };
            return Ok(FolderLock {
                path,
                file,
                _hook: hook,
            });
        }
    }
}

/// Whether the open `file` is still the one at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.ino() == named.ino() && open.dev() == named.dev(),
        _ => false,
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Remove while still holding the lock, so nobody locks a doomed file.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether a process holds the lock of `dir` right now.
pub fn is_held(dir: &Path) -> bool {
    let Ok(file) = File::open(dir.join(LOCK_FILE)) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

/// The pid of the process holding the lock of `dir`, if one does.
pub fn holder(dir: &Path) -> Option<u32> {
    if !is_held(dir) {
        return None;
    }
    fs::read_to_string(dir.join(LOCK_FILE))
        .ok()
        .and_then(|pid| pid.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path()).unwrap();
        assert!(is_held(dir.path()));
        let err = FolderLock::acquire(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        assert!(!is_held(dir.path()));
        assert!(!dir.path().join(LOCK_FILE).exists());
        FolderLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_stale_lock_file_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), "999999999").unwrap();
        assert!(!is_held(dir.path()));
        FolderLock::acquire(dir.path()).unwrap();
    }
}
