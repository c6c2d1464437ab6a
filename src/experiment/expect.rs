//! `[[expect]]`: a lesson of the book as a relation between cases, checked
//! against every run with the intervals of [`crate::stats`].
//!
//! ```toml
//! [[expect]]
//! lesson = "Fig. 9-4: tasks of one number are at least twice as slow as the default chunks."
//! case = { chunksize = 1 }
//! is = "slower"              # slower | faster | within
//! than = { chunksize = "default" }
//! by_at_least = 2.0          # slower, faster: by this factor at least (default: beyond the noise)
//! # within_percent = 5       # within: the ratio within this many per cent of 1
//! ```
//!
//! A filter may name any parameter that varies across the experiment's
//! cases: runner's, the variant, the numbers, or a command's own.
//!
//! A case matching `case` is paired with each case matching `than` that
//! does the same work and agrees on every parameter (runner's and a
//! command's own) the two filters do not pick differently, nor the variants
//! they pick differently set (filters that pick differently a parameter
//! variants set pick variants differently too) (and both
//! cases have: a serial case has no chunks, and one worker whatever was
//! swept; a default chunk size follows the worker count, so only given
//! sizes must agree). Each pair is judged by the ratio of its median times and the
//! ratio's 95% interval:
//! - slower by k: holds when the interval lies at or above k (above 1 for
//!   plain "slower"), fails when it lies below k, else inconclusive;
//! - faster by k: the same for the inverse ratio;
//! - within p%: holds when the interval lies inside [1 - p, 1 + p], fails
//!   when it lies wholly outside, else inconclusive.
//!
//! The expectation fails if any pair fails, holds if every pair holds, and
//! is inconclusive otherwise (or with one repeat, where there is no noise
//! to judge by).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::case::ChunkRule;
use super::columns::{CaseColumn, CaseRow, Cell};
use super::{ParamName, Strategy};
use crate::primes::named_range;
use crate::stats::Interval;

/// The relation an expectation states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Slower,
    Faster,
    Within,
}

/// One `[[expect]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The book's claim, with its figure.
    pub lesson: String,
    /// The cases the relation is about, by parameter (as the CSV writes
    /// them; `chunksize = "default"` means the default chunks).
    pub case: BTreeMap<String, Vec<String>>,
    pub relation: Relation,
    /// The cases they are measured against.
    pub than: BTreeMap<String, Vec<String>>,
    /// Slower or faster by at least this factor (1: beyond the noise).
    pub factor: f64,
    /// Within this many per cent (for `within`).
    pub percent: f64,
    /// A command workload's own parameters: compared between the two cases
    /// of a pair as runner's are (see [`Expectation::pairs`]).
    pub params: Vec<String>,
}

/// What the data say of an expectation, or of one pair of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    Inconclusive,
    Fails,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fails => "fails",
        }
    }
}

impl Expectation {
    /// The verdict on one pair whose median ratio (case over than) has the
    /// 95% interval `interval` (none with one repeat).
    pub fn judge(&self, interval: Option<Interval>) -> Verdict {
        let Some(i) = interval else {
            return Verdict::Inconclusive;
        };
        let (lo, hi) = match self.relation {
            Relation::Slower | Relation::Within => (i.lo, i.hi),
            // Faster by k: the inverse ratio, than over case.
            Relation::Faster => (1.0 / i.hi, 1.0 / i.lo),
        };
        match self.relation {
            Relation::Slower | Relation::Faster => {
                let k = self.factor;
                // "Slower" alone must be beyond the noise: strictly above 1.
                let above = if k > 1.0 { lo >= k } else { lo > 1.0 };
                if above {
                    Verdict::Holds
                } else if hi < k {
                    Verdict::Fails
                } else {
                    Verdict::Inconclusive
                }
            }
            Relation::Within => {
                let p = self.percent / 100.0;
                if lo >= 1.0 - p && hi <= 1.0 + p {
                    Verdict::Holds
                } else if hi < 1.0 - p || lo > 1.0 + p {
                    Verdict::Fails
                } else {
                    Verdict::Inconclusive
                }
            }
        }
    }

