//! The rules between parameters that no single value can break: stealing
//! stays in threads, a remote worker reaches its flag, what a case needs,
//! every case has a range, and a command's answer can be checked.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::ErrAt;
use super::Written;
use crate::experiment::Axis;
use crate::experiment::Variant;
use crate::experiment::command::CommandSpec;
use crate::experiment::error::ExperimentError;
use crate::experiment::params::ParamName;
use crate::experiment::params::ParamValue;
use crate::experiment::params::Setting;
use crate::experiment::values::AnswerKind;
use crate::experiment::values::Executor;
use crate::experiment::values::FlagKind;
use crate::experiment::values::Requirement;
use crate::experiment::values::Strategy;
use crate::experiment::values::WorkloadKind;
use crate::secret;

/// A `redis_url` must be one the Redis client can use, before anything runs,
/// and hold no password in any form (the file is copied into its report).
/// A URL is echoed only once it is known to hold no password.
pub(super) fn check_redis_url(url: &Spanned<String>, err: &ErrAt) -> Result<(), ExperimentError> {
    if let Some(form) = secret::password_in(url.get_ref()) {
        return Err(err(
            Some(url.span()),
            format!("`redis_url` holds a password ({form}), which would be copied into the report"),
        )
        .with_help(
            "remove `redis_url` here and give the URL in the environment instead: \
             REDIS_URL=redis://user:password@host:port (a Unix socket: \
             REDIS_URL=redis+unix:///path/to/socket?pass=...)",
        )
        .without_quoting());
    }
    match secret::parses(url.get_ref()) {
        true => Ok(()),
        false => Err(err(
            Some(url.span()),
            format!("\"{}\" is not a Redis URL", url.get_ref()),
        )
        .with_help("write it as redis://HOST:PORT, e.g. \"redis://127.0.0.1:6379\"")),
    }
}

/// Work stealing is rayon's threads: no case may ask for it in processes
/// (or behind Redis: `executor`).
pub(super) fn check_stealing_stays_in_threads(
    executor: Executor,
    defaults: &Setting,
    written: &[Written],
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let processes = ParamValue::Executor(executor);
    let stealing = ParamValue::Strategy(Strategy::Stealing);
    let clash = some_case_takes(&[processes, stealing], defaults, axes, variants);
    if !clash {
        return Ok(());
    }
    let at = written
        .iter()
        .find(|w| w.value == processes)
        .map(|w| w.span.clone());
    let (place, name) = match executor {
        Executor::Redis => ("behind Redis", "redis"),
        _ => ("in processes", "processes"),
    };
    Err(err(
        at,
        format!("work stealing runs on rayon's threads; it cannot run {place}"),
    )
    .with_help(format!(
        "use `executor = \"{name}\"` for pool, queue, feeder and cooperative cases only: give `stealing` a variant of its own with `executor = \"threads\"`, or drop it",
    )))
}

/// Whether some case takes every value of `all` (its variant's own, else
/// the sweep's, else the default).
pub(super) fn some_case_takes(
    all: &[ParamValue],
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
) -> bool {
    let base = |v: ParamValue| {
        let name = v.name();
        match axes.iter().find(|a| a.name == name) {
            Some(axis) => axis.values.contains(&v),
            None => defaults.value_of(name) == Some(v),
        }
    };
    let takes = |variant: Option<&Variant>, v: ParamValue| match variant
        .and_then(|var| var.values.iter().find(|p| p.name() == v.name()))
    {
        Some(own) => *own == v,
        None => base(v),
    };
    match variants.is_empty() {
        true => all.iter().all(|&v| takes(None, v)),
        false => variants
            .iter()
            .any(|var| all.iter().all(|&v| takes(Some(var.get_ref()), v))),
    }
}

/// Workers behind Redis share only the `redis` flag (or none): a flag in
/// this host's memory, files or manager process cannot reach them.
pub(super) fn check_flag_reaches_redis_workers(
    defaults: &Setting,
    written: &[Written],
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let redis = ParamValue::Executor(Executor::Redis);
    let cooperative = ParamValue::Strategy(Strategy::Cooperative);
    for kind in [
        FlagKind::Atomic,
        FlagKind::Mutex,
        FlagKind::Manager,
        FlagKind::Mmap,
    ] {
        let flag = ParamValue::Flag(kind);
        if !some_case_takes(&[redis, cooperative, flag], defaults, axes, variants) {
            continue;
        }
        let at = written
            .iter()
            .find(|w| w.value == flag)
            .or_else(|| written.iter().find(|w| w.value == redis))
            .map(|w| w.span.clone());
        return Err(err(
            at,
            format!(
                "the `{flag}` flag lives on this host; workers behind Redis (`executor = \"redis\"`) cannot reach it"
            ),
        )
        .with_help(
            "use `flag = \"redis\"` (a key on the same server) or `flag = \"none\"` with `executor = \"redis\"`; give the other flags a variant of their own with `executor = \"threads\"` or `\"processes\"`",
        ));
    }
    Ok(())
}

