//! The JSON Schema (draft 2020-12) of experiment files, for editors, and the
//! reference of their keys in Markdown, for people: both from one list of
//! tables and keys, so they cannot disagree.
//!
//! The keys `[sweep]` and `[[variant]]` take come from the parameter
//! registry ([`super::params`]): a sweep key is a list of the parameter's
//! values, a variant key one value, each described by the registry's help.
//! The other tables are written here, beside the serde structs of
//! [`super::schema`] that read them; a test asks serde for each struct's
//! fields (its "expected one of" message) and compares, so a key added
//! there and forgotten here fails the build's tests. Enumerations are read
//! from serde too ([`variant_names`]), and the text rules from the same
//! predicates the validation uses ([`crate::console`]).
//!
//! A hand-written schema rather than `schemars`: every field is a
//! `toml::Spanned`, and most values have their own `Deserialize` (a count or
//! a word, digits in a string), so a derived schema would need an override
//! on nearly every field and would still miss the rules serde does not know
//! (`additionalProperties` is the one thing it would give for free).
//!
//! What the schema cannot say is left to `runner check`: rules across
//! values (a range's end above its start, unique labels, a chart's axis
//! that the experiment varies, a lesson whose cases pair), counts written
//! as digits beyond their bound, and invisible characters' look-alikes.

use serde_json::{Map, Value, json};

mod tables;

use super::params::ParamName;
use super::values::WorkloadKind;
use super::written::variant_names;
pub use tables::tables;

/// The defaults `[run]` gives when the file names none (checked against a
/// validated file by a test).
pub const DEFAULT_REPEATS: u64 = 5;
/// See [`DEFAULT_REPEATS`].
pub const DEFAULT_WARMUP: u64 = 1;
/// See [`DEFAULT_REPEATS`].
pub const DEFAULT_SEED: u64 = 42;
/// The most local workers `spawn_local` may start per case.
pub const MAX_SPAWN_LOCAL: u64 = 1024;

/// The y values only some workloads have, beside [`METRICS`].
const WORKLOAD_METRICS: [(&str, &str); 2] =
    [("seconds", "check_cost"), ("count", "factor_frequency")];

/// One key of a table.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key as written in the file.
    pub name: String,
    /// What it takes, in words.
    pub takes: String,
    /// Its default, as written in the file (`None`: none, or it depends).
    pub default: Option<String>,
    /// What it means.
    pub help: String,
    /// Whether the table must have it.
    pub required: bool,
    /// The JSON Schema of its value.
    schema: Value,
}

/// One table of the file (or the top level).
#[derive(Debug, Clone)]
pub struct Table {
    /// How the reference names it: `[run]`, `[[variant]]`, or "The top level".
    pub header: &'static str,
    /// The name of its schema under `$defs`.
    pub def: &'static str,
    /// What it is for.
    pub about: String,
    pub keys: Vec<Key>,
    /// Rules between its keys, as JSON Schema (`allOf` entries).
    rules: Vec<Value>,
}

impl Key {
    fn new(name: &str, takes: impl Into<String>, help: &str, schema: Value) -> Key {
        Key {
            name: name.into(),
            takes: takes.into(),
            default: None,
            help: help.into(),
            required: false,
            schema,
        }
    }

    fn default(mut self, words: impl Into<String>) -> Key {
        self.default = Some(words.into());
        self
    }

    fn required(mut self) -> Key {
        self.required = true;
        self
    }

    /// The key's schema with its description and default.
    fn json(&self) -> Value {
        let mut schema = self.schema.clone();
        if let Value::Object(map) = &mut schema {
            map.insert("description".into(), Value::String(self.help.clone()));
            if let Some(default) = &self.default {
                map.insert("default".into(), default_json(&self.schema, default));
            }
        }
        schema
    }
}

