//! The subcommands: each turns parsed arguments into an exit status.

pub mod check;
pub mod compare;
pub mod completions;
pub mod report;
pub mod run;
pub mod schema;
pub mod worker;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::PlanArgs;
use crate::console;
use crate::exit;
use crate::experiment::error::suggest;
use crate::experiment::{self, Experiment, ExperimentError, PlanOptions};

/// The subcommands, for telling a mistyped one from a file name.
const SUBCOMMANDS: [&str; 7] = [
    "run",
    "check",
    "report",
    "compare",
    "worker",
    "schema",
    "completions",
];

/// Expands folders into their `*.toml` files, sorted by name.
pub fn experiment_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExperimentError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(missing(path));
        }
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

/// A path that names nothing: maybe a mistyped subcommand.
fn missing(path: &Path) -> ExperimentError {
    let text = path.to_string_lossy();
    let word = !text.contains(['/', '.']);
    let error = unreadable(path, "no such file or folder");
    // A typo is a letter or two away; Jaro-Winkler alone rewards a shared
    // prefix, and took `completions` for `compare`.
    let close =
        suggest(&text, &SUBCOMMANDS).filter(|close| strsim::damerau_levenshtein(&text, close) <= 2);
    match (word, close) {
        (true, Some(close)) => error.with_help(format!(
            "did you mean the subcommand `runner {close}`? the subcommands are {}",
            SUBCOMMANDS.join(", ")
        )),
        (true, None) => error.with_help(format!(
            "`{text}` is neither an experiment file nor a subcommand; the subcommands are {} (see `runner --help`)",
            SUBCOMMANDS.join(", ")
        )),
        (false, _) => error.with_help("check the path; experiment files end in .toml"),
    }
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
    if !errors.is_empty() {
        return Err(errors.into_iter().map(|e| e.unwrap_err()).collect());
    }
    let experiments: Vec<Experiment> = ok.into_iter().map(Result::unwrap).collect();
    let duplicates = duplicate_names(&experiments);
    match duplicates.is_empty() {
        true => Ok(experiments),
        false => Err(duplicates),
    }
}

/// Two experiments of one command may not share a name: both would write
/// the same report folder.
fn duplicate_names(experiments: &[Experiment]) -> Vec<ExperimentError> {
    let mut errors = Vec::new();
    for (i, later) in experiments.iter().enumerate() {
        let Some(first) = experiments[..i].iter().find(|e| e.name == later.name) else {
            continue;
        };
        let span = name_span(&later.source);
        errors.push(
            ExperimentError::new(
                &later.path,
                &later.source,
                span,
                format!(
                    "the name \"{}\" is also the name of {}; both would write the same report folder",
                    later.name,
                    first.path.display()
                ),
            )
            .with_help("give each experiment its own name, or run them in separate commands"),
        );
    }
    errors
}

/// Where the top-level `name = ...` stands in an experiment's text.
fn name_span(source: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            return None;
        }
        if trimmed.starts_with("name") && trimmed["name".len()..].trim_start().starts_with('=') {
            let indent = line.len() - trimmed.len();
            return Some(offset + indent..offset + line.trim_end().len());
        }
        offset += line.len();
    }
    None
}

/// Prints experiment errors and gives the bad-input status.
pub fn report_errors(errors: &[ExperimentError]) -> ExitCode {
    for e in errors {
        console::error(&format!("error: {e}\n"));
    }
    if errors.len() > 1 {
        console::error(&format!(
            "{} experiment files have errors; nothing was run.",
            errors.len()
        ));
    }
    ExitCode::from(exit::BAD_INPUT)
}

impl From<&PlanArgs> for PlanOptions {
    fn from(args: &PlanArgs) -> Self {
        PlanOptions {
            repeats: args.repeats,
            warmup: args.warmup,
            seed: args.seed,
            schedule: args.schedule,
            no_trace: args.no_trace,
            quick: args.quick,
        }
    }
}
