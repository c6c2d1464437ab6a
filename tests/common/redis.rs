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
