//! The declarative model: an experiment file read, validated and expanded
//! into the cases the engine runs.

pub mod case;
pub mod chart;
pub mod columns;
pub mod command;
pub mod error;
pub mod expect;
pub mod json_schema;
pub mod params;
pub mod schema;
pub mod validate;
pub mod values;
pub mod written;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use case::{Case, CasePlan, ChunkPlan, ChunkRule, Chunking, Input, NamedNumber, QueuePlan};
pub use chart::Chart;
pub use command::{CommandSpec, UserParams};
pub use error::ExperimentError;
pub use params::{ParamName, ParamValue, Setting};
pub use values::limits;
pub use values::{
    AnswerKind, Capacity, ClockKind, Enqueue, Executor, FlagKind, Kernel, LoopStyle, Order,
    QueueHost, Requirement, Schedule, Strategy, WorkloadKind,
};

use crate::machine::Cores;

/// A validated experiment, ready to be planned.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The file it was read from.
    pub path: PathBuf,
    /// The file's text, copied into the report as run.
    pub source: String,
    /// Names the report folder.
    pub name: String,
    pub title: String,
    pub description: String,
    pub workload: WorkloadKind,
    /// The numbers a verify workload checks, in order.
    pub numbers: Vec<NamedNumber>,
    /// The step of a check_cost workload.
    pub step: Option<u64>,
    /// The Redis server for the `redis` flag and executor, if the file
    /// names one.
    pub redis_url: Option<String>,
    /// For `executor = "redis"`: local `runner worker` processes to start
    /// per case (`[run] spawn_local`).
    pub spawn_local: Option<u32>,
    /// For a command workload: how its program is run.
    pub command: Option<CommandSpec>,
    /// For a command workload: the user's own parameters.
    pub params: UserParams,
    /// Timed runs per case; the best is the headline.
    pub repeats: u32,
    /// Untimed runs before the timed ones.
    pub warmup: u32,
    /// Seeds every shuffle.
    pub seed: u64,
    /// The order of the timed runs.
    pub schedule: Schedule,
    /// Whether each task of each timed repeat is recorded (`[run] trace`).
    pub trace: bool,
    /// Parameter values before the sweep and the variants apply.
    pub defaults: Setting,
    /// The sweep's lists, in expansion order.
    pub axes: Vec<Axis>,
    pub variants: Vec<Variant>,
    pub charts: Vec<Chart>,
    /// The book's lessons, as relations the data are checked against.
    pub expectations: Vec<expect::Expectation>,
}

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: ParamName,
    pub values: Vec<ParamValue>,
}

/// A labelled set of overrides, crossed with the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub label: String,
    pub values: Vec<ParamValue>,
    /// The user's own parameters it sets (command workloads).
    pub params: Vec<(String, String)>,
    /// What the variant needs; without it its cases are skipped.
    pub requires: Vec<Requirement>,
}

/// Command-line adjustments to how an experiment runs.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub repeats: Option<u32>,
    pub warmup: Option<u32>,
    pub seed: Option<u64>,
    pub schedule: Option<Schedule>,
    /// `--no-trace`: record no tasks, whatever the file says.
    pub no_trace: bool,
    /// Smoke-test scale: 1 repeat, no warm-up, ranges cut to a slice.
    pub quick: bool,
}

/// The expanded experiment: every case and how each is timed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub cases: Vec<Case>,
    pub repeats: u32,
    pub warmup: u32,
    pub seed: u64,
    pub schedule: Schedule,
    pub quick: bool,
    /// Whether each task of each timed repeat is recorded (see
    /// [`crate::trace`]).
    pub trace: bool,
}

impl Plan {
    /// How each case is timed, in words: "(1 warm-up + 5 timed repeats),
    /// blocked" or "5 interleaved rounds of (1 warm-up + 1 timed run)".
    pub fn timing_words(&self) -> String {
        match self.schedule {
            Schedule::Blocked => format!(
                "({} warm-up + {} timed repeats), blocked",
                self.warmup, self.repeats
            ),
            schedule => format!(
                "{} {schedule} rounds of ({} warm-up + 1 timed run)",
                self.repeats, self.warmup
            ),
        }
    }
}

/// A quick run searches 1/QUICK_DIVISOR of each range, at least QUICK_MIN numbers.
pub const QUICK_DIVISOR: u64 = 100;
/// See [`QUICK_DIVISOR`].
pub const QUICK_MIN: u64 = 1_000;

/// Reads and validates the experiment file at `path`.
pub fn load(path: &Path) -> Result<Experiment, ExperimentError> {
    let unreadable = |e: std::io::Error| {
        ExperimentError::new(path, "", None, format!("cannot read the file: {e}"))
            .with_help("check the path; `runner check DIR` lists the experiments in a folder")
    };
    // Read at most one byte more than the limit: a file that never ends
    // (`/dev/zero`) or a huge one must be refused, not read until the
    // machine runs out of memory. A pipe (`<(cat x.toml)`) is still read.
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ExperimentError::new(
            path,
            "",
            None,
            format!(
                "the file is larger than {} MiB, far more than any experiment needs",
                MAX_FILE_BYTES >> 20
            ),
        )
        .with_help("name the experiment file (a few kB of TOML), not a data file or a device"));
    }
    let source = String::from_utf8(bytes).map_err(|e| {
        unreadable(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to() + 1
            ),
        ))
    })?;
    parse(path, &source)
}

