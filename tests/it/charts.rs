//! What the charts draw agrees with what their captions say (issue 24
//! item 1): every chart of times plots each case's median with its 95%
//! interval and its best repeat as a tick, so the case a caption calls
//! fastest is the lowest point drawn, even where another case's single
//! best run was lower.

use std::path::{Path, PathBuf};

use runner::report::data::RunData;
use runner::report::figure::{self, Figure, Ideal, MEDIAN_LABEL};
use runner::report::findings::chart_findings;

use crate::common::{self, Exp, runner};

/// Three cases whose times the program scripts: `spiky` has the lowest
/// single run (its first) but the slowest median but one, `steady` the
/// lowest median, `slow` the highest. Each variant counts its calls in a
/// file of its own, so interleaving does not matter.
const SCRIPTED: &str = r#"
name = "scripted"
[workload]
kind = "command"
command = ["sh", "-c", "f=DIR/{tag}.calls; n=$(cat $f 2>/dev/null || echo 0); echo $((n+1)) > $f; if [ $n -eq 0 ]; then t={first}; else t={rest}; fi; echo \"runner-time: $t\"; echo 'runner-answer: 25'"]
range = [0, 100]
answer = "primes"
clock = "program"
params = { tag = "steady", first = "0.03", rest = "0.03" }
[run]
repeats = 7
warmup = 0
[[variant]]
label = "spiky"
params = { tag = "spiky", first = "0.01", rest = "0.05" }
[[variant]]
label = "steady"
[[variant]]
label = "slow"
params = { tag = "slow", first = "0.08", rest = "0.08" }

[[chart]]
kind = "line"
x = "variant"

[[chart]]
kind = "bars"
x = "variant"
y = "best_s"
title = "Declared as best_s"

[[chart]]
kind = "bars"
x = "variant"
y = "median_s"
"#;

/// Runs the scripted experiment in `dir`; returns its report folder.
fn scripted_report(dir: &Path) -> PathBuf {
    let text = SCRIPTED.replace("DIR", &dir.display().to_string());
    let file = common::experiment(dir, "scripted", &text);
    let out = dir.join("reports");
    let run = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    out.join("scripted")
}

/// The category of a figure's lowest plotted point.
fn lowest(fig: &Figure) -> (String, f64) {
    let p = fig
        .series
        .iter()
        .flat_map(|s| &s.points)
        .min_by(|a, b| a.y.total_cmp(&b.y))
        .expect("points");
    let names = fig.categories.as_ref().expect("categories");
    (names[p.x as usize].clone(), p.y)
}

#[test]
fn the_case_a_caption_calls_fastest_is_the_lowest_point_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let report = scripted_report(dir.path());
    let run = RunData::read(&report, None).unwrap();
    assert_eq!(run.experiment.charts.len(), 3);
    for chart in &run.experiment.charts {
        let fig = figure::figure(&run, chart);
        let said = chart_findings(&fig);
        let (name, y) = lowest(&fig);
        assert_eq!(
            name, "steady",
            "{}: the lowest median is drawn lowest",
            fig.title
        );
        assert!(
            (y - 0.03).abs() < 1e-12,
            "{}: it is the median: {y}",
            fig.title
        );
        assert!(
            said[0].starts_with("Fastest: steady,"),
            "{}: {said:?}",
            fig.title
        );
        assert_eq!(fig.y_label, MEDIAN_LABEL, "{}", fig.title);
        // Every point carries its interval and its best as a tick; the
        // spiky case's tick sits below every median, as the data say.
        for p in fig.series.iter().flat_map(|s| &s.points) {
            let (lo, hi) = p.whisker.expect("an interval");
            assert!(lo <= p.y && p.y <= hi, "{}: {lo} {} {hi}", fig.title, p.y);
            assert!(p.best.is_some_and(|b| b <= p.y), "{}", fig.title);
        }
        let spiky = fig
            .categories
            .as_ref()
            .unwrap()
            .iter()
            .position(|c| c == "spiky");
        let spiky = fig
            .series
            .iter()
            .flat_map(|s| &s.points)
            .find(|p| Some(p.x as usize) == spiky)
            .unwrap();
        assert_eq!(spiky.best, Some(0.01));
        assert_eq!(spiky.y, 0.05);
    }
    // The page's images name the statistic they draw.
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    let doc = scraper::Html::parse_document(&page);
    let img = scraper::Selector::parse("figure img").unwrap();
    let alts: Vec<&str> = doc
        .select(&img)
        .filter_map(|i| i.value().attr("alt"))
        .collect();
    assert!(alts.len() >= 3, "{alts:?}");
    for alt in &alts[..3] {
        assert!(
            alt.contains("median time with its 95% interval")
                && alt.contains("best repeat as a tick"),
            "{alt}"
        );
    }
}

/// A speedup chart by workers draws the ideal line and a marker at the
/// machine's physical cores (from the manifest), and its alt text says so;
/// a time chart by workers gets the marker too.
#[test]
fn a_speedup_chart_by_workers_has_the_ideal_line_and_the_cores() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::tiny("speedups")
        .strategy("pool")
        .repeats(3, 0)
        .sweep("workers", [1, 2])
        .then("[[chart]]\nx = \"workers\"\ny = \"speedup\"\n[[chart]]\nx = \"workers\"\n")
        .write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report = out.join("speedups");
    let run = RunData::read(&report, None).unwrap();
    let physical = common::manifest(&report)["machine"]["physical_cores"]
        .as_u64()
        .unwrap();
    let [speedup, time] = [0, 1].map(|i| figure::figure(&run, &run.experiment.charts[i]));
    assert_eq!(speedup.ideal, Some(Ideal::Speedup));
    assert_eq!(time.ideal, None, "no ideal line on times");
    let plural = if physical == 1 { "" } else { "s" };
    let cores = (format!("{physical} physical core{plural}"), physical as f64);
    assert_eq!(speedup.cores.as_ref(), Some(&cores));
    assert_eq!(time.cores.as_ref(), Some(&cores));
    let alt = speedup.alt();
    assert!(alt.contains("ideal: speedup = workers"), "{alt}");
    assert!(alt.contains(&cores.0), "{alt}");
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("ideal: speedup = workers"));
}
