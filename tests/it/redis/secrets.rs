//! Redis passwords never show: not on a console line, not in a file the
//! run writes, whatever the URL's form (user and password, a Unix socket's
//! `?pass=`, a URL that does not parse); a wrong password or a weak ACL is
//! a configuration error with advice; and an experiment file that holds a
//! password is refused where it is written.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Run, connection, keys, remote};
use crate::common::{RedisServer, experiment, files_under};

/// A password in the URL is accepted, and shown nowhere; a wrong one, or
/// an ACL that forbids runner's commands, is a configuration error (exit
/// status 2, nothing written) whose advice is about the password or the
/// ACL, never about starting a server.
#[test]
fn a_password_never_shows() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut redis = connection(&server);
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("runner")
        .arg("on")
        .arg(">hunter2-secret")
        .arg("~*")
        .arg("&*")
        .arg("+@all")
        .query(&mut redis)
        .unwrap();
    let url = format!("redis://runner:hunter2-secret@127.0.0.1:{}", server.port);
    let dir = tempfile::tempdir().unwrap();
    let file = remote("secret")
        .range(1000, 3000)
        .run("spawn_local", 1)
        .sweep("workers", [1])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) = Run::start(&file, &out, &url, &[]).finish(Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    // A wrong password: the message shows the URL, never the password.
    let wrong = format!("redis://runner:wrong-secret@127.0.0.1:{}", server.port);
    let (status, stderr) =
        Run::start(&file, &dir.path().join("out2"), &wrong, &[]).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("runner:***@127.0.0.1"), "{stderr}");
    assert!(
        stderr.contains("refused runner's credentials")
            && stderr.contains("check the user and password in REDIS_URL")
            && stderr.contains("nothing was run"),
        "{stderr}"
    );
    assert!(!stderr.contains("redis-server --port"), "{stderr}");
    assert!(
        !dir.path().join("out2").exists(),
        "a refused run wrote files"
    );
    // An ACL that forbids runner's commands: the same, with ACL advice.
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("weak")
        .arg("on")
        .arg(">weak-secret")
        .arg("~*")
        .arg("-@all")
        .query(&mut redis)
        .unwrap();
    let weak = format!("redis://weak:weak-secret@127.0.0.1:{}", server.port);
    let (status, stderr) =
        Run::start(&file, &dir.path().join("out3"), &weak, &[]).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refused a command runner needs") && stderr.contains("ACL SETUSER"),
        "{stderr}"
    );
    assert!(!stderr.contains("weak-secret"), "{stderr}");
    // `runner worker` says the same and exits 2.
    for url in [&wrong, &weak] {
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--name", "refused"])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("ACL"), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
    }
    for path in files_under(dir.path()) {
        let text = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&text);
        assert!(
            !text.contains("hunter2-secret") && !text.contains("wrong-secret"),
            "{} shows a password",
            path.display()
        );
    }
    let _: () = redis::cmd("ACL")
        .arg("DELUSER")
        .arg("runner")
        .arg("weak")
        .query(&mut redis)
        .unwrap();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// A password in a Unix socket's URL (`?pass=`,
/// `?password=`) or in a URL that does not parse (an unencoded '#' or '/')
/// reaches no console line and no file; an experiment file holding one in
/// any form is refused at `check`, with its line and column. No server is
/// needed: none answers at these URLs. (A regression test of issue 20.)
#[test]
fn passwords_in_unix_socket_and_unparsable_urls_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let file = remote("leak")
        .range(1000, 5000)
        .run("spawn_local", 1)
        .sweep("workers", [1])
        .write(dir.path());
    let socket = dir.path().join("nosock");
    let urls = [
        format!("redis+unix://{}?pass=LEAK-A", socket.display()),
        format!("unix://{}?db=0&password=LEAK-B", socket.display()),
        "redis://:pw#LEAK-C@127.0.0.1:1".to_string(),
        "redis://:p/wLEAK-D@127.0.0.1:1".to_string(),
    ];
    for (i, url) in urls.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .args(["--out", out.to_str().unwrap()])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(
            !stdout.contains("LEAK") && !stderr.contains("LEAK"),
            "{url}: {stderr}"
        );
        match url.starts_with("redis://") {
            // Unparsable: a configuration error, nothing written.
            true => {
                assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
                assert!(stderr.contains("redis://***@127.0.0.1:1"), "{stderr}");
                assert!(stderr.contains("%23"), "{stderr}");
                assert!(!out.exists());
            }
            // No server at the socket: skipped, every report file written.
            false => {
                assert_eq!(output.status.code(), Some(3), "{url}: {stderr}");
                assert!(stderr.contains("?pass=***") || stderr.contains("password=***"));
                let files = files_under(&out);
                for name in ["results.csv", "summary.csv", "summary.json", "summary.md"] {
                    assert!(
                        files.iter().any(|f| f.ends_with(name)),
                        "no {name}: {files:?}"
                    );
                }
                for path in files {
                    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
                    assert!(
                        !text.contains("LEAK"),
                        "{} shows a password",
                        path.display()
                    );
                }
            }
        }
        // `runner worker` neither.
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--name", "leak"])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            !stderr.contains("LEAK") && stderr.contains("***"),
            "{url}: {stderr}"
        );
    }
    // In an experiment file, a password is refused however it is written,
    // and the line holding it is not quoted.
    for (i, url) in [
        "redis+unix:///x.sock?pass=FILESECRET",
        "unix:///x.sock?password=FILESECRET",
        "redis+unix:///x.sock?db=1&P%41SS=FILESECRET",
        "redis://:FILESECRET@127.0.0.1:6379",
        "redis://user:FILESECRET@127.0.0.1:6379",
        "redis://:FILE#SECRET@127.0.0.1:6379",
    ]
    .iter()
    .enumerate()
    {
        let file = experiment(
            dir.path(),
            &format!("in_file{i}"),
            &format!(
                "name = \"in_file\"\n[workload]\nkind = \"verify\"\nnumbers = [{{ name = \"p\", value = 1_000_003 }}]\nredis_url = \"{url}\"\n[run]\nstrategy = \"cooperative\"\n[sweep]\nflag = [\"redis\"]\n"
            ),
        );
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains(&format!("in_file{i}.toml:5:13"))
                && stderr.contains("holds a password")
                && stderr.contains("REDIS_URL="),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains("SECRET"), "{url}: {stderr}");
    }
}
