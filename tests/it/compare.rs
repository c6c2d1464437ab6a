//! `runner compare BEFORE AFTER`: a run against itself is
//! indistinguishable everywhere; a copy whose times are all 1.5 times longer
//! is slower by 50% in every case (exact by construction, as the ratio of
//! medians scales) and fails `--fail-above 10`; a case on one side only is
//! listed and never fails; bad folders are named with status 2.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use predicates::str::contains;

use crate::common::{Exp, Raw, runner};

/// Three serial cases that differ by their range, with enough repeats for
/// intervals narrower than the 1.5x the tests put between two sides.
fn tiny() -> Exp {
    Exp::primes("tiny")
        .strategy("serial")
        .repeats(15, 1)
        .sweep("range", [[1_000, 20_000], [1_000, 40_000], [1_000, 60_000]])
}

/// Runs [`tiny`] into `dir`/reports and returns its report folder.
fn run_tiny(dir: &Path) -> PathBuf {
    let file = tiny().write(dir);
    let out = dir.join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out.join("tiny")
}

/// Copies a report folder's files (not its lock).
fn copy_report(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_file() && name != ".lock" {
            fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// Rewrites a CSV file, passing each row (by column name) through `edit`;
/// rows for which it returns false are dropped.
fn rewrite_csv(path: &Path, mut edit: impl FnMut(&csv::StringRecord, &mut Vec<String>) -> bool) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(&header).unwrap();
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(String::from).collect();
        if edit(&header, &mut cells) {
            writer.write_record(&cells).unwrap();
        }
    }
    writer.flush().unwrap();
}

fn column(header: &csv::StringRecord, name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

/// The Markdown table's rows (without its header), as cells.
fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| case |"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The change in per cent a row states ("+50.0% (+41.2% to +58.3%)" -> 50.0).
fn change_percent(cell: &str) -> f64 {
    cell.split('%').next().unwrap().parse().unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn a_run_against_itself_is_indistinguishable_in_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path());
    let output = runner()
        .args(["compare", "--fail-above", "10"])
        .arg(&report)
        .arg(&report)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let rows = table_rows(&stdout);
    assert_eq!(rows.len(), 3, "{stdout}");
    for row in &rows {
        assert_eq!(row[4], "indistinguishable", "{stdout}");
        assert_eq!(change_percent(&row[3]), 0.0, "{stdout}");
    }
    assert!(stdout.contains("- BEFORE: ") && stdout.contains("- AFTER: "));
    assert!(
        stdout.contains("0 faster, 0 slower, 3 indistinguishable, 0 unmatched"),
        "{stdout}"
    );
}

#[test]
fn times_half_as_long_again_are_slower_by_half_and_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let before = run_tiny(dir.path());
    // Times set, not measured: 10 ms within 0.8%, so that the verdicts do
    // not depend on how busy the machine was while the suite ran.
    let mut n = 0;
    rewrite_csv(&before.join("results.csv"), |header, cells| {
        let i = column(header, "seconds");
        if cells[i].parse::<f64>().is_ok() {
            cells[i] = format!("{:.9}", 0.010 * (1.0 + 0.002 * (n % 5) as f64));
            n += 1;
        }
        true
    });
    let after = dir.path().join("after");
    copy_report(&before, &after);
    rewrite_csv(&after.join("results.csv"), |header, cells| {
        let i = column(header, "seconds");
        if let Ok(s) = cells[i].parse::<f64>() {
            cells[i] = format!("{:.9}", s * 1.5);
        }
        true
    });
    let output = runner()
        .arg("compare")
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "no gate, no failure");
    let rows = table_rows(&stdout);
    assert_eq!(rows.len(), 3, "{stdout}");
    for row in &rows {
        assert_eq!(row[4], "slower", "{stdout}");
        let change = change_percent(&row[3]);
        assert!((40.0..=60.0).contains(&change), "{stdout}");
    }
    assert!(stdout.contains("0 faster, 3 slower"), "{stdout}");
    runner()
        .args(["compare", "--fail-above", "10"])
        .arg(&before)
        .arg(&after)
        .assert()
        .code(1)
        .stderr(contains("slower by more than 10% beyond the noise"));
    // The other way round, every case is faster, and the gate passes.
    let output = runner()
        .args(["compare", "--fail-above", "10"])
        .arg(&after)
        .arg(&before)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        table_rows(&stdout).iter().all(|r| r[4] == "faster"),
        "{stdout}"
    );
}

