//! The report folder as a run fills it. Rows are appended as each case
//! finishes (one write per case, so the cost of recording a case does not
//! grow with the cases already done); the derived files (`summary.csv`,
//! `manifest.json`) are rewritten atomically at most about once a second and
//! at the end. An interrupted or crashed run leaves whole files holding every
//! finished case, and a manifest that says how the run ended.

pub mod files;
pub mod folder;
pub mod lock;
pub mod manifest;
pub mod timelines;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use files::{AppendFile, FileError};
use folder::ReportFolder;

use crate::engine::Observer;
use crate::experiment::{Experiment, Plan};
use crate::machine::Cores;
use crate::machine_state::MachineState;
use crate::outcome::{CaseResult, Status as CaseStatus, Table};
use crate::record::{self, ResultRow, SummaryRow, rows};
use crate::signals;
use crate::trace::files::TRACE_JSON;
use manifest::{Manifest, Status};

pub use files::write_atomic;

/// The folder name of an experiment's report. A quick run gets its own,
/// `NAME.quick`: no experiment name can contain a dot, so a smoke test never
/// overwrites a real report, nor a report of another experiment.
pub fn report_dir_name(experiment: &Experiment, plan: &Plan) -> String {
    match plan.quick {
        true => format!("{}.quick", experiment.name),
        false => experiment.name.clone(),
    }
}

/// The name under which the experiment file is copied into its report.
pub const EXPERIMENT_COPY: &str = "experiment.toml";

/// How often the derived files are rewritten while a run goes on.
const DERIVED_EVERY: Duration = Duration::from_secs(1);

/// An observer that keeps the report folder up to date as cases finish.
pub struct ReportWriter {
    folder: ReportFolder,
    experiment: String,
    /// The user's own parameters (command workloads), the last columns.
    params: Vec<String>,
    /// Shared with the emergency hook that marks it interrupted.
    manifest: Arc<Mutex<Manifest>>,
    /// Finished cases, without their tables (those are on disk already).
    results: Vec<CaseResult>,
    results_csv: AppendFile,
    tables: BTreeMap<&'static str, AppendFile>,
    /// tasks.csv, workers.csv and trace.json.
    timelines: timelines::Timelines,
    /// The cores the run had, for per-item costs in core time.
    cores: Cores,
    derived_at: Instant,
    _hook: signals::HookGuard,
}

impl ReportWriter {
    /// Replaces the folder's previous report with the start of this one:
    /// the experiment copy, the manifest and the results header.
    pub fn create(
        mut folder: ReportFolder,
        experiment: &Experiment,
        manifest: Manifest,
    ) -> Result<Self, FileError> {
        folder.clear().map_err(|e| match e {
            folder::FolderError::File(e) => e,
            other => FileError::new(
                "clear",
                folder.dir(),
                std::io::Error::other(other.to_string()),
            ),
        })?;
        let dir = folder.dir().to_path_buf();
        let manifest = Arc::new(Mutex::new(manifest));
        let hook = {
            let (manifest, dir) = (Arc::clone(&manifest), dir.clone());
            signals::on_immediate_exit(move || mark_interrupted(&manifest, &dir))
        };
        let _writing = signals::writing();
        // The manifest goes first and lists the files this run is about to
        // write: when one of them cannot be written (a full disk), a later
        // run still knows them as runner's and may replace them.
        for file in [EXPERIMENT_COPY, "results.csv", "summary.csv"] {
            lock(&manifest).add_file(file);
        }
        save_manifest(&manifest, &dir, false)?;
        let started = (|| {
            write_atomic(
                &dir.join(EXPERIMENT_COPY),
                experiment.source.as_bytes(),
                false,
            )?;
            let header = rows::header::<ResultRow>(&experiment.params.names());
            let none: &[ResultRow] = &[];
            AppendFile::create(
                &dir.join("results.csv"),
                &rows::to_csv(Some(&header), none)
                    .map_err(|e| csv_error(&dir, "results.csv", e))?,
            )
        })();
        let results_csv = started.inspect_err(|e| {
            let mut m = lock(&manifest);
            m.error = Some(e.to_string());
            m.finish(Status::Error);
            drop(m);
            let _ = save_manifest(&manifest, &dir, true);
        })?;
        let writer = ReportWriter {
            folder,
            experiment: experiment.name.clone(),
            params: experiment.params.names(),
            manifest,
            results: Vec::new(),
            results_csv,
            tables: BTreeMap::new(),
            timelines: timelines::Timelines::default(),
            cores: Cores::detect(),
            derived_at: Instant::now(),
            _hook: hook,
        };
        writer.write_summary(false)?;
        writer.write_manifest(false)?;
        Ok(writer)
    }

    /// The folder being written.
    pub fn dir(&self) -> &Path {
        self.folder.dir()
    }

    fn with_manifest<R>(&self, f: impl FnOnce(&mut Manifest) -> R) -> R {
        f(&mut lock(&self.manifest))
    }

    /// Records the machine's state after the last case (written with the
    /// manifest's next rewrite).
    pub fn record_end_state(&mut self, end: MachineState) {
        self.with_manifest(|m| m.machine_state.end = Some(end));
    }

    /// Records how the run ended and makes every file durable.
    pub fn finish(&mut self, status: Status) -> Result<(), FileError> {
        let _writing = signals::writing();
        self.results_csv.sync()?;
        for table in self.tables.values() {
            table.sync()?;
        }
        if self.timelines.has_tasks() {
            self.with_manifest(|m| m.add_file(TRACE_JSON));
            self.write_manifest(false)?;
        }
        self.timelines.finish(self.folder.dir(), true)?;
        self.with_manifest(|m| m.finish(status));
        self.write_derived(true)
    }

