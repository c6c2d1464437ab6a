//! `cargo bench --bench kernels`: nanoseconds per candidate divisor for each
//! kernel, end-to-end serial times, and this CPU's own cost of one 64-bit
//! division and multiplication and of vector multiplies, for context. Every
//! figure is the median of several samples, each long enough (>= 0.2 s) to
//! dwarf the clock. The clock is this thread's CPU time, not the wall clock:
//! on a machine shared with other work a preemption would otherwise land in
//! a sample (on a quiet machine the two agree for these single-threaded
//! loops). The load average is printed with the figures.
//!
//! Every kernel is built as experiment cases build it (`KernelSpec`) and
//! driven through the workloads' own functions: a range case's kernel has a
//! table for the range's last n and is called through `is_prime`; a verify
//! case's kernel has no table and runs `verify::serial`. Before issue 15 the
//! bench timed the big prime with a fast kernel holding a 2^21-divisor table
//! (which no verify case builds) through `is_prime`, whose loop beyond the
//! table ran over an inclusive range; that is why it and the runner
//! disagreed about the same prime (fast 0.84x of plain here, 1.25x there).
//!
//! The simd kernel is also run on every path and wide test this CPU has
//! (issue 23), and end to end on AVX2 as the calibration tunes it for AVX2,
//! so one run on an AVX-512 machine shows what an AVX2-only CPU would take
//! (`RUNNER_SIMD=avx2` caps the whole run instead). The last section bounds
//! range C from below by the vector multiplier's throughput.

use std::hint::black_box;

use runner::experiment::Kernel;
use runner::primes::fast::divides_on_the_fly;
use runner::primes::simd::{SimdPlan, WideTest};
use runner::primes::{FastTester, NumRange, PrimeTest, SimdPath, SimdTester};
use runner::work::calibrate::calibrated_plan;
use runner::work::{KernelSpec, Tuning, WithKernel};
use runner::workload::verify::serial;

const SAMPLES: usize = 5;
const MIN_SAMPLE_SECONDS: f64 = 0.2;

