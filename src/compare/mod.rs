//! Comparing two saved runs of one experiment (`runner compare BEFORE
//! AFTER`): another machine, commit or toolchain. Cases are matched by their
//! parameters, and each matched pair is judged by the ratio of its median
//! times, AFTER over BEFORE, with a seeded bootstrap interval, as every other
//! comparison runner states is.
//!
//! Matching: a case is identified by every case-describing cell
//! ([`CaseColumns`]) except `experiment` and `case`. The case number only
//! says where the case stood in its sweep, so adding a value to a sweep must
//! not shift every match. `seed` is kept: with a shuffled order, another seed
//! is another job order, so other work. So is `workers` as it was resolved:
//! "physical" on a 2-core and an 8-core machine are different cases, and are
//! listed as unmatched rather than passed off as the same work.

pub mod chart;
pub mod page;
pub mod table;

use std::collections::BTreeMap;

use crate::experiment::ParamName;
use crate::experiment::columns::CaseColumn;
use crate::machine::or_else;
use crate::outcome::Status;
use crate::record::SummaryRow;
use crate::report::data::{RunData, range_label, value};
use crate::stats::{self, Comparison, Verdict};

/// Whether a case column identifies a case's work: all but the
/// experiment's name and the case's number.
fn identifies(column: CaseColumn) -> bool {
    !matches!(column, CaseColumn::Experiment | CaseColumn::Case)
}

/// The cells that identify a case's work, in [`CaseColumns`] order.
pub type Key = Vec<String>;

/// One side's case: its number, parameters and correct timed runs.
#[derive(Debug, Clone)]
pub struct SideCase {
    pub number: usize,
    /// The summary's status: ok, failed or skipped.
    pub status: Status,
    pub seconds: Vec<f64>,
}

impl SideCase {
    /// Its median time, if it has a timed run.
    pub fn median(&self) -> Option<f64> {
        stats::median(&self.seconds)
    }
}

/// What became of a case present on both sides.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Compared: AFTER's median over BEFORE's, with interval and verdict.
    Compared(Comparison),
    /// Not compared, and why (a side failed, was skipped, has no time, or
    /// has a time that is not measurable: see [`stats::unmeasurable`]).
    NotCompared(String),
}

/// A case found on both sides.
#[derive(Debug, Clone)]
pub struct Matched {
    pub label: String,
    pub before: SideCase,
    pub after: SideCase,
    pub outcome: Outcome,
}

/// A case found on one side only.
#[derive(Debug, Clone)]
pub struct Unmatched {
    pub label: String,
    pub case: SideCase,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Report {
    pub experiment: String,
    /// "BEFORE: <folder> (<cpu>, ...)" and the same for AFTER.
    pub before_machine: String,
    pub after_machine: String,
    pub matched: Vec<Matched>,
    pub only_before: Vec<Unmatched>,
    pub only_after: Vec<Unmatched>,
}

/// Counts of the verdicts, for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub faster: usize,
    pub slower: usize,
    pub indistinguishable: usize,
    pub not_compared: usize,
    pub unmatched: usize,
}

/// Why two folders cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error(
    "{before} holds the experiment \"{before_name}\" and {after} holds \"{after_name}\"; their cases are different work\n  = help: compare two runs of the same experiment, e.g. `runner compare old/chunksize reports/chunksize`"
)]
pub struct DifferentExperiments {
    pub before: String,
    pub before_name: String,
    pub after: String,
    pub after_name: String,
}

