//! Flags shared across processes: for every kind, a raise through one handle
//! is seen through a handle connected from the spec, in this process and in
//! another; dropping the owner, the immediate-exit hook and the death of a
//! manager's parent each leave no /dev/shm file, socket or process behind.
//!
//! The "other process" is this test binary run again on the `child` test,
//! which does nothing unless `RUNNER_FLAGS_IPC_ROLE` says what to do; so the
//! tests need no test-only code in runner itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runner::experiment::FlagKind;
use runner::flag::{Flag, FlagSetup, FlagSpec, SharedFlag, WithFlag, redis::redis_target};

mod common;

/// The kinds whose mechanism is local to this machine.
const LOCAL: [FlagKind; 5] = [
    FlagKind::None,
    FlagKind::Atomic,
    FlagKind::Mutex,
    FlagKind::Manager,
    FlagKind::Mmap,
];

/// The role variable, and the spec the child connects from.
const ROLE: &str = "RUNNER_FLAGS_IPC_ROLE";
const SPEC: &str = "RUNNER_FLAGS_IPC_SPEC";

/// Lines the child means for the parent start with this.
const SAYS: &str = "CHILD ";

fn setup() -> FlagSetup {
    FlagSetup {
        program: PathBuf::from(env!("CARGO_BIN_EXE_runner")),
        redis_url: redis_target(None).url,
    }
}

/// The kinds to test with the setup each needs: the local ones, and Redis
/// on a server of the test's own (kept alive by the returned guard), or a
/// skip (see `common::require`) without `redis-server`.
fn kinds() -> (Vec<(FlagKind, FlagSetup)>, Option<common::RedisServer>) {
    let mut kinds: Vec<_> = LOCAL.iter().map(|&k| (k, setup())).collect();
    let server = common::RedisServer::start();
    if let Some(server) = &server {
        let setup = FlagSetup {
            redis_url: server.url(),
            ..setup()
        };
        kinds.push((FlagKind::Redis, setup));
    }
    (kinds, server)
}

/// This test binary, run on the `child` test in `role`.
fn run_child(role: &str, spec: Option<&FlagSpec>) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if let Some(spec) = spec {
        command.env(SPEC, serde_json::to_string(spec).unwrap());
    }
    command
}

/// The child's lines for the parent, without the prefix.
fn said(output: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(output)
        .lines()
        .filter_map(|l| message(l).map(str::to_string))
        .collect()
}

/// The child's message in `line`, if any. Not only at the start: libtest
/// prints "test child ... " before the test's own output, on the same line.
fn message(line: &str) -> Option<&str> {
    line.split_once(SAYS).map(|(_, message)| message)
}

/// Whether process `pid` has exited (gone, or a zombie nobody reaped yet).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits (up to a generous bound, only so a failure ends) for `done`.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Looks once and raises the flag: what the child does with any handle.
struct LookThenRaise;

impl WithFlag for LookThenRaise {
    type Output = Result<bool, runner::flag::FlagError>;
    fn run<F: Flag>(self, mut flag: F) -> Self::Output {
        let seen = flag.is_set()?;
        flag.set()?;
        Ok(seen)
    }
}

