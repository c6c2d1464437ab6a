//! Helpers shared by the integration tests (tests/it and the two test
//! binaries beside it): the built binary, experiment files, the files a run
//! writes, the tools a test needs, and the processes and servers it starts.
// Each test binary uses a part of these.
#![allow(dead_code, unused_imports, unused_macros)]

mod case;
mod exp;
mod process;
mod redis;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub use case::{CaseBuilder, case};
pub use exp::{Exp, Raw};
pub use process::{
    Running, alive, children_of, read_stderr_until, signal, spawn_run, wait_at_most,
    wait_for_children,
};
pub use redis::RedisServer;

/// The built `runner` binary, run from the crate root.
pub fn runner() -> Command {
    let mut cmd = Command::cargo_bin("runner").expect("the runner binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Writes an experiment file into `dir` and returns its path.
pub fn experiment(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, text).expect("write the experiment");
    path
}

/// A report's manifest.json.
pub fn manifest(report: &Path) -> serde_json::Value {
    let text = fs::read(report.join("manifest.json")).expect("a manifest.json");
    serde_json::from_slice(&text).expect("a manifest in JSON")
}

/// Every file under `dir`, however deep.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => files.extend(files_under(&path)),
            false => files.push(path),
        }
    }
    files
}

/// The temporary files (`*.tmp`) and lock files left anywhere under `dir`:
/// a run, however it ended, leaves none.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".tmp") || path.ends_with(".lock"))
        .collect()
}

/// A CSV file as a header and rows of cells.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads a CSV file.
    pub fn read(path: &Path) -> Csv {
        let mut reader = csv::Reader::from_path(path).expect("a readable CSV");
        let header = reader
            .headers()
            .expect("a header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a row").iter().map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    /// Every value of the named column.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }
}

/// Whether every external tool a test needs must be present: with
/// `RUNNER_REQUIRE_ALL=1` (set by `.ci/run`) a missing tool is a failure,
/// not a skip. `RUNNER_REQUIRE_REDIS=1`, its older name from when Redis was
/// the only such tool, means the same.
pub fn everything_required() -> bool {
    ["RUNNER_REQUIRE_ALL", "RUNNER_REQUIRE_REDIS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == "1"))
}

/// Whether a test may go on: true when `available`. Otherwise the test is
/// skipped with `why` (printed, and appended to the file named by
/// `RUNNER_SKIP_LOG` so that `.ci/run` can count the skips, which `cargo
/// test` hides), or fails when [`everything_required`].
pub fn require(available: bool, why: &str) -> bool {
    if available {
        return true;
    }
    assert!(
        !everything_required(),
        "RUNNER_REQUIRE_ALL=1, but {why}: install it (see .ci/run)"
    );
    eprintln!("SKIPPED: {why}");
    if let Ok(log) = std::env::var("RUNNER_SKIP_LOG") {
        use std::io::Write;
        let test = std::thread::current().name().unwrap_or("?").to_string();
        if let Ok(mut file) = fs::OpenOptions::new().create(true).append(true).open(log) {
            let _ = writeln!(file, "{test}: {why}");
        }
    }
    false
}

/// `require!(available, "why")`: skips the test (returns from it) unless
/// `available`, saying why; a failure instead under `RUNNER_REQUIRE_ALL=1`.
/// See [`require`]. (`#[macro_use] mod common;` makes it visible.)
macro_rules! require {
    ($available:expr, $why:expr) => {
        if !$crate::common::require($available, $why) {
            return;
        }
    };
}

/// Whether `program` can be started (`program ARG` runs).
pub fn installed(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// A loopback port nobody listens on (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
