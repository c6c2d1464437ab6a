//! `summary.md`: the results as a Markdown table ready to paste into
//! documentation: one row per case with only the parameters that vary (the
//! constant ones said once above it), medians and speedups with their 95%
//! intervals, then the findings, the book's lessons with their verdicts,
//! and the machine the numbers came from.

use super::data::{Row, RunData, number, range_label};
use super::expectations::Checked;
use crate::experiment::columns::CASE_COLUMNS;
use crate::stats;

/// The case columns that are not parameters, or are shown another way (the
/// range's two ends as one range).
const NOT_PARAMETERS: [&str; 4] = ["experiment", "case", "range_start", "range_end"];

/// The saved run as Markdown, with the report's `findings` and its
/// checked `lessons`.
pub fn summary_md(run: &RunData, findings: &[String], lessons: &[Checked]) -> String {
    let m = &run.manifest;
    let rows = &run.summary;
    let parameters = parameters(rows);
    let (varied, constant): (Vec<_>, Vec<_>) =
        parameters.into_iter().partition(|p| distinct(rows, p) > 1);
    let mut out = format!("## {}\n\n", cell_escape(&m.title));
    if !constant.is_empty() {
        let said: Vec<String> = constant
            .iter()
            .map(|p| format!("{p} = {}", param(&rows[0], p)))
            .collect();
        out.push_str(&format!(
            "Every case: {}.\n\n",
            cell_escape(&said.join(", "))
        ));
    }
    let speedups = rows
        .iter()
        .any(|r| number(r, "speedup").is_some() || !speedup(r, rows).is_empty());
    let mut header: Vec<String> = vec!["case".into()];
    header.extend(varied.iter().cloned());
    header.push("median (95% interval)".into());
    if speedups {
        header.push("speedup (95% interval)".into());
    }
    header.push("status".into());
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    // Numbers right-aligned, words left: the case and the parameters by their
    // cells, the times and speedups always right, the status left.
    let numeric = |p: &str| rows.iter().all(|r| is_numeric(&param(r, p)));
    let mut align = vec!["---:"];
    align.extend(varied.iter().map(|p| match numeric(p) {
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
        let mut cells = vec![param(row, "case")];
        cells.extend(varied.iter().map(|p| param(row, p)));
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
            out.push_str(&format!(
                "- **{}**: {} ({})\n",
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
        machine["cpu_model"].as_str().unwrap_or("an unknown CPU"),
        machine["physical_cores"],
        machine["logical_cpus"],
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
fn parameters(rows: &[Row]) -> Vec<String> {
    let mut names = Vec::new();
    for &column in CASE_COLUMNS {
        if column == "range_start" {
            if rows.iter().any(|r| !param(r, "range").is_empty()) {
                names.push("range".to_string());
            }
            continue;
        }
        if NOT_PARAMETERS.contains(&column) {
            continue;
        }
        if rows.iter().any(|r| !param(r, column).is_empty()) {
            names.push(column.to_string());
        }
    }
    names
}

fn distinct(rows: &[Row], name: &str) -> usize {
    let mut values: Vec<String> = rows.iter().map(|r| param(r, name)).collect();
    values.sort();
    values.dedup();
    values.len()
}

/// A case's parameter as its CSV cell (the range as its label).
fn param(row: &Row, name: &str) -> String {
    let cell = |c: &str| row.get(c).cloned().unwrap_or_default();
    match name {
        "range" if cell("range_start").is_empty() => String::new(),
        "range" => range_label(&cell("range_start"), &cell("range_end")),
        _ => cell(name),
    }
}

fn is_numeric(cell: &str) -> bool {
    cell.is_empty() || cell.parse::<f64>().is_ok()
}

/// "12.3 ms (11.9–12.8)": the median and its interval in the median's unit.
fn median(row: &Row) -> String {
    let Some(median) = number(row, "median_s") else {
        return String::new();
    };
    let (scale, unit) = match median.abs() {
        a if a >= 1.0 || a == 0.0 => (1.0, "s"),
        a if a >= 1e-3 => (1e3, "ms"),
        a if a >= 1e-6 => (1e6, "µs"),
        _ => (1e9, "ns"),
    };
    let text = format!("{} {unit}", significant(median * scale));
    match (number(row, "median_lo_s"), number(row, "median_hi_s")) {
        (Some(lo), Some(hi)) => format!(
            "{text} ({}–{})",
            significant(lo * scale),
            significant(hi * scale)
        ),
        _ => text,
    }
}

/// "1.87x (1.80–1.95)"; "not measurable" where the case's time is too
/// short to divide by (summary.csv's note says why); else empty where the
/// case has no speedup.
fn speedup(row: &Row, rows: &[Row]) -> String {
    let Some(value) = number(row, "speedup") else {
        let unmeasured = |row: &Row| number(row, "median_s").is_some_and(|m| !stats::measurable(m));
        let baseline = row
            .get("baseline_case")
            .filter(|b| !b.is_empty())
            .and_then(|b| rows.iter().find(|r| r.get("case") == Some(b)));
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
    match (number(row, "speedup_lo"), number(row, "speedup_hi")) {
        (Some(lo), Some(hi)) => format!("{}x ({}–{})", x(value), x(lo), x(hi)),
        _ => format!("{}x", x(value)),
    }
}

/// The status, with the error of a case that failed.
fn status(row: &Row) -> String {
    let status = row.get("status").cloned().unwrap_or_default();
    match row.get("error").filter(|e| !e.is_empty()) {
        Some(error) => format!("{status}: {error}"),
        None => status,
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
        let row: Row = [
            ("median_s", "0.0123"),
            ("median_lo_s", "0.0119"),
            ("median_hi_s", "0.0128"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(median(&row), "12.3 ms (11.9–12.8)");
    }

    #[test]
    fn a_pipe_cannot_split_a_cell() {
        assert_eq!(cell_escape("a|b\nc"), "a\\|b c");
    }
}
