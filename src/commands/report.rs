//! `runner report`: redraw charts and pages from saved data.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use crate::cli::ReportArgs;
use crate::console;
use crate::exit;
use crate::output::files::FileError;
use crate::output::lock::FolderLock;
use crate::output::lock::LockError;
use crate::report::{self, LessonFailures};
use crate::signals;

/// Redraws every report `args` names, then each affected index.
pub fn report(args: &ReportArgs) -> ExitCode {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in &args.dirs {
        match dir.join("manifest.json").is_file() {
            true => dirs.push(dir.clone()),
            false => {
                let found = report_dirs_in(dir);
                if found.is_empty() {
                    console::error(&format!(
                        "error: {} is not a report folder and holds none (a report folder holds manifest.json)\n  = help: name a folder a run wrote, e.g. `runner report reports/chunksize`, or the folder of reports, e.g. `runner report reports`",
                        dir.display()
                    ));
                    return ExitCode::from(exit::BAD_INPUT);
                }
                dirs.extend(found);
            }
        }
    }
    let mut status = exit::OK;
    let mut parents: Vec<PathBuf> = Vec::new();
    for dir in &dirs {
        if signals::stop_flag().load(Ordering::SeqCst) {
            return ExitCode::from(signals::exit_status().unwrap_or(130));
        }
        let redrawn = redraw(dir, args.experiment.as_deref());
        if let Ok(failed) = redrawn
            && args.strict
            && let Some(code) = failed.strict_status()
        {
            status = status.max(code);
        }
        if let Err((code, message)) = redrawn {
            console::error(&format!(
                "error: {}: {message}\n  the existing report was left as it was",
                dir.display()
            ));
            status = status.max(code);
            continue;
        }
        // A folder named alone (`reports`) has the empty path as parent:
        // its index is the current folder's.
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if !parents.contains(&parent) {
            parents.push(parent);
        }
    }
    for parent in parents {
        if let Err(e) = report::render_index(&parent) {
            console::error(&format!(
                "error: {}: {e:#}",
                parent.join("index.html").display()
            ));
            status = status.max(code_of(&e));
        }
    }
    // A signal during the last redraw still ends with its status, so a
    // script that was interrupted stops.
    ExitCode::from(signals::exit_status().unwrap_or(status))
}

/// Redraws one report while holding its folder, so a run cannot write it
/// at the same time.
/// Returns how many of its lessons failed.
fn redraw(dir: &Path, experiment: Option<&Path>) -> Result<LessonFailures, (u8, String)> {
    let _lock = FolderLock::acquire(dir).map_err(|e| {
        let code = match e {
            LockError::Held { .. } => exit::BAD_INPUT,
            LockError::File(_) => exit::IO,
        };
        (code, e.to_string())
    })?;
    match report::render(dir, experiment) {
        Ok(done) => {
            console::out(&format!(
                "{}: {} charts, {}",
                dir.display(),
                done.charts,
                dir.join("index.html").display()
            ));
            Ok(done.tell_lessons())
        }
        Err(e) => Err((code_of(&e), format!("{e:#}"))),
    }
}

/// Bad saved data is bad input; a file that cannot be written is an I/O error.
fn code_of(e: &anyhow::Error) -> u8 {
    let io = e.chain().any(|cause| {
        let missing = |kind| matches!(kind, ErrorKind::NotFound | ErrorKind::InvalidData);
        match (
            cause.downcast_ref::<FileError>(),
            cause.downcast_ref::<std::io::Error>(),
        ) {
            (Some(_), _) => true,
            (None, Some(io)) => !missing(io.kind()),
            (None, None) => false,
        }
    });
    if io { exit::IO } else { exit::BAD_INPUT }
}

fn report_dirs_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    found.sort();
    found
}
