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

use super::chart::METRICS;
use super::command::{DEFAULT_TIMEOUT_S, MAX_SECONDS};
use super::expect::Relation;
use super::params::ParamName;
use super::schema::{ChartFormat, ChartKind};
use super::values::limits::{MAX_REPEATS, MAX_WARMUP};
use super::values::{AnswerKind, BigU64, ClockKind, Positive, Schedule, WorkloadKind};
use super::written::{Written, one_of, variant_names};

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

/// The top level of the file.
fn top() -> Table {
    Table {
        header: "The top level",
        def: "experiment",
        about: "What the experiment is called and what it says about itself.".into(),
        keys: vec![
            Key::new(
                "name",
                "lowercase letters, digits, `_` and `-`",
                "Names the report folder (reports/<name>/) and the experiment in indexes and comparisons.",
                json!({"type": "string", "pattern": "^[a-z0-9_-]+$"}),
            )
            .required(),
            Key::new(
                "title",
                "one line of text",
                "Shown at the top of the report and in the index.",
                text(Text::Line),
            ),
            Key::new(
                "description",
                "text (newlines and tabs allowed)",
                "Shown under the title: say what the book used and saw.",
                text(Text::Lines),
            ),
            Key::new("workload", "a table", "What is computed: see [workload].", json!({"$ref": "#/$defs/workload"})).required(),
            Key::new("run", "a table", "How every case runs: see [run].", json!({"$ref": "#/$defs/run"})),
            Key::new(
                "sweep",
                "a table",
                "What varies: every combination of its lists is a case. See [sweep].",
                json!({"$ref": "#/$defs/sweep"}),
            ),
            Key::new(
                "variant",
                "an array of tables, [[variant]]",
                "Labelled cases, each overriding parameters, crossed with the sweep. See [[variant]].",
                json!({"type": "array", "items": {"$ref": "#/$defs/variant"}}),
            ),
            Key::new(
                "chart",
                "an array of tables, [[chart]]",
                "The report's figures (default: one chosen from the sweep). See [[chart]].",
                json!({"type": "array", "items": {"$ref": "#/$defs/chart"}}),
            ),
            Key::new(
                "expect",
                "an array of tables, [[expect]]",
                "The book's lessons, checked on every run and redraw. See [[expect]].",
                json!({"type": "array", "items": {"$ref": "#/$defs/expect"}}),
            ),
        ],
        rules: top_rules(),
    }
}

/// Rules across tables that the registry states: a parameter swept or set
/// by a variant must be one the workload reads, and only a command takes
/// parameters of its own.
fn top_rules() -> Vec<Value> {
    kinds()
        .into_iter()
        .map(|kind| {
            let mut refused: Map<String, Value> = ParamName::ALL
                .iter()
                .filter(|p| !p.fits(kind))
                .map(|p| (p.as_str().to_string(), json!(false)))
                .collect();
            if kind != WorkloadKind::Command {
                refused.insert("params".into(), json!(false));
            }
            let executor_fits = ParamName::Executor.fits(kind);
            let mut then = json!({
                "properties": {
                    "sweep": {"properties": refused},
                    "variant": {"items": {"properties": refused}},
                }
            });
            if !executor_fits {
                then["properties"]["run"] = json!({"properties": {"executor": false}});
            }
            json!({
                "if": {
                    "properties": {"workload": {"properties": {"kind": {"const": kind.to_string()}}, "required": ["kind"]}},
                    "required": ["workload"],
                },
                "then": then,
            })
        })
        .collect()
}

/// The keys only a command workload takes.
const COMMAND_KEYS: [&str; 8] = [
    "command",
    "shell",
    "cwd",
    "env",
    "timeout_s",
    "clock",
    "answer",
    "params",
];

