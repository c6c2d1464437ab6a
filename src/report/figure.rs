//! From a chart declaration and the saved rows to a `Figure`: plain series
//! of points, ready to draw and to describe in words.

use std::collections::BTreeMap;

use super::data::{RunData, value};
use crate::experiment::ChunkRule;
use crate::experiment::schema::{ChartFormat, ChartKind};
use crate::experiment::{Chart, ParamName, Strategy, WorkloadKind};
use crate::outcome::{FactorRow, SampleRow, Status};
use crate::primes::named_range;
use crate::record::rows::Cased;
use crate::record::{Summary, SummaryRow};

/// One point: where it is, its whisker, and the times it was drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// The two ends of its whisker (the figure's `whisker` says what they
    /// are), where there is more than one repeat.
    pub whisker: Option<(f64, f64)>,
    /// The seconds of its case's correct timed runs (from results.csv), for
    /// comparisons beyond the noise; empty for table rows.
    pub samples: Vec<f64>,
    /// The case of the summary row it came from (for findings), if any.
    pub case: Option<usize>,
    /// Set on the `default` chunksize, so it can be marked.
    pub is_default: bool,
    /// The best of its case's repeats, drawn as a small tick beside the
    /// median (the book's headline figure), on charts of times.
    pub best: Option<f64>,
    /// Its case's median time (summary.csv's `median_s`), which findings
    /// rank by, so a sentence and the drawn point name the same fastest.
    pub median: Option<f64>,
}

/// One line, group of bars or cloud of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<Point>,
}

/// A chart's data, with everything needed to draw and describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub chart: Chart,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Category names when x is not numeric (x is then the category index).
    pub categories: Option<Vec<String>>,
    pub series: Vec<Series>,
    /// Whether y is a time in seconds (for unit-aware labels).
    pub y_is_seconds: bool,
    /// What a point, its whisker and its tick stand for, one legend line each.
    pub whisker: Option<&'static [&'static str]>,
    /// A baseline the chart leaves out but its cases are measured against:
    /// drawn as a line across, e.g. ("serial loop", its time).
    pub reference: Option<(String, f64)>,
    /// The line a perfect parallel program would follow, on a chart of
    /// speedup or efficiency by workers.
    pub ideal: Option<Ideal>,
    /// A vertical marker at the machine's physical cores (from the
    /// manifest), with its label, on a chart by workers.
    pub cores: Option<(String, f64)>,
}

/// The line a perfect parallel program would follow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ideal {
    /// Speedup equal to the workers: y = x.
    Speedup,
    /// Efficiency 1 at every worker count: y = 1.
    Efficiency,
}

impl Ideal {
    /// Its label on the chart.
    pub fn label(self) -> &'static str {
        match self {
            Ideal::Speedup => "ideal: speedup = workers",
            Ideal::Efficiency => "ideal: efficiency 1",
        }
    }
}

/// The y label of a chart of times: the statistic drawn, its interval and
/// the tick, so that no reader takes the point for the best run.
pub const MEDIAN_LABEL: &str = "median time (95% interval), best as a tick";

/// Whether a chart of `y` draws each case's median time with its interval
/// and its best as a tick. `best_s` is kept for files written before
/// charts drew medians: the words rank by medians, so the picture does too
/// (issue 24 item 1).
pub fn draws_median(y: &str) -> bool {
    matches!(y, "best_s" | "median_s")
}

/// A row a chart reads: a case's summary, or a row of a workload's table.
#[derive(Debug, Clone, Copy)]
enum Drawn<'a> {
    Case(&'a SummaryRow),
    Sample(&'a Cased<SampleRow>),
    Factor(&'a Cased<FactorRow>),
}

impl<'a> Drawn<'a> {
    /// The summary row, for a case's row.
    fn summary(self) -> Option<&'a SummaryRow> {
        match self {
            Drawn::Case(row) => Some(row),
            Drawn::Sample(_) | Drawn::Factor(_) => None,
        }
    }

    /// The number of the case the row belongs to.
    fn case(self) -> usize {
        match self {
            Drawn::Case(row) => row.case.case,
            Drawn::Sample(row) => row.case,
            Drawn::Factor(row) => row.case,
        }
    }

    /// Whether the row has the column `column`.
    fn has(self, column: &str) -> bool {
        match self {
            Drawn::Case(row) => row.has(column),
            Drawn::Sample(row) => row.has(column),
            Drawn::Factor(row) => row.has(column),
        }
    }

    /// The cell of the column `column` as a number, if it is one.
    fn number(self, column: &str) -> Option<f64> {
        let cell = match self {
            Drawn::Case(row) => row.get(column),
            Drawn::Sample(row) => row.get(column),
            Drawn::Factor(row) => row.get(column),
        };
        cell?.parse().ok()
    }

    /// What a chart shows for `name` (see [`value`]); a table's row has no
    /// range, number or variant of its own.
    fn value(self, name: &str) -> String {
        let own = |cell: Option<String>| cell.unwrap_or_default();
        match self {
            Drawn::Case(row) => value(row, name),
            _ if ParamName::from_key(name) == Some(ParamName::Range) => named_range::label("", ""),
            Drawn::Sample(row) => own(row.get(name)),
            Drawn::Factor(row) => own(row.get(name)),
        }
    }
}

/// The whisker of a chart of `y`: its two ends in `row`, and its legend.
type Whisker = (fn(&Summary) -> [Option<f64>; 2], &'static [&'static str]);

