//! The verify workload: decide whether one big number is prime, serially or
//! with workers that split its divisors and share an early-exit flag.

use super::{Context, Workers};
use crate::answer::Answer;
use crate::answer::{Work, check_verdict};
use crate::backend::Remote;
use crate::experiment::{Case, Executor, FlagKind, LoopStyle, Plan, Strategy};
use crate::flag::{
    AtomicFlag, Flag, FlagSetup, FlagSpec, ManagerFlag, MmapFlag, MutexFlag, NoFlag, RedisFlag,
    SharedFlag,
};
use crate::outcome::CaseResult;
use crate::primes::PrimeTest;
use crate::primes::oracle::is_prime_u64;
use crate::strategy::cooperative::{self, Cooperation, Verdict, Verified, trivial};
use crate::timing::{Timer, time_runs, time_runs_traced};
use crate::trace::{Traced, Tracer};
use crate::work::search::candidates_in;
use crate::work::{KernelSpec, with_kernel};

/// Runs a verify case on `n`; `None` if interrupted.
pub fn run_case(
    case: &Case,
    n: u64,
    plan: &Plan,
    context: &mut Context,
    timer: &Timer,
) -> Option<CaseResult> {
    let spec = KernelSpec::of(case);
    with_kernel!(spec, kernel => run_with(kernel, case, n, plan, context, timer))
}

/// Runs a verify case on `n` with kernel `kernel`.
fn run_with<K: PrimeTest + Clone + 'static>(
    kernel: K,
    case: &Case,
    n: u64,
    plan: &Plan,
    context: &mut Context,
    timer: &Timer,
) -> Option<CaseResult> {
    let oracle = is_prime_u64(n);
    let check = move |v: Verified| {
        let (prime, factor) = match v.verdict {
            Verdict::Prime => (true, None),
            Verdict::NotPrime { factor } => (false, factor),
        };
        let answer = check_verdict(n, prime, factor, oracle)?;
        let work = Work {
            candidates: v.candidates,
            looks: v.looks,
        };
        Ok((answer, Some(work)))
    };
    let Some(shared) = case
        .cooperation
        .filter(|_| case.strategy == Strategy::Cooperative)
    else {
        return time_runs(case, plan, timer, || Ok(serial(n, &kernel)), check);
    };
    let how = Cooperation {
        precheck: shared.precheck,
        // Without a flag there is nothing to look at: one block, no looks.
        style: shared.loop_style.unwrap_or(LoopStyle::Blocked),
        check_every: shared.check_every.unwrap_or(u64::MAX / 4),
    };
    if shared.flag == FlagKind::Redis
        && let Err(why) = context.redis_available()
    {
        return Some(CaseResult::failed(case, why));
    }
    let run = Cooperate {
        kernel,
        case,
        n,
        plan,
        remote: &context.remote,
        how,
        timer,
        check,
    };
    if case.executor.is_some_and(Executor::out_of_process) {
        // Worker processes reach the flag through a /dev/shm file, a
        // manager process or a Redis key this case owns until it ends
        // (workers behind Redis: the Redis key only).
        let owned = FlagSetup::this_binary(&context.redis.url)
            .and_then(|setup| SharedFlag::create(shared.flag, &setup));
        return match owned {
            Ok(mut owned) => {
                let spec = owned.spec().clone();
                let caller = owned.handle().connect();
                match caller {
                    Ok(caller) => run.with(caller, &spec),
                    Err(e) => Some(CaseResult::failed(case, e.0)),
                }
            }
            Err(e) => Some(CaseResult::failed(case, e.0)),
        };
    }
    let none = FlagSpec::None;
    let flag = match shared.flag {
        FlagKind::None => Ok(run.with(NoFlag, &none)),
        FlagKind::Atomic => Ok(run.with(AtomicFlag::default(), &none)),
        FlagKind::Mutex => Ok(run.with(MutexFlag::default(), &none)),
        FlagKind::Manager => ManagerFlag::start().map(|f| run.with(f, &none)),
        FlagKind::Mmap => MmapFlag::map().map(|f| run.with(f, &none)),
        FlagKind::Redis => RedisFlag::connect_to(&context.redis.url).map(|f| run.with(f, &none)),
    };
    flag.unwrap_or_else(|e| Some(CaseResult::failed(case, e.0)))
}

/// A cooperative case waiting for its flag.
struct Cooperate<'a, K, C> {
    kernel: K,
    case: &'a Case,
    n: u64,
    plan: &'a Plan,
    remote: &'a Remote,
    how: Cooperation,
    timer: &'a Timer<'a>,
    check: C,
}

impl<K, C> Cooperate<'_, K, C>
where
    K: PrimeTest + Clone + 'static,
    C: Fn(Verified) -> Result<(Answer, Option<Work>), String>,
{
    /// Starts the workers (before the timer), each with its own handle to
    /// `flag` (threads) or to the flag `spec` names (processes), and times
    /// the search; the caller keeps `flag` to clear it.
    fn with<F: Flag>(self, mut flag: F, spec: &FlagSpec) -> Option<CaseResult> {
        let case = self.case;
        let workers = match Workers::start(case, &self.kernel, &flag, spec, self.remote) {
            Ok(workers) => workers,
            Err(e) => return Some(CaseResult::failed(case, e.to_string())),
        };
        let backend = workers.backend.as_ref();
        let tracer = Tracer::for_case(case, self.plan);
        tracer.name_workers(backend);
        let run = || {
            cooperative::verify_traced(backend, &self.kernel, &mut flag, self.n, self.how, &tracer)
                .map_err(|e| e.to_string())
        };
        let traced = Traced {
            tracer: &tracer,
            backend: Some(backend),
        };
        let mut result = time_runs_traced(case, self.plan, self.timer, traced, run, self.check)?;
        if result.ok() {
            result.costs = Some(workers.costs(self.plan));
        }
        Some(result)
    }
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
