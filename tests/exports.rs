//! The exports people paste into documentation: summary.json (a versioned
//! schema), summary.md (a table) and SVG charts, all written by the run and
//! rewritten, byte for byte, by `runner report`, and all listed in the
//! manifest so a new run or a redraw replaces them and leaves nothing stale.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{experiment, runner};
use predicates::str::contains;
use serde_json::Value;

const SVG_CHART: &str = r#"
name = "exports"
title = "Exports of a small sweep"
[workload]
kind = "primes"
range = [1_000, 20_000]
[run]
strategy = "pool"
repeats = 3
warmup = 0
[sweep]
workers = [1, 2]
chunksize = [1, 10, 100]
[[chart]]
x = "chunksize"
series = "workers"
log_x = true
formats = ["png", "svg"]
"#;

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
    let report = run(dir.path(), SVG_CHART);
    let json: Value =
        serde_json::from_slice(&fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "runner-summary/1");
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
        let interval = case["median_interval_s"].as_array().unwrap();
        assert!(interval.len() == 2 && interval.iter().all(Value::is_f64));
        assert!(case["speedup"]["value"].is_f64(), "{case}");
        assert!(case["efficiency"].is_null(), "no serial baseline: {case}");
        assert_eq!(case["answer"], 2094);
        assert!(case["error"].is_null());
        let p = &case["parameters"];
        assert_eq!(p["strategy"], "pool");
        assert!(p["workers"].is_u64() && p["chunksize"].is_u64(), "{p}");
        assert!(p.get("variant").is_none() && p.get("number").is_none());
    }
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty() && findings.iter().all(Value::is_string));
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
    let report = run(dir.path(), SVG_CHART);
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
    let report = run(dir.path(), SVG_CHART);
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
    run(dir.path(), SVG_CHART);
}

#[test]
fn an_unknown_format_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = SVG_CHART.replace(r#"["png", "svg"]"#, r#"["png", "gif"]"#);
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
    let empty = SVG_CHART.replace(r#"["png", "svg"]"#, "[]");
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
    let report = run(dir.path(), SVG_CHART);
    assert!(report.join("chart1.svg").exists());
    // Redrawn from a newer file without the SVG: the old one goes.
    let png_only = SVG_CHART.replace("formats = [\"png\", \"svg\"]\n", "");
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
    run(dir.path(), SVG_CHART);
    assert!(report.join("chart1.svg").exists());
    run(dir.path(), &png_only);
    assert!(!report.join("chart1.svg").exists());
    assert!(report.join("summary.json").exists() && report.join("summary.md").exists());
}

#[test]
fn an_svg_only_chart_is_shown_as_its_svg() {
    let dir = tempfile::tempdir().unwrap();
    let text = SVG_CHART.replace(r#"["png", "svg"]"#, r#"["svg"]"#);
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
