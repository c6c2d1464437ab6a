//! A case: the parameters of one run resolved for the machine and the
//! input, keeping only those its strategy uses, and its plans (chunks,
//! queue, cooperative search).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::params::Setting;
use super::values::{
    Capacity, ChunksizeSpec, Enqueue, Executor, FlagKind, Kernel, LoopStyle, Order, QueueHost,
    Requirement, Strategy, WorkersSpec,
};
use crate::machine::Cores;
use crate::primes::NumRange;

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

/// A number to verify, with the name the report shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedNumber {
    pub name: String,
    pub value: u64,
    /// A smaller number of the same kind, checked instead by `--quick`.
    pub quick: Option<u64>,
}

/// What one case works on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// Find the primes in a range.
    Range(NumRange),
    /// Decide whether one number is prime.
    Number(NamedNumber),
    /// Time the check of every `step`-th number of a range.
    Stepped { range: NumRange, step: u64 },
    /// Count the smallest factors of the non-primes of a range.
    Factors(NumRange),
    /// Nothing runner knows of: a command with neither range nor numbers.
    Bare,
}

impl Setting {
    /// How chunks are sized: by `nbr_chunks` where one is set, else by
    /// `chunksize`.
    pub fn chunking(&self) -> Chunking {
        match (self.nbr_chunks, self.chunksize) {
            (Some(k), _) => Chunking::NbrChunks(k),
            (None, ChunksizeSpec::Size(n)) => Chunking::Size(n),
            (None, ChunksizeSpec::Default) => Chunking::Default,
        }
    }

    /// The case this setting describes for `input` on a machine with `cores`,
    /// keeping only the parameters its strategy uses.
    pub fn resolve(&self, input: Input, cores: Cores, seed: u64) -> Case {
        let workers = match (self.strategy, self.workers) {
            (Strategy::Serial, _) => 1,
            (_, WorkersSpec::Count(n)) => n,
            (_, WorkersSpec::Physical) => cores.physical,
            (_, WorkersSpec::Logical) => cores.logical,
        };
        let chunked = matches!(self.strategy, Strategy::Pool | Strategy::Stealing);
        let chunks = match &input {
            Input::Range(range) | Input::Factors(range) if chunked => {
                Some(ChunkPlan::new(self.chunking(), range.len(), workers))
            }
            _ => None,
        };
        let ordered = matches!(input, Input::Range(_) | Input::Factors(_));
        let queued = matches!(self.strategy, Strategy::Queue | Strategy::Feeder);
        let queue = queued.then_some(QueuePlan {
            enqueue: self.enqueue,
            capacity: self.capacity,
            // Threads share one queue in memory: there is nothing to host.
            host: (self.executor == Executor::Processes).then_some(self.queue_host),
        });
        let cooperation = (self.strategy == Strategy::Cooperative).then(|| {
            let looks = self.flag != FlagKind::None;
            CasePlan {
                precheck: self.precheck,
                flag: self.flag,
                loop_style: looks.then_some(self.loop_style),
                check_every: looks.then_some(self.check_every),
            }
        });
        // Serial runs in the caller and stealing is rayon's threads: neither
        // has workers a backend could place elsewhere.
        let placed = !matches!(self.strategy, Strategy::Serial | Strategy::Stealing);
        Case {
            number: 0,
            variant: String::new(),
            strategy: self.strategy,
            executor: placed.then_some(self.executor),
            kernel: self.kernel,
            input,
            workers,
            chunks,
            order: ordered.then_some(self.order),
            seed: (ordered && self.order == Order::Shuffled).then_some(seed),
            cooperation,
            queue,
            requires: Vec::new(),
            params: Vec::new(),
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
        // Written as the chunk_rule column writes it.
        s.collect_str(&ChunkRule::of(*self))
    }
}

/// How a case's chunk size was chosen: the `chunk_rule` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkRule {
    /// A size the experiment gave.
    Given,
    /// Python's rule, from the range and the workers.
    Default,
    /// From the number of chunks asked for.
    NbrChunks,
}

