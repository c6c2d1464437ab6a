//! `manifest.json`: how, where and from what a report was made, so a reader
//! can judge its numbers and anyone can reproduce them.

use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::redis::lobby::WorkersSeen;
use crate::backend::redis::protocol::WorkerHello;
use crate::experiment::{Experiment, Plan, Schedule};
use crate::machine::{Cores, MachineInfo, command_output};
use crate::machine_state::{self, MachineState};
use crate::output::lock;
use crate::work::{KernelSpec, Tuning};

/// How a run ended (or that it is still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    /// Every case ran and gave the oracle's answer.
    Complete,
    /// Every case ran; at least one failed.
    Failed,
    /// Stopped by a signal (Ctrl-C, SIGTERM, ...) before every case ran;
    /// the finished ones are kept.
    Interrupted,
    /// A report file could not be written; `error` says which and why.
    Error,
}

impl Manifest {
    /// The status as a reader should see it: a run whose manifest still says
    /// "running" but that no longer holds its folder's lock was killed
    /// (SIGKILL, out of memory, power loss) and did not finish.
    pub fn status_seen(&self, dir: &Path) -> &'static str {
        let alive = || self.pid.is_some() && lock::holder(dir) == self.pid;
        match self.status {
            Status::Running if !alive() => "did not finish",
            Status::Running => "running",
            Status::Complete => "complete",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
            Status::Error => "error",
        }
    }
}

/// Where the experiment file came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub path: String,
    pub sha256: String,
    /// The commit checked out where the file lives, if it is in a git repository.
    pub git_commit: Option<String>,
    /// Whether the file differs from that commit (or is not tracked).
    pub git_dirty: Option<bool>,
}

impl Source {
    /// Why a report run from this file is stale: the file at the recorded
    /// path (relative to the current folder, as it was given) holds other
    /// text now. None when it is unchanged, or gone (nothing to judge by).
    pub fn changed_since(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let now = format!("{:x}", Sha256::digest(text.as_bytes()));
        (now != self.sha256).then(|| {
            format!(
                "{} has changed since this run: run it again (`runner {}`)",
                self.path, self.path
            )
        })
    }
}

/// Everything recorded about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub runner_version: String,
    pub experiment: String,
    pub title: String,
    pub source: Source,
    /// The command line, as typed.
    pub arguments: Vec<String>,
    pub seed: u64,
    pub repeats: u32,
    pub warmup: u32,
    /// The order of the timed runs (absent in reports of runner before it
    /// had schedules, which ran blocked).
    #[serde(default = "blocked")]
    pub schedule: Schedule,
    pub quick: bool,
    pub cases_planned: usize,
    pub cases_done: usize,
    pub cases_failed: usize,
    pub status: Status,
    /// Why the report could not be written, when `status` is "error".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The process that wrote the report.
    #[serde(default)]
    pub pid: Option<u32>,
    /// The report folder, as the run named it (`--out` joined with the
    /// folder name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_dir: Option<String>,
    /// Every file of the report folder runner wrote; runner never replaces
    /// or deletes any other. Absent in reports from before this list.
    #[serde(default)]
    pub files: Option<Vec<String>>,
    pub started: String,
    pub finished: Option<String>,
    pub machine: MachineInfo,
    /// What bends timings, read at the start and the end of the run.
    /// Absent in reports from before it was recorded.
    #[serde(default)]
    pub machine_state: MachineStates,
    /// What the times include and exclude.
    pub timing: String,
    /// The workers behind Redis that served some case (`executor =
    /// "redis"`): each one's id, host, CPU model, cores and slots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_workers: Vec<WorkerHello>,
    /// Where the run's coordinators record the workers behind Redis they
    /// assign; `finish` lists them in `remote_workers`.
    #[serde(skip)]
    pub workers_seen: WorkersSeen,
    /// How this CPU runs each kernel: the calibration's choices and the path
    /// each kernel takes (issue 15). Absent in reports from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<KernelPaths>,
}

/// The kernels as this run's CPU runs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KernelPaths {
    /// The path each kernel takes, by kernel name (as `kernel_path` in the CSV).
    pub paths: std::collections::BTreeMap<String, String>,
    /// What the calibration, before any timer, chose.
    pub tuning: Tuning,
    /// `RUNNER_SIMD`, if set (it caps the simd kernel's path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_simd: Option<String>,
}

