//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
