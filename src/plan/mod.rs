//! What a plan will cost before anything runs: how long it will take
//! ([`estimate`], calibrated on this machine) and how much memory its
//! largest case needs ([`memory`], refused beyond the limit). `runner
//! check` prints both; `runner run` refuses a plan that would not fit.

pub mod estimate;
pub mod memory;
