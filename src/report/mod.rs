//! Reports: charts (PNG, and SVG where a chart asks for it), an HTML page and
//! the exports for documentation (`summary.json`, `summary.md`) per
//! experiment, drawn from the saved CSVs, manifest and experiment file alone,
//! so they can be redrawn without running anything.

pub mod data;
pub mod draw;
pub mod expectations;
pub mod figure;
pub mod findings;
pub mod html;
pub mod reproduce;
pub mod summary_json;
pub mod summary_md;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::console;
use crate::exit;
use crate::experiment::expect::Verdict;
use crate::experiment::schema::ChartFormat;
use crate::output::folder::{FolderError, is_our_index, replace_drawn_files};
use crate::output::write_atomic;
use data::RunData;
use html::ChartView;

/// What rendering a report produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub dir: PathBuf,
    pub charts: usize,
    /// The experiment's lessons, as the data judge them.
    pub expectations: Vec<expectations::Checked>,
}

impl Rendered {
    /// Says on stderr how the lessons fared, naming each that failed;
    /// returns how many failed.
    pub fn tell_lessons(&self) -> LessonFailures {
        let failed: Vec<&expectations::Checked> = self
            .expectations
            .iter()
            .filter(|c| c.verdict == Some(Verdict::Fails))
            .collect();
        if !self.expectations.is_empty() {
            console::error(&format!("  {}", expectations::tally(&self.expectations)));
        }
        for c in &failed {
            let unreliable = c
                .unreliable
                .as_ref()
                .map(|why| format!(" [unreliable: {why}]"))
                .unwrap_or_default();
            console::error(&format!(
                "  lesson FAILS{unreliable}: {} ({})",
                c.lesson, c.said
            ));
        }
        LessonFailures {
            failed: failed.len(),
            reliable: failed.iter().filter(|c| c.fails_reliably()).count(),
        }
    }
}

/// How many lessons failed, and how many of those on an undisturbed run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LessonFailures {
    pub failed: usize,
    pub reliable: usize,
}

impl LessonFailures {
    /// Adds another report's failures.
    pub fn add(&mut self, other: LessonFailures) {
        self.failed += other.failed;
        self.reliable += other.reliable;
    }

    /// The exit status `--strict` gives: none when no lesson failed, 5 when
    /// one failed on an undisturbed run, 6 when every failure is unreliable.
    pub fn strict_status(self) -> Option<u8> {
        match (self.failed, self.reliable) {
            (0, _) => None,
            (_, 0) => Some(exit::LESSON_FAILED_UNRELIABLE),
            _ => Some(exit::LESSON_FAILED),
        }
    }
}

