//! The command line: clap types only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit;
use crate::experiment::Schedule;
use crate::experiment::limits::{MAX_REPEATS, MAX_WARMUP};

const ABOUT: &str =
    "Run declarative experiments on how parallel work is split, balanced and coordinated";

const LONG_ABOUT: &str = "\
Run declarative experiments on how parallel work is split, balanced and coordinated.

An experiment is a TOML file: a workload (find the primes in a range, verify big
numbers, time single checks, count smallest factors), the strategy that spreads it
over workers (serial, a chunked pool, work stealing, queues with poison pills, a
feeder thread, a cooperative search with a shared early-exit flag), where the
workers run (threads, worker processes, or `runner worker`s on any host behind a
Redis server), and the parameters to sweep (workers, chunksize, job order,
kernel, flag kind, loop style).
docs/experiment-files.md describes the file format, and `runner schema` prints
its JSON Schema for editors.

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
  runner compare old/chunksize reports/chunksize
                                           compare two runs of one experiment
  runner --quick experiments/workers.toml  smoke test: 1 repeat, 1% of each range
  runner --repeats 3 --out /tmp/r FILE     fewer repeats, another output folder
  REDIS_URL=redis://HOST:6379 runner worker --slots 4
                                           serve `executor = \"redis\"` runs from this host

Limits (the same in experiment files): 1 to 100000 repeats, 0 to 1000 warm-ups,
1 to 1024 workers; a case may use at most half of this machine's memory.

Kernels: plain (one division per candidate), fast (a multiply by a prepared
inverse; the default) and simd (fast's test on a block of candidates per vector
instruction: AVX-512, else AVX2, else scalar). RUNNER_SIMD=avx512|avx2|scalar
caps the simd path; the manifest and the CSV column kernel_path record it.

Signals: the first Ctrl-C (or SIGTERM, SIGHUP) stops after the current repeat (a
repeat on worker processes at once) and keeps the finished cases; a second stops
at once; either way the manifest says
\"interrupted\" and no half-written file is left.";

/// The examples, limits, signals and exit statuses shown after the options.
fn after_help() -> String {
    format!("{EXAMPLES}\n\n{}", exit::TABLE)
}

/// The `runner` command line.
#[derive(Debug, Parser)]
#[command(
    name = "runner",
    version = env!("RUNNER_LONG_VERSION"),
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = after_help(),
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
    #[command(after_help = after_help())]
    Run(RunArgs),
    /// Validate experiments and print their expanded plans; run nothing.
    Check(CheckArgs),
    /// Redraw the charts and HTML of saved reports; run nothing.
    Report(ReportArgs),
    /// Compare two saved runs of one experiment (another machine, commit or
    /// toolchain), case by case; run nothing.
    #[command(long_about = COMPARE_ABOUT, after_help = COMPARE_AFTER)]
    Compare(CompareArgs),
    /// Serve the jobs of `executor = "redis"` runs from a Redis server, on
    /// any host.
    #[command(long_about = WORKER_ABOUT, after_help = WORKER_AFTER)]
    Worker(WorkerArgs),
    /// Print the JSON Schema of experiment files, for editors (or, with
    /// --markdown, the reference of every key).
    #[command(long_about = SCHEMA_ABOUT)]
    Schema(SchemaArgs),
    /// Print a completion script for a shell (bash, zsh, fish, elvish,
    /// powershell).
    #[command(long_about = COMPLETIONS_ABOUT)]
    Completions(CompletionsArgs),
    /// Print runner's man page (roff), e.g. `runner man > runner.1`.
    #[command(hide = true)]
    Man,
    /// A worker process of the processes backend (started by runner itself).
    #[command(hide = true, name = "pipe-worker")]
    PipeWorker,
    /// Internal: hold a shared flag and queue for other processes on a Unix
    /// socket until stdin closes (the manager process; runner starts it).
    #[command(hide = true)]
    Manager {
        /// Where to listen.
        socket: PathBuf,
    },
}

const SCHEMA_ABOUT: &str = "\
Print the JSON Schema (draft 2020-12) of experiment files on stdout.

