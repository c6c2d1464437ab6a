//! A key on a real Redis server: every look is a GET over TCP, as in the book.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Flag, FlagError};
use crate::console;
use crate::secret::redact;

/// Where to find Redis when neither the experiment nor `REDIS_URL` says.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// How long to wait for the server before giving up with a message.
const TIMEOUT: Duration = Duration::from_secs(5);

/// How long the once-per-run probe waits: a server that accepts connections
/// but never answers must not cost every case the full timeout. A TLS
/// handshake on a loaded 2-core machine took over 2 s in a CI rehearsal, so
/// the probe allows as long as any other request.
const PROBE_TIMEOUT: Duration = TIMEOUT;

/// The Redis server a run uses, and what chose it (for messages that say
/// what to change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTarget {
    pub url: String,
    /// "`redis_url` in the experiment file", "REDIS_URL" or "the default".
    pub chosen_by: &'static str,
}

/// The server to use: the experiment's `redis_url`, else `REDIS_URL`, else
/// the default.
pub fn redis_target(from_experiment: Option<&str>) -> RedisTarget {
    let env = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    match (from_experiment, env) {
        (Some(url), _) => RedisTarget {
            url: url.to_string(),
            chosen_by: "`redis_url` in the experiment file",
        },
        (None, Some(url)) => RedisTarget {
            url,
            chosen_by: "REDIS_URL",
        },
        (None, None) => RedisTarget {
            url: DEFAULT_REDIS_URL.to_string(),
            chosen_by: "the default",
        },
    }
}

impl RedisTarget {
    /// What to do when the server cannot be reached.
    fn advice(&self) -> String {
        let change = match self.chosen_by {
            "REDIS_URL" => "or point REDIS_URL at a running server",
            "the default" => {
                "or point `redis_url` in [workload] (or REDIS_URL) at a running server"
            }
            _ => "or change `redis_url` in [workload] to a running server",
        };
        format!("start one with {} {change}", start_command(&self.url))
    }

    /// Where the URL is written, for advice.
    fn place(&self) -> &'static str {
        match self.chosen_by {
            "REDIS_URL" => "REDIS_URL",
            "the default" => "REDIS_URL (unset: runner used redis://127.0.0.1:6379)",
            _ => "`redis_url` in [workload]",
        }
    }

    /// Connects and asks PING once, with short timeouts: whether the server
    /// answers, or why not, told apart: a server that is not there (the
    /// cases that need it are skipped) from one that refuses runner's
    /// credentials or a URL that does not parse (a configuration error).
    pub fn probe(&self) -> Result<(), ProbeError> {
        let fail = |e: &redis::RedisError| match refusal(e) {
            Some(refusal) => ProbeError::Misconfigured {
                message: console::one_line(&format!(
                    "{} (chosen by {}): {e}",
                    refusal.what(&redact(&self.url)),
                    self.chosen_by
                )),
                help: refusal.help(self.place()),
            },
            None => ProbeError::Unreachable(console::one_line(&format!(
                "cannot reach Redis at {} (chosen by {}): {e}; {}",
                redact(&self.url),
                self.chosen_by,
                self.advice()
            ))),
        };
        let mut connection = connect(&self.url, PROBE_TIMEOUT).map_err(|e| fail(&e))?;
        redis::cmd("PING")
            .query::<String>(&mut connection)
            .map(drop)
            .map_err(|e| fail(&e))
    }
}

/// Why the Redis server a run names cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No server answers there (or not in time): the cases that need one
    /// are skipped.
    #[error("{0}")]
    Unreachable(String),
    /// A server answered but refused runner (a wrong password, an ACL that
    /// forbids its commands), or the URL does not parse: a configuration
    /// error, which no server started elsewhere would fix.
    #[error("{message}")]
    Misconfigured { message: String, help: String },
}

/// How a server (or the client, for a URL) refused runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The URL does not parse.
    Url,
    /// The password (or the user) was refused, or the server needs one.
    Credentials,
    /// The user's ACL forbids a command runner needs.
    Acl,
}

