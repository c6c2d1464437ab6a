//! The exports people paste into documentation: summary.json (a versioned
//! schema), summary.md (a table) and SVG charts, all written by the run and
//! rewritten, byte for byte, by `runner report`, and all listed in the
//! manifest so a new run or a redraw replaces them and leaves nothing stale.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use predicates::str::contains;
use runner::engine;
use runner::experiment::{Case, PlanOptions};
use runner::machine::Cores;
use runner::output::ReportWriter;
use runner::output::folder::ReportFolder;
use runner::output::manifest::{Manifest, Status};
use runner::report;
use runner::timing::{Clock, Timer};
use runner::workload::Context;
use serde_json::Value;

use crate::common::{self, Exp, experiment, runner};

/// A small pool sweep whose one chart is drawn as PNG and SVG.
fn svg_chart() -> String {
    Exp::small("exports")
        .top("title", "Exports of a small sweep")
        .repeats(3, 0)
        .sweep("chunksize", [1, 10, 100])
        .then(
            "[[chart]]\nx = \"chunksize\"\nseries = \"workers\"\nlog_x = true\n\
             formats = [\"png\", \"svg\"]",
        )
        .toml()
}
/// Runs `text` into `dir/reports` and returns the report folder.
fn run(dir: &Path, text: &str) -> PathBuf {
    let file = experiment(dir, "exports", text);
    let out = dir.join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out.join("exports")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn listed(report: &Path) -> Vec<String> {
    let manifest: Value =
        serde_json::from_slice(&fs::read(report.join("manifest.json")).unwrap()).unwrap();
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn summary_json_follows_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &svg_chart());
    let json: Value =
        serde_json::from_slice(&fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "runner-summary/2");
    assert_eq!(json["experiment"], "exports");
    assert_eq!(json["title"], "Exports of a small sweep");
    assert!(json["runner_version"].is_string());
    assert!(json["machine"]["cpu_model"].is_string());
    assert!(json["machine"]["logical_cpus"].is_u64());
    assert_eq!(json["schedule"], "interleaved");
    assert_eq!(json["repeats"], 3);
    assert_eq!(json["warmup"], 0);
    assert!(json["seed"].is_u64());
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6, "one entry per case");
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(case["case"], i as u64 + 1);
        assert!(case["variant"].is_null(), "no variants: {case}");
        assert_eq!(case["status"], "ok");
        assert_eq!(case["repeats"], 3);
        for key in ["best_s", "median_s", "noise_pct"] {
            assert!(case[key].is_f64(), "{key} is a number: {case}");
        }
        // The medians of CPU time and of the tasks' aggregates (issue 22).
        for key in ["user_s", "sys_s", "cpu_util"] {
            assert!(case[key].is_f64(), "{key} is a number: {case}");
        }
        for key in ["compute_frac", "dispatch_frac", "idle_frac"] {
            let frac = case[key].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&frac), "{key} is a fraction: {case}");
        }
        let interval = case["median_interval_s"].as_array().unwrap();
        assert!(interval.len() == 2 && interval.iter().all(Value::is_f64));
        assert!(case["speedup"]["value"].is_f64(), "{case}");
        assert!(case["efficiency"].is_null(), "no serial baseline: {case}");
        assert_eq!(case["answer"], 2094);
        assert!(case["error"].is_null());
        assert!(
            case["note"].is_null(),
            "summary.csv's note, none here: {case}"
        );
        let p = &case["parameters"];
        assert_eq!(p["strategy"], "pool");
        assert!(p["workers"].is_u64() && p["chunksize"].is_u64(), "{p}");
        assert!(p.get("variant").is_none() && p.get("number").is_none());
    }
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty() && findings.iter().all(Value::is_string));
    assert_eq!(json["lessons"], Value::Array(Vec::new()), "no [[expect]]");
    // The chart's ranking: a fastest case, or none beyond the noise (which
    // of the two depends on the timings, so either is right).
    assert!(
        findings.iter().any(|f| ranks(f.as_str().unwrap())),
        "{findings:?}"
    );
}

#[test]
fn summary_md_is_a_table_of_the_cases() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &svg_chart());
    let md = fs::read_to_string(report.join("summary.md")).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "## Exports of a small sweep");
    // The constant parameters once, above the table, not as columns.
    assert!(
        md.contains("Every case: strategy = pool, executor = threads"),
        "{md}"
    );
    let header = lines.iter().find(|l| l.starts_with("| case")).unwrap();
    assert_eq!(
        *header,
        "| case | workers | chunksize | tasks | median (95% interval) | speedup (95% interval) | status |"
    );
    let rows: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| case"))
        .collect();
    assert_eq!(rows.len(), 6, "a row per case: {md}");
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
        assert_eq!(cells.len(), 7, "{row}");
        let median = cells[4];
        assert!(
            median.contains("s (") && median.contains('–') && median.ends_with(')'),
            "a median with its interval: {row}"
        );
        assert!(cells[5].contains('x'), "{row}");
        assert_eq!(cells[6].trim(), "ok");
    }
    assert!(
        md.lines().any(|l| l.strip_prefix("- ").is_some_and(ranks)),
        "the findings as a list: {md}"
    );
    assert!(md.contains("\nMeasured on ") && md.contains("interleaved schedule"));
}

