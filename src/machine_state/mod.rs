//! The machine's state at the start and the end of a run: what bends
//! parallel timings (clock governor and boost, shared cores, load, a CPU
//! quota, a hypervisor, thermal throttling, other busy processes), read
//! where the operating system exposes it, so a reader can judge the figures
//! ([`warnings`] says what makes them less reliable).
//!
//! Every fact is optional: what cannot be read is `None`, never an error.
//! Every reading function takes the root of the file system (`/` for real),
//! so tests build a fake `/sys` and `/proc` in a folder. Runner only reads:
//! it changes nothing on the system.

mod busy;
mod warnings;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::console;
use serde::{Deserialize, Serialize};

pub use busy::{BusyProcess, CpuTimes, ProcessTimes, busy_processes, cpu_times};
pub use warnings::{disturbances, warnings};

/// How long other processes are watched for CPU use.
pub const SAMPLE_WINDOW: Duration = Duration::from_millis(200);

/// What the machine was doing at one moment, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MachineState {
    /// The distinct CPU frequency governors (`performance`, `powersave`, ...).
    pub governors: Option<Vec<String>>,
    /// Whether boost (turbo) is on.
    pub boost: Option<bool>,
    /// The current clock, averaged over the logical CPUs, in MHz.
    pub current_mhz: Option<f64>,
    /// The highest clock any logical CPU may reach, in MHz.
    pub max_mhz: Option<f64>,
    /// Whether simultaneous multithreading is on (`smt/active`).
    pub smt_active: Option<bool>,
    /// Whether some logical CPUs share a core (their thread siblings).
    pub shared_cores: Option<bool>,
    /// The load average and the runnable and total tasks.
    pub load: Option<LoadAverage>,
    /// The CPUs this process's cgroup may use, when it is limited.
    pub cpu_quota: Option<f64>,
    /// Whether the CPU says it runs under a hypervisor.
    pub virtual_machine: Option<bool>,
    /// The hypervisor or the system's maker and product, when readable.
    pub hypervisor: Option<String>,
    /// The thermal throttle events counted so far, summed over CPUs.
    pub throttle_count: Option<u64>,
    /// The other processes that used the most CPU over a short window.
    pub busy: Option<Vec<BusyProcess>>,
}

/// `/proc/loadavg`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
    /// Tasks runnable at that moment.
    pub running: u64,
    /// Tasks in all.
    pub total: u64,
}

impl MachineState {
    /// Reads this machine's state (watching other processes for
    /// [`SAMPLE_WINDOW`]). `RUNNER_MACHINE_ROOT` names another root to read
    /// it from: tests point it at an empty folder, where no fact can be
    /// read, so that their own parallel processes do not count as another
    /// busy process and mark a lesson unreliable.
    pub fn read() -> Self {
        match std::env::var_os("RUNNER_MACHINE_ROOT") {
            Some(root) => Self::read_at(Path::new(&root)),
            None => Self::read_at(Path::new("/")),
        }
    }

    /// Reads the state of the machine whose file system is at `root`.
    pub fn read_at(root: &Path) -> Self {
        let before = cpu_times(root);
        let watched = Instant::now();
        std::thread::sleep(SAMPLE_WINDOW);
        let after = cpu_times(root);
        // The window as it was, sleeping and reading included.
        let seconds = watched.elapsed().as_secs_f64();
        let busy = match (before, after) {
            (Some(before), Some(after)) => Some(busy_processes(
                &before,
                &after,
                seconds,
                clock_ticks(),
                std::process::id(),
            )),
            _ => None,
        };
        let cpus = cpu_dirs(root);
        let cpuinfo = read(&root.join("proc/cpuinfo"));
        let (virtual_machine, hypervisor) = hypervisor(root, cpuinfo.as_deref());
        MachineState {
            governors: governors(&cpus),
            boost: boost(root),
            current_mhz: current_mhz(&cpus, cpuinfo.as_deref()),
            max_mhz: max_mhz(&cpus),
            smt_active: read(&root.join("sys/devices/system/cpu/smt/active"))
                .and_then(|t| flag(&t)),
            shared_cores: shared_cores(&cpus),
            load: read(&root.join("proc/loadavg")).and_then(|t| parse_loadavg(&t)),
            cpu_quota: cpu_quota(root),
            virtual_machine,
            hypervisor,
            throttle_count: throttle_count(&cpus),
            busy,
        }
    }
}

