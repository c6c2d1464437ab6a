//! The feeder thread: it writes the jobs `submit` hands it to the run's
//! jobs stream, those already waiting in one pipeline, so `submit` never
//! waits for the network.

use std::sync::{Mutex, PoisonError};

use super::retry::{lost, retrying};
use crate::backend::BackendError;

/// The most job entries the feeder writes in one round trip.
const FEED_BATCH: usize = 1024;

/// Where the feeder thread writes.
pub(super) struct Feeding {
    pub(super) connection: redis::Connection,
    pub(super) url: String,
    /// The run's jobs stream.
    pub(super) key: String,
    /// The server, password redacted, for messages.
    pub(super) shown: String,
}

/// The feeder thread: writes the job entries waiting in `jobs` to the
/// stream, those already waiting in one pipeline (one round trip to the
/// server for many jobs, as the processes backend's feeder gathers frames
/// into one write), so `submit` never waits for the network. A stream that
/// is gone (the run's keys expired) is not made again (`NOMKSTREAM`); why
/// it stopped writing goes in `feed_error`.
pub(super) fn feed_jobs(
    mut feeding: Feeding,
    jobs: &crossbeam_channel::Receiver<Vec<u8>>,
    feed_error: &Mutex<Option<BackendError>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut pipe = redis::pipe();
        let mut next = Some(first);
        let mut n = 0;
        while let Some(entry) = next.take() {
            pipe.cmd("XADD")
                .arg(&feeding.key)
                .arg("NOMKSTREAM")
                .arg("*")
                .arg("j")
                .arg(entry)
                .ignore();
            n += 1;
            if n < FEED_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        let sent = retrying(&mut feeding.connection, &feeding.url, |connection| {
            pipe.query::<()>(connection)
        });
        if let Err(e) = sent {
            *feed_error.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(lost(&feeding.shown, "sending jobs", &e));
            return;
        }
    }
}
