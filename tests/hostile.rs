//! Regression tests of a hostile user's tries after the hardening pass,
//! end to end with the built binary: each test pins one problem found and
//! names the input that showed it.

mod common;

use std::fs;

use common::runner;
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
