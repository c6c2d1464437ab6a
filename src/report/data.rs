//! What a report is drawn from: the files a run saved, and nothing else.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::experiment::{self, Experiment};
use crate::manifest::{Manifest, Status};
use crate::output::EXPERIMENT_COPY;
use crate::stats;

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
    /// Each case's timed runs that gave the oracle's answer (results.csv),
    /// by case number, in the order they ran: the samples every interval
    /// and every comparison is drawn from.
    pub samples: BTreeMap<String, Vec<Sample>>,
}

/// One timed run of a case, as results.csv keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub seconds: f64,
    /// Its place among every timed run of the experiment (none in reports
    /// of runner before schedules).
    pub position: Option<u64>,
}

impl RunData {
    /// The seconds of case `case`'s correct timed runs.
    pub fn seconds_of(&self, case: &str) -> Vec<f64> {
        self.samples
            .get(case)
            .map(|s| s.iter().map(|s| s.seconds).collect())
            .unwrap_or_default()
    }

    /// Every correct timed run as (position in the run, its time over its
    /// case's median), in the order they ran.
    pub fn drift_series(&self) -> Vec<(u64, f64)> {
        let mut series: Vec<(u64, f64)> = self
            .samples
            .values()
            .filter(|runs| runs.len() > 1)
            .flat_map(|runs| {
                let seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
                let median = stats::median(&seconds).filter(|m| *m > 0.0);
                runs.iter()
                    .filter_map(move |r| Some((r.position?, r.seconds / median?)))
            })
            .collect();
        series.sort_by_key(|p| p.0);
        series
    }
}

/// Extra tables a workload may have written, with their numeric columns.
const TABLES: [(&str, &[&str]); 3] = [
    ("samples", &["case", "n", "seconds"]),
    ("factors", &["case", "factor", "count"]),
    ("clocks", &["case", "started_s", "wall_s"]),
];

/// The summary's columns that hold numbers (or nothing, where they do not
/// apply): a chart or a finding reads each of them as one.
const SUMMARY_NUMBERS: &[&str] = &[
    "case",
    "workers",
    "chunksize",
    "nbr_chunks",
    "tasks",
    "range_start",
    "range_end",
    "number",
    "precheck",
    "check_every",
    "step",
    "repeats",
    "best_s",
    "median_s",
    "mean_s",
    "stddev_s",
    "max_s",
    "median_lo_s",
    "median_hi_s",
    "noise_pct",
    "speedup",
    "speedup_lo",
    "speedup_hi",
    "efficiency",
    "efficiency_lo",
    "efficiency_hi",
    "baseline_case",
    "candidates",
    "looks",
    "look_ns",
    "item_ns",
];

/// Refuses a table whose numeric cells are not numbers, naming the file, the
/// row (as a line of the file) and the column, so a hand-edited or damaged
/// file is found, not drawn as a gap (hardening item 15).
fn check_numbers(path: &Path, rows: &[Row], columns: &[&str]) -> anyhow::Result<()> {
    for (i, row) in rows.iter().enumerate() {
        for &column in columns {
            let Some(cell) = row.get(column).filter(|c| !c.is_empty()) else {
                continue;
            };
            if !cell.parse::<f64>().is_ok_and(f64::is_finite) {
                bail!(
                    "{}: line {}, column {column}: \"{cell}\" is not a number",
                    path.display(),
                    i + 2
                );
            }
        }
        let ok = row.get("status").is_some_and(|s| s == "ok");
        if ok && row.get("best_s").is_some_and(String::is_empty) {
            bail!(
                "{}: line {}: case {} is ok but has no best_s",
                path.display(),
                i + 2,
                value(row, "case")
            );
        }
    }
    Ok(())
}