/// The whisker of a chart of `y`, if its points have one.
fn whisker_of(y: &str) -> Option<Whisker> {
    match y {
        _ if draws_median(y) => Some((
            |s| [s.median_lo_s.map(f64::from), s.median_hi_s.map(f64::from)],
            &[
                "point/bar: median repeat",
                "whisker: its 95% interval",
                "tick: best repeat",
            ],
        )),
        "speedup" => Some((
            |s| [s.speedup_lo.map(f64::from), s.speedup_hi.map(f64::from)],
            &["point/bar: ratio of medians", "whisker: its 95% interval"],
        )),
        "efficiency" => Some((
            |s| {
                [
                    s.efficiency_lo.map(f64::from),
                    s.efficiency_hi.map(f64::from),
                ]
            },
            &["point/bar: speedup per worker", "whisker: its 95% interval"],
        )),
        _ => None,
    }
}

/// The chart an experiment gets when it declares none.
pub fn default_chart(run: &RunData) -> Chart {
    let e = &run.experiment;
    let axes: Vec<&str> = e
        .axes
        .iter()
        .filter(|a| a.values.len() > 1)
        .map(|a| a.name.as_str())
        .collect();
    let (kind, x, y, series, log_y) = match e.workload {
        WorkloadKind::CheckCost => (ChartKind::Scatter, "n", "seconds", Some("prime"), false),
        WorkloadKind::FactorFrequency => (ChartKind::Hbars, "factor", "count", None, true),
        WorkloadKind::Verify => (ChartKind::Bars, "number", "median_s", Some("variant"), true),
        WorkloadKind::Command if !e.numbers.is_empty() => {
            (ChartKind::Bars, "number", "median_s", Some("variant"), true)
        }
        WorkloadKind::Primes | WorkloadKind::Command => {
            let x = axes.first().copied().unwrap_or(if e.variants.is_empty() {
                ParamName::Strategy.as_str()
            } else {
                "variant"
            });
            (ChartKind::Line, x, "median_s", axes.get(1).copied(), false)
        }
    };
    Chart {
        kind,
        x: x.into(),
        y: y.into(),
        series: series.map(String::from),
        log_x: false,
        log_y,
        title: None,
        filter: BTreeMap::new(),
        formats: vec![ChartFormat::Png],
    }
}