/// A default in the words of the file, as the JSON value a TOML file holds:
/// a number where the key takes one, else the word.
fn default_json(schema: &Value, words: &str) -> Value {
    if let Ok(n) = words.parse::<u64>() {
        return json!(n);
    }
    if let Ok(x) = words.parse::<f64>()
        && schema.get("type") == Some(&json!("number"))
    {
        return json!(x);
    }
    match words {
        "true" => json!(true),
        "false" => json!(false),
        _ if words.starts_with('[') => serde_json::from_str(words).unwrap_or(json!(words)),
        _ => json!(words),
    }
}

/// A registry help text on one line: its doc lines joined.
fn one_line(help: &str) -> String {
    help.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A whole number written as a string of digits, as runner reads any
/// whole number (underscores allowed).
fn digits() -> Value {
    json!({"type": "string", "pattern": "^[0-9_]*[0-9][0-9_]*$"})
}

/// A whole number from `min` to `max`, as a number or a string of digits.
fn bounded(min: u64, max: u64) -> Value {
    json!({"oneOf": [{"type": "integer", "minimum": min, "maximum": max}, digits()]})
}

fn names<'de, T: serde::Deserialize<'de>>() -> Value {
    json!({"enum": variant_names::<T>()})
}

/// A character class of every character of the first plane for which `bad`
/// holds, as `\uXXXX` ranges: the one escape ECMA-262, Rust's and Python's
/// regular expressions all read. The few such characters beyond it (three
/// blocks of invisible format characters) are left to `runner check`.
fn class_of(bad: impl Fn(char) -> bool) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0xffff).filter_map(char::from_u32).filter(|&c| bad(c)) {
        let n = c as u32;
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => ranges.push((n, n)),
        }
    }
    ranges
        .iter()
        .map(|&(a, b)| match a == b {
            true => format!("\\u{a:04x}"),
            false => format!("\\u{a:04x}-\\u{b:04x}"),
        })
        .collect()
}

/// Which texts may hold which characters.
#[derive(Clone, Copy)]
enum Text {
    /// One line: no control characters, nothing that reorders the line.
    Line,
    /// The description: newlines and tabs too.
    Lines,
    /// A label: one line, not blank, nothing invisible.
    Label,
}

fn text(kind: Text) -> Value {
    use crate::console::{invisible, reorders};
    let class = match kind {
        Text::Line => class_of(|c| c.is_control() || reorders(c)),
        Text::Lines => {
            class_of(|c| (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || reorders(c))
        }
        Text::Label => class_of(|c| c.is_control() || reorders(c) || invisible(c)),
    };
    let only = json!({"type": "string", "pattern": format!("^[^{class}]*$")});
    match kind {
        // A label a reader can see: one character that is not a blank.
        Text::Label => json!({"allOf": [only, {"pattern": "[^\\s\\u2800]"}]}),
        _ => only,
    }
}

/// A command's own parameter name: a plain word.
const OWN_NAME: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// The value of a command's own parameter: substituted as text.
fn scalar() -> Value {
    json!({"type": ["string", "integer", "number", "boolean"]})
}

/// A filter on parameters: each a value, or a list of values.
fn filter(min: usize) -> Value {
    json!({
        "type": "object",
        "minProperties": min,
        "additionalProperties": {"oneOf": [scalar(), {"type": "array", "items": scalar()}]},
    })
}

fn workloads(p: ParamName) -> Vec<String> {
    kinds()
        .into_iter()
        .filter(|&k| p.fits(k))
        .map(|k| k.to_string())
        .collect()
}

fn kinds() -> Vec<WorkloadKind> {
    variant_names::<WorkloadKind>()
        .iter()
        .filter_map(|n| serde_json::from_value(json!(n)).ok())
        .collect()
}

impl Table {
    fn json(&self) -> Value {
        let properties: Map<String, Value> = self
            .keys
            .iter()
            .map(|k| (k.name.clone(), k.json()))
            .collect();
        let required: Vec<&str> = self
            .keys
            .iter()
            .filter(|k| k.required)
            .map(|k| k.name.as_str())
            .collect();
        let mut schema = json!({
            "type": "object",
            "description": self.about,
            "properties": properties,
            "additionalProperties": false,
        });
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        if !self.rules.is_empty() {
            schema["allOf"] = json!(self.rules);
        }
        schema
    }
}

/// The JSON Schema of an experiment file, as a TOML file maps to JSON.
pub fn json_schema() -> Value {
    let tables = tables();
    let mut defs = Map::new();
    let mut root = json!({});
    for table in &tables {
        match table.def {
            "experiment" => root = table.json(),
            def => {
                defs.insert(def.into(), table.json());
            }
        }
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "runner experiment",
        "description": "An experiment file of runner: a workload, what to vary, charts and the book's lessons. Written by `runner schema`; `runner check FILE` checks what a schema cannot.",
    });
    if let (Value::Object(out), Value::Object(root)) = (&mut schema, root) {
        out.extend(root);
        out.insert("$defs".into(), Value::Object(defs));
    }
    schema
}

