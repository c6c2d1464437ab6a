//! What a command case needs before it runs: a program on `PATH`, a
//! Python module its interpreter imports, and what spawning an empty
//! process costs here, each asked once per run.

use std::collections::HashMap;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use crate::experiment::Requirement;

/// Whether `requirement` (a program or a Python module) is met here.
pub fn requirement_met(requirement: &Requirement) -> Result<(), String> {
    match requirement {
        Requirement::Redis => Ok(()),
        Requirement::Program(program) => find_program(program).map(|_| ()),
        Requirement::Module {
            interpreter,
            module,
        } => {
            let path = find_program(interpreter)?;
            let status = Command::new(path)
                .args(["-c", &format!("import {module}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| format!("cannot start {interpreter}: {e}"))?;
            match status.success() {
                true => Ok(()),
                false => Err(format!(
                    "{interpreter} cannot import {module} (install it, e.g. `{interpreter} -m pip install {module}`)"
                )),
            }
        }
    }
}

/// The path of `program`: itself if it names a path, else the first
/// executable of that name on `PATH`.
fn find_program(program: &str) -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = std::path::PathBuf::from(program);
        return match executable(&path) {
            true => Ok(path),
            false => Err(format!("{program} is not an executable file")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
        .ok_or_else(|| format!("{program} is not on PATH"))
}

/// Seconds to spawn an empty process (`true`) and reap it here: the best
/// of a few, what the wall clock of every repeat includes.
pub fn spawn_cost() -> Option<f64> {
    let program = find_program("true").ok()?;
    (0..20)
        .filter_map(|_| {
            let started = Instant::now();
            Command::new(&program)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()
                .filter(ExitStatus::success)
                .map(|_| started.elapsed().as_secs_f64())
        })
        .min_by(f64::total_cmp)
}

/// What is cached per run for command cases.
#[derive(Debug, Default)]
pub struct CommandContext {
    requirements: HashMap<Requirement, Result<(), String>>,
    spawn_cost: Option<Option<f64>>,
}

impl CommandContext {
    /// Whether `requirement` is met, asked once per run.
    pub fn requirement(&mut self, requirement: &Requirement) -> Result<(), String> {
        self.requirements
            .entry(requirement.clone())
            .or_insert_with(|| requirement_met(requirement))
            .clone()
    }

    /// What spawning an empty process costs, measured once per run.
    pub fn spawn_cost(&mut self) -> Option<f64> {
        *self.spawn_cost.get_or_insert_with(spawn_cost)
    }
}
