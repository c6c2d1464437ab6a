//! Ctrl-C after some cases leaves a readable results.csv holding them and a
//! manifest marked interrupted.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{Csv, experiment};

const LONG: &str = r#"
name = "long"
[workload]
kind = "primes"
range = [100_000_000, 100_300_000]
[run]
schedule = "blocked"
strategy = "serial"
repeats = 3
warmup = 0
[sweep]
order = ["given", "shuffled", "slowest_first", "fastest_first"]
kernel = ["plain", "fast"]
[[variant]]
label = "one"
[[variant]]
label = "two"
[[variant]]
label = "three"
"#;

#[test]
fn sigint_keeps_the_finished_cases() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "long", LONG);
    let out = dir.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let second_case_done = line.starts_with("[2/");
        seen.push(line);
        if second_case_done {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {seen:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("interrupted")), "{rest:?}");

    let results = Csv::read(&out.join("long/results.csv"));
    let cases: std::collections::BTreeSet<&str> = results.column("case").into_iter().collect();
    assert!(
        cases.len() >= 2 && cases.len() < 24,
        "finished cases: {cases:?}"
    );
    assert!(results.column("ok").iter().all(|&ok| ok == "true"));
    assert_eq!(
        results.rows.len(),
        cases.len() * 3,
        "only whole cases are kept"
    );
    let manifest = std::fs::read_to_string(out.join("long/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"interrupted\""),
        "{manifest}"
    );
}

#[test]
fn sigint_in_rounds_keeps_every_case_with_the_rounds_it_finished() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "long",
        &LONG
            .replace("schedule = \"blocked\"", "schedule = \"interleaved\"")
            .replace("repeats = 3", "repeats = 50"),
    );
    let out = dir.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("round 1/50 finished") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{rest:?}");
    let results = Csv::read(&out.join("long/results.csv"));
    let cases: std::collections::BTreeSet<&str> = results.column("case").into_iter().collect();
    assert_eq!(cases.len(), 24, "every case ran its first round");
    let rounds: std::collections::BTreeSet<u32> = results
        .column("round")
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    assert!(rounds.contains(&1) && !rounds.contains(&50), "{rounds:?}");
    // The positions number the runs in the order they ran, without a gap.
    let mut positions: Vec<u64> = results
        .column("position")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>());
    let manifest = std::fs::read_to_string(out.join("long/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"interrupted\""),
        "{manifest}"
    );
}
