//! Regression tests of a hostile user's tries after the hardening pass,
//! end to end with the built binary: each test pins one problem found and
//! names the input that showed it.

use crate::common;

use std::fs;

use crate::common::runner;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// A file that never ends (`runner check /dev/zero` took 24 GB and was
/// killed by the kernel) or a huge one is refused after reading a bounded
/// amount. A sparse file stands in for `/dev/zero`, so a regression costs
/// 17 MiB, not the machine's memory.
#[test]
fn a_huge_or_endless_experiment_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.toml");
    fs::File::create(&huge).unwrap().set_len(17 << 20).unwrap();
    runner()
        .arg("check")
        .arg(&huge)
        .assert()
        .code(2)
        .stderr(contains("huge.toml: the file is larger than 16 MiB"));
}

/// Whether the runner process `pid` has started its signal thread (so a
/// signal is now a request to stop, not the default action).
fn handles_signals(pid: u32) -> bool {
    fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| {
            fs::read_to_string(task.path().join("comm")).is_ok_and(|name| name.trim() == "signals")
        })
}

/// A signal that arrives before an experiment starts (here: while the
/// command still reads its files; in the wild: while the previous experiment
/// of the command is drawn) used to start it anyway, clearing its folder and
/// leaving an empty "interrupted" report in place of the earlier one. It is
/// now not started, and the command ends with 128+N.
#[test]
fn a_signal_before_an_experiment_starts_keeps_its_earlier_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let small = "name = \"small\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 2_000]\n[run]\nrepeats = 1\n";
    let file = common::experiment(dir.path(), "small", small);
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = fs::read(out.join("small/summary.csv")).unwrap();
    // The second file is a FIFO, so the command waits reading it while the
    // signal is sent.
    let fifo = dir.path().join("later.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg(&fifo)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while !handles_signals(child.id()) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    fs::write(&fifo, small.replace("\"small\"", "\"later\"")).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("small was not started"), "{stderr}");
    assert_eq!(fs::read(out.join("small/summary.csv")).unwrap(), before);
    let manifest = fs::read_to_string(out.join("small/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"complete\""), "{manifest}");
}

/// A disk that filled up at the start of a run (`prlimit --fsize=600`: the
/// experiment copy and the tables' headers fit, the manifest did not) left
/// runner's own files without a manifest listing them, so every later run
/// refused the folder as holding files runner did not write. The manifest
/// is now written first.
#[test]
fn a_run_stopped_by_a_full_disk_at_its_start_can_be_run_again() {
    if !common::require(
        common::installed("prlimit", "--version"),
        "prlimit (util-linux) is not installed",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"small\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 2_000]\n[run]\nrepeats = 1\n";
    let file = common::experiment(dir.path(), "small", text);
    let out = dir.path().join("reports");
    let full = std::process::Command::new("prlimit")
        .arg("--fsize=600")
        .arg(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        full.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

/// A run removes the temporary files a killed run left, and used to take
/// any `.NAME.tmp` for one: a user's `.notes.tmp` in the report folder was
/// deleted. It is now someone else's file, and the folder is refused.
#[test]
fn a_users_dot_tmp_file_is_not_taken_for_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"small\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 2_000]\n[run]\nrepeats = 1\n";
    let file = common::experiment(dir.path(), "small", text);
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let notes = out.join("small/.notes.tmp");
    fs::write(&notes, "mine").unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(".notes.tmp"));
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
}

/// When the report was drawn but the run then failed (here: `--out` holds a
/// folder named index.html, so the reports index cannot be written), the
/// manifest marked "error" was written from memory, without the charts and
/// page the drawing had added: the next run refused chart1.png and
/// index.html as files runner did not write. A second Ctrl-C while drawing
/// did the same.
#[test]
fn a_run_that_fails_after_drawing_leaves_a_folder_it_can_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"small\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 2_000]\n[run]\nrepeats = 1\n";
    let file = common::experiment(dir.path(), "small", text);
    let out = dir.path().join("reports");
    fs::create_dir_all(out.join("index.html")).unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(4)
        .stderr(contains("index.html"));
    fs::remove_dir(out.join("index.html")).unwrap();
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

/// An experiment file could write terminal escapes through runner's error
/// messages: `order = ["\u001b[2J"]` was quoted raw in "unknown value", and
/// a raw control character was echoed in the quoted line; a one-line 1 MB
/// file was echoed whole. Both are now shown escaped, and the line cut.
#[test]
fn error_messages_neither_echo_control_characters_nor_huge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"x\"\n[workload]\nkind = \"primes\"\nrange = [5, 50]\n[sweep]\norder = [\"\\u001b[2J\"]\n";
    let file = common::experiment(dir.path(), "escape", text);
    let output = runner().arg("check").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown value"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    let raw = common::experiment(dir.path(), "raw", "name = \"x\u{1b}[2J\"\n");
    let output = runner().arg("check").arg(&raw).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !output.stderr.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&output.stderr)
    );
    let long = format!("name = \"x\"\nz = \"{}\" + 1\n", "a".repeat(1 << 20));
    let long = common::experiment(dir.path(), "long", &long);
    let output = runner().arg("check").arg(&long).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stderr.len() < 1000, "{} bytes", output.stderr.len());
}

/// The advice for an unreachable Redis named port 6379 whatever port the
/// experiment's `redis_url` gave; it now names the URL's.
#[test]
fn the_redis_advice_names_the_urls_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let text = format!(
        "name = \"r\"\n[workload]\nkind = \"verify\"\nnumbers = [{{ name = \"p\", value = 1_000_003 }}]\nredis_url = \"redis://127.0.0.1:{port}\"\n[run]\nstrategy = \"cooperative\"\nrepeats = 1\nwarmup = 0\n[sweep]\nflag = [\"redis\"]\n"
    );
    let file = common::experiment(dir.path(), "r", &text);
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .assert()
        .code(1)
        .stderr(contains(format!("redis-server --port {port} ")))
        .stderr(contains("--port 6379").not());
}

/// Every file error printed with its causes said the OS's reason twice:
/// "cannot write .../index.html: Is a directory (os error 21): Is a
/// directory (os error 21)".
#[test]
fn a_file_error_gives_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"small\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 2_000]\n[run]\nrepeats = 1\n";
    let file = common::experiment(dir.path(), "small", text);
    let out = dir.path().join("reports");
    fs::create_dir_all(out.join("index.html")).unwrap();
    let output = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("Is a directory").count(), 1, "{stderr}");
}
