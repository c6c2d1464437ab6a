//! The HTML pages, from the minijinja templates embedded in the binary.

use minijinja::Environment;
use minijinja::value::Serde;
use serde::Serialize;

use super::data::{RunData, value};
use super::reproduce;
use crate::experiment::ParamName;
use crate::experiment::columns::{CaseColumn, Cell as _};
use crate::machine::or_else;
use crate::outcome::Status;
use crate::record::{Summary, SummaryRow};
use crate::stats::{self, Comparison, Verdict};
use crate::units::{human_bytes, human_seconds};

/// A chart as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// The image the page shows.
    pub file: String,
    /// The chart's SVG, linked beside the image, where one is drawn.
    pub svg: Option<String>,
    pub title: String,
    /// The image's alt text: the title and the statistic drawn.
    pub alt: String,
    pub width: u32,
    pub height: u32,
    pub findings: Vec<String>,
    /// The lessons whose cases this chart draws.
    pub lessons: Vec<super::expectations::Checked>,
}

/// An entry of the reports index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub href: String,
    pub name: String,
    pub title: String,
    pub started: String,
    pub machine: String,
    pub status: String,
    /// Why the report is stale (its experiment file changed since), if it is.
    pub stale: Option<String>,
    pub headline: String,
    /// How the experiment's lessons fared: "lessons: 3 hold of 4".
    pub lessons: String,
    /// Each lesson with its verdict, for the index's list of every lesson.
    pub checked: Vec<super::expectations::Checked>,
}

fn templates() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.add_template("report.html", include_str!("../../templates/report.html"))?;
    env.add_template("index.html", include_str!("../../templates/index.html"))?;
    Ok(env)
}

/// Everything the report template shows.
#[derive(Serialize)]
struct Page<'a> {
    title: String,
    name: &'a str,
    description: &'a str,
    started: &'a str,
    machine: String,
    /// The machine's state at the start and end, when it was recorded.
    machine_state: Option<MachineStateView>,
    status: String,
    quick: bool,
    findings: &'a [String],
    expectations: &'a [super::expectations::Checked],
    charts: &'a [ChartView],
    table: Table,
    repeats: u32,
    warmup: u32,
    command: String,
    report_dir: String,
    timing: &'a str,
    /// How to read the cases' times and answers, each said once (a command
    /// workload's clocks, the cost of spawning, unchecked answers).
    notes: Vec<String>,
    parameters: Vec<Parameter>,
    environment: Vec<Named>,
    files: Vec<String>,
}

/// The "Machine state" note: what was read, and what of it makes the
/// figures less reliable.
#[derive(Serialize)]
struct MachineStateView {
    start: String,
    end: Option<String>,
    warnings: Vec<String>,
}

fn machine_state_view(run: &RunData) -> Option<MachineStateView> {
    let states = &run.manifest.machine_state;
    let start = states.start.as_ref()?;
    let max_workers = run.max_workers();
    Some(MachineStateView {
        start: start.summary(),
        end: states.end.as_ref().map(|e| e.summary()),
        warnings: run.manifest.machine_warnings(max_workers),
    })
}

#[derive(Serialize)]
struct Table {
    header: Vec<Header>,
    rows: Vec<TableRow>,
}

#[derive(Serialize)]
struct Named {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Parameter {
    name: String,
    values: String,
}

#[derive(Serialize)]
struct Cell {
    text: String,
    class: &'static str,
}

#[derive(Serialize)]
struct Header {
    name: String,
    class: &'static str,
}

#[derive(Serialize)]
struct TableRow {
    cells: Vec<Cell>,
    class: &'static str,
}

/// A column of the results table.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// One of the case's columns, as the CSV holds it.
    Case(CaseColumn),
    /// The range, by its book name where it has one.
    Range,
    /// The number verified, by its name.
    Number,
    /// What was measured.
    Measured(Measure),
}

/// A measured column of the results table: its header, how its cell
/// reads, and how it is aligned.
#[derive(Debug, Clone, Copy)]
struct Measure {
    header: &'static str,
    cell: fn(&Summary) -> String,
    class: &'static str,
}

/// A time as the table shows it.
fn seconds(s: Option<impl Into<f64>>) -> String {
    s.map(|s| human_seconds(s.into())).unwrap_or_default()
}

