//! What a report is drawn from: the files a run saved, and nothing else.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::experiment::{self, Experiment};
use crate::manifest::Manifest;
use crate::output::EXPERIMENT_COPY;

/// One CSV row, by column name.
pub type Row = BTreeMap<String, String>;

/// A saved run, read back.
pub struct RunData {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub manifest: Manifest,
    /// summary.csv, one row per case.
    pub summary: Vec<Row>,
    /// Per-case tables such as samples.csv or factors.csv, by file stem.
    pub tables: BTreeMap<String, Vec<Row>>,
}

/// Extra tables a workload may have written.
const TABLES: [&str; 2] = ["samples", "factors"];

impl RunData {
    /// Reads the report folder `dir`; `experiment_file` replaces the saved
    /// copy of the experiment (for restyled charts).
    pub fn read(dir: &Path, experiment_file: Option<&Path>) -> anyhow::Result<RunData> {
        let manifest_path = dir.join("manifest.json");
        let manifest: Manifest = serde_json::from_slice(
            &fs::read(&manifest_path)
                .with_context(|| format!("cannot read {}", manifest_path.display()))?,
        )
        .with_context(|| format!("{} is not a runner manifest", manifest_path.display()))?;
        let source = experiment_file.map_or_else(|| dir.join(EXPERIMENT_COPY), Path::to_path_buf);
        let experiment = experiment::load(&source).map_err(|e| anyhow::anyhow!("{e}"))?;
        let summary = read_csv(&dir.join("summary.csv"))?;
        let mut tables = BTreeMap::new();
        for name in TABLES {
            let path = dir.join(format!("{name}.csv"));
            if path.exists() {
                tables.insert(name.to_string(), read_csv(&path)?);
            }
        }
        Ok(RunData {
            dir: dir.to_path_buf(),
            experiment,
            manifest,
            summary,
            tables,
        })
    }
}

/// Reads a CSV file into rows by column name, failing clearly if it is
/// missing, malformed or not the file a run writes.
pub fn read_csv(path: &Path) -> anyhow::Result<Vec<Row>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{} has no header", path.display()))?
        .iter()
        .map(String::from)
        .collect();
    if !header.iter().any(|h| h == "case") {
        bail!(
            "{} is not a file runner wrote (no case column)",
            path.display()
        );
    }
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record
                .with_context(|| format!("{}: row {} is malformed", path.display(), i + 2))?;
            Ok(header
                .iter()
                .cloned()
                .zip(record.iter().map(String::from))
                .collect())
        })
        .collect()
}

/// The value a chart or a table shows for `name` in `row`: parameters by
/// their CSV column, with the book's names for numbers and ranges.
pub fn value(row: &Row, name: &str) -> String {
    let cell = |c: &str| row.get(c).cloned().unwrap_or_default();
    match name {
        "number" => cell("number_name"),
        "range" => range_label(&cell("range_start"), &cell("range_end")),
        "variant" if cell("variant").is_empty() => cell("strategy"),
        _ => cell(name),
    }
}

/// "C" for the book's range C, else "[start, end)".
pub fn range_label(start: &str, end: &str) -> String {
    let named = crate::primes::named_range::NAMED_RANGES
        .iter()
        .find(|(_, s, e)| s.to_string() == start && e.to_string() == end);
    match named {
        Some((name, _, _)) => format!("range {name}"),
        None => format!("[{start}, {end})"),
    }
}

/// A cell as a number, if it is one.
pub fn number(row: &Row, name: &str) -> Option<f64> {
    row.get(name)?.parse().ok()
}
