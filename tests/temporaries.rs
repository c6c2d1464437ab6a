//! The temporary files of atomic writes before an immediate exit (a second
//! Ctrl-C): `runner report` stopped while writing `--out`'s index left
//! `.index.html.PID.N.tmp` there for good, as only the report folder was
//! swept. Every write in progress is now listed, and the exit removes them
//! and lets no new one start. A process of its own, as the sweep is final.
//! The sweep is one of the hooks an immediate exit runs (the last one):
//! the first write registered it with the signal handling.

use std::fs;

use runner::output::write_atomic;
use runner::signals::run_hooks;

#[test]
fn after_the_exit_sweep_no_temporary_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    write_atomic(&dir.path().join("index.html"), b"before", false).unwrap();
    run_hooks();
    let err = write_atomic(&dir.path().join("index.html"), b"after", false).unwrap_err();
    assert!(err.to_string().contains("index.html"), "{err}");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["index.html"], "no temporary file is left");
    assert_eq!(fs::read(dir.path().join("index.html")).unwrap(), b"before");
}
