//! The one clock every worker stamps its tasks with, and the CPU time a
//! process has used.
//!
//! CLOCK_MONOTONIC in nanoseconds: a vDSO call (about 20 ns), and the same
//! clock in every thread and every process of one Linux host, so a worker
//! process's stamps line up with its coordinator's without any offset.
//! Workers on other hosts have their own; the coordinator estimates their
//! offset (see [`crate::trace::lanes`]).

use serde::{Deserialize, Serialize};

use crate::machine::command_output;

/// Nanoseconds on this host's monotonic clock.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write into; CLOCK_MONOTONIC always
    // exists on Linux, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// When a worker served one task, stamped by the worker itself: which
/// worker (its process and its slot in that process) and when it started
/// and finished, on its host's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// The worker's process.
    pub pid: u32,
    /// The worker's place in its process: a thread's index among the
    /// case's threads, 0 for a worker process, a Redis worker's slot.
    pub slot: u32,
    pub started_ns: u64,
    pub finished_ns: u64,
}

/// CPU time of a process (user and system microseconds, getrusage's
/// resolution) and who measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub pid: u32,
    pub host: String,
    pub user_us: u64,
    pub sys_us: u64,
    /// The process's clock when it answered (for clock offsets).
    pub clock_ns: u64,
}

/// This process's CPU time so far, every thread of it: (user, system)
/// microseconds.
pub fn cpu_self() -> (u64, u64) {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer cannot fail.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros = |t: libc::timeval| (t.tv_sec as u64) * 1_000_000 + t.tv_usec as u64;
    (micros(usage.ru_utime), micros(usage.ru_stime))
}

/// This process's CPU time and identity, as a worker answers `Job::Usage`.
pub fn usage_here() -> Usage {
    let (user_us, sys_us) = cpu_self();
    Usage {
        pid: std::process::id(),
        host: hostname(),
        user_us,
        sys_us,
        clock_ns: now_ns(),
    }
}

/// This host's name, as the kernel has it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| command_output("hostname", &[]))
        .unwrap_or_else(|| "unknown-host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_goes_back_and_cpu_time_grows() {
        let a = now_ns();
        let (u0, s0) = cpu_self();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = now_ns();
        let (u1, s1) = cpu_self();
        assert!(b > a);
        assert!(u1 + s1 >= u0 + s0);
    }
}
