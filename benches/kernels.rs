//! `cargo bench --bench kernels`: nanoseconds per candidate divisor for each
//! kernel, end-to-end serial times, and this CPU's own cost of one 64-bit
//! division and multiplication and of vector multiplies, for context. Every
//! figure is the median of several samples, each long enough (>= 0.2 s) to
//! dwarf the clock.
//!
//! Every kernel is built as experiment cases build it (`KernelSpec`) and
//! driven through the workloads' own functions: a range case's kernel has a
//! table for the range's last n and is called through `is_prime`; a verify
//! case's kernel has no table and runs `verify::serial`. Before issue 15 the
//! bench timed the big prime with a fast kernel holding a 2^21-divisor table
//! (which no verify case builds) through `is_prime`, whose loop beyond the
//! table ran over an inclusive range; that is why it and the runner
//! disagreed about the same prime (fast 0.84x of plain here, 1.25x there).

use std::hint::black_box;
use std::time::Instant;

use runner::experiment::Kernel;
use runner::primes::fast::divides_on_the_fly;
use runner::primes::{FastTester, NumRange, PrimeTest, SimdPath, SimdTester};
use runner::work::{KernelSpec, WithKernel};
use runner::workload::verify::serial;

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

/// The vector unit's limit, measured like the scalar one: ns per vector
/// multiply instruction with 10 independent chains (throughput), and per
/// lane. `None` where the CPU lacks the instruction set.
fn vector_limits() -> Vec<(String, f64, u32)> {
    let mut rows = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        let ns = |s: f64| s * 1e9 / OPS as f64;
        if std::arch::is_x86_feature_detected!("avx512f") {
            for (name, op, lanes) in [
                ("vpmuludq zmm (32x32->64)", 0, 8),
                ("vpmulld zmm (32-bit low)", 1, 16),
            ] {
                // SAFETY: the CPU has AVX-512F.
                let s = seconds_per_call(|| unsafe { vector::zmm(OPS, op) });
                rows.push((name.to_string(), ns(s), lanes));
            }
            if std::arch::is_x86_feature_detected!("avx512dq") {
                // SAFETY: the CPU has AVX-512DQ.
                let s = seconds_per_call(|| unsafe { vector::zmm(OPS, 2) });
                rows.push(("vpmullq zmm (64-bit low)".to_string(), ns(s), 8));
            }
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            for (name, op, lanes) in [
                ("vpmuludq ymm (32x32->64)", 0, 4),
                ("vpmulld ymm (32-bit low)", 1, 8),
            ] {
                // SAFETY: the CPU has AVX2.
                let s = seconds_per_call(|| unsafe { vector::ymm(OPS, op) });
                rows.push((name.to_string(), ns(s), lanes));
            }
        }
    }
    rows
}

#[cfg(target_arch = "x86_64")]
mod vector {
    //! Vector multiplies in assembly, 10 independent chains, so the compiler
    //! can neither fold nor reorder them: throughput, as for the scalar ones.
    use std::arch::asm;
    use std::arch::x86_64::*;

    macro_rules! chains {
        ($ops:expr, $ins:literal, $reg:ident, $set1:ident, $ty:ty) => {{
            let k: $ty = $set1(std::hint::black_box(0x9e37_79b9));
            let (mut a, mut b, mut c, mut d, mut e): ($ty, $ty, $ty, $ty, $ty) =
                ($set1(1), $set1(2), $set1(3), $set1(4), $set1(5));
            let (mut f, mut g, mut h, mut i, mut j): ($ty, $ty, $ty, $ty, $ty) =
                ($set1(6), $set1(7), $set1(8), $set1(9), $set1(10));
            let mut rounds = $ops / 10;
            // SAFETY: register-only arithmetic; no memory or stack is touched.
            unsafe {
                asm!("2:",
                    concat!($ins, " {a}, {a}, {k}"), concat!($ins, " {b}, {b}, {k}"),
                    concat!($ins, " {c}, {c}, {k}"), concat!($ins, " {d}, {d}, {k}"),
                    concat!($ins, " {e}, {e}, {k}"), concat!($ins, " {f}, {f}, {k}"),
                    concat!($ins, " {g}, {g}, {k}"), concat!($ins, " {h}, {h}, {k}"),
                    concat!($ins, " {i}, {i}, {k}"), concat!($ins, " {j}, {j}, {k}"),
                    "dec {n}", "jnz 2b",
                    a = inout($reg) a, b = inout($reg) b, c = inout($reg) c, d = inout($reg) d,
                    e = inout($reg) e, f = inout($reg) f, g = inout($reg) g, h = inout($reg) h,
                    i = inout($reg) i, j = inout($reg) j, k = in($reg) k,
                    n = inout(reg) rounds, options(nomem, nostack));
            }
            let _ = rounds;
            std::hint::black_box([a, b, c, d, e, f, g, h, i, j]);
            0
        }};
    }

