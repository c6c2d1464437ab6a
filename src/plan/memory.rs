//! How much memory a case will need at its peak, and the refusal of a plan
//! whose largest case needs more than the limit, before anything runs.
//!
//! Hardening issue, item 1: a range of 10^10 numbers passed `check` and then
//! died half-way through `run` allocating 80 GB. The model below counts what
//! grows with a case (the job list, a kernel's divisor table, queued items
//! and results, pool tasks, the oracle's base primes, recorded rows). The
//! program's own memory is not counted: a few MB while cases run, about
//! 200 MB at the end while it draws the charts (measured with
//! `/usr/bin/time -f %M` on a 1000-number run). It is an upper bound within
//! a small factor, so a refusal is never a surprise and a case that passes
//! never aborts for lack of memory.
//!
//! The limit is half the machine's physical memory (`MemTotal` in
//! /proc/meminfo), leaving the rest to the system and to other programs;
//! where that file cannot be read, 4 GB.

use std::fmt;
use std::mem::size_of;

use crate::answer::Found;
use crate::answer::KEEP;
use crate::backend::wire::MAX_TASK_NUMBERS;
use crate::experiment::{Capacity, Enqueue, Executor};
use crate::experiment::{Case, Input, Order, Plan, Strategy};
use crate::primes::NumRange;
use crate::primes::oracle::{Method, smallest_factor};
use crate::strategy::order::needs_list;
use crate::units::human_bytes;
use crate::work::{Job, KernelSpec, Reply};

/// The limit where /proc/meminfo cannot be read.
const FALLBACK_LIMIT: u64 = 4_000_000_000;

/// Bytes an item costs in a crossbeam channel: the value and a slot stamp.
const fn queued<T>() -> u64 {
    (size_of::<T>() + size_of::<usize>()) as u64
}

/// Bytes of one recorded row of `samples.csv` or `factors.csv` (a vector of
/// a few short strings) while the case runs.
const ROW_BYTES: u64 = 192;

/// Bytes of one entry of a histogram (a B-tree map of two u64s).
const HISTOGRAM_ENTRY_BYTES: u64 = 64;

/// One thing that takes memory, and what to do when it is too much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What it is, e.g. "job list".
    pub what: &'static str,
    pub bytes: u64,
    /// How to need less, e.g. `use order = "given"`.
    pub remedy: &'static str,
}

/// The peak memory of one case, part by part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Need {
    pub parts: Vec<Part>,
}

impl Need {
    fn add(&mut self, what: &'static str, bytes: u64, remedy: &'static str) {
        if bytes > 0 {
            self.parts.push(Part {
                what,
                bytes,
                remedy,
            });
        }
    }

    /// All parts together (saturating: a sum past u64 is "too much" anyway).
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.bytes))
    }

    /// The largest part.
    pub fn largest(&self) -> Option<&Part> {
        self.parts.iter().max_by_key(|p| p.bytes)
    }
}

impl fmt::Display for Need {
    /// e.g. `80.0 GB (job list 80.0 GB, oracle 2.1 MB)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", human_bytes(self.total()))?;
        let mut parts = self.parts.clone();
        parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
        let list: Vec<String> = parts
            .iter()
            .map(|p| format!("{} {}", p.what, human_bytes(p.bytes)))
            .collect();
        if !list.is_empty() {
            write!(f, " ({})", list.join(", "))?;
        }
        Ok(())
    }
}

/// The most memory a process may plan to use, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// The machine's physical memory, when known.
    pub machine: Option<u64>,
}

impl Limit {
    /// Half of this machine's physical memory (4 GB when unknown).
    pub fn detect() -> Limit {
        let machine = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total(&text));
        Limit {
            bytes: machine.map_or(FALLBACK_LIMIT, |m| m / 2),
            machine,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.machine {
            Some(m) => write!(
                f,
                "{} (half of this machine's {})",
                human_bytes(self.bytes),
                human_bytes(m)
            ),
            None => write!(
                f,
                "{} (this machine's memory is unknown)",
                human_bytes(self.bytes)
            ),
        }
    }
}

