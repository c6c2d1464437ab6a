//! What running a case produced: its timed repeats, its checked answer, or
//! why it failed or was skipped. Plain data, read by the writers and the
//! progress display; it knows nothing of how cases run.

use serde::{Deserialize, Serialize};

use crate::answer::{Answer, Work};
use crate::experiment::Case;
use crate::experiment::columns::{Cell, Seconds, columns};
use crate::trace::RepeatTrace;

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub case: Case,
    /// The timed repeats that gave the oracle's answer, in order.
    pub runs: Vec<Run>,
    /// The checked answer of those repeats.
    pub answer: Option<Answer>,
    /// Why the case failed, if it did; no time is reported for a failed run.
    pub failure: Option<Failure>,
    /// Why the case was not run, if it was not.
    pub skipped: Option<String>,
    /// Data beyond the timings (per-n costs, a histogram), one file per name.
    pub tables: Vec<Table>,
    /// How to read the numbers, when it needs saying.
    pub note: Option<String>,
    /// What the case's workers cost besides the work, where it has workers.
    pub costs: Option<WorkerCosts>,
    /// What the workers did in each timed repeat, in the order of `runs`
    /// (empty where the workload records no tasks, or recording is off).
    pub traces: Vec<RepeatTrace>,
}

/// What a case's workers cost besides the work, measured outside the timer
/// (start-up, a round trip) or counted during the timed runs (traffic).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WorkerCosts {
    /// Seconds to start every worker (and stop them, for threads).
    pub startup_s: f64,
    /// Seconds for one empty task to a worker and its reply back, the
    /// median of many (none where it could not be measured).
    pub round_trip_s: Option<f64>,
    /// Bytes sent to the workers per run (warm-ups and repeats alike), for
    /// workers in other processes.
    pub bytes_per_run: Option<f64>,
    /// Messages sent to the workers per run.
    pub frames_per_run: Option<f64>,
    /// Bytes of the workers' replies per run.
    pub bytes_back_per_run: Option<f64>,
    /// Jobs delivered again to another worker after their first worker fell
    /// silent (died), over every run of the case; for workers behind Redis.
    pub redelivered: Option<u64>,
}

/// Rows for a CSV file of their own (`<name>.csv`), each after its case's
/// number.
#[derive(Debug, Clone, PartialEq)]
pub enum Table {
    /// What one check of each n cost (check_cost).
    Samples(Vec<SampleRow>),
    /// The smallest-factor histogram of a case's range (factor_frequency).
    Factors(Vec<FactorRow>),
    /// Both clocks of every run of a program (command).
    Clocks(Vec<ClockRow>),
}

impl Table {
    /// The file's stem.
    pub fn name(&self) -> &'static str {
        match self {
            Table::Samples(_) => "samples",
            Table::Factors(_) => "factors",
            Table::Clocks(_) => "clocks",
        }
    }
}

columns! {
    /// A row of samples.csv: the best of the timings of one n's check.
    pub struct SampleRow {
        pub n: u64,
        pub prime: bool,
        /// The best time less the clock's own cost; none where the check
        /// was no slower than the clock.
        pub seconds: Option<Seconds>,
        /// The best time as timed.
        pub raw_s: Option<Seconds>,
    }
}

columns! {
    /// A row of factors.csv: how many non-primes of the range have
    /// `factor` as their smallest factor.
    pub struct FactorRow {
        pub factor: u64,
        pub count: u64,
    }
}

columns! {
    /// A row of clocks.csv: one run of a program (warm-ups too), by the
    /// process's wall clock and by the program's own.
    pub struct ClockRow {
        /// When it began, in seconds since the start of the run.
        pub started_s: Seconds,
        pub wall_s: Seconds,
        /// The program's `runner-time:`, where it printed one.
        pub program_s: Option<Seconds>,
    }
}

/// One timed repeat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub seconds: f64,
    /// The work done, where the strategy counts it.
    pub work: Option<Work>,
    /// When it began, in seconds since the start of the run.
    pub started_s: f64,
    /// The round it belongs to (1-based): with an interleaved schedule every
    /// case runs once per round; blocked, a case's repeat r is its round r.
    pub round: u32,
    /// Its place among every timed run of the experiment (1-based), in the
    /// order they ran.
    pub position: u64,
}

/// A run that crashed or disagreed with the oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The timed repeat that failed (1-based), or 0 during warm-up or setup.
    pub repeat: u32,
    pub message: String,
}

/// Whether a case gave the oracle's answer, failed, or could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

impl CaseResult {
    /// A result with nothing in it yet.
    pub fn new(case: &Case) -> Self {
        CaseResult {
            case: case.clone(),
            runs: Vec::new(),
            answer: None,
            failure: None,
            skipped: None,
            tables: Vec::new(),
            note: None,
            costs: None,
            traces: Vec::new(),
        }
    }

    /// A case that failed before any run.
    pub fn failed(case: &Case, message: String) -> Self {
        let failure = Some(Failure { repeat: 0, message });
        CaseResult {
            failure,
            ..CaseResult::new(case)
        }
    }

    /// How the case ended.
    pub fn status(&self) -> Status {
        match (&self.failure, &self.skipped) {
            (Some(_), _) => Status::Failed,
            (None, Some(_)) => Status::Skipped,
            (None, None) => Status::Ok,
        }
    }

    /// Whether every run of the case gave the oracle's answer.
    pub fn ok(&self) -> bool {
        self.status() == Status::Ok
    }

    /// The timed repeats' seconds.
    pub fn seconds(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.seconds).collect()
    }
}

impl Status {
    /// The word for the CSV's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// The CSV's `status` column.
impl Cell for Status {
    const WORDS: bool = true;

    fn text(&self) -> String {
        self.as_str().to_string()
    }
}