#[test]
fn an_svg_chart_is_drawn_listed_and_redrawn_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &svg_chart());
    let svg = fs::read_to_string(report.join("chart1.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("width=\"960\""), "the PNG's size");
    assert!(
        !report.join("chart2.svg").exists(),
        "the steadiness chart is a PNG"
    );
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("href=\"chart1.svg\"") && page.contains("src=\"chart1.png\""));
    let listed = listed(&report);
    for file in ["chart1.svg", "summary.json", "summary.md"] {
        assert!(listed.iter().any(|f| f == file), "{file} in {listed:?}");
    }
    let before = files(&report);
    runner().arg("report").arg(&report).assert().success();
    assert_eq!(files(&report), before, "the same files, byte for byte");
    // A new run takes the folder back: every file is runner's.
    run(dir.path(), &svg_chart());
}

#[test]
fn an_unknown_format_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = svg_chart().replace(r#"["png", "svg"]"#, r#"["png", "gif"]"#);
    let file = experiment(dir.path(), "exports", &text);
    let line = text.lines().position(|l| l.starts_with("formats")).unwrap() + 1;
    runner()
        .arg("check")
        .arg(&file)
        .assert()
        .failure()
        .stderr(contains(format!("exports.toml:{line}:19")))
        .stderr(contains("gif"))
        .stderr(contains("`png`, `svg`"));
    let empty = svg_chart().replace(r#"["png", "svg"]"#, "[]");
    let file = experiment(dir.path(), "exports", &empty);
    runner()
        .arg("check")
        .arg(&file)
        .assert()
        .failure()
        .stderr(contains(format!("exports.toml:{line}:11")))
        .stderr(contains("no formats"));
}

#[test]
fn a_dropped_svg_leaves_nothing_stale() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &svg_chart());
    assert!(report.join("chart1.svg").exists());
    // Redrawn from a newer file without the SVG: the old one goes.
    let png_only = svg_chart().replace("formats = [\"png\", \"svg\"]\n", "");
    let newer = experiment(dir.path(), "newer", &png_only);
    runner()
        .arg("report")
        .arg(&report)
        .arg("--experiment")
        .arg(&newer)
        .assert()
        .success();
    assert!(
        !report.join("chart1.svg").exists(),
        "the stale SVG is removed"
    );
    assert!(report.join("chart1.png").exists());
    assert!(!listed(&report).contains(&"chart1.svg".to_string()));
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(!page.contains("chart1.svg"));
    // Run again with the SVG, then without: a new run removes it too.
    run(dir.path(), &svg_chart());
    assert!(report.join("chart1.svg").exists());
    run(dir.path(), &png_only);
    assert!(!report.join("chart1.svg").exists());
    assert!(report.join("summary.json").exists() && report.join("summary.md").exists());
}

#[test]
fn an_svg_only_chart_is_shown_as_its_svg() {
    let dir = tempfile::tempdir().unwrap();
    let text = svg_chart().replace(r#"["png", "svg"]"#, r#"["svg"]"#);
    let report = run(dir.path(), &text);
    assert!(report.join("chart1.svg").exists() && !report.join("chart1.png").exists());
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("src=\"chart1.svg\""));
}

/// Whether a finding ranks a chart's cases: names the fastest, or says the
/// noise does not separate them.
fn ranks(finding: &str) -> bool {
    finding.starts_with("Fastest") || finding.contains("indistinguishable")
}

/// A clock that gives every timed run of a case the seconds its variant
/// names, whatever the work took: how a program that prints
/// `runner-time: 0`, or `1e-300`, is seen by the files,
/// without a program (command workloads refuse such times on their own).
struct VariantClock;

impl Clock for VariantClock {
    fn now(&self) -> f64 {
        0.0
    }
    fn elapsed(&self, case: &Case, _started: f64) -> f64 {
        match case.variant.as_str() {
            "zero" => 0.0,
            "tiny" => 1e-300,
            "huge" => 1e300,
            "undefined" => f64::NAN,
            // A repeat's place in its case, for a spread the bootstrap sees.
            _ => 0.010,
        }
    }
}

/// Variants of identical work whose times the [`VariantClock`] makes up.
const MADE_UP_TIMES: &str = r#"
name = "made_up"
title = "Times no clock gives"
[workload]
kind = "primes"
range = [1_000, 3_000]
[run]
strategy = "serial"
repeats = 3
warmup = 0
[[variant]]
label = "base"
[[variant]]
label = "zero"
[[variant]]
label = "tiny"
[[variant]]
label = "huge"
[[variant]]
label = "undefined"
[[expect]]
lesson = "A made-up lesson on a time of zero."
case = { variant = "zero" }
is = "faster"
than = { variant = "base" }
[[chart]]
kind = "bars"
x = "variant"
y = "median_s"
"#;

