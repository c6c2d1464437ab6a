//! `cargo bench --bench kernels`: nanoseconds per candidate divisor for each
//! kernel, end-to-end serial times, and this CPU's own cost of one 64-bit
//! division and multiplication for context. Every figure is the median of
//! several samples, each long enough (>= 0.2 s) to dwarf the clock.

use std::hint::black_box;
use std::time::Instant;

use runner::primes::fast::divides_on_the_fly;
use runner::primes::{FastTester, NumRange, PlainTester, PrimeTest};

const SAMPLES: usize = 5;
const MIN_SAMPLE_SECONDS: f64 = 0.2;

/// Median seconds per call of `f`, calling it often enough per sample.
fn seconds_per_call(mut f: impl FnMut() -> u64) -> f64 {
    let started = Instant::now();
    black_box(f());
    let once = started.elapsed().as_secs_f64().max(1e-9);
    let calls = (MIN_SAMPLE_SECONDS / once).ceil().max(1.0) as u64;
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..calls {
                black_box(f());
            }
            started.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[SAMPLES / 2]
}

const OPS: u64 = 1 << 20;

/// The machine's limit: ns per 64-bit op, independent (throughput) and in a
/// dependent chain (latency).
fn machine_limits() -> [(&'static str, f64); 4] {
    let n = black_box(100_109_100_129_162_907u64);
    let div_throughput = seconds_per_call(|| {
        (0..OPS).fold(0u64, |acc, i| acc.wrapping_add(n % (100_000_001 + 2 * i)))
    });
    let div_latency =
        seconds_per_call(|| (0..OPS).fold(1u64, |x, i| (n ^ x) % (100_000_001 + 2 * i)));
    let mul_throughput = seconds_per_call(|| multiplications(OPS, 4));
    let mul_latency = seconds_per_call(|| multiplications(OPS, 1));
    let ns = |s: f64| s * 1e9 / OPS as f64;
    [
        ("64-bit division, throughput", ns(div_throughput)),
        ("64-bit division, latency", ns(div_latency)),
        ("64-bit multiplication, throughput", ns(mul_throughput)),
        ("64-bit multiplication, latency", ns(mul_latency)),
    ]
}

/// `ops` 64-bit multiplications in `chains` independent dependency chains,
/// written in assembly on x86-64 so the compiler cannot fold or vectorise them
/// (one chain: latency; four: throughput).
fn multiplications(ops: u64, chains: u64) -> u64 {
    let k = black_box(0x9e37_79b9_7f4a_7c15u64);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::asm;
        let (mut a, mut b, mut c, mut d) = (1u64, 2u64, 3u64, 4u64);
        let mut rounds = ops / chains;
        // SAFETY: register-only arithmetic; no memory or stack is touched.
        unsafe {
            match chains {
                1 => asm!("2:", "imul {a}, {k}", "dec {n}", "jnz 2b",
                    a = inout(reg) a, k = in(reg) k, n = inout(reg) rounds, options(nomem, nostack)),
                _ => asm!("2:", "imul {a}, {k}", "imul {b}, {k}", "imul {c}, {k}", "imul {d}, {k}",
                    "dec {n}", "jnz 2b",
                    a = inout(reg) a, b = inout(reg) b, c = inout(reg) c, d = inout(reg) d,
                    k = in(reg) k, n = inout(reg) rounds, options(nomem, nostack)),
            }
        }
        let _ = rounds;
        a ^ b ^ c ^ d
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (0..ops / chains).fold(1u64, |x, _| black_box(x).wrapping_mul(k))
    }
}

/// Primes near 1e8, 1e12 and 1e17: their loops run through every candidate.
const PRIMES: [(&str, u64); 3] = [
    ("1e8", 100_000_007),
    ("1e12", 1_000_000_000_039),
    ("1e17", 100_109_100_129_162_907),
];

fn candidates(n: u64) -> u64 {
    (n.isqrt() - 1) / 2
}

