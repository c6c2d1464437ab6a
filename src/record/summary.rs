//! summary.csv's row of a case: the statistics of its timed repeats, its
//! speedup over a baseline with their intervals, and what its flag, queue
//! and workers cost.

use crate::answer::Answer;
use crate::experiment::columns::{CaseColumns, Fixed, Params};
use crate::experiment::{Enqueue, FlagKind, Strategy};
use crate::machine::Cores;
use crate::outcome::{CaseResult, Run};
use crate::stats::{self, seed_for};
use crate::trace::RepeatTrace;

use super::rows::{Summary, SummaryRow};
use super::{answer_cells, as_recorded, kernel_path};

/// Statistics of one case's timed repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub best: f64,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation (0 for one repeat).
    pub stddev: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics of `seconds`, or `None` if there are none.
    pub fn of(seconds: &[f64]) -> Option<Stats> {
        if seconds.is_empty() {
            return None;
        }
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = match n {
            1 => 0.0,
            _ => sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64,
        };
        Some(Stats {
            best: sorted[0],
            median: stats::median_of_sorted(&sorted),
            mean,
            stddev: var.sqrt(),
            max: sorted[n - 1],
        })
    }
}

/// The median of a work count over the runs that counted it.
fn median_work(runs: &[Run], count: impl Fn(&Run) -> Option<u64>) -> Option<u64> {
    let counts: Vec<f64> = runs
        .iter()
        .filter_map(|r| count(r).map(|c| c as f64))
        .collect();
    stats::median(&counts).map(|m| m.round() as u64)
}

/// The case each case's speedup is measured against: a serial case on the
/// same input (the same kernel if there is one), else the first case on it.
pub fn baseline<'a>(result: &CaseResult, all: &'a [CaseResult]) -> Option<&'a CaseResult> {
    let case = &result.case;
    let same_input = || all.iter().filter(|r| r.ok() && r.case.input == case.input);
    let serial = |r: &&CaseResult| r.case.strategy == Strategy::Serial;
    same_input()
        .filter(serial)
        .find(|r| r.case.kernel == case.kernel)
        .or_else(|| same_input().find(serial))
        .or_else(|| same_input().next())
}

/// What one look at a shared flag cost one worker, in ns: the median time
/// over the same search with no flag, per look of one worker. The workers
/// look in parallel, each `looks / workers` times, so the time they lose
/// together is one worker's looks times the cost of one. Only for primes,
/// where the flag saves nothing. In the counter loop the figure includes the
/// loop's own bookkeeping; the blocked loop's is the look alone (the report
/// says which it quotes).
fn look_ns(
    result: &CaseResult,
    all: &[CaseResult],
    median: f64,
    looks: Option<u64>,
) -> Option<f64> {
    let plan = result.case.cooperation?;
    let looks = looks.filter(|&l| l > 0)?;
    let prime = matches!(result.answer, Some(Answer::Verdict { prime: true, .. }));
    let unshared = all.iter().find(|r| {
        let c = &r.case;
        r.ok()
            && c.input == result.case.input
            && c.kernel == result.case.kernel
            && c.workers == result.case.workers
            && c.executor == result.case.executor
            && c.cooperation
                .is_some_and(|p| p.flag == FlagKind::None && p.precheck == plan.precheck)
    })?;
    let base = Stats::of(&unshared.seconds())?.median;
    // Only a search slower than the unshared one beyond the noise has a
    // look cost to speak of: below that, the difference is noise, and a
    // "negative cost" would be a sentence the data do not support.
    let seed = seed_for(0, result.case.number as u64, unshared.case.number as u64);
    let slower = stats::ratio_interval(&result.seconds(), &unshared.seconds(), seed)
        .and_then(|(_, interval)| interval)
        .is_some_and(|i| i.lo > 1.0);
    let per_worker = looks as f64 / result.case.workers.max(1) as f64;
    (prime && slower).then(|| (median - base) * 1e9 / per_worker)
}

/// What handing one item to a queue cost, in ns of core time: the cores the
/// workers occupy times the time, less the serial loop's time, per item
/// enqueued. Only for queue strategies.
fn item_ns(result: &CaseResult, best: f64, serial_best: Option<f64>, cores: &Cores) -> Option<f64> {
    let queue = result.case.queue?;
    let range = result.case.range()?;
    let items = match queue.enqueue {
        Enqueue::All => range.len(),
        Enqueue::Odd => range.odd_count(),
    };
    let busy = result.case.workers.min(cores.logical) as f64;
    Some((busy * best - serial_best?) * 1e9 / items.max(1) as f64)
}