/// This thread's CPU time, in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(status, 0, "this system has no thread CPU clock");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Median seconds per call of `f`, calling it often enough per sample.
fn seconds_per_call(mut f: impl FnMut() -> u64) -> f64 {
    let started = cpu_seconds();
    black_box(f());
    let once = (cpu_seconds() - started).max(1e-9);
    let calls = (MIN_SAMPLE_SECONDS / once).ceil().max(1.0) as u64;
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let started = cpu_seconds();
            for _ in 0..calls {
                black_box(f());
            }
            (cpu_seconds() - started) / calls as f64
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
/// instruction with 10 independent chains (throughput), and per lane; only
/// the instructions this CPU has. The multiplies the simd kernel's tests
/// use: `vpmulld` (n < 2^32), `vpmadd52luq` (IFMA), `vfmadd231pd` (the
/// doubles; `vmulpd` and the rounding cost as much or less), `vpmuludq`
/// (the halves) and, for comparison, `vpmullq`.
fn vector_limits() -> Vec<(String, f64, u32)> {
    let mut rows = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        let ns = |s: f64| s * 1e9 / OPS as f64;
        let has = |feature: &str| match feature {
            "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
            "avx512dq" => std::arch::is_x86_feature_detected!("avx512dq"),
            "avx512ifma" => std::arch::is_x86_feature_detected!("avx512ifma"),
            "avx2" => std::arch::is_x86_feature_detected!("avx2"),
            "fma" => std::arch::is_x86_feature_detected!("fma"),
            _ => false,
        };
        let zmm = [
            ("vpmuludq zmm (32x32->64)", 0, 8, "avx512f"),
            ("vpmulld zmm (32-bit low)", 1, 16, "avx512f"),
            ("vpmullq zmm (64-bit low)", 2, 8, "avx512dq"),
            ("vpmadd52luq zmm (52-bit, IFMA)", 3, 8, "avx512ifma"),
            ("vfmadd231pd zmm (doubles)", 4, 8, "avx512f"),
        ];
        for (name, op, lanes, feature) in zmm {
            if has("avx512f") && has(feature) {
                // SAFETY: the CPU has AVX-512F and the instruction's feature.
                let s = seconds_per_call(|| unsafe { vector::zmm(OPS, op) });
                rows.push((name.to_string(), ns(s), lanes));
            }
        }
        let ymm = [
            ("vpmuludq ymm (32x32->64)", 0, 4, "avx2"),
            ("vpmulld ymm (32-bit low)", 1, 8, "avx2"),
            ("vfmadd231pd ymm (doubles)", 2, 4, "fma"),
        ];
        for (name, op, lanes, feature) in ymm {
            if has("avx2") && has(feature) {
                // SAFETY: the CPU has AVX2 and the instruction's feature.
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

    /// Multiplies by an odd 32-bit number; doubles by 1.0 (`a += a * 1.0`
    /// overflows to infinity, which costs nothing extra, where a denormal
    /// factor would cost a microcode assist per instruction).
    const INTEGER: i64 = 0x9e37_79b9;
    const ONE: i64 = 0x3FF0_0000_0000_0000;

    macro_rules! chains {
        ($ops:expr, $ins:literal, $reg:ident, $set1:ident, $ty:ty) => {
            chains!($ops, $ins, $reg, $set1, $ty, INTEGER)
        };
        ($ops:expr, $ins:literal, $reg:ident, $set1:ident, $ty:ty, $k:expr) => {{
            let k: $ty = $set1(std::hint::black_box($k));
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

    /// `ops` zmm multiplies: 0 vpmuludq, 1 vpmulld, 2 vpmullq (AVX-512DQ),
    /// 3 vpmadd52luq (AVX-512 IFMA), 4 vfmadd231pd.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn zmm(ops: u64, op: u32) -> u64 {
        match op {
            0 => chains!(ops, "vpmuludq", zmm_reg, _mm512_set1_epi64, __m512i),
            1 => chains!(ops, "vpmulld", zmm_reg, _mm512_set1_epi64, __m512i),
            2 => chains!(ops, "vpmullq", zmm_reg, _mm512_set1_epi64, __m512i),
            3 => chains!(ops, "vpmadd52luq", zmm_reg, _mm512_set1_epi64, __m512i),
            _ => chains!(ops, "vfmadd231pd", zmm_reg, _mm512_set1_epi64, __m512i, ONE),
        }
    }

    /// `ops` ymm multiplies: 0 vpmuludq, 1 vpmulld, 2 vfmadd231pd (FMA).
    #[target_feature(enable = "avx2")]
    pub unsafe fn ymm(ops: u64, op: u32) -> u64 {
        match op {
            0 => chains!(ops, "vpmuludq", ymm_reg, _mm256_set1_epi64x, __m256i),
            1 => chains!(ops, "vpmulld", ymm_reg, _mm256_set1_epi64x, __m256i),
            _ => chains!(
                ops,
                "vfmadd231pd",
                ymm_reg,
                _mm256_set1_epi64x,
                __m256i,
                ONE
            ),
        }
    }
}

/// Primes near 1e8 (range C's n), 1e11 (range E's), 1e12, 2^52 (the
/// largest the wide tests take) and 1e17: their loops run through every
/// candidate.
const PRIMES: [(&str, u64); 5] = [
    ("1e8", 100_000_007),
    ("1e11", 100_000_000_003),
    ("1e12", 1_000_000_000_039),
    ("2^52-47", (1 << 52) - 47),
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

/// The load average, as `uptime` prints it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Every plan with every stage vectorised that this CPU runs, one per path
/// and wide test, the scalar path first.
fn plans() -> Vec<SimdPlan> {
    SimdPath::ALL
        .into_iter()
        .filter(|p| p.available())
        .flat_map(|path| {
            WideTest::ALL
                .into_iter()
                .filter(move |w| {
                    w.available_on(path) && (*w != WideTest::Scalar || path == SimdPath::Scalar)
                })
                .map(move |wide| SimdPlan {
                    wide,
                    ..SimdPlan::all(path)
                })
        })
        .collect()
}

/// Range C's work for the simd kernel: the odd numbers, and the blocks of
/// 16 candidates the book's loop needs at least (each n's candidates up to
/// its smallest divisor, or all of them), found with the kernel itself.
fn range_c_blocks(tester: &SimdTester) -> (u64, u64) {
    let range = NumRange::named("C").expect("range C");
    let odd = (range.start..range.end).filter(|n| n % 2 == 1);
    let blocks = odd
        .clone()
        .map(|n| {
            let hi = n.isqrt() + 1;
            let tried = match tester.factor_in(n, 3, hi) {
                Some(d) => (d - 1) / 2,
                None => (hi - 2) / 2,
            };
            tried.div_ceil(16).max(1)
        })
        .sum();
    (odd.count() as u64, blocks)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list; there is nothing to test
    }
    println!(
        "runner kernels benchmark (median of {SAMPLES} samples of >= {MIN_SAMPLE_SECONDS} s of this \
         thread's CPU time; load average {})\n",
        load_average()
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
    let tuning = Tuning::calibrated();
    let simd_path = SimdPath::detect();
    println!(
        "  simd kernel path: {simd_path} (best this CPU has{}), calibrated: {}",
        std::env::var("RUNNER_SIMD")
            .map_or(String::new(), |v| format!(", capped by RUNNER_SIMD={v}")),
        tuning.simd
    );
    // The paths below the detected one, each as the calibration tunes it.
    let below: Vec<SimdPlan> = [SimdPath::Avx2]
        .into_iter()
        .filter(|p| *p < simd_path && p.available())
        .map(|p| calibrated_plan(p, tuning.fast_beyond))
        .collect();
    for plan in &below {
        println!("  calibrated for {}: {plan}", plan.path);
    }

    println!("\nns per candidate divisor, n prime (every candidate is tried), kernels built as");
    println!("experiments build them (a table for n, is_prime as a range case calls it):");
    println!(
        "  {:<8} {:>12} {:>9} {:>9} {:>9} {:>11} {:>9}",
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
            "  {name:<8} {:>12} {plain:>9.3} {fast:>9.3} {simd:>9.3} {table:>11} {fly:>9.3}",
            candidates(n)
        );
    }
    println!(
        "  plain = one `%` per candidate; fast = the table up to 2^21 divisors, on the fly\n  \
         beyond; simd = blocks of candidates as calibrated ({}); fast table / fast fly =\n  \
         fast's two tests alone (one multiply and compare from the table / the inverse\n  \
         computed per candidate).",
        tuning.simd
    );

    let plans = plans();
    println!(
        "\nThe simd kernel on every path and wide test this CPU has, every stage vectorised\n\
         (ns per candidate, as above; the wide test runs for 2^32 <= n < 2^52 only):"
    );
    print!("  {:<8}", "n");
    for plan in &plans {
        print!(" {:>13}", plan.to_string());
    }
    println!();
    for (name, n) in PRIMES {
        print!("  {name:<8}");
        for plan in &plans {
            let tester = SimdTester::with_plan(n, *plan, tuning.fast_beyond);
            print!(
                " {:>13.3}",
                per_candidate(timed(&tester, Work::IsPrime(n)), n)
            );
        }
        println!();
    }

    println!("\nEnd to end, serial, seconds, as the runner times them (simd: as calibrated):");
    let mut header = format!(
        "  {:<28} {:>9} {:>9} {:>9}",
        "work", "plain", "fast", "simd"
    );
    for plan in &below {
        header += &format!(" {:>9}", format!("simd {}", plan.path));
    }
    println!(
        "{header} {:>10} {:>10}{}",
        "plain/simd",
        "fast/simd",
        below
            .iter()
            .map(|p| format!(" {:>10}", format!("fast/{}", p.path)))
            .collect::<String>()
    );
    let mut works: Vec<(String, Work)> = ["B", "C", "D", "E"]
        .map(|name| {
            let range = NumRange::named(name).expect("the book's ranges");
            (format!("range {name}"), Work::Range(range))
        })
        .into();
    let (_, big) = PRIMES[4];
    works.push((format!("verify {big}"), Work::Verify(big)));
    let mut simd_c = 0.0;
    for (what, work) in works {
        let [plain, fast, simd] =
            [Kernel::Plain, Kernel::Fast, Kernel::Simd].map(|k| as_experiments(k, work));
        let others: Vec<f64> = below
            .iter()
            .map(|plan| {
                let max_n = match work {
                    Work::Range(range) => range.last(),
                    _ => 0,
                };
                timed(
                    &SimdTester::with_plan(max_n, *plan, tuning.fast_beyond),
                    work,
                )
            })
            .collect();
        if what == "range C" {
            simd_c = simd;
        }
        print!("  {what:<28} {plain:>9.4} {fast:>9.4} {simd:>9.4}");
        for other in &others {
            print!(" {other:>9.4}");
        }
        print!(" {:>9.2}x {:>9.2}x", plain / simd, fast / simd);
        for other in &others {
            print!(" {:>9.2}x", fast / other);
        }
        println!();
        if let Work::Verify(n) = work {
            println!(
                "  the prime: {:.2} ns per candidate plain, {:.2} fast, {:.2} simd",
                per_candidate(plain, n),
                per_candidate(fast, n),
                per_candidate(simd, n)
            );
        }
    }
    // What this bench measured before issue 15, for the record: a fast
    // kernel with a table of 2^21 divisors (which no verify case builds),
    // through `is_prime`, whose loop beyond the table was an inclusive range.
    let old = timed(&FastTester::new(big), Work::IsPrime(big));
    println!(
        "  (the old bench's fast figure, a 2^21-divisor table that verify cases never build: {old:.4} s)"
    );

    let n12 = PRIMES[2].1;
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

    // Range C from below: its candidates, rounded up to blocks of 16, each
    // block one vpmulld at least; plus what each number costs apart from
    // its blocks (a search of one block, timed over the whole range).
    if let Some(&(_, vpmulld, _)) = vectors
        .iter()
        .find(|(w, _, _)| w.starts_with("vpmulld zmm"))
    {
        let range = NumRange::named("C").expect("range C");
        let kernel = SimdTester::with_plan(range.last(), tuning.simd, tuning.fast_beyond);
        let (odd, blocks) = range_c_blocks(&kernel);
        let one_block = seconds_per_call(|| {
            (range.start..range.end)
                .filter(|&n| n % 2 == 1 && kernel.factor_in(black_box(n), 3, 5).is_none())
                .count() as u64
        });
        let floor = (blocks - odd) as f64 * vpmulld * 1e-9;
        println!("\nRange C from below (the avx512 path, 16 candidates of n < 2^32 per vpmulld):");
        println!(
            "  {odd} odd numbers; their candidates up to each smallest divisor need {blocks} blocks of 16"
        );
        println!(
            "  each number's first block and all else it costs (the range searched to candidate 3 \
             alone): {one_block:.4} s ({:.1} ns per odd number)",
            one_block * 1e9 / odd as f64
        );
        println!(
            "  the other {} blocks, their multiplies alone: x {vpmulld:.3} ns (vpmulld zmm \
             throughput) = {floor:.4} s",
            blocks - odd
        );
        println!(
            "  floor {:.4} s against the simd kernel's {simd_c:.4} s: {:.0}% of it is the multiplier \
             and the per-number cost",
            floor + one_block,
            100.0 * (floor + one_block) / simd_c
        );
    }
}
