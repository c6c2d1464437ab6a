//! `[[expect]]` end to end: a lesson that cannot hold fails a `--strict` run
//! and a `--strict` redraw with status 5, naming the lesson, its two cases
//! and the measured ratio with its interval; without `--strict` it is only
//! reported. The verdicts are in summary.json and summary.md too, and a
//! lesson may pick cases by a command's own parameters. A verdict on a run
//! that something disturbed (another busy process, ...) is marked
//! unreliable, and `--strict` then exits 6, not 5, so that CI can retry.

use std::path::Path;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::common::{Exp, Raw, runner};

/// Two variants doing identical work, and a lesson no noise can make hold.
fn false_lesson() -> Exp {
    Exp::a_a("false_lesson")
        .range(1_000, 20_000)
        .run("repeats", 5)
        .then(
            r#"
[[expect]]
lesson = "A false lesson: identical work, a thousand times slower."
case = { variant = "b" }
is = "slower"
than = { variant = "a" }
by_at_least = 1000
"#,
        )
}

#[test]
fn a_failed_lesson_fails_a_strict_run_and_a_strict_redraw() {
    let dir = tempfile::tempdir().unwrap();
    let file = false_lesson().write(dir.path());
    let out = dir.path().join("reports");
    // The machine's state read from an empty folder: nothing can be read, so
    // this test's own neighbours (the suite's other runners) cannot make the
    // verdict unreliable.
    let no_machine = tempfile::tempdir().unwrap();
    let strict = runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--strict")
        .env("RUNNER_MACHINE_ROOT", no_machine.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(5), "{stderr}");
    let failed = stderr
        .lines()
        .find(|l| l.contains("lesson FAILS"))
        .expect("the failed lesson is named");
    for part in [
        "A false lesson",
        "case 2 (b",
        "case 1 (a",
        "at least 1000x slower than",
        "x the time of the other (95% interval ",
    ] {
        assert!(failed.contains(part), "{part:?} in {failed}");
    }
    let page = std::fs::read_to_string(out.join("false_lesson/index.html")).unwrap();
    assert!(
        page.contains("The book&#x27;s lessons, checked")
            || page.contains("The book's lessons, checked")
    );
    assert!(page.contains("A false lesson"));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("lessons: 0 hold, 1 fail of 1"), "{index}");
    assert_lesson_exported(&out.join("false_lesson"));

    let redraw = runner()
        .args(["report", "--strict"])
        .arg(out.join("false_lesson"))
        .output()
        .unwrap();
    assert_eq!(redraw.status.code(), Some(5));
    let lenient = runner()
        .arg("report")
        .arg(out.join("false_lesson"))
        .output()
        .unwrap();
    assert_eq!(lenient.status.code(), Some(0), "only --strict fails");
}

#[test]
fn a_lesson_failed_on_a_disturbed_run_is_unreliable_and_strict_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let file = false_lesson().write(dir.path());
    let out = dir.path().join("reports");
    let no_machine = tempfile::tempdir().unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .env("RUNNER_MACHINE_ROOT", no_machine.path())
        .assert()
        .code(0);
    let report = out.join("false_lesson");
    // The run as if another process had been busy when it started.
    let manifest_path = report.join("manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["machine_state"]["start"]["busy"] =
        serde_json::json!([{ "pid": 4242, "name": "stress-ng", "percent": 97.0 }]);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();

    let strict = runner()
        .args(["report", "--strict"])
        .arg(&report)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("lesson FAILS [unreliable: another busy process: `stress-ng` (pid 4242)"),
        "{stderr}"
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    let why = json["lessons"][0]["unreliable"].as_str().unwrap();
    assert!(why.contains("stress-ng"), "{why}");
    let md = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(
        md.contains("- **fails** (unreliable: another busy process"),
        "{md}"
    );
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("class=\"unreliable\""), "the page marks it");
    assert!(
        page.contains("Unreliable: another busy process"),
        "and says why"
    );
    runner().arg("report").arg(&report).assert().code(0);

    // The same run, undisturbed: a reliable failure again, status 5.
    manifest["machine_state"]["start"]["busy"] = serde_json::json!([]);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    runner()
        .args(["report", "--strict"])
        .arg(&report)
        .assert()
        .code(5);
    let json: Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert!(json["lessons"][0]["unreliable"].is_null());
}