impl KernelPaths {
    /// This process's kernels (calibrating, if not done yet).
    pub fn detect() -> Self {
        use crate::experiment::Kernel;
        let paths = [Kernel::Plain, Kernel::Fast, Kernel::Simd]
            .into_iter()
            .map(|k| (k.to_string(), KernelSpec::new(k, 0).path()))
            .collect();
        KernelPaths {
            paths,
            tuning: Tuning::calibrated(),
            runner_simd: std::env::var("RUNNER_SIMD").ok(),
        }
    }
}

/// The machine's state before the first case and after the last.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MachineStates {
    #[serde(default)]
    pub start: Option<MachineState>,
    /// Filled when the run ends, however it ends.
    #[serde(default)]
    pub end: Option<MachineState>,
}

/// What the times measure, stated in every manifest and report.
pub const TIMING_NOTE: &str = "Each time covers only the work: worker threads and pools are \
    built, the job list ordered and any divisor table computed before the clock starts, and \
    the answer is checked against the oracle after it stops. Best-of-N is the headline; every \
    repeat is kept in results.csv.";

impl Manifest {
    /// A manifest for a run that is starting now.
    pub fn start(experiment: &Experiment, plan: &Plan, arguments: Vec<String>) -> Self {
        Manifest {
            runner_version: env!("CARGO_PKG_VERSION").to_string(),
            experiment: experiment.name.clone(),
            title: experiment.title.clone(),
            source: source_of(&experiment.path, &experiment.source),
            arguments,
            seed: plan.seed,
            repeats: plan.repeats,
            warmup: plan.warmup,
            schedule: plan.schedule,
            quick: plan.quick,
            cases_planned: plan.cases.len(),
            cases_done: 0,
            cases_failed: 0,
            status: Status::Running,
            error: None,
            pid: Some(std::process::id()),
            report_dir: None,
            files: Some(Vec::new()),
            started: now(),
            finished: None,
            machine: MachineInfo::detect(),
            machine_state: MachineStates::default(),
            timing: TIMING_NOTE.to_string(),
            remote_workers: Vec::new(),
            workers_seen: WorkersSeen::default(),
            kernels: Some(KernelPaths::detect()),
        }
    }

    /// Stamps the end of the run.
    pub fn finish(&mut self, status: Status) {
        self.remote_workers = self.workers_seen.take();
        self.status = status;
        self.finished = Some(now());
    }

    /// The core counts the manifest records (at least 1 each).
    pub fn cores(&self) -> Cores {
        Cores {
            physical: self.machine.physical_cores.max(1),
            logical: self.machine.logical_cpus.max(1),
        }
    }

    /// What in the recorded machine state makes the figures less reliable,
    /// for a run of at most `max_workers` workers; none when no state was
    /// recorded.
    pub fn machine_warnings(&self, max_workers: usize) -> Vec<String> {
        match &self.machine_state.start {
            Some(start) => machine_state::warnings(
                start,
                self.machine_state.end.as_ref(),
                max_workers,
                self.cores(),
            ),
            None => Vec::new(),
        }
    }

    /// The warnings of [`Manifest::machine_warnings`] that say something
    /// disturbed the run while it ran (see [`machine_state::disturbances`]).
    pub fn machine_disturbances(&self, max_workers: usize) -> Vec<String> {
        match &self.machine_state.start {
            Some(start) => machine_state::disturbances(
                start,
                self.machine_state.end.as_ref(),
                max_workers,
                self.cores(),
            ),
            None => Vec::new(),
        }
    }

    /// Records that runner wrote `file` in the report folder.
    pub fn add_file(&mut self, file: &str) {
        let files = self.files.get_or_insert_with(Vec::new);
        if !files.iter().any(|f| f == file) {
            files.push(file.to_string());
        }
    }
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn source_of(path: &Path, text: &str) -> Source {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = dir.to_string_lossy();
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let commit = command_output("git", &["-C", &dir, "rev-parse", "HEAD"]);
    let dirty = commit.as_ref().and_then(|_| {
        let tracked = command_output("git", &["-C", &dir, "ls-files", "--", &file])?;
        let changes = command_output("git", &["-C", &dir, "status", "--porcelain", "--", &file])?;
        Some(tracked.is_empty() || !changes.is_empty())
    });
    Source {
        path: path.display().to_string(),
        sha256: format!("{:x}", Sha256::digest(text.as_bytes())),
        git_commit: commit,
        git_dirty: dirty,
    }
}

/// The schedule of reports written before schedules existed.
fn blocked() -> Schedule {
    Schedule::Blocked
}
