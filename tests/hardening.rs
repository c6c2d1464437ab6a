//! Regression tests of the hardening issue (#9), end to end with the built
//! binary: closed pipes, concurrent runs, name collisions, files runner did
//! not write, signals, full disks, exit statuses and plain messages. Each
//! test names the item it pins.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Csv, experiment, runner};
use predicates::str::contains;

/// A quick experiment: 4 cases of a few milliseconds.
const SMALL: &str = r#"
name = "small"
[workload]
kind = "primes"
range = [1_000, 20_000]
[run]
strategy = "pool"
repeats = 2
[sweep]
workers = [1, 2]
chunksize = [10, 100]
"#;

/// An experiment of many serial cases of about 0.1 s each.
const SLOW: &str = r#"
name = "slow"
[workload]
kind = "primes"
range = [100_000_000, 100_200_000]
[run]
# Interrupting a case part-way is what these tests watch.
schedule = "blocked"
strategy = "serial"
repeats = 2
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

fn runner_process(args: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Starts a run of `file` into `out`, its stderr piped.
fn spawn(file: &Path, out: &Path) -> Child {
    runner_process(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads `child`'s stderr until a line starts with `prefix`; returns the
/// lines read and the rest of the stream.
fn read_until(
    child: &mut Child,
    prefix: &str,
) -> (Vec<String>, BufReader<std::process::ChildStderr>) {
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        let done = line.starts_with(prefix);
        seen.push(std::mem::take(&mut line));
        if done {
            break;
        }
    }
    (seen, reader)
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Temporary files left anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(leftovers(&path));
        } else if path.to_string_lossy().ends_with(".tmp") || path.ends_with(".lock") {
            found.push(path);
        }
    }
    found
}

/// Item 3: a closed stderr (`runner FILE 2>&1 | head -1`) never stops a run.
#[test]
fn a_closed_pipe_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "small", SMALL);
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

/// Item 3: `runner check DIR | head -1` exits quietly.
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

/// Item 4: a second run into a folder another run is writing is refused,
/// naming the holder; the first is unharmed.
#[test]
fn a_second_run_into_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "slow", SLOW);
    let out = dir.path().join("reports");
    let mut first = spawn(&file, &out);
    let (_, rest) = read_until(&mut first, "[1/");
    let second = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.id())),
        "names the holder: {stderr}"
    );
    signal(&first, "TERM");
    drop(rest);
    assert_eq!(first.wait().unwrap().code(), Some(143));
    let m = manifest(&out.join("slow"));
    assert_eq!(m["status"], "interrupted");
    assert_eq!(m["pid"], first.id());
    // A redraw while nobody holds the folder works, and a stale lock file
    // from a dead run is taken over.
    fs::write(out.join("slow/.lock"), "999999").unwrap();
    runner()
        .arg("report")
        .arg(out.join("slow"))
        .assert()
        .success();
}

/// Item 5: two experiments of one command may not share a name; a quick run
/// has a folder no experiment name can take.
#[test]
fn duplicate_names_are_refused_and_quick_folders_cannot_collide() {
    let dir = tempfile::tempdir().unwrap();
    let a = experiment(dir.path(), "a", SMALL);
    let b = experiment(dir.path(), "b", SMALL);
    let out = dir.path().join("reports");
    runner()
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("also the name of"))
        .stderr(contains("b.toml:2:1"));
    assert!(!out.exists(), "nothing is written");
    let quick = experiment(
        dir.path(),
        "q",
        &SMALL.replace("\"small\"", "\"small-quick\""),
    );
    runner()
        .arg(&quick)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    runner()
        .arg(&a)
        .arg("--quick")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("small.quick/index.html").is_file());
    assert_eq!(manifest(&out.join("small-quick"))["quick"], false);
}

