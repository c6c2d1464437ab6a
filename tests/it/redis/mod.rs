//! `executor = "redis"`: workers reached through Redis Streams, and what
//! runner does when Redis cannot be reached, refuses it, or is reached by
//! a stranger. Each test starts its own redis-server on a free port
//! (skipped without one unless RUNNER_REQUIRE_ALL=1) and its own `runner
//! worker` processes, killed on drop; answers are checked by runner's
//! oracle, never timings; and a test ends with no key left on its server
//! but those that expire by themselves.

mod executor;
mod secrets;
mod tls;
mod trust;
mod unreachable;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Csv, Exp, RedisServer, wait_at_most};

/// A pool experiment behind Redis (one repeat, no warm-up): the tests add
/// its range and what they sweep.
fn remote(name: &str) -> Exp {
    Exp::primes(name)
        .strategy("pool")
        .executor("redis")
        .repeats(1, 0)
}

/// `runner worker` processes of a test; killed and reaped on drop.
struct Workers(Vec<Child>);

impl Workers {
    /// Starts one `runner worker --slots N --name NAME` per name.
    fn start(url: &str, names: &[(&str, u32)]) -> Workers {
        let mut workers = Workers(Vec::new());
        for (name, slots) in names {
            let child = Command::new(env!("CARGO_BIN_EXE_runner"))
                .args(["worker", "--slots", &slots.to_string(), "--name", name])
                .env("REDIS_URL", url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("runner worker starts");
            workers.0.push(child);
        }
        workers
    }

    /// Stops every worker as a user would (SIGTERM) and waits for each.
    fn stop(&mut self) {
        for child in &self.0 {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        }
        for child in &mut self.0 {
            wait_at_most(child, Duration::from_secs(20));
        }
        self.0.clear();
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A coordinator run in the background, killed on drop.
struct Run {
    child: Child,
    stderr: PathBuf,
}

impl Run {
    /// Starts `runner FILE --out OUT EXTRA...` with `REDIS_URL=url`, its
    /// stderr kept beside `out`.
    fn start(file: &Path, out: &Path, url: &str, extra: &[&str]) -> Run {
        let stderr = out.with_extension("stderr");
        let child = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(file)
            .args(["--out", out.to_str().unwrap()])
            .args(extra)
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("runner starts");
        Run { child, stderr }
    }

    /// Waits for the run (at most `limit`, a hang guard); its status and stderr.
    fn finish(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let status = wait_at_most(&mut self.child, limit);
        (status, fs::read_to_string(&self.stderr).unwrap())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A connection of the test's own to `server`.
fn connection(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// The keys whose names match `pattern`.
fn keys(server: &RedisServer, pattern: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(pattern)
        .query(&mut connection(server))
        .unwrap()
}

/// Waits until `check` holds (a hang guard of 60 s).
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "waited 60 s for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the run's case has put jobs on its stream (a hang guard of
/// 60 s): then it is under way.
fn wait_for_jobs(server: &RedisServer) {
    let mut redis = connection(server);
    wait_until("the case to send jobs", || {
        keys(server, "runner:run:*:jobs").pop().is_some_and(|jobs| {
            redis::cmd("XLEN")
                .arg(jobs)
                .query::<u64>(&mut redis)
                .is_ok_and(|n| n > 0)
        })
    });
}

/// The summary.csv of experiment `name` under `out`.
fn summary(out: &Path, name: &str) -> Csv {
    Csv::read(&out.join(name).join("summary.csv"))
}
