//! Every deliberately broken experiment in tests/broken/ is refused with exit
//! status 2, a message that points at the line and column, and no output.

use crate::common;

use std::fs;
use std::path::PathBuf;

use crate::common::runner;

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
    common::experiment(
        dir.path(),
        "a_good",
        "name = \"good\"\n[workload]\nkind = \"primes\"\nrange = [2, 100]\n",
    );
    common::experiment(
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
