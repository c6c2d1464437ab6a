//! A `redis-server` of the test's own, for the tests of the Redis flag and
//! executor: started on a free loopback port, stopped on drop.

use super::{free_port, installed, require};

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
