//! Claiming a report folder: runner only ever overwrites or deletes files it
//! wrote itself, and only one process writes a folder at a time.
//!
//! The manifest of the previous run lists the files that run wrote (reports
//! older than that list are recognised by their fixed file names). A folder
//! holding anything else, or an `index.html` in `--out` that runner did not
//! write, is refused before anything runs, so nobody's own files are lost.

use std::fs;
use std::path::{Path, PathBuf};

use super::files::{FileError, is_temp_name, remove_if_present};
use super::lock::{FolderLock, LOCK_FILE, LockError};
use crate::output::manifest::Manifest;

/// Why a folder cannot take a report.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(
        "{} holds files runner did not write ({}); move them away or choose another --out",
        dir.display(),
        names.join(", ")
    )]
    Foreign { dir: PathBuf, names: Vec<String> },
    #[error(
        "{} is not a page runner wrote; move it away or choose another --out",
        path.display()
    )]
    ForeignIndex { path: PathBuf },
    #[error(transparent)]
    File(#[from] FileError),
}

impl FolderError {
    /// Whether the fault is the file system's rather than the user's choice
    /// of folder (it decides the exit status).
    pub fn is_io(&self) -> bool {
        matches!(
            self,
            FolderError::File(_) | FolderError::Locked(LockError::File(_))
        )
    }
}

/// The files a report of a runner without a file list in its manifest wrote.
const KNOWN_FILES: [&str; 7] = [
    "manifest.json",
    "experiment.toml",
    "results.csv",
    "summary.csv",
    "index.html",
    "samples.csv",
    "factors.csv",
];

/// A report folder this process holds, with the files it may replace.
#[derive(Debug)]
pub struct ReportFolder {
    dir: PathBuf,
    /// Files of the previous report, removed before the new one is written.
    previous: Vec<String>,
    _lock: FolderLock,
}