/// Runs MADE_UP_TIMES through the engine and the report writer with the
/// [`VariantClock`], into `dir`/reports/made_up.
fn run_made_up(dir: &Path) -> PathBuf {
    let file = experiment(dir, "made_up", MADE_UP_TIMES);
    let experiment = runner::experiment::load(&file).unwrap();
    let cores = Cores {
        physical: 2,
        logical: 2,
    };
    let plan = experiment.plan(cores, &PlanOptions::default());
    let out = dir.join("reports");
    let folder = ReportFolder::claim(&out, &experiment.name).unwrap();
    let manifest = Manifest::start(&experiment, &plan, Vec::new());
    let mut writer = ReportWriter::create(folder, &experiment, manifest).unwrap();
    let stop = AtomicBool::new(false);
    let timer = Timer {
        clock: &VariantClock,
        stop: &stop,
    };
    let mut context = Context::new(None);
    engine::run(&plan, &mut context, &mut [&mut writer], &timer).unwrap();
    writer.finish(Status::Complete).unwrap();
    let report = out.join(&experiment.name);
    report::render(&report, None).unwrap();
    report
}

/// Every text file of `report`: none holds an infinity, a NaN, or a number
/// of 20 digits or more.
fn assert_no_unreadable_numbers(report: &Path) {
    let long = regex_lite(20);
    for (name, bytes) in files(report) {
        if name.ends_with(".png") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-')) {
            let lower = word.to_ascii_lowercase();
            assert!(
                !["inf", "-inf", "nan", "infinity"].contains(&lower.as_str()),
                "{name} holds {word:?}"
            );
            assert!(!long(word), "{name} holds a number of {} chars", word.len());
        }
    }
}

/// Whether a word is a number with at least `digits` digits in a row.
fn regex_lite(digits: usize) -> impl Fn(&str) -> bool {
    move |word: &str| {
        word.split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() >= digits)
    }
}

#[test]
fn times_of_zero_or_beyond_reason_leave_files_runner_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_made_up(dir.path());
    assert_no_unreadable_numbers(&report);
    let summary = common::Csv::read(&report.join("summary.csv"));
    let variants = summary.column("variant");
    let cell = |column: &str, variant: &str| {
        let at = variants.iter().position(|v| *v == variant).unwrap();
        summary.column(column)[at].to_string()
    };
    for variant in ["zero", "tiny"] {
        assert_eq!(cell("status", variant), "ok", "{variant}");
        assert_eq!(cell("median_s", variant), "0.000000000", "{variant}");
        for column in ["speedup", "speedup_lo", "speedup_hi", "efficiency"] {
            assert_eq!(cell(column, variant), "", "{column} of {variant}");
        }
        let note = cell("note", variant);
        assert!(
            note.contains("no speedup or efficiency")
                && note.contains("below the clock's resolution (1 ns)"),
            "{variant}: {note}"
        );
    }
    assert!(cell("note", "tiny").contains("1e-300 s"));
    // 1e300 s is no run either: exponent form, and no ratio drawn from it.
    assert_eq!(cell("median_s", "huge"), "1e300");
    assert_eq!(cell("speedup", "huge"), "");
    assert!(cell("note", "huge").contains("beyond any plausible run"));
    // A time that is not a duration fails its case at that repeat.
    assert_eq!(cell("status", "undefined"), "failed");
    assert!(cell("error", "undefined").contains("not a duration"));
    assert_eq!(cell("speedup", "base"), "1.0000");

    let json: Value =
        serde_json::from_slice(&fs::read(report.join("summary.json")).unwrap()).unwrap();
    let zero = &json["cases"][1];
    assert_eq!(zero["variant"], "zero");
    assert!(zero["speedup"].is_null() && zero["efficiency"].is_null());
    assert!(zero["note"].as_str().unwrap().contains("no speedup"));
    let lesson = &json["lessons"][0];
    assert_eq!(lesson["verdict"], "inconclusive", "{lesson}");
    assert!(lesson["ratio"].is_null() && lesson["ratio_interval"].is_null());
    assert!(
        lesson["said"]
            .as_str()
            .unwrap()
            .contains("case 2 has a median time of 0 s"),
        "{lesson}"
    );
    let md = fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(md.contains("| not measurable |"), "{md}");

    // What runner wrote, runner reads back: a redraw, byte for byte, and a
    // comparison that leaves the unmeasurable cases uncompared.
    let before = files(&report);
    runner().arg("report").arg(&report).assert().success();
    assert_eq!(files(&report), before);
    // Named alone, from the folder of reports: its index is that folder's.
    runner()
        .current_dir(report.parent().unwrap())
        .args(["report", "made_up"])
        .assert()
        .success();
    assert_eq!(files(&report), before);
    let out = dir.path().join("cmp");
    let compared = runner()
        .args(["compare", "--out"])
        .arg(&out)
        .arg(&report)
        .arg(&report)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&compared.stdout);
    assert_eq!(compared.status.code(), Some(0), "{stdout}");
    for variant in ["zero", "tiny", "huge"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {variant} |")))
            .unwrap_or_else(|| panic!("{variant} in {stdout}"));
        assert!(
            row.contains("not compared: not measurable: BEFORE has a median time of"),
            "{row}"
        );
    }
    assert!(
        fs::read(out.join("compare.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    assert_no_unreadable_numbers(&out);
}
