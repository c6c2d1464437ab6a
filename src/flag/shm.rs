//! Flags in a file under /dev/shm that every process maps shared: the
//! book's `RawValue` (`ShmAtomicFlag`) and its `mmap` flag (`ShmMmapFlag`),
//! plus the file's life (created by one owner, removed by it on drop or on an
//! immediate exit, and by the next run if its owner was killed outright:
//! see [`sweep_stale`]).
//!
//! An anonymous map is private across `exec`, so a worker process cannot
//! reach one; a named file in the memory-backed /dev/shm can be opened and
//! mapped by any process that knows its path, and the kernel gives every
//! mapping the same physical page.
//!
//! Both flags read and write their byte as a relaxed `AtomicU8`, which
//! compiles to a plain byte load and store (what the book's Python does) but
//! is defined behaviour when processes race on the byte. At the machine level
//! the two kinds are therefore the same; they stay two kinds because the book
//! has two: a typed shared value made for the purpose, and a byte of a file a
//! worker maps itself.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use memmap2::MmapRaw;

use super::{Flag, FlagError};
use crate::signals::{self, HookGuard};

/// Where the shared files go: memory-backed, so a look never touches a disk.
pub const SHM_DIR: &str = "/dev/shm";

/// Files made by this process, numbered so no two share a name.
static FILES: AtomicU64 = AtomicU64::new(0);

/// The kinds of file runner makes under /dev/shm (the last part of the name).
const KINDS: [&str; 3] = ["atomic", "mmap", "mutex"];

/// Removes the flag files of runs that died without removing them (SIGKILL,
/// the out-of-memory killer, `timeout -s KILL`): the files named as
/// [`ShmFile::create`] names them, `runner-<pid>-<n>-<kind>` with a kind
/// runner makes, that are regular files of this user and whose pid is no
/// longer a live process. Nothing else is touched: another user's files, a
/// live run's, or any other name. Returns the paths removed.
///
/// Naming the file and passing a descriptor instead (create, unlink, pass)
/// would leave nothing to sweep, but a worker reaches its flag by the path
/// in its spec, and a path is what the threads' and processes' flags share;
/// the sweep keeps that one way of reaching a flag. A pid reused by an
/// unrelated process keeps its stale file until that process ends: a byte
/// or a page, never a wrong removal.
pub fn sweep_stale() -> Vec<PathBuf> {
    sweep_stale_in(Path::new(SHM_DIR))
}

fn sweep_stale_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        let path = entry.path();
        let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| {
            m.file_type().is_file() && std::os::unix::fs::MetadataExt::uid(&m) == me
        });
        if ours && !alive(pid) && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The pid in a name `runner-<pid>-<n>-<kind>` that [`ShmFile::create`]
/// makes, or `None` for any other name.
fn owner_pid(name: &str) -> Option<libc::pid_t> {
    let mut parts = name.strip_prefix("runner-")?.splitn(3, '-');
    let (pid, n, kind) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) || !KINDS.contains(&kind) {
        return None;
    }
    pid.parse().ok().filter(|&pid: &libc::pid_t| pid > 0)
}

/// Whether a process `pid` exists (of any user: EPERM means it does).
fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let sent = unsafe { libc::kill(pid, 0) };
    sent == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// A file under /dev/shm that this process created and will remove.
///
/// Dropping it removes the file; an immediate exit (a second Ctrl-C) removes
/// it through a `signals::on_immediate_exit` hook. Processes that still map
/// it keep their pages until they unmap: removing the name only stops new
/// processes from finding it.
pub struct ShmFile {
    path: PathBuf,
    _hook: HookGuard,
}

impl ShmFile {
    /// Creates `/dev/shm/runner-<pid>-<n>-<what>` of `len` zero bytes,
    /// readable and writable by this user only.
    pub fn create(what: &str, len: usize) -> Result<Self, FlagError> {
        let path = Path::new(SHM_DIR).join(format!(
            "runner-{}-{}-{what}",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                FlagError(format!(
                    "cannot create the shared flag file {}: {e}; runner needs a writable {SHM_DIR} \
                     (a tmpfs) for flags shared between processes",
                    path.display()
                ))
            })?;
        // Registered before anything else can fail, so an error below still
        // removes the file (through Drop) and an immediate exit does too.
        let hook_path = path.clone();
        let owned = ShmFile {
            _hook: signals::on_immediate_exit(move || {
                let _ = std::fs::remove_file(&hook_path);
            }),
            path,
        };
        file.set_len(len as u64).map_err(|e| {
            FlagError(format!(
                "cannot size the shared flag file {}: {e}",
                owned.path.display()
            ))
        })?;
        Ok(owned)
    }