impl MachineState {
    /// The facts that were read, in a few words each, for a report.
    pub fn summary(&self) -> String {
        let mut facts = Vec::new();
        if let Some(l) = self.load {
            facts.push(format!(
                "load average {:.2} / {:.2} / {:.2} ({} of {} tasks runnable)",
                l.one, l.five, l.fifteen, l.running, l.total
            ));
        }
        if let Some(g) = &self.governors {
            facts.push(format!("governor {}", g.join(", ")));
        }
        if let Some(b) = self.boost {
            facts.push(format!("boost {}", if b { "on" } else { "off" }));
        }
        match (self.current_mhz, self.max_mhz) {
            (Some(c), Some(m)) => facts.push(format!("{c:.0} MHz (max {m:.0})")),
            (Some(c), None) => facts.push(format!("{c:.0} MHz")),
            (None, Some(m)) => facts.push(format!("max {m:.0} MHz")),
            (None, None) => {}
        }
        match (self.smt_active, self.shared_cores) {
            (Some(true), _) | (_, Some(true)) => facts.push("SMT on".into()),
            (Some(false), _) | (_, Some(false)) => facts.push("SMT off".into()),
            _ => {}
        }
        if let Some(q) = self.cpu_quota {
            facts.push(format!("CPU quota {q:.2} CPUs"));
        }
        if self.virtual_machine == Some(true) {
            facts.push(match &self.hypervisor {
                Some(h) => format!("virtual machine ({h})"),
                None => "virtual machine".into(),
            });
        }
        if let Some(t) = self.throttle_count {
            facts.push(format!("{t} thermal throttle events so far"));
        }
        match self.busy.as_deref() {
            Some([]) => facts.push("no other busy process".into()),
            Some(busy) => facts.push(format!(
                "busy: {}",
                busy.iter()
                    .map(|p| format!("{} (pid {}) {}%", p.name, p.pid, p.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
        }
        match facts.is_empty() {
            true => "nothing could be read".into(),
            false => facts.join(", "),
        }
    }
}

/// A file's text, trimmed; `None` when it cannot be read or is empty.
fn read(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// "1" or "0".
fn flag(text: &str) -> Option<bool> {
    match text.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// The folders of the logical CPUs, `cpu0`, `cpu1`, ..., in number order.
fn cpu_dirs(root: &Path) -> Vec<PathBuf> {
    let base = root.join("sys/devices/system/cpu");
    let mut cpus: Vec<(u32, PathBuf)> = fs::read_dir(&base)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let number = name.strip_prefix("cpu")?.parse().ok()?;
            Some((number, entry.path()))
        })
        .collect();
    cpus.sort();
    cpus.into_iter().map(|(_, path)| path).collect()
}

fn governors(cpus: &[PathBuf]) -> Option<Vec<String>> {
    let found: BTreeSet<String> = cpus
        .iter()
        .filter_map(|cpu| read(&cpu.join("cpufreq/scaling_governor")))
        .filter(|g| g.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    (!found.is_empty()).then(|| found.into_iter().collect())
}

fn boost(root: &Path) -> Option<bool> {
    let cpu = root.join("sys/devices/system/cpu");
    read(&cpu.join("cpufreq/boost"))
        .and_then(|t| flag(&t))
        .or_else(|| read(&cpu.join("intel_pstate/no_turbo")).and_then(|t| flag(&t).map(|n| !n)))
}

/// Numbers in kHz from one file per CPU, in MHz.
fn per_cpu_mhz(cpus: &[PathBuf], file: &str) -> Vec<f64> {
    cpus.iter()
        .filter_map(|cpu| read(&cpu.join(file))?.parse::<u64>().ok())
        .filter(|&khz| khz > 0)
        .map(|khz| khz as f64 / 1000.0)
        .collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn current_mhz(cpus: &[PathBuf], cpuinfo: Option<&str>) -> Option<f64> {
    mean(&per_cpu_mhz(cpus, "cpufreq/scaling_cur_freq")).or_else(|| {
        let mhz: Vec<f64> = cpuinfo?
            .lines()
            .filter(|l| l.starts_with("cpu MHz"))
            .filter_map(|l| l.split_once(':')?.1.trim().parse().ok())
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .collect();
        mean(&mhz)
    })
}

fn max_mhz(cpus: &[PathBuf]) -> Option<f64> {
    per_cpu_mhz(cpus, "cpufreq/cpuinfo_max_freq")
        .into_iter()
        .reduce(f64::max)
}

/// Whether some CPU's thread siblings list names more than one CPU
/// (`0-1`, `0,4`).
fn shared_cores(cpus: &[PathBuf]) -> Option<bool> {
    let counts: Vec<usize> = cpus
        .iter()
        .filter_map(|cpu| read(&cpu.join("topology/thread_siblings_list")))
        .filter_map(|list| cpu_list_len(&list))
        .collect();
    (!counts.is_empty()).then(|| counts.iter().any(|&n| n > 1))
}

/// How many CPUs a list such as `0-3,8` names.
fn cpu_list_len(list: &str) -> Option<usize> {
    let mut count = 0;
    for part in list.trim().split(',') {
        count += match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                b.checked_sub(a)? + 1
            }
            None => {
                part.trim().parse::<usize>().ok()?;
                1
            }
        };
    }
    Some(count)
}

fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut fields = text.split_whitespace();
    let mut average = || -> Option<f64> {
        let v: f64 = fields.next()?.parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v)
    };
    let (one, five, fifteen) = (average()?, average()?, average()?);
    let (running, total) = fields.next()?.split_once('/')?;
    Some(LoadAverage {
        one,
        five,
        fifteen,
        running: running.parse().ok()?,
        total: total.parse().ok()?,
    })
}

/// The CPUs this process's cgroup may use: the tightest quota on its path
/// (cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`),
/// or `None` when there is none or it cannot be read.
fn cpu_quota(root: &Path) -> Option<f64> {
    let cgroups = read(&root.join("proc/self/cgroup"))?;
    let base = root.join("sys/fs/cgroup");
    let mut quotas = Vec::new();
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':').skip(1);
        let (Some(controllers), Some(path)) = (fields.next(), fields.next()) else {
            continue;
        };
        if controllers.is_empty() {
            for dir in ancestors(&base, path) {
                quotas.extend(read(&dir.join("cpu.max")).and_then(|t| parse_cpu_max(&t)));
            }
        } else if controllers.split(',').any(|c| c == "cpu") {
            for mount in [controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu"] {
                for dir in ancestors(&base.join(mount), path) {
                    let quota = read(&dir.join("cpu.cfs_quota_us"));
                    let period = read(&dir.join("cpu.cfs_period_us"));
                    quotas.extend(quota.zip(period).and_then(|(q, p)| parse_cfs(&q, &p)));
                }
            }
        }
    }
    quotas.into_iter().reduce(f64::min)
}