/// The measured columns the results table may show, after the case's.
const MEASURES: [Measure; 17] = [
    Measure {
        header: "best",
        cell: |s| seconds(s.best_s),
        class: "",
    },
    Measure {
        header: "median",
        cell: |s| seconds(s.median_s),
        class: "",
    },
    Measure {
        header: "slowest vs best",
        cell: |s| match (s.best_s, s.max_s) {
            (Some(best), Some(max)) if best.0 > 0.0 => {
                format!("+{:.1}%", 100.0 * (max.0 - best.0) / best.0)
            }
            _ => String::new(),
        },
        class: "",
    },
    Measure {
        header: "speedup",
        cell: |s| {
            s.speedup
                .map(|v| format!("{:.2}x", v.0))
                .unwrap_or_default()
        },
        class: "",
    },
    Measure {
        header: "efficiency",
        cell: |s| {
            s.efficiency
                .map(|v| format!("{:.2}", v.0))
                .unwrap_or_default()
        },
        class: "",
    },
    Measure {
        header: "baseline",
        cell: |s| s.baseline_case.text(),
        class: "",
    },
    Measure {
        header: "per look, one worker",
        cell: |s| {
            s.look_ns
                .map(|v| format!("{:.0} ns", v.0))
                .unwrap_or_default()
        },
        class: "",
    },
    Measure {
        header: "per item",
        cell: |s| {
            s.item_ns
                .map(|v| format!("{:.0} ns", v.0))
                .unwrap_or_default()
        },
        class: "",
    },
    Measure {
        header: "workers started in",
        cell: |s| seconds(s.startup_s),
        class: "",
    },
    Measure {
        header: "task round trip",
        cell: |s| {
            let trip = s.round_trip_us;
            trip.map(|v| format!("{:.1} µs", v.0)).unwrap_or_default()
        },
        class: "",
    },
    Measure {
        header: "bytes to workers, per run",
        cell: |s| bytes(s.bytes_per_run.map(f64::from)),
        class: "",
    },
    Measure {
        header: "bytes back, per run",
        cell: |s| bytes(s.bytes_back_per_run.map(f64::from)),
        class: "",
    },
    Measure {
        header: "jobs redelivered",
        cell: |s| s.redelivered.text(),
        class: "",
    },
    Measure {
        header: "answer",
        cell: |s| s.answer.clone(),
        class: "",
    },
    Measure {
        header: "factor",
        cell: |s| s.factor.text(),
        class: "",
    },
    Measure {
        header: "status",
        cell: |s| s.status.text(),
        class: "text",
    },
    Measure {
        header: "error",
        cell: |s| s.error.clone(),
        class: "error",
    },
];

/// A count of bytes as the table shows it.
fn bytes(b: Option<f64>) -> String {
    b.map(|b| human_bytes(b as u64)).unwrap_or_default()
}

impl Column {
    /// The columns the results table may show, in order: the case's (the
    /// range and the number by name), then what was measured; empty ones
    /// are left out.
    fn all() -> Vec<Column> {
        let case = CaseColumn::ALL.iter().filter_map(|&c| match c {
            CaseColumn::RangeStart => Some(Column::Range),
            CaseColumn::NumberName => Some(Column::Number),
            CaseColumn::Experiment
            | CaseColumn::Seed
            | CaseColumn::RangeEnd
            | CaseColumn::Number
            | CaseColumn::Step => None,
            c => Some(Column::Case(c)),
        });
        case.chain(MEASURES.into_iter().map(Column::Measured))
            .collect()
    }

    fn header(self) -> String {
        match self {
            Column::Case(c) => c.as_str().replace('_', " "),
            Column::Range => ParamName::Range.as_str().into(),
            Column::Number => "number".into(),
            Column::Measured(m) => m.header.into(),
        }
    }

    /// How the column's cells are aligned: words left, numbers right.
    fn class(self) -> &'static str {
        match self {
            // The page has always aligned `enqueue` (all, odd) as numbers.
            Column::Case(CaseColumn::Enqueue) => "",
            Column::Case(c) if c.holds_words() => "text",
            Column::Case(_) => "",
            Column::Range | Column::Number => "text",
            Column::Measured(m) => m.class,
        }
    }

    fn cell(self, row: &SummaryRow) -> String {
        match self {
            // An empty variant shows its strategy.
            Column::Case(c) => value(row, c.as_str()),
            Column::Range if row.case.range_start.is_none() => String::new(),
            Column::Range => super::data::range_label(&row.case),
            Column::Number => row.case.number_name.text(),
            Column::Measured(m) => (m.cell)(&row.summary),
        }
    }
}

