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
                message: crate::console::one_line(&format!(
                    "{} (chosen by {}): {e}",
                    refusal.what(&redact(&self.url)),
                    self.chosen_by
                )),
                help: refusal.help(self.place()),
            },
            None => ProbeError::Unreachable(crate::console::one_line(&format!(
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
                        FlagError(crate::console::one_line(&format!(
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
            crate::console::plain(&path.display().to_string())
        ),
        _ => "`redis-server --port 6379 --save ''`".to_string(),
    }
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

/// What [`redact`] shows of a URL it cannot read safely.
pub const UNPARSABLE: &str = "<unparsable URL>";

/// The schemes the Redis client reads.
const SCHEMES: [&str; 7] = [
    "redis",
    "rediss",
    "valkey",
    "valkeys",
    "redis+unix",
    "valkey+unix",
    "unix",
];

/// Query parameters shown as written; any other one's value is hidden.
const SHOWN_PARAMETERS: [&str; 2] = ["db", "protocol"];

/// Whether the Redis client can use `url` (it parses; nothing is connected).
pub fn parses(url: &str) -> bool {
    redis::IntoConnectionInfo::into_connection_info(url).is_ok()
}

/// `url` as every message, report and manifest shows it: no password in
/// any form the client reads. The user info becomes `user:***@` (a lone
/// one `***@`, as it may be a password), the value of every query parameter
/// but `db` and `protocol` becomes `***` (`?pass=***` of a Unix socket's
/// URL), and a fragment other than `#insecure` becomes `#***`. A URL that
/// does not parse, or whose `@` stands outside its user info (a password
/// with an unencoded `#`, `/` or `?`), shows only its scheme and host
/// (`redis://***@host:6379`), or [`UNPARSABLE`] when even that is unclear.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return UNPARSABLE.to_string();
    };
    if !SCHEMES.contains(&scheme) {
        return UNPARSABLE.to_string();
    }
    let unix = scheme.ends_with("unix");
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    // In a TCP URL an `@` past the host can only be a password's.
    if !parses(url) || (!unix && tail.contains('@')) {
        return scheme_and_host(scheme, rest);
    }
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => format!("{}@{host}", hidden_userinfo(userinfo)),
        None => authority.to_string(),
    };
    let (tail, fragment) = match tail.split_once('#') {
        Some((tail, fragment)) => (tail, Some(fragment)),
        None => (tail, None),
    };
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut shown = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let parameters: Vec<String> = query.split('&').map(shown_parameter).collect();
        shown += &format!("?{}", parameters.join("&"));
    }
    if let Some(fragment) = fragment {
        // `#insecure` is the one fragment the client reads (TLS unchecked).
        shown += match fragment {
            "insecure" => "#insecure",
            _ => "#***",
        };
    }
    shown
}

/// `user:***` or `***` for the user info `userinfo`.
fn hidden_userinfo(userinfo: &str) -> String {
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:***"),
        // `redis://secret@host`: a lone user info may be a password.
        None if !userinfo.is_empty() => "***".to_string(),
        None => String::new(),
    }
}

/// A query parameter as shown: `db` and `protocol` as written, any other
/// one's value hidden (an unencoded `&` in a password starts a parameter).
fn shown_parameter(parameter: &str) -> String {
    let key = query_key(parameter);
    match (
        SHOWN_PARAMETERS.contains(&key.as_str()),
        parameter.split_once('='),
    ) {
        (true, _) => parameter.to_string(),
        (false, Some((raw_key, _))) => format!("{raw_key}=***"),
        (false, None) if parameter.is_empty() => String::new(),
        (false, None) => "***".to_string(),
    }
}

/// A query parameter's key, decoded as the client decodes it (`p%61ss` is
/// `pass`), in lower case.
fn query_key(parameter: &str) -> String {
    form_urlencoded::parse(parameter.as_bytes())
        .next()
        .map(|(key, _)| key.to_lowercase())
        .unwrap_or_default()
}

/// The scheme and host of a URL that cannot be read safely: the host is
/// what follows the last `@` (a password may hold `#`, `/`, `?` or `@`, a
/// host none of them), unless a `?` comes before that `@` (then the `@` may
/// be in a query's password).
fn scheme_and_host(scheme: &str, rest: &str) -> String {
    let (had_userinfo, after) = match rest.rfind('@') {
        Some(at) if rest[..at].contains('?') => return UNPARSABLE.to_string(),
        Some(at) => (true, &rest[at + 1..]),
        None => (false, rest),
    };
    let host = after.split(['/', '?', '#']).next().unwrap_or_default();
    if !looks_like_host(host) {
        return UNPARSABLE.to_string();
    }
    match had_userinfo {
        true => format!("{scheme}://***@{host}"),
        false => format!("{scheme}://{host}"),
    }
}

