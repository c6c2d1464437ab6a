//! The values an experiment file may hold, each deserialized with a message
//! that says what is allowed, so a bad value is reported at its own position.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::primes::NumRange;

/// A spanned list of spanned values, as a `[sweep]` key holds.
pub type List<T> = toml::Spanned<Vec<toml::Spanned<T>>>;

/// The user's own parameters of a command: one value each.
pub type ParamsSpec =
    toml::Spanned<std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>>;

/// The user's own parameters of a command in a sweep: a list each.
pub type ParamListsSpec =
    toml::Spanned<std::collections::BTreeMap<toml::Spanned<String>, List<toml::Value>>>;

/// A single value, or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values, as a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// How work is spread over workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// One thread, no communication: the baseline.
    Serial,
    /// Worker threads pulling chunks of `chunksize` numbers from one queue.
    Pool,
    /// rayon's work stealing, splitting no finer than `chunksize`.
    Stealing,
    /// Workers split one number's candidate divisors and share an early-exit flag.
    Cooperative,
    /// Workers pull single numbers from one queue; poison pills end a round.
    Queue,
    /// As `queue`, with a feeder thread enqueueing while the caller collects.
    Feeder,
}

/// The order in which the numbers are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Ascending, as the range gives them.
    Given,
    /// Shuffled once per case with the run's seed.
    Shuffled,
    /// The costliest first, by the cost estimated before the search
    /// (multiples of 2, 3 and 5 are cheap; any other n may cost up to its
    /// square root): see `strategy::order::estimated_cost`.
    SlowestFirst,
    /// The cheapest first, by the same estimate.
    FastestFirst,
}

/// Where the workers of a case run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Executor {
    /// Threads of the runner's own process; a task is a span of a shared list.
    #[default]
    Threads,
    /// Worker processes (the runner re-executed), reached through pipes;
    /// tasks carry their numbers.
    Processes,
    /// `runner worker` processes on any host, reached through Redis Streams
    /// (one consumer group); tasks carry their numbers.
    Redis,
}

impl Executor {
    /// Whether the workers are outside this process, so a task carries its
    /// numbers and a flag must be one other processes can reach.
    pub fn out_of_process(self) -> bool {
        matches!(self, Executor::Processes | Executor::Redis)
    }
}

/// The divisibility test inside the candidate loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// One hardware division (`%`) per candidate: the book's loop.
    Plain,
    /// The same candidates tested by multiplying with a precomputed inverse.
    Fast,
    /// The same candidates, a block at a time, with vector instructions
    /// (AVX-512 or AVX2, detected at run time; the fast kernel otherwise).
    Simd,
}

/// How a cooperative worker's candidate loop finds time to look at the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopStyle {
    /// Decrement a counter every candidate; look when it reaches zero.
    Counter,
    /// Compare the candidate with a precomputed next checkpoint.
    Lookahead,
    /// The book's "mmap redux": a tight loop over a block of `check_every`
    /// candidates with no bookkeeping, a look between blocks.
    Blocked,
}

/// The shared early-exit flag of a cooperative search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// No sharing: each worker searches its whole range unless it finds a factor.
    None,
    /// An atomic byte with relaxed loads (the book's RawValue).
    Atomic,
    /// A lock-protected value.
    Mutex,
    /// A server thread answering requests over channels (the book's Manager).
    Manager,
    /// One byte in a shared memory map (the book's mmap).
    Mmap,
    /// A key on a Redis server.
    Redis,
}

/// A service or program some cases need, so they can be skipped (with a
/// message) when it is missing: `"redis"` (a reachable Redis server),
/// `"pypy3"` (a program on `PATH`, or a path), or `"pypy3:redis"` (a Python
/// interpreter that can import a module). Programs and modules are for
/// command workloads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// A reachable Redis server.
    Redis,
    /// A program found on `PATH` (or at a path, if the name has a `/`).
    Program(String),
    /// A Python interpreter that can `import` a module.
    Module { interpreter: String, module: String },
}

impl Requirement {
    /// Reads `"redis"`, `"PROGRAM"` or `"INTERPRETER:MODULE"`.
    pub fn parse(text: &str) -> Option<Requirement> {
        let program_ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./+-".contains(c))
        };
        let module_ok = |m: &str| {
            !m.is_empty()
                && !m.starts_with('.')
                && m.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c))
        };
        match text.split_once(':') {
            _ if text == "redis" => Some(Requirement::Redis),
            None if program_ok(text) => Some(Requirement::Program(text.into())),
            Some((i, m)) if program_ok(i) && module_ok(m) => Some(Requirement::Module {
                interpreter: i.into(),
                module: m.into(),
            }),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Requirement::parse(&text).ok_or_else(|| {
            de::Error::unknown_variant(&text, &["redis", "PROGRAM", "INTERPRETER:MODULE"])
        })
    }
}