#[test]
fn a_case_on_one_side_only_is_listed_and_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let before = run_tiny(dir.path());
    let after = dir.path().join("after");
    copy_report(&before, &after);
    // AFTER without case 2 (the range [1000, 40000)), and its case 3
    // renumbered 2: cases are matched by parameters, not numbers.
    for file in ["results.csv", "summary.csv"] {
        rewrite_csv(&after.join(file), |header, cells| {
            let i = column(header, "case");
            match cells[i].as_str() {
                "2" => false,
                "3" => {
                    cells[i] = "2".into();
                    true
                }
                _ => true,
            }
        });
    }
    let manifest_path = after.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&manifest_path).unwrap()).unwrap();
    for key in ["cases_planned", "cases_done"] {
        manifest[key] = (manifest[key].as_u64().unwrap() - 1).into();
    }
    fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();

    let output = runner()
        .args(["compare", "--fail-above", "0"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(table_rows(&stdout).len(), 2, "{stdout}");
    assert!(
        table_rows(&stdout)
            .iter()
            .all(|r| r[4] == "indistinguishable"),
        "the same data matched by parameters: {stdout}"
    );
    let only = stdout.split("## Only in BEFORE").nth(1).expect(&stdout);
    assert!(only.contains("case 2: [1000, 40000)"), "{stdout}");
    assert!(!stdout.contains("## Only in AFTER"), "{stdout}");
    assert!(stdout.contains(", 1 unmatched"), "{stdout}");

    let output = runner()
        .args(["compare", "--fail-above", "0"])
        .arg(&after)
        .arg(&before)
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("## Only in AFTER"), "{stdout}");
}

#[test]
fn a_missing_or_foreign_folder_is_named_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path());
    let missing = dir.path().join("no-such-report");
    runner()
        .arg("compare")
        .arg(&missing)
        .arg(&report)
        .assert()
        .code(2)
        .stderr(contains("no-such-report").and(contains("does not exist")));
    runner()
        .arg("compare")
        .arg(&report)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("AFTER folder").and(contains("not a report folder")));
    // Another experiment's report is other work, refused.
    let other = dir.path().join("other");
    copy_report(&report, &other);
    let manifest_path = other.join("manifest.json");
    let text = fs::read_to_string(&manifest_path).unwrap();
    fs::write(
        &manifest_path,
        text.replace("\"experiment\": \"tiny\"", "\"experiment\": \"other\""),
    )
    .unwrap();
    runner()
        .arg("compare")
        .arg(&report)
        .arg(&other)
        .assert()
        .code(2)
        .stderr(contains("holds \"other\""));
    // A damaged results.csv is named.
    let damaged = dir.path().join("damaged");
    copy_report(&report, &damaged);
    fs::write(damaged.join("results.csv"), "nothing,here\n1,2\n").unwrap();
    runner()
        .arg("compare")
        .arg(&report)
        .arg(&damaged)
        .assert()
        .code(2)
        .stderr(contains("results.csv"));
}

#[test]
fn out_writes_the_table_a_chart_and_a_page_and_keeps_others_files() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path());
    let out = dir.path().join("cmp");
    let output = runner()
        .args(["compare", "--out"])
        .arg(&out)
        .arg(&report)
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let md = fs::read_to_string(out.join("compare.md")).unwrap();
    assert_eq!(md.trim_end(), stdout_of(&output).trim_end());
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("compare.png") && page.contains("indistinguishable"));
    let png = fs::read(out.join("compare.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // Again into the same folder: it holds only a comparison's files.
    runner()
        .args(["compare", "--out"])
        .arg(&out)
        .arg(&report)
        .arg(&report)
        .assert()
        .success();
    // A folder with someone else's file is refused, and the file kept.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    runner()
        .args(["compare", "--out"])
        .arg(&out)
        .arg(&report)
        .arg(&report)
        .assert()
        .code(2)
        .stderr(contains("notes.txt"));
    assert_eq!(fs::read(out.join("notes.txt")).unwrap(), b"mine");
}

/// A side whose median is 0 (a hand-edited file, or a
/// program's coarse clock) is "not measurable": its case is left
/// uncompared with a note, the chart never sees an infinite ratio, and
/// `--out` ends (it used to spin forever at 100% CPU).
#[test]
fn a_zero_median_is_not_measurable_and_out_ends() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path());
    let zero = dir.path().join("zero");
    copy_report(&report, &zero);
    rewrite_csv(&zero.join("results.csv"), |header, cells| {
        let (case, seconds) = (column(header, "case"), column(header, "seconds"));
        if cells[case] == "1" && !cells[seconds].is_empty() {
            cells[seconds] = "0".into();
        }
        true
    });
    for (before, after, side) in [(&zero, &report, "BEFORE"), (&report, &zero, "AFTER")] {
        let out = dir.path().join(format!("cmp-{side}"));
        let output = runner()
            .args(["compare", "--fail-above", "5", "--out"])
            .arg(&out)
            .arg(before)
            .arg(after)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        let rows = table_rows(&stdout);
        assert_eq!(rows.len(), 3, "{stdout}");
        assert_eq!(rows[0][3], "–", "no change for the zero case: {stdout}");
        assert_eq!(
            rows[0][4],
            format!(
                "not compared: not measurable: {side} has a median time of 0 s, below the clock's resolution (1 ns)"
            )
        );
        assert!(!stdout.contains("inf"), "{stdout}");
        assert!(
            stdout.contains("1 not compared (failed, skipped or not measurable)"),
            "{stdout}"
        );
        assert!(
            fs::read(out.join("compare.png"))
                .unwrap()
                .starts_with(b"\x89PNG")
        );
    }
    // The folder with the zero time is still a report runner redraws.
    runner().arg("report").arg(&zero).assert().success();
}

