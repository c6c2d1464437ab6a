//! The `runner worker` processes a coordinator starts itself for one run
//! (`spawn_local`), so that a one-machine run needs no second command: how
//! they start, fail and stop, and what a killed one leaves to remove.

use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{
    LOBBY, REDIS_TIMEOUT, RunKeys, WorkerHello, control_key, nonce, presence_key,
};
use crate::backend::BackendError;
use crate::backend::processes::worker_program;
use crate::flag::redis::connect;
use crate::ipc;

/// `runner worker` processes this runner started for a case.
#[derive(Default)]
pub(super) struct LocalWorkers {
    children: Vec<(String, Child)>,
    /// The run's own lobby, where they wait.
    lobby: String,
}

impl LocalWorkers {
    /// Starts `n` workers of one slot each for the run of `keys` alone
    /// (they wait in its own lobby, serve no other run, and exit when it is
    /// over: a coordinator running beside this one cannot take them), with
    /// the parent-death signal, the URL passed in the environment (never on
    /// a command line).
    pub(super) fn spawn(n: usize, url: &str, keys: &RunKeys) -> Result<LocalWorkers, BackendError> {
        let mut local = LocalWorkers {
            children: Vec::new(),
            lobby: keys.lobby(),
        };
        if n == 0 {
            return Ok(local);
        }
        let program = worker_program()
            .map_err(|e| BackendError::Start(format!("cannot find the runner program: {e}")))?;
        for i in 0..n {
            let name = format!(
                "local{i}-{}-{:x}",
                std::process::id(),
                nonce() & 0xffff_ffff
            );
            let child = ipc::spawn_self(&program, "worker", libc::SIGKILL, |command| {
                // A process group of its own: a Ctrl-C at the terminal stops
                // the coordinator after the current repeat, which then stops
                // its workers, instead of killing them mid-repeat.
                command
                    .process_group(0)
                    .args(["--slots", "1", "--id", &name])
                    .args(["--run", &keys.prefix])
                    .env("REDIS_URL", url)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit());
            })
            .map_err(|e| BackendError::Start(format!("cannot start a local worker: {e}")))?;
            local.children.push((name, child));
        }
        Ok(local)
    }

    /// Why a local worker exited early, if one did.
    pub(super) fn failed(&mut self) -> Option<String> {
        self.children.iter_mut().find_map(|(name, child)| {
            match child.try_wait() {
                Ok(Some(status)) => Some(format!(
                    "local worker {name} exited before it was ready ({status}); its message is above"
                )),
                _ => None,
            }
        })
    }

    /// Stops every local worker (SIGTERM, then SIGKILL after 3 s) and
    /// removes whatever a killed one left in the lobby.
    pub(super) fn stop(&mut self, url: &str) {
        if self.children.is_empty() {
            return;
        }
        for (_, child) in &self.children {
            // SAFETY: signalling our own child, which we have not reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut killed = Vec::new();
        for (name, child) in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                killed.push(name.clone());
            }
            let _ = child.wait();
        }
        self.children.clear();
        if !killed.is_empty()
            && let Ok(mut connection) = connect(url, REDIS_TIMEOUT)
        {
            forget_workers(&mut connection, &killed, &[LOBBY, &self.lobby]);
        }
    }
}

/// Removes the entries in `lobbies`, presence and control keys of workers
/// that were killed (best effort).
pub fn forget_workers(connection: &mut redis::Connection, ids: &[String], lobbies: &[&str]) {
    for lobby in lobbies {
        let entries: Vec<String> = redis::cmd("LRANGE")
            .arg(lobby)
            .arg(0)
            .arg(-1)
            .query(connection)
            .unwrap_or_default();
        for entry in entries {
            let of_them = serde_json::from_str::<WorkerHello>(&entry)
                .is_ok_and(|hello| ids.contains(&hello.id));
            if of_them {
                let _ = redis::cmd("LREM")
                    .arg(lobby)
                    .arg(0)
                    .arg(&entry)
                    .query::<()>(connection);
            }
        }
    }
    for id in ids {
        let _ = redis::cmd("DEL")
            .arg(presence_key(id))
            .arg(control_key(id))
            .query::<()>(connection);
    }
}
