//! `[[expect]]`: a lesson as a relation between two filters on what the
//! experiment varies, with values its cases take.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use toml::Spanned;

use super::ErrAt;
use super::chart::DimValues;
use super::chart::filter_words;
use super::text::Lines;
use super::text::check_plain_text;
use crate::experiment::case::NamedNumber;
use crate::experiment::command::UserParams;
use crate::experiment::error::ExperimentError;
use crate::experiment::error::suggest;
use crate::experiment::expect::Expectation;
use crate::experiment::expect::Relation;
use crate::experiment::schema::ExpectSpec;
use crate::experiment::schema::FilterSpec;
use crate::experiment::{ParamName, Variant};

/// What an `[[expect]]` may pick cases by, with the values each takes:
/// every parameter that takes more than one value across the experiment's
/// cases (issue 20 item 17). Runner's own (swept, or set by variants), the
/// variant, the numbers, and a command's own parameters (swept in
/// `[sweep.params]` or set by variants); not the columns of a workload's
/// own table (`n`, `prime`, `factor`), which no case row holds.
pub(super) fn expectation_dimensions(
    chart_dims: &BTreeSet<&'static str>,
    values: &BTreeMap<&'static str, DimValues>,
    user: &UserParams,
    variants: &[Spanned<Variant>],
    numbers: &[NamedNumber],
) -> BTreeMap<String, DimValues> {
    let named = |words: BTreeSet<String>| DimValues {
        distinct: words.len(),
        words,
        any_number: false,
        categorical: true,
    };
    let mut dims = BTreeMap::new();
    for &name in chart_dims {
        // A serial case's one worker is among the words, not the count.
        let varies = |d: &&DimValues| d.distinct > 1 || d.words.len() > 1;
        if let Some(dim) = values.get(name).filter(varies) {
            dims.insert(name.to_string(), dim.clone());
        }
    }
    dims.remove("number");
    if numbers.len() > 1 {
        let names = numbers.iter().map(|n| n.name.clone()).collect();
        dims.insert("number".into(), named(names));
    }
    for name in user.names() {
        let set: Vec<&String> = variants
            .iter()
            .filter_map(|v| v.get_ref().params.iter().find(|(n, _)| *n == name))
            .map(|(_, value)| value)
            .collect();
        let mut words: BTreeSet<String> = set.iter().map(|v| v.to_string()).collect();
        // A value the variants all override never reaches a case.
        if variants.is_empty() || set.len() < variants.len() {
            match user.axes.iter().find(|(n, _)| *n == name) {
                Some((_, swept)) => words.extend(swept.iter().cloned()),
                None => words.extend(user.defaults.get(&name).cloned()),
            }
        }
        if words.len() > 1 {
            dims.insert(name, named(words));
        }
    }
    dims
}

/// Checks one `[[expect]]`: a lesson, two filters on what the experiment
/// varies with values its cases take, a relation and its threshold.
pub(super) fn expectation(
    spec: Spanned<ExpectSpec>,
    dims: &BTreeMap<String, DimValues>,
    params: &[String],
    err: &ErrAt,
) -> Result<Expectation, ExperimentError> {
    let span = spec.span();
    let e = spec.into_inner();
    let missing = |key: &str, example: &str| {
        err(
            Some(span.clone()),
            format!("this [[expect]] has no `{key}`"),
        )
        .with_help(format!("add `{key} = {example}`"))
    };
    let lesson = e
        .lesson
        .ok_or_else(|| missing("lesson", "\"Fig. 9-4: ...\" (the book's claim)"))?;
    check_plain_text("the lesson", &lesson, Lines::One, err)?;
    let relation =
        e.is.ok_or_else(|| missing("is", "\"slower\", \"faster\" or \"within\""))?;
    let filter = |f: Option<FilterSpec>,
                  key: &str|
     -> Result<BTreeMap<String, Vec<String>>, ExperimentError> {
        let f = f.ok_or_else(|| missing(key, "{ parameter = value, ... }"))?;
        if f.get_ref().is_empty() {
            return Err(err(Some(f.span()), format!("`{key}` names no parameter"))
                .with_help("name the parameters that pick the cases, e.g. `{ chunksize = 1 }`"));
        }
        let mut out = BTreeMap::new();
        for (name, value) in f.into_inner() {
            let Some(dim) = dims.get(name.get_ref().as_str()) else {
                let candidates: Vec<&str> = dims.keys().map(String::as_str).collect();
                let mut help = match candidates.is_empty() {
                    true => "this experiment varies nothing an expectation could pick cases by; add a [sweep] or [[variant]]s first".into(),
                    false => format!(
                        "an expectation picks cases by what the experiment varies: {}",
                        candidates.join(", ")
                    ),
                };
                if let Some(close) = suggest(name.get_ref(), &candidates) {
                    help = format!("did you mean `{close}`? {help}");
                }
                return Err(err(
                    Some(name.span()),
                    format!(
                        "`{}` is not something this experiment varies",
                        name.get_ref()
                    ),
                )
                .with_help(help));
            };
            let key = name.get_ref().as_str();
            // "default" names the default chunks, whatever size they resolve to.
            let default_chunks = key == ParamName::Chunksize.as_str()
                && matches!(value.get_ref(), toml::Value::String(s) if s == "default");
            let words = match default_chunks {
                true => vec!["default".to_string()],
                false => filter_words(key, &value, dim, err)?,
            };
            out.insert(key.to_string(), words);
        }
        Ok(out)
    };
    let case = filter(e.case, "case")?;
    let than = filter(e.than, "than")?;
    let relation_word = *relation.get_ref();
    let factor = match (relation_word, e.by_at_least) {
        (Relation::Within, Some(k)) => {
            return Err(err(
                Some(k.span()),
                "`by_at_least` with `is = \"within\"`".into(),
            )
            .with_help("a within relation takes `within_percent`; remove `by_at_least`"));
        }
        (_, Some(k)) if !(k.get_ref().is_finite() && *k.get_ref() >= 1.0) => {
            return Err(err(Some(k.span()), format!("a factor of {} is not at least 1", k.get_ref()))
                .with_help("write how many times slower (or faster), e.g. `by_at_least = 2.0`; leave it out for \"beyond the noise\""));
        }
        (_, k) => k.map_or(1.0, Spanned::into_inner),
    };
    let percent = match (relation_word, e.within_percent) {
        (Relation::Within, None) => return Err(missing("within_percent", "5")),
        (Relation::Within, Some(p))
            if !(p.get_ref().is_finite() && *p.get_ref() > 0.0 && *p.get_ref() < 100.0) =>
        {
            return Err(err(
                Some(p.span()),
                format!("{}% is not a tolerance", p.get_ref()),
            )
            .with_help("write a percentage above 0 and below 100, e.g. `within_percent = 5`"));
        }
        (Relation::Within, Some(p)) => p.into_inner(),
        (_, Some(p)) => {
            return Err(err(
                Some(p.span()),
                "`within_percent` with a slower or faster relation".into(),
            )
            .with_help("use `is = \"within\"`, or `by_at_least` for a factor"));
        }
        (_, None) => 0.0,
    };
    Ok(Expectation {
        lesson: lesson.into_inner(),
        case,
        relation: relation_word,
        than,
        factor,
        percent,
        params: params.to_vec(),
    })
}