/// `MemTotal` from the text of /proc/meminfo, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The peak memory `case` will need.
pub fn case_need(case: &Case) -> Need {
    let mut need = Need::default();
    let smaller_range = "use a smaller range";
    match &case.input {
        Input::Number(_) | Input::Bare => {}
        Input::Range(range) => {
            job_list(&mut need, case, *range);
            kernel_table(&mut need, case, range.last());
            let primes = prime_count_bound(*range);
            let kept = primes.min(KEEP as u64).saturating_mul(8);
            need.add("found primes kept", kept, smaller_range);
            match case.strategy {
                Strategy::Pool => pool_tasks(&mut need, case, *range, primes),
                Strategy::Stealing => {
                    // each thread folds its own tally before they are reduced
                    let threads = case.workers as u64;
                    need.add(
                        "tallies of the threads",
                        kept.saturating_mul(threads),
                        smaller_range,
                    );
                }
                Strategy::Queue | Strategy::Feeder => queues(&mut need, case, *range, primes),
                Strategy::Serial | Strategy::Cooperative => {}
            }
            need.add(
                "oracle",
                Method::for_range(range.start, range.end).bytes(range.end),
                smaller_range,
            );
        }
        Input::Stepped { range, step } => {
            kernel_table(&mut need, case, range.last());
            let samples = range.len().div_ceil(*step);
            need.add(
                "samples",
                samples.saturating_mul(ROW_BYTES),
                "use a larger step or a smaller range",
            );
        }
        Input::Factors(range) => {
            job_list(&mut need, case, *range);
            kernel_table(&mut need, case, range.last());
            if case.strategy == Strategy::Pool {
                pool_tasks(&mut need, case, *range, 0);
            }
            // distinct smallest factors are primes up to sqrt(end); the
            // oracle's, the run's and the recorded rows each hold them
            let distinct = range.len().min(prime_count_bound(NumRange {
                start: 0,
                end: range.end.isqrt().saturating_add(1),
            }));
            let per_factor = 2 * HISTOGRAM_ENTRY_BYTES + ROW_BYTES;
            need.add(
                "histograms",
                distinct.saturating_mul(per_factor),
                smaller_range,
            );
            need.add(
                "oracle's base primes",
                smallest_factor::base_bytes(range.end),
                "use a range that ends lower: the oracle keeps every prime up to the square root of its end",
            );
        }
    }
    need
}

fn job_list(need: &mut Need, case: &Case, range: NumRange) {
    let order = case.order.unwrap_or(Order::Given);
    if needs_list(order) {
        need.add(
            "job list",
            range.len().saturating_mul(8),
            "use order = \"given\" (it reads the range as it goes, holding no list) or a smaller range",
        );
    }
}

fn kernel_table(need: &mut Need, case: &Case, max_n: u64) {
    let spec = KernelSpec::new(case.kernel, max_n);
    let bytes = spec.table_bytes();
    if bytes > 0 {
        need.add("divisor table", bytes, "use kernel = \"plain\"");
    }
}

/// The pool queues every task before it reads the first reply, and each
/// reply holds at most its chunk's primes (up to [`KEEP`]).
fn pool_tasks(need: &mut Need, case: &Case, range: NumRange, primes: u64) {
    let Some(chunks) = case.chunks else { return };
    let tasks = chunks.tasks(range.len());
    let reply = size_of::<Found>() as u64 + 16;
    let per_task = queued::<Job>().saturating_add(reply);
    need.add(
        "pool tasks",
        tasks.saturating_mul(per_task),
        "use a larger chunksize (or \"default\") or a smaller range",
    );
    let replies = primes.min(tasks.saturating_mul(KEEP as u64));
    need.add(
        "pool replies",
        replies.saturating_mul(8),
        "use a smaller range",
    );
}

