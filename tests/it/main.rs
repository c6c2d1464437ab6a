//! runner's integration tests, as one test binary.
//!
//! Each file under tests/ used to be a test binary of its own, and each
//! linked the whole library and its dependencies: on a 2-core machine the
//! links, not the tests, were most of an edit-and-test cycle. Here every
//! topic is a module of one binary (ripgrep's tests are built so). Two
//! files stay apart because they need a process of their own:
//! tests/flags_ipc.rs runs its own binary again as the other process, and
//! tests/temporaries.rs ends the process's writes for good.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod broken_files;
mod charts;
mod cli;
mod commands;
mod compare;
mod cooperative;
mod docs;
mod exports;
mod failures;
mod findings;
mod lessons;
mod limits;
mod machine_state;
mod oracle;
mod processes;
mod python;
mod redis;
mod report;
mod run_folder;
mod signals;
mod simd;
mod strategies;
mod timelines;
mod workloads;
