//! Secrets in Redis URLs, which must never reach a console line or a file:
//! what every message, report and manifest shows of a URL ([`redact`]),
//! whether a URL carries a password ([`password_in`]), and whether the
//! Redis client can read it at all ([`parses`]). The experiment's
//! validation, the flag and the backends all use it.

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
