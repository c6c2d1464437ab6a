//! What a command's program says: its stdout scanned line by line for the
//! last `runner-time:` and `runner-answer:` lines as it streams, the tail of
//! its stderr, and what those lines mean: a time runner can compare, and an
//! answer the oracle checks.

use crate::answer::{Answer, check_verdict};
use crate::experiment::command::MAX_SECONDS;

/// The line prefix of the program's own time, in seconds.
pub const TIME_LINE: &str = "runner-time:";
/// The line prefix of the program's answer.
pub const ANSWER_LINE: &str = "runner-answer:";
/// The most of one stdout line kept while it streams: a `runner-*` line is
/// short, and a longer one is refused, so no line is ever held whole.
const LINE_KEPT: usize = 4096;
/// The characters of stderr's tail a failure shows (after escaping).
const STDERR_TAIL: usize = 2_000;
/// The bytes of stderr kept while it streams: enough for the tail shown.
const STDERR_KEPT: usize = 4 * STDERR_TAIL;
/// The shortest program time runner can tell from nothing: `results.csv`
/// writes seconds with 9 decimals, so anything at or below 1 ns is lost.
const CLOCK_RESOLUTION_S: f64 = 1e-9;

/// The value of a `runner-*` line: the text after its prefix, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// The line was longer than runner keeps ([`LINE_KEPT`] bytes).
    pub cut: bool,
}

/// What a run's stdout said: the last line of each kind counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub time: Option<Line>,
    pub answer: Option<Line>,
}

/// Scans stdout line by line as it streams, keeping only the start of the
/// current line and the last `runner-*` line of each kind.
#[derive(Debug, Default)]
pub(super) struct LineScanner {
    current: Vec<u8>,
    cut: bool,
    said: Said,
}

impl LineScanner {
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (piece, false),
            };
            let room = LINE_KEPT - self.current.len();
            self.cut |= body.len() > room;
            self.current
                .extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                self.end_line();
            }
        }
    }

    fn end_line(&mut self) {
        let text = String::from_utf8_lossy(&self.current);
        let line = text.trim_start();
        for (prefix, slot) in [
            (TIME_LINE, &mut self.said.time),
            (ANSWER_LINE, &mut self.said.answer),
        ] {
            if let Some(value) = line.strip_prefix(prefix) {
                *slot = Some(Line {
                    text: value.trim().to_string(),
                    cut: self.cut,
                });
            }
        }
        self.current.clear();
        self.cut = false;
    }

    /// The last lines, counting a final line without a line break.
    pub(super) fn finish(mut self) -> Said {
        if !self.current.is_empty() {
            self.end_line();
        }
        self.said
    }
}

/// The last bytes of a stream, and whether earlier ones were dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail {
    bytes: Vec<u8>,
    dropped: bool,
}

impl Tail {
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > 2 * STDERR_KEPT {
            self.bytes.drain(..self.bytes.len() - STDERR_KEPT);
            self.dropped = true;
        }
    }

    /// ": its stderr ended with: ..." or "; its stderr was empty": at most
    /// [`STDERR_TAIL`] characters, measured after control characters are
    /// escaped (so a binary tail stays short), saying when it was cut.
    pub(super) fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        let trimmed = text.trim_end();
        if trimmed.is_empty() {
            return match self.dropped {
                false => "; its stderr was empty".into(),
                true => "; its stderr ended with blank space".into(),
            };
        }
        let mut shown: Vec<String> = Vec::new();
        let mut count = 0;
        let mut cut = self.dropped;
        for c in trimmed.chars().rev() {
            let piece = match c {
                '\n' | '\t' => c.to_string(),
                c if c.is_control() => c.escape_default().to_string(),
                c => c.to_string(),
            };
            let n = piece.chars().count();
            if count + n > STDERR_TAIL {
                cut = true;
                break;
            }
            count += n;
            shown.push(piece);
        }
        shown.reverse();
        let shown = shown.concat();
        match cut {
            true => format!(
                "; its stderr ended with (cut to its last {count} characters, control characters escaped):\n...{shown}"
            ),
            false => format!("; its stderr ended with:\n{shown}"),
        }
    }
}

