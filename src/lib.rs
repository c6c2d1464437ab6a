//! `runner`: a declarative experiment runner for studying how parallel work
//! is split, balanced and coordinated.
//!
//! The data flows one way: an experiment file is validated and expanded into
//! cases ([`experiment`]), the [`engine`] runs each with a [`strategy`] over
//! the [`primes`] kernels and checks it against the oracle, and [`output`]
//! writes the records as CSV and a manifest.

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
pub mod manifest;
pub mod outcome;
pub mod output;
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
