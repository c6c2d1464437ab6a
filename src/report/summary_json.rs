//! `summary.json`: the summary in a documented, versioned schema, for
//! programs and documentation that read a report without parsing CSV.
//!
//! The schema tag names the version. A change that breaks a reader (a field
//! removed, renamed or given another type or meaning) bumps it; adding a
//! field does not. The README documents every field.
//!
//! Version 2 (issue 20 items 7 and 18) added `lessons` and each case's
//! `note`, and gave a null `speedup` or `efficiency` a second meaning: a
//! time too short to divide by (its `note` says so), besides "no baseline".

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use super::data::RunData;
use super::expectations::Checked;
use crate::experiment::columns::{CaseColumn, Ratio};
use crate::experiment::expect::Relation;
use crate::machine::MachineInfo;
use crate::output::manifest::Manifest;
use crate::record::SummaryRow;

/// The schema tag every `summary.json` starts with.
pub const SCHEMA: &str = "runner-summary/2";

#[derive(Serialize)]
struct Summary<'a> {
    schema: &'static str,
    experiment: &'a str,
    title: &'a str,
    runner_version: &'a str,
    machine: &'a MachineInfo,
    schedule: Value,
    repeats: u32,
    warmup: u32,
    seed: u64,
    cases: Vec<Case>,
    findings: &'a [String],
    lessons: Vec<Lesson>,
}

/// One `[[expect]]` lesson and what the run says of it.
#[derive(Serialize)]
struct Lesson {
    lesson: String,
    /// holds, inconclusive, fails, or not_measured (no pair of cases ran).
    verdict: &'static str,
    relation: Relation,
    by_at_least: Option<f64>,
    within_percent: Option<f64>,
    /// The deciding pair: the case numbers of its `case` and `than` sides.
    case: Option<Value>,
    than: Option<Value>,
    /// The `case` side's median over the `than` side's, and its interval.
    ratio: Option<f64>,
    ratio_interval: Option<[f64; 2]>,
    /// How many pairs got each verdict.
    pairs: Pairs,
    /// The report's sentence about it.
    said: String,
    /// Why the verdict is unreliable (what disturbed the run), if it is.
    unreliable: Option<String>,
}

#[derive(Serialize)]
struct Pairs {
    holds: usize,
    inconclusive: usize,
    fails: usize,
}

#[derive(Serialize)]
struct Case {
    case: Value,
    variant: Option<String>,
    parameters: Parameters,
    status: String,
    repeats: Option<u64>,
    best_s: Option<f64>,
    median_s: Option<f64>,
    median_interval_s: Option<[f64; 2]>,
    noise_pct: Option<f64>,
    speedup: Option<Estimate>,
    efficiency: Option<Estimate>,
    answer: Value,
    error: Option<String>,
    note: Option<String>,
    /// summary.csv's medians of CPU time and of the task aggregates.
    user_s: Option<f64>,
    sys_s: Option<f64>,
    cpu_util: Option<f64>,
    compute_frac: Option<f64>,
    dispatch_frac: Option<f64>,
    idle_frac: Option<f64>,
}

/// A ratio with its 95% interval; the bounds are null where the run had
/// too few samples to give one.
#[derive(Serialize)]
struct Estimate {
    value: f64,
    lo: Option<f64>,
    hi: Option<f64>,
}

/// The case's parameters in the CSV's column order (a map would sort them).
struct Parameters(Vec<(&'static str, Value)>);

impl Serialize for Parameters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The saved run as `summary.json`, with the report's `findings` and its
/// checked `lessons`.
pub fn summary_json(run: &RunData, findings: &[String], lessons: &[Checked]) -> String {
    let m: &Manifest = &run.manifest;
    let summary = Summary {
        schema: SCHEMA,
        experiment: &m.experiment,
        title: &m.title,
        runner_version: &m.runner_version,
        machine: &m.machine,
        schedule: serde_json::to_value(m.schedule).expect("a word"),
        repeats: m.repeats,
        warmup: m.warmup,
        seed: m.seed,
        cases: run.summary.iter().map(case).collect(),
        findings,
        lessons: lessons.iter().map(lesson).collect(),
    };
    let mut text = serde_json::to_string_pretty(&summary).expect("plain data");
    text.push('\n');
    text
}

fn case(row: &SummaryRow) -> Case {
    let s = &row.summary;
    let text = |cell: &str| Some(cell.to_string()).filter(|c| !c.is_empty());
    let estimate = |value: Option<Ratio>, lo: Option<Ratio>, hi: Option<Ratio>| {
        Some(Estimate {
            value: value?.0,
            lo: lo.map(f64::from),
            hi: hi.map(f64::from),
        })
    };
    // The columns that are not parameters name the case instead.
    let named = |c: &CaseColumn| {
        matches!(
            c,
            CaseColumn::Experiment | CaseColumn::Case | CaseColumn::Variant
        )
    };
    let parameters = CaseColumn::ALL
        .iter()
        .filter(|c| !named(c))
        .filter_map(|&c| {
            let cell = text(&row.case.cell(c))?;
            // A name stays a name even when it looks like a number.
            let value = match c.holds_words() {
                true => Value::String(cell),
                false => whole_or_text(cell),
            };
            Some((c.as_str(), value))
        })
        .collect();
    Case {
        case: Value::from(row.case.case),
        variant: text(&row.case.variant),
        parameters: Parameters(parameters),
        status: s.status.as_str().to_string(),
        repeats: Some(s.repeats as u64),
        best_s: s.best_s.map(f64::from),
        median_s: s.median_s.map(f64::from),
        median_interval_s: s
            .median_lo_s
            .zip(s.median_hi_s)
            .map(|(lo, hi)| [lo.0, hi.0]),
        noise_pct: s.noise_pct.map(f64::from),
        speedup: estimate(s.speedup, s.speedup_lo, s.speedup_hi),
        efficiency: estimate(s.efficiency, s.efficiency_lo, s.efficiency_hi),
        answer: text(&s.answer).map_or(Value::Null, whole_or_text),
        error: text(&s.error),
        note: text(&s.note),
        user_s: s.user_s.map(f64::from),
        sys_s: s.sys_s.map(f64::from),
        cpu_util: s.cpu_util.map(f64::from),
        compute_frac: s.compute_frac.map(f64::from),
        dispatch_frac: s.dispatch_frac.map(f64::from),
        idle_frac: s.idle_frac.map(f64::from),
    }
}

fn lesson(checked: &Checked) -> Lesson {
    let deciding = checked.deciding.as_ref();
    let [holds, inconclusive, fails] = checked.pairs;
    Lesson {
        lesson: checked.lesson.clone(),
        verdict: match checked.verdict {
            None => "not_measured",
            Some(v) => v.as_str(),
        },
        relation: checked.expected.relation,
        by_at_least: checked.expected.by_at_least,
        within_percent: checked.expected.within_percent,
        case: deciding.map(|d| Value::from(d.case)),
        than: deciding.map(|d| Value::from(d.than)),
        ratio: deciding.and_then(|d| d.ratio).filter(|r| r.is_finite()),
        ratio_interval: deciding
            .and_then(|d| d.interval)
            .filter(|i| i.lo.is_finite() && i.hi.is_finite())
            .map(|i| [i.lo, i.hi]),
        pairs: Pairs {
            holds,
            inconclusive,
            fails,
        },
        said: checked.said.clone(),
        unreliable: checked.unreliable.clone(),
    }
}

/// A whole number as a JSON number (up to 2^64, so big verified numbers stay
/// exact), anything else as text.
fn whole_or_text(cell: String) -> Value {
    match cell.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(cell),
    }
}