/// The program's own seconds, from its last `runner-time:` line: a time
/// at or below the clock's resolution, negative (`-0` too), not a number
/// or beyond [`MAX_SECONDS`] is refused, since it cannot be compared.
pub fn program_time(line: Option<&Line>) -> Result<Option<f64>, String> {
    let Some(line) = line else {
        return Ok(None);
    };
    if line.cut {
        return Err(format!(
            "the program's `{TIME_LINE}` line is longer than {LINE_KEPT} bytes, not a number of seconds"
        ));
    }
    let printed = format!("the program printed `{TIME_LINE} {}`", shorten(&line.text));
    let seconds = match line.text.parse::<f64>() {
        Ok(s) if !s.is_nan() => s,
        _ => {
            return Err(format!(
                "the program's `{TIME_LINE}` line says {:?}, not a number of seconds",
                shorten(&line.text)
            ));
        }
    };
    if seconds.is_sign_negative() {
        return Err(format!(
            "{printed}: a time cannot be negative (nor -0); print the seconds its measured section took"
        ));
    }
    if seconds <= CLOCK_RESOLUTION_S {
        return Err(format!(
            "{printed}: that is at or below the clock's resolution (1 ns), so nothing was measured and no ratio can be drawn; print more digits (e.g. `%.9f`), time a longer section, or let runner time it with `clock = \"wall\"`"
        ));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{printed}: more than {MAX_SECONDS:.0} s ({:.1} days), longer than any run may take; print seconds (not milliseconds or nanoseconds)",
            MAX_SECONDS / 86_400.0
        ));
    }
    Ok(Some(seconds))
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// What the oracle expects of a case, computed once before its repeats.
#[derive(Debug, Clone)]
pub enum Expected {
    Unchecked,
    Primes(Answer),
    Verdict { n: u64, prime: bool },
    Factors(Answer),
}

impl Expected {
    /// Checks the program's `runner-answer:` line; `Ok(None)` if unchecked.
    pub fn check(&self, line: Option<&Line>) -> Result<Option<Answer>, String> {
        if let Expected::Unchecked = self {
            return Ok(None);
        }
        let line = line.ok_or_else(|| {
            format!("the program printed no `{ANSWER_LINE}` line, so its answer cannot be checked")
        })?;
        if line.cut {
            return Err(format!(
                "the program's `{ANSWER_LINE}` line is longer than {LINE_KEPT} bytes, not an answer"
            ));
        }
        let line = line.text.as_str();
        let garbage = |what: &str| {
            format!(
                "the program's `{ANSWER_LINE}` line says {:?}, not {what}",
                shorten(line)
            )
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match self {
            Expected::Unchecked => Ok(None),
            Expected::Primes(expected) => {
                let want = "a count of primes and an optional checksum";
                let (count, checksum) =
                    count_and_checksum(&words, 1).ok_or_else(|| garbage(want))?;
                let Answer::Primes {
                    count: oracle_count,
                    checksum: oracle_sum,
                } = *expected
                else {
                    unreachable!("a primes expectation holds a primes answer")
                };
                if count[0] != oracle_count {
                    return Err(format!(
                        "wrong answer: the program found {} primes, the oracle {oracle_count}",
                        count[0]
                    ));
                }
                if checksum.is_some_and(|c| c != oracle_sum) {
                    return Err(format!(
                        "wrong answer: {oracle_count} primes, but the checksum {} is not the oracle's {oracle_sum:016x}",
                        words[1]
                    ));
                }
                Ok(Some(*expected))
            }
            Expected::Factors(expected) => {
                let want = "a count of distinct factors, of non-primes and an optional checksum";
                let (counts, checksum) =
                    count_and_checksum(&words, 2).ok_or_else(|| garbage(want))?;
                let Answer::Factors {
                    distinct,
                    total,
                    checksum: oracle_sum,
                } = *expected
                else {
                    unreachable!("a factors expectation holds a factors answer")
                };
                if counts != [distinct, total] || checksum.is_some_and(|c| c != oracle_sum) {
                    return Err(format!(
                        "wrong answer: the program says {:?}; the oracle counts {distinct} distinct smallest factors of {total} non-primes (checksum {oracle_sum:016x})",
                        shorten(line)
                    ));
                }
                Ok(Some(*expected))
            }
            Expected::Verdict { n, prime } => {
                let (said_prime, factor) = match &words[..] {
                    ["prime"] => (true, None),
                    ["not", "prime"] | ["composite"] => (false, None),
                    ["not", "prime", f] | ["composite", f] => {
                        let f = f.parse::<u64>().map_err(|_| garbage("a verdict"))?;
                        (false, Some(f))
                    }
                    _ => return Err(garbage("\"prime\" or \"not prime [FACTOR]\"")),
                };
                check_verdict(*n, said_prime, factor, *prime).map(Some)
            }
        }
    }
}

/// `counts` decimal counts, then an optional 16-digit hex checksum.
fn count_and_checksum(words: &[&str], counts: usize) -> Option<(Vec<u64>, Option<u64>)> {
    if words.len() != counts && words.len() != counts + 1 {
        return None;
    }
    let numbers = words[..counts]
        .iter()
        .map(|w| w.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()?;
    let checksum = match words.get(counts) {
        Some(hex) => Some(u64::from_str_radix(hex, 16).ok()?),
        None => None,
    };
    Some((numbers, checksum))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            text: text.into(),
            cut: false,
        }
    }

