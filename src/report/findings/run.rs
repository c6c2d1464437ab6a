//! Sentences about the run as a whole, from the summary: failures and
//! skips, what a look, an item and a task cost beside the book's figures,
//! the best efficiency, and the noisy cases.

use super::look::look_groups;
use super::words::{and_list, percent};
use crate::experiment::columns::Cell;
use crate::experiment::{Strategy, WorkloadKind};
use crate::outcome::Status;
use crate::record::SummaryRow;
use crate::report::data::RunData;
use crate::stats;
use crate::units::human_seconds;

/// Findings about the run as a whole, from the summary.
pub fn run_findings(run: &RunData) -> Vec<String> {
    let rows = &run.summary;
    let mut out = Vec::new();
    let with = |status: Status| -> Vec<&SummaryRow> {
        rows.iter().filter(|r| r.summary.status == status).collect()
    };
    let (failed, skipped) = (with(Status::Failed), with(Status::Skipped));
    if !failed.is_empty() {
        out.push(format!(
            "{} of {} cases FAILED; their rows below say why.",
            failed.len(),
            rows.len()
        ));
    }
    if let Some(first) = skipped.first() {
        out.push(format!(
            "{} cases were not run: {}",
            skipped.len(),
            first.summary.error
        ));
    }
    let looks = look_groups(rows);
    if !looks.is_empty() {
        let parts: Vec<String> = looks
            .iter()
            .map(|g| match g.cost_ns > 0.0 {
                true => format!(
                    "{} {} ({})",
                    g.flag,
                    human_seconds(g.cost_ns * 1e-9),
                    g.source
                ),
                // A median below zero is the noise of a look too cheap to see.
                false => format!("{} below the noise ({})", g.flag, g.source),
            })
            .collect();
        out.push(format!(
            "One look at the flag costs one worker about (median over the primes, where the flag saves nothing): {}. The blocked loop's figure is the look alone; the counter loop's also holds the loop's bookkeeping.",
            parts.join(", ")
        ));
    }
    let items: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.summary.item_ns.map(f64::from))
        .collect();
    if let (Some(lo), Some(hi)) = (
        items.iter().copied().reduce(f64::min),
        items.iter().copied().reduce(f64::max),
    ) {
        out.push(format!(
            "Handing one number to a queue costs {lo:.0} to {hi:.0} ns of core time beyond the serial loop's work, depending on workers and what is enqueued."
        ));
    }
    // Efficiency compares equal work; an early exit changes the work.
    let same_work = matches!(
        run.experiment.workload,
        WorkloadKind::Primes | WorkloadKind::FactorFrequency
    );
    let efficiencies: Vec<(f64, &SummaryRow)> = rows
        .iter()
        .filter(|r| same_work && r.case.workers != 1)
        .filter_map(|r| Some((r.summary.efficiency?.0, r)))
        .collect();
    if let Some((e, r)) = efficiencies.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        let s = &r.summary;
        let interval = match (s.efficiency_lo, s.efficiency_hi) {
            (Some(lo), Some(hi)) => format!(", 95% interval {:.2} to {:.2}", lo.0, hi.0),
            _ => String::new(),
        };
        out.push(format!(
            "Best parallel efficiency with more than one worker: {:.2} ({} with {} workers{interval}).",
            e, r.case.strategy, r.case.workers,
        ));
    }
    out.extend(deciding_ratios(rows));
    out.extend(noise_findings(rows));
    out
}