impl ChunkRule {
    /// The rule of `chunking`.
    pub fn of(chunking: Chunking) -> ChunkRule {
        match chunking {
            Chunking::Size(_) => ChunkRule::Given,
            Chunking::Default => ChunkRule::Default,
            Chunking::NbrChunks(_) => ChunkRule::NbrChunks,
        }
    }
}

impl fmt::Display for ChunkRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkRule::Given => "given",
            ChunkRule::Default => "default",
            ChunkRule::NbrChunks => "nbr_chunks",
        })
    }
}

/// How a queue case feeds its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QueuePlan {
    pub enqueue: Enqueue,
    pub capacity: Capacity,
    /// Where the queue lives, for worker processes.
    pub host: Option<QueueHost>,
}

/// How a cooperative case shares its search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CasePlan {
    /// Candidates below this are tried in the caller first; 0: none.
    pub precheck: u64,
    pub flag: FlagKind,
    /// How workers find time to look at the flag (none for `flag = "none"`).
    pub loop_style: Option<LoopStyle>,
    /// Candidates between two looks (none for `flag = "none"`).
    pub check_every: Option<u64>,
}

/// One fully resolved case: everything the engine needs to run it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Case {
    /// 1-based position in the plan.
    pub number: usize,
    /// The variant's label, or empty.
    pub variant: String,
    pub strategy: Strategy,
    /// Where the workers run, for strategies whose workers a backend starts.
    pub executor: Option<Executor>,
    pub kernel: Kernel,
    pub input: Input,
    /// Worker threads (1 for serial).
    pub workers: usize,
    /// Chunking, for strategies that hand out chunks.
    pub chunks: Option<ChunkPlan>,
    /// Job order, for range inputs.
    pub order: Option<Order>,
    /// The shuffle's seed, for shuffled cases.
    pub seed: Option<u64>,
    /// How the search is shared, for cooperative cases.
    pub cooperation: Option<CasePlan>,
    /// How the queue is fed, for queue and feeder cases.
    pub queue: Option<QueuePlan>,
    /// What the case needs; without it the case is skipped.
    pub requires: Vec<Requirement>,
    /// The user's own parameters, by name (command workloads).
    pub params: Vec<(String, String)>,
}

impl Case {
    /// The range worked on, for every input but a single number.
    pub fn range(&self) -> Option<NumRange> {
        match &self.input {
            Input::Range(r) | Input::Factors(r) | Input::Stepped { range: r, .. } => Some(*r),
            Input::Number(_) | Input::Bare => None,
        }
    }

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
        if let Some(executor) = self.executor {
            parts.push(format!("executor={executor}"));
        }
        if let Some(chunks) = self.chunks {
            parts.push(match chunks.rule {
                Chunking::Size(_) => format!("chunksize={}", chunks.size),
                Chunking::Default => format!("chunksize=default({})", chunks.size),
                Chunking::NbrChunks(k) => format!("nbr_chunks={k}(chunksize={})", chunks.size),
            });
        }
        if let Some(c) = self.cooperation {
            parts.push(format!("precheck={} flag={}", c.precheck, c.flag));
            if let (Some(style), Some(every)) = (c.loop_style, c.check_every) {
                parts.push(format!("loop={style} check_every={every}"));
            }
        }
        if let Some(q) = self.queue {
            parts.push(format!("enqueue={} capacity={}", q.enqueue, q.capacity));
            if let Some(host) = q.host {
                parts.push(format!("queue_host={host}"));
            }
        }
        if let Some(order) = self.order {
            parts.push(format!("order={order}"));
        }
        parts.push(format!("kernel={}", self.kernel));
        parts.push(match &self.input {
            Input::Range(r) | Input::Factors(r) => format!("range={r}"),
            Input::Stepped { range, step } => format!("range={range} step={step}"),
            Input::Number(n) => format!("number={} ({})", n.value, n.name),
            Input::Bare => String::new(),
        });
        parts.extend(self.params.iter().map(|(k, v)| format!("{k}={v}")));
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }
}