fn workload() -> Table {
    let kind_is =
        |kinds: &[&str]| json!({"properties": {"kind": {"enum": kinds}}, "required": ["kind"]});
    let not_command: Map<String, Value> = COMMAND_KEYS
        .iter()
        .map(|k| (k.to_string(), json!(false)))
        .collect();
    Table {
        header: "`[workload]`",
        def: "workload",
        about: "What is computed. The range is also a parameter (see below), so it may be swept instead.".into(),
        keys: vec![
            Key::new(
                "kind",
                one_of(&variant_names::<WorkloadKind>()),
                "primes: find every prime in a range; verify: decide whether each of a few big numbers is prime; check_cost: time one check of every step-th number of a range; factor_frequency: count the smallest factors of a range's non-primes; command: run a program of yours per repeat.",
                names::<WorkloadKind>(),
            )
            .required(),
            Key::new(ParamName::Range.as_str(), ParamName::Range.words(), &one_line(ParamName::Range.help()), ParamName::Range.schema()),
            Key::new(
                "step",
                Positive::words(),
                "check_cost: time every step-th number of the range.",
                Positive::schema(),
            )
            .default("1"),
            Key::new(
                "numbers",
                "an array of { name, value, quick } tables",
                "verify (or command): the numbers to check, each a case of its own. Default for verify: the book's five.",
                json!({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/number"}}),
            ),
            Key::new(
                "redis_url",
                "a Redis URL without a password",
                "For the redis flag: the server (default: REDIS_URL, then redis://127.0.0.1:6379). A password belongs in REDIS_URL, never in the file, which is copied into its report.",
                json!({"type": "string"}),
            ),
            Key::new(
                "command",
                "an array of words, with {name} placeholders",
                "command: the program and its arguments; {name} takes the case's value of a parameter, {name|text} gives text where the case has none, {{ is a brace.",
                json!({"type": "array", "minItems": 1, "items": {"type": "string"}}),
            ),
            Key::new(
                "shell",
                "true or false",
                "command: run the words joined by spaces with sh -c, each substituted value quoted for the shell.",
                json!({"type": "boolean"}),
            )
            .default("false"),
            Key::new("cwd", "a path", "command: the working directory (default: runner's).", json!({"type": "string"})),
            Key::new(
                "env",
                "a table of strings",
                "command: variables added to the program's environment (it inherits runner's).",
                json!({"type": "object", "additionalProperties": {"type": "string"}}),
            ),
            Key::new(
                "timeout_s",
                format!("seconds, above 0 and at most {MAX_SECONDS}"),
                "command: how long one run may take; then its whole process group is killed and the case fails.",
                json!({"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS}),
            )
            .default(DEFAULT_TIMEOUT_S.to_string()),
            Key::new(
                "clock",
                one_of(&variant_names::<ClockKind>()),
                "command: wall times each run from spawn to exit; program takes the program's own runner-time: line.",
                names::<ClockKind>(),
            )
            .default("wall"),
            Key::new(
                "answer",
                one_of(&variant_names::<AnswerKind>()),
                "command: what the program's runner-answer: line answers, checked against the oracle. Without it the case is unchecked.",
                names::<AnswerKind>(),
            ),
            Key::new(
                "params",
                "a table of strings, numbers or booleans",
                "command: your own parameters and their defaults, for {name} placeholders (a plain word each, not one of runner's).",
                json!({"type": "object", "propertyNames": {"pattern": OWN_NAME}, "additionalProperties": scalar()}),
            ),
        ],
        rules: vec![
            json!({"if": kind_is(&["command"]), "then": {"required": ["command"]}, "else": {"properties": not_command}}),
            json!({"if": kind_is(&["check_cost"]), "else": {"properties": {"step": false}}}),
            json!({"if": kind_is(&["verify", "command"]), "else": {"properties": {"numbers": false}}}),
            json!({"if": kind_is(&["verify"]), "then": {"properties": {"range": false}}}),
        ],
    }
}

fn number() -> Table {
    Table {
        header: "`numbers = [{ ... }]` in `[workload]`",
        def: "number",
        about: "One number of a verify workload.".into(),
        keys: vec![
            Key::new(
                "name",
                "one line of text",
                "Names the number in tables and charts (default: \"number N\").",
                text(Text::Label),
            ),
            Key::new(
                "value",
                BigU64::words(),
                "The number to check.",
                BigU64::schema(),
            )
            .required(),
            Key::new(
                "quick",
                BigU64::words(),
                "A smaller number of the same kind that a --quick run checks instead.",
                BigU64::schema(),
            ),
        ],
        rules: Vec::new(),
    }
}

fn run() -> Table {
    let param = |p: ParamName| {
        let mut key = Key::new(p.as_str(), p.words(), &one_line(p.help()), p.schema());
        key.default = p.default_words();
        key
    };
    Table {
        header: "`[run]`",
        def: "run",
        about: "How every case runs. strategy, executor and kernel set those parameters for every case (a sweep or a variant overrides them).".into(),
        keys: vec![
            param(ParamName::Strategy),
            param(ParamName::Executor),
            param(ParamName::Kernel),
            Key::new(
                "repeats",
                format!("a whole number from 1 to {MAX_REPEATS}"),
                "Timed runs per case. The median with its interval is what charts plot; the best of N stays in the tables.",
                bounded(1, MAX_REPEATS),
            )
            .default(DEFAULT_REPEATS.to_string()),
            Key::new(
                "warmup",
                format!("a whole number from 0 to {MAX_WARMUP}"),
                "Untimed runs before each timed run (interleaved and shuffled schedules) or before a case's repeats (blocked).",
                bounded(0, MAX_WARMUP),
            )
            .default(DEFAULT_WARMUP.to_string()),
            Key::new("seed", BigU64::words(), "Seeds every shuffle (job orders, shuffled rounds) and the bootstrap intervals.", BigU64::schema())
                .default(DEFAULT_SEED.to_string()),
            Key::new(
                "schedule",
                one_of(&variant_names::<Schedule>()),
                "The order of the timed runs: interleaved runs round r of every case before round r+1; shuffled does so in a new seeded order each round; blocked runs each case's repeats back to back.",
                names::<Schedule>(),
            )
            .default(Schedule::default().to_string()),
            Key::new(
                "spawn_local",
                format!("a whole number from 0 to {MAX_SPAWN_LOCAL}"),
                "executor = \"redis\": start this many local runner worker processes per case (--spawn-local overrides it).",
                bounded(0, MAX_SPAWN_LOCAL),
            ),
            Key::new(
                "trace",
                "true or false",
                "Record what every worker did in each timed repeat (tasks.csv, workers.csv, trace.json and the task columns of results.csv); --no-trace switches it off.",
                json!({"type": "boolean"}),
            )
            .default("true"),
        ],
        rules: Vec::new(),
    }
}

/// A table may give chunksize or nbr_chunks, not both.
fn chunks_once() -> Value {
    let both = [ParamName::Chunksize.as_str(), ParamName::NbrChunks.as_str()];
    json!({"not": {"required": both}})
}

fn sweep() -> Table {
    let mut keys: Vec<Key> = ParamName::ALL
        .iter()
        .map(|&p| {
            let mut key = Key::new(
                p.as_str(),
                format!("a list of: {}", p.words()),
                &one_line(p.help()),
                json!({"type": "array", "minItems": 1, "items": p.schema()}),
            );
            key.default = p.default_words();
            key
        })
        .collect();
    keys.push(Key::new(
        "params",
        "a table of lists",
        "command: your own parameters, swept like runner's (kept apart so that a typo in runner's keys is still an error).",
        json!({
            "type": "object",
            "propertyNames": {"pattern": OWN_NAME},
            "additionalProperties": {"type": "array", "minItems": 1, "items": scalar()},
        }),
    ));
    Table {
        header: "`[sweep]`",
        def: "sweep",
        about: "Lists of values: every combination is a case. The parameters are listed with their values under Parameters.".into(),
        keys,
        rules: vec![chunks_once()],
    }
}

fn variant() -> Table {
    let mut keys = vec![
        Key::new(
            "label",
            "one line of text",
            "Names the variant's cases in tables, charts and filters (`variant = \"...\"`).",
            text(Text::Label),
        )
        .required(),
    ];
    keys.extend(ParamName::ALL.iter().map(|&p| {
        let mut key = Key::new(p.as_str(), p.words(), &one_line(p.help()), p.schema());
        key.default = p.default_words();
        key
    }));
    let requirement = json!({
        "type": "string",
        "pattern": "^[A-Za-z0-9_./+-]+(:[A-Za-z0-9_][A-Za-z0-9_.]*)?$",
    });
    keys.push(Key::new(
        "params",
        "a table of strings, numbers or booleans",
        "command: values of your own parameters for this variant.",
        json!({"type": "object", "propertyNames": {"pattern": OWN_NAME}, "additionalProperties": scalar()}),
    ));
    keys.push(Key::new(
        "requires",
        "\"redis\", a program (\"pypy3\"), \"INTERPRETER:MODULE\" (\"python3:redis\"), or a list of them",
        "What the variant's cases need: without it they are skipped with a message, not failed.",
        json!({"oneOf": [requirement, {"type": "array", "items": requirement}]}),
    ));
    Table {
        header: "`[[variant]]`",
        def: "variant",
        about: "A labelled set of single values that override the sweep's, crossed with the sweep."
            .into(),
        keys,
        rules: vec![chunks_once()],
    }
}

fn chart() -> Table {
    let mut metrics: Vec<String> = METRICS.iter().map(|m| m.to_string()).collect();
    metrics.extend(WORKLOAD_METRICS.iter().map(|(m, _)| m.to_string()));
    let only: Vec<String> = WORKLOAD_METRICS
        .iter()
        .map(|(m, kind)| format!("{m} ({kind} only)"))
        .collect();
    Table {
        header: "`[[chart]]`",
        def: "chart",
        about: "A figure of the report, drawn from summary.csv.".into(),
        keys: vec![
            Key::new("kind", one_of(&variant_names::<ChartKind>()), "The kind of figure.", names::<ChartKind>()).default("line"),
            Key::new(
                "x",
                "a parameter the experiment varies",
                "The parameter along the x axis: one that takes two values or more (variant and number count too).",
                json!({"type": "string"}),
            )
            .required(),
            Key::new(
                "y",
                format!("{}; {}", METRICS.join(", "), only.join(", ")),
                "The measured value along the y axis.",
                json!({"enum": metrics}),
            )
            .default("best_s"),
            Key::new(
                "series",
                "a parameter the experiment varies",
                "One line (or bar colour) per value of this parameter.",
                json!({"type": "string"}),
            ),
            Key::new(
                "log_x",
                "true or false",
                "A log scale on x: only for quantities (workers, chunksize, ...), not names.",
                json!({"type": "boolean"}),
            )
            .default("false"),
            Key::new("log_y", "true or false", "A log scale on y.", json!({"type": "boolean"})).default("false"),
            Key::new("title", "one line of text", "The chart's title.", text(Text::Line)),
            Key::new(
                "filter",
                "a table: parameter = a value or a list",
                "Only the cases whose parameters take these values, as the CSV writes them; each must be a value some case has.",
                filter(0),
            ),
            Key::new(
                "formats",
                format!("a list of: {}", one_of(&variant_names::<ChartFormat>())),
                "The image files to write; svg adds chartN.svg, which scales without blurring, for documentation.",
                json!({"type": "array", "minItems": 1, "items": names::<ChartFormat>()}),
            )
            .default("[\"png\"]"),
        ],
        rules: Vec::new(),
    }
}

fn expect() -> Table {
    let is_within = json!({"properties": {"is": {"const": "within"}}, "required": ["is"]});
    Table {
        header: "`[[expect]]`",
        def: "expect",
        about: "A lesson of the book, as a relation between cases, judged on every run and redraw.".into(),
        keys: vec![
            Key::new("lesson", "one line of text", "The book's claim, with its figure: \"Fig. 9-4: ...\".", text(Text::Line)).required(),
            Key::new(
                "case",
                "a table: parameter = a value or a list",
                "The cases the lesson is about, picked by what the experiment varies (as a chart's filter).",
                filter(1),
            )
            .required(),
            Key::new(
                "is",
                one_of(&variant_names::<Relation>()),
                "How the cases compare with the than cases.",
                names::<Relation>(),
            )
            .required(),
            Key::new(
                "than",
                "a table: parameter = a value or a list",
                "The cases they are measured against; chunksize = \"default\" names the default chunks.",
                filter(1),
            )
            .required(),
            Key::new(
                "by_at_least",
                "a number of 1 or more",
                "slower or faster: by this factor at least (default: beyond the noise).",
                json!({"type": "number", "minimum": 1}),
            ),
            Key::new(
                "within_percent",
                "a number above 0 and below 100",
                "within: the ratio of the medians is within this many per cent of 1.",
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100}),
            ),
        ],
        rules: vec![json!({
            "if": is_within,
            "then": {"required": ["within_percent"], "properties": {"by_at_least": false}},
            "else": {"properties": {"within_percent": false}},
        })],
    }
}

/// Every table, in the order the reference lists them.
pub fn tables() -> Vec<Table> {
    vec![
        top(),
        workload(),
        number(),
        run(),
        sweep(),
        variant(),
        chart(),
        expect(),
    ]
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
