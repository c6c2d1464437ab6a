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

/// Whether `program` can be started (`program ARG` runs).
pub fn installed(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// A `redis-server` of the test's own on a free loopback port, stopped on drop.
pub struct RedisServer {
    pub port: u16,
    child: std::process::Child,
}

impl RedisServer {
    /// Starts a server, or `None` (a skip, see [`require`]) when
    /// `redis-server` is not installed.
    pub fn start() -> Option<RedisServer> {
        if !require(
            installed("redis-server", "--version"),
            "redis-server is not installed (apt-get install -y redis-server)",
        ) {
            return None;
        }
        // Two tests may draw the same free port between its release and the
        // server's bind: the loser's server exits, and a connect would reach
        // the winner's, which stops when its test ends (connection refused
        // mid-test). So a server counts only when the one answering on the
        // port has our child's pid; otherwise try another port.
        for _ in 0..10 {
            let port = free_port();
            let mut child = std::process::Command::new("redis-server")
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
            for _ in 0..100 {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                if redis_pid(port) == Some(child.id()) {
                    return Some(RedisServer { port, child });
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not listen on a free port of its own in 10 tries");
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

/// The pid of the Redis server answering on loopback `port`, if one does.
fn redis_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .ok()?;
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut text = String::new();
    let mut buffer = [0u8; 4096];
    while !text.contains("process_id:") || !text[text.find("process_id:")?..].contains('\n') {
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            return None;
        }
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    let line = &text[text.find("process_id:")? + "process_id:".len()..];
    line[..line.find('\r').or(line.find('\n'))?]
        .trim()
        .parse()
        .ok()
}

/// A loopback port nobody listens on (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