/// Item 6: files runner did not write are never replaced or deleted.
#[test]
fn files_runner_did_not_write_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "small", SMALL);
    let out = dir.path().join("reports");
    fs::create_dir_all(out.join("small")).unwrap();
    fs::write(out.join("small/chart7.png"), "someone's chart").unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("chart7.png"));
    assert_eq!(
        fs::read(out.join("small/chart7.png")).unwrap(),
        b"someone's chart"
    );
    fs::remove_file(out.join("small/chart7.png")).unwrap();

    fs::write(out.join("index.html"), "<html>my own page</html>").unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("index.html is not a page runner wrote"));
    assert_eq!(
        fs::read_to_string(out.join("index.html")).unwrap(),
        "<html>my own page</html>"
    );
    fs::remove_file(out.join("index.html")).unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

/// Item 6: a table of an earlier, different run is removed, never linked.
#[test]
fn tables_of_an_earlier_run_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let factors = r#"
name = "same"
[workload]
kind = "factor_frequency"
range = [3, 2_000]
"#;
    let out = dir.path().join("reports");
    let first = experiment(dir.path(), "same", factors);
    runner()
        .arg(&first)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("same/factors.csv").is_file());
    let primes = SMALL.replace("\"small\"", "\"same\"");
    let second = experiment(dir.path(), "same", &primes);
    runner()
        .arg(&second)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("same/factors.csv").exists());
    let page = fs::read_to_string(out.join("same/index.html")).unwrap();
    assert!(!page.contains("factors.csv"));
    let listed = manifest(&out.join("same"))["files"].clone();
    for file in listed.as_array().unwrap() {
        assert!(
            out.join("same").join(file.as_str().unwrap()).is_file(),
            "{file}"
        );
    }
}

/// Item 7: SIGTERM and SIGHUP stop like Ctrl-C: the finished cases are kept,
/// the page is drawn, the manifest says interrupted, nothing half-written.
#[test]
fn sigterm_and_sighup_end_a_run_cleanly() {
    for (name, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let file = experiment(dir.path(), "slow", SLOW);
        let out = dir.path().join("reports");
        let mut child = spawn(&file, &out);
        let (_, rest) = read_until(&mut child, "[2/");
        signal(&child, name);
        let rest: Vec<String> = rest.lines().map_while(Result::ok).collect();
        assert_eq!(child.wait().unwrap().code(), Some(code), "{name}: {rest:?}");
        let report = out.join("slow");
        assert_eq!(manifest(&report)["status"], "interrupted", "{name}");
        assert!(
            report.join("index.html").is_file(),
            "{name}: the page is drawn"
        );
        let results = Csv::read(&report.join("results.csv"));
        assert!(results.rows.len() >= 4, "{name}: finished cases are kept");
        assert!(leftovers(&out).is_empty(), "{name}: {:?}", leftovers(&out));
    }
}

/// Item 7: a second Ctrl-C stops at once, still marking the manifest.
#[test]
fn a_second_interrupt_stops_at_once_and_marks_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "slow",
        &SLOW.replace("100_200_000", "101_000_000"),
    );
    let out = dir.path().join("reports");
    let mut child = spawn(&file, &out);
    let (_, rest) = read_until(&mut child, "slow:");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(100));
    signal(&child, "INT");
    let started = Instant::now();
    let status = child.wait().unwrap();
    drop(rest);
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(10), "at once");
    assert_eq!(manifest(&out.join("slow"))["status"], "interrupted");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// Item 7: a run killed outright is shown as "did not finish".
#[test]
fn a_killed_run_is_shown_as_not_finished() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "slow", SLOW);
    let out = dir.path().join("reports");
    let mut child = spawn(&file, &out);
    let (_, rest) = read_until(&mut child, "[1/");
    signal(&child, "KILL");
    child.wait().unwrap();
    drop(rest);
    let report = out.join("slow");
    assert_eq!(manifest(&report)["status"], "running");
    runner().arg("report").arg(&report).assert().success();
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("did not finish"), "{index}");
    assert!(page.contains("did not finish"));
}

