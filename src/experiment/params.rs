//! The parameters a sweep or a variant can set, and the resolved case they
//! describe once the machine and the range are known.

use std::fmt;

use serde::Serialize;

use super::values::{ChunksizeSpec, Kernel, Order, Strategy, WorkersSpec};
use crate::machine::Cores;
use crate::primes::NumRange;

/// A parameter that can be swept or set by a variant, in expansion order:
/// the first named varies slowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamName {
    Range,
    Strategy,
    Kernel,
    Workers,
    Chunksize,
    NbrChunks,
    Order,
}

impl ParamName {
    /// The key in the experiment file, and the column in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamName::Range => "range",
            ParamName::Strategy => "strategy",
            ParamName::Kernel => "kernel",
            ParamName::Workers => "workers",
            ParamName::Chunksize => "chunksize",
            ParamName::NbrChunks => "nbr_chunks",
            ParamName::Order => "order",
        }
    }
}

/// One value of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamValue {
    Range(NumRange),
    Strategy(Strategy),
    Kernel(Kernel),
    Workers(WorkersSpec),
    Chunksize(ChunksizeSpec),
    NbrChunks(u64),
    Order(Order),
}

impl ParamValue {
    /// Which parameter this is a value of.
    pub fn name(&self) -> ParamName {
        match self {
            ParamValue::Range(_) => ParamName::Range,
            ParamValue::Strategy(_) => ParamName::Strategy,
            ParamValue::Kernel(_) => ParamName::Kernel,
            ParamValue::Workers(_) => ParamName::Workers,
            ParamValue::Chunksize(_) => ParamName::Chunksize,
            ParamValue::NbrChunks(_) => ParamName::NbrChunks,
            ParamValue::Order(_) => ParamName::Order,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Range(r) => write!(f, "{r}"),
            ParamValue::Strategy(s) => write!(f, "{s}"),
            ParamValue::Kernel(k) => write!(f, "{k}"),
            ParamValue::Workers(w) => write!(f, "{w}"),
            ParamValue::Chunksize(c) => write!(f, "{c}"),
            ParamValue::NbrChunks(n) => write!(f, "{n}"),
            ParamValue::Order(o) => write!(f, "{o}"),
        }
    }
}

/// How chunks are sized, before the range length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chunking {
    /// Exactly this many numbers per task.
    Size(u64),
    /// Python's rule: ceil(len / (4 × workers)).
    Default,
    /// int(len / nbr_chunks), as the book computes it.
    NbrChunks(u64),
}

/// Every parameter of a case before resolution: defaults overridden by the
/// sweep, then by the variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Setting {
    pub range: Option<NumRange>,
    pub strategy: Strategy,
    pub kernel: Kernel,
    pub workers: WorkersSpec,
    pub chunking: Chunking,
    pub order: Order,
}

impl Setting {
    /// Sets one parameter.
    pub fn apply(&mut self, value: ParamValue) {
        match value {
            ParamValue::Range(r) => self.range = Some(r),
            ParamValue::Strategy(s) => self.strategy = s,
            ParamValue::Kernel(k) => self.kernel = k,
            ParamValue::Workers(w) => self.workers = w,
            ParamValue::Chunksize(ChunksizeSpec::Size(n)) => self.chunking = Chunking::Size(n),
            ParamValue::Chunksize(ChunksizeSpec::Default) => self.chunking = Chunking::Default,
            ParamValue::NbrChunks(n) => self.chunking = Chunking::NbrChunks(n),
            ParamValue::Order(o) => self.order = o,
        }
    }

    /// The case this setting describes on a machine with `cores`.
    /// `range` is the (possibly shortened) range to search.
    pub fn resolve(&self, range: NumRange, cores: Cores, seed: u64) -> Case {
        let serial = self.strategy == Strategy::Serial;
        let workers = match (serial, self.workers) {
            (true, _) => 1,
            (false, WorkersSpec::Count(n)) => n,
            (false, WorkersSpec::Physical) => cores.physical,
            (false, WorkersSpec::Logical) => cores.logical,
        };
        let chunks = (!serial).then(|| ChunkPlan::new(self.chunking, range.len(), workers));
        Case {
            number: 0,
            variant: String::new(),
            strategy: self.strategy,
            kernel: self.kernel,
            range,
            workers,
            chunks,
            order: self.order,
            seed: (self.order == Order::Shuffled).then_some(seed),
        }
    }
}

/// The resolved chunk size of a case and the rule that gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ChunkPlan {
    /// Numbers per task.
    pub size: u64,
    /// How the size was chosen.
    pub rule: Chunking,
}

impl ChunkPlan {
    /// Sizes the chunks of `len` numbers shared by `workers`.
    pub fn new(rule: Chunking, len: u64, workers: usize) -> Self {
        let size = match rule {
            Chunking::Size(n) => n,
            Chunking::Default => len.div_ceil(4 * workers as u64),
            // The book truncates; a slice shorter than nbr_chunks still needs 1.
            Chunking::NbrChunks(k) => len / k,
        };
        ChunkPlan {
            size: size.max(1),
            rule,
        }
    }

    /// How many tasks `len` numbers make.
    pub fn tasks(&self, len: u64) -> u64 {
        len.div_ceil(self.size)
    }
}

impl Serialize for Chunking {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Chunking::Size(_) => "given",
            Chunking::Default => "default",
            Chunking::NbrChunks(_) => "nbr_chunks",
        })
    }
}

/// One fully resolved case: everything the engine needs to run it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Case {
    /// 1-based position in the plan.
    pub number: usize,
    /// The variant's label, or empty.
    pub variant: String,
    pub strategy: Strategy,
    pub kernel: Kernel,
    pub range: NumRange,
    /// Worker threads (1 for serial).
    pub workers: usize,
    /// Chunking, for strategies that hand out chunks.
    pub chunks: Option<ChunkPlan>,
    pub order: Order,
    /// The shuffle's seed, for shuffled cases.
    pub seed: Option<u64>,
}

impl Case {
    /// A short human description, e.g. `pool workers=2 chunksize=64 order=given`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.variant.is_empty() {
            parts.push(format!("[{}]", self.variant));
        }
        parts.push(self.strategy.to_string());
        if self.strategy != Strategy::Serial {
            parts.push(format!("workers={}", self.workers));
        }
        if let Some(chunks) = self.chunks {
            match chunks.rule {
                Chunking::Size(_) => parts.push(format!("chunksize={}", chunks.size)),
                Chunking::Default => parts.push(format!("chunksize=default({})", chunks.size)),
                Chunking::NbrChunks(k) => {
                    parts.push(format!("nbr_chunks={k}(chunksize={})", chunks.size))
                }
            }
        }
        parts.push(format!("order={}", self.order));
        parts.push(format!("kernel={}", self.kernel));
        parts.push(format!("range={}", self.range));
        parts.join(" ")
    }
}