/// Refuses a newer experiment file that describes another run than the one
/// saved: only presentation (charts, title, description) may differ, and the
/// run-time settings the command line can override (repeats, warm-up, seed,
/// Redis server), which the manifest records (hardening item 14).
fn check_same_run(
    newer: &Experiment,
    saved: Option<&Experiment>,
    manifest: &Manifest,
) -> anyhow::Result<()> {
    let advice =
        "only charts, title and description may change; to change what runs, run the file again";
    if newer.name != manifest.experiment {
        bail!(
            "its name is \"{}\", the run's is \"{}\"; {advice}",
            newer.name,
            manifest.experiment
        );
    }
    let Some(saved) = saved else { return Ok(()) };
    let list = |e: &Experiment| {
        e.axes
            .iter()
            .map(|a| {
                let values: Vec<String> = a.values.iter().map(|v| v.to_string()).collect();
                format!("{} = [{}]", a.name.as_str(), values.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let variants = |e: &Experiment| {
        e.variants
            .iter()
            .map(|v| v.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let differs = if newer.workload != saved.workload {
        Some(format!(
            "its workload is {}, the run's is {}",
            newer.workload, saved.workload
        ))
    } else if newer.axes != saved.axes {
        Some(format!(
            "it sweeps {}; the run swept {}",
            or_nothing(list(newer)),
            or_nothing(list(saved))
        ))
    } else if newer.variants != saved.variants {
        Some(format!(
            "its variants ({}) are not the run's ({})",
            or_nothing(variants(newer)),
            or_nothing(variants(saved))
        ))
    } else if newer.numbers != saved.numbers || newer.step != saved.step {
        Some("its numbers or step are not the run's".into())
    } else if newer.defaults != saved.defaults {
        Some("its [workload] range or [run] strategy and kernel are not the run's".into())
    } else {
        None
    };
    match differs {
        Some(what) => bail!("{what}; {advice}"),
        None => Ok(()),
    }
}

fn or_nothing(text: String) -> String {
    match text.is_empty() {
        true => "nothing".into(),
        false => text,
    }
}

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
        let load = |path: &Path| experiment::load(path).map_err(|e| anyhow::anyhow!("{e}"));
        let saved = dir.join(EXPERIMENT_COPY);
        let experiment = match experiment_file {
            None => load(&saved)?,
            Some(newer) => {
                let experiment = load(newer)?;
                // Without the saved copy, the manifest still names the run.
                let saved = saved.exists().then(|| load(&saved)).transpose()?;
                check_same_run(&experiment, saved.as_ref(), &manifest).with_context(|| {
                    format!(
                        "{} does not describe the run saved in {}",
                        newer.display(),
                        dir.display()
                    )
                })?;
                experiment
            }
        };
        let summary_path = dir.join("summary.csv");
        let summary = read_csv(&summary_path)?;
        check_numbers(&summary_path, &summary, SUMMARY_NUMBERS)?;
        // summary.csv is written just before the manifest: a run killed
        // between the two may leave one more case in the summary.
        let ended = matches!(manifest.status, Status::Complete | Status::Failed);
        let fits = match ended {
            true => summary.len() == manifest.cases_done,
            false => summary.len() >= manifest.cases_done,
        };
        if !fits {
            bail!(
                "{} has {} case rows but {} says {} cases finished; the run's files do not belong together",
                summary_path.display(),
                summary.len(),
                manifest_path.display(),
                manifest.cases_done
            );
        }
        let mut tables = BTreeMap::new();
        for (name, numeric) in TABLES {
            let path = dir.join(format!("{name}.csv"));
            if path.exists() {
                let rows = read_csv(&path)?;
                check_numbers(&path, &rows, numeric)?;
                tables.insert(name.to_string(), rows);
            }
        }
        let results_path = dir.join("results.csv");
        let results = read_csv(&results_path)?;
        let mut samples: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
        for (i, row) in results.iter().enumerate() {
            if value(row, "ok") != "true" {
                continue;
            }
            let seconds = number(row, "seconds").filter(|s| s.is_finite() && *s >= 0.0);
            let Some(seconds) = seconds else {
                bail!(
                    "{}: line {}, column seconds: {:?} is not a time",
                    results_path.display(),
                    i + 2,
                    value(row, "seconds")
                );
            };
            let position = number(row, "position").map(|p| p as u64);
            samples
                .entry(value(row, "case"))
                .or_default()
                .push(Sample { seconds, position });
        }
        Ok(RunData {
            dir: dir.to_path_buf(),
            experiment,
            manifest,
            summary,
            tables,
            samples,
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
    crate::primes::named_range::label(start, end)
}

/// The case number of a row (0 if it has none): what seeds its intervals.
pub fn case_number(row: &Row) -> u64 {
    value(row, "case").parse().unwrap_or(0)
}

/// A cell as a number, if it is one.
pub fn number(row: &Row, name: &str) -> Option<f64> {
    row.get(name)?.parse().ok()
}
