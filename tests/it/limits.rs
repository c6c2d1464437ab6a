//! Memory and time limits, estimated before anything runs: huge ranges are
//! refused up front with the memory they would need, or run in bounded
//! memory; ranges that end at 2^64 - 1 run; and the time estimate neither
//! wraps nor hides days. (Regression tests of issue 9.)

use predicates::prelude::*;

use crate::common::{Csv, Exp, runner};

/// Ten billion numbers.
fn huge() -> Exp {
    Exp::primes("huge").range(0, 10_000_000_000)
}

#[test]
fn a_shuffled_range_of_ten_billion_is_refused_with_the_memory_it_needs() {
    // This used to pass `check` and abort half-way through `run`.
    let dir = tempfile::tempdir().unwrap();
    let file = huge().sweep("order", ["shuffled"]).write(dir.path());
    let out = dir.path().to_str().unwrap();
    for command in [vec!["check"], vec!["run", "--out", out]] {
        runner().args(command).arg(&file).assert().code(2).stderr(
            predicate::str::contains("would need about 80.0 GB")
                .and(predicate::str::contains("job list 80.0 GB"))
                .and(predicate::str::contains("order = \"given\""))
                .and(predicate::str::contains("nothing was run")),
        );
    }
    assert!(!dir.path().join("huge").exists(), "nothing was written");
}

#[test]
fn a_given_range_of_ten_billion_needs_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = huge()
        .strategy("pool")
        .sweep("order", ["given"])
        .write(dir.path());
    let output = runner().arg("check").arg(&file).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.contains("memory: at most about"))
        .unwrap_or_else(|| panic!("no memory line in {stdout}"));
    assert!(line.contains(" MB ("), "bounded to megabytes: {line}");
    assert!(!line.contains("job list"), "{line}");
}

#[test]
fn an_unbounded_queue_over_ten_billion_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = huge().strategy("queue").write(dir.path());
    runner().arg("check").arg(&file).assert().code(2).stderr(
        predicate::str::contains("queued numbers").and(predicate::str::contains("capacity = 1000")),
    );
}

#[test]
fn a_range_ending_at_the_last_u64_runs_with_every_strategy() {
    // The oracle overflowed here (exit 101) after allocating gigabytes. These 37 numbers all have factors below 10^6, so the
    // kernels answer at once; the oracle's answer is no prime.
    let dir = tempfile::tempdir().unwrap();
    // Numbers beyond i64 are written as strings.
    let file = Exp::primes("top")
        .workload("range", ["18446744073709551578", "18446744073709551615"])
        .repeats(1, 0)
        .sweep(
            "strategy",
            ["serial", "pool", "stealing", "queue", "feeder"],
        )
        .sweep("workers", [2])
        .sweep("order", ["given", "shuffled"])
        .write(dir.path());
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let summary = Csv::read(&dir.path().join("top/summary.csv"));
    assert_eq!(summary.rows.len(), 2 * 5);
    assert!(summary.column("answer").iter().all(|a| *a == "0"));
    assert!(summary.column("status").iter().all(|s| *s == "ok"));
}

#[test]
fn a_huge_warm_up_is_estimated_in_days_with_a_warning() {
    // `warmup = 4294967295` wrapped to "about 0.000 µs". Warm-ups are now
    // capped at 1000, so the largest plan allowed stands in for it: it
    // must still read in days or years, never wrap.
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::primes("long")
        .workload("range", "A")
        .run("warmup", 4_294_967_295_u64)
        .write(dir.path());
    runner()
        .arg("check")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from 0 to 1000"));
    let file = huge()
        .renamed("long")
        .run("warmup", 1000)
        .run("repeats", 100_000)
        .write(dir.path());
    runner().arg("check").arg(&file).assert().success().stdout(
        predicate::str::is_match(r"about [0-9.e]+ (days|years) on this machine")
            .unwrap()
            .and(predicate::str::contains(
                "warning: this plan would run for more than an hour",
            ))
            .and(predicate::str::contains("µs").not()),
    );
}
