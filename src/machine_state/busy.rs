//! Other busy processes: the CPU time each process used between two looks
//! at `/proc/[pid]/stat`, leaving out this process and its children.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::console;
use serde::{Deserialize, Serialize};

/// How many busy processes are named at most.
const TOP: usize = 3;

/// The share of one core below which a process is not named.
const BUSY_PERCENT: f64 = 20.0;

/// A process that used much CPU while runner looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusyProcess {
    pub pid: u32,
    pub name: String,
    /// Per cent of one core (above 100 for a process with several threads).
    pub percent: f64,
}

/// One process at one moment, from `/proc/[pid]/stat`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessTimes {
    pub name: String,
    pub parent: u32,
    /// User and system time so far, in clock ticks.
    pub ticks: u64,
}

/// Every readable process, by pid.
pub type CpuTimes = BTreeMap<u32, ProcessTimes>;

/// Reads the CPU time of every process under `root/proc`; `None` when the
/// folder cannot be listed.
pub fn cpu_times(root: &Path) -> Option<CpuTimes> {
    let entries = fs::read_dir(root.join("proc")).ok()?;
    Some(
        entries
            .flatten()
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
                Some((pid, parse_stat(&stat)?))
            })
            .collect(),
    )
}

/// `pid (name) state ppid ... utime stime ...`; the name may hold spaces
/// and parentheses, so the fields are counted from its last `)`.
pub(super) fn parse_stat(stat: &str) -> Option<ProcessTimes> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some(ProcessTimes {
        name: console::plain(name),
        parent: fields.get(1)?.parse().ok()?,
        ticks: utime.checked_add(stime)?,
    })
}

/// The processes that used more than a fifth of a core between `before`
/// and `after` (`seconds` apart, times in `ticks_per_second`), busiest
/// first, at most three; never `me` nor a descendant of it.
pub fn busy_processes(
    before: &CpuTimes,
    after: &CpuTimes,
    seconds: f64,
    ticks_per_second: f64,
    me: u32,
) -> Vec<BusyProcess> {
    if seconds <= 0.0 || ticks_per_second <= 0.0 {
        return Vec::new();
    }
    let mut busy: Vec<BusyProcess> = after
        .iter()
        .filter(|(pid, _)| !descends_from(after, **pid, me))
        .filter_map(|(pid, now)| {
            let then = before.get(pid).filter(|t| t.name == now.name)?;
            let used = now.ticks.checked_sub(then.ticks)? as f64 / ticks_per_second;
            let percent = 100.0 * used / seconds;
            (percent >= BUSY_PERCENT).then(|| BusyProcess {
                pid: *pid,
                name: now.name.clone(),
                percent: percent.round(),
            })
        })
        .collect();
    busy.sort_by(|a, b| b.percent.total_cmp(&a.percent).then(a.pid.cmp(&b.pid)));
    busy.truncate(TOP);
    busy
}

/// Whether `pid` is `me` or one of its descendants.
fn descends_from(times: &CpuTimes, mut pid: u32, me: u32) -> bool {
    // A parent chain is at most as long as the process table (a cycle
    // could only come from a malformed tree).
    for _ in 0..=times.len() {
        if pid == me {
            return true;
        }
        match times.get(&pid) {
            Some(p) if p.parent != pid => pid = p.parent,
            _ => return false,
        }
    }
    false
}