/// The false lesson as summary.json and summary.md give it: the verdict,
/// the deciding pair, the ratio with its interval, the threshold.
fn assert_lesson_exported(report: &Path) {
    let json: Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "runner-summary/2");
    let lessons = json["lessons"].as_array().unwrap();
    assert_eq!(lessons.len(), 1, "{json}");
    let l = &lessons[0];
    assert_eq!(
        l["lesson"],
        "A false lesson: identical work, a thousand times slower."
    );
    assert_eq!(l["verdict"], "fails");
    assert_eq!(l["relation"], "slower");
    assert_eq!(l["by_at_least"], 1000.0);
    assert!(l["within_percent"].is_null());
    assert_eq!((l["case"].as_u64(), l["than"].as_u64()), (Some(2), Some(1)));
    let ratio = l["ratio"].as_f64().unwrap();
    let interval = l["ratio_interval"].as_array().unwrap();
    let (lo, hi) = (interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap());
    assert!(lo <= ratio && ratio <= hi && hi < 1000.0, "{l}");
    assert_eq!(l["pairs"]["fails"], 1);
    assert_eq!(l["pairs"]["holds"], 0);
    assert!(
        l["said"]
            .as_str()
            .unwrap()
            .contains("at least 1000x slower than")
    );
    let md = std::fs::read_to_string(report.join("summary.md")).unwrap();
    let item = md
        .lines()
        .find(|l| l.starts_with("- **fails**: A false lesson"))
        .unwrap_or_else(|| panic!("the lesson in the list: {md}"));
    assert!(
        item.contains("case 2 (b") && item.contains("95% interval"),
        "{item}"
    );
    assert!(md.contains("The book's lessons, checked:"), "{md}");
}

/// A command whose variants set the time its program prints (fast, 0.01 s,
/// and slow, 0.03 s), with two sizes, and a lesson that picks its cases by
/// that time: `case` is its `case = { ... }` table.
fn by_times(case: &str) -> Exp {
    Exp::program_times("by_times", "times", &[("fast", "0.01"), ("slow", "0.03")])
        .sweep("params", Raw(r#"{ size = ["a", "b"] }"#))
        .then(&format!(
            r#"
[[expect]]
lesson = "Three times the time is at least twice as slow."
case = {case}
is = "slower"
than = {{ times = "0.01" }}
by_at_least = 2
"#
        ))
}

#[test]
fn a_lesson_picks_cases_by_a_parameter_the_variants_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = by_times(r#"{ times = "0.03" }"#).write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--strict")
        .assert()
        .success()
        .stderr(contains("lessons: 1 hold of 1"));
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join("by_times/summary.json")).unwrap()).unwrap();
    let l = &json["lessons"][0];
    assert_eq!(l["verdict"], "holds", "{l}");
    // Each size against itself: slow a / fast a, slow b / fast b.
    assert_eq!(l["pairs"]["holds"], 2, "{l}");
    assert_eq!((l["case"].as_u64(), l["than"].as_u64()), (Some(3), Some(1)));
    assert_eq!(l["ratio"], 3.0);

    // A typo is named, and the help lists only what varies: not `number`
    // (a range workload has none), but the user's `size` and `times`.
    let file = by_times(r#"{ timez = "0.03" }"#).write(dir.path());
    runner()
        .arg("check")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("`timez` is not something this experiment varies"))
        .stderr(contains(
            "did you mean `times`? an expectation picks cases by what the experiment varies: size, times, variant",
        ))
        .stderr(contains("number").not());
    // A value no case has is named with the values there are.
    let file = by_times(r#"{ times = "0.05" }"#).write(dir.path());
    runner()
        .arg("check")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("no case has times = \"0.05\""))
        .stderr(contains("`times` takes: \"0.01\", \"0.03\""));
}