/// A command whose program prints the time its `t` says, in two variants
/// (fast, 0.01 s, and slow, 0.02 s).
fn program_times(name: &str) -> Exp {
    Exp::program_times(name, "t", &[("fast", "0.01"), ("slow", "0.02")])
}

/// `--on` rows name what differs beyond the columns
/// matched on (here a command's own parameter), and a column named twice
/// is refused.
#[test]
fn compare_on_rows_can_be_told_apart_and_a_column_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let mut folders = Vec::new();
    for exp in [
        program_times("one_each"),
        // Two cases per variant.
        program_times("two_each").sweep("params", Raw(r#"{ size = ["a", "b"] }"#)),
    ] {
        let name = exp.name().to_string();
        let file = exp.write(dir.path());
        runner()
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        folders.push(out.join(name));
    }
    let output = runner()
        .args(["compare", "--on", "variant"])
        .arg(&folders[0])
        .arg(&folders[1])
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let labels: Vec<String> = table_rows(&stdout)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        labels,
        [
            "variant=fast: size=a t=0.01 / t=0.01",
            "variant=fast: size=b t=0.01 / t=0.01",
            "variant=slow: size=a t=0.02 / t=0.02",
            "variant=slow: size=b t=0.02 / t=0.02",
        ],
        "{stdout}"
    );
    // Two runs of the same experiment match on the user's parameters too.
    let same = runner()
        .arg("compare")
        .arg(&folders[1])
        .arg(&folders[1])
        .output()
        .unwrap();
    let stdout = stdout_of(&same);
    let labels: Vec<String> = table_rows(&stdout)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        labels,
        [
            "fast size=a t=0.01",
            "fast size=b t=0.01",
            "slow size=a t=0.02",
            "slow size=b t=0.02"
        ],
        "{stdout}"
    );
    runner()
        .args(["compare", "--on", "variant,variant"])
        .arg(&folders[0])
        .arg(&folders[1])
        .assert()
        .code(2)
        .stderr(contains("`variant` is named twice in --on variant,variant"))
        .stderr(contains("--on variant\n").or(contains("e.g. --on variant")));
}

/// The index opens with every lesson's tally, then the reports, and links
/// the compare pages saved below the folder (the Python side-by-side pages
/// live in reports/python/side_by_side/).
#[test]
fn the_index_opens_with_the_tally_and_links_the_side_by_side_pages() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::a_a("aa")
        .range(1_000, 3_000)
        .then(
            r#"
[[expect]]
lesson = "Identical work takes about the same time."
case = { variant = "b" }
is = "within"
than = { variant = "a" }
within_percent = 50
"#,
        )
        .write(dir.path());
    let reports = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&reports)
        .assert()
        .success();
    let report = reports.join("aa");
    runner()
        .args(["compare", "--out"])
        .arg(reports.join("side_by_side/aa"))
        .arg(&report)
        .arg(&report)
        .assert()
        .success();
    runner().arg("report").arg(&report).assert().success();
    let index = fs::read_to_string(reports.join("index.html")).unwrap();
    let tally = index.find("<strong>lessons: ").expect("the tally");
    let lessons = index.find("Identical work takes").expect("the lesson");
    let list = index.find("id=\"reports\"").expect("a reports section");
    let link = index
        .find("side_by_side&#x2f;aa&#x2f;index.html")
        .expect("the compare page is linked");
    assert!(tally < lessons && lessons < list && list < link, "{index}");
}

/// A `--quick` run's cases keep their names but cut their ranges to 1%:
/// compared with a full run, each would look a hundred times faster.
#[test]
fn a_quick_run_against_a_full_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let full = run_tiny(dir.path());
    let file = tiny().write(dir.path());
    runner()
        .arg(&file)
        .arg("--quick")
        .arg("--out")
        .arg(dir.path().join("reports"))
        .assert()
        .success();
    let quick = dir.path().join("reports/tiny.quick");
    for (before, after) in [(&full, &quick), (&quick, &full)] {
        runner()
            .arg("compare")
            .arg(before)
            .arg(after)
            .assert()
            .code(2)
            .stderr(contains("tiny.quick is a --quick run"))
            .stderr(contains("their cases are different work"));
    }
    runner()
        .arg("compare")
        .arg(&quick)
        .arg(&quick)
        .assert()
        .success();
}

/// The index marks a report whose experiment file changed since its run.
#[test]
fn an_edited_experiment_file_makes_its_report_stale_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_tiny(dir.path());
    let index = || fs::read_to_string(report.parent().unwrap().join("index.html")).unwrap();
    assert!(!index().contains("class=\"stale\""), "fresh after its run");
    let file = dir.path().join("tiny.toml");
    let mut text = fs::read_to_string(&file).unwrap();
    text.push_str("# edited\n");
    fs::write(&file, text).unwrap();
    runner().arg("report").arg(&report).assert().success();
    let page = index();
    assert!(page.contains("class=\"stale\""), "{page}");
    assert!(page.contains("has changed since this run"), "{page}");
}