/// An unbounded work queue may hold every item at once; the result queue
/// holds every prime until the caller reads it, which the `queue` strategy
/// does only once it has enqueued everything (`feeder` reads at once).
fn queues(need: &mut Need, case: &Case, range: NumRange, primes: u64) {
    let plan = case.queue.unwrap_or_default();
    let items = match plan.enqueue {
        Enqueue::All => range.len(),
        Enqueue::Odd => range.odd_count(),
    };
    let held = match plan.capacity {
        Capacity::Unbounded => items,
        Capacity::Bounded(n) => items.min(n as u64),
    };
    need.add(
        "queued numbers",
        held.saturating_mul(queued::<Job>()),
        "use capacity = 1000 (a bounded queue) or a smaller range",
    );
    if case.strategy == Strategy::Queue {
        need.add(
            "queued results",
            primes.saturating_mul(queued::<Reply>()),
            "use strategy = \"feeder\" (its caller reads results while it feeds) or a smaller range",
        );
    }
}

/// An upper bound on the primes of `range`, within a factor of three: the
/// least of pi(end) < 1.26 end / ln end (Rosser and Schoenfeld, 1962),
/// pi(x + y) - pi(x) < 2y / ln y for any interval of y >= 2 numbers
/// (Montgomery and Vaughan, 1973), and the length itself.
pub fn prime_count_bound(range: NumRange) -> u64 {
    let (end, len) = (range.end as f64, range.len() as f64);
    let below_end = if end < 3.0 {
        1.0
    } else {
        1.26 * end / end.ln() + 1.0
    };
    let in_interval = if len < 3.0 {
        len
    } else {
        2.0 * len / len.ln() + 1.0
    };
    (below_end.min(in_interval).ceil() as u64).min(range.len())
}

/// The case of `plan` that needs the most memory, and what it needs.
pub fn largest(plan: &Plan) -> Option<(&Case, Need)> {
    plan.cases
        .iter()
        .map(|case| (case, case_need(case)))
        .max_by_key(|(_, need)| need.total())
}

