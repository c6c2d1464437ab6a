//! Bad experiment files are refused before anything runs: every
//! deliberately broken file in tests/broken/ with exit status 2, a message
//! that points at the line and column (snapshotted), and no output; a huge
//! or endless file after a bounded read; and no message echoes a control
//! character or a huge line from the file.

use std::fs;
use std::path::PathBuf;

use predicates::str::contains;

use crate::common::{experiment, runner};

fn broken_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("tests/broken exists")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the broken examples are missing");
    files
}

fn relative(path: &std::path::Path) -> String {
    format!(
        "tests/broken/{}",
        path.file_name().unwrap().to_string_lossy()
    )
}

#[test]
fn check_refuses_each_broken_file_with_its_position() {
    for file in broken_files() {
        let output = runner().args(["check", &relative(&file)]).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            file.display()
        );
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, stderr);
    }
}

#[test]
fn run_refuses_broken_files_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    for file in broken_files() {
        let output = runner()
            .arg(relative(&file))
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", file.display());
        let stderr = String::from_utf8(output.stderr).unwrap();
        let located = stderr.contains(&format!("{}:", relative(&file)));
        assert!(located, "the message names the file: {stderr}");
    }
    let written: Vec<_> = fs::read_dir(out.path()).unwrap().collect();
    assert!(written.is_empty(), "a bad file wrote {written:?}");
}

#[test]
fn one_bad_file_stops_a_whole_folder_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    experiment(
        dir.path(),
        "a_good",
        "name = \"good\"\n[workload]\nkind = \"primes\"\nrange = [2, 100]\n",
    );
    experiment(
        dir.path(),
        "b_bad",
        "name = \"bad\"\n[workload]\nkind = \"primes\"\nrange = [100, 2]\n",
    );
    let out = dir.path().join("out");
    runner()
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists(), "nothing may be written when any file is bad");
}

#[test]
fn missing_files_and_empty_folders_are_bad_input() {
    runner()
        .args(["check", "no/such/file.toml"])
        .assert()
        .code(2);
    let empty = tempfile::tempdir().unwrap();
    runner().arg("check").arg(empty.path()).assert().code(2);
}

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

/// An experiment file could write terminal escapes through runner's error
/// messages: `order = ["\u001b[2J"]` was quoted raw in "unknown value", and
/// a raw control character was echoed in the quoted line; a one-line 1 MB
/// file was echoed whole. Both are now shown escaped, and the line cut.
#[test]
fn error_messages_neither_echo_control_characters_nor_huge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"x\"\n[workload]\nkind = \"primes\"\nrange = [5, 50]\n[sweep]\norder = [\"\\u001b[2J\"]\n";
    let file = experiment(dir.path(), "escape", text);
    let output = runner().arg("check").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown value"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    let raw = experiment(dir.path(), "raw", "name = \"x\u{1b}[2J\"\n");
    let output = runner().arg("check").arg(&raw).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !output.stderr.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&output.stderr)
    );
    let long = format!("name = \"x\"\nz = \"{}\" + 1\n", "a".repeat(1 << 20));
    let long = experiment(dir.path(), "long", &long);
    let output = runner().arg("check").arg(&long).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stderr.len() < 1000, "{} bytes", output.stderr.len());
}