/// Builds the figure for `chart` from the run's rows.
pub fn figure(run: &RunData, chart: &Chart) -> Figure {
    let rows: Vec<Drawn> = source_rows(run, chart)
        .into_iter()
        .filter(|r| passes(*r, chart, run))
        .collect();
    let rows = match chart.y.as_str() {
        "count" => one_histogram_per_range(run, chart, rows),
        _ => rows,
    };
    let range = ParamName::Range.as_str();
    let ranges: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for row in &rows {
            let range = value_for(run, *row, range);
            if !seen.contains(&range) {
                seen.push(range);
            }
        }
        seen
    };
    let xs: Vec<String> = rows.iter().map(|r| r.value(&chart.x)).collect();
    let numeric = chart.kind != ChartKind::Bars
        && chart.kind != ChartKind::Hbars
        && xs.iter().all(|x| x.parse::<f64>().is_ok());
    let categories = (!numeric).then(|| {
        let mut seen: Vec<String> = Vec::new();
        for x in &xs {
            if !seen.contains(x) {
                seen.push(x.clone());
            }
        }
        if chart.kind == ChartKind::Hbars {
            seen.sort_by(|a, b| natural(a).total_cmp(&natural(b)).then(a.cmp(b)));
        }
        seen
    });
    let mut series: Vec<Series> = Vec::new();
    // A chart of times draws the median (see [`draws_median`]).
    let column = match draws_median(&chart.y) {
        true => "median_s",
        false => chart.y.as_str(),
    };
    for (row, x_text) in rows.iter().zip(&xs) {
        let Some(y) = row.number(column) else {
            continue;
        };
        let x = match &categories {
            Some(names) => names.iter().position(|n| n == x_text).unwrap_or(0) as f64,
            None => x_text.parse().unwrap_or(0.0),
        };
        let summary = row.summary();
        let whisker = whisker_of(&chart.y)
            .zip(summary.filter(|s| s.summary.repeats > 1))
            .and_then(|((ends, _), s)| {
                let [lo, hi] = ends(&s.summary);
                lo.zip(hi)
            });
        let samples = match summary {
            Some(s) => run.seconds_of(s.case.case),
            None => Vec::new(),
        };
        let name = match &chart.series {
            // Histograms of different ranges stay apart even within a series.
            Some(s) if chart.y == "count" && ranges.len() > 1 => format!(
                "{}, {}",
                series_name(s, &value_for(run, *row, s), *row),
                value_for(run, *row, range)
            ),
            Some(s) => series_name(s, &value_for(run, *row, s), *row),
            // Histograms of different ranges are drawn side by side, never summed.
            None if chart.y == "count" && ranges.len() > 1 => value_for(run, *row, range),
            None => String::new(),
        };
        let point = Point {
            x,
            y,
            whisker,
            samples,
            case: summary.map(|s| s.case.case),
            is_default: chart.x == ParamName::Chunksize.as_str()
                && summary.is_some_and(|s| s.case.chunk_rule == Some(ChunkRule::Default)),
            best: summary
                .filter(|_| draws_median(&chart.y))
                .and_then(|s| s.summary.best_s.map(f64::from)),
            median: summary.and_then(|s| s.summary.median_s.map(f64::from)),
        };
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                name,
                points: vec![point],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    Figure {
        title: chart
            .title
            .clone()
            .unwrap_or_else(|| default_title(chart, run)),
        x_label: axis_label(&chart.x),
        y_label: match draws_median(&chart.y) {
            true => MEDIAN_LABEL.into(),
            false => axis_label(&chart.y),
        },
        y_is_seconds: chart.y.ends_with("_s") || chart.y == "seconds",
        whisker: whisker_of(&chart.y).map(|(_, legend)| legend),
        reference: serial_reference(run, chart, &rows),
        ideal: ideal_line(chart, categories.is_some()),
        cores: cores_marker(run, chart, categories.is_some()),
        categories,
        series,
        chart: chart.clone(),
    }
}

/// The steadiness chart: every correct timed run's time over its case's
/// median, in the order the runs ran, so a reader sees whether the machine
/// stayed steady (a flat cloud about 1) or drifted (a slope). `None` with
/// too few runs to say.
pub fn drift_figure(run: &RunData) -> Option<Figure> {
    let series = run.drift_series();
    if series.len() < 6 {
        return None;
    }
    let chart = Chart {
        kind: ChartKind::Scatter,
        x: "position".into(),
        y: "relative_time".into(),
        series: None,
        log_x: false,
        log_y: false,
        title: None,
        filter: BTreeMap::new(),
        formats: vec![ChartFormat::Png],
    };
    let points = series
        .into_iter()
        .map(|(position, relative)| Point {
            x: position as f64,
            y: relative,
            whisker: None,
            samples: Vec::new(),
            case: None,
            is_default: false,
            best: None,
            median: None,
        })
        .collect();
    Some(Figure {
        title: format!(
            "Steadiness: each timed run over its case's median, in order ({})",
            run.manifest.schedule
        ),
        x_label: "position in the run (timed runs, in the order they ran)".into(),
        y_label: "time over its case's median".into(),
        categories: None,
        series: vec![Series {
            name: String::new(),
            points,
        }],
        y_is_seconds: false,
        whisker: None,
        reference: None,
        ideal: None,
        cores: None,
        chart,
    })
}

/// The ideal line of a chart of speedup or efficiency by workers (numeric,
/// so the line can be drawn through the workers' values).
fn ideal_line(chart: &Chart, categorical: bool) -> Option<Ideal> {
    let by_workers = chart.x == ParamName::Workers.as_str() && !categorical;
    match chart.y.as_str() {
        "speedup" if by_workers => Some(Ideal::Speedup),
        "efficiency" if by_workers => Some(Ideal::Efficiency),
        _ => None,
    }
}