/// The ratios the book's lessons turn on, measured here, beside the book's:
/// what one task, one queued item and one look at a flag cost, in units of
/// the work they carry. A lesson holds on a machine where its ratio is like
/// the book's, and may not where it is not.
pub(super) fn deciding_ratios(rows: &[SummaryRow]) -> Vec<String> {
    let mut out = Vec::new();
    // The work of one number: the serial loop's median over its range.
    let per_number = |row: &SummaryRow| -> Option<f64> {
        let serial = rows.iter().find(|r| {
            r.case.strategy == Strategy::Serial
                && r.case.range_start == row.case.range_start
                && r.case.range_end == row.case.range_end
                && r.case.kernel == row.case.kernel
        })?;
        let len = serial.case.range_end? as f64 - serial.case.range_start? as f64;
        Some(serial.summary.median_s?.0 / len.max(1.0))
    };
    let by_executor = |cost: fn(&SummaryRow) -> Option<f64>,
                       scale: f64,
                       strategy: Strategy|
     -> Vec<(String, f64, f64)> {
        let mut groups: Vec<(String, Vec<f64>, f64)> = Vec::new();
        for row in rows.iter().filter(|r| r.case.strategy == strategy) {
            let (Some(cost), Some(work)) = (cost(row), per_number(row)) else {
                continue;
            };
            let executor = row.case.executor.text();
            let key = match row.case.queue_host {
                None => executor,
                Some(host) => format!("{executor}, queue {host}"),
            };
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.1.push(cost * scale / work),
                None => groups.push((key, vec![cost * scale / work], work)),
            }
        }
        groups
            .into_iter()
            .filter_map(|(k, ratios, work)| Some((k, stats::median(&ratios)?, work)))
            .collect()
    };
    let round_trip = |r: &SummaryRow| r.summary.round_trip_us.map(f64::from);
    let tasks = by_executor(round_trip, 1e-6, Strategy::Pool);
    if !tasks.is_empty() {
        let parts: Vec<String> = tasks
            .iter()
            .map(|(executor, ratio, _)| format!("{executor} {ratio:.1}"))
            .collect();
        out.push(format!(
            "What the chunksize lesson turns on: one task's round trip over the work of one number ({} per number, the serial loop's median): {}; the book's pickled task cost 2.2 times its number's work.",
            human_seconds(tasks[0].2),
            parts.join(", ")
        ));
    }
    let item = |r: &SummaryRow| r.summary.item_ns.map(f64::from);
    let items: Vec<(String, f64, f64)> = [Strategy::Queue, Strategy::Feeder]
        .into_iter()
        .flat_map(|s| by_executor(item, 1e-9, s))
        .collect();
    if !items.is_empty() {
        let parts: Vec<String> = items
            .iter()
            .map(|(executor, ratio, _)| format!("{executor} {ratio:.1}"))
            .collect();
        out.push(format!(
            "What the queue lesson turns on: one queued item's cost over the work of one number: {}; the book's was 3.0, so its queues lost to the serial loop.",
            parts.join(", ")
        ));
    }
    let ratios: Vec<String> = look_groups(rows)
        .iter()
        .filter_map(|g| {
            let every = g.every?;
            let ratio = g.ratio.filter(|r| *r > 0.0)?;
            Some(format!("{} every {every:.0} candidates {ratio:.3}", g.flag))
        })
        .collect();
    if !ratios.is_empty() {
        out.push(format!(
            "What the flag lesson turns on: one look at the flag over the work between two looks: {}; the book's were Manager 1.1 and Redis 0.7 (a look every ~100 us of work), so its Manager and Redis flags doubled a prime's time.",
            ratios.join(", ")
        ));
    }
    out
}

/// A case whose median is this uncertain (half its 95% interval, relative)
/// is named as noisy.
pub const NOISY_PERCENT: f64 = 10.0;

/// A warning naming the cases whose medians the noise blurs.
pub(super) fn noise_findings(rows: &[SummaryRow]) -> Option<String> {
    let noisy: Vec<String> = rows
        .iter()
        .filter_map(|r| Some((r.summary.noise_pct?.0, r)))
        .filter(|(n, _)| *n > NOISY_PERCENT)
        .map(|(n, r)| format!("case {} (±{})", r.case.case, percent(n)))
        .collect();
    (!noisy.is_empty()).then(|| {
        format!(
            "Noisy: {} of {} cases have a median uncertain by more than ±{NOISY_PERCENT:.0}% (half its 95% interval): {}. More repeats, or a quieter machine, would sharpen them; the comparisons above already allow for it.",
            noisy.len(),
            rows.len(),
            and_list(&noisy)
        )
    })
}
