//! Numbers as people read them: seconds in s, ms or µs, bytes in decimal
//! units, long durations in minutes to years. For consoles, pages and
//! messages; the CSV files keep plain numbers.

use crate::stats::LONGEST_S;

/// Seconds in the unit that reads best: s, ms or µs; beyond any plausible
/// run (1e9 s), in exponent form rather than as hundreds of digits.
pub fn human_seconds(s: f64) -> String {
    match s {
        s if s.abs() > LONGEST_S => format!("{s:.3e} s"),
        s if s >= 1.0 => format!("{s:.3} s"),
        s if s >= 1e-3 => format!("{:.3} ms", s * 1e3),
        s => format!("{:.3} µs", s * 1e6),
    }
}

/// Bytes in the decimal unit that reads best: B, kB, MB, GB, TB.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration in the unit that reads best, from microseconds to years:
/// `12.5 ms`, `3.2 minutes`, `14.1 days`, `1.4e11 years`.
pub fn human_duration(seconds: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    const YEAR: f64 = 365.25 * DAY;
    match seconds {
        s if !s.is_finite() => "longer than anything a number can say".into(),
        s if s < MINUTE => human_seconds(s.max(0.0)),
        s if s < HOUR => format!("{:.1} minutes", s / MINUTE),
        s if s < 2.0 * DAY => format!("{:.1} hours", s / HOUR),
        s if s < YEAR => format!("{:.1} days", s / DAY),
        s if s < 1e4 * YEAR => format!("{:.1} years", s / YEAR),
        s => format!("{:.1e} years", s / YEAR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_human_units() {
        assert_eq!(human_duration(0.0123), "12.300 ms");
        assert_eq!(human_duration(42.0), "42.000 s");
        assert_eq!(human_duration(150.0), "2.5 minutes");
        assert_eq!(human_duration(5400.0), "1.5 hours");
        // 14 days used to print as "1219497.750 s"
        assert_eq!(human_duration(1_219_497.75), "14.1 days");
        assert_eq!(human_duration(3.0 * 365.25 * 86_400.0), "3.0 years");
        assert_eq!(human_duration(1e20), "3.2e12 years");
        assert!(human_duration(f64::INFINITY).contains("longer"));
    }
}