impl Refusal {
    /// The start of a message about the server at `shown`.
    fn what(self, shown: &str) -> String {
        match self {
            Refusal::Url => format!("the Redis URL {shown} cannot be used"),
            Refusal::Credentials => format!("Redis at {shown} refused runner's credentials"),
            Refusal::Acl => format!("Redis at {shown} refused a command runner needs"),
        }
    }

    /// What to do about the URL written in `place` (e.g. "REDIS_URL").
    pub fn help(self, place: &str) -> String {
        match self {
            Refusal::Url => format!(
                "write {place} as redis://[user:password@]host:port[/db], rediss://... (TLS) or \
                 redis+unix:///path/to/socket[?pass=...]; in a password, write '#' as %23, '/' \
                 as %2F, '?' as %3F and '@' as %40"
            ),
            // An experiment file may hold no password (it is copied into
            // the report): the URL with one goes in the environment.
            Refusal::Credentials if place.starts_with("`redis_url`") => {
                "the server wants a password: remove `redis_url` from [workload] and set \
                 REDIS_URL=redis://user:password@host:port in the environment instead"
                    .to_string()
            }
            Refusal::Credentials => format!(
                "check the user and password in {place} (redis://user:password@host:port; a \
                 password only: redis://:password@host:port), and that the user is enabled in \
                 the server's ACL (`ACL GETUSER user`)"
            ),
            Refusal::Acl => format!(
                "allow the user of {place} runner's commands on its keys, e.g. \
                 `ACL SETUSER user +@all ~runner:*`, or use another user"
            ),
        }
    }
}

/// Whether `e` is a refusal of runner's configuration (a URL that does not
/// parse, credentials or an ACL the server refuses), not a missing server.
pub fn refusal(e: &redis::RedisError) -> Option<Refusal> {
    match (e.kind(), e.code()) {
        (redis::ErrorKind::InvalidClientConfig, _) => Some(Refusal::Url),
        (redis::ErrorKind::AuthenticationFailed, _) => Some(Refusal::Credentials),
        (_, Some("NOAUTH" | "WRONGPASS")) => Some(Refusal::Credentials),
        (_, Some("NOPERM")) => Some(Refusal::Acl),
        _ => None,
    }
}

/// One connection to the server and the key this run uses. The handle that
/// created the key deletes it when dropped.
pub struct RedisFlag {
    url: String,
    key: String,
    connection: redis::Connection,
    owner: bool,
    /// Set by [`Flag::rekey`]: the key is one round's, and a raise expires.
    rekeyed: bool,
}

/// How long a round's flag (see [`Flag::rekey`]) lives once raised: a raise
/// that expires mid-round only makes the other workers search on.
pub const ROUND_FLAG_TTL: std::time::Duration = std::time::Duration::from_secs(60);

static RUNS: AtomicU64 = AtomicU64::new(0);