/// Not a test of its own: the other process's side of the tests below.
#[test]
fn child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    match role.as_str() {
        "look-then-raise" => {
            let spec: FlagSpec = serde_json::from_str(&std::env::var(SPEC).unwrap()).unwrap();
            let seen = spec.dispatch(LookThenRaise).unwrap().unwrap();
            println!("{SAYS}seen={seen}");
        }
        "hook" => {
            // Creates every local kind, then exits as a second Ctrl-C does:
            // hooks, then exit, no destructors.
            let flags: Vec<_> = LOCAL
                .iter()
                .map(|&k| SharedFlag::create(k, &setup()).unwrap())
                .collect();
            for flag in &flags {
                if let Some(path) = flag.path() {
                    println!("{SAYS}path={}", path.display());
                }
                if let Some(pid) = flag.manager_pid() {
                    println!("{SAYS}pid={pid}");
                }
            }
            runner::signals::run_hooks();
            std::process::exit(0);
        }
        "orphan" => {
            let flag = SharedFlag::create(FlagKind::Manager, &setup()).unwrap();
            println!("{SAYS}pid={}", flag.manager_pid().unwrap());
            println!("{SAYS}path={}", flag.path().unwrap().display());
            // Waits to be killed; the flag is never dropped.
            std::thread::sleep(Duration::from_secs(600));
        }
        "die-holding-the-lock" => {
            // Takes the shared flag's mutex (at the start of its file, as
            // flag/shm_mutex.rs lays it out) and exits without unlocking.
            let spec: FlagSpec = serde_json::from_str(&std::env::var(SPEC).unwrap()).unwrap();
            let FlagSpec::Mutex { path } = spec else {
                panic!("not a mutex flag: {spec:?}")
            };
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap();
            let map = memmap2::MmapRaw::map_raw(&file).unwrap();
            // SAFETY: the file starts with an initialised process-shared mutex.
            let code = unsafe { libc::pthread_mutex_lock(map.as_mut_ptr().cast()) };
            assert_eq!(code, 0);
            println!("{SAYS}locked");
            std::process::exit(0);
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn a_raise_through_one_handle_is_seen_through_another_in_this_process() {
    let (kinds, _server) = kinds();
    for (kind, setup) in kinds {
        let mut owner = SharedFlag::create(kind, &setup).unwrap();
        let mut other = owner.spec().connect().unwrap();
        let mut third = other.connect().unwrap();
        assert!(!other.is_set().unwrap(), "{kind:?} starts lowered");
        owner.handle().set().unwrap();
        let expected = kind != FlagKind::None;
        assert_eq!(other.is_set().unwrap(), expected, "{kind:?}");
        assert_eq!(third.is_set().unwrap(), expected, "{kind:?}");
        third.clear().unwrap();
        assert!(!owner.handle().is_set().unwrap(), "{kind:?} cleared");
    }
}

#[test]
fn a_raise_is_seen_across_processes_both_ways() {
    let (kinds, _server) = kinds();
    for (kind, setup) in kinds {
        let mut owner = SharedFlag::create(kind, &setup).unwrap();
        let spec = owner.spec().clone();
        // The spec goes to the worker as text, as in a message.
        let output = run_child("look-then-raise", Some(&spec)).output().unwrap();
        assert!(output.status.success(), "{kind:?}: {output:?}");
        assert_eq!(said(&output.stdout), ["seen=false"], "{kind:?}");
        // The child's raise, seen here.
        let expected = kind != FlagKind::None;
        assert_eq!(owner.handle().is_set().unwrap(), expected, "{kind:?}");
        // This process's raise, seen there.
        owner.handle().clear().unwrap();
        owner.handle().set().unwrap();
        let output = run_child("look-then-raise", Some(&spec)).output().unwrap();
        assert!(output.status.success(), "{kind:?}: {output:?}");
        assert_eq!(
            said(&output.stdout),
            [format!("seen={expected}")],
            "{kind:?}"
        );
    }
}

#[test]
fn the_spec_survives_its_text_form() {
    for kind in LOCAL {
        let owner = SharedFlag::create(kind, &setup()).unwrap();
        let text = serde_json::to_string(owner.spec()).unwrap();
        let back: FlagSpec = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, owner.spec());
        assert_eq!(back.kind(), kind);
    }
}

#[test]
fn dropping_the_owner_leaves_no_file_socket_or_process() {
    for kind in LOCAL {
        let owner = SharedFlag::create(kind, &setup()).unwrap();
        let path = owner.path().map(Path::to_path_buf);
        let pid = owner.manager_pid();
        if let Some(path) = &path {
            assert!(path.exists(), "{kind:?}: {}", path.display());
        }
        drop(owner);
        if let Some(path) = &path {
            assert!(!path.exists(), "{kind:?} left {}", path.display());
        }
        if let Some(pid) = pid {
            // Drop reaps the manager, so it is gone, not a zombie.
            assert!(
                !Path::new(&format!("/proc/{pid}")).exists(),
                "the manager {pid} outlived its owner"
            );
        }
    }
}

#[test]
fn a_handle_fails_with_a_message_once_the_owner_is_gone() {
    let owner = SharedFlag::create(FlagKind::Manager, &setup()).unwrap();
    let spec = owner.spec().clone();
    let mut handle = spec.connect().unwrap();
    drop(owner);
    let error = handle.is_set().unwrap_err();
    assert!(error.0.contains("manager"), "{error}");
    assert!(spec.connect().is_err());
}

#[test]
fn the_immediate_exit_hook_leaves_no_file_socket_or_process() {
    let output = run_child("hook", None).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = said(&output.stdout);
    let paths: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("path="))
        .collect();
    let pids: Vec<u32> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("pid="))
        .map(|p| p.parse().unwrap())
        .collect();
    // atomic, mutex and mmap files, and the manager's socket.
    assert_eq!(paths.len(), 4, "{lines:?}");
    assert_eq!(pids.len(), 1, "{lines:?}");
    for path in paths {
        let path = Path::new(path);
        assert!(!path.exists(), "left {}", path.display());
        if path.ends_with("flag.sock") {
            assert!(!path.parent().unwrap().exists(), "left the socket folder");
        }
    }
    eventually("the manager exits", || exited(pids[0]));
}

#[test]
fn a_manager_whose_parent_is_killed_exits_and_removes_its_socket() {
    let mut parent = run_child("orphan", None).spawn().unwrap();
    let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
    let mut next = |key: &str| loop {
        let line = lines.next().expect("the child said nothing").unwrap();
        if let Some(value) = message(&line).and_then(|l| l.strip_prefix(key)) {
            break value.to_string();
        }
    };
    let pid: u32 = next("pid=").parse().unwrap();
    let socket = PathBuf::from(next("path="));
    assert!(!exited(pid));
    assert!(socket.exists());
    parent.kill().unwrap(); // SIGKILL: no destructor, no hook
    parent.wait().unwrap();
    eventually("the orphaned manager exits", || exited(pid));
    eventually("the orphaned manager removes its socket folder", || {
        !socket.parent().unwrap().exists()
    });
}

#[test]
fn a_manager_outlives_the_thread_that_created_it() {
    // The parent-death signal follows the forking thread, not the process;
    // a manager started from a thread that ends must keep serving.
    let mut owner = std::thread::spawn(|| SharedFlag::create(FlagKind::Manager, &setup()).unwrap())
        .join()
        .unwrap();
    let pid = owner.manager_pid().unwrap();
    let mut other = owner.spec().connect().unwrap();
    owner.handle().set().unwrap();
    assert!(other.is_set().unwrap());
    assert!(!exited(pid));
}

#[test]
fn a_worker_that_dies_holding_the_lock_does_not_wedge_the_others() {
    let mut owner = SharedFlag::create(FlagKind::Mutex, &setup()).unwrap();
    let output = run_child("die-holding-the-lock", Some(owner.spec()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(said(&output.stdout), ["locked"]);
    // The robust mutex tells the next locker its holder died; the look
    // recovers it and goes on.
    owner.handle().set().unwrap();
    assert!(owner.spec().connect().unwrap().is_set().unwrap());
}
