//! The subcommands: each turns parsed arguments into an exit status.

pub mod check;
pub mod estimate;
pub mod memory;
pub mod report;
pub mod run;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::PlanArgs;
use crate::experiment::{self, Experiment, ExperimentError, PlanOptions};

/// Exit statuses, as `--help` documents them.
pub mod exit {
    /// Every case gave the oracle's answer.
    pub const OK: u8 = 0;
    /// A case gave a wrong answer or crashed, or a report could not be written.
    pub const CASE_FAILED: u8 = 1;
    /// Bad usage or a bad experiment file.
    pub const BAD_INPUT: u8 = 2;
    /// Interrupted by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

/// Expands folders into their `*.toml` files, sorted by name.
pub fn experiment_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExperimentError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = fs::read_dir(path).map_err(|e| unreadable(path, &e.to_string()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        if found.is_empty() {
            return Err(unreadable(
                path,
                "the folder holds no *.toml experiment files",
            ));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn unreadable(path: &Path, why: &str) -> ExperimentError {
    ExperimentError::new(path, "", None, why.to_string())
}

/// Loads every file, or reports every file's error: nothing runs unless all
/// of them are valid.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Experiment>, Vec<ExperimentError>> {
    let files = experiment_files(paths).map_err(|e| vec![e])?;
    let (ok, errors): (Vec<_>, Vec<_>) = files
        .iter()
        .map(|f| experiment::load(f))
        .partition(Result::is_ok);
    match errors.is_empty() {
        true => Ok(ok.into_iter().map(Result::unwrap).collect()),
        false => Err(errors.into_iter().map(|e| e.unwrap_err()).collect()),
    }
}

/// Prints experiment errors and gives the bad-input status.
pub fn report_errors(errors: &[ExperimentError]) -> ExitCode {
    for e in errors {
        eprintln!("error: {e}\n");
    }
    if errors.len() > 1 {
        eprintln!(
            "{} experiment files have errors; nothing was run.",
            errors.len()
        );
    }
    ExitCode::from(exit::BAD_INPUT)
}

impl From<&PlanArgs> for PlanOptions {
    fn from(args: &PlanArgs) -> Self {
        PlanOptions {
            repeats: args.repeats,
            warmup: args.warmup,
            seed: args.seed,
            quick: args.quick,
        }
    }
}
