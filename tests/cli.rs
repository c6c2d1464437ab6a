//! The binary end to end: CSV columns, row counts, `ok` values, the manifest,
//! overrides, quick runs and the shipped experiments.

mod common;

use std::fs;

use common::{Csv, experiment, runner};
use predicates::str::contains;
use sha2::{Digest, Sha256};

/// 501 primes lie in [1000, 5000).
const SWEEP: &str = r#"
name = "sweep"
title = "A small sweep"
description = "Every strategy on a small range."

[workload]
kind = "primes"
range = [1_000, 5_000]

[run]
strategy = "pool"
repeats = 2
warmup = 1
seed = 9

[sweep]
strategy = ["serial", "pool", "stealing"]
workers = [1, 3]
chunksize = [1, 100, "default"]
order = ["given", "shuffled"]

[[chart]]
x = "chunksize"
series = "order"
log_x = true
"#;

#[test]
fn a_run_writes_one_row_per_repeat_and_one_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "sweep", SWEEP);
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("all correct"));

    // serial ignores workers and chunks: 2 orders; pool and stealing: 2 x 3 x 2 each.
    let cases = 2 + 2 * 12;
    let results = Csv::read(&out.join("sweep/results.csv"));
    let expected_header = "experiment,case,variant,strategy,executor,kernel,workers,chunksize,chunk_rule,nbr_chunks,\
        tasks,order,seed,range_start,range_end,number_name,number,precheck,flag,loop,check_every,enqueue,capacity,queue_host,step,\
        repeat,round,position,started_s,seconds,answer,checksum,factor,candidates,looks,status,ok,error,kernel_path,\
        user_s,sys_s,tasks_served,compute_s,dispatch_s,idle_s";
    assert_eq!(results.header.join(","), expected_header);
    assert_eq!(results.rows.len(), cases * 2);
    assert!(results.column("ok").iter().all(|&ok| ok == "true"));
    assert!(results.column("status").iter().all(|&s| s == "ok"));
    assert!(results.column("answer").iter().all(|&a| a == "501"));
    assert!(
        results
            .column("seconds")
            .iter()
            .all(|s| s.parse::<f64>().unwrap() > 0.0)
    );
    let checksums = results.column("checksum");
    assert!(
        checksums
            .iter()
            .all(|c| *c == checksums[0] && c.len() == 16)
    );

    let summary = Csv::read(&out.join("sweep/summary.csv"));
    assert_eq!(summary.rows.len(), cases);
    assert_eq!(
        summary.column("case"),
        (1..=cases).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(
        summary.column("speedup")[0],
        "1.0000",
        "case 1 is its own baseline"
    );
    assert!(summary.column("baseline_case").iter().all(|&b| b == "1"));
    assert!(
        summary.column("efficiency")[2..]
            .iter()
            .all(|e| !e.is_empty())
    );
    let defaults: Vec<_> = summary.rows.iter().filter(|r| r[8] == "default").collect();
    // ceil(4000 / (4 x 1)) = 1000 and ceil(4000 / (4 x 3)) = 334
    assert!(
        defaults
            .iter()
            .all(|r| (r[6] == "1" && r[7] == "1000") || (r[6] == "3" && r[7] == "334"))
    );
    let shuffled_seeds: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| r[11] == "shuffled")
        .map(|r| &r[12])
        .collect();
    assert!(shuffled_seeds.iter().all(|s| *s == "9"));
}