    /// The expected relation in words: "at least 2x slower than".
    pub fn expected(&self) -> String {
        match self.relation {
            Relation::Slower | Relation::Faster => {
                let way = match self.relation {
                    Relation::Slower => "slower",
                    _ => "faster",
                };
                match self.factor > 1.0 {
                    true => format!("at least {}x {way} than", trim(self.factor)),
                    false => format!("{way} (beyond the noise) than"),
                }
            }
            Relation::Within => format!("within {}% of", trim(self.percent)),
        }
    }
}

/// The columns compared between the two cases of a pair, unless a filter
/// names them (or a named variant sets them): every column of the case's
/// work and of how it ran, but the chunks' columns (see [`CHUNKS`]) and
/// those that only name or count (the experiment, the case's number, the
/// number's name, the tasks, the seed).
fn paired_on(column: CaseColumn) -> bool {
    !matches!(
        column,
        CaseColumn::Experiment
            | CaseColumn::Case
            | CaseColumn::NumberName
            | CaseColumn::Tasks
            | CaseColumn::Seed
    )
}

/// The columns that size chunks: picking one differently frees them all.
const CHUNKS: [CaseColumn; 3] = [
    CaseColumn::Chunksize,
    CaseColumn::ChunkRule,
    CaseColumn::NbrChunks,
];

impl Expectation {
    /// The pairs of rows (case, than) this expectation compares.
    /// `variant_sets` gives, per variant label, the parameters it sets.
    pub fn pairs<'r, R: CaseRow>(
        &self,
        rows: &'r [R],
        variant_sets: &BTreeMap<String, Vec<String>>,
    ) -> Vec<(&'r R, &'r R)> {
        let cases: Vec<&R> = rows.iter().filter(|r| picks(*r, &self.case)).collect();
        let thans: Vec<&R> = rows.iter().filter(|r| picks(*r, &self.than)).collect();
        // A parameter the two filters pick differently is what the lesson
        // compares; one they pick alike (or do not name) must match.
        let differs = |key: &str| self.case.get(key) != self.than.get(key);
        // Filters that pick differently a parameter the variants set compare
        // variants, as if they named them (`times` of a command, set by its
        // variants "fast" and "slow", issue 20 item 17).
        let set_by_some_variant = |key: &str| {
            variant_sets
                .values()
                .any(|set| set.iter().any(|p| p == key))
        };
        let variants_differ = differs(CaseColumn::Variant.as_str())
            || self
                .case
                .keys()
                .chain(self.than.keys())
                .any(|key| differs(key) && set_by_some_variant(key));
        let range = ParamName::Range.as_str();
        let freed = |column: &str| match CaseColumn::from_name(column) {
            Some(CaseColumn::RangeStart | CaseColumn::RangeEnd) => differs(range),
            Some(CaseColumn::Variant) => variants_differ,
            Some(c) if CHUNKS.contains(&c) => CHUNKS.iter().any(|c| differs(c.as_str())),
            _ => differs(column),
        };
        let set_by_variant = |row: &R, column: &str| {
            variants_differ
                && variant_sets
                    .get(&row.columns().variant)
                    .is_some_and(|set| set.iter().any(|p| p == column))
        };
        let given = |row: &R| row.columns().chunk_rule == Some(ChunkRule::Given);
        let serial = |row: &R| row.columns().strategy == Strategy::Serial;
        let mut compared: Vec<&str> = CaseColumn::ALL
            .iter()
            .filter(|&&c| paired_on(c))
            .map(|c| c.as_str())
            .collect();
        compared.extend(self.params.iter().map(String::as_str));
        let mut pairs = Vec::new();
        for a in &cases {
            for b in &thans {
                if std::ptr::eq(*a, *b) {
                    continue;
                }
                let same = compared.iter().all(|&column| {
                    let (x, y) = (a.cell(column), b.cell(column));
                    // Chunk sizes compare only where both were given as a
                    // size: a default size follows the worker count.
                    let chunksize = column == CaseColumn::Chunksize.as_str();
                    let sized_alike = !chunksize || (given(a) && given(b));
                    // A serial case has one worker whatever was swept.
                    let workers = column == CaseColumn::Workers.as_str();
                    freed(column)
                        || (workers && (serial(a) || serial(b)))
                        || set_by_variant(a, column)
                        || set_by_variant(b, column)
                        || x.is_empty()
                        || y.is_empty()
                        || !sized_alike
                        || x == y
                });
                if same {
                    pairs.push((*a, *b));
                }
            }
        }
        pairs
    }
}