/// The largest experiment file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Validates experiment text `source`, reporting errors against `path`.
pub fn parse(path: &Path, source: &str) -> Result<Experiment, ExperimentError> {
    let spec: schema::FileSpec =
        toml::from_str(source).map_err(|e| error::from_toml(path, source, &e))?;
    validate::validate(path, source, spec)
}

impl Experiment {
    /// Expands the sweep and variants into cases for a machine with `cores`.
    ///
    /// Parameters a strategy ignores (a serial case's workers and chunks) are
    /// dropped, and cases that end up identical are run once.
    pub fn plan(&self, cores: Cores, options: &PlanOptions) -> Plan {
        let seed = options.seed.unwrap_or(self.seed);
        let unlabelled = [Variant {
            label: String::new(),
            values: Vec::new(),
            params: Vec::new(),
            requires: Vec::new(),
        }];
        let variants = match self.variants.is_empty() {
            true => &unlabelled[..],
            false => &self.variants[..],
        };
        let mut cases: Vec<Case> = Vec::new();
        let mut seen: std::collections::HashSet<Case> = std::collections::HashSet::new();
        let user_combinations = user_cartesian(&self.params.axes);
        for variant in variants {
            for combination in cartesian(&self.axes) {
                let mut setting = self.defaults.clone();
                combination
                    .into_iter()
                    .chain(variant.values.iter().copied())
                    .for_each(|v| setting.apply(v));
                for user in &user_combinations {
                    // The user's parameters: defaults, then the sweep, then the variant.
                    let mut params = self.params.defaults.clone();
                    params.extend(user.iter().cloned());
                    params.extend(variant.params.iter().cloned());
                    for input in self.inputs(&setting, options.quick) {
                        let mut case = setting.resolve(input, cores, seed);
                        case.variant = variant.label.clone();
                        case.requires = variant.requires.clone();
                        // Workers behind Redis need the server as much as a
                        // Redis flag does: without one the case is skipped.
                        if case.executor == Some(Executor::Redis)
                            && !case.requires.contains(&Requirement::Redis)
                        {
                            case.requires.push(Requirement::Redis);
                        }
                        case.params = params.clone().into_iter().collect();
                        if self.command.is_some() {
                            // A program runs where it runs: not on runner's backends.
                            case.executor = None;
                        }
                        if seen.insert(case.clone()) {
                            cases.push(case);
                        }
                    }
                }
            }
        }
        for (i, case) in cases.iter_mut().enumerate() {
            case.number = i + 1;
        }
        Plan {
            cases,
            // --repeats and --warmup win over --quick's 1 and 0.
            repeats: options
                .repeats
                .unwrap_or(if options.quick { 1 } else { self.repeats }),
            warmup: options
                .warmup
                .unwrap_or(if options.quick { 0 } else { self.warmup }),
            seed,
            schedule: options.schedule.unwrap_or(self.schedule),
            quick: options.quick,
            trace: self.trace && !options.no_trace,
        }
    }
}

impl Experiment {
    /// Per variant label, the parameters the variant sets (runner's and a
    /// command's own): what a lesson comparing two variants lets differ.
    pub fn variant_sets(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.variants
            .iter()
            .map(|v| {
                let set = v.values.iter().map(|p| p.name().as_str().to_string());
                let own = v.params.iter().map(|(name, _)| name.clone());
                (v.label.clone(), set.chain(own).collect())
            })
            .collect()
    }

    /// The verify numbers a `--quick` run must check at full size, for want
    /// of a `quick` stand-in.
    pub fn numbers_without_stand_in(&self) -> Vec<&str> {
        self.numbers
            .iter()
            .filter(|n| n.quick.is_none())
            .map(|n| n.name.as_str())
            .collect()
    }

    /// What a case with `setting` works on: its range, or each number.
    fn inputs(&self, setting: &Setting, quick: bool) -> Vec<Input> {
        match self.workload {
            WorkloadKind::Primes | WorkloadKind::CheckCost | WorkloadKind::FactorFrequency => {
                let full = setting.range.expect("validated: every case has a range");
                let range = match quick {
                    true => full.prefix(full.len().div_ceil(QUICK_DIVISOR).max(QUICK_MIN)),
                    false => full,
                };
                vec![match (self.workload, self.step) {
                    (WorkloadKind::CheckCost, Some(step)) => Input::Stepped { range, step },
                    (WorkloadKind::FactorFrequency, _) => Input::Factors(range),
                    _ => Input::Range(range),
                }]
            }
            WorkloadKind::Command if self.numbers.is_empty() => match setting.range {
                Some(full) => vec![Input::Range(match quick {
                    true => full.prefix(full.len().div_ceil(QUICK_DIVISOR).max(QUICK_MIN)),
                    false => full,
                })],
                None => vec![Input::Bare],
            },
            WorkloadKind::Verify | WorkloadKind::Command => self
                .numbers
                .iter()
                .map(|n| {
                    let value = if quick {
                        n.quick.unwrap_or(n.value)
                    } else {
                        n.value
                    };
                    Input::Number(NamedNumber { value, ..n.clone() })
                })
                .collect(),
        }
    }
}

/// Every combination of one value per user parameter, the first varying slowest.
fn user_cartesian(axes: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    axes.iter().fold(vec![Vec::new()], |acc, (name, values)| {
        acc.into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push((name.clone(), v.clone()));
                    next
                })
            })
            .collect()
    })
}

/// Every combination of one value per axis, the first axis varying slowest.
fn cartesian(axes: &[Axis]) -> Vec<Vec<ParamValue>> {
    axes.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |&v| {
                    let mut next = prefix.clone();
                    next.push(v);
                    next
                })
            })
            .collect()
    })
}