/// The row of `summary.csv` for `result`, given every result of the run.
pub fn summary_row(
    experiment: &str,
    result: &CaseResult,
    all: &[CaseResult],
    cores: &Cores,
    params: Params,
) -> SummaryRow {
    let result = &*as_recorded(result);
    let seconds = result.seconds();
    let stats = Stats::of(&seconds).filter(|_| result.ok());
    let number = result.case.number as u64;
    let median_interval =
        stats.and_then(|_| stats::median_interval(&seconds, seed_for(0, number, 0)));
    let noise = stats.and_then(|_| stats::noise_percent(&seconds, seed_for(0, number, 0)));
    let base = baseline(result, all);
    let base_best = base.and_then(|b| Stats::of(&b.seconds())).map(|s| s.best);
    // The speedup is the ratio of the medians, robust to a stray slow run,
    // with its bootstrap interval (see `crate::stats`).
    // A time below the clock's resolution gives no ratio (it would be
    // infinite): the speedup is undefined, and the note says why.
    let unmeasured = base.filter(|_| stats.is_some()).and_then(|b| {
        let own = stats::unmeasurable(&seconds).map(|why| format!("case {number} {why}"));
        let theirs = || {
            let why = stats::unmeasurable(&as_recorded(b).seconds())?;
            Some(format!("its baseline, case {}, {why}", b.case.number))
        };
        own.or_else(theirs)
    });
    let speedup = base
        .filter(|_| stats.is_some() && unmeasured.is_none())
        .and_then(|b| {
            if b.case.number == result.case.number {
                return Some((1.0, None)); // the baseline against itself
            }
            let seed = seed_for(0, number, b.case.number as u64);
            stats::ratio_interval(&as_recorded(b).seconds(), &seconds, seed)
        });
    // Efficiency (speedup per worker) only means something against one core.
    let parallel = result.case.strategy != Strategy::Serial;
    let serial_base = base.is_some_and(|b| b.case.strategy == Strategy::Serial);
    let per_worker = |x: f64| x / result.case.workers as f64;
    let efficiency = speedup.filter(|_| parallel && serial_base).map(|(s, i)| {
        (
            per_worker(s),
            i.map(|i| (per_worker(i.lo), per_worker(i.hi))),
        )
    });
    let bounds = |r: Option<(f64, Option<(f64, f64)>)>| {
        let i = r.and_then(|(_, i)| i);
        (i.map(|i| Fixed(i.0)), i.map(|i| Fixed(i.1)))
    };
    let (speedup_lo, speedup_hi) = bounds(speedup.map(|(s, i)| (s, i.map(|i| (i.lo, i.hi)))));
    let (efficiency_lo, efficiency_hi) = bounds(efficiency);
    let candidates = median_work(&result.runs, |r| r.work.map(|w| w.candidates));
    let looks = median_work(&result.runs, |r| r.work.map(|w| w.looks));
    let per_look = stats.and_then(|s| look_ns(result, all, s.median, looks));
    let stat = |f: fn(&Stats) -> f64| stats.map(|s| Fixed(f(&s)));
    let (answer, checksum, factor) = answer_cells(result);
    let message = match (&result.failure, &result.skipped) {
        (Some(f), _) => f.message.clone(),
        (None, Some(why)) => why.clone(),
        (None, None) => String::new(),
    };
    let costs = result.costs;
    // The CPU time and the task aggregates: medians over the repeats that
    // measured them, for a case that ended well.
    let median = |values: Vec<f64>| stats::median(&values).filter(|_| result.ok());
    let traced =
        |f: fn(&RepeatTrace) -> Option<f64>| median(result.traces.iter().filter_map(f).collect());
    let fraction = |x: fn(&RepeatTrace) -> f64| {
        let recorded = result.traces.iter().filter(|t| t.recorded);
        median(recorded.filter_map(|t| t.fraction(x(t))).collect()).map(Fixed)
    };
    let summary = Summary {
        repeats: result.runs.len(),
        best_s: stat(|s| s.best),
        median_s: stat(|s| s.median),
        mean_s: stat(|s| s.mean),
        stddev_s: stat(|s| s.stddev),
        max_s: stat(|s| s.max),
        median_lo_s: median_interval.map(|i| Fixed(i.lo)),
        median_hi_s: median_interval.map(|i| Fixed(i.hi)),
        noise_pct: noise.map(Fixed),
        speedup: speedup.map(|s| Fixed(s.0)),
        speedup_lo,
        speedup_hi,
        efficiency: efficiency.map(|e| Fixed(e.0)),
        efficiency_lo,
        efficiency_hi,
        baseline_case: base.map(|b| b.case.number),
        candidates,
        looks,
        look_ns: per_look.map(Fixed),
        answer,
        checksum,
        factor,
        status: result.status(),
        ok: result.ok(),
        error: message,
        item_ns: stats
            .and_then(|s| item_ns(result, s.best, base_best, cores))
            .map(Fixed),
        note: note(result.note.as_deref(), unmeasured.as_deref()),
        startup_s: costs.map(|c| Fixed(c.startup_s)),
        round_trip_us: costs.and_then(|c| c.round_trip_s).map(|s| Fixed(s * 1e6)),
        bytes_per_run: costs.and_then(|c| c.bytes_per_run).map(Fixed),
        frames_per_run: costs.and_then(|c| c.frames_per_run).map(Fixed),
        redelivered: costs.and_then(|c| c.redelivered),
        bytes_back_per_run: costs.and_then(|c| c.bytes_back_per_run).map(Fixed),
        kernel_path: kernel_path(&result.case),
        user_s: traced(|t| t.user_s).map(Fixed),
        sys_s: traced(|t| t.sys_s).map(Fixed),
        cpu_util: traced(RepeatTrace::cpu_util).map(Fixed),
        compute_frac: fraction(|t| t.compute_s),
        dispatch_frac: fraction(|t| t.dispatch_s),
        idle_frac: fraction(|t| t.idle_s),
    };
    SummaryRow {
        case: CaseColumns::of(experiment, &result.case),
        summary,
        params,
    }
}

/// The note column: the case's own note, then why it has no speedup.
fn note(own: Option<&str>, unmeasured: Option<&str>) -> String {
    let unmeasured =
        unmeasured.map(|why| format!("no speedup or efficiency: {why}, so no ratio can be drawn"));
    [own.map(String::from), unmeasured]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}
