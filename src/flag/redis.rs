//! A key on a real Redis server: every look is a GET over TCP, as in the book.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Flag, FlagError};

/// Where to find Redis when neither the experiment nor `REDIS_URL` says.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// How long to wait for the server before giving up with a message.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The URL to use: the experiment's, else `REDIS_URL`, else the default.
pub fn redis_url(from_experiment: Option<&str>) -> String {
    from_experiment
        .map(str::to_string)
        .or_else(|| std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string())
}

/// One connection to the server and the key this run uses. The handle that
/// created the key deletes it when dropped.
pub struct RedisFlag {
    url: String,
    key: String,
    connection: redis::Connection,
    owner: bool,
}

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
        })
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
        cmd.query(&mut self.connection)
            .map_err(|e| FlagError(format!("Redis at {} failed: {e}", self.url)))
    }
}

/// Opens a connection with timeouts, so a dead server fails instead of hanging.
fn open(url: &str) -> Result<redis::Connection, FlagError> {
    let unreachable = |e: redis::RedisError| {
        FlagError(format!(
            "cannot reach Redis at {url} ({e}); start a server with `redis-server --port 6379 --save ''` \
             or point REDIS_URL (or `redis_url` in [workload]) at one"
        ))
    };
    let client = redis::Client::open(url).map_err(unreachable)?;
    let connection = client
        .get_connection_with_timeout(TIMEOUT)
        .map_err(unreachable)?;
    connection
        .set_read_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    connection
        .set_write_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    Ok(connection)
}

impl Flag for RedisFlag {
    fn connect(&self) -> Result<Self, FlagError> {
        Ok(RedisFlag {
            url: self.url.clone(),
            key: self.key.clone(),
            connection: open(&self.url)?,
            owner: false,
        })
    }
    fn clear(&mut self) -> Result<(), FlagError> {
        self.command("SET", Some(0))
    }
    fn set(&mut self) -> Result<(), FlagError> {
        self.command("SET", Some(1))
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
