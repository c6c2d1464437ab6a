//! What one look at a shared flag cost, per flag kind and look interval.

use crate::experiment::columns::Cell;
use crate::experiment::{FlagKind, LoopStyle, Strategy};
use crate::record::SummaryRow;
use crate::stats;

/// The look cost of one flag kind at one look interval, from one loop.
pub(super) struct LookGroup {
    pub(super) flag: String,
    pub(super) every: Option<f64>,
    /// "blocked loop" or "counter loop", as the figure was measured.
    pub(super) source: String,
    /// The median cost of one look to one worker, in ns.
    pub(super) cost_ns: f64,
    /// The median of look cost over the work between two looks (the serial
    /// loop's cost per candidate on the same number, times check_every).
    pub(super) ratio: Option<f64>,
}

/// The look costs per flag kind and look interval, from the blocked loop
/// where there is one (its figure is the look alone), else from whichever
/// loop was run, named.
pub(super) fn look_groups(rows: &[SummaryRow]) -> Vec<LookGroup> {
    let per_candidate = |row: &SummaryRow| -> Option<f64> {
        let serial = rows.iter().find(|r| {
            r.case.strategy == Strategy::Serial && r.case.number_name == row.case.number_name
        })?;
        let s = &serial.summary;
        Some(s.median_s?.0 / (s.candidates? as f64).max(1.0))
    };
    let measured: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.summary.look_ns.is_some())
        .collect();
    let key = |r: &SummaryRow| (r.case.flag, r.case.check_every);
    let mut keys: Vec<(Option<FlagKind>, Option<u64>)> = Vec::new();
    for r in &measured {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    keys.into_iter()
        .filter_map(|(flag, every)| {
            let group: Vec<&SummaryRow> = measured
                .iter()
                .copied()
                .filter(|r| key(r) == (flag, every))
                .collect();
            let blocked: Vec<&SummaryRow> = group
                .iter()
                .copied()
                .filter(|r| r.case.loop_style == Some(LoopStyle::Blocked))
                .collect();
            let (chosen, source) = if blocked.is_empty() {
                let loops: Vec<String> = group.iter().map(|r| r.case.loop_style.text()).collect();
                let name = if loops.iter().all(|l| *l == loops[0]) {
                    format!("{} loop", loops[0])
                } else {
                    "median over loops".to_string()
                };
                (group, name)
            } else {
                (blocked, "blocked loop".to_string())
            };
            let look = |r: &SummaryRow| r.summary.look_ns.map(f64::from);
            let costs: Vec<f64> = chosen.iter().filter_map(|r| look(r)).collect();
            let ratios: Vec<f64> = chosen
                .iter()
                .filter_map(|r| {
                    let every = r.case.check_every? as f64;
                    Some(look(r)? * 1e-9 / (every * per_candidate(r)?))
                })
                .collect();
            Some(LookGroup {
                flag: flag.text(),
                every: every.map(|e| e as f64),
                source,
                cost_ns: stats::median(&costs)?,
                ratio: stats::median(&ratios),
            })
        })
        .collect()
}
