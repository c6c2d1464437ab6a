//! `runner report`: redraw charts and pages from saved data.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::ReportArgs;
use crate::report;

use super::exit;

/// Redraws every report `args` names, then each affected index.
pub fn report(args: &ReportArgs) -> ExitCode {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in &args.dirs {
        match dir.join("manifest.json").is_file() {
            true => dirs.push(dir.clone()),
            false => dirs.extend(report_dirs_in(dir)),
        }
    }
    if dirs.is_empty() {
        eprintln!(
            "error: no report folder (one holding manifest.json) in {:?}",
            args.dirs
        );
        return ExitCode::from(exit::BAD_INPUT);
    }
    let mut failed = false;
    let mut parents: Vec<PathBuf> = Vec::new();
    for dir in &dirs {
        match report::render(dir, args.experiment.as_deref()) {
            Ok(done) => eprintln!(
                "{}: {} charts, {}",
                dir.display(),
                done.charts,
                dir.join("index.html").display()
            ),
            Err(e) => {
                eprintln!(
                    "error: {}: {e:#}\n  the existing report was left as it was",
                    dir.display()
                );
                failed = true;
            }
        }
        let parent = dir.parent().unwrap_or(Path::new(".")).to_path_buf();
        if !parents.contains(&parent) {
            parents.push(parent);
        }
    }
    for parent in parents {
        if let Err(e) = report::render_index(&parent) {
            eprintln!("error: {}: {e:#}", parent.join("index.html").display());
            failed = true;
        }
    }
    ExitCode::from(if failed { exit::BAD_INPUT } else { exit::OK })
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
