//! The parameters as written: the sweep's lists and the variants' values,
//! each kept with its position, and whether a workload reads them.

use std::ops::Range;

use toml::Spanned;

use super::ErrAt;
use super::Written;
use crate::experiment::Axis;
use crate::experiment::Variant;
use crate::experiment::case::NamedNumber;
use crate::experiment::command;
use crate::experiment::command::UserParams;
use crate::experiment::error::ExperimentError;
use crate::experiment::error::suggest;
use crate::experiment::params::ParamName;
use crate::experiment::params::ParamValue;
use crate::experiment::params::Setting;
use crate::experiment::schema::NumberSpec;
use crate::experiment::schema::OneOrMany;
use crate::experiment::schema::SweepSpec;
use crate::experiment::schema::VariantSpec;
use crate::experiment::values::Strategy;
use crate::experiment::values::WorkloadKind;

/// The strategies each workload runs with (the parameters it reads are
/// the registry's [`ParamName::fits`]).
pub(super) fn strategies(kind: WorkloadKind) -> &'static [Strategy] {
    use Strategy as S;
    match kind {
        WorkloadKind::Primes => &[S::Serial, S::Pool, S::Stealing, S::Queue, S::Feeder],
        WorkloadKind::Verify => &[S::Serial, S::Cooperative],
        WorkloadKind::CheckCost => &[S::Serial],
        // A program reads whichever of runner's parameters its words name.
        WorkloadKind::Command => &[
            S::Serial,
            S::Pool,
            S::Stealing,
            S::Cooperative,
            S::Queue,
            S::Feeder,
        ],
        WorkloadKind::FactorFrequency => &[S::Serial, S::Pool],
    }
}

/// Checks that a parameter as written applies to the workload.
pub(super) fn check_fits_workload(
    kind: WorkloadKind,
    w: &Written,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let strategies = strategies(kind);
    let params: Vec<ParamName> = ParamName::ALL
        .iter()
        .copied()
        .filter(|p| p.fits(kind))
        .collect();
    let list = |names: Vec<String>| names.join(", ");
    let (fits, help) = match w.value {
        ParamValue::Strategy(s) => (
            strategies.contains(&s),
            format!(
                "a {kind} workload runs with: {}",
                list(strategies.iter().map(|s| s.to_string()).collect())
            ),
        ),
        ParamValue::Precheck(p) if p != 0 && (p < 3 || p % 2 == 0) => {
            return Err(err(
                Some(w.span.clone()),
                format!("precheck {p} is not a candidate cutoff"),
            )
            .with_help(
                "use 0 (split from 3, the naive pool) or an odd number from 3 (the book's 21)",
            ));
        }
        _ => (
            params.contains(&w.value.name()),
            format!(
                "a {kind} workload reads: {}",
                list(params.iter().map(|p| p.as_str().to_string()).collect())
            ),
        ),
    };
    match fits {
        true => Ok(()),
        false => Err(err(
            Some(w.span.clone()),
            format!(
                "`{} = {}` does not apply to a {kind} workload",
                w.value.name().as_str(),
                w.value
            ),
        )
        .with_help(help)),
    }
}

