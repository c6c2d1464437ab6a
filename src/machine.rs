//! What this machine is: cores for resolving "physical" / "logical", and the
//! facts a manifest records so a reader can judge the numbers.

use std::fs;
use std::process::Command;

use serde::{Deserialize, Serialize};

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

/// The machine a run happened on, as recorded in the manifest. The fields
/// are in the order of their names, the order manifest.json and
/// summary.json have always written them in; a fact a manifest lacks reads
/// as empty (0 cores: see [`crate::output::manifest::Manifest::cores`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MachineInfo {
    pub cpu_model: String,
    /// The OS kernel's release (`uname -r`).
    pub kernel: String,
    pub logical_cpus: usize,
    pub os: String,
    pub physical_cores: usize,
    /// The compiler runner was built with.
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

/// `text`, or `otherwise` where a manifest recorded nothing.
pub fn or_else<'a>(text: &'a str, otherwise: &'a str) -> &'a str {
    match text {
        "" => otherwise,
        text => text,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine is written with its facts in the order of their names,
    /// as manifest.json and summary.json held them when it was a JSON map,
    /// and read back typed; a fact a manifest lacks reads as empty.
    #[test]
    fn the_machine_reads_back_typed_in_the_order_it_was_written() {
        let written = r#"{"cpu_model":"AMD EPYC","kernel":"6.8.0","logical_cpus":2,"os":"Ubuntu 24.04","physical_cores":1,"rustc":"rustc 1.95.0"}"#;
        let machine: MachineInfo = serde_json::from_str(written).unwrap();
        assert_eq!(machine.physical_cores, 1);
        assert_eq!(machine.logical_cpus, 2);
        assert_eq!(serde_json::to_string(&machine).unwrap(), written);
        let older: MachineInfo = serde_json::from_str(r#"{"cpu_model":"x"}"#).unwrap();
        assert_eq!((older.cpu_model.as_str(), older.logical_cpus), ("x", 0));
        assert_eq!(or_else(&older.rustc, "?"), "?");
        let wrong = serde_json::from_str::<MachineInfo>(r#"{"logical_cpus":"two"}"#);
        assert!(wrong.is_err());
    }
}