/// Whether `row` passes `filter`, whose values are as charts name them:
/// "default" chunks are those of the default rule, a number is its name,
/// a range its label ("range C").
fn picks<R: CaseRow>(row: &R, filter: &BTreeMap<String, Vec<String>>) -> bool {
    let c = row.columns();
    filter.iter().all(|(key, allowed)| {
        let chunksize = ParamName::from_key(key) == Some(ParamName::Chunksize);
        let default = chunksize
            && allowed.iter().any(|a| a == "default")
            && c.chunk_rule == Some(ChunkRule::Default);
        let seen = match ParamName::from_key(key) {
            Some(ParamName::Range) => {
                named_range::label(&c.range_start.text(), &c.range_end.text())
            }
            _ if key == "number" => c.number_name.text(),
            _ => row.cell(key),
        };
        default || allowed.contains(&seen)
    })
}

/// The verdict over every pair: fails if any fails, holds if all hold.
pub fn overall(pairs: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
    pairs.into_iter().max()
}

fn trim(x: f64) -> String {
    match x.fract() == 0.0 {
        true => format!("{x:.0}"),
        false => format!("{x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(relation: Relation, factor: f64, percent: f64) -> Expectation {
        Expectation {
            lesson: String::new(),
            case: BTreeMap::new(),
            relation,
            than: BTreeMap::new(),
            factor,
            percent,
            params: Vec::new(),
        }
    }

    fn i(lo: f64, hi: f64) -> Option<Interval> {
        Some(Interval { lo, hi })
    }

    #[test]
    fn slower_by_a_factor_holds_fails_or_is_inconclusive_at_the_threshold() {
        let e = expect(Relation::Slower, 2.0, 0.0);
        assert_eq!(e.judge(i(2.1, 2.4)), Verdict::Holds);
        assert_eq!(e.judge(i(2.0, 2.4)), Verdict::Holds, "at the threshold");
        assert_eq!(e.judge(i(1.9, 2.1)), Verdict::Inconclusive, "straddles it");
        assert_eq!(e.judge(i(1.5, 1.9)), Verdict::Fails);
        assert_eq!(e.judge(None), Verdict::Inconclusive, "one repeat");
        let plain = expect(Relation::Slower, 1.0, 0.0);
        assert_eq!(plain.judge(i(1.01, 1.2)), Verdict::Holds);
        assert_eq!(plain.judge(i(0.98, 1.2)), Verdict::Inconclusive);
        assert_eq!(plain.judge(i(0.8, 0.95)), Verdict::Fails);
    }

    #[test]
    fn faster_reads_the_inverse_ratio() {
        let e = expect(Relation::Faster, 2.0, 0.0);
        // case takes 0.4-0.45 of than's time: 2.2x to 2.5x faster.
        assert_eq!(e.judge(i(0.4, 0.45)), Verdict::Holds);
        assert_eq!(e.judge(i(0.45, 0.55)), Verdict::Inconclusive);
        assert_eq!(e.judge(i(0.6, 0.7)), Verdict::Fails);
    }

    #[test]
    fn within_a_percentage() {
        let e = expect(Relation::Within, 1.0, 5.0);
        assert_eq!(e.judge(i(0.97, 1.04)), Verdict::Holds);
        assert_eq!(e.judge(i(0.93, 1.02)), Verdict::Inconclusive);
        assert_eq!(e.judge(i(1.06, 1.2)), Verdict::Fails);
        assert_eq!(
            overall([Verdict::Holds, Verdict::Inconclusive]),
            Some(Verdict::Inconclusive)
        );
        assert_eq!(
            overall([Verdict::Holds, Verdict::Fails]),
            Some(Verdict::Fails)
        );
        assert_eq!(overall([]), None);
    }
}