impl Report {
    /// Matches the cases of `before` and `after` and compares each pair.
    /// Different experiments are refused: their case parameters could
    /// coincide (two sweeps of `workers`) while the work differs.
    pub fn of(before: &RunData, after: &RunData) -> Result<Report, DifferentExperiments> {
        if before.manifest.experiment != after.manifest.experiment {
            return Err(DifferentExperiments {
                before: before.dir.display().to_string(),
                before_name: before.manifest.experiment.clone(),
                after: after.dir.display().to_string(),
                after_name: after.manifest.experiment.clone(),
            });
        }
        let rows: Vec<&SummaryRow> = before.summary.iter().chain(&after.summary).collect();
        let params = user_parameters([before, after]);
        let labeller = Labeller::new(&rows, &params);
        let mut waiting: BTreeMap<Key, Vec<SideCase>> = BTreeMap::new();
        let mut order: Vec<(Key, String)> = Vec::new();
        for row in &before.summary {
            let key = key_of(row, &params);
            order.push((key.clone(), labeller.label(row)));
            waiting.entry(key).or_default().push(side_case(before, row));
        }
        let mut matched = Vec::new();
        let mut only_after = Vec::new();
        for row in &after.summary {
            let key = key_of(row, &params);
            let after_case = side_case(after, row);
            let label = labeller.label(row);
            let before_case = waiting.get_mut(&key).filter(|w| !w.is_empty());
            match before_case.map(|w| w.remove(0)) {
                Some(before_case) => {
                    let seed = stats::seed_for(
                        before.manifest.seed ^ after.manifest.seed,
                        before_case.number as u64,
                        after_case.number as u64,
                    );
                    let outcome = outcome(&before_case, &after_case, seed);
                    matched.push(Matched {
                        label,
                        before: before_case,
                        after: after_case,
                        outcome,
                    });
                }
                None => only_after.push(Unmatched {
                    label,
                    case: after_case,
                }),
            }
        }
        // What BEFORE has left over, in its own order.
        let mut only_before = Vec::new();
        for (key, label) in order {
            if let Some(case) = waiting.get_mut(&key).filter(|w| !w.is_empty()) {
                only_before.push(Unmatched {
                    label,
                    case: case.remove(0),
                });
            }
        }
        distinguish(&mut matched);
        Ok(Report {
            experiment: after.manifest.experiment.clone(),
            before_machine: machine_line(before),
            after_machine: machine_line(after),
            matched,
            only_before,
            only_after,
        })
    }

    /// Puts two runs of different experiments side by side (`--on`): cases
    /// are matched on the columns `on` only, and every AFTER case is
    /// compared with every BEFORE case that agrees on them (CPython and
    /// PyPy against runner's threads and processes: four pairs a point).
    /// A label names the point, then AFTER's case, then BEFORE's.
    pub fn across(before: &RunData, after: &RunData, on: &[String]) -> Result<Report, String> {
        for (i, column) in on.iter().enumerate() {
            if on[..i].contains(column) {
                return Err(format!(
                    "`{column}` is named twice in --on {}\n  = help: name each column once, e.g. --on {}",
                    on.join(","),
                    dedup(on).join(",")
                ));
            }
        }
        for column in on {
            let known = |run: &RunData| run.summary.iter().any(|r| r.has(column));
            if !known(before) || !known(after) {
                return Err(format!(
                    "`{column}` is not a column of both runs' summary.csv\n  = help: name case columns both experiments have, e.g. --on chunksize or --on number_name,flag,loop"
                ));
            }
        }
        let key = |row: &SummaryRow| -> Key { on.iter().map(|c| value(row, c)).collect() };
        let before_rows: Vec<&SummaryRow> = before.summary.iter().collect();
        let after_rows: Vec<&SummaryRow> = after.summary.iter().collect();
        let (before_labels, after_labels) = (
            Labeller::except(&before_rows, &user_parameters([before, before]), on),
            Labeller::except(&after_rows, &user_parameters([after, after]), on),
        );
        let point = |row: &SummaryRow| {
            on.iter()
                .map(|c| (c, value(row, c)))
                .filter(|(_, v)| !v.is_empty())
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut matched = Vec::new();
        let mut only_after = Vec::new();
        let mut partnered = vec![false; before_rows.len()];
        for a in &after_rows {
            let mut any = false;
            for (i, b) in before_rows.iter().enumerate() {
                if key(a) != key(b) {
                    continue;
                }
                any = true;
                partnered[i] = true;
                let (before_case, after_case) = (side_case(before, b), side_case(after, a));
                let seed = stats::seed_for(
                    before.manifest.seed ^ after.manifest.seed,
                    before_case.number as u64,
                    after_case.number as u64,
                );
                matched.push(Matched {
                    label: format!(
                        "{}: {} / {}",
                        point(a),
                        after_labels.label(a),
                        before_labels.label(b)
                    ),
                    outcome: outcome(&before_case, &after_case, seed),
                    before: before_case,
                    after: after_case,
                });
            }
            if !any {
                only_after.push(Unmatched {
                    label: format!("{}: {}", point(a), after_labels.label(a)),
                    case: side_case(after, a),
                });
            }
        }
        distinguish(&mut matched);
        let only_before = before_rows
            .iter()
            .zip(partnered)
            .filter(|(_, p)| !p)
            .map(|(b, _)| Unmatched {
                label: format!("{}: {}", point(b), before_labels.label(b)),
                case: side_case(before, b),
            })
            .collect();
        Ok(Report {
            experiment: format!(
                "{} beside {}, matched on {}",
                after.manifest.experiment,
                before.manifest.experiment,
                on.join(", ")
            ),
            before_machine: machine_line(before),
            after_machine: machine_line(after),
            matched,
            only_before,
            only_after,
        })
    }

    /// How many cases got each verdict.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally {
            unmatched: self.only_before.len() + self.only_after.len(),
            ..Tally::default()
        };
        for m in &self.matched {
            match &m.outcome {
                Outcome::Compared(c) => match c.verdict {
                    Verdict::Faster => tally.faster += 1,
                    Verdict::Slower => tally.slower += 1,
                    Verdict::Indistinguishable => tally.indistinguishable += 1,
                },
                Outcome::NotCompared(_) => tally.not_compared += 1,
            }
        }
        tally
    }

    /// How many matched cases were compared (the chart's rows).
    pub fn compared(&self) -> usize {
        self.matched
            .iter()
            .filter(|m| matches!(m.outcome, Outcome::Compared(_)))
            .count()
    }

    /// The matched cases slower beyond the noise by more than `percent`:
    /// their interval's lower bound lies above 1 + percent/100. A case with
    /// one timed run has no interval, so it never counts.
    pub fn regressions(&self, percent: f64) -> Vec<&Matched> {
        let limit = 1.0 + percent / 100.0;
        self.matched
            .iter()
            .filter(|m| match &m.outcome {
                Outcome::Compared(c) => c.interval.is_some_and(|i| i.lo > limit),
                Outcome::NotCompared(_) => false,
            })
            .collect()
    }
}