#[test]
fn the_manifest_records_source_machine_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "sweep", SWEEP);
    let out = dir.path().join("reports");
    runner()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--repeats", "1"])
        .assert()
        .success();

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("sweep/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["experiment"], "sweep");
    assert_eq!(manifest["repeats"], 1);
    assert_eq!(manifest["warmup"], 1);
    assert_eq!(manifest["seed"], 9);
    assert_eq!(manifest["cases_done"], manifest["cases_planned"]);
    assert_eq!(manifest["cases_failed"], 0);
    let sha = format!("{:x}", Sha256::digest(SWEEP.as_bytes()));
    assert_eq!(manifest["source"]["sha256"], sha.as_str());
    assert!(manifest["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    assert!(manifest["machine"]["physical_cores"].as_u64().unwrap() >= 1);
    assert!(
        manifest["machine"]["rustc"]
            .as_str()
            .unwrap()
            .starts_with("rustc")
    );
    for key in ["cpu_model", "os", "kernel"] {
        assert!(
            !manifest["machine"][key].as_str().unwrap().is_empty(),
            "{key}"
        );
    }
    assert!(manifest["started"].as_str().unwrap().ends_with('Z'));
    assert!(manifest["finished"].is_string());
    assert!(
        manifest["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--repeats")
    );
    assert!(
        manifest["timing"]
            .as_str()
            .unwrap()
            .contains("before the clock starts")
    );
    assert_eq!(
        fs::read_to_string(out.join("sweep/experiment.toml")).unwrap(),
        SWEEP
    );
    let leftovers: Vec<_> = fs::read_dir(out.join("sweep"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn quick_runs_are_small_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "sweep",
        &SWEEP.replace("[1_000, 5_000]", "\"C\""),
    );
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--quick")
        .assert()
        .success()
        .stderr(contains("quick run"));
    assert!(
        !out.join("sweep").exists(),
        "a quick run must not overwrite the real report"
    );
    let results = Csv::read(&out.join("sweep.quick/results.csv"));
    assert!(results.column("repeat").iter().all(|&r| r == "1"));
    assert!(
        results
            .column("range_end")
            .iter()
            .all(|&e| e == "100010000"),
        "1% of range C"
    );
    // the oracle agrees: 1% of range C = range A, which holds 551 primes
    assert!(results.column("answer").iter().all(|&a| a == "551"));
    let manifest = fs::read_to_string(out.join("sweep.quick/manifest.json")).unwrap();
    assert!(manifest.contains("\"quick\": true") && manifest.contains("\"warmup\": 0"));
}

#[test]
fn variants_cross_the_sweep_and_identical_cases_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
name = "variants"
[workload]
kind = "primes"
range = [2, 2_000]
[run]
strategy = "pool"
repeats = 1
warmup = 0
[sweep]
workers = [1, 2, "physical"]
[[variant]]
label = "serial"
strategy = "serial"
[[variant]]
label = "chunks of 4"
chunksize = 4
[[variant]]
label = "eight chunks"
nbr_chunks = 8
"#;
    let file = experiment(dir.path(), "variants", text);
    let out = dir.path().join("r");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = Csv::read(&out.join("variants/summary.csv"));
    let variants = summary.column("variant");
    assert_eq!(
        variants.iter().filter(|&&v| v == "serial").count(),
        1,
        "serial ignores workers"
    );
    let physical = std::thread::available_parallelism()
        .unwrap()
        .get()
        .to_string();
    assert!(
        summary
            .column("workers")
            .iter()
            .all(|w| ["1", "2", physical.as_str()].contains(w))
    );
    let eight: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| r[2] == "eight chunks")
        .collect();
    // int(1998 / 8) = 249 numbers a chunk; ceil(1998 / 249) = 9 tasks
    assert!(
        eight
            .iter()
            .all(|r| r[7] == "249" && r[8] == "nbr_chunks" && r[9] == "8" && r[10] == "9")
    );
    assert!(summary.column("answer").iter().all(|&a| a == "303"));
}

#[test]
fn check_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "sweep", SWEEP);
    runner()
        .current_dir(dir.path())
        .arg("check")
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(
            "26 cases x 2 interleaved rounds of (1 warm-up + 1 timed run)",
        ))
        .stdout(contains(
            "pool workers=3 executor=threads chunksize=default(334) order=shuffled",
        ))
        .stdout(contains("estimated time"));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the experiment file"
    );
}

#[test]
fn help_teaches_and_no_arguments_is_a_usage_error() {
    runner()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("Exit status"));
    runner().assert().code(2);
    runner().args(["--repeats", "0", "x.toml"]).assert().code(2);
}

#[test]
fn every_shipped_experiment_is_valid() {
    runner().args(["check", "experiments"]).assert().success();
}