    /// `ops` zmm multiplies: 0 vpmuludq, 1 vpmulld, 2 vpmullq (AVX-512DQ).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn zmm(ops: u64, op: u32) -> u64 {
        match op {
            0 => chains!(ops, "vpmuludq", zmm_reg, _mm512_set1_epi64, __m512i),
            1 => chains!(ops, "vpmulld", zmm_reg, _mm512_set1_epi64, __m512i),
            _ => chains!(ops, "vpmullq", zmm_reg, _mm512_set1_epi64, __m512i),
        }
    }

    /// `ops` ymm multiplies: 0 vpmuludq, 1 vpmulld.
    #[target_feature(enable = "avx2")]
    pub unsafe fn ymm(ops: u64, op: u32) -> u64 {
        match op {
            0 => chains!(ops, "vpmuludq", ymm_reg, _mm256_set1_epi64x, __m256i),
            _ => chains!(ops, "vpmulld", ymm_reg, _mm256_set1_epi64x, __m256i),
        }
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

/// What to time with a kernel built as experiments build it.
#[derive(Clone, Copy)]
enum Work {
    /// `is_prime(n)`, as the primes workload tests each n of a range.
    IsPrime(u64),
    /// The verify workload's serial search of n (`verify::serial`).
    Verify(u64),
    /// Every n of a range, serially, as the primes workload does.
    Range(NumRange),
}

impl WithKernel for Work {
    type Output = f64;
    fn run<K: PrimeTest + Clone + 'static>(self, kernel: K) -> f64 {
        timed(&kernel, self)
    }
}

/// Median seconds of `work` with `kernel`.
fn timed(kernel: &impl PrimeTest, work: Work) -> f64 {
    match work {
        Work::IsPrime(n) => seconds_per_call(|| u64::from(kernel.is_prime(black_box(n)))),
        Work::Verify(n) => seconds_per_call(|| serial(black_box(n), kernel).candidates),
        Work::Range(range) => seconds_per_call(|| {
            (range.start..range.end)
                .filter(|&n| kernel.is_prime(n))
                .count() as u64
        }),
    }
}

/// Seconds of `work` with `kernel` built exactly as an experiment case
/// builds it ([`KernelSpec`]): a range case's kernel has a table for the
/// range's last n, a verify case's kernel none (its candidates reach 3e8).
fn as_experiments(kernel: Kernel, work: Work) -> f64 {
    let max_n = match work {
        Work::IsPrime(n) => n,
        Work::Verify(_) => 0,
        Work::Range(range) => range.last(),
    };
    KernelSpec::new(kernel, max_n).dispatch(work)
}