/// The results table: the columns any row fills, and in each group of cases
/// doing the same work, the one faster than every other beyond the noise.
fn results_table(run: &RunData) -> (Vec<Header>, Vec<TableRow>) {
    let rows = &run.summary[..];
    let columns: Vec<Column> = Column::all()
        .into_iter()
        .filter(|c| rows.iter().any(|r| !c.cell(r).is_empty()))
        .filter(|c| {
            let variant = matches!(c, Column::Case(CaseColumn::Variant));
            !variant || rows.iter().any(|r| !r.case.variant.is_empty())
        })
        .collect();
    let fastest = clear_winners(run);
    let header = columns
        .iter()
        .map(|c| Header {
            name: c.header(),
            class: c.class(),
        })
        .collect();
    let body = rows
        .iter()
        .map(|r| TableRow {
            cells: columns
                .iter()
                .map(|c| Cell {
                    text: c.cell(r),
                    class: c.class(),
                })
                .collect(),
            class: match r.summary.status {
                Status::Failed => "failed",
                Status::Skipped => "skipped",
                _ if fastest.contains(&r.case.case) => "fastest",
                _ => "",
            },
        })
        .collect();
    (header, body)
}

/// The cases that, within their group of cases doing the same work (the
/// same range or number), are faster than every other beyond the noise.
fn clear_winners(run: &RunData) -> Vec<usize> {
    let work = |r: &SummaryRow| (r.case.range_start, r.case.range_end, r.case.number);
    let ok: Vec<&SummaryRow> = run
        .summary
        .iter()
        .filter(|r| r.summary.status == Status::Ok)
        .collect();
    let mut winners = Vec::new();
    for row in &ok {
        let group: Vec<&&SummaryRow> = ok.iter().filter(|r| work(r) == work(row)).collect();
        if group.len() < 2 {
            continue;
        }
        let case = row.case.case;
        let mine = run.seconds_of(case);
        let beats_all = group.iter().filter(|r| r.case.case != case).all(|other| {
            let seed = stats::seed_for(0, case as u64, other.case.case as u64);
            Comparison::of(&mine, &run.seconds_of(other.case.case), seed)
                .is_some_and(|c| c.verdict == Verdict::Faster)
        });
        if beats_all {
            winners.push(case);
        }
    }
    winners
}

fn machine_line(run: &RunData) -> String {
    let m = &run.manifest.machine;
    format!(
        "{}, {} physical / {} logical cores",
        or_else(&m.cpu_model, "unknown CPU"),
        m.physical_cores,
        m.logical_cpus
    )
}

