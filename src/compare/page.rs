//! The comparison's offline page (index.html): the machines, the table, the
//! chart and the unmatched cases, from an embedded minijinja template.

use minijinja::Environment;
use minijinja::value::Serde;
use serde::Serialize;

use super::table::{change, summary_line};
use super::{Outcome, Report, SideCase, Unmatched, verdict_word};
use crate::units::human_seconds;

/// The chart's size as the page shows it, if there is a chart.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ChartSize {
    pub width: u32,
    pub height: u32,
}

/// Everything the template shows.
#[derive(Serialize)]
struct View<'a> {
    experiment: &'a str,
    before: &'a str,
    after: &'a str,
    rows: Vec<Row>,
    chart: Option<ChartSize>,
    unmatched: Vec<Group>,
    summary: String,
}

#[derive(Serialize)]
struct Row {
    label: String,
    before: String,
    after: String,
    change: String,
    verdict: String,
    class: &'static str,
}

#[derive(Serialize)]
struct Group {
    heading: &'static str,
    cases: Vec<Case>,
}

#[derive(Serialize)]
struct Case {
    number: String,
    label: String,
    median: String,
}

fn median(case: &SideCase) -> String {
    case.median().map_or("–".into(), human_seconds)
}

/// The page's HTML.
pub fn html(report: &Report, chart: Option<ChartSize>) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("compare.html", include_str!("../../templates/compare.html"))?;
    let rows: Vec<Row> = report
        .matched
        .iter()
        .map(|m| {
            let (change, verdict, class) = match &m.outcome {
                Outcome::Compared(c) => {
                    let word = verdict_word(c.verdict);
                    (change(c), word.to_string(), word)
                }
                Outcome::NotCompared(why) => ("–".into(), format!("not compared: {why}"), ""),
            };
            Row {
                label: m.label.clone(),
                before: median(&m.before),
                after: median(&m.after),
                change,
                verdict,
                class,
            }
        })
        .collect();
    let group = |heading, cases: &[Unmatched]| Group {
        heading,
        cases: cases
            .iter()
            .map(|u| Case {
                number: u.case.number.to_string(),
                label: u.label.clone(),
                median: u
                    .case
                    .median()
                    .map_or_else(|| u.case.status.as_str().to_string(), human_seconds),
            })
            .collect(),
    };
    let unmatched: Vec<Group> = [
        group("Only in BEFORE", &report.only_before),
        group("Only in AFTER", &report.only_after),
    ]
    .into_iter()
    .filter(|g| !g.cases.is_empty())
    .collect();
    let view = View {
        experiment: &report.experiment,
        before: &report.before_machine,
        after: &report.after_machine,
        rows,
        chart,
        unmatched,
        summary: summary_line(&report.tally()),
    };
    Ok(env.get_template("compare.html")?.render(Serde(&view))?)
}