Editors that read TOML with taplo (VS Code's Even Better TOML, Helix, Zed)
complete and check keys while you type when the file's first line names the
schema:
  #:schema ./schema.json
The shipped experiments do, and experiments/schema.json is this output. The
schema knows every key, its values and its default; `runner check` also checks
what a schema cannot (a range's end above its start, a chart's axis the
experiment varies, a lesson's cases that pair).";

/// Arguments of `runner schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the reference of every key in Markdown instead (the tables of
    /// docs/experiment-files.md).
    #[arg(long)]
    pub markdown: bool,
}

const COMPLETIONS_ABOUT: &str = "\
Print a completion script for a shell on stdout. Install it where the shell
looks, e.g.:
  runner completions bash > ~/.local/share/bash-completion/completions/runner
  runner completions zsh > ~/.zfunc/_runner     # with fpath+=(~/.zfunc) before compinit
  runner completions fish > ~/.config/fish/completions/runner.fish";

/// Arguments of `runner completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    /// Exit with status 5 when a lesson of an experiment ([[expect]]) fails
    /// on the saved data (an inconclusive one does not fail), 6 when every
    /// failure is on a run something disturbed (its verdict is unreliable).
    #[arg(long)]
    pub strict: bool,
}

const COMPARE_ABOUT: &str = "\
Compare two saved runs of one experiment (another machine, commit or toolchain),
case by case; run nothing.

BEFORE and AFTER are report folders a run wrote (they hold manifest.json,
summary.csv and results.csv). Both must hold the same experiment (by name);
different experiments are refused.

Matching: a case of BEFORE and one of AFTER are the same case when every
parameter in the CSV is the same (variant, strategy, executor, kernel, workers,
chunksize, order, seed, range, number, flag, loop, ...). The case number is
ignored, so adding a value to a sweep does not shift the matches. The seed counts:
another seed shuffles the jobs into another order, which is other work. Workers
count as they were resolved: \"physical\" on a 2-core and an 8-core machine are
different cases.

For each matched case it prints the median time of each side, the change (AFTER
over BEFORE, minus 1) with its 95% interval (a seeded bootstrap of the ratio of
the medians, over each side's correct timed runs), and a verdict:
  slower             the whole interval is above 0%: slower beyond the noise
  faster             the whole interval is below 0%: faster beyond the noise
  indistinguishable  the interval holds 0% (or a side has one timed run, so no
                     interval): the data cannot tell the two apart
A case that failed or was skipped on either side is listed as not compared, and
so is one whose times are not measurable on a side (a median of 0, below the
clock's resolution of 1 ns), with the reason: its ratio would be infinite.
Cases found on one side only are listed under \"Only in BEFORE\" and \"Only in
AFTER\"; they are never counted as regressions.

The table is Markdown, printed on stdout below a line naming each side's machine
(CPU, logical CPUs, compiler, commit, start time).";

const COMPARE_AFTER: &str = "\
Examples:
  runner compare old/chunksize reports/chunksize
  runner compare --fail-above 5 base/queue reports/queue    # a CI gate
  runner compare --out /tmp/cmp base/queue reports/queue    # also a page and a chart
  runner compare --on chunksize --out /tmp/py reports/chunksize reports/python_chunksize
                                 # Python beside runner's threads and processes

Exit status:
  0    compared (whatever the verdicts, unless --fail-above says otherwise)
  1    with --fail-above PCT: a matched case is slower by more than PCT% beyond
       the noise (its interval's lower bound is above 1 + PCT/100)
  2    bad input: a folder missing or not a report, an unreadable or malformed
       file, two different experiments, or an --out folder holding other files
  4    a file of --out could not be written
  70   an internal error (a bug in runner)";

/// Arguments of `runner compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The report folder of the earlier (reference) run.
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The report folder of the later run; changes are AFTER over BEFORE.
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// Exit with status 1 when a matched case is slower by more than PCT per
    /// cent beyond the noise: its 95% interval's lower bound is above
    /// 1 + PCT/100 (so --fail-above 0 fails on any slower verdict). Cases on
    /// one side only never fail.
    #[arg(long, value_name = "PCT", value_parser = non_negative_percent)]
    pub fail_above: Option<f64>,
    /// Also write DIR/compare.md (the table), DIR/compare.png (each case's
    /// ratio with its interval) and DIR/index.html (both, offline). DIR is
    /// created if missing; runner refuses a DIR holding other files than a
    /// previous comparison's.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Put two different experiments side by side (a program in Python
    /// beside runner's own backends): match cases on these columns only
    /// (comma-separated, e.g. `chunksize` or `number_name,flag,loop`), and
    /// compare every AFTER case with every BEFORE case that agrees on them.
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub on: Vec<String>,
}

/// A percentage of zero or more.
fn non_negative_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!(
            "`{text}` is not a percentage of zero or more; write e.g. --fail-above 5 for 5%"
        )),
    }
}

