//! The comparison as Markdown: the machines compared, one table row per
//! matched case, the unmatched cases under their own headings, and a
//! one-line tally. The same text is printed and saved as compare.md.

use super::{Matched, Outcome, Report, Tally, Unmatched, verdict_word};
use crate::stats::Comparison;
use crate::units::human_seconds;

/// The whole comparison as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("# runner compare: {}\n\n", report.experiment);
    out += &format!("- BEFORE: {}\n", escape(&report.before_machine));
    out += &format!("- AFTER: {}\n\n", escape(&report.after_machine));
    if report.matched.is_empty() {
        out += "No case is in both folders, so nothing was compared.\n\n";
    } else {
        out += "Change is AFTER's median time over BEFORE's, minus 1, with its 95% bootstrap interval; \
                a case is slower or faster only when the interval excludes 0%.\n\n";
        out += "| case | BEFORE median | AFTER median | change (95% interval) | verdict |\n";
        out += "|---|---:|---:|---|---|\n";
        for m in &report.matched {
            out += &row(m);
        }
        out += "\n";
    }
    out += &unmatched("Only in BEFORE", &report.only_before);
    out += &unmatched("Only in AFTER", &report.only_after);
    out += &summary_line(&report.tally());
    out += "\n";
    out
}

fn row(m: &Matched) -> String {
    let median = |case: &super::SideCase| case.median().map_or("–".into(), human_seconds);
    let (change, verdict) = match &m.outcome {
        Outcome::Compared(c) => (change(c), verdict_word(c.verdict).to_string()),
        Outcome::NotCompared(why) => ("–".into(), format!("not compared: {why}")),
    };
    format!(
        "| {} | {} | {} | {change} | {verdict} |\n",
        escape(&m.label),
        median(&m.before),
        median(&m.after),
    )
}

/// "+50.0% (+48.1% to +52.3%)"; without an interval (one timed run on a
/// side) the change alone, said to have none.
pub fn change(c: &Comparison) -> String {
    let percent = |r: f64| format!("{:+.1}%", 100.0 * (r - 1.0));
    match c.interval {
        Some(i) => format!(
            "{} ({} to {})",
            percent(c.ratio),
            percent(i.lo),
            percent(i.hi)
        ),
        None => format!("{} (no interval: one timed run)", percent(c.ratio)),
    }
}

fn unmatched(heading: &str, cases: &[Unmatched]) -> String {
    if cases.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "## {heading}\n\nNot compared, and never counted as a regression: the other folder has no case with these parameters.\n\n"
    );
    for u in cases {
        let median = u
            .case
            .median()
            .map_or_else(|| u.case.status.as_str().to_string(), human_seconds);
        out += &format!(
            "- case {}: {} (median {median})\n",
            u.case.number,
            escape(&u.label)
        );
    }
    out + "\n"
}

/// "2 faster, 1 slower, 5 indistinguishable, 1 not compared, 3 unmatched".
pub fn summary_line(t: &Tally) -> String {
    let mut line = format!(
        "{} faster, {} slower, {} indistinguishable",
        t.faster, t.slower, t.indistinguishable
    );
    if t.not_compared > 0 {
        line += &format!(
            ", {} not compared (failed, skipped or not measurable)",
            t.not_compared
        );
    }
    line += &format!(", {} unmatched", t.unmatched);
    line
}

/// A cell's text with the characters Markdown tables treat specially escaped.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
