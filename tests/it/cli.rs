//! The command line end to end: what a run writes (CSV columns, row
//! counts, `ok` values, the manifest), overrides and their limits, quick
//! runs, `check`, closed pipes, exit statuses, help, and the shipped
//! experiments.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use predicates::str::contains;
use sha2::{Digest, Sha256};

use crate::common::{self, Csv, Exp, Raw, manifest, runner};

/// Every strategy on a small range, and a chart; 501 primes lie in
/// [1000, 5000).
fn sweep() -> Exp {
    Exp::primes("sweep")
        .top("title", "A small sweep")
        .top("description", "Every strategy on a small range.")
        .range(1_000, 5_000)
        .strategy("pool")
        .repeats(2, 1)
        .run("seed", 9)
        .sweep("strategy", ["serial", "pool", "stealing"])
        .sweep("workers", [1, 3])
        .sweep("chunksize", Raw(r#"[1, 100, "default"]"#))
        .sweep("order", ["given", "shuffled"])
        .then("[[chart]]\nx = \"chunksize\"\nseries = \"order\"\nlog_x = true")
}

#[test]
fn a_run_writes_one_row_per_repeat_and_one_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let file = sweep().write(dir.path());
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
    let file = sweep().write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--repeats", "1"])
        .assert()
        .success();

    let manifest = manifest(&out.join("sweep"));
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["experiment"], "sweep");
    assert_eq!(manifest["repeats"], 1);
    assert_eq!(manifest["warmup"], 1);
    assert_eq!(manifest["seed"], 9);
    assert_eq!(manifest["cases_done"], manifest["cases_planned"]);
    assert_eq!(manifest["cases_failed"], 0);
    let sha = format!("{:x}", Sha256::digest(sweep().toml().as_bytes()));
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
        sweep().toml()
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
    let file = sweep().workload("range", "C").write(dir.path());
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
    let file = Exp::primes("variants")
        .range(2, 2_000)
        .strategy("pool")
        .repeats(1, 0)
        .sweep("workers", Raw(r#"[1, 2, "physical"]"#))
        .variant("serial", |v| v.set("strategy", "serial"))
        .variant("chunks of 4", |v| v.set("chunksize", 4))
        .variant("eight chunks", |v| v.set("nbr_chunks", 8))
        .write(dir.path());
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
    let file = sweep().write(dir.path());
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

fn runner_process(args: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A closed stderr (`runner FILE 2>&1 | head -1`) never stops a run.
#[test]
fn a_closed_pipe_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small").write(dir.path());
    let out = dir.path().join("reports");
    let mut child = runner_process(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line of stderr, then close both streams, as `head -1` does.
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "after {first}");
    assert_eq!(manifest(&out.join("small"))["status"], "complete");
    assert_eq!(Csv::read(&out.join("small/summary.csv")).rows.len(), 4);
}

/// `runner check DIR | head -1` exits quietly, without a panic.
#[test]
fn check_into_a_closed_pipe_exits_quietly() {
    let mut child = runner_process(&["check".as_ref(), "experiments".as_ref()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(first.contains("experiments/"), "{first}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// No file to run, and nothing that ran (every case skipped), are errors
/// with their own statuses, and `--help` documents the statuses.
#[test]
fn nothing_to_run_and_nothing_ran_have_their_statuses() {
    runner()
        .arg("run")
        .assert()
        .code(2)
        .stderr(contains("no experiment to run"));
    let dir = tempfile::tempdir().unwrap();
    // A Redis server nobody listens at.
    let file = Exp::verify("skipped")
        .numbers(&[("p", 1_000_003)])
        .workload(
            "redis_url",
            format!("redis://127.0.0.1:{}", common::free_port()),
        )
        .strategy("cooperative")
        .variant("Redis", |v| v.set("flag", "redis").set("requires", "redis"))
        .write(dir.path());
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .assert()
        .code(3)
        .stderr(contains("every case was skipped"));
    runner()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Exit status"))
        .stdout(contains("128+N"))
        .stdout(contains("a file could not be read or written"));
}

/// Counts written as digit strings and the limits of counts are the same
/// in the file and on the command line, and explicit repeats win over
/// `--quick`.
#[test]
fn limits_and_overrides_are_consistent() {
    runner()
        .args([
            "check",
            "experiments/chunksize.toml",
            "--repeats",
            "1000000",
        ])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small")
        .run("repeats", "2")
        .run("warmup", "0")
        .run("seed", "7")
        .sweep("workers", ["2"])
        .write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .args(["--quick", "--repeats", "3", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("quick run: 3 repeat(s)"));
    let results = Csv::read(&out.join("small.quick/results.csv"));
    assert_eq!(results.rows.len(), 2 * 3, "2 cases x 3 repeats");
}

/// The closing lines (the verdict, the report's path) go to stdout; a
/// mistyped subcommand is named.
#[test]
fn the_report_path_is_on_stdout_and_subcommands_are_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small").write(dir.path());
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .assert()
        .success()
        .stdout(contains("all correct"))
        .stdout(contains("small/index.html"));
    runner()
        .arg("chek")
        .assert()
        .code(2)
        .stderr(contains("did you mean the subcommand `runner check`"));
    // A shared prefix is not a typo: `compilation` is neither `compare` nor
    // `completions` (now a subcommand, issue 25 item 5).
    runner()
        .arg("compilation")
        .assert()
        .code(2)
        .stderr(contains("neither an experiment file nor a subcommand"));
}