/// The experiment's report page.
pub fn report_page(
    run: &RunData,
    charts: &[ChartView],
    findings: &[String],
    expectations: &[super::expectations::Checked],
    chart_files: &[String],
) -> anyhow::Result<String> {
    let e = &run.experiment;
    let m = &run.manifest;
    let (header, rows) = results_table(run);
    let parameters: Vec<Parameter> = e
        .axes
        .iter()
        .map(|a| Parameter {
            name: a.name.as_str().to_string(),
            values: a
                .values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .chain(e.variants.iter().map(|v| {
            Parameter {
                name: format!("variant “{}”", v.label),
                values: match v.values.is_empty() {
                    true => "the sweep as is".into(),
                    false => v
                        .values
                        .iter()
                        .map(|p| format!("{} = {p}", p.name().as_str()))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            }
        }))
        .collect();
    let machine = &m.machine;
    let environment = [
        ("CPU", or_else(&machine.cpu_model, "unknown").to_string()),
        (
            "cores",
            format!(
                "{} physical, {} logical",
                machine.physical_cores, machine.logical_cpus
            ),
        ),
        (
            "OS",
            format!(
                "{} (kernel {})",
                or_else(&machine.os, "?"),
                or_else(&machine.kernel, "?")
            ),
        ),
        ("compiler", or_else(&machine.rustc, "?").to_string()),
        ("runner", m.runner_version.clone()),
        (
            "started / finished",
            format!(
                "{} / {}",
                m.started,
                m.finished.clone().unwrap_or_else(|| "not finished".into())
            ),
        ),
        (
            "repeats, warm-up, seed",
            format!("{}, {}, {}", m.repeats, m.warmup, m.seed),
        ),
        (
            "experiment file",
            format!(
                "{} (sha256 {})",
                m.source.path,
                &m.source.sha256[..16.min(m.source.sha256.len())]
            ),
        ),
        (
            "git",
            match (&m.source.git_commit, m.source.git_dirty) {
                (Some(c), Some(true)) => {
                    format!("{} (the file differs from it)", &c[..12.min(c.len())])
                }
                (Some(c), _) => c[..12.min(c.len())].to_string(),
                (None, _) => "not in a git repository".into(),
            },
        ),
    ]
    .into_iter()
    .map(|(name, value)| Named {
        name: name.into(),
        value,
    })
    .collect::<Vec<_>>();
    let mut files = vec!["summary.csv".to_string(), "results.csv".into()];
    files.extend(run.tables.files());
    files.extend(["experiment.toml".into(), "manifest.json".into()]);
    files.extend(["summary.json".into(), "summary.md".into()]);
    files.extend(chart_files.iter().cloned());
    // The exact command, shell-quoted, and where that command put the report
    // (hardening item 18).
    let command = reproduce::command(m);
    let report_dir = reproduce::shell_quote(&reproduce::report_dir(m).to_string_lossy());
    let page = Page {
        title: if e.title.is_empty() {
            e.name.clone()
        } else {
            e.title.clone()
        },
        name: &e.name,
        description: &e.description,
        started: &m.started,
        machine: machine_line(run),
        machine_state: machine_state_view(run),
        status: status_word(run),
        quick: m.quick,
        findings,
        expectations,
        charts,
        table: Table { header, rows },
        repeats: m.repeats,
        warmup: m.warmup,
        command,
        report_dir,
        timing: &m.timing,
        notes: case_notes(run),
        parameters,
        environment,
        files,
    };
    templates()?
        .get_template("report.html")?
        .render(Serde(&page))
        .map_err(|e| anyhow::anyhow!("the report template failed: {e:#}"))
}

/// The distinct notes of the cases, in case order.
fn case_notes(run: &RunData) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for row in &run.summary {
        let note = &row.summary.note;
        if !note.is_empty() && !notes.contains(note) {
            notes.push(note.clone());
        }
    }
    notes
}

fn status_word(run: &RunData) -> String {
    run.manifest.status_seen(&run.dir).to_string()
}

fn dir_name(run: &RunData) -> String {
    run.dir
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct IndexPage<'a> {
    reports: &'a [IndexEntry],
    /// Every lesson's verdicts counted, over every report.
    tally: String,
    lessons: Vec<LessonRow>,
    /// Pages of `runner compare` below the folder: (link, folder name).
    comparisons: &'a [(String, String)],
    problems: String,
}

/// Where a lesson stands in the chapter, from how it starts: "§3: ..." is
/// section 3; a figure is placed in its section (9-14, the queues, in 7;
/// 9-16 and 9-17, the flags, in 9); anything else ("runner's own") last.
fn chapter_place(lesson: &str) -> u32 {
    let digits = |s: &str| -> Option<u32> {
        let n: String = s.chars().take_while(char::is_ascii_digit).collect();
        n.parse().ok()
    };
    if let Some(rest) = lesson.strip_prefix('§') {
        return digits(rest).unwrap_or(99);
    }
    match lesson.strip_prefix("Fig. 9-").and_then(digits) {
        Some(14) => 7,
        Some(16 | 17) => 9,
        Some(_) => 50,
        None => 99,
    }
}

/// One lesson in the index's list of every lesson.
#[derive(Serialize)]
struct LessonRow {
    lesson: String,
    word: &'static str,
    said: String,
    href: String,
    report: String,
}

/// The index of every report.
pub fn index_page(
    entries: &[IndexEntry],
    comparisons: &[(String, String)],
    problems: &[String],
) -> anyhow::Result<String> {
    // Every lesson of every report, in the chapter's order (lessons start
    // with their section or figure), each linked to its evidence.
    let mut lessons: Vec<LessonRow> = entries
        .iter()
        .flat_map(|e| {
            e.checked.iter().map(|c| LessonRow {
                lesson: c.lesson.clone(),
                word: c.word,
                said: match &c.unreliable {
                    Some(why) => format!("Unreliable: {why}. {}", c.said),
                    None => c.said.clone(),
                },
                href: format!("{}#lessons", e.href),
                report: e.name.clone(),
            })
        })
        .collect();
    lessons.sort_by(|a, b| {
        (chapter_place(&a.lesson), &a.lesson, &a.report).cmp(&(
            chapter_place(&b.lesson),
            &b.lesson,
            &b.report,
        ))
    });
    let every: Vec<super::expectations::Checked> = entries
        .iter()
        .flat_map(|e| e.checked.iter().cloned())
        .collect();
    let page = IndexPage {
        reports: entries,
        tally: super::expectations::tally(&every),
        lessons,
        comparisons,
        problems: problems.join("; "),
    };
    templates()?
        .get_template("index.html")?
        .render(Serde(&page))
        .map_err(|e| anyhow::anyhow!("the index template failed: {e:#}"))
}

/// The index entry for a run.
pub fn index_entry(run: &RunData, headline: String) -> IndexEntry {
    let name = dir_name(run);
    let checked = super::expectations::check(run);
    IndexEntry {
        href: format!("{name}/index.html"),
        title: if run.experiment.title.is_empty() {
            name.clone()
        } else {
            run.experiment.title.clone()
        },
        name,
        started: run.manifest.started.clone(),
        machine: machine_line(run),
        status: status_word(run),
        stale: run.manifest.source.changed_since(),
        headline,
        lessons: super::expectations::tally(&checked),
        checked,
    }
}