    /// Marks the report as not written, saying why (best effort: the disk
    /// may refuse this too).
    pub fn fail(&mut self, error: &str) {
        let _writing = signals::writing();
        self.with_manifest(|m| {
            m.error = Some(error.to_string());
            m.finish(Status::Error);
            list_drawn_files(m, self.folder.dir());
        });
        let _ = self.write_manifest(true);
    }

    fn write_manifest(&self, sync: bool) -> Result<(), FileError> {
        save_manifest(&self.manifest, self.dir(), sync)
    }

    fn write_summary(&self, sync: bool) -> Result<(), FileError> {
        let summary: Vec<SummaryRow> = self
            .results
            .iter()
            .map(|r| {
                let params = record::params_of(&self.params, &r.case);
                record::summary_row(&self.experiment, r, &self.results, &self.cores, params)
            })
            .collect();
        let header = rows::header::<SummaryRow>(&self.params);
        let bytes = rows::to_csv(Some(&header), &summary)
            .map_err(|e| csv_error(self.dir(), "summary.csv", e))?;
        write_atomic(&self.dir().join("summary.csv"), &bytes, sync)
    }

    /// Appends a case's rows of one table to `<name>.csv`, after the case's
    /// number (the folder already names the experiment).
    fn append_table(&mut self, case: usize, table: &Table) -> Result<(), FileError> {
        let dir = self.dir().to_path_buf();
        let name = table.name();
        let file = format!("{name}.csv");
        let body = rows::table_csv(table, Some(case)).map_err(|e| csv_error(&dir, &file, e))?;
        if !self.tables.contains_key(name) {
            let head = rows::table_csv(table, None).map_err(|e| csv_error(&dir, &file, e))?;
            let created = AppendFile::create(&dir.join(&file), &head)?;
            self.tables.insert(name, created);
            self.with_manifest(|m| m.add_file(&file));
        }
        self.tables
            .get_mut(name)
            .expect("inserted above")
            .append(&body)
    }

    fn record(&mut self, result: &CaseResult) -> Result<(), FileError> {
        let _writing = signals::writing();
        let dir = self.dir().to_path_buf();
        let params = record::params_of(&self.params, &result.case);
        let rows = record::result_rows(&self.experiment, result, &params);
        let bytes = rows::to_csv(None, &rows).map_err(|e| csv_error(&dir, "results.csv", e))?;
        self.results_csv.append(&bytes)?;
        for table in &result.tables {
            self.append_table(result.case.number, table)?;
        }
        for created in self.timelines.record(&dir, result)? {
            self.with_manifest(|m| m.add_file(created));
        }
        self.results.push(CaseResult {
            tables: Vec::new(),
            traces: result.traces.iter().map(|t| t.without_tasks()).collect(),
            ..result.clone()
        });
        if self.derived_at.elapsed() >= DERIVED_EVERY {
            self.write_derived(false)?;
            self.derived_at = Instant::now();
        }
        Ok(())
    }

    /// Rewrites summary.csv, then the manifest counting exactly the cases
    /// that summary holds, so the two always belong together (even when an
    /// immediate exit writes the manifest between two rewrites).
    fn write_derived(&self, sync: bool) -> Result<(), FileError> {
        self.write_summary(sync)?;
        let done = self.results.len();
        let failed = self
            .results
            .iter()
            .filter(|r| r.status() == CaseStatus::Failed)
            .count();
        self.with_manifest(|m| {
            m.cases_done = done;
            m.cases_failed = failed;
        });
        self.write_manifest(sync)
    }
}

fn lock(manifest: &Mutex<Manifest>) -> std::sync::MutexGuard<'_, Manifest> {
    manifest.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `manifest` to `dir/manifest.json`.
fn save_manifest(manifest: &Mutex<Manifest>, dir: &Path, sync: bool) -> Result<(), FileError> {
    let json = serde_json::to_vec_pretty(&*lock(manifest)).expect("plain data");
    write_atomic(&dir.join("manifest.json"), &json, sync)
}

/// Adds the charts, exports and page present in `dir` to the files `manifest` lists.
/// The drawing records them in the manifest on disk, which this copy in
/// memory never sees; writing it without them (a failed index, a second
/// Ctrl-C while drawing) made the next run refuse them as someone else's.
/// Any present are this run's: the folder held none of anyone else's files
/// when it was claimed.
fn list_drawn_files(manifest: &mut Manifest, dir: &Path) {
    let mut drawn: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .filter(|name| folder::is_drawn_name(name))
        .collect();
    drawn.sort();
    for name in drawn {
        manifest.add_file(&name);
    }
}

/// Marks the manifest interrupted before an immediate exit, and removes
/// this process's temporary files.
fn mark_interrupted(manifest: &Mutex<Manifest>, dir: &Path) {
    let json = {
        let mut m = manifest.lock().unwrap_or_else(PoisonError::into_inner);
        m.finish(Status::Interrupted);
        list_drawn_files(&mut m, dir);
        serde_json::to_vec_pretty(&*m).expect("plain data")
    };
    let _ = write_atomic(&dir.join("manifest.json"), &json, true);
    let pid = format!(".{}.", std::process::id());
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if files::is_temp_name(&name) && name.contains(&pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn csv_error(dir: &Path, file: &str, e: impl std::fmt::Display) -> FileError {
    FileError::new(
        "write",
        &PathBuf::from(dir).join(file),
        std::io::Error::other(e.to_string()),
    )
}

impl Observer for ReportWriter {
    fn case_finished(&mut self, result: &CaseResult, _plan: &Plan) -> anyhow::Result<()> {
        Ok(self.record(result)?)
    }
}