/// ns per candidate of `test` checking prime `n` through all its candidates.
fn ns_per_candidate(test: &impl PrimeTest, n: u64) -> f64 {
    let s = seconds_per_call(|| u64::from(test.is_prime(black_box(n))));
    s * 1e9 / candidates(n) as f64
}

fn on_the_fly_ns_per_candidate(n: u64) -> f64 {
    let root = n.isqrt();
    let s = seconds_per_call(|| {
        let n = black_box(n);
        (3..=root)
            .step_by(2)
            .find(|&d| divides_on_the_fly(n, d))
            .unwrap_or(0)
    });
    s * 1e9 / candidates(n) as f64
}

fn serial_seconds(test: &impl PrimeTest, range: NumRange) -> f64 {
    seconds_per_call(|| {
        (range.start..range.end)
            .filter(|&n| test.is_prime(n))
            .count() as u64
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list; there is nothing to test
    }
    println!(
        "runner kernels benchmark (median of {SAMPLES} samples of >= {MIN_SAMPLE_SECONDS} s)\n"
    );
    let limits = machine_limits();
    println!("This CPU:");
    for (what, ns) in limits {
        println!("  {what:<36} {ns:>7.3} ns");
    }
    let (div, mul) = (limits[0].1, limits[2].1);

    println!("\nns per candidate divisor (n prime, so every candidate is tried):");
    println!(
        "  {:<6} {:>12} {:>9} {:>11} {:>11} {:>9}",
        "n", "candidates", "plain", "fast table", "fast fly", "fast"
    );
    for (name, n) in PRIMES {
        let plain = ns_per_candidate(&PlainTester, n);
        let table = (candidates(n) as usize <= runner::primes::fast::TABLE_MAX_DIVISORS)
            .then(|| ns_per_candidate(&FastTester::new(n), n));
        let fly = on_the_fly_ns_per_candidate(n);
        let fast = ns_per_candidate(&FastTester::new(n), n);
        let table = table.map_or("(too big)".to_string(), |t| format!("{t:.3}"));
        println!(
            "  {name:<6} {:>12} {plain:>9.3} {table:>11} {fly:>11.3} {fast:>9.3}",
            candidates(n)
        );
    }
    println!(
        "  plain = one `%` per candidate; fast table = one multiply and compare from a prepared\n  \
         table; fast fly = the inverse computed per candidate; fast = what experiments use\n  \
         (the table up to 2^21 divisors, on the fly beyond)."
    );

    println!("\nEnd to end, serial, seconds:");
    let mut rows = Vec::new();
    for name in ["B", "C"] {
        let range = NumRange::named(name).unwrap();
        rows.push((
            format!("range {name}"),
            serial_seconds(&PlainTester, range),
            serial_seconds(&FastTester::new(range.last()), range),
        ));
    }
    let (_, big) = PRIMES[2];
    let prime = |test: &dyn Fn(u64) -> bool| seconds_per_call(|| u64::from(test(black_box(big))));
    let table = FastTester::new(big);
    rows.push((
        format!("prime {big}"),
        prime(&|n| PlainTester.is_prime(n)),
        prime(&|n| table.is_prime(n)),
    ));
    println!(
        "  {:<28} {:>9} {:>9} {:>7}",
        "work", "plain", "fast", "ratio"
    );
    for (what, plain, fast) in &rows {
        println!(
            "  {what:<28} {plain:>9.4} {fast:>9.4} {:>6.2}x",
            plain / fast
        );
    }
    let per = |s: f64| s * 1e9 / candidates(big) as f64;
    println!(
        "  the prime: {:.2} ns per candidate plain, {:.2} fast",
        per(rows[2].1),
        per(rows[2].2)
    );

    let table_1e12 = ns_per_candidate(&FastTester::new(PRIMES[1].1), PRIMES[1].1);
    let plain_1e12 = ns_per_candidate(&PlainTester, PRIMES[1].1);
    println!("\nHow close to the machine (n = 1e12):");
    println!(
        "  plain: {:.2}x the cost of one division (throughput)",
        plain_1e12 / div
    );
    println!(
        "  fast table: {:.2}x the cost of one multiplication (throughput)",
        table_1e12 / mul
    );
}
