//! The report folder's rules: one run writes a folder at a time; two
//! experiments of one command cannot share a folder, nor a quick run a
//! real one's; files runner did not write are never replaced or deleted,
//! and its own files of an earlier run never linked; a failed write (a full
//! disk) names the file, leaves no temporary file and a folder the next
//! run can use.

use std::fs;
use std::process::Command;

use predicates::str::contains;

use crate::common::{
    self, Exp, Running, experiment, leftovers, manifest, read_stderr_until, runner, signal,
    spawn_run,
};

/// A second run into a folder another run is writing is refused, naming
/// the holder; the first is unharmed, and a stale lock is taken over.
#[test]
fn a_second_run_into_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::slow("slow").write(dir.path());
    let out = dir.path().join("reports");
    let mut first = Running(spawn_run(&file, &out));
    let (_, rest) = read_stderr_until(&mut first.0, "[1/");
    let second = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.0.id())),
        "names the holder: {stderr}"
    );
    signal(first.0.id(), "TERM");
    drop(rest);
    assert_eq!(first.0.wait().unwrap().code(), Some(143));
    let m = manifest(&out.join("slow"));
    assert_eq!(m["status"], "interrupted");
    assert_eq!(m["pid"], first.0.id());
    // A redraw while nobody holds the folder works, and a stale lock file
    // from a dead run is taken over.
    fs::write(out.join("slow/.lock"), "999999").unwrap();
    runner()
        .arg("report")
        .arg(out.join("slow"))
        .assert()
        .success();
}

/// Two experiments of one command may not share a name (one would
/// overwrite the other's report); a quick run has a folder no experiment
/// name can take.
#[test]
fn duplicate_names_are_refused_and_quick_folders_cannot_collide() {
    let dir = tempfile::tempdir().unwrap();
    let a = experiment(dir.path(), "a", &Exp::small("small").toml());
    let b = experiment(dir.path(), "b", &Exp::small("small").toml());
    let out = dir.path().join("reports");
    runner()
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("also the name of"))
        .stderr(contains("b.toml:1:1"));
    assert!(!out.exists(), "nothing is written");
    let quick = Exp::small("small-quick").write(dir.path());
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

/// Files runner did not write, in the report folder or as the reports'
/// index, are never replaced or deleted: the run is refused, naming them.
#[test]
fn files_runner_did_not_write_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small").write(dir.path());
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

/// A table of an earlier, different run of the same name is removed,
/// never linked from the new page.
#[test]
fn tables_of_an_earlier_run_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let first = Exp::of("factor_frequency", "same")
        .range(3, 2_000)
        .write(dir.path());
    runner()
        .arg(&first)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("same/factors.csv").is_file());
    let second = Exp::small("same").write(dir.path());
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

/// A write that fails (here: a file-size limit, as a full disk would)
/// names the file and the reason, leaves no temporary file, marks the
/// manifest and ends with the I/O status.
#[test]
fn a_failed_write_is_reported_and_cleaned_up() {
    require!(
        common::installed("prlimit", "--version"),
        "prlimit (util-linux) is not installed"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small")
        .sweep("chunksize", Vec::from_iter(1..=20))
        .write(dir.path());
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

/// A disk that filled up at the start of a run (`prlimit --fsize=600`: the
/// experiment copy and the tables' headers fit, the manifest did not) left
/// runner's own files without a manifest listing them, so every later run
/// refused the folder as holding files runner did not write. The manifest
/// is now written first.
#[test]
fn a_run_stopped_by_a_full_disk_at_its_start_can_be_run_again() {
    require!(
        common::installed("prlimit", "--version"),
        "prlimit (util-linux) is not installed"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::tiny("small").write(dir.path());
    let out = dir.path().join("reports");
    let full = Command::new("prlimit")
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
    let file = Exp::tiny("small").write(dir.path());
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
    let file = Exp::tiny("small").write(dir.path());
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

/// Every file error printed with its causes said the OS's reason twice:
/// "cannot write .../index.html: Is a directory (os error 21): Is a
/// directory (os error 21)".
#[test]
fn a_file_error_gives_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::tiny("small").write(dir.path());
    let out = dir.path().join("reports");
    fs::create_dir_all(out.join("index.html")).unwrap();
    let output = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("Is a directory").count(), 1, "{stderr}");
}
