//! The experiment's `[[expect]]` lessons, checked against a saved run: each
//! pair of cases by the ratio of its median times and that ratio's 95%
//! interval (see [`crate::experiment::expect`] and [`crate::stats`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::data::RunData;
use super::findings::drifted;
use crate::experiment::Schedule;
use crate::experiment::columns::CaseColumn;
use crate::experiment::expect::{Expectation, Relation, Verdict, overall};
use crate::outcome::Status;
use crate::record::SummaryRow;
use crate::stats::{self, Interval};

/// An expectation with what the run says of it.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub lesson: String,
    /// None when no pair of correct cases could be compared.
    pub verdict: Option<Verdict>,
    /// The verdict in words, for pages: "holds", "fails", "inconclusive",
    /// "not measured".
    pub word: &'static str,
    /// One sentence: the expected relation, the deciding pair, its ratio.
    pub said: String,
    /// Why the verdict (holds or fails) may not hold on a quiet machine:
    /// what disturbed the run while it ran (machine-state warnings of that
    /// kind, or drift); none for an undisturbed run or no verdict.
    pub unreliable: Option<String>,
    /// The case numbers the lesson is about (its `case` side, as measured).
    #[serde(skip)]
    pub cases: Vec<usize>,
    /// The chart the lesson is shown beside (1-based), if one shows its cases.
    pub chart: Option<usize>,
    /// The pair whose verdict is the lesson's, as measured (none when no
    /// pair ran): what summary.json and summary.md report beside the words.
    #[serde(skip)]
    pub deciding: Option<Deciding>,
    /// How many pairs got each verdict: holds, inconclusive, fails.
    #[serde(skip)]
    pub pairs: [usize; 3],
    /// The relation the lesson states, with its threshold.
    #[serde(skip)]
    pub expected: Threshold,
}

/// The pair of cases that decides a lesson's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Deciding {
    /// The case number of its `case` side, and of its `than` side.
    pub case: usize,
    pub than: usize,
    /// The `case` side's median time over the `than` side's (whatever the
    /// relation: below 1 is faster), and that ratio's 95% interval; none
    /// when a side failed or was not measurable, or had one repeat.
    pub ratio: Option<f64>,
    pub interval: Option<Interval>,
    /// Why there is no ratio, where there is none.
    pub unmeasured: Option<String>,
}

/// A lesson's relation and threshold, as the experiment file states them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub relation: Relation,
    /// For slower and faster: by at least this factor (1: beyond the noise).
    pub by_at_least: Option<f64>,
    /// For within: within this many per cent of 1.
    pub within_percent: Option<f64>,
}

impl Checked {
    /// Whether a chart showing the cases `shown` shows this lesson: it
    /// draws every case the lesson is about.
    pub fn shown_by(&self, shown: &[usize]) -> bool {
        !self.cases.is_empty() && self.cases.iter().all(|c| shown.contains(c))
    }
}

/// Checks every expectation of the run's experiment.
pub fn check(run: &RunData) -> Vec<Checked> {
    let variant_sets = run.experiment.variant_sets();
    let disturbed = disturbed(run);
    run.experiment
        .expectations
        .iter()
        .map(|e| {
            let mut checked = check_one(run, e, &variant_sets);
            // Every lesson is a ratio of times, so whatever disturbed the
            // run may have decided it; an inconclusive one claims nothing.
            if matches!(checked.verdict, Some(Verdict::Holds | Verdict::Fails)) {
                checked.unreliable = disturbed.clone();
            }
            checked
        })
        .collect()
}