/// Refuses a plan with a case that needs more than `limit`, saying how much,
/// why, and what to do.
pub fn check_plan(plan: &Plan, limit: Limit) -> Result<(), String> {
    let task_numbers = |case: &Case| {
        let len = case.range().map_or(0, |r| r.len());
        case.chunks.map_or(0, |c| c.size.min(len))
    };
    let too_large = plan.cases.iter().find(|case| {
        case.executor.is_some_and(Executor::out_of_process)
            && task_numbers(case) > MAX_TASK_NUMBERS as u64
    });
    if let Some(case) = too_large {
        return Err(format!(
            "case {} ({}) sends tasks of {} numbers to worker processes, more than a message \
             holds ({}); nothing was run\n  = help: use a smaller chunksize (or \"default\")",
            case.number,
            case.describe(),
            task_numbers(case),
            MAX_TASK_NUMBERS
        ));
    }
    let Some((case, need)) = largest(plan) else {
        return Ok(());
    };
    if need.total() <= limit.bytes {
        return Ok(());
    }
    let remedy = need.largest().map_or("use a smaller range", |p| p.remedy);
    Err(format!(
        "case {} ({}) would need about {need} of memory, more than the limit of {limit}; \
         nothing was run\n  = help: {remedy}",
        case.number,
        case.describe(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{ChunkPlan, Chunking, Kernel, QueuePlan, Schedule};
    use crate::primes::oracle::count_primes;

    fn case(strategy: Strategy, order: Order, range: NumRange) -> Case {
        Case {
            number: 1,
            variant: String::new(),
            strategy,
            executor: None,
            kernel: Kernel::Fast,
            input: Input::Range(range),
            workers: 2,
            chunks: Some(ChunkPlan::new(Chunking::Default, range.len(), 2)),
            order: Some(order),
            seed: None,
            cooperation: None,
            queue: None,
            requires: Vec::new(),
            params: Vec::new(),
        }
    }

    const HUGE: NumRange = NumRange {
        start: 0,
        end: 10_000_000_000,
    };

    const LIMIT: Limit = Limit {
        bytes: 8_000_000_000,
        machine: Some(16_000_000_000),
    };

    fn plan(cases: Vec<Case>) -> Plan {
        Plan {
            cases,
            repeats: 1,
            warmup: 0,
            seed: 0,
            schedule: Schedule::Blocked,
            quick: false,
            trace: false,
        }
    }

    #[test]
    fn a_shuffled_huge_range_needs_its_list_and_is_refused() {
        let need = case_need(&case(Strategy::Pool, Order::Shuffled, HUGE));
        let list = need.largest().unwrap();
        assert_eq!((list.what, list.bytes), ("job list", 80_000_000_000));
        let err = check_plan(
            &plan(vec![case(Strategy::Pool, Order::Shuffled, HUGE)]),
            LIMIT,
        )
        .unwrap_err();
        assert!(
            err.contains("80.0 GB") && err.contains("order = \"given\""),
            "{err}"
        );
        assert!(
            err.contains("8.0 GB (half of this machine's 16.0 GB)"),
            "{err}"
        );
    }

    #[test]
    fn a_given_huge_range_is_bounded() {
        for strategy in [Strategy::Serial, Strategy::Pool, Strategy::Stealing] {
            let need = case_need(&case(strategy, Order::Given, HUGE));
            assert!(need.total() < 100_000_000, "{strategy}: {need}");
            assert!(check_plan(&plan(vec![case(strategy, Order::Given, HUGE)]), LIMIT).is_ok());
        }
    }

    #[test]
    fn unbounded_queues_count_every_item() {
        let mut queue = case(Strategy::Queue, Order::Given, HUGE);
        queue.queue = Some(QueuePlan {
            enqueue: Enqueue::All,
            capacity: Capacity::Unbounded,
            host: None,
        });
        let err = check_plan(&plan(vec![queue.clone()]), LIMIT).unwrap_err();
        assert!(err.contains("capacity = 1000"), "{err}");
        queue.queue = Some(QueuePlan {
            enqueue: Enqueue::All,
            capacity: Capacity::Bounded(1000),
            host: None,
        });
        let err = check_plan(&plan(vec![queue.clone()]), LIMIT).unwrap_err();
        assert!(err.contains("strategy = \"feeder\""), "{err}");
        queue.strategy = Strategy::Feeder;
        assert!(check_plan(&plan(vec![queue]), LIMIT).is_ok());
    }

    #[test]
    fn small_cases_need_little() {
        let b = NumRange::named("B").unwrap();
        let need = case_need(&case(Strategy::Pool, Order::Shuffled, b));
        assert!(need.total() < 2_000_000, "{need}");
        assert!(need.total() >= 800_000, "the list alone is 800 kB: {need}");
    }

    #[test]
    fn the_prime_count_bound_holds_and_is_close() {
        for (start, end) in [
            (0u64, 10),
            (0, 1_000_000),
            (100_000_000, 101_000_000),
            (1 << 40, (1 << 40) + 100_000),
            (u64::MAX - 1000, u64::MAX),
        ] {
            let range = NumRange { start, end };
            let bound = prime_count_bound(range);
            let exact = count_primes(start, end);
            assert!(bound >= exact, "{range}: {bound} < {exact}");
            if exact > 10_000 {
                assert!(bound < exact * 3, "{range}: {bound} vs {exact}");
            }
        }
    }

    #[test]
    fn meminfo_and_units_read_right() {
        assert_eq!(
            mem_total("MemTotal:       24684084 kB\nMemFree: 1 kB\n"),
            Some(24_684_084 * 1024)
        );
        assert_eq!(mem_total("nothing"), None);
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(80_000_000_000), "80.0 GB");
        assert_eq!(human_bytes(u64::MAX), "18446.7 PB");
    }
}
