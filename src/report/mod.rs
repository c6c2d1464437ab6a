//! Reports: charts (PNG) and an HTML page per experiment, drawn from the saved
//! CSVs, manifest and experiment file alone, so they can be redrawn without
//! running anything.

pub mod data;
pub mod draw;
pub mod expectations;
pub mod figure;
pub mod findings;
pub mod html;
pub mod reproduce;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::output::folder::{FolderError, is_our_index, replace_charts};
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
    pub fn tell_lessons(&self) -> usize {
        let failed: Vec<&expectations::Checked> = self
            .expectations
            .iter()
            .filter(|c| c.verdict == Some(crate::experiment::expect::Verdict::Fails))
            .collect();
        if !self.expectations.is_empty() {
            crate::console::error(&format!("  {}", expectations::tally(&self.expectations)));
        }
        for c in &failed {
            crate::console::error(&format!("  lesson FAILS: {} ({})", c.lesson, c.said));
        }
        failed.len()
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
    let mut views = Vec::new();
    let mut images = Vec::new();
    for (i, (fig, said)) in figures.into_iter().enumerate() {
        let (width, height) = draw::size(&fig);
        let file = format!("chart{}.png", i + 1);
        images.push((
            file.clone(),
            draw::png(&fig).with_context(|| format!("drawing {file}"))?,
        ));
        views.push(ChartView {
            file,
            title: fig.title.clone(),
            width,
            height,
            findings: said,
        });
    }
    let run_findings = findings::run_findings(&run);
    let expectations = expectations::check(&run);
    let page = html::report_page(&run, &views, &run_findings, &expectations)?;
    for (file, bytes) in &images {
        write_atomic(&dir.join(file), bytes, false)?;
    }
    write_atomic(&dir.join("index.html"), page.as_bytes(), false)?;
    let charts: Vec<String> = images.into_iter().map(|(file, _)| file).collect();
    replace_charts(dir, &charts)?;
    Ok(Rendered {
        dir: dir.to_path_buf(),
        charts: charts.len(),
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
    write_atomic(
        &out.join("index.html"),
        html::index_page(&entries, &problems)?.as_bytes(),
        false,
    )?;
    Ok(())
}