impl RedisFlag {
    /// Connects to the server at `url` and picks a key of this run's own.
    pub fn connect_to(url: &str) -> Result<Self, FlagError> {
        let key = format!(
            "runner:flag:{}:{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        );
        Ok(RedisFlag {
            url: url.to_string(),
            connection: open(url)?,
            key,
            owner: true,
            rekeyed: false,
        })
    }

    /// Connects to the server at `url` and uses the existing `key` (another
    /// process's flag); this handle does not delete the key.
    pub fn attach(url: &str, key: &str) -> Result<Self, FlagError> {
        Ok(RedisFlag {
            url: url.to_string(),
            key: key.to_string(),
            connection: open(url)?,
            owner: false,
            rekeyed: false,
        })
    }

    /// The key this flag lives in.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Runs `name key [value]` on this handle's connection.
    fn command<T: redis::FromRedisValue>(
        &mut self,
        name: &str,
        value: Option<u8>,
    ) -> Result<T, FlagError> {
        let mut cmd = redis::cmd(name);
        cmd.arg(&self.key);
        if let Some(v) = value {
            cmd.arg(v);
        }
        self.query(&cmd)
    }

    /// Runs `cmd` on this handle's connection; one cut short by a signal
    /// (see [`interrupted`]) runs again on a new connection (GET, SET and
    /// DEL may run twice), so a stop and continue is not a failed flag.
    fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> Result<T, FlagError> {
        let mut tries = 0;
        loop {
            match cmd.query(&mut self.connection) {
                Err(e) if interrupted(&e) && tries < 10 => {
                    tries += 1;
                    if let Ok(fresh) = connect(&self.url, TIMEOUT) {
                        self.connection = fresh;
                    }
                }
                answer => {
                    return answer.map_err(|e| {
                        FlagError(console::one_line(&format!(
                            "Redis at {} failed: {e}",
                            redact(&self.url)
                        )))
                    });
                }
            }
        }
    }
}

/// The command that starts a server where `url` points: the advice used to
/// name port 6379 whatever the URL said.
fn start_command(url: &str) -> String {
    use redis::IntoConnectionInfo;
    match url.into_connection_info().map(|info| info.addr().clone()) {
        Ok(redis::ConnectionAddr::Tcp(_, port) | redis::ConnectionAddr::TcpTls { port, .. }) => {
            format!("`redis-server --port {port} --save ''`")
        }
        Ok(redis::ConnectionAddr::Unix(path)) => format!(
            "`redis-server --port 0 --unixsocket {} --save ''`",
            console::plain(&path.display().to_string())
        ),
        _ => "`redis-server --port 6379 --save ''`".to_string(),
    }
}

/// Opens a connection with timeouts, so a dead server fails instead of hanging.
fn open(url: &str) -> Result<redis::Connection, FlagError> {
    let unreachable = |e: redis::RedisError| {
        FlagError(console::one_line(&format!(
            "cannot reach Redis at {} ({e}); start a server with {} \
             or point `redis_url` in [workload] (or REDIS_URL) at one",
            redact(url),
            start_command(url)
        )))
    };
    connect(url, TIMEOUT).map_err(unreachable)
}

/// Opens a connection to `url` whose connect, reads and writes each give up
/// after `timeout`, so a dead or silent server fails instead of hanging.
/// `rediss://` URLs are encrypted with rustls (its ring provider, installed
/// here once); `redis://user:password@host` authenticates.
pub fn connect(url: &str, timeout: Duration) -> redis::RedisResult<redis::Connection> {
    // rustls needs one crypto provider per process; a second install fails
    // harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = redis::Client::open(url)?;
    let connection = client.get_connection_with_timeout(timeout)?;
    connection.set_read_timeout(Some(timeout))?;
    connection.set_write_timeout(Some(timeout))?;
    Ok(connection)
}

/// Whether a command was cut short by a signal, not by the server: on Linux
/// a socket read with a timeout fails with EINTR when a signal handler runs
/// (SIGTERM, Ctrl-C), and after the process is stopped and continued
/// (SIGSTOP, SIGCONT), whatever `SA_RESTART` says. The connection is opened
/// again (a reply may have been lost mid-read) and the command retried.
pub fn interrupted(e: &redis::RedisError) -> bool {
    e.is_io_error()
        && (std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::Interrupted)
            || e.to_string().contains("(os error 4)"))
}

/// Whether a failed command lost the connection (the server is gone, or did
/// not answer in time), rather than being answered with an error.
pub fn connection_failed(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal()
}

impl Flag for RedisFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(RedisFlag {
            url: self.url.clone(),
            key: self.key.clone(),
            connection: open(&self.url)?,
            owner: false,
            rekeyed: false,
        })
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.command("SET", Some(0))
    }
    fn set(&mut self) -> Result<(), FlagError> {
        if self.rekeyed {
            let ttl = ROUND_FLAG_TTL.as_millis() as u64;
            let mut cmd = redis::cmd("SET");
            cmd.arg(&self.key).arg(1).arg("PX").arg(ttl);
            return self.query(&cmd);
        }
        self.command("SET", Some(1))
    }
    fn rekey(&mut self, key: &str) {
        if self.key != key {
            if self.owner {
                let _ = self.command::<()>("DEL", None);
                self.owner = false;
            }
            self.key = key.to_string();
            self.rekeyed = true;
        }
    }
    fn is_set(&mut self) -> Result<bool, FlagError> {
        let value: Option<u8> = self.command("GET", None)?;
        Ok(value == Some(1))
    }
}

impl Drop for RedisFlag {
    fn drop(&mut self) {
        if self.owner {
            let _ = self.command::<()>("DEL", None); // best effort: the server may be gone
        }
    }
}