/// Item 8: a write that fails (here: a file-size limit, as a full disk
/// would) names the file and the reason, leaves no temporary file, marks the
/// manifest and ends with the I/O status.
#[test]
fn a_failed_write_is_reported_and_cleaned_up() {
    if !common::require(
        common::installed("prlimit", "--version"),
        "prlimit (util-linux) is not installed",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let many = SMALL.replace(
        "chunksize = [10, 100]",
        "chunksize = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]",
    );
    let file = experiment(dir.path(), "small", &many);
    let out = dir.path().join("reports");
    let output = Command::new("prlimit")
        .arg("--fsize=6000")
        .arg(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    // The first file to pass the limit: tasks.csv is the largest.
    assert!(
        ["results.csv", "summary.csv", "tasks.csv"]
            .iter()
            .any(|f| stderr.contains(f)),
        "{stderr}"
    );
    assert!(stderr.contains("too large"), "the OS's reason: {stderr}");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    let m = manifest(&out.join("small"));
    assert_eq!(m["status"], "error", "{m}");
    let results = fs::read_to_string(out.join("small/results.csv")).unwrap();
    assert!(results.ends_with('\n'), "only whole rows");
}

/// Items 20 and 21: no file, and nothing that ran, are errors with their
/// own statuses, and the statuses are documented.
#[test]
fn nothing_to_run_and_nothing_ran_have_their_statuses() {
    runner()
        .arg("run")
        .assert()
        .code(2)
        .stderr(contains("no experiment to run"));
    let dir = tempfile::tempdir().unwrap();
    let skipped = format!(
        r#"
name = "skipped"
[workload]
kind = "verify"
numbers = [{{ name = "p", value = 1_000_003 }}]
redis_url = "redis://127.0.0.1:{}"
[run]
strategy = "cooperative"
[[variant]]
label = "Redis"
flag = "redis"
requires = "redis"
"#,
        common::free_port()
    );
    let file = experiment(dir.path(), "skipped", &skipped);
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

/// Item 25: a server that accepts connections and never answers costs one
/// short probe per run, not a timeout per case, and its failure is one line.
#[test]
fn a_silent_redis_server_costs_one_probe() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
name = "silent"
[workload]
kind = "verify"
numbers = [{{ name = "a", value = 1_000_003 }}, {{ name = "b", value = 1_000_033 }}, {{ name = "c", value = 1_000_037 }}]
redis_url = "redis://127.0.0.1:{port}"
[run]
strategy = "cooperative"
repeats = 1
[sweep]
flag = ["atomic", "redis"]
"#
    );
    let file = experiment(dir.path(), "silent", &text);
    let started = Instant::now();
    let output = runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    drop(silent);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}: {stderr}");
    let failed: Vec<&str> = stderr.lines().filter(|l| l.contains("FAILED")).collect();
    assert_eq!(failed.len(), 3, "{stderr}");
    assert!(
        failed.iter().all(|l| l.contains("cannot reach Redis")),
        "{stderr}"
    );
    assert!(
        failed.iter().all(|l| l.contains("redis_url")),
        "names the setting: {stderr}"
    );
}

/// Item 25: an error that spans lines (a web server answering on the Redis
/// port) still makes one line per case.
#[test]
fn a_multi_line_server_error_stays_on_one_line() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { break };
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nnot redis\r\n",
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
name = "web"
[workload]
kind = "verify"
numbers = [{{ name = "a", value = 1_000_003 }}]
redis_url = "redis://127.0.0.1:{port}"
[run]
strategy = "cooperative"
repeats = 1
[sweep]
flag = ["atomic", "redis"]
"#
    );
    let file = experiment(dir.path(), "web", &text);
    let output = runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let case_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(case_lines.len(), 2, "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|l| !l.starts_with("Content-") && !l.starts_with("not redis")),
        "{stderr}"
    );
    drop(server);
}

/// Items 23 and 24: digit strings and limits are the same everywhere, and
/// explicit repeats win over --quick.
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
    let text = SMALL
        .replace(
            "repeats = 2",
            "repeats = \"2\"\nwarmup = \"0\"\nseed = \"7\"",
        )
        .replace("workers = [1, 2]", "workers = [\"2\"]");
    let file = experiment(dir.path(), "small", &text);
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

/// Item 26: the closing lines go to stdout; a mistyped subcommand is named.
#[test]
fn the_report_path_is_on_stdout_and_subcommands_are_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "small", SMALL);
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
    runner()
        .arg("completions")
        .assert()
        .code(2)
        .stderr(contains("neither an experiment file nor a subcommand"));
}