/// Arguments of `runner run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Experiment files, or folders whose *.toml files run in name order.
    #[arg(value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Folder for the reports; each experiment writes to <OUT>/<name>/ (a
    /// quick run to <OUT>/<name>.quick/). runner refuses a folder holding
    /// files it did not write, and one that another run is writing.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Exit with status 5 when a lesson of an experiment ([[expect]]) fails
    /// (after every report is written; an inconclusive lesson does not
    /// fail), 6 when every failure is on a run something disturbed (another
    /// busy process, a rising load, throttling, drift): its verdict is
    /// unreliable, so a CI job can retry on 6.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Where cases with `executor = "redis"` find their workers.
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteArgs {
    /// For `executor = "redis"`: start N local `runner worker` processes
    /// (one slot each) for every such case, instead of the file's
    /// `spawn_local`, so a one-machine run needs no second command. Workers
    /// on other hosts join with `runner worker`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub spawn_local: Option<u32>,
    /// For `executor = "redis"`: how long a case waits for its worker slots
    /// before it fails (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub worker_wait: Option<u64>,
}

/// Arguments of `runner worker`.
#[derive(Debug, Args, Clone)]
pub struct WorkerArgs {
    /// The Redis server to take jobs from: redis://[user:password@]host:port
    /// or rediss://... for TLS. Default: REDIS_URL, then
    /// redis://127.0.0.1:6379. Prefer REDIS_URL for a URL with a password:
    /// a command line is visible to every user of the host.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// Jobs served at once (one thread and one connection each).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub slots: u32,
    /// A name for this worker in messages and manifests (default: the host name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The worker's whole id (for workers runner starts itself).
    #[arg(long, hide = true)]
    pub id: Option<String>,
    /// The one run this worker serves, by its keys' prefix (for workers
    /// runner starts itself for a case: no other coordinator takes them).
    #[arg(long, hide = true)]
    pub run: Option<String>,
}

const WORKER_ABOUT: &str = "\
Serve the jobs of runs with `executor = \"redis\"`, on this host or any other.

The worker registers with the Redis server (its hello: runner and protocol
versions, host, CPU, cores, slots), waits for a run, serves its jobs with
runner's built-in kernels only (a job is data, never code), and goes back to
waiting when the run's case ends. It trusts nothing it reads from Redis: it
opens no path or socket a message names (only the `none` and `redis` flags),
starts no more threads than --slots, and refuses (with a message) and
outlives any malformed or hostile message. It stops on Ctrl-C, SIGTERM or
SIGHUP, removing its registration (the jobs in hand go to other workers; a
second signal stops it even while it cleans up).

Exit status: 0 stopped by a signal; 1 the server cannot be reached; 2 the
URL, the password or the user's ACL is refused, or a coordinator of another
protocol version refused the worker; 3 it lost its connection to Redis.

Security: use a password (redis://user:password@host:6379, Redis ACLs) and TLS
(rediss://host:6380) on any network you do not trust; pass such a URL in
REDIS_URL rather than on the command line. Passwords are never printed.";

/// The `runner worker` examples.
const WORKER_AFTER: &str = "\
Examples:
  REDIS_URL=redis://10.0.0.5:6379 runner worker --slots 4
  REDIS_URL=rediss://runner:secret@db.example:6380 runner worker --name lab-2
  runner worker --redis redis://127.0.0.1:6379";

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
    /// Timed repeats per case (1 to 100000), instead of the file's `repeats`
    /// (the best is reported); also with --quick.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_REPEATS as i64))]
    pub repeats: Option<u32>,
    /// Untimed warm-up runs per case (0 to 1000), instead of the file's
    /// `warmup`; also with --quick.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_WARMUP as i64))]
    pub warmup: Option<u32>,
    /// Seed for shuffled job orders, instead of the file's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// The order of the timed runs, instead of the file's `schedule`:
    /// `interleaved` (the default) runs round r of every case before round
    /// r+1, so a drift of the machine (heat, frequency, a neighbour) touches
    /// every case alike instead of passing for an effect of the parameter
    /// swept last; `shuffled` does so in a new seeded order each round;
    /// `blocked` runs each case's repeats back to back.
    #[arg(long, value_enum, value_name = "ORDER")]
    pub schedule: Option<Schedule>,
    /// Record no task timelines (tasks.csv, workers.csv, trace.json and the
    /// compute/dispatch/idle columns), whatever the file's `[run] trace`
    /// says; CPU time is still measured.
    #[arg(long)]
    pub no_trace: bool,
    /// Smoke test: 1 repeat and no warm-up (unless --repeats or --warmup say
    /// otherwise), each range cut to its first 1% (at least 1000 numbers),
    /// each verify number replaced by its `quick` stand-in (a number without
    /// one is checked at full size, with a warning). A run writes its report
    /// beside the full one, as <name>.quick/.
    #[arg(long)]
    pub quick: bool,
}
