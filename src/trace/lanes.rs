//! Who the workers are and how their clocks relate to the coordinator's:
//! each worker's process, slot and host, and for workers on other hosts the
//! clock offset by the midpoint method (the coordinator pings a worker,
//! reading its own clock before (`t0`) and after (`t1`); the worker answers
//! with its clock `tw`; offset = tw - (t0 + t1) / 2 from the ping with the
//! shortest round trip, uncertain by half that round trip). Workers on this
//! host read the same CLOCK_MONOTONIC: offset 0, uncertainty 0.
//!
//! Also the CPU time of worker processes, asked outside the timer.

use std::collections::BTreeMap;

use crate::backend::Backend;
use crate::work::clock::{Usage, hostname, now_ns};
use crate::work::{Job, Reply};

/// One worker of a case's round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// Its index among the case's workers.
    pub worker: usize,
    pub host: String,
    pub pid: u32,
    /// Its slot within its process (see [`crate::work::clock::Stamp`]).
    pub slot: u32,
    /// Its clock minus the coordinator's, nanoseconds.
    pub offset_ns: i64,
    /// Half the shortest round trip of the pings that measured the offset.
    pub uncertainty_ns: u64,
}

impl Lane {
    /// Worker `worker` in this process (a thread, or the caller itself).
    pub fn here(worker: usize) -> Lane {
        Lane {
            worker,
            host: hostname(),
            pid: std::process::id(),
            slot: worker as u32,
            offset_ns: 0,
            uncertainty_ns: 0,
        }
    }
}

/// Pings per worker process on another host.
const PINGS: usize = 5;

/// The lanes of `backend`'s workers, with the clock offsets of those on
/// other hosts measured now (before the timer).
pub fn lanes_of(backend: &dyn Backend) -> Vec<Lane> {
    let here = hostname();
    let mut lanes: Vec<Lane> = backend
        .places()
        .into_iter()
        .enumerate()
        .map(|(worker, p)| Lane {
            worker,
            host: p.host,
            pid: p.pid,
            slot: p.slot,
            offset_ns: 0,
            uncertainty_ns: 0,
        })
        .collect();
    let remote: Vec<u32> = distinct(lanes.iter().filter(|l| l.host != here).map(|l| l.pid));
    if remote.is_empty() {
        return lanes;
    }
    let mut pings: BTreeMap<u32, Vec<Ping>> = BTreeMap::new();
    for _ in 0..PINGS * remote.len() {
        let t0 = now_ns();
        if backend.submit(Job::Usage).is_err() {
            break;
        }
        let Ok(Reply::Usage(usage)) = backend.receive() else {
            break;
        };
        let t1 = now_ns();
        pings.entry(usage.pid).or_default().push(Ping {
            t0,
            worker: usage.clock_ns,
            t1,
        });
    }
    for lane in lanes.iter_mut().filter(|l| l.host != here) {
        if let Some((offset, uncertainty)) = pings.get(&lane.pid).and_then(|p| midpoint(p)) {
            lane.offset_ns = offset;
            lane.uncertainty_ns = uncertainty;
        }
    }
    lanes
}

/// One ping: the coordinator's clock before and after, the worker's between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    pub t0: u64,
    pub worker: u64,
    pub t1: u64,
}

/// The midpoint estimate from the ping with the shortest round trip:
/// (offset, uncertainty) in nanoseconds.
pub fn midpoint(pings: &[Ping]) -> Option<(i64, u64)> {
    let best = pings.iter().min_by_key(|p| p.t1.saturating_sub(p.t0))?;
    let middle = (i128::from(best.t0) + i128::from(best.t1)) / 2;
    let offset = i128::from(best.worker) - middle;
    Some((
        i64::try_from(offset).ok()?,
        best.t1.saturating_sub(best.t0) / 2,
    ))
}

/// The CPU time of the worker processes among `lanes` other than this one,
/// asked now, one answer per process (`None` when a process did not answer).
pub fn worker_usage(backend: &dyn Backend, lanes: &[Lane]) -> Option<Vec<Usage>> {
    let me = std::process::id();
    let pids = distinct(lanes.iter().filter(|l| l.pid != me).map(|l| l.pid));
    if pids.is_empty() {
        return Some(Vec::new());
    }
    let mut seen: BTreeMap<u32, Usage> = BTreeMap::new();
    // A process with workers in its own inbox (processes) is asked there;
    // a job over Redis reaches whichever slot is free: ask until each
    // process answered, a bounded number of times.
    let asks: Vec<Option<usize>> = match backend.asks_each_worker() {
        true => lanes
            .iter()
            .filter(|l| l.pid != me)
            .map(|l| Some(l.worker))
            .collect(),
        false => vec![None; 4 * pids.len()],
    };
    for ask in asks {
        if seen.len() == pids.len() {
            break;
        }
        let sent = match ask {
            Some(worker) => backend.submit_to(worker, Job::Usage),
            None => backend.submit(Job::Usage),
        };
        if sent.is_err() {
            return None;
        }
        match backend.receive() {
            Ok(Reply::Usage(usage)) => _ = seen.insert(usage.pid, usage),
            _ => return None,
        }
    }
    (seen.len() == pids.len()).then(|| seen.into_values().collect())
}

/// The distinct values of `values`, in first-seen order.
fn distinct(values: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut out = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_comes_from_the_shortest_round_trip() {
        // A worker whose clock runs 1,000 ns ahead; the second ping is the
        // tightest (round trip 40 ns), so its midpoint wins.
        let pings = [
            Ping {
                t0: 100,
                worker: 1_400,
                t1: 700,
            },
            Ping {
                t0: 2_000,
                worker: 3_020,
                t1: 2_040,
            },
            Ping {
                t0: 5_000,
                worker: 6_100,
                t1: 5_300,
            },
        ];
        assert_eq!(midpoint(&pings), Some((1_000, 20)));
        assert_eq!(midpoint(&[]), None);
    }

    #[test]
    fn a_clock_behind_gives_a_negative_offset() {
        let ping = Ping {
            t0: 10_000,
            worker: 4_000,
            t1: 10_010,
        };
        assert_eq!(midpoint(&[ping]), Some((-6_005, 5)));
    }
}
