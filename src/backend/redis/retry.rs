//! The coordinator's Redis commands: one cut short by a signal is run again
//! on a new connection, and one that fails is told as a backend error that
//! says what to do.

use std::sync::atomic::Ordering;

use super::protocol::REDIS_TIMEOUT;
use crate::backend::BackendError;
use crate::console;
use crate::flag::redis::{connect, interrupted, refusal};
use crate::signals;

/// What could not be done with Redis, as a backend error.
pub(super) fn lost(shown: &str, what: &str, e: &redis::RedisError) -> BackendError {
    if let Some(refusal) = refusal(e) {
        return BackendError::Gone(console::one_line(&format!(
            "Redis at {shown} refused a command while {what}: {e}; {}",
            refusal.help("REDIS_URL")
        )));
    }
    BackendError::Gone(console::one_line(&format!(
        "lost Redis at {shown} while {what}: {e}; the case fails (a command waits at most {} s)",
        REDIS_TIMEOUT.as_secs()
    )))
}

/// Runs `command` on `connection`; one cut short by a signal (see
/// [`interrupted`]) is run again on a new connection. Every command retried
/// so is safe to run twice: reads from a position, acknowledgements,
/// deletions, and job entries, whose duplicates the sequence numbers drop.
pub(super) fn retrying<T>(
    connection: &mut redis::Connection,
    url: &str,
    mut command: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
) -> redis::RedisResult<T> {
    let mut tries = 0;
    loop {
        match command(connection) {
            Err(e) if interrupted(&e) && tries < 10 => {}
            other => return other,
        }
        tries += 1;
        match connect(url, REDIS_TIMEOUT) {
            Ok(fresh) => *connection = fresh,
            Err(e) if interrupted(&e) && tries < 10 => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether a signal asked the run to stop (the coordinator's own flag).
pub(super) fn stopping() -> bool {
    signals::stop_flag().load(Ordering::SeqCst)
}