/// The marker at the machine's physical cores, on a chart by workers: past
/// it, more workers share cores, so a reader looks there for the bend.
fn cores_marker(run: &RunData, chart: &Chart, categorical: bool) -> Option<(String, f64)> {
    if chart.x != ParamName::Workers.as_str() || categorical {
        return None;
    }
    // A manifest that does not know the cores (0) gets no marker.
    let physical = run.manifest.machine.physical_cores;
    if physical == 0 {
        return None;
    }
    let plural = if physical == 1 { "" } else { "s" };
    Some((format!("{physical} physical core{plural}"), physical as f64))
}

impl Figure {
    /// The image's alt text: the title, then what a point, its whisker and
    /// the lines stand for, so the statistic is named without the picture.
    pub fn alt(&self) -> String {
        let mut parts = vec![self.title.clone()];
        let by = format!("by {}", self.x_label);
        match self.chart.y.as_str() {
            y if draws_median(y) => parts.push(format!(
                "each case's median time with its 95% interval as a whisker and its best repeat as a tick, {by}"
            )),
            "speedup" => parts.push(format!(
                "speedup (ratio of medians) with its 95% interval as a whisker, {by}"
            )),
            "efficiency" => parts.push(format!(
                "parallel efficiency (speedup per worker) with its 95% interval as a whisker, {by}"
            )),
            _ => parts.push(format!("{} {by}", self.y_label)),
        }
        if let Some(ideal) = self.ideal {
            parts.push(format!("dashed line: {}", ideal.label()));
        }
        if let Some((label, _)) = &self.cores {
            parts.push(format!("vertical line at the machine's {label}"));
        }
        if let Some((label, _)) = &self.reference {
            parts.push(format!("grey line across: the {label}"));
        }
        parts.join("; ")
    }
}

/// The serial loop's time on the same work, when a time chart leaves the
/// serial case out (its filter keeps parallel cases only): a queue chart
/// then still shows what every queue is measured against.
fn serial_reference(run: &RunData, chart: &Chart, plotted: &[Drawn]) -> Option<(String, f64)> {
    let is_time = chart.y.ends_with("_s");
    let serial = |r: &SummaryRow| r.case.strategy == Strategy::Serial;
    let plotted: Vec<&SummaryRow> = plotted.iter().filter_map(|r| r.summary()).collect();
    if !is_time || plotted.is_empty() || plotted.iter().any(|r| serial(r)) {
        return None;
    }
    let work = |r: &SummaryRow| {
        let c = &r.case;
        (c.range_start, c.range_end, c.number, c.kernel)
    };
    let first = work(plotted[0]);
    if plotted.iter().any(|r| work(r) != first) {
        return None; // several inputs: no one baseline
    }
    let base = run
        .summary
        .iter()
        .filter(|r| r.summary.status == Status::Ok)
        .find(|r| serial(r) && work(r) == first)?;
    Some(("serial loop".into(), Drawn::Case(base).number(&chart.y)?))
}

/// The rows a chart reads: a workload's table when it plots one, else the summary.
fn source_rows<'a>(run: &'a RunData, chart: &Chart) -> Vec<Drawn<'a>> {
    let tables = &run.tables;
    match (chart.y.as_str(), &tables.samples, &tables.factors) {
        ("seconds", Some(rows), _) => rows.iter().map(Drawn::Sample).collect(),
        ("count", _, Some(rows)) => rows.iter().map(Drawn::Factor).collect(),
        _ => run
            .summary
            .iter()
            .filter(|r| r.summary.status == Status::Ok)
            .map(Drawn::Case)
            .collect(),
    }
}

/// The summary row of the case a table row belongs to (a summary row is its own).
fn case_row<'a>(run: &'a RunData, row: Drawn<'a>) -> Option<&'a SummaryRow> {
    row.summary().or_else(|| run.case(row.case()))
}

/// `name` for a row: from the row itself when it has the column, else from
/// its case (a factors.csv row has no strategy or range of its own).
fn value_for(run: &RunData, row: Drawn, name: &str) -> String {
    let own = match name {
        "number" => row.has("number_name"),
        _ if ParamName::from_key(name) == Some(ParamName::Range) => row.has("range_start"),
        _ => row.has(name),
    };
    match (own, case_row(run, row)) {
        (false, Some(case)) => value(case, name),
        _ => row.value(name),
    }
}