/// `columns` without repeats, in their order.
fn dedup(columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in columns {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// The word a verdict is printed as.
pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Faster => "faster",
        Verdict::Slower => "slower",
        Verdict::Indistinguishable => "indistinguishable",
    }
}

fn key_of(row: &SummaryRow, params: &[String]) -> Key {
    let params = params
        .iter()
        .map(|column| format!("{column}={}", row.get(column).unwrap_or_default()));
    CaseColumn::ALL
        .iter()
        .filter(|&&c| identifies(c))
        .map(|&c| row.case.cell(c))
        .chain(params)
        .collect()
}

/// The user parameters of a command workload in either run, by name:
/// their columns follow runner's own in summary.csv, and identify a case's
/// work as much as runner's do.
fn user_parameters(runs: [&RunData; 2]) -> Vec<String> {
    let mut names: Vec<String> = runs
        .iter()
        .flat_map(|run| run.experiment.params.names())
        .filter(|name| CaseColumn::from_name(name).is_none())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Appends the case numbers to labels that would otherwise repeat, so that
/// every row of the table names one pair (cases that differ only in a
/// column no label shows).
fn distinguish(matched: &mut [Matched]) {
    let repeated =
        |label: &str, all: &[Matched]| all.iter().filter(|m| m.label == label).count() > 1;
    let twins: Vec<bool> = matched
        .iter()
        .map(|m| repeated(&m.label, matched))
        .collect();
    for (m, twin) in matched.iter_mut().zip(twins) {
        if twin {
            m.label = format!(
                "{} (case {} / case {})",
                m.label, m.after.number, m.before.number
            );
        }
    }
}

fn side_case(run: &RunData, row: &SummaryRow) -> SideCase {
    let number = row.case.case;
    SideCase {
        seconds: run.seconds_of(number),
        status: row.summary.status,
        number,
    }
}

/// Compares a matched pair, unless a side has no time to compare.
fn outcome(before: &SideCase, after: &SideCase, seed: u64) -> Outcome {
    for (side, case) in [("BEFORE", before), ("AFTER", after)] {
        if case.status != Status::Ok {
            return Outcome::NotCompared(format!("{} in {side}", case.status.as_str()));
        }
        if case.seconds.is_empty() {
            return Outcome::NotCompared(format!("no correct timed run in {side}"));
        }
        // A time below the clock's resolution gives an infinite ratio (or
        // one hundreds of digits long): no ratio, no chart, no verdict.
        if let Some(why) = stats::unmeasurable(&case.seconds) {
            return Outcome::NotCompared(format!("not measurable: {side} {why}"));
        }
    }
    match Comparison::of(&after.seconds, &before.seconds, seed) {
        Some(c) => Outcome::Compared(c),
        None => Outcome::NotCompared("no time to compare".into()),
    }
}

/// "folder: cpu model, N logical CPUs, rustc ..., commit abc1234, started ...".
fn machine_line(run: &RunData) -> String {
    let machine = &run.manifest.machine;
    let mut parts = vec![or_else(&machine.cpu_model, "unknown CPU").to_string()];
    if machine.logical_cpus > 0 {
        parts.push(format!("{} logical CPUs", machine.logical_cpus));
    }
    if !machine.rustc.is_empty() {
        parts.push(machine.rustc.clone());
    }
    if let Some(commit) = &run.manifest.source.git_commit {
        let dirty = match run.manifest.source.git_dirty {
            Some(true) => " (modified)",
            _ => "",
        };
        parts.push(format!(
            "commit {}{dirty}",
            commit.chars().take(10).collect::<String>()
        ));
    }
    parts.push(format!("started {}", run.manifest.started));
    format!("{}: {}", run.dir.display(), parts.join(", "))
}

/// Names a case compactly: the parameters that differ between the cases
/// being compared (the rest are the same for all and would only repeat).
struct Labeller {
    /// The columns a label shows: [`Label::runners`], then the user's
    /// parameters, where they differ among the cases.
    varying: Vec<Label>,
}

/// A column a label may show.
#[derive(Debug, Clone, PartialEq)]
enum Label {
    /// One of the case's columns (the variant as its own label only).
    Column(CaseColumn),
    /// The range, by its book name where it has one.
    Range,
    /// The number verified, by its name.
    Number,
    /// A command's own parameter.
    Param(String),
}

impl Label {
    /// runner's parameters shown by name, in this order: the case's columns
    /// that describe its work (a range and a number as one each), and last
    /// the chunk rule, which only tells apart chunk sizes that look alike.
    fn runners() -> Vec<Label> {
        let columns = CaseColumn::ALL.iter().filter_map(|&c| match c {
            CaseColumn::RangeStart => Some(Label::Range),
            CaseColumn::NumberName => Some(Label::Number),
            CaseColumn::Experiment
            | CaseColumn::Case
            | CaseColumn::Tasks
            | CaseColumn::RangeEnd
            | CaseColumn::Number
            | CaseColumn::ChunkRule => None,
            c => Some(Label::Column(c)),
        });
        let last = Label::Column(CaseColumn::ChunkRule);
        columns.chain(std::iter::once(last)).collect()
    }

    fn name(&self) -> &str {
        match self {
            Label::Column(c) => c.as_str(),
            Label::Range => ParamName::Range.as_str(),
            Label::Number => "number",
            Label::Param(name) => name,
        }
    }

    /// The columns of summary.csv behind it.
    fn columns(&self) -> Vec<&str> {
        match self {
            Label::Range => vec![
                CaseColumn::RangeStart.as_str(),
                CaseColumn::RangeEnd.as_str(),
            ],
            Label::Number => vec![CaseColumn::Number.as_str(), CaseColumn::NumberName.as_str()],
            other => vec![other.name()],
        }
    }

    /// Its cell as a label shows it: the range as one, the variant's own
    /// label only (not the strategy standing in for it).
    fn cell(&self, row: &SummaryRow) -> String {
        match self {
            Label::Range => range_label(&row.case),
            Label::Column(CaseColumn::Variant) => row.case.variant.clone(),
            Label::Column(c) => row.case.cell(*c),
            Label::Number => value(row, "number"),
            Label::Param(name) => value(row, name),
        }
    }
}

impl Labeller {
    /// A labeller of what varies among `rows` besides the columns `on`
    /// (which a side-by-side label shows first).
    fn except(rows: &[&SummaryRow], params: &[String], on: &[String]) -> Labeller {
        let mut labeller = Labeller::new(rows, params);
        // A label's range and number stand for the columns behind them.
        let shown = |l: &Label| l.columns().iter().any(|col| on.iter().any(|o| o == col));
        labeller.varying.retain(|l| !shown(l));
        if labeller.varying.is_empty() {
            let name = match rows.iter().any(|r| !value(r, "variant").is_empty()) {
                true => CaseColumn::Variant,
                false => CaseColumn::Strategy,
            };
            labeller.varying.push(Label::Column(name));
        }
        labeller
    }

    /// A labeller of what varies among `rows`, of runner's parameters and
    /// the user's `params`.
    fn new(rows: &[&SummaryRow], params: &[String]) -> Labeller {
        let varying: Vec<Label> = Label::runners()
            .into_iter()
            .chain(params.iter().cloned().map(Label::Param))
            .filter(|l| {
                let first = rows.first().map(|r| l.cell(r));
                rows.iter().any(|r| Some(l.cell(r)) != first)
            })
            .collect();
        // One case, or cases that differ only in derived cells: name the
        // strategy, so a label is never empty.
        let varying = match varying.is_empty() {
            true => vec![Label::Column(CaseColumn::Strategy)],
            false => varying,
        };
        Labeller { varying }
    }

    fn label(&self, row: &SummaryRow) -> String {
        let parts: Vec<String> = self
            .varying
            .iter()
            .filter_map(|l| {
                let cell = l.cell(row);
                let whole = matches!(
                    l,
                    Label::Range
                        | Label::Number
                        | Label::Column(CaseColumn::Variant | CaseColumn::Strategy)
                );
                match (l, cell.as_str()) {
                    (_, "") | (Label::Range, "[, )") => None,
                    _ if whole => Some(cell),
                    _ => Some(format!("{}={cell}", l.name())),
                }
            })
            .collect();
        match parts.is_empty() {
            true => format!("case {}", row.case.case),
            false => parts.join(" "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    fn row(cells: &[(&str, &str)]) -> SummaryRow {
        crate::record::rows::row_of(cells)
    }

    fn matched(ratio: f64, interval: Option<(f64, f64)>) -> Matched {
        let side = SideCase {
            number: 1,
            status: Status::Ok,
            seconds: vec![1.0],
        };
        Matched {
            label: "x".into(),
            before: side.clone(),
            after: side,
            outcome: Outcome::Compared(Comparison {
                ratio,
                interval: interval.map(|(lo, hi)| Interval { lo, hi }),
                verdict: Verdict::Slower,
            }),
        }
    }

    #[test]
    fn the_gate_reads_the_lower_bound_and_ignores_cases_without_an_interval() {
        let report = Report {
            experiment: "x".into(),
            before_machine: String::new(),
            after_machine: String::new(),
            matched: vec![matched(1.3, Some((1.12, 1.5))), matched(3.0, None)],
            only_before: Vec::new(),
            only_after: Vec::new(),
        };
        assert_eq!(report.regressions(10.0).len(), 1);
        assert_eq!(report.regressions(12.0).len(), 0, "1.12 is not above 1.12");
        assert_eq!(report.regressions(0.0).len(), 1, "one run: no interval");
    }

    /// Issue 20 item 17: rows that would read alike name their cases.
    #[test]
    fn twin_labels_are_told_apart_by_their_cases() {
        let side = |n: usize| SideCase {
            number: n,
            status: Status::Ok,
            seconds: vec![1.0],
        };
        let pair = |label: &str, after: usize, before: usize| Matched {
            label: label.into(),
            before: side(before),
            after: side(after),
            outcome: Outcome::NotCompared("x".into()),
        };
        let mut matched = vec![pair("fast", 1, 1), pair("fast", 2, 1), pair("slow", 3, 2)];
        distinguish(&mut matched);
        let labels: Vec<&str> = matched.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            labels,
            ["fast (case 1 / case 1)", "fast (case 2 / case 1)", "slow"]
        );
    }

    #[test]
    fn labels_name_what_varies_once() {
        let (strategy, workers) = (CaseColumn::Strategy.as_str(), CaseColumn::Workers.as_str());
        let a = row(&[("case", "1"), (strategy, "serial"), (workers, "1")]);
        let b = row(&[("case", "2"), (strategy, "pool"), (workers, "2")]);
        let labeller = Labeller::new(&[&a, &b], &[]);
        assert_eq!(labeller.label(&b), "pool workers=2");
        let alone = Labeller::new(&[&a], &[]);
        assert_eq!(alone.label(&a), "serial");
        assert_ne!(key_of(&a, &[]), key_of(&b, &[]));
        let renumbered = row(&[("case", "7"), (strategy, "serial"), (workers, "1")]);
        assert_eq!(
            key_of(&a, &[]),
            key_of(&renumbered, &[]),
            "the number is not the case"
        );
    }
}
