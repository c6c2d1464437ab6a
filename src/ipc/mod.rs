//! Between runner's own processes: the frames they exchange, the manager
//! process that holds a flag or a queue for them, and how runner starts a
//! copy of itself. Below both the flags and the backends, which share it.

pub mod frame;
pub mod manager;

use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};

/// Starts `program` (the runner binary) as `subcommand`, with the
/// parent-death signal armed: the kernel sends the child `death_signal`
/// when the *thread* that spawned it ends, so call this from a thread that
/// lives as long as the child should. A child whose parent died before the
/// signal was armed exits at once (status 1).
///
/// `configure` adds the subcommand's arguments, the standard streams and
/// anything else the child needs before it is spawned.
pub fn spawn_self(
    program: &Path,
    subcommand: &str,
    death_signal: libc::c_int,
    configure: impl FnOnce(&mut Command),
) -> io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    let mut command = Command::new(program);
    command.arg(subcommand);
    // SAFETY: between fork and exec only async-signal-safe calls are made:
    // prctl, getppid and _exit.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal as libc::c_ulong) < 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    configure(&mut command);
    command.spawn()
}
