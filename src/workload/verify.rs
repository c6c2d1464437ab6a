//! The verify workload: decide whether one big number is prime, serially or
//! with workers that split its divisors and share an early-exit flag.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::Context;
use crate::answer::{Work, check_verdict};
use crate::experiment::{Case, FlagKind, Kernel, LoopStyle, Plan, Strategy};
use crate::flag::{
    AtomicFlag, Flag, FlagError, ManagerFlag, MmapFlag, MutexFlag, NoFlag, RedisFlag,
};
use crate::outcome::CaseResult;
use crate::primes::oracle::is_prime_u64;
use crate::primes::{FastTester, PlainTester, PrimeTest};
use crate::strategy::cooperative::{Cooperation, CooperativePool, Verdict, Verified, trivial};
use crate::strategy::search::candidates_in;
use crate::timing::time_runs;

/// Runs a verify case on `n`; `None` if interrupted.
pub fn run_case(
    case: &Case,
    n: u64,
    plan: &Plan,
    context: &mut Context,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    match case.kernel {
        Kernel::Plain => with_kernel(PlainTester, case, n, plan, context, stop),
        // No table: the candidates of an 18-digit number reach 3e8.
        Kernel::Fast => with_kernel(FastTester::new(0), case, n, plan, context, stop),
    }
}

fn with_kernel<T: PrimeTest + 'static>(
    test: T,
    case: &Case,
    n: u64,
    plan: &Plan,
    context: &mut Context,
    stop: &AtomicBool,
) -> Option<CaseResult> {
    let oracle = is_prime_u64(n);
    let check = |v: Verified| {
        let (prime, factor) = match v.verdict {
            Verdict::Prime => (true, None),
            Verdict::NotPrime { factor } => (false, factor),
        };
        let answer = check_verdict(n, prime, factor, oracle)?;
        Ok((
            answer,
            Some(Work {
                candidates: v.candidates,
                looks: v.looks,
            }),
        ))
    };
    let Some(shared) = case
        .cooperation
        .filter(|_| case.strategy == Strategy::Cooperative)
    else {
        return time_runs(case, plan, stop, || Ok(serial(n, &test)), check);
    };
    let test = Arc::new(test);
    let how = Cooperation {
        precheck: shared.precheck,
        // Without a flag there is nothing to look at: one block, no looks.
        style: shared.loop_style.unwrap_or(LoopStyle::Blocked),
        check_every: shared.check_every.unwrap_or(u64::MAX / 4),
    };
    let built = match shared.flag {
        FlagKind::None => pool(NoFlag, case, test, how),
        FlagKind::Atomic => pool(AtomicFlag::default(), case, test, how),
        FlagKind::Mutex => pool(MutexFlag::default(), case, test, how),
        FlagKind::Manager => ManagerFlag::start().and_then(|f| pool(f, case, test, how)),
        FlagKind::Mmap => MmapFlag::map().and_then(|f| pool(f, case, test, how)),
        FlagKind::Redis => context
            .redis_available()
            .map_err(FlagError)
            .and_then(|()| RedisFlag::connect_to(&context.redis.url))
            .and_then(|f| pool(f, case, test, how)),
    };
    let mut pool = match built {
        Ok(pool) => pool,
        Err(e) => return Some(CaseResult::failed(case, e.0)),
    };
    time_runs(case, plan, stop, || pool.verify(n), check)
}

/// A pool of any flag kind, behind one interface for the timing loop.
trait Verifier {
    fn verify(&mut self, n: u64) -> Result<Verified, String>;
}

impl<F: Flag, T: PrimeTest + 'static> Verifier for CooperativePool<F, T> {
    fn verify(&mut self, n: u64) -> Result<Verified, String> {
        CooperativePool::verify(self, n).map_err(|e| e.to_string())
    }
}

/// Starts the workers before the timer.
fn pool<F: Flag, T: PrimeTest + 'static>(
    flag: F,
    case: &Case,
    test: Arc<T>,
    how: Cooperation,
) -> Result<Box<dyn Verifier>, FlagError> {
    CooperativePool::new(case.workers, test, flag, how)
        .map(|p| Box::new(p) as Box<dyn Verifier>)
        .map_err(|e| FlagError(e.to_string()))
}

/// The book's serial `check_prime(n)`, keeping the factor it stops at.
pub fn serial(n: u64, test: &impl PrimeTest) -> Verified {
    if let Some(done) = trivial(n) {
        return done;
    }
    let hi = n.isqrt() + 1;
    match test.factor_in(n, 3, hi) {
        Some(d) => Verified {
            verdict: Verdict::NotPrime { factor: Some(d) },
            candidates: candidates_in(3, d + 1),
            looks: 0,
        },
        None => Verified {
            verdict: Verdict::Prime,
            candidates: candidates_in(3, hi),
            looks: 0,
        },
    }
}
