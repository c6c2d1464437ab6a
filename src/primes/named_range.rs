//! Ranges of numbers to search, including the book's named ranges A to E.

use std::fmt;

/// A half-open range `[start, end)` of numbers, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumRange {
    /// First number in the range.
    pub start: u64,
    /// One past the last number.
    pub end: u64,
}

/// The book's named ranges, as `(name, start, end)`.
pub const NAMED_RANGES: [(&str, u64, u64); 5] = [
    ("A", 100_000_000, 100_010_000),
    ("B", 100_000_000, 100_100_000),
    ("C", 100_000_000, 101_000_000),
    ("D", 1_000_000_000, 1_000_100_000),
    ("E", 100_000_000_000, 100_000_100_000),
];

impl NumRange {
    /// How many numbers the range holds.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Always false: a `NumRange` is validated non-empty.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// How many odd numbers the range holds.
    pub fn odd_count(&self) -> u64 {
        self.end / 2 - self.start / 2
    }

    /// The largest number in the range.
    pub fn last(&self) -> u64 {
        self.end - 1
    }

    /// The book's range with this name (`"A"` to `"E"`).
    pub fn named(name: &str) -> Option<NumRange> {
        NAMED_RANGES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, start, end)| NumRange { start, end })
    }

    /// The name of this range if it is one of the book's.
    pub fn name(&self) -> Option<&'static str> {
        NAMED_RANGES
            .iter()
            .find(|&&(_, s, e)| s == self.start && e == self.end)
            .map(|(n, _, _)| *n)
    }

    /// The first `len` numbers of this range (all of it if shorter).
    pub fn prefix(&self, len: u64) -> NumRange {
        NumRange {
            start: self.start,
            end: self.start + len.min(self.len()),
        }
    }
}

impl fmt::Display for NumRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} [{}, {})", self.start, self.end),
            None => write!(f, "[{}, {})", self.start, self.end),
        }
    }
}

/// How reports and filters name a range written as its two CSV cells:
/// "range B" for a book's range, else "[start, end)".
pub fn label(start: &str, end: &str) -> String {
    let named = NAMED_RANGES
        .iter()
        .find(|(_, s, e)| s.to_string() == start && e.to_string() == end);
    match named {
        Some((name, _, _)) => format!("range {name}"),
        None => format!("[{start}, {end})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_count_matches_counting() {
        for start in 0..12u64 {
            for end in start + 1..20 {
                let range = NumRange { start, end };
                let counted = (start..end).filter(|n| n % 2 == 1).count() as u64;
                assert_eq!(range.odd_count(), counted, "[{start}, {end})");
            }
        }
    }
}