/// The factor rows of one correct case per range (and series value): every
/// correct case on a range has the same oracle-checked histogram, so adding
/// cases up would count each non-prime once per case (hardening item 11).
fn one_histogram_per_range<'a>(
    run: &'a RunData,
    chart: &Chart,
    rows: Vec<Drawn<'a>>,
) -> Vec<Drawn<'a>> {
    let mut chosen: Vec<((String, String), usize)> = Vec::new();
    let ok = |row: Drawn<'a>| case_row(run, row).is_some_and(|c| c.summary.status == Status::Ok);
    let range = ParamName::Range.as_str();
    rows.into_iter()
        .filter(|row| ok(*row))
        .filter(|row| {
            let series = chart
                .series
                .as_ref()
                .map(|s| value_for(run, *row, s))
                .unwrap_or_default();
            let key = (value_for(run, *row, range), series);
            let case = row.case();
            match chosen.iter().find(|(k, _)| *k == key) {
                Some((_, first)) => *first == case,
                None => {
                    chosen.push((key, case));
                    true
                }
            }
        })
        .collect()
}

/// Whether a row passes the chart's filter. A table row is judged by the
/// summary row of its case.
fn passes(row: Drawn, chart: &Chart, run: &RunData) -> bool {
    let case_row = case_row(run, row);
    chart.filter.iter().all(|(key, allowed)| {
        let seen = case_row.map(|r| value(r, key)).unwrap_or_default();
        allowed.contains(&seen)
    })
}

/// A series' name as a reader wants it: "serial" for the cases a parameter
/// does not apply to, "prime" rather than "true".
fn series_name(param: &str, value: &str, row: Drawn) -> String {
    let serial = row
        .summary()
        .is_some_and(|r| r.case.strategy == Strategy::Serial);
    match (param, value) {
        ("prime", "true") => "primes".into(),
        ("prime", "false") => "non-primes".into(),
        (_, "") if serial => "serial".into(),
        (p, "") => format!("no {}", p.replace('_', " ")),
        (p, v) if v.parse::<f64>().is_ok() => format!("{} {v}", p.replace('_', " ")),
        (_, v) => v.to_string(),
    }
}

/// Sorts "13" after "7": the numeric value of a label, if any.
fn natural(label: &str) -> f64 {
    label.parse().unwrap_or(f64::INFINITY)
}

/// An axis title with its unit.
pub fn axis_label(name: &str) -> String {
    let parameter = match ParamName::from_key(name) {
        Some(ParamName::Chunksize) => Some("chunksize (numbers per task)"),
        Some(ParamName::NbrChunks) => Some("number of chunks asked for"),
        Some(ParamName::Workers) => Some("worker threads"),
        Some(ParamName::CheckEvery) => Some("candidates between two looks at the flag"),
        _ => None,
    };
    if let Some(label) = parameter {
        return label.into();
    }
    match name {
        // A chart of `best_s` draws medians too (see [`draws_median`]).
        "best_s" | "median_s" => "median time".into(),
        "mean_s" => "mean time".into(),
        "max_s" => "slowest repeat".into(),
        "stddev_s" => "standard deviation of the time".into(),
        "seconds" => "time for one check".into(),
        "speedup" => "speedup over the baseline (x)".into(),
        "efficiency" => "parallel efficiency (speedup / workers)".into(),
        "count" => "how often it is the smallest factor".into(),
        "n" => "n".into(),
        "factor" => "smallest factor".into(),
        other => other.replace('_', " "),
    }
}

fn default_title(chart: &Chart, run: &RunData) -> String {
    let y = axis_label(&chart.y);
    let x = axis_label(&chart.x);
    match &chart.series {
        Some(s) => format!("{}: {y} by {x} and {}", run.experiment.title, axis_label(s)),
        None => format!("{}: {y} by {x}", run.experiment.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::chart::METRICS;

    /// A chart names its axes by column: every measured value a chart may
    /// plot, and every table column it may put on x, is a column of the rows
    /// the chart reads, so renaming one fails here rather than leaving a
    /// chart silently empty.
    #[test]
    fn every_chart_metric_is_a_column_of_the_rows_it_reads() {
        for y in METRICS {
            assert!(Summary::COLUMNS.contains(y), "{y}");
        }
        for y in ["best_s", "median_s", "speedup", "efficiency"] {
            assert!(METRICS.contains(&y) && whisker_of(y).is_some(), "{y}");
        }
        for column in ["n", "prime", "seconds"] {
            assert!(SampleRow::COLUMNS.contains(&column), "{column}");
        }
        for column in ["factor", "count"] {
            assert!(FactorRow::COLUMNS.contains(&column), "{column}");
        }
        for &p in ParamName::ALL {
            let column = p == ParamName::Range || SummaryRow::has_column(p.as_str());
            assert!(column, "{p:?}");
        }
    }
}
