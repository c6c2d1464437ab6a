//! `summary.md`: the results as a Markdown table ready to paste into
//! documentation: one row per case with only the parameters that vary (the
//! constant ones said once above it), medians and speedups with their 95%
//! intervals, then the findings, the book's lessons with their verdicts,
//! and the machine the numbers came from.

use super::data::{RunData, range_label};
use super::expectations::Checked;
use crate::experiment::ParamName;
use crate::experiment::columns::{CaseColumn, Cell};
use crate::machine::or_else;
use crate::record::SummaryRow;
use crate::stats;

/// A parameter of the table: one of the case's columns, or the range (its
/// two ends as one).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Param {
    Column(CaseColumn),
    Range,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Column(c) => c.as_str(),
            Param::Range => ParamName::Range.as_str(),
        }
    }
}

/// The saved run as Markdown, with the report's `findings` and its
/// checked `lessons`.
pub fn summary_md(run: &RunData, findings: &[String], lessons: &[Checked]) -> String {
    let m = &run.manifest;
    let rows = &run.summary;
    let parameters = parameters(rows);
    let (varied, constant): (Vec<_>, Vec<_>) =
        parameters.into_iter().partition(|&p| distinct(rows, p) > 1);
    let mut out = format!("## {}\n\n", cell_escape(&m.title));
    if !constant.is_empty() {
        let said: Vec<String> = constant
            .iter()
            .map(|&p| format!("{} = {}", p.name(), param(&rows[0], p)))
            .collect();
        out.push_str(&format!(
            "Every case: {}.\n\n",
            cell_escape(&said.join(", "))
        ));
    }
    let speedups = rows
        .iter()
        .any(|r| r.summary.speedup.is_some() || !speedup(r, rows).is_empty());
    let mut header: Vec<String> = vec!["case".into()];
    header.extend(varied.iter().map(|p| p.name().to_string()));
    header.push("median (95% interval)".into());
    if speedups {
        header.push("speedup (95% interval)".into());
    }
    header.push("status".into());
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    // Numbers right-aligned, words left: the case and the parameters by their
    // cells, the times and speedups always right, the status left.
    let numeric = |p: Param| rows.iter().all(|r| is_numeric(&param(r, p)));
    let mut align = vec!["---:"];
    align.extend(varied.iter().map(|&p| match numeric(p) {
        true => "---:",
        false => "---",
    }));
    align.push("---:");
    if speedups {
        align.push("---:");
    }
    align.push("---");
    out.push_str(&format!("|{}|\n", align.join("|")));
    for row in rows {
        let mut cells = vec![row.case.case.to_string()];
        cells.extend(varied.iter().map(|&p| param(row, p)));
        cells.push(median(row));
        if speedups {
            cells.push(speedup(row, rows));
        }
        cells.push(status(row));
        let cells: Vec<String> = cells.iter().map(|c| cell_escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if !findings.is_empty() {
        out.push('\n');
        for f in findings {
            out.push_str(&format!("- {}\n", one_line(f)));
        }
    }
    if !lessons.is_empty() {
        out.push_str("\nThe book's lessons, checked:\n\n");
        for c in lessons {
            let unreliable = c
                .unreliable
                .as_ref()
                .map(|why| format!(" (unreliable: {})", one_line(why)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- **{}**{unreliable}: {} ({})\n",
                c.word,
                one_line(&c.lesson),
                one_line(&c.said)
            ));
        }
    }
    let machine = &m.machine;
    out.push_str(&format!(
        "\nMeasured on {}, {} physical / {} logical cores; {} schedule, {} timed repeats \
         per case after {} warm-up run(s), seed {}; runner {}.\n",
        or_else(&machine.cpu_model, "an unknown CPU"),
        machine.physical_cores,
        machine.logical_cpus,
        serde_json::to_value(m.schedule)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        m.repeats,
        m.warmup,
        m.seed,
        m.runner_version,
    ));
    out
}

/// The parameters any case sets, in the CSV's column order (the range as one).
fn parameters(rows: &[SummaryRow]) -> Vec<Param> {
    let mut names = Vec::new();
    for &column in CaseColumn::ALL {
        let p = match column {
            CaseColumn::RangeStart => Param::Range,
            // Not parameters, or shown with the range.
            CaseColumn::Experiment | CaseColumn::Case | CaseColumn::RangeEnd => continue,
            c => Param::Column(c),
        };
        if rows.iter().any(|r| !param(r, p).is_empty()) {
            names.push(p);
        }
    }
    names
}

fn distinct(rows: &[SummaryRow], p: Param) -> usize {
    let mut values: Vec<String> = rows.iter().map(|r| param(r, p)).collect();
    values.sort();
    values.dedup();
    values.len()
}

/// A case's parameter as its CSV cell (the range as its label).
fn param(row: &SummaryRow, p: Param) -> String {
    match p {
        Param::Range if row.case.range_start.is_none() => String::new(),
        Param::Range => range_label(&row.case),
        Param::Column(c) => row.case.cell(c),
    }
}

fn is_numeric(cell: &str) -> bool {
    cell.is_empty() || cell.parse::<f64>().is_ok()
}

/// "12.3 ms (11.9–12.8)": the median and its interval in the median's unit.
fn median(row: &SummaryRow) -> String {
    let s = &row.summary;
    let Some(median) = s.median_s.map(f64::from) else {
        return String::new();
    };
    let (scale, unit) = match median.abs() {
        a if a >= 1.0 || a == 0.0 => (1.0, "s"),
        a if a >= 1e-3 => (1e3, "ms"),
        a if a >= 1e-6 => (1e6, "µs"),
        _ => (1e9, "ns"),
    };
    let text = format!("{} {unit}", significant(median * scale));
    match (s.median_lo_s, s.median_hi_s) {
        (Some(lo), Some(hi)) => format!(
            "{text} ({}–{})",
            significant(lo.0 * scale),
            significant(hi.0 * scale)
        ),
        _ => text,
    }
}

/// "1.87x (1.80–1.95)"; "not measurable" where the case's time is too
/// short to divide by (summary.csv's note says why); else empty where the
/// case has no speedup.
fn speedup(row: &SummaryRow, rows: &[SummaryRow]) -> String {
    let s = &row.summary;
    let Some(value) = s.speedup.map(f64::from) else {
        let unmeasured = |row: &SummaryRow| {
            row.summary
                .median_s
                .is_some_and(|m| !stats::measurable(m.0))
        };
        let baseline = s
            .baseline_case
            .and_then(|b| rows.iter().find(|r| r.case.case == b));
        let unmeasured = unmeasured(row) || baseline.is_some_and(unmeasured);
        return match unmeasured {
            true => "not measurable".into(),
            false => String::new(),
        };
    };
    let x = |v: f64| match v.abs() >= 1e15 {
        true => format!("{v:.2e}"),
        false => format!("{v:.2}"),
    };
    match (s.speedup_lo, s.speedup_hi) {
        (Some(lo), Some(hi)) => format!("{}x ({}–{})", x(value), x(lo.0), x(hi.0)),
        _ => format!("{}x", x(value)),
    }
}

/// The status, with the error of a case that failed.
fn status(row: &SummaryRow) -> String {
    let s = &row.summary;
    match s.error.is_empty() {
        true => s.status.text(),
        false => format!("{}: {}", s.status.text(), s.error),
    }
}

/// A list item's text on one line.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Three significant digits: 12.3, 1.23, 123; beyond 1e15 (a hand-edited
/// file), in exponent form rather than as hundreds of digits.
fn significant(v: f64) -> String {
    if v.abs() >= 1e15 {
        return format!("{v:.2e}");
    }
    let decimals = match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    format!("{v:.decimals$}")
}

/// A cell that cannot break the table: pipes escaped, on one line.
fn cell_escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_median_reads_in_its_own_unit_with_its_interval() {
        let row = crate::record::rows::row_of(&[
            ("median_s", "0.0123"),
            ("median_lo_s", "0.0119"),
            ("median_hi_s", "0.0128"),
        ]);
        assert_eq!(median(&row), "12.3 ms (11.9–12.8)");
    }

    #[test]
    fn a_pipe_cannot_split_a_cell() {
        assert_eq!(cell_escape("a|b\nc"), "a\\|b c");
    }
}
