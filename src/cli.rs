//! The command line: clap types only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str =
    "Run declarative experiments on how parallel work is split, balanced and coordinated";

const LONG_ABOUT: &str = "\
Run declarative experiments on how parallel work is split, balanced and coordinated.

An experiment is a TOML file: a workload (find the primes in a range, verify big
numbers, time single checks, count smallest factors), the strategy that spreads it
over workers (serial, a chunked pool, work stealing, queues with poison pills, a
feeder thread, a cooperative search with a shared early-exit flag), and the
parameters to sweep (workers, chunksize, job order, kernel, flag kind, loop style).
README.md describes the file format.

runner expands the sweep into cases, runs each with warm-up and best-of-N timing,
checks every answer against an independent oracle, and writes results.csv (one row
per repeat), summary.csv (one row per case), the experiment file as run,
manifest.json, a PNG per chart and index.html under <out>/<name>/, and
<out>/index.html linking every report.";

const EXAMPLES: &str = "\
Examples:
  runner experiments/chunksize.toml        run one experiment (same as `runner run ...`)
  runner experiments/                      run every *.toml in a folder, sorted
  runner check experiments/                validate and show the plans, run nothing
  runner report reports/chunksize          redraw a report from its saved data
  runner --quick experiments/workers.toml  smoke test: 1 repeat, 1% of each range
  runner --repeats 3 --out /tmp/r FILE     fewer repeats, another output folder

Exit status: 0 every case gave the oracle's answer; 1 a case failed (wrong answer or
a crash); 2 bad usage or a bad experiment file (nothing is written); 130 interrupted
(finished cases are kept).";

/// The `runner` command line.
#[derive(Debug, Parser)]
#[command(
    name = "runner",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run experiments and write their reports (the default).
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Validate experiments and print their expanded plans; run nothing.
    Check(CheckArgs),
    /// Redraw the charts and HTML of saved reports; run nothing.
    Report(ReportArgs),
}

/// Arguments of `runner report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report folders (e.g. reports/chunksize), or a folder of them (e.g. reports).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Draw the charts this (newer) experiment file declares instead of the
    /// saved copy's, to restyle a figure without running it again.
    #[arg(long, value_name = "FILE")]
    pub experiment: Option<PathBuf>,
}

/// Arguments of `runner run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Experiment files, or folders whose *.toml files run in name order.
    #[arg(value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Folder for the reports; each experiment writes to <OUT>/<name>/.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// Arguments of `runner check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Experiment files, or folders of them.
    #[arg(value_name = "FILE|DIR", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// Overrides of how experiments run.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Timed repeats per case, instead of the file's `repeats` (the best is reported).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: Option<u32>,
    /// Untimed warm-up runs per case, instead of the file's `warmup`.
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,
    /// Seed for shuffled job orders, instead of the file's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Smoke test: 1 repeat, no warm-up, each range cut to its first 1% (at
    /// least 1000 numbers), each big number replaced by its smaller stand-in;
    /// writes to <OUT>/<name>-quick/.
    #[arg(long)]
    pub quick: bool,
}
