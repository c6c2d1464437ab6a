//! Exit statuses, as `--help` and the README document them: what the
//! command line shows (cli) and what every command returns (commands).

/// Every case that ran gave the oracle's answer.
pub const OK: u8 = 0;
/// A case gave a wrong answer or crashed (it is recorded with its message).
pub const CASE_FAILED: u8 = 1;
/// Bad usage, a bad experiment file, or a run refused before it started
/// (a folder another run holds, files runner did not write, too much
/// memory, a Redis server that refuses runner's password or ACL, or a
/// Redis URL that does not parse).
pub const BAD_INPUT: u8 = 2;
/// Nothing ran: every case was skipped because a service it needs is
/// missing (no Redis server answers, a program is not installed).
pub const NOTHING_RAN: u8 = 3;
/// A file could not be read or written (a full disk, a read-only folder).
pub const IO: u8 = 4;
/// With `--strict`, a lesson of the experiment (`[[expect]]`) failed.
pub const LESSON_FAILED: u8 = 5;
/// With `--strict`, lessons failed, but every one on a run that something
/// disturbed (another busy process, a rising load, throttling, drift): a
/// retry on a quiet machine may pass, so CI can tell it from status 5.
pub const LESSON_FAILED_UNRELIABLE: u8 = 6;
/// A bug in runner; please report it.
pub const INTERNAL: u8 = 70;

/// The table, for `--help` and error messages.
pub const TABLE: &str = "\
Exit status:
  0    every case that ran gave the oracle's answer
  1    a case gave a wrong answer or crashed (recorded with its message, never as a time)
  2    bad usage or a bad experiment file, or a run refused before it started (a
       report folder another run holds or holding files runner did not write, a
       case needing more memory than allowed, a Redis server refusing the
       password or ACL of REDIS_URL, a Redis URL that does not parse); nothing
       is written
  3    nothing ran: every case was skipped for lack of a service it needs (no
       Redis server answers, a required program is missing)
  4    a file could not be read or written (full disk, read-only folder); the
       file and the reason are named, and the manifest says \"error\" if it can
  5    with --strict: a lesson of the experiment ([[expect]]) failed; each is
       named with its two cases and the measured ratio and interval
  6    with --strict: lessons failed, but each on a run something disturbed
       (another busy process, a load above the CPUs, throttling, drift), so
       its verdict is unreliable: run again on a quiet machine (a CI can retry)
  70   an internal error (a bug in runner)
  128+N  stopped by signal N: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (finished
       cases are kept and the manifest says \"interrupted\")";