/// The sweep's lists in expansion order, each checked non-empty.
pub(super) fn sweep_axes(
    mut sweep: SweepSpec,
    written: &mut Vec<Written>,
    err: &ErrAt,
) -> Result<Vec<Axis>, ExperimentError> {
    if let (Some(_), Some(nbr)) = (&sweep.chunksize, &sweep.nbr_chunks) {
        return Err(err(
            Some(nbr.span()),
            "sweep both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    let mut axes = Vec::new();
    for (name, values) in sweep.lists() {
        if values.get_ref().is_empty() {
            return Err(err(
                Some(values.span()),
                format!("the list `{}` is empty", name.as_str()),
            )
            .with_help("give at least one value, or remove the key"));
        }
        let values = values.into_inner();
        written.extend(values.iter().map(|v| Written {
            value: *v.get_ref(),
            span: v.span(),
        }));
        axes.push(Axis {
            name,
            values: values.into_iter().map(Spanned::into_inner).collect(),
        });
    }
    Ok(axes)
}

pub(super) fn variant(
    spec: Spanned<VariantSpec>,
    kind: WorkloadKind,
    written: &mut Vec<Written>,
    err: &ErrAt,
) -> Result<Spanned<Variant>, ExperimentError> {
    let span = spec.span();
    let mut spec = spec.into_inner();
    // Both ways to size chunks: where the second stands, to point at it.
    let both_chunkings = spec
        .chunksize
        .as_ref()
        .and(spec.nbr_chunks.as_ref())
        .map(Spanned::span);
    let values: Vec<Written> = spec
        .values()
        .into_iter()
        .map(|v| Written {
            span: v.span(),
            value: v.into_inner(),
        })
        .collect();
    let VariantSpec {
        label,
        params,
        requires,
        ..
    } = spec;
    if let Some(p) = &params
        && kind != WorkloadKind::Command
    {
        return Err(only_commands(p.span(), err));
    }
    let params = command::one_each(params, err)?;
    let label = label.ok_or_else(|| {
        err(Some(span.clone()), "this [[variant]] has no label".into())
            .with_help("add `label = \"...\"`; it names the variant in tables and charts")
    })?;
    if let Some(nbr) = both_chunkings {
        return Err(err(
            Some(nbr),
            "a variant sets both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    let variant = Variant {
        label: label.into_inner(),
        values: values.iter().map(|w| w.value).collect(),
        params,
        requires: requires.map(OneOrMany::into_vec).unwrap_or_default(),
    };
    written.extend(values);
    Ok(Spanned::new(span, variant))
}

pub(super) fn numbers(
    list: Spanned<Vec<Spanned<NumberSpec>>>,
    err: &ErrAt,
) -> Result<Vec<NamedNumber>, ExperimentError> {
    if list.get_ref().is_empty() {
        return Err(err(Some(list.span()), "the list `numbers` is empty".into())
            .with_help("give at least one `{ name = \"...\", value = ... }`, or remove the key for the book's five"));
    }
    list.into_inner()
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let span = spec.span();
            let spec = spec.into_inner();
            let value = spec.value.ok_or_else(|| {
                err(Some(span), "this number has no value".into())
                    .with_help("write `{ name = \"...\", value = 1000000007 }`")
            })?;
            let value = value.into_inner().0;
            Ok(NamedNumber {
                name: spec
                    .name
                    .map(Spanned::into_inner)
                    .unwrap_or_else(|| format!("number {}", i + 1)),
                value,
                quick: spec.quick.map(|q| q.0),
            })
        })
        .collect()
}

/// Every value each parameter takes over the cases: per variant, its own
/// value or else the sweep's (or the default).
pub(super) fn param_values(
    name: ParamName,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
) -> Vec<ParamValue> {
    let base: Vec<ParamValue> = match axes.iter().find(|a| a.name == name) {
        Some(axis) => axis.values.clone(),
        None => defaults.value_of(name).into_iter().collect(),
    };
    if variants.is_empty() {
        return base;
    }
    let mut all = Vec::new();
    for v in variants {
        match v.get_ref().values.iter().find(|p| p.name() == name) {
            Some(own) => all.push(*own),
            None => all.extend(base.iter().copied()),
        }
    }
    all
}

/// The error for a user `params` table outside a command workload.
pub(super) fn only_commands(span: Range<usize>, err: &ErrAt) -> ExperimentError {
    err(Some(span), "only a command workload takes `params`".into()).with_help(
        "remove `params`: runner's own parameters are set directly (`workers = ...`), and user parameters are for `kind = \"command\"`",
    )
}

/// A variant's user parameters must be declared in `[workload] params` or
/// `[sweep.params]`, so a typo there is an error too.
pub(super) fn check_variant_params(
    user: &UserParams,
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let names = user.names();
    let known: Vec<&str> = names.iter().map(String::as_str).collect();
    for v in variants {
        for (name, _) in &v.get_ref().params {
            if !known.contains(&name.as_str()) {
                let help = match suggest(name, &known) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "declare `{name}` with a default in `[workload] params` (or sweep it in `[sweep.params]`)"
                    ),
                };
                return Err(err(
                    Some(v.span()),
                    format!(
                        "the variant \"{}\" sets `{name}`, which no `params` table declares",
                        v.get_ref().label
                    ),
                )
                .with_help(help));
            }
        }
    }
    Ok(())
}
