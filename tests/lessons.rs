//! `[[expect]]` end to end: a lesson that cannot hold fails a `--strict` run
//! and a `--strict` redraw with status 5, naming the lesson, its two cases
//! and the measured ratio with its interval; without `--strict` it is only
//! reported.

mod common;

use common::{experiment, runner};

/// Two variants doing identical work, and a lesson no noise can make hold.
const FALSE_LESSON: &str = r#"
name = "false_lesson"
[workload]
kind = "primes"
range = [1000, 20000]
[run]
strategy = "serial"
repeats = 5
warmup = 0
[[variant]]
label = "a"
[[variant]]
label = "b"
[[expect]]
lesson = "A false lesson: identical work, a thousand times slower."
case = { variant = "b" }
is = "slower"
than = { variant = "a" }
by_at_least = 1000
"#;

#[test]
fn a_failed_lesson_fails_a_strict_run_and_a_strict_redraw() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "false_lesson", FALSE_LESSON);
    let out = dir.path().join("reports");
    let strict = runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--strict")
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