/// `base/path` and each of its parents up to `base`, the ones that exist.
fn ancestors(base: &Path, path: &str) -> Vec<PathBuf> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect();
    (0..=parts.len())
        .map(|n| parts[..n].iter().fold(base.to_path_buf(), |d, p| d.join(p)))
        .filter(|d| d.is_dir())
        .collect()
}

/// `max 100000` (no limit) or `150000 100000` (1.5 CPUs).
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota = fields.next()?;
    let period = fields.next().unwrap_or("100000");
    match quota {
        "max" => None,
        quota => ratio(quota.parse().ok()?, period.parse().ok()?),
    }
}

/// v1: a quota of -1 is no limit.
fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: i64 = quota.trim().parse().ok()?;
    ratio(u64::try_from(quota).ok()?, period.trim().parse().ok()?)
}

fn ratio(quota: u64, period: u64) -> Option<f64> {
    (quota > 0 && period > 0).then(|| quota as f64 / period as f64)
}

/// Whether the CPU flags say "hypervisor" (or `/sys/hypervisor/type`
/// names one), and its name, or else the system's maker and product.
fn hypervisor(root: &Path, cpuinfo: Option<&str>) -> (Option<bool>, Option<String>) {
    let flagged = cpuinfo.map(|info| {
        info.lines()
            .filter(|l| l.starts_with("flags"))
            .any(|l| l.split_whitespace().any(|f| f == "hypervisor"))
    });
    let kind = read(&root.join("sys/hypervisor/type"));
    let dmi = root.join("sys/class/dmi/id");
    let system = [
        read(&dmi.join("sys_vendor")),
        read(&dmi.join("product_name")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let name = kind
        .clone()
        .or_else(|| (!system.is_empty()).then_some(system))
        .map(|n| console::one_line(&n));
    let virtual_machine = match (flagged, &kind) {
        (_, Some(_)) => Some(true),
        (flagged, None) => flagged,
    };
    (virtual_machine, name)
}

fn throttle_count(cpus: &[PathBuf]) -> Option<u64> {
    let counts: Vec<u64> = cpus
        .iter()
        .flat_map(|cpu| {
            ["core_throttle_count", "package_throttle_count"]
                .map(|f| read(&cpu.join("thermal_throttle").join(f))?.parse().ok())
        })
        .flatten()
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

/// The kernel's clock ticks per second, the unit of `/proc/[pid]/stat` times.
fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests;