/// `name`, `name:port`, `1.2.3.4:port` or `[::1]:port`.
fn looks_like_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && !port.contains(']') => (name, Some(port)),
        _ => (host, None),
    };
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => {
            !v6.is_empty()
                && v6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        }
        None => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    name_ok && port_ok
}

/// How `url` carries a password (or a user name, which may be one), if it
/// does: user info (`user:password@host`, `secret@host`, also when the URL
/// does not parse) or a `pass` or `password` query parameter (the form a
/// Unix socket's URL takes), however it is encoded.
pub fn password_in(url: &str) -> Option<&'static str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let query = rest
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or_default());
    for parameter in query.unwrap_or_default().split('&') {
        match query_key(parameter).as_str() {
            "pass" => return Some("a `pass` query parameter (?pass=...)"),
            "password" => return Some("a `password` query parameter (?password=...)"),
            _ => {}
        }
    }
    let scheme = url.split_once("://").map(|(s, _)| s);
    let unix = scheme.is_some_and(|s| s.ends_with("unix"));
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // In a Unix socket's URL an `@` may be part of the socket's path.
    let userinfo = authority.contains('@') || (!unix && rest.contains('@'));
    userinfo.then_some("user info (user:password@host)")
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

#[cfg(test)]
mod tests {
    use super::{UNPARSABLE, password_in, redact};

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

    /// Issue 20 item 3: the forms that leaked.
    #[test]
    fn a_password_in_a_query_or_an_unparsable_url_never_shows() {
        let cases = [
            // A Unix socket's password is a query parameter, however encoded.
            (
                "redis+unix:///x/nosock?pass=LEAK",
                "redis+unix:///x/nosock?pass=***",
            ),
            (
                "unix:///x.sock?password=LEAK",
                "unix:///x.sock?password=***",
            ),
            (
                "redis+unix:///x.sock?db=2&user=bob&p%61ss=LEAK",
                "redis+unix:///x.sock?db=2&user=***&p%61ss=***",
            ),
            // An unencoded '&' or '#' in a query's password.
            (
                "redis+unix:///x.sock?pass=LE&AK",
                "redis+unix:///x.sock?pass=***&***",
            ),
            (
                "redis+unix:///x.sock?pass=LE#AK",
                "redis+unix:///x.sock?pass=***#***",
            ),
            // A password with an unencoded '#', '/' or '?' does not parse.
            ("redis://:pw#LEAK@127.0.0.1:1", "redis://***@127.0.0.1:1"),
            ("redis://:p/wLEAK@127.0.0.1:1", "redis://***@127.0.0.1:1"),
            ("redis://u:p/w#LEAK@h:6379/0", "redis://***@h:6379"),
            // ... or parses with the password's start taken for a host.
            ("redis://LE#AK@db:6379", "redis://***@db:6379"),
            ("redis://LE?AK@db", UNPARSABLE),
            ("rediss://h:6380#insecure", "rediss://h:6380#insecure"),
            (
                "redis://h:6379/?protocol=resp3",
                "redis://h:6379/?protocol=resp3",
            ),
            ("redis://127.0.0.1:notaport", UNPARSABLE),
            ("redis://127.0.0.1:notaport/x", UNPARSABLE),
            ("LEAK@127.0.0.1", UNPARSABLE),
            ("http://u:LEAK@h", UNPARSABLE),
            ("", UNPARSABLE),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("LEAK"), "{url}");
        }
    }

    #[test]
    fn a_password_is_found_however_it_is_written() {
        for url in [
            "redis://u:pw@h",
            "redis://:pw@h",
            "redis://pw@h",
            "redis://:pw#x@h:1",
            "redis://:p/w@h:1",
            "redis+unix:///x.sock?pass=pw",
            "unix:///x.sock?db=1&password=pw",
            "redis+unix:///x.sock?P%61SS=pw",
            "redis+unix:///x.sock?pass=pw#frag",
        ] {
            assert!(password_in(url).is_some(), "{url}");
        }
        for url in [
            "redis://h:6379/0",
            "redis+unix:///run/redis@main/redis.sock?db=1",
            "rediss://h:6380#insecure",
        ] {
            assert_eq!(password_in(url), None, "{url}");
        }
    }
}