/// What disturbed the run while it ran, in a few words: the machine-state
/// warnings of that kind (each up to its advice) and, with a blocked
/// schedule, drift; none for a quiet, steady run. Interleaved and shuffled
/// rounds spread a drift over every case alike, so it does not bias a ratio
/// of two cases' medians; blocked cases run one after the other, so it
/// falls on the later case.
fn disturbed(run: &RunData) -> Option<String> {
    let max_workers = run.max_workers();
    let mut reasons: Vec<String> = run
        .manifest
        .machine_disturbances(max_workers)
        .iter()
        .map(|w| w.split(';').next().unwrap_or(w).trim().to_string())
        .collect();
    if run.manifest.schedule == Schedule::Blocked {
        reasons.extend(drifted(run));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

impl Checked {
    /// Whether this lesson failed on a run that nothing disturbed.
    pub fn fails_reliably(&self) -> bool {
        self.verdict == Some(Verdict::Fails) && self.unreliable.is_none()
    }
}

/// What one pair measured.
struct Measured<'r> {
    case: &'r SummaryRow,
    than: &'r SummaryRow,
    ratio: Option<f64>,
    interval: Option<Interval>,
    verdict: Verdict,
    /// Why the pair has no ratio though both sides ran: a time that is not
    /// measurable (see [`stats::unmeasurable`]).
    unmeasured: Option<String>,
}

fn check_one(
    run: &RunData,
    e: &Expectation,
    variant_sets: &BTreeMap<String, Vec<String>>,
) -> Checked {
    let measured: Vec<Measured> = e
        .pairs(&run.summary, variant_sets)
        .into_iter()
        .map(|(case, than)| {
            let ok = |r: &SummaryRow| r.summary.status == Status::Ok;
            let (a, b) = (
                run.seconds_of(case.case.case),
                run.seconds_of(than.case.case),
            );
            let seed = stats::seed_for(0, case.case.case as u64, than.case.case as u64);
            let ratio = (ok(case) && ok(than))
                .then(|| stats::ratio_interval(&a, &b, seed))
                .flatten();
            let interval = ratio.and_then(|r| r.1);
            let unmeasured = (ok(case) && ok(than))
                .then(|| {
                    let why = |row: &SummaryRow, samples: &[f64]| {
                        let why = stats::unmeasurable(samples)?;
                        Some(format!("case {} {why}", row.case.case))
                    };
                    why(case, &a).or_else(|| why(than, &b))
                })
                .flatten();
            Measured {
                case,
                than,
                ratio: ratio.map(|r| r.0),
                interval,
                unmeasured,
                verdict: match ratio {
                    Some(_) => e.judge(interval),
                    None => Verdict::Inconclusive,
                },
            }
        })
        .collect();
    let verdict = overall(measured.iter().map(|m| m.verdict));
    let expected = e.expected();
    let said = match measured.iter().find(|m| Some(m.verdict) == verdict) {
        None => format!(
            "expected: the cases {} {expected} those {}; no pair of such cases ran",
            filter_words(&e.case),
            filter_words(&e.than)
        ),
        Some(m) => {
            let tally = match measured.len() {
                1 => String::new(),
                n => {
                    let count = |v: Verdict| measured.iter().filter(|m| m.verdict == v).count();
                    format!(
                        "; over {n} pairs: {} hold, {} inconclusive, {} fail",
                        count(Verdict::Holds),
                        count(Verdict::Inconclusive),
                        count(Verdict::Fails)
                    )
                }
            };
            format!(
                "expected: {} {expected} {}; measured: it takes {}{tally}",
                describe(m.case),
                describe(m.than),
                ratio_words(m),
            )
        }
    };
    let mut cases: Vec<usize> = measured.iter().map(|m| m.case.case.case).collect();
    cases.dedup();
    let deciding = measured
        .iter()
        .find(|m| Some(m.verdict) == verdict)
        .map(|m| Deciding {
            case: m.case.case.case,
            than: m.than.case.case,
            ratio: m.ratio,
            interval: m.interval,
            unmeasured: m.unmeasured.clone(),
        });
    let count = |v: Verdict| measured.iter().filter(|m| m.verdict == v).count();
    Checked {
        lesson: e.lesson.clone(),
        verdict,
        word: verdict.map_or("not measured", Verdict::as_str),
        said,
        unreliable: None,
        cases,
        chart: None,
        deciding,
        pairs: [
            count(Verdict::Holds),
            count(Verdict::Inconclusive),
            count(Verdict::Fails),
        ],
        expected: Threshold {
            relation: e.relation,
            by_at_least: (e.relation != Relation::Within).then_some(e.factor),
            within_percent: (e.relation == Relation::Within).then_some(e.percent),
        },
    }
}

/// "2.35x the time (95% interval 2.20x to 2.51x)", or why there is none.
fn ratio_words(m: &Measured) -> String {
    match (m.ratio, m.interval) {
        (None, _) if m.unmeasured.is_some() => format!(
            "no comparable time ({}: not measurable)",
            m.unmeasured.as_deref().unwrap_or_default()
        ),
        (None, _) => "no comparable time (a case failed or was skipped)".into(),
        (Some(r), None) => format!("{r:.2}x the time (one repeat: no interval, so no verdict)"),
        (Some(r), Some(i)) => format!(
            "{r:.2}x the time of the other (95% interval {:.2}x to {:.2}x)",
            i.lo, i.hi
        ),
    }
}

/// The columns a case is described by in a lesson's sentence, in order.
const SHOWN: [CaseColumn; 12] = [
    CaseColumn::Variant,
    CaseColumn::Strategy,
    CaseColumn::Executor,
    CaseColumn::Workers,
    CaseColumn::Chunksize,
    CaseColumn::Order,
    CaseColumn::Flag,
    CaseColumn::Loop,
    CaseColumn::CheckEvery,
    CaseColumn::Enqueue,
    CaseColumn::QueueHost,
    CaseColumn::NumberName,
];

/// "case 3 (pool, 2 workers, chunksize 1)".
pub fn describe(row: &SummaryRow) -> String {
    let c = &row.case;
    let parts: Vec<String> = SHOWN
        .iter()
        .filter_map(|&column| {
            let v = c.cell(column);
            // A variant named after its strategy says it once.
            let repeated = column == CaseColumn::Strategy && v == c.variant;
            (!v.is_empty() && !repeated).then(|| match column {
                CaseColumn::Variant
                | CaseColumn::Strategy
                | CaseColumn::Executor
                | CaseColumn::NumberName => v,
                CaseColumn::Workers if c.workers == 1 => "1 worker".into(),
                CaseColumn::Workers => format!("{v} workers"),
                _ => format!("{} {v}", column.as_str().replace('_', " ")),
            })
        })
        .collect();
    format!("case {} ({})", c.case, parts.join(", "))
}

/// "with chunksize 1".
fn filter_words(filter: &BTreeMap<String, Vec<String>>) -> String {
    let parts: Vec<String> = filter
        .iter()
        .map(|(k, v)| format!("{k} {}", v.join(" or ")))
        .collect();
    format!("with {}", parts.join(", "))
}

/// "3 hold, 1 inconclusive" for the index, or nothing without expectations.
pub fn tally(checked: &[Checked]) -> String {
    if checked.is_empty() {
        return String::new();
    }
    let count = |w: &str| checked.iter().filter(|c| c.word == w).count();
    let mut parts = vec![format!("{} hold", count("holds"))];
    for (word, label) in [
        ("fails", "fail"),
        ("inconclusive", "inconclusive"),
        ("not measured", "not measured"),
    ] {
        let n = count(word);
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let unreliable = match checked.iter().filter(|c| c.unreliable.is_some()).count() {
        0 => String::new(),
        n => format!("; {n} unreliable (the run was disturbed)"),
    };
    format!(
        "lessons: {} of {}{unreliable}",
        parts.join(", "),
        checked.len()
    )
}
