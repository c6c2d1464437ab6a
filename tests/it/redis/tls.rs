//! `rediss://` URLs: runner and its local workers reach a TLS-only
//! redis-server through a test CA, and refuse its certificate without the
//! CA rather than run in clear. Skipped without openssl or a redis-server
//! built with TLS (a failure under RUNNER_REQUIRE_ALL=1).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{remote, summary};
use crate::common::{self, RedisServer};

/// A TLS-only redis-server of the test's own with a certificate from a test
/// CA; stopped on drop.
struct TlsServer {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl TlsServer {
    /// `None` (with a message) without redis-server or openssl, or when
    /// this redis-server was built without TLS.
    fn start() -> Option<TlsServer> {
        RedisServer::start()?; // skips (or fails when required) without redis-server
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        std::fs::write(
            dir.path().join("ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let made = openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=runner test CA",
        ]) && openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]) && openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ]);
        if !common::require(made, "openssl could not make a test certificate") {
            return None;
        }
        let port = common::free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let mut server = TlsServer { port, child, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            if server.child.try_wait().unwrap().is_some() {
                common::require(false, "this redis-server has no TLS");
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on TLS port {port} within 5 s");
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rediss_urls_encrypt_and_an_unknown_certificate_is_refused() {
    let Some(server) = TlsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("tls")
        .range(1000, 3000)
        .strategy("queue")
        .run("spawn_local", 2)
        .sweep("workers", [2])
        .write(dir.path());
    let url = format!("rediss://127.0.0.1:{}", server.port);
    let trusted = |out: &str| {
        let mut run = Command::new(env!("CARGO_BIN_EXE_runner"));
        run.arg(&file)
            .args(["--out", dir.path().join(out).to_str().unwrap()])
            .env("REDIS_URL", &url)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        run
    };
    // Trusted through the test CA (rustls reads SSL_CERT_FILE): it runs.
    let output = trusted("out")
        .env("SSL_CERT_FILE", server.dir.path().join("ca.pem"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        summary(&dir.path().join("out"), "tls").column("ok"),
        ["true"]
    );
    // Without the CA the certificate is refused: nothing runs in clear.
    let output = trusted("out2")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
}