impl Serialize for Requirement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Redis => f.write_str("redis"),
            Requirement::Program(p) => f.write_str(p),
            Requirement::Module {
                interpreter,
                module,
            } => write!(f, "{interpreter}:{module}"),
        }
    }
}

/// Which clock times a command case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// The process's wall time, from spawn to exit (as hyperfine times).
    #[default]
    Wall,
    /// The program's own time of its measured section, printed on a
    /// `runner-time: SECONDS` line.
    Program,
}

/// What a command's `runner-answer:` line answers, for the oracle to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// The primes of the case's range: `runner-answer: COUNT [CHECKSUM]`.
    Primes,
    /// The verdict on the case's number: `runner-answer: prime` or
    /// `runner-answer: not prime [FACTOR]`.
    Verdict,
    /// The smallest-factor histogram of the case's range:
    /// `runner-answer: DISTINCT TOTAL [CHECKSUM]`.
    Factors,
}

/// What the experiment computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// Find every prime in a range.
    Primes,
    /// Decide whether each of a few big numbers is prime.
    Verify,
    /// Time one check of each n of a stepped range.
    CheckCost,
    /// Count how often each smallest factor occurs among the non-primes.
    FactorFrequency,
    /// Run an external program once per repeat (see [`crate::workload::command`]).
    Command,
}

/// Which numbers a queue strategy puts on its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Enqueue {
    /// Every number.
    #[default]
    All,
    /// Only the odd ones (2, the one even prime, is added by the caller).
    Odd,
}

/// In what order the timed runs of an experiment's cases happen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Round r of every case before round r+1, in the plan's order: a drift
    /// of the machine touches every case alike instead of the last ones.
    #[default]
    Interleaved,
    /// As interleaved, in a new seeded random order each round.
    Shuffled,
    /// Every repeat of a case back to back, then the next case.
    Blocked,
}

/// Where the shared queue of worker processes lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueHost {
    /// A pipe every worker reads under a lock, fed by a thread of the
    /// runner: the design of `multiprocessing.Queue()`.
    #[default]
    Direct,
    /// A queue in a manager process, one request over a Unix socket per put
    /// and per get: `multiprocessing.Manager().Queue()`, the book's queues.
    Manager,
}

/// How many items a work queue holds before the sender waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Capacity {
    /// No bound: the caller never waits.
    #[default]
    Unbounded,
    /// At most this many items.
    Bounded(usize),
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Capacity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a queue capacity (1 or more) or \"unbounded\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Capacity, E> {
                match u64::try_from(v) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!(
                        "a capacity of {v} is not possible; use 1 or more, or \"unbounded\""
                    ))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Capacity, E> {
                match usize::try_from(v) {
                    Ok(0) => Err(E::custom(
                        "a capacity of 0 is not possible; use 1 or more, or \"unbounded\"",
                    )),
                    Ok(n) if v <= MAX_COUNT => Ok(Capacity::Bounded(n)),
                    _ => Err(E::custom(format!(
                        "a capacity of {v} is too large; use at most {MAX_COUNT}, or \"unbounded\""
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Capacity, E> {
                match v {
                    "unbounded" => Ok(Capacity::Unbounded),
                    digits if digits.starts_with(|c: char| c.is_ascii_digit()) => {
                        self.visit_u64(parse_u64(digits).map_err(E::custom)?)
                    }
                    _ => Err(E::unknown_variant(v, &["unbounded"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capacity::Unbounded => f.write_str("unbounded"),
            Capacity::Bounded(n) => write!(f, "{n}"),
        }
    }
}

/// As the CSV's `capacity` column writes it: the count, or "unbounded".
impl Serialize for Capacity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

macro_rules! display_as_serde_name {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let value = serde_json::to_value(self).map_err(|_| fmt::Error)?;
                f.write_str(value.as_str().ok_or(fmt::Error)?)
            }
        }
    )*};
}
display_as_serde_name!(
    Executor,
    Strategy,
    Order,
    Kernel,
    WorkloadKind,
    LoopStyle,
    FlagKind,
    Enqueue,
    QueueHost,
    Schedule,
    ClockKind,
    AnswerKind
);

/// A worker count: a number, or the machine's cores counted at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkersSpec {
    /// Exactly this many workers.
    Count(usize),
    /// One per physical core.
    Physical,
    /// One per logical CPU (hardware thread).
    Logical,
}

/// The limits of a run, the same in experiment files and on the command line
/// (the README lists them): beyond them a typo is likelier than a wish.
pub mod limits {
    /// The most workers a case may ask for.
    pub const MAX_WORKERS: usize = 1024;
    /// The most timed repeats per case.
    pub const MAX_REPEATS: u64 = 100_000;
    /// The most untimed warm-up runs per case.
    pub const MAX_WARMUP: u64 = 1_000;
    /// The largest count a parameter takes (`chunksize`, `capacity`,
    /// `nbr_chunks`, `check_every`, `step`): TOML's largest integer, so a
    /// count written as a string of digits is never larger than one written
    /// as a number, and the arithmetic on it (two candidates per step of
    /// `check_every`) and the charts' axes stay exact.
    pub const MAX_COUNT: u64 = i64::MAX as u64;
}
pub use limits::{MAX_COUNT, MAX_WORKERS};

/// How big the pool's chunks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunksizeSpec {
    /// This many numbers per task.
    Size(u64),
    /// Python's rule: ceil(len / (4 × workers)).
    Default,
}

/// An integer of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Positive(pub u64);

/// A u64 written as a TOML integer or, above 2^63 - 1, as a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BigU64(pub u64);

/// Parses digits (underscores allowed) into a u64, with a message on failure.
fn parse_u64(text: &str) -> Result<u64, String> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("\"{text}\" is not a whole number"));
    }
    digits.parse().map_err(|_| {
        format!(
            "{text} does not fit in 64 bits (the largest is {})",
            u64::MAX
        )
    })
}

