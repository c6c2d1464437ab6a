//! What this machine is: cores for resolving "physical" / "logical", and the
//! facts a manifest records so a reader can judge the numbers.

use std::fs;
use std::process::Command;

use serde::Serialize;

/// Core counts, the two ways a sweep can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cores {
    /// Physical cores.
    pub physical: usize,
    /// Logical CPUs (hardware threads).
    pub logical: usize,
}

impl Cores {
    /// Counts this machine's cores.
    pub fn detect() -> Self {
        Cores {
            physical: num_cpus::get_physical().max(1),
            logical: num_cpus::get().max(1),
        }
    }
}

/// The machine a run happened on, as recorded in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct MachineInfo {
    pub cpu_model: String,
    pub physical_cores: usize,
    pub logical_cpus: usize,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
}

impl MachineInfo {
    /// Reads what the OS tells about this machine; unknown facts say so.
    pub fn detect() -> Self {
        let cores = Cores::detect();
        MachineInfo {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
            physical_cores: cores.physical,
            logical_cpus: cores.logical,
            os: os_name(),
            kernel: command_output("uname", &["-r"]).unwrap_or_else(|| "unknown".into()),
            rustc: env!("RUNNER_RUSTC_VERSION").to_string(),
        }
    }
}

fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

fn os_name() -> String {
    let pretty = fs::read_to_string("/etc/os-release").ok().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("PRETTY_NAME="))?;
        Some(line["PRETTY_NAME=".len()..].trim_matches('"').to_string())
    });
    pretty.unwrap_or_else(|| std::env::consts::OS.to_string())
}

/// The trimmed standard output of a command that succeeded.
pub fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
