//! A key on a real Redis server: every look is a GET over TCP, as in the book.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Flag, FlagError};

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

    /// Connects and asks PING once, with short timeouts: whether the server
    /// answers, or a one-line reason and what to do.
    pub fn probe(&self) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| {
            crate::console::one_line(&format!(
                "cannot reach Redis at {} (chosen by {}): {e}; {}",
                redact(&self.url),
                self.chosen_by,
                self.advice()
            ))
        };
        let mut connection = connect(&self.url, PROBE_TIMEOUT).map_err(|e| fail(&e))?;
        redis::cmd("PING")
            .query::<String>(&mut connection)
            .map(drop)
            .map_err(|e| fail(&e))
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
        cmd.query(&mut self.connection).map_err(|e| {
            FlagError(crate::console::one_line(&format!(
                "Redis at {} failed: {e}",
                redact(&self.url)
            )))
        })
    }
}

/// The command that starts a server where `url` points: the advice used to
/// name port 6379 whatever the URL said.
fn start_command(url: &str) -> String {
    use redis::IntoConnectionInfo;
    let port = match url.into_connection_info().map(|info| info.addr().clone()) {
        Ok(redis::ConnectionAddr::Tcp(_, port) | redis::ConnectionAddr::TcpTls { port, .. }) => {
            port
        }
        _ => 6379,
    };
    format!("`redis-server --port {port} --save ''`")
}

/// Opens a connection with timeouts, so a dead server fails instead of hanging.
fn open(url: &str) -> Result<redis::Connection, FlagError> {
    let unreachable = |e: redis::RedisError| {
        FlagError(crate::console::one_line(&format!(
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

/// `url` with its password (if any) replaced by `***`, for every message,
/// report and manifest: `redis://user:***@host:6379/0`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:***"),
        // `redis://secret@host`: a lone userinfo may be a password.
        None if !userinfo.is_empty() => "***".to_string(),
        None => String::new(),
    };
    format!("{scheme}://{user}@{host}{tail}")
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
            return redis::cmd("SET")
                .arg(&self.key)
                .arg(1)
                .arg("PX")
                .arg(ttl)
                .query(&mut self.connection)
                .map_err(|e| {
                    FlagError(crate::console::one_line(&format!(
                        "Redis at {} failed: {e}",
                        redact(&self.url)
                    )))
                });
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

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("redis://alice:s3cret@db.example:6380/2"),
            "redis://alice:***@db.example:6380/2"
        );
        assert_eq!(redact("rediss://:s3cret@db:6380"), "rediss://:***@db:6380");
        assert_eq!(redact("redis://s3cret@db"), "redis://***@db");
        assert_eq!(redact("redis://a:p@ss@w@rd@h/0"), "redis://a:***@h/0");
        assert!(!redact("redis://u:p%40ss@h").contains("p%40ss"));
    }
}