fn non_negative<E: de::Error>(v: i64) -> Result<u64, E> {
    u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative; use a whole number")))
}

/// A whole number from `MIN` to `MAX`, written as an integer or a string of
/// digits; the message names the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bounded<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let out_of_bounds = |v: &dyn fmt::Display| {
            let range = match MAX {
                u64::MAX => format!("{MIN} or more"),
                _ => format!("from {MIN} to {MAX}"),
            };
            de::Error::custom(format!(
                "{v} is not allowed here; use a whole number {range}"
            ))
        };
        struct Signed(i128);
        impl<'de> Deserialize<'de> for Signed {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = Signed;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a whole number")
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Signed, E> {
                        Ok(Signed(v.into()))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Signed, E> {
                        Ok(Signed(v.into()))
                    }
                    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Signed, E> {
                        Ok(Signed(v))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Signed, E> {
                        parse_u64(v).map(|n| Signed(n.into())).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
        let Signed(v) = Signed::deserialize(d)?;
        match u64::try_from(v) {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Bounded(n)),
            _ => Err(out_of_bounds(&v)),
        }
    }
}

impl<'de> Deserialize<'de> for BigU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = BigU64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number (as a string of digits above 9223372036854775807)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigU64, E> {
                non_negative(v).map(BigU64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigU64, E> {
                Ok(BigU64(v))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<BigU64, E> {
                parse_u64(&v.to_string()).map(BigU64).map_err(E::custom)
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<BigU64, E> {
                parse_u64(&v.to_string()).map(BigU64).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BigU64, E> {
                parse_u64(v).map(BigU64).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Bounded(v) = Bounded::<1, MAX_COUNT>::deserialize(d)?;
        Ok(Positive(v))
    }
}

impl<'de> Deserialize<'de> for WorkersSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WorkersSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a worker count (1 or more), \"physical\" or \"logical\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WorkersSpec, E> {
                match usize::try_from(v) {
                    Ok(n @ 1..=MAX_WORKERS) => Ok(WorkersSpec::Count(n)),
                    _ => Err(E::custom(format!(
                        "{v} workers is not possible; use 1 to {MAX_WORKERS}, \"physical\" or \"logical\""
                    ))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WorkersSpec, E> {
                match usize::try_from(v) {
                    Ok(n @ 1..=MAX_WORKERS) => Ok(WorkersSpec::Count(n)),
                    _ => Err(E::custom(format!(
                        "{v} workers is not possible; use 1 to {MAX_WORKERS}, \"physical\" or \"logical\""
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WorkersSpec, E> {
                match v {
                    "physical" => Ok(WorkersSpec::Physical),
                    "logical" => Ok(WorkersSpec::Logical),
                    digits if digits.starts_with(|c: char| c.is_ascii_digit()) => {
                        self.visit_u64(parse_u64(digits).map_err(E::custom)?)
                    }
                    _ => Err(E::unknown_variant(v, &["physical", "logical"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ChunksizeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ChunksizeSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a chunksize (1 or more) or \"default\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ChunksizeSpec, E> {
                self.visit_u64(non_negative(v)?)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ChunksizeSpec, E> {
                match v {
                    0 => Err(E::custom(
                        "a chunksize of 0 is not possible; use 1 or more, or \"default\"",
                    )),
                    n if n <= MAX_COUNT => Ok(ChunksizeSpec::Size(n)),
                    n => Err(E::custom(format!(
                        "a chunksize of {n} is too large; use at most {MAX_COUNT} (any chunksize \
                         of the range's length or more makes one task), or \"default\""
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChunksizeSpec, E> {
                match v {
                    "default" => Ok(ChunksizeSpec::Default),
                    digits if digits.starts_with(|c: char| c.is_ascii_digit()) => {
                        self.visit_u64(parse_u64(digits).map_err(E::custom)?)
                    }
                    _ => Err(E::unknown_variant(v, &["default"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A range of numbers: one of the book's names `"A"`..`"E"` or `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RangeSpec(pub NumRange);

impl<'de> Deserialize<'de> for RangeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RangeSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a range [start, end] or one of the book's names \"A\" to \"E\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RangeSpec, E> {
                NumRange::named(v)
                    .map(RangeSpec)
                    .ok_or_else(|| E::unknown_variant(v, &["A", "B", "C", "D", "E"]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RangeSpec, A::Error> {
                let mut bounds = Vec::new();
                while let Some(BigU64(v)) = seq.next_element()? {
                    bounds.push(v);
                }
                let [start, end] = bounds[..] else {
                    return Err(de::Error::custom(format!(
                        "a range has two numbers [start, end], not {}",
                        bounds.len()
                    )));
                };
                if end <= start {
                    return Err(de::Error::custom(format!(
                        "the range [{start}, {end}) is empty or reversed; the end (exclusive) must be greater than the start"
                    )));
                }
                Ok(RangeSpec(NumRange { start, end }))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for WorkersSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkersSpec::Count(n) => write!(f, "{n}"),
            WorkersSpec::Physical => f.write_str("physical"),
            WorkersSpec::Logical => f.write_str("logical"),
        }
    }
}

impl fmt::Display for ChunksizeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunksizeSpec::Size(n) => write!(f, "{n}"),
            ChunksizeSpec::Default => f.write_str("default"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct One<T> {
        v: T,
    }

    fn read<T: for<'de> Deserialize<'de>>(value: &str) -> Result<T, String> {
        toml::from_str::<One<T>>(&format!("v = {value}"))
            .map(|one| one.v)
            .map_err(|e| e.message().to_string())
    }

    /// Issue 20 item 16: a count beyond TOML's largest integer, written as
    /// digits, was clamped to 9223372036854775807; it is refused, and the
    /// largest integer itself is still a count.
    #[test]
    fn counts_written_as_digits_are_never_clamped() {
        let huge = "\"18446744073709551615\"";
        let err = read::<ChunksizeSpec>(huge).unwrap_err();
        assert!(
            err.contains("a chunksize of 18446744073709551615 is too large"),
            "{err}"
        );
        assert_eq!(
            read::<ChunksizeSpec>("\"9223372036854775807\""),
            Ok(ChunksizeSpec::Size(MAX_COUNT))
        );
        assert_eq!(read::<ChunksizeSpec>("\"64\""), Ok(ChunksizeSpec::Size(64)));
        let err = read::<Capacity>(huge).unwrap_err();
        assert!(
            err.contains("a capacity of 18446744073709551615 is too large"),
            "{err}"
        );
        assert_eq!(read::<Capacity>("\"8\""), Ok(Capacity::Bounded(8)));
        assert!(
            read::<Capacity>("\"0\"")
                .unwrap_err()
                .contains("0 is not possible")
        );
        let err = read::<WorkersSpec>(huge).unwrap_err();
        assert!(
            err.contains("18446744073709551615 workers is not possible"),
            "{err}"
        );
        // Two steps of a check_every this large overflowed the search.
        let err = read::<Positive>("\"9223372036854775808\"").unwrap_err();
        assert!(err.contains("from 1 to 9223372036854775807"), "{err}");
        assert_eq!(
            read::<Positive>("9223372036854775807"),
            Ok(Positive(MAX_COUNT))
        );
        // Digits too large for 64 bits say so, not "unknown variant".
        let err = read::<ChunksizeSpec>("\"99999999999999999999\"").unwrap_err();
        assert!(err.contains("does not fit in 64 bits"), "{err}");
        // Numbers, as opposed to counts, still take all 64 bits.
        assert_eq!(read::<BigU64>(huge), Ok(BigU64(u64::MAX)));
    }
}
