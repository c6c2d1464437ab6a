//! Writing files in a report folder without ever leaving half of one: whole
//! files go to a temporary name and are renamed over the old one; rows are
//! appended with one `write` per case and rolled back if the write fails.
//! Every error names the file and the operating system's reason.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use crate::signals;

/// A file that could not be read, written, renamed or removed.
/// The OS's reason is part of the message and deliberately not a `source`:
/// as one, every message printed with its causes (`{:#}`) said it twice
/// ("Is a directory (os error 21): Is a directory (os error 21)").
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {reason}", path.display())]
pub struct FileError {
    /// What was being done: "write", "create", "remove", ...
    pub action: &'static str,
    pub path: PathBuf,
    pub reason: io::Error,
}

impl FileError {
    /// Wraps an OS error about `path`.
    pub fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        FileError {
            action,
            path: path.to_path_buf(),
            reason: source,
        }
    }
}

/// Temporary names are unique within the process, so two writers (the run
/// and a signal handler marking the manifest) never share one.
static TEMPS: AtomicU64 = AtomicU64::new(0);

/// Whether `name` is a temporary file runner made (`.NAME.PID.N.tmp`).
/// The whole pattern is checked, not just the dot and the suffix: a run
/// removes these, and a user's own `.notes.tmp` must survive it.
pub fn is_temp_name(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let mut parts = inner.rsplitn(3, '.');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_some_and(|n| !n.is_empty())
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new
/// one, never half of one. With `sync`, the data reaches the disk before the
/// rename (done at the end of a run, not after every case). On failure the
/// temporary file is removed and the old file is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8], sync: bool) -> Result<(), FileError> {
    // Before the first temporary file exists, an immediate exit learns to
    // remove them.
    SWEEP_AT_EXIT.call_once(|| signals::last_on_immediate_exit(remove_temporaries));
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_string());
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMPS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = {
        let mut in_flight = in_flight();
        let Some(list) = in_flight.as_mut() else {
            return Err(FileError::new(
                "write",
                path,
                io::Error::other("runner is stopping"),
            ));
        };
        // Created under the lock, so an immediate exit either sees it listed
        // or stops this write before it exists.
        let file = File::create(&temp).map_err(|e| FileError::new("write", path, e))?;
        list.push(temp.clone());
        file
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| if sync { file.sync_all() } else { Ok(()) });
    let mut in_flight = in_flight();
    if let Some(list) = in_flight.as_mut() {
        list.retain(|t| *t != temp);
    }
    let renamed = written.and_then(|()| fs::rename(&temp, path));
    renamed.map_err(|source| {
        let _ = fs::remove_file(&temp);
        FileError::new("write", path, source)
    })
}

/// The temporary files being written right now; `None` once an immediate
/// exit has removed them (no new one may start then).
static IN_FLIGHT: Mutex<Option<Vec<PathBuf>>> = Mutex::new(Some(Vec::new()));

/// Registers `remove_temporaries` with the signal handling, once.
static SWEEP_AT_EXIT: Once = Once::new();

fn in_flight() -> MutexGuard<'static, Option<Vec<PathBuf>>> {
    IN_FLIGHT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Before an immediate exit: removes every temporary file still being
/// written, wherever it is (a report folder, or `--out` for the index), and
/// refuses new ones, so a second Ctrl-C leaves none behind.
pub fn remove_temporaries() {
    for temp in in_flight().take().into_iter().flatten() {
        let _ = fs::remove_file(temp);
    }
}

/// A file that grows by whole records: each `append` is one `write` call,
/// undone if it fails, so the file always ends with a whole row.
pub struct AppendFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl AppendFile {
    /// Creates (or empties) `path` and writes `head` into it.
    pub fn create(path: &Path, head: &[u8]) -> Result<Self, FileError> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| FileError::new("create", path, e))?;
        let mut this = AppendFile {
            path: path.to_path_buf(),
            file,
            len: 0,
        };
        this.append(head)?;
        Ok(this)
    }

    /// Appends `bytes` in one write; on failure cuts the file back to its
    /// last whole record.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), FileError> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(source) => {
                let _ = self.file.set_len(self.len);
                let _ = self.file.sync_all();
                Err(FileError::new("write", &self.path, source))
            }
        }
    }

    /// Makes the appended data durable.
    pub fn sync(&self) -> Result<(), FileError> {
        self.file
            .sync_all()
            .map_err(|e| FileError::new("write", &self.path, e))
    }
}

/// Removes `path` if it exists.
pub fn remove_if_present(path: &Path) -> Result<(), FileError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(FileError::new("remove", path, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_atomic(&path, b"one", false).unwrap();
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/folder/a.csv");
        let err = write_atomic(&missing, b"x", false).unwrap_err();
        assert!(err.to_string().starts_with("cannot write "), "{err}");
        assert!(err.to_string().contains("a.csv"), "{err}");
    }

    #[test]
    fn only_runner_s_own_temporary_names_count_as_temporary() {
        assert!(is_temp_name(".manifest.json.123.0.tmp"));
        assert!(is_temp_name(".index.html.4567.12.tmp"));
        for name in [
            ".notes.tmp",
            ".x.tmp",
            ".a.b.tmp",
            ".1.2.tmp",
            "a.1.2.tmp",
            ".a.1.x.tmp",
        ] {
            assert!(!is_temp_name(name), "{name}");
        }
    }

    #[test]
    fn appends_accumulate_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let mut file = AppendFile::create(&path, b"h\n").unwrap();
        file.append(b"1\n").unwrap();
        file.append(b"2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "h\n1\n2\n");
    }
}
