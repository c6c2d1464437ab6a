//! Every signal that would end the process ends it cleanly.
//!
//! The first SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or SIGALRM
//! asks the run to stop after the current repeat (a repeat on worker
//! processes is abandoned at once: their backend polls the flag while it
//! waits): the finished cases are kept and the manifest says
//! "interrupted". A second one stops at once, but first runs the registered
//! emergency hooks (they mark the manifest interrupted, stop worker
//! processes, and last remove temporary files). SIGXFSZ is caught too, so a
//! file-size limit makes a write fail with a message instead of killing the
//! process. SIGPIPE is already ignored by Rust's runtime, so a
//! closed pipe is a write error, which the console treats as harmless.
//!
//! The exit status of a stopped run is 128 + the first signal's number (130
//! for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), as shells report it.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use signal_hook::consts::signal::{
    SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGXFSZ,
};
use signal_hook::iterator::Signals;

use crate::console;

/// The signals that stop a run.
pub const STOPPING: [i32; 7] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM];

/// Raised by the first stopping signal.
static STOP: AtomicBool = AtomicBool::new(false);
/// The first stopping signal's number, or 0.
static FIRST: AtomicI32 = AtomicI32::new(0);

type Hook = Box<dyn Fn() + Send>;

/// What must happen before an immediate exit, by registration id.
static HOOKS: Mutex<Vec<(u64, Hook)>> = Mutex::new(Vec::new());
static NEXT_HOOK: AtomicU64 = AtomicU64::new(0);
/// What must happen after every other hook, as the hooks write files
/// themselves (the removal of temporary files).
static LAST_HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Held while a report file is being written, so an immediate exit waits for
/// the write in progress and never leaves half of one.
static WRITING: Mutex<()> = Mutex::new(());

/// Starts the thread that handles signals. Without it (it cannot fail on
/// Linux short of running out of threads) signals keep their default action.
pub fn install() -> std::io::Result<()> {
    for signal in STOPPING {
        // The stop is raised inside the handler itself, before the signal
        // thread is even scheduled: a run that checks the flag right after
        // a signal arrived must see it.
        // SAFETY: the action only stores to atomics, which is
        // async-signal-safe.
        unsafe {
            signal_hook::low_level::register(signal, move || {
                let _ = FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
                STOP.store(true, Ordering::SeqCst);
            })?;
        }
    }
    let mut signals = Signals::new(STOPPING.iter().copied().chain([SIGXFSZ]))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut seen = 0u32;
            for signal in signals.forever() {
                if signal == SIGXFSZ {
                    continue; // the write that exceeded the limit reports EFBIG
                }
                seen += 1;
                handle(signal, seen == 1);
            }
        })?;
    Ok(())
}

/// What the signal thread does with the `first` stopping signal, or a later one.
fn handle(signal: i32, first: bool) {
    if first {
        console::error(&format!(
            "\n{}: stopping after the current repeat; a repeat on worker processes stops now \
             (send it again to stop at once)...",
            name(signal)
        ));
        return;
    }
    let _writing = writing();
    run_hooks();
    console::error(&format!("{}: stopped at once.", name(signal)));
    std::process::exit(i32::from(exit_status().unwrap_or(130)));
}

/// Runs every emergency hook once, then the hooks that come last (the
/// removal of the temporary files of writes still in progress, as the
/// hooks write files themselves).
pub fn run_hooks() {
    let hooks = HOOKS.lock().unwrap_or_else(PoisonError::into_inner);
    for (_, hook) in hooks.iter() {
        hook();
    }
    let last = LAST_HOOKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for hook in last {
        hook();
    }
}

/// The flag the engine polls between repeats.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// 128 + the first stopping signal, if one arrived.
pub fn exit_status() -> Option<u8> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        signal => u8::try_from(128 + signal).ok(),
    }
}

/// A signal's usual name.
fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "interrupt (Ctrl-C)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        SIGQUIT => "SIGQUIT",
        SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2",
        SIGALRM => "SIGALRM",
        _ => "a signal",
    }
}

/// Keeps a hook registered; dropping it unregisters the hook.
#[must_use = "the hook is unregistered when this is dropped"]
pub struct HookGuard(u64);

/// Registers `hook` to run before an immediate exit.
pub fn on_immediate_exit(hook: impl Fn() + Send + 'static) -> HookGuard {
    let id = NEXT_HOOK.fetch_add(1, Ordering::Relaxed);
    HOOKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, Box::new(hook)));
    HookGuard(id)
}

/// Registers `hook` to run before an immediate exit after every hook of
/// [`on_immediate_exit`], for as long as the process lives.
pub fn last_on_immediate_exit(hook: fn()) {
    LAST_HOOKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(hook);
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        HOOKS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.0);
    }
}

/// Serialises report writes with an immediate exit.
pub fn writing() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(PoisonError::into_inner)
}