impl ReportFolder {
    /// Creates and locks `out/name`, refusing folders with foreign files.
    pub fn claim(out: &Path, name: &str) -> Result<ReportFolder, FolderError> {
        check_index(out)?;
        let dir = out.join(name);
        fs::create_dir_all(&dir).map_err(|e| FileError::new("create", &dir, e))?;
        let lock = FolderLock::acquire(&dir)?;
        let previous = owned_files(&dir);
        let mut foreign = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| FileError::new("read", &dir, e))? {
            let entry = entry.map_err(|e| FileError::new("read", &dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let ours = name == LOCK_FILE || is_temp_name(&name) || previous.contains(&name);
            if !ours {
                foreign.push(name);
            }
        }
        if !foreign.is_empty() {
            foreign.sort();
            if foreign.len() > 5 {
                let more = foreign.len() - 4;
                foreign.truncate(4);
                foreign.push(format!("and {more} more"));
            }
            return Err(FolderError::Foreign {
                dir,
                names: foreign,
            });
        }
        Ok(ReportFolder {
            dir,
            previous,
            _lock: lock,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes the previous report's files and any temporary file left by
    /// a run that was killed, so nothing stale is shown with the new data.
    pub fn clear(&mut self) -> Result<(), FolderError> {
        for name in self.previous.drain(..) {
            remove_if_present(&self.dir.join(name))?;
        }
        for entry in fs::read_dir(&self.dir).map_err(|e| FileError::new("read", &self.dir, e))? {
            let name = entry
                .map_err(|e| FileError::new("read", &self.dir, e))?
                .file_name();
            if is_temp_name(&name.to_string_lossy()) {
                remove_if_present(&self.dir.join(name))?;
            }
        }
        Ok(())
    }
}

/// The files the report in `dir` says it wrote.
pub fn owned_files(dir: &Path) -> Vec<String> {
    let Some(manifest) = fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
    else {
        return Vec::new();
    };
    let mut files = match manifest.files {
        Some(files) => files,
        None => legacy_files(dir),
    };
    files.push("manifest.json".into());
    files
}

/// What a report from before manifests listed their files holds: fixed
/// names, and the charts chart1.png, chart2.png, ...
fn legacy_files(dir: &Path) -> Vec<String> {
    let charts = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().to_string()))
        .filter(|name| is_chart_name(name));
    KNOWN_FILES
        .iter()
        .map(|f| f.to_string())
        .filter(|f| dir.join(f).exists())
        .chain(charts)
        .collect()
}

/// Whether `name` is a chart runner draws (`chart3.png`, `chart3.svg`).
pub fn is_chart_name(name: &str) -> bool {
    name.strip_prefix("chart")
        .and_then(|n| n.strip_suffix(".png").or_else(|| n.strip_suffix(".svg")))
        .is_some_and(|n| n.parse::<usize>().is_ok())
}

/// The exports every drawing writes beside the page, for documentation.
pub const EXPORT_FILES: [&str; 2] = ["summary.json", "summary.md"];

/// Whether `name` is a file the drawing of a report writes: a chart, an
/// export or the page.
pub fn is_drawn_name(name: &str) -> bool {
    is_chart_name(name) || EXPORT_FILES.contains(&name) || name == "index.html"
}

/// After a report was drawn into `drawn` (its charts and exports): removes
/// the charts of an earlier drawing that are no longer drawn (only those the
/// manifest lists, so a chart dropped from the experiment file, or a format
/// dropped from a chart, leaves no stale image), and records the new files
/// and the page in the manifest.
pub fn replace_drawn_files(dir: &Path, drawn: &[String]) -> Result<(), FileError> {
    let path = dir.join("manifest.json");
    let bytes = fs::read(&path).map_err(|e| FileError::new("read", &path, e))?;
    let mut manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| FileError::new("read", &path, std::io::Error::other(e.to_string())))?;
    let listed = manifest.files.clone().unwrap_or_else(|| legacy_files(dir));
    let mut files = Vec::new();
    for name in listed {
        if is_chart_name(&name) && !drawn.contains(&name) {
            remove_if_present(&dir.join(&name))?;
        } else if !drawn.contains(&name) && name != "index.html" {
            files.push(name);
        }
    }
    files.extend(drawn.iter().cloned());
    files.push("index.html".into());
    if manifest.files.as_ref() == Some(&files) {
        return Ok(());
    }
    manifest.files = Some(files);
    let json = serde_json::to_vec_pretty(&manifest).expect("plain data");
    super::files::write_atomic(&path, &json, false)
}

/// The marker every index page runner writes carries.
pub const INDEX_MARKER: &str = r#"<meta name="generator" content="runner">"#;

/// Refuses an `index.html` in `out` that runner did not write.
fn check_index(out: &Path) -> Result<(), FolderError> {
    let path = out.join("index.html");
    match fs::read_to_string(&path) {
        Ok(page) if !is_our_index(&page) => Err(FolderError::ForeignIndex { path }),
        _ => Ok(()),
    }
}

/// Whether a page is runner's index (today's, or one from before the marker).
pub fn is_our_index(page: &str) -> bool {
    page.contains(INDEX_MARKER) || page.contains("<title>runner reports</title>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_with_someone_elses_file_is_refused() {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("x");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("chart7.png"), "mine").unwrap();
        let err = ReportFolder::claim(out.path(), "x").unwrap_err();
        assert!(err.to_string().contains("chart7.png"), "{err}");
        assert_eq!(fs::read(dir.join("chart7.png")).unwrap(), b"mine");
        assert!(!dir.join(LOCK_FILE).exists(), "the lock is released");
    }

    #[test]
    fn someone_elses_index_is_refused() {
        let out = tempfile::tempdir().unwrap();
        fs::write(out.path().join("index.html"), "<html>my page</html>").unwrap();
        let err = ReportFolder::claim(out.path(), "x").unwrap_err();
        assert!(err.to_string().contains("index.html"), "{err}");
    }

    #[test]
    fn an_empty_or_new_folder_is_fine() {
        let out = tempfile::tempdir().unwrap();
        fs::create_dir_all(out.path().join("x")).unwrap();
        let mut folder = ReportFolder::claim(out.path(), "x").unwrap();
        folder.clear().unwrap();
        ReportFolder::claim(out.path(), "y").unwrap();
    }
}