/// `|` would end a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The reference of every key, in Markdown: a table per table of the file,
/// and the parameters with the workloads that read them.
pub fn markdown() -> String {
    let mut out = String::new();
    for table in tables() {
        let params = matches!(table.def, "sweep" | "variant");
        out.push_str(&format!("### {}\n\n{}\n\n", table.header, table.about));
        if params {
            out.push_str(
                "Every parameter of the table under Parameters may be given here too, as a list in [sweep] and as one value in a [[variant]]. Besides them:\n\n",
            );
        }
        out.push_str("| key | takes | default | what |\n|---|---|---|---|\n");
        for key in table
            .keys
            .iter()
            .filter(|k| !params || ParamName::from_key(&k.name).is_none())
        {
            let name = match key.required {
                true => format!("`{}` (required)", key.name),
                false => format!("`{}`", key.name),
            };
            let default = key
                .default
                .as_deref()
                .map_or(String::new(), |d| format!("`{d}`"));
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                name,
                cell(&key.takes),
                cell(&default),
                cell(&key.help)
            ));
        }
        out.push('\n');
    }
    out.push_str("### Parameters\n\n");
    out.push_str(
        "Each can be swept (`[sweep]`, a list), set by a `[[variant]]` (one value), and, for strategy, executor and kernel, set for every case in `[run]` (`range` in `[workload]`). A parameter a workload does not read is refused. Each is also a column of results.csv and summary.csv, and a name charts, filters and lessons use.\n\n",
    );
    out.push_str("| key | a value is | default | read by | what |\n|---|---|---|---|---|\n");
    for &p in ParamName::ALL {
        let default = p
            .default_words()
            .map_or(String::new(), |d| format!("`{d}`"));
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.as_str(),
            cell(&p.words()),
            cell(&default),
            workloads(p).join(", "),
            cell(&one_line(p.help()))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tables::{chart, run};
    use super::*;
    use crate::experiment::schema::{
        ChartSpec, ExpectSpec, FileSpec, NumberSpec, RunSpec, SweepSpec, VariantSpec, WorkloadSpec,
    };

    /// The fields serde reads for `T`, from its message on an unknown key.
    fn fields<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let message = serde_json::from_str::<T>(r#"{"\u0000": 0}"#)
            .unwrap_err()
            .to_string();
        let expected = message.split("expected").nth(1).unwrap_or_default();
        let mut names: Vec<String> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        names.sort();
        names
    }

    fn keys(def: &str) -> Vec<String> {
        let table = tables().into_iter().find(|t| t.def == def).unwrap();
        let mut names: Vec<String> = table.keys.iter().map(|k| k.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn every_table_has_the_keys_serde_reads() {
        assert_eq!(keys("experiment"), fields::<FileSpec>());
        assert_eq!(keys("workload"), fields::<WorkloadSpec>());
        assert_eq!(keys("number"), fields::<NumberSpec>());
        assert_eq!(keys("run"), fields::<RunSpec>());
        assert_eq!(keys("sweep"), fields::<SweepSpec>());
        assert_eq!(keys("variant"), fields::<VariantSpec>());
        assert_eq!(keys("chart"), fields::<ChartSpec>());
        assert_eq!(keys("expect"), fields::<ExpectSpec>());
        assert!(
            fields::<RunSpec>().contains(&"repeats".to_string()),
            "the probe reads names"
        );
    }

    #[test]
    fn the_defaults_are_the_ones_runner_applies() {
        let path = std::path::Path::new("t.toml");
        let file = "name = \"t\"\n[workload]\nkind = \"primes\"\nrange = [1000, 2000]\n[sweep]\nworkers = [1, 2]\n[[chart]]\nx = \"workers\"\n";
        let e = crate::experiment::parse(path, file).unwrap();
        let run = run();
        let default = |name: &str| {
            run.keys
                .iter()
                .find(|k| k.name == name)
                .and_then(|k| k.default.clone())
        };
        assert_eq!(default("repeats"), Some(e.repeats.to_string()));
        assert_eq!(default("warmup"), Some(e.warmup.to_string()));
        assert_eq!(default("seed"), Some(e.seed.to_string()));
        assert_eq!(default("schedule"), Some(e.schedule.to_string()));
        let chart = chart();
        let default = |name: &str| {
            chart
                .keys
                .iter()
                .find(|k| k.name == name)
                .and_then(|k| k.default.clone())
        };
        let drawn = &e.charts[0];
        assert_eq!(
            default("kind"),
            Some(
                serde_json::to_value(drawn.kind)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
        assert_eq!(default("y"), Some(drawn.y.clone()));
        assert_eq!(
            default("formats"),
            Some(serde_json::to_string(&drawn.formats).unwrap())
        );
        assert_eq!(default("log_x"), Some(drawn.log_x.to_string()));
    }

    #[test]
    fn text_classes_name_what_the_validation_refuses() {
        assert_eq!(
            class_of(|c| c.is_control()),
            "\\u0000-\\u001f\\u007f-\\u009f"
        );
        let label = class_of(crate::console::invisible);
        assert!(label.contains("\\u200b-\\u200f"), "{label}");
        assert!(label.ends_with("\\ufff0-\\ufff8"), "{label}");
    }

    #[test]
    fn the_schema_is_draft_2020_12_with_every_table_closed() {
        let schema = json_schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["additionalProperties"], false);
        for def in [
            "workload", "number", "run", "sweep", "variant", "chart", "expect",
        ] {
            assert_eq!(schema["$defs"][def]["additionalProperties"], false, "{def}");
        }
        // A sweep key takes a list of the parameter's values, a variant key one.
        let workers = ParamName::Workers.schema();
        let sweep = |p: ParamName| &schema["$defs"]["sweep"]["properties"][p.as_str()];
        let variant = |p: ParamName| &schema["$defs"]["variant"]["properties"][p.as_str()];
        assert_eq!(sweep(ParamName::Workers)["items"], workers);
        assert_eq!(variant(ParamName::Workers)["oneOf"], workers["oneOf"]);
        assert_eq!(sweep(ParamName::Workers)["default"], "physical");
        assert_eq!(sweep(ParamName::CheckEvery)["default"], 1000);
    }

    #[test]
    fn the_reference_lists_every_parameter_once() {
        let page = markdown();
        let (tables, params) = page.split_once("### Parameters").unwrap();
        for &p in ParamName::ALL {
            let row = format!("| `{}` |", p.as_str());
            assert_eq!(params.matches(&row).count(), 1, "{row}");
            // Not repeated under [sweep] and [[variant]].
            let sweep = tables.split("### `[sweep]`").nth(1).unwrap();
            let sweep = sweep.split("### `[[chart]]`").next().unwrap();
            assert!(!sweep.contains(&row), "{row}");
        }
        assert!(
            page.contains("| `repeats` | a whole number from 1 to 100000 | `5` |"),
            "{page}"
        );
    }
}