/// The flag kinds the sweep gives its cases.
pub(super) fn sweep_flags(axes: &[Axis]) -> Vec<FlagKind> {
    axes.iter()
        .flat_map(|a| &a.values)
        .filter_map(|v| match v {
            ParamValue::Flag(f) => Some(*f),
            _ => None,
        })
        .collect()
}

/// `requires = "redis"` only makes sense on a variant some of whose cases
/// use the Redis flag; anywhere else it would silently skip cases.
pub(super) fn check_requirements(
    kind: WorkloadKind,
    flags_written: &[FlagKind],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    for v in variants {
        let variant = v.get_ref();
        let programs = variant
            .requires
            .iter()
            .any(|r| matches!(r, Requirement::Program(_) | Requirement::Module { .. }));
        match (variant.requires.is_empty(), kind) {
            (true, _) | (false, WorkloadKind::Command) => continue,
            (false, _) if programs => {
                return Err(err(
                    Some(v.span()),
                    format!(
                        "the variant \"{}\" requires a program, which only a command workload runs",
                        variant.label
                    ),
                )
                .with_help("`requires` names \"redis\" here; programs and modules are for `kind = \"command\"`"));
            }
            (false, _) => {}
        }
        let own_flag = variant.values.iter().find_map(|p| match p {
            ParamValue::Flag(f) => Some(*f),
            _ => None,
        });
        let uses_redis = kind == WorkloadKind::Verify
            && match own_flag {
                Some(flag) => flag == FlagKind::Redis,
                None => flags_written.contains(&FlagKind::Redis),
            };
        if !uses_redis {
            return Err(err(
                Some(v.span()),
                format!(
                    "the variant \"{}\" requires Redis but none of its cases uses it",
                    variant.label
                ),
            )
            .with_help(
                "remove `requires`, or set `flag = \"redis\"` (verify workloads only): `requires` skips cases when Redis is missing",
            ));
        }
    }
    Ok(())
}

pub(super) fn check_unique_labels(
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let mut seen = BTreeSet::new();
    for v in variants {
        if !seen.insert(&v.get_ref().label) {
            return Err(err(
                Some(v.span()),
                format!("two variants are labelled \"{}\"", v.get_ref().label),
            )
            .with_help("give each variant its own label"));
        }
    }
    Ok(())
}

/// Every case must get a range from [workload], the sweep or its variant.
pub(super) fn check_every_case_has_a_range(
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    missing: impl Fn() -> ExperimentError,
) -> Result<(), ExperimentError> {
    let swept = axes.iter().any(|a| a.name == ParamName::Range);
    let every_variant_sets_it = !variants.is_empty()
        && variants.iter().all(|v| {
            v.get_ref()
                .values
                .iter()
                .any(|p| p.name() == ParamName::Range)
        });
    match defaults.range.is_some() || swept || every_variant_sets_it {
        true => Ok(()),
        false => Err(missing()),
    }
}

/// A command's declared answer needs the input it answers about: a range
/// for primes and factors, numbers for a verdict.
pub(super) fn check_command_answer(
    spec: &CommandSpec,
    workload_span: &Range<usize>,
    with_numbers: bool,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    match spec.answer {
        Some(AnswerKind::Verdict) if !with_numbers => Err(err(
            Some(workload_span.clone()),
            "a command answering a verdict has no numbers".into(),
        )
        .with_help("list `numbers = [{ name = \"...\", value = ... }]` in [workload]")),
        Some(AnswerKind::Primes | AnswerKind::Factors) => {
            check_every_case_has_a_range(defaults, axes, variants, || {
                err(
                    Some(workload_span.clone()),
                    format!(
                        "a command answering {} has no range",
                        answer_name(spec.answer)
                    ),
                )
                .with_help("set `range = [start, end]` in [workload], or sweep `range`")
            })
        }
        _ => Ok(()),
    }
}

pub(super) fn answer_name(answer: Option<AnswerKind>) -> String {
    answer.map(|a| a.to_string()).unwrap_or_default()
}