    /// The file's path, for the spec a worker connects from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ShmFile {
    fn drop(&mut self) {
        // The hook guard (a field) unregisters after this, which is harmless:
        // removing an already removed file fails quietly.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A shared mapping of a whole /dev/shm file, at least `len` bytes long.
#[derive(Debug)]
pub(crate) struct ShmMap {
    map: MmapRaw,
}

impl ShmMap {
    /// Opens `path` and maps it shared; fails unless it holds `len` bytes.
    pub(crate) fn open(path: &Path, len: usize) -> Result<Self, FlagError> {
        let cannot = |e: &dyn std::fmt::Display| {
            FlagError(format!(
                "cannot map the shared flag file {}: {e}",
                path.display()
            ))
        };
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| cannot(&e))?;
        let map = MmapRaw::map_raw(&file).map_err(|e| cannot(&e))?;
        if map.len() < len {
            return Err(cannot(&format!("it holds {} bytes, not {len}", map.len())));
        }
        Ok(ShmMap { map })
    }

    /// The first byte of the mapping.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    /// The first byte as an atomic.
    fn byte(&self) -> &AtomicU8 {
        // SAFETY: the map is at least one byte long (checked in `open`),
        // lives as long as `self`, and every process only ever touches this
        // byte atomically.
        unsafe { AtomicU8::from_ptr(self.ptr()) }
    }
}

/// One byte of a /dev/shm file, shared by the handles of this process (one
/// mapping) and by every process that opens the same path (one mapping each).
#[derive(Debug, Clone)]
struct SharedByte(Arc<ShmMap>);

impl SharedByte {
    fn open(path: &Path) -> Result<Self, FlagError> {
        ShmMap::open(path, 1).map(|m| SharedByte(Arc::new(m)))
    }
    fn store(&self, value: bool) {
        self.0.byte().store(u8::from(value), Ordering::Relaxed);
    }
    #[inline]
    fn load(&self) -> bool {
        self.0.byte().load(Ordering::Relaxed) == 1
    }
}

/// The book's `RawValue` across processes: an unsynchronised atomic byte in
/// a shared mapping; a look is one plain load.
#[derive(Debug, Clone)]
pub struct ShmAtomicFlag(SharedByte);

impl ShmAtomicFlag {
    /// Maps the flag byte of the file at `path` (made by `ShmFile::create`).
    pub fn open(path: &Path) -> Result<Self, FlagError> {
        SharedByte::open(path).map(ShmAtomicFlag)
    }
}

/// The book's `mmap` flag across processes: byte 0 of a /dev/shm file that
/// each worker process maps for itself; a look is one plain load.
#[derive(Debug, Clone)]
pub struct ShmMmapFlag(SharedByte);

impl ShmMmapFlag {
    /// Maps the file at `path` (made by `ShmFile::create`) and uses byte 0.
    pub fn open(path: &Path) -> Result<Self, FlagError> {
        SharedByte::open(path).map(ShmMmapFlag)
    }
}

/// Both kinds behave alike; this keeps one body for the two impls.
macro_rules! byte_flag {
    ($name:ident) => {
        impl Flag for $name {
            /// Shares this process's mapping: in-process handles need no
            /// second map.
            fn connect(&self) -> Result<Self, FlagError> {
                Ok(self.clone())
            }
            fn clear(&mut self) -> Result<(), FlagError> {
                self.0.store(false);
                Ok(())
            }
            fn set(&mut self) -> Result<(), FlagError> {
                self.0.store(true);
                Ok(())
            }
            #[inline]
            fn is_set(&mut self) -> Result<bool, FlagError> {
                Ok(self.0.load())
            }
        }
    };
}

byte_flag!(ShmAtomicFlag);
byte_flag!(ShmMmapFlag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_set_through_one_mapping_is_seen_through_another() {
        let file = ShmFile::create("test", 1).unwrap();
        let mut a = ShmAtomicFlag::open(file.path()).unwrap();
        let mut b = ShmMmapFlag::open(file.path()).unwrap();
        assert!(!b.is_set().unwrap());
        a.set().unwrap();
        assert!(b.is_set().unwrap());
        b.clear().unwrap();
        assert!(!a.is_set().unwrap());
    }

    #[test]
    fn dropping_the_owner_removes_the_file() {
        let file = ShmFile::create("test", 1).unwrap();
        let path = file.path().to_path_buf();
        assert!(path.exists());
        drop(file);
        assert!(!path.exists());
    }

    // The immediate-exit hook is tested in tests/flags_ipc.rs, in a child
    // process: running every hook here would remove other tests' files.

    #[test]
    fn only_runners_own_names_are_read_as_an_owner() {
        assert_eq!(owner_pid("runner-4242-0-mmap"), Some(4242));
        assert_eq!(owner_pid("runner-4242-17-atomic"), Some(4242));
        assert_eq!(owner_pid("runner-4242-3-mutex"), Some(4242));
        for other in [
            "runner-4242-0-test",
            "runner-4242-mmap",
            "runner-4242-x-mmap",
            "runner--0-mmap",
            "runner-0-0-mmap",
            "runner-+42-0-mmap",
            "runner-4242-0-mmap-x",
            "runner-99999999999999999999-0-mmap",
            "xrunner-4242-0-mmap",
            ".runner-queue-lock-4242-0",
            "runner-4242-0",
            "pulse-shm-1",
        ] {
            assert_eq!(owner_pid(other), None, "{other}");
        }
    }

    #[test]
    fn the_sweep_removes_dead_runs_files_only() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that cannot be alive: above the kernel's largest (2^22).
        let dead = "runner-2147483646-0-mmap";
        let live = format!("runner-{}-0-mmap", std::process::id());
        let names = [
            dead,
            &live,
            "runner-2147483646-0-notes",
            "other-2147483646-0-mmap",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("runner-2147483645-0-mutex")).unwrap();
        let removed = sweep_stale_in(dir.path());
        assert_eq!(removed, [dir.path().join(dead)]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut kept = vec![
            "other-2147483646-0-mmap".to_string(),
            "runner-2147483645-0-mutex".to_string(),
            "runner-2147483646-0-notes".to_string(),
            live,
        ];
        kept.sort();
        assert_eq!(left, kept);
    }
}