/// ns per candidate of prime `n`, with `seconds` for all its candidates.
fn per_candidate(seconds: f64, n: u64) -> f64 {
    seconds * 1e9 / candidates(n) as f64
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
    per_candidate(s, n)
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
    let vectors = vector_limits();
    for (what, ns, lanes) in &vectors {
        println!(
            "  {what:<36} {ns:>7.3} ns  ({:.3} ns per lane, {lanes} lanes)",
            ns / *lanes as f64
        );
    }
    let (div, mul) = (limits[0].1, limits[2].1);
    let simd_path = SimdPath::detect();
    println!(
        "  simd kernel path: {simd_path} (best this CPU has{})",
        std::env::var("RUNNER_SIMD")
            .map_or(String::new(), |v| format!(", capped by RUNNER_SIMD={v}"))
    );

    println!("\nns per candidate divisor, n prime (every candidate is tried), kernels built as");
    println!("experiments build them (a table for n, is_prime as a range case calls it):");
    println!(
        "  {:<6} {:>12} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "n", "candidates", "plain", "fast", "simd", "fast table", "fast fly"
    );
    for (name, n) in PRIMES {
        let plain = per_candidate(as_experiments(Kernel::Plain, Work::IsPrime(n)), n);
        let fast = per_candidate(as_experiments(Kernel::Fast, Work::IsPrime(n)), n);
        let simd = per_candidate(as_experiments(Kernel::Simd, Work::IsPrime(n)), n);
        let table = (candidates(n) as usize <= runner::primes::fast::TABLE_MAX_DIVISORS)
            .then(|| per_candidate(timed(&FastTester::new(n), Work::IsPrime(n)), n));
        let fly = on_the_fly_ns_per_candidate(n);
        let table = table.map_or("(too big)".to_string(), |t| format!("{t:.3}"));
        println!(
            "  {name:<6} {:>12} {plain:>9.3} {fast:>9.3} {simd:>9.3} {table:>11} {fly:>9.3}",
            candidates(n)
        );
    }
    println!(
        "  plain = one `%` per candidate; fast = the table up to 2^21 divisors, on the fly\n  \
         beyond; simd = blocks of candidates on the {simd_path} path; fast table / fast fly =\n  \
         fast's two tests alone (one multiply and compare from the table / the inverse\n  \
         computed per candidate)."
    );

    println!("\nThe simd kernel on every path this CPU has (ns per candidate, as above):");
    println!("  {:<6} {:>9} {:>9} {:>9}", "n", "scalar", "avx2", "avx512");
    for (name, n) in PRIMES {
        let cells: Vec<String> = SimdPath::ALL
            .into_iter()
            .map(|p| match p.available() {
                true => format!(
                    "{:.3}",
                    per_candidate(timed(&SimdTester::with_path(n, p), Work::IsPrime(n)), n)
                ),
                false => "-".into(),
            })
            .collect();
        println!(
            "  {name:<6} {:>9} {:>9} {:>9}",
            cells[0], cells[1], cells[2]
        );
    }

    println!("\nEnd to end, serial, seconds, as the runner times them:");
    let mut rows = Vec::new();
    for name in ["B", "C"] {
        let range = NumRange::named(name).unwrap();
        let [plain, fast, simd] = [Kernel::Plain, Kernel::Fast, Kernel::Simd]
            .map(|k| as_experiments(k, Work::Range(range)));
        rows.push((format!("range {name}"), plain, fast, simd));
    }
    let (_, big) = PRIMES[2];
    let [plain, fast, simd] =
        [Kernel::Plain, Kernel::Fast, Kernel::Simd].map(|k| as_experiments(k, Work::Verify(big)));
    rows.push((format!("verify {big}"), plain, fast, simd));
    println!(
        "  {:<28} {:>9} {:>9} {:>9} {:>10} {:>10}",
        "work", "plain", "fast", "simd", "plain/fast", "plain/simd"
    );
    for (what, plain, fast, simd) in &rows {
        println!(
            "  {what:<28} {plain:>9.4} {fast:>9.4} {simd:>9.4} {:>9.2}x {:>9.2}x",
            plain / fast,
            plain / simd
        );
    }
    let (_, plain, fast, simd) = rows[2];
    println!(
        "  the prime: {:.2} ns per candidate plain, {:.2} fast, {:.2} simd",
        per_candidate(plain, big),
        per_candidate(fast, big),
        per_candidate(simd, big)
    );
    // What this bench measured before issue 15, for the record: a fast
    // kernel with a table of 2^21 divisors (which no verify case builds),
    // through `is_prime`, whose loop beyond the table was an inclusive range.
    let old = timed(&FastTester::new(big), Work::IsPrime(big));
    println!(
        "  (the old bench's fast figure, a 2^21-divisor table that verify cases never build: {old:.4} s)"
    );

    let n12 = PRIMES[1].1;
    let plain_1e12 = per_candidate(as_experiments(Kernel::Plain, Work::IsPrime(n12)), n12);
    let fast_1e12 = per_candidate(as_experiments(Kernel::Fast, Work::IsPrime(n12)), n12);
    let simd_1e12 = per_candidate(as_experiments(Kernel::Simd, Work::IsPrime(n12)), n12);
    println!("\nHow close to the machine (n = 1e12):");
    println!(
        "  plain: {:.2}x the cost of one division (throughput)",
        plain_1e12 / div
    );
    println!(
        "  fast: {:.2}x the cost of one multiplication (throughput)",
        fast_1e12 / mul
    );
    for (what, ns, lanes) in &vectors {
        println!(
            "  simd: {:.2}x the cost of one lane of {what}",
            simd_1e12 / (ns / *lanes as f64)
        );
    }
}