/// Draws the charts and the page of the report in `dir` from its saved data;
/// `experiment_file` may bring newer chart declarations. Everything is built
/// in memory first, so a bad input leaves the existing report untouched.
pub fn render(dir: &Path, experiment_file: Option<&Path>) -> anyhow::Result<Rendered> {
    let run = RunData::read(dir, experiment_file)?;
    let declared = run.experiment.charts.clone();
    let charts = match declared.is_empty() {
        true => vec![figure::default_chart(&run)],
        false => declared,
    };
    let mut figures: Vec<(figure::Figure, Vec<String>)> = charts
        .iter()
        .map(|chart| {
            let fig = figure::figure(&run, chart);
            let said = findings::chart_findings(&fig);
            (fig, said)
        })
        .collect();
    // Every report ends with how steady the machine was.
    if let Some(fig) = figure::drift_figure(&run) {
        figures.push((fig, findings::drift_finding(&run).into_iter().collect()));
    }
    let mut expectations = expectations::check(&run);
    let mut views = Vec::new();
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    let mut chart_findings = Vec::new();
    for (i, (fig, said)) in figures.into_iter().enumerate() {
        let (width, height) = draw::size(&fig);
        let file = |format: ChartFormat| format!("chart{}.{}", i + 1, format.extension());
        for &format in &fig.chart.formats {
            let name = file(format);
            let bytes = match format {
                ChartFormat::Png => draw::png(&fig),
                ChartFormat::Svg => draw::svg(&fig).map(String::into_bytes),
            };
            images.push((
                name.clone(),
                bytes.with_context(|| format!("drawing {name}"))?,
            ));
        }
        // The page shows the PNG where there is one; an SVG-only chart as its SVG.
        let formats = &fig.chart.formats;
        let shown = match formats.contains(&ChartFormat::Png) {
            true => ChartFormat::Png,
            false => ChartFormat::Svg,
        };
        chart_findings.extend(said.iter().cloned());
        // Each lesson is shown beside the first chart that draws its cases.
        let drawn_cases: Vec<usize> = fig
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| p.case))
            .collect();
        let mut lessons = Vec::new();
        for e in expectations.iter_mut() {
            if e.chart.is_none() && e.shown_by(&drawn_cases) {
                e.chart = Some(i + 1);
                lessons.push(e.clone());
            }
        }
        views.push(ChartView {
            file: file(shown),
            svg: (shown != ChartFormat::Svg && formats.contains(&ChartFormat::Svg))
                .then(|| file(ChartFormat::Svg)),
            title: fig.title.clone(),
            alt: fig.alt(),
            width,
            height,
            findings: said,
            lessons,
        });
    }
    let run_findings = findings::run_findings(&run);
    let charts: Vec<String> = images.iter().map(|(file, _)| file.clone()).collect();
    let page = html::report_page(&run, &views, &run_findings, &expectations, &charts)?;
    // The exports carry every sentence of the page: the run's, then the charts'.
    let all_findings: Vec<String> = run_findings.into_iter().chain(chart_findings).collect();
    let exports = [
        (
            "summary.json",
            summary_json::summary_json(&run, &all_findings, &expectations),
        ),
        (
            "summary.md",
            summary_md::summary_md(&run, &all_findings, &expectations),
        ),
    ];
    for (file, bytes) in &images {
        write_atomic(&dir.join(file), bytes, false)?;
    }
    for (file, text) in &exports {
        write_atomic(&dir.join(file), text.as_bytes(), false)?;
    }
    write_atomic(&dir.join("index.html"), page.as_bytes(), false)?;
    let drawn: Vec<String> = charts
        .iter()
        .cloned()
        .chain(exports.iter().map(|(file, _)| file.to_string()))
        .collect();
    replace_drawn_files(dir, &drawn)?;
    Ok(Rendered {
        dir: dir.to_path_buf(),
        charts: views.len(),
        expectations,
    })
}

/// Rebuilds `out/index.html` from every report folder under `out`.
pub fn render_index(out: &Path) -> anyhow::Result<()> {
    let path = out.join("index.html");
    if fs::read_to_string(&path).is_ok_and(|page| !is_our_index(&page)) {
        return Err(FolderError::ForeignIndex { path }.into());
    }
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        match RunData::read(&dir, None) {
            Ok(run) => {
                let charts = run.experiment.charts.clone();
                let chart = charts
                    .first()
                    .cloned()
                    .unwrap_or_else(|| figure::default_chart(&run));
                let fig = figure::figure(&run, &chart);
                let headline = findings::chart_findings(&fig)
                    .into_iter()
                    .chain(findings::run_findings(&run))
                    .next()
                    .unwrap_or_default();
                entries.push(html::index_entry(&run, headline));
            }
            Err(e) => problems.push(format!("{}: {e:#}", dir.display())),
        }
    }
    let comparisons = comparison_pages(out);
    write_atomic(
        &out.join("index.html"),
        html::index_page(&entries, &comparisons, &problems)?.as_bytes(),
        false,
    )?;
    Ok(())
}

/// The pages `runner compare --out` wrote in folders below `out` (up to
/// three levels, e.g. python/side_by_side/chunksize/), as (link, the
/// folder's path below `out`), sorted: the index links them beside the
/// reports.
fn comparison_pages(out: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<(String, String)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if !path.is_dir() || path.join("manifest.json").is_file() {
                continue;
            }
            if path.join("compare.md").is_file() && path.join("index.html").is_file() {
                let below = path.strip_prefix(root).unwrap_or(&path);
                let name = below.to_string_lossy().into_owned();
                found.push((format!("{name}/index.html"), name));
            } else if depth < 3 {
                walk(root, &path, depth + 1, found);
            }
        }
    }
    let mut found = Vec::new();
    walk(out, out, 1, &mut found);
    found.sort();
    found
}
