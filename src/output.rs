//! The report folder: every file written to a temporary name and renamed, and
//! the CSVs rewritten after every case, so an interrupted or crashed run
//! leaves complete files holding every finished case.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::engine::{CaseResult, Observer};
use crate::experiment::{Experiment, Plan};
use crate::machine::Cores;
use crate::manifest::{Manifest, Status};
use crate::record::{self, CASE_COLUMNS, RESULT_COLUMNS, SUMMARY_COLUMNS};

/// Writes `bytes` to `path` atomically: readers see the old file or the new
/// one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().context("a file name")?.to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file =
        fs::File::create(&temp).with_context(|| format!("cannot write {}", temp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The folder an experiment's report goes in. A quick run gets its own, so
/// a smoke test never overwrites a real report.
pub fn report_dir(out: &Path, experiment: &Experiment, plan: &Plan) -> PathBuf {
    match plan.quick {
        true => out.join(format!("{}-quick", experiment.name)),
        false => out.join(&experiment.name),
    }
}

/// The name under which the experiment file is copied into its report.
pub const EXPERIMENT_COPY: &str = "experiment.toml";

/// An observer that keeps the report folder up to date as cases finish.
pub struct ReportWriter {
    dir: PathBuf,
    experiment: String,
    manifest: Manifest,
    results: Vec<CaseResult>,
    /// The cores the run had, for per-item costs in core time.
    cores: Cores,
}

impl ReportWriter {
    /// Creates the folder and writes the experiment copy and the manifest.
    pub fn create(
        dir: PathBuf,
        experiment: &Experiment,
        manifest: Manifest,
    ) -> anyhow::Result<Self> {
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_atomic(&dir.join(EXPERIMENT_COPY), experiment.source.as_bytes())?;
        let writer = ReportWriter {
            dir,
            experiment: experiment.name.clone(),
            manifest,
            results: Vec::new(),
            cores: Cores::detect(),
        };
        writer.write_manifest()?;
        Ok(writer)
    }

    /// The folder being written.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records how the run ended.
    pub fn finish(&mut self, status: Status) -> anyhow::Result<()> {
        self.manifest.finish(status);
        self.write_csvs()?;
        self.write_manifest()
    }

    fn write_manifest(&self) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(&self.manifest)?;
        write_atomic(&self.dir.join("manifest.json"), &json)
    }

    fn write_csvs(&self) -> anyhow::Result<()> {
        let name = &self.experiment;
        let results: Vec<_> = self
            .results
            .iter()
            .flat_map(|r| record::result_rows(name, r))
            .collect();
        let header = [&CASE_COLUMNS[..], &RESULT_COLUMNS].concat();
        write_atomic(
            &self.dir.join("results.csv"),
            &record::to_csv(&header, &results)?,
        )?;
        let summary: Vec<_> = self
            .results
            .iter()
            .map(|r| record::summary_row(name, r, &self.results, &self.cores))
            .collect();
        let header = [&CASE_COLUMNS[..], &SUMMARY_COLUMNS].concat();
        write_atomic(
            &self.dir.join("summary.csv"),
            &record::to_csv(&header, &summary)?,
        )?;
        self.write_tables()
    }

    /// Each named table of every case into `<name>.csv`, each row after its
    /// case's number (the folder already names the experiment).
    fn write_tables(&self) -> anyhow::Result<()> {
        let mut files: BTreeMap<&str, (Vec<&str>, Vec<Vec<String>>)> = BTreeMap::new();
        for result in &self.results {
            for table in &result.tables {
                let (_, rows) = files.entry(table.name).or_insert_with(|| {
                    let header = ["case"].into_iter().chain(table.header.iter().copied());
                    (header.collect(), Vec::new())
                });
                let case = [result.case.number.to_string()];
                rows.extend(table.rows.iter().map(|row| [&case[..], row].concat()));
            }
        }
        for (name, (header, rows)) in files {
            write_atomic(
                &self.dir.join(format!("{name}.csv")),
                &record::to_csv(&header, &rows)?,
            )?;
        }
        Ok(())
    }
}

impl Observer for ReportWriter {
    fn case_finished(&mut self, result: &CaseResult, _plan: &Plan) -> anyhow::Result<()> {
        self.results.push(result.clone());
        self.manifest.record_case(result.ok());
        self.write_csvs()?;
        self.write_manifest()
    }
}
