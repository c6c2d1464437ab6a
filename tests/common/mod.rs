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

/// A `redis-server` of the test's own on a free loopback port, stopped on drop.
pub struct RedisServer {
    pub port: u16,
    child: std::process::Child,
}

impl RedisServer {
    /// Starts a server, or `None` (with a message) when `redis-server` is not
    /// installed. With `RUNNER_REQUIRE_REDIS=1` a missing server is a failure.
    pub fn start() -> Option<RedisServer> {
        let required = std::env::var("RUNNER_REQUIRE_REDIS").is_ok_and(|v| v == "1");
        let installed = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !installed {
            assert!(
                !required,
                "RUNNER_REQUIRE_REDIS=1 but redis-server is not installed"
            );
            eprintln!("SKIPPED: redis-server is not installed (apt-get install -y redis-server)");
            return None;
        }
        let port = free_port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = RedisServer { port, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not listen on port {port} within 5 s");
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The number of keys stored.
    pub fn keys(&self) -> usize {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "dbsize"])
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a count")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "shutdown", "nosave"])
            .output();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
