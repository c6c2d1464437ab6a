//! What a report is drawn from: the files a run saved, and nothing else,
//! read back typed (see [`crate::record::rows`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::experiment::columns::{CaseColumns, Cell};
use crate::experiment::{self, Experiment, ParamName};
use crate::outcome::{ClockRow, FactorRow, SampleRow, Status as CaseStatus};
use crate::output::EXPERIMENT_COPY;
use crate::output::manifest::{Manifest, Status};
use crate::primes::named_range;
use crate::record::read::read;
use crate::record::rows::{Cased, FileRow};
use crate::record::{ResultRow, SummaryRow};
use crate::stats;

/// A saved run, read back.
pub struct RunData {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub manifest: Manifest,
    /// summary.csv, one row per case.
    pub summary: Vec<SummaryRow>,
    /// The workload's tables (samples.csv, factors.csv, clocks.csv), where
    /// the run wrote them.
    pub tables: Tables,
    /// Each case's timed runs that gave the oracle's answer (results.csv),
    /// by case number, in the order they ran: the samples every interval
    /// and every comparison is drawn from.
    pub samples: BTreeMap<usize, Vec<Sample>>,
}

/// The tables a workload may have written beside the summary, each by case.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub samples: Option<Vec<Cased<SampleRow>>>,
    pub factors: Option<Vec<Cased<FactorRow>>>,
    pub clocks: Option<Vec<Cased<ClockRow>>>,
}

impl Tables {
    /// The files of the tables the run wrote, by name.
    pub fn files(&self) -> Vec<String> {
        let present = [
            ("clocks", self.clocks.is_some()),
            ("factors", self.factors.is_some()),
            ("samples", self.samples.is_some()),
        ];
        present
            .into_iter()
            .filter(|(_, there)| *there)
            .map(|(name, _)| format!("{name}.csv"))
            .collect()
    }
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
    pub fn seconds_of(&self, case: usize) -> Vec<f64> {
        self.samples
            .get(&case)
            .map(|s| s.iter().map(|s| s.seconds).collect())
            .unwrap_or_default()
    }

    /// The summary row of case `case`.
    pub fn case(&self, case: usize) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.case.case == case)
    }

    /// The most workers any case had (at least 1): what the machine-state
    /// warnings weigh the run's own load against.
    pub fn max_workers(&self) -> usize {
        self.summary
            .iter()
            .map(|r| r.case.workers)
            .fold(1, usize::max)
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

/// Refuses a summary whose correct case has no best time (a hand-edited or
/// damaged file), naming the file and the row as a line of the file.
fn check_times(path: &Path, rows: &[SummaryRow]) -> anyhow::Result<()> {
    for (i, row) in rows.iter().enumerate() {
        let ok = row.summary.status == CaseStatus::Ok;
        if ok && row.summary.best_s.is_none() {
            bail!(
                "{}: line {}: case {} is ok but has no best_s",
                path.display(),
                i + 2,
                row.case.case
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
        let params = experiment.params.names();
        let summary_path = dir.join("summary.csv");
        let summary: Vec<SummaryRow> = read(&summary_path, &params)?;
        check_times(&summary_path, &summary)?;
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
        let tables = Tables {
            samples: table(dir, "samples")?,
            factors: table(dir, "factors")?,
            clocks: table(dir, "clocks")?,
        };
        let results_path = dir.join("results.csv");
        let results: Vec<ResultRow> = read(&results_path, &params)?;
        let mut samples: BTreeMap<usize, Vec<Sample>> = BTreeMap::new();
        for (i, row) in results.iter().enumerate() {
            if !row.repeat.ok {
                continue;
            }
            let seconds = row.repeat.seconds.map(f64::from);
            let Some(seconds) = seconds.filter(|s| *s >= 0.0) else {
                bail!(
                    "{}: line {}, column seconds: {:?} is not a time",
                    results_path.display(),
                    i + 2,
                    row.repeat.seconds.text()
                );
            };
            let position = row.repeat.position;
            samples
                .entry(row.case.case)
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

/// The table `<name>.csv` of the report folder `dir`, if the run wrote one.
fn table<R: FileRow>(dir: &Path, name: &str) -> anyhow::Result<Option<Vec<R>>> {
    let path = dir.join(format!("{name}.csv"));
    path.exists().then(|| read(&path, &[])).transpose()
}

/// The value a chart or a table shows for `name` in `row`: parameters by
/// their CSV column, with the book's names for numbers and ranges, and the
/// strategy for a case of no variant.
pub fn value(row: &SummaryRow, name: &str) -> String {
    match name {
        "number" => row.case.number_name.text(),
        "variant" if row.case.variant.is_empty() => row.case.strategy.to_string(),
        _ if ParamName::from_key(name) == Some(ParamName::Range) => range_label(&row.case),
        _ => row.get(name).unwrap_or_default(),
    }
}

/// "range C" for the book's range C, else "[start, end)".
pub fn range_label(case: &CaseColumns) -> String {
    named_range::label(&case.range_start.text(), &case.range_end.text())
}
