//! The experiment file as written: serde types that mirror the TOML, every
//! value spanned so that validation can point at it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::values::limits::{MAX_REPEATS, MAX_WARMUP};
use super::values::{
    AnswerKind, BigU64, Bounded, Capacity, ChunksizeSpec, ClockKind, Enqueue, Executor, FlagKind,
    Kernel, LoopStyle, Order, Positive, QueueHost, RangeSpec, Requirement, Schedule, Strategy,
    WorkersSpec, WorkloadKind,
};

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

/// The user's own parameters of a command: one value each.
pub type ParamsSpec = Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>;

/// The user's own parameters of a command in a sweep: a list each.
pub type ParamListsSpec = Spanned<BTreeMap<Spanned<String>, Spanned<Vec<Spanned<toml::Value>>>>>;

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
    /// For `executor = "redis"`: local workers to start per case.
    pub spawn_local: Option<Spanned<Bounded<0, 1024>>>,
}

/// `[sweep]`: lists of values; every combination becomes a case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    pub range: Option<List<RangeSpec>>,
    pub strategy: Option<List<Strategy>>,
    pub executor: Option<List<Executor>>,
    pub kernel: Option<List<Kernel>>,
    pub workers: Option<List<WorkersSpec>>,
    pub chunksize: Option<List<ChunksizeSpec>>,
    pub nbr_chunks: Option<List<Positive>>,
    pub order: Option<List<Order>>,
    pub precheck: Option<List<BigU64>>,
    pub flag: Option<List<FlagKind>>,
    #[serde(rename = "loop")]
    pub loop_style: Option<List<LoopStyle>>,
    pub check_every: Option<List<Positive>>,
    pub enqueue: Option<List<Enqueue>>,
    pub capacity: Option<List<Capacity>>,
    pub queue_host: Option<List<QueueHost>>,
    /// For `command`: the user's own parameters, swept like runner's.
    pub params: Option<ParamListsSpec>,
}

/// A single value, or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values, as a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A spanned list of spanned values.
pub type List<T> = Spanned<Vec<Spanned<T>>>;

/// `[[variant]]`: a labelled set of single values that override the sweep.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub label: Option<Spanned<String>>,
    pub range: Option<Spanned<RangeSpec>>,
    pub strategy: Option<Spanned<Strategy>>,
    pub executor: Option<Spanned<Executor>>,
    pub kernel: Option<Spanned<Kernel>>,
    pub workers: Option<Spanned<WorkersSpec>>,
    pub chunksize: Option<Spanned<ChunksizeSpec>>,
    pub nbr_chunks: Option<Spanned<Positive>>,
    pub order: Option<Spanned<Order>>,
    pub precheck: Option<Spanned<BigU64>>,
    pub flag: Option<Spanned<FlagKind>>,
    #[serde(rename = "loop")]
    pub loop_style: Option<Spanned<LoopStyle>>,
    pub check_every: Option<Spanned<Positive>>,
    pub enqueue: Option<Spanned<Enqueue>>,
    pub capacity: Option<Spanned<Capacity>>,
    pub queue_host: Option<Spanned<QueueHost>>,
    /// For `command`: the user's own parameters.
    pub params: Option<ParamsSpec>,
    /// What the variant needs (one, or a list); without it its cases are
    /// skipped, not failed.
    pub requires: Option<OneOrMany<Requirement>>,
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
