//! `runner`: a declarative experiment runner for studying how parallel work
//! is split, balanced and coordinated.
//!
//! The data flows one way: an experiment file is validated and expanded into
//! cases ([`experiment`]), the [`engine`] runs each with a [`strategy`] over
//! the [`primes`] kernels and checks it against the oracle, and [`output`]
//! writes the records as CSV and a manifest.
//!
//! The layers, each importing only from the layers below it (as measured
//! from the `use` blocks; `main.rs` on top):
//!
//! ```text
//! commands            the subcommands: glue from parsed arguments to an exit status
//! compare             two saved runs side by side
//! report              charts, the HTML page, summary.json and summary.md
//! output, progress    the report folder as a run fills it, manifest.json, tasks.csv and
//!                     trace.json; the progress line
//! plan, engine        what a plan will cost; running a plan's cases
//! workload            how each kind of case builds its work and checks its answer
//! record, timing      the CSV rows; the timed runs of a case
//! strategy, outcome   how work is coordinated over a backend; a case's result
//! trace               what every worker did: task records, CPU time, their files' rows
//! backend             where workers run (threads, processes, Redis)
//! work                jobs, replies and the one function that serves a job
//! flag                shared early-exit flags
//! ipc, cli            frames and the manager process; clap types
//! experiment, signals, units, answer, machine_state
//!                     the model (the parameter registry, cases, the case columns);
//!                     signal handling; human numbers; answers; the machine's state
//! primes, secret, console, machine, exit, stats
//!                     kernels and the oracle; URL secrets; terminal text; cores; exit
//!                     statuses; statistics
//! ```
//!
//! No arrow runs up and no two files import each other (`farm-studio look`
//! draws the graph): a new backend, workload or parameter is added at its
//! layer without reaching above it.

pub mod answer;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod console;
pub mod engine;
pub mod exit;
pub mod experiment;
pub mod flag;
pub mod ipc;
pub mod machine;
pub mod machine_state;
pub mod outcome;
pub mod output;
pub mod plan;
pub mod primes;
pub mod progress;
pub mod record;
pub mod report;
pub mod secret;
pub mod signals;
pub mod stats;
pub mod strategy;
pub mod timing;
pub mod trace;
pub mod units;
pub mod work;
pub mod workload;
