//! The processes a test starts and watches: a run of the binary, its
//! children (worker processes, a queue's manager), signals sent to them,
//! and whether they are gone. Every wait is bounded, and a run is killed
//! when its guard drops, so a failing test leaves no process behind.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts `runner FILE --out OUT` from the crate root, its stderr piped
/// (runner prints a line per case there) and its stdout dropped.
pub fn spawn_run(file: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(file)
        .arg("--out")
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runner starts")
}

/// Reads `child`'s stderr until a line starts with `prefix` (or the stream
/// ends, when the process does); the lines read, and the rest of the
/// stream, to keep open while the process goes on writing to it.
pub fn read_stderr_until(child: &mut Child, prefix: &str) -> (Vec<String>, BufReader<ChildStderr>) {
    let mut reader = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let mut seen = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).expect("stderr reads") > 0 {
        let done = line.starts_with(prefix);
        seen.push(std::mem::take(&mut line));
        if done {
            break;
        }
    }
    (seen, reader)
}

/// A process the test started, killed and reaped on drop (its worker
/// processes follow it by their parent-death signal).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Every line of the process's stderr until it exits, and its exit
    /// code; `None` if it is still running after `bound` (then the guard
    /// kills it).
    pub fn finish_within(&mut self, bound: Duration) -> Option<(Option<i32>, Vec<String>)> {
        let stderr = self.0.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + bound;
        let mut lines = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => lines.push(line),
                // stderr closed: the process has ended (or is about to).
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return Some((status.code(), lines));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// Waits for `child`, killing it past `limit` (a hang guard, not a timing).
pub fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            panic!("a process did not end within {limit:?} ({status})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends signal `name` (`TERM`, `INT`, `KILL`, `STOP`...) to `pid`.
pub fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name} {pid}");
}

/// The fields of /proc/PID/stat after the command name: `pid (comm)
/// state ppid ...`, where comm may hold spaces and parentheses, so the
/// fields start after its last ')'.
fn stat_after_comm(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')').map(|(_, rest)| rest.to_string())
}

/// Whether process `pid` is alive: it exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat_after_comm(pid).is_some_and(|rest| !rest.trim_start().starts_with('Z'))
}

/// The pids of the processes whose parent is `parent`.
pub fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let ppid = stat_after_comm(pid)
            .and_then(|rest| rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()));
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// Waits until `parent` has `n` children (its workers), at most 10 s;
/// the children it has then.
pub fn wait_for_children(parent: u32, n: usize) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let children = children_of(parent);
        if children.len() >= n || Instant::now() > deadline {
            return children;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn alive_reads_the_state_after_the_last_parenthesis() {
    // A live process whose command name looks like the end of one and a
    // zombie's state: "x) Z y".
    let dir = tempfile::tempdir().expect("a temporary folder");
    let odd = dir.path().join("x) Z y");
    fs::copy("/bin/sleep", &odd).expect("a copy of sleep");
    let mut sleeping = Running(Command::new(&odd).arg("30").spawn().expect("it starts"));
    let pid = sleeping.0.id();
    assert!(alive(pid), "a live process named {odd:?}");
    sleeping.0.kill().expect("kill");
    // Killed but not reaped: a zombie, not alive, and still a child.
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "sleep did not die");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(children_of(std::process::id()).contains(&pid));
    sleeping.0.wait().expect("reaped");
    assert!(!alive(pid));
}
