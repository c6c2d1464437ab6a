//! The experiment file as written: serde types that mirror the TOML, every
//! value spanned so that validation can point at it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub use super::params::{SweepSpec, VariantSpec};
use super::values::limits::{MAX_REPEATS, MAX_WARMUP};
use super::values::{
    AnswerKind, BigU64, Bounded, ClockKind, Executor, Kernel, Positive, RangeSpec, Schedule,
    Strategy, WorkloadKind,
};
pub use super::values::{List, OneOrMany, ParamListsSpec, ParamsSpec};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub workload: Option<Spanned<WorkloadSpec>>,
    #[serde(default)]
    pub run: RunSpec,
    pub sweep: Option<Spanned<SweepSpec>>,
    #[serde(default, rename = "variant")]
    pub variants: Vec<Spanned<VariantSpec>>,
    #[serde(default, rename = "chart")]
    pub charts: Vec<Spanned<ChartSpec>>,
    #[serde(default, rename = "expect")]
    pub expects: Vec<Spanned<ExpectSpec>>,
}

/// A filter on parameters, as charts and expectations write them.
pub type FilterSpec = Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>;

/// `[[expect]]`: a lesson as a relation between cases (see
/// [`super::expect`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    pub lesson: Option<Spanned<String>>,
    pub case: Option<FilterSpec>,
    pub is: Option<Spanned<super::expect::Relation>>,
    pub than: Option<FilterSpec>,
    pub by_at_least: Option<Spanned<f64>>,
    pub within_percent: Option<Spanned<f64>>,
}

/// `[workload]`: what is computed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub kind: Option<Spanned<WorkloadKind>>,
    /// For `primes`, `check_cost` and `factor_frequency`: the range to work on.
    pub range: Option<Spanned<RangeSpec>>,
    /// For `check_cost`: time every `step`-th number of the range.
    pub step: Option<Spanned<Positive>>,
    /// For `verify`: the numbers to check (default: the book's five).
    pub numbers: Option<Spanned<Vec<Spanned<NumberSpec>>>>,
    /// For the `redis` flag: the server (default: `REDIS_URL`, then localhost:6379).
    pub redis_url: Option<Spanned<String>>,
    /// For `command`: the program and its arguments, with `{name}` placeholders.
    pub command: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `command`: run the words joined by spaces with `sh -c`.
    pub shell: Option<Spanned<bool>>,
    /// For `command`: the working directory (default: runner's).
    pub cwd: Option<Spanned<String>>,
    /// For `command`: variables added to the program's environment.
    pub env: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// For `command`: seconds a repeat may take before it is killed.
    pub timeout_s: Option<Spanned<f64>>,
    /// For `command`: the clock that times a repeat.
    pub clock: Option<Spanned<ClockKind>>,
    /// For `command`: what the `runner-answer:` line answers.
    pub answer: Option<Spanned<AnswerKind>>,
    /// For `command`: the user's own parameters' values, by name.
    pub params: Option<ParamsSpec>,
}

/// One number to verify.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberSpec {
    pub name: Option<Spanned<String>>,
    pub value: Option<Spanned<BigU64>>,
    /// A smaller number of the same kind for `--quick` runs.
    pub quick: Option<BigU64>,
}

/// `[run]`: how every case is run, and the parameters' defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub strategy: Option<Spanned<Strategy>>,
    pub executor: Option<Spanned<Executor>>,
    pub kernel: Option<Spanned<Kernel>>,
    pub repeats: Option<Spanned<Bounded<1, MAX_REPEATS>>>,
    pub warmup: Option<Spanned<Bounded<0, MAX_WARMUP>>>,
    pub seed: Option<BigU64>,
    pub schedule: Option<Schedule>,
    /// Whether to record what every worker did (tasks.csv, trace.json).
    pub trace: Option<bool>,
    /// For `executor = "redis"`: local workers to start per case.
    pub spawn_local: Option<Spanned<Bounded<0, 1024>>>,
}

/// `[[chart]]`: a figure to draw from the results.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    pub kind: Option<Spanned<ChartKind>>,
    pub x: Option<Spanned<String>>,
    pub y: Option<Spanned<String>>,
    pub series: Option<Spanned<String>>,
    /// Spanned so that a log axis on a category can be pointed at.
    pub log_x: Option<Spanned<bool>>,
    #[serde(default)]
    pub log_y: bool,
    pub title: Option<Spanned<String>>,
    pub filter: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
    /// The image files to draw the chart as (default: a PNG only).
    pub formats: Option<Spanned<Vec<ChartFormat>>>,
}

/// The image formats a chart can be written in: a PNG, which the report page
/// shows, and an SVG, which scales without blurring in documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartFormat {
    Png,
    Svg,
}

impl ChartFormat {
    /// The file name extension, which is also the word in the experiment file.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

/// The kinds of chart the report draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One line per series value over a numeric x.
    Line,
    /// Points, one per row.
    Scatter,
    /// Grouped vertical bars over a categorical x.
    Bars,
    /// Horizontal bars.
    Hbars,
}
