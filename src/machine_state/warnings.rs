//! What in the machine's state makes a run's figures less reliable, as
//! plain sentences that say what to do. Advice only: runner changes
//! nothing on the system.

use super::{BusyProcess, MachineState};
use crate::machine::Cores;

/// The warnings for a run that started in `start` and, once it is over,
/// ended in `end`, with at most `max_workers` workers on `cores`. Only
/// facts that were read are mentioned.
pub fn warnings(
    start: &MachineState,
    end: Option<&MachineState>,
    max_workers: usize,
    cores: Cores,
) -> Vec<String> {
    assess(start, end, max_workers, cores)
        .into_iter()
        .map(|w| w.text)
        .collect()
}

/// The warnings of [`warnings`] that say something disturbed this run
/// while it ran (another busy process, a load above the CPUs or rising,
/// heat throttling), as against what the machine always is (a virtual
/// machine, boost, a governor, shared cores, more workers than CPUs): a
/// lesson's verdict on a disturbed run is unreliable, and the same run on a
/// quiet machine may say otherwise.
pub fn disturbances(
    start: &MachineState,
    end: Option<&MachineState>,
    max_workers: usize,
    cores: Cores,
) -> Vec<String> {
    assess(start, end, max_workers, cores)
        .into_iter()
        .filter(|w| w.disturbance)
        .map(|w| w.text)
        .collect()
}

/// One warning, and whether it is a disturbance of this run.
struct Warning {
    text: String,
    disturbance: bool,
}

/// Every warning, in the order [`warnings`] says them.
fn assess(
    start: &MachineState,
    end: Option<&MachineState>,
    max_workers: usize,
    cores: Cores,
) -> Vec<Warning> {
    let mut said = Said::default();
    let logical = cores.logical.max(1);
    for p in start.busy.iter().flatten() {
        said.disturbed(busy_sentence(p, ""));
    }
    if let Some(end) = end {
        let named = |p: &BusyProcess| start.busy.iter().flatten().any(|s| s.pid == p.pid);
        for p in end.busy.iter().flatten().filter(|p| !named(p)) {
            said.disturbed(busy_sentence(p, " at the end of the run"));
        }
    }
    if max_workers > logical {
        said.push(format!(
            "oversubscribed: up to {max_workers} workers on {logical} logical CPUs; cases with \
             more workers than CPUs measure time sharing, not parallel speed"
        ));
    }
    if let Some(quota) = start.cpu_quota.filter(|&q| q < logical as f64) {
        said.push(format!(
            "a CPU quota of {} CPUs (cgroup) on {logical} logical CPUs: more workers than that \
             are throttled by the quota; compare cases within it, or run where the quota is \
             higher",
            short(quota)
        ));
    }
    if let Some(load) = start.load.filter(|l| l.one > logical as f64) {
        let text = format!(
            "load average {} at the start, above the {logical} logical CPUs: other work \
             competes for the cores; figures are less reliable: run again when the machine is \
             quieter",
            short(load.one)
        );
        // The one-minute average lags: just after a heavy job it stays high
        // while nothing runs. It disturbs the run only if more tasks than
        // CPUs were runnable at that moment (runner's own reader among them).
        match load.running as usize > logical {
            true => said.disturbed(text),
            false => said.push(text),
        }
    }
    if let (Some(before), Some(after)) = (start.load, end.and_then(|e| e.load)) {
        // The run's own workers raise the load by up to their number.
        let explained = before.one + max_workers as f64 + 1.0;
        if after.one > explained {
            said.disturbed(format!(
                "the load average rose from {} to {} during the run, more than its own {} \
                 workers explain: other work started; figures of later cases are less \
                 reliable: run again when the machine is quieter",
                short(before.one),
                short(after.one),
                max_workers.max(1)
            ));
        }
    }
    if let (Some(before), Some(after)) = (start.throttle_count, end.and_then(|e| e.throttle_count))
        && after > before
    {
        said.disturbed(format!(
            "the CPU was throttled for heat {} time(s) during the run: its clock dropped, so \
             later or longer cases may look slower; let it cool, improve cooling or run \
             fewer workers",
            after - before
        ));
    }
    if start.governors.iter().flatten().any(|g| g == "powersave") {
        said.push(
            "the CPU frequency governor is `powersave`: the clock may stay low or change with \
             load; for steadier figures an administrator can select `performance` (e.g. \
             `cpupower frequency-set -g performance`)"
                .to_string(),
        );
    }
    if start.boost == Some(true) {
        said.push(
            "boost (turbo) is on: frequencies vary with load and heat, so one busy core runs \
             faster than all of them; speedups look smaller than the parallelism alone gives"
                .to_string(),
        );
    }
    if max_workers > cores.physical
        && (start.shared_cores == Some(true) || start.smt_active == Some(true))
    {
        said.push(format!(
            "logical CPUs share cores (SMT): up to {max_workers} workers on {} physical cores; \
             workers beyond {} share a core's units, so speedup flattens there",
            cores.physical, cores.physical
        ));
    }
    if start.virtual_machine == Some(true) {
        let name = start
            .hypervisor
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        said.push(format!(
            "a virtual machine{name}: neighbours can steal time; compare runs made on the same \
             machine"
        ));
    }
    said.0
}

/// The warnings as they are said, each marked.
#[derive(Default)]
struct Said(Vec<Warning>);

impl Said {
    fn push(&mut self, text: String) {
        self.0.push(Warning {
            text,
            disturbance: false,
        });
    }

    fn disturbed(&mut self, text: String) {
        self.0.push(Warning {
            text,
            disturbance: true,
        });
    }
}

fn busy_sentence(p: &BusyProcess, when: &str) -> String {
    format!(
        "another busy process{when}: `{}` (pid {}) used {}% of a core; figures are less \
         reliable: stop it or run again later",
        p.name, p.pid, p.percent
    )
}

/// A number with at most two decimals, without trailing zeros.
fn short(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}