    /// Issue 20 item 8: lines are scanned as they stream, split anywhere;
    /// the last of each kind counts, and a huge line is never kept whole.
    #[test]
    fn stdout_is_scanned_line_by_line_in_bounded_memory() {
        let mut scanner = LineScanner::default();
        let text = "runner-answer: 3\nchatter\n  runner-time: 0.5\r\nrunner-answer: 25 \n";
        for byte in text.as_bytes() {
            scanner.feed(std::slice::from_ref(byte));
        }
        // A line of 10 MB, in 64 KiB reads: only its start is kept.
        let big = vec![b'x'; 64 << 10];
        for _ in 0..160 {
            scanner.feed(&big);
            assert!(scanner.current.len() <= LINE_KEPT);
        }
        scanner.feed(b"\nrunner-time: 0.25");
        let said = scanner.finish();
        assert_eq!(said.answer, Some(line("25")));
        assert_eq!(said.time, Some(line("0.25")));
        // A runner line too long to keep is marked, not trusted.
        let mut scanner = LineScanner::default();
        scanner.feed(b"runner-answer: 25");
        scanner.feed(&vec![b' '; 2 * LINE_KEPT]);
        scanner.feed(b"garbage\n");
        let said = scanner.finish();
        let answer = said.answer.expect("the line is seen");
        assert!(answer.cut);
        let expected = Expected::Primes(Answer::Primes {
            count: 25,
            checksum: 0,
        });
        let refused = expected.check(Some(&answer)).unwrap_err();
        assert!(refused.contains("longer than 4096 bytes"), "{refused}");
    }

    /// Issue 20 item 7 and audit finding 16: a time that cannot be
    /// compared is refused, naming the line printed and what to do.
    #[test]
    fn program_times_beyond_measure_are_refused() {
        assert_eq!(program_time(None), Ok(None));
        assert_eq!(program_time(Some(&line("0.125"))), Ok(Some(0.125)));
        assert_eq!(program_time(Some(&line("2e-9"))), Ok(Some(2e-9)));
        assert_eq!(program_time(Some(&line("1e6"))), Ok(Some(1e6)));
        for (text, says) in [
            ("0", "at or below the clock's resolution"),
            ("0.0000000004", "at or below the clock's resolution"),
            ("1e-9", "at or below the clock's resolution"),
            ("1e-300", "at or below the clock's resolution"),
            ("-0", "cannot be negative"),
            ("-1.5", "cannot be negative"),
            ("1e300", "more than 1000000 s"),
            ("inf", "more than 1000000 s"),
            ("NaN", "not a number of seconds"),
            ("soon", "not a number of seconds"),
        ] {
            let error = program_time(Some(&line(text))).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
            if !says.starts_with("not a number") {
                let printed = format!("printed `runner-time: {text}`");
                assert!(error.contains(&printed), "{text}: {error}");
            }
        }
    }

    /// Issue 20 item 17: a binary stderr tail is capped by the characters
    /// shown after escaping, and says it was cut.
    #[test]
    fn a_binary_stderr_tail_is_capped_as_shown() {
        let mut tail = Tail::default();
        tail.feed(&[0u8; 3000]);
        let said = tail.describe();
        assert!(said.contains("cut to its last 2000 characters"), "{said}");
        assert!(said.chars().count() < STDERR_TAIL + 150, "{}", said.len());
        assert!(said.ends_with("\\u{0}"), "{said}");
        let mut tail = Tail::default();
        tail.feed(b"disk on fire\n");
        assert_eq!(tail.describe(), "; its stderr ended with:\ndisk on fire");
        // Far more than is kept: still bounded, still says so.
        let mut tail = Tail::default();
        for _ in 0..1000 {
            tail.feed(&[b'y'; 1000]);
        }
        assert!(tail.bytes.len() <= 2 * STDERR_KEPT);
        assert!(tail.describe().contains("cut to its last 2000 characters"));
        assert_eq!(Tail::default().describe(), "; its stderr was empty");
    }
}
