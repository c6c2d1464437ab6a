//! The tables of an experiment file and their keys, as the JSON Schema and
//! the key reference describe them (see the parent module for why by hand).

use serde_json::{Map, Value, json};

use super::{
    DEFAULT_REPEATS, DEFAULT_SEED, DEFAULT_WARMUP, Key, MAX_SPAWN_LOCAL, OWN_NAME, Table, Text,
    WORKLOAD_METRICS, bounded, filter, kinds, names, one_line, scalar, text,
};
use crate::experiment::chart::METRICS;
use crate::experiment::command::{DEFAULT_TIMEOUT_S, MAX_SECONDS};
use crate::experiment::expect::Relation;
use crate::experiment::params::ParamName;
use crate::experiment::schema::{ChartFormat, ChartKind};
use crate::experiment::values::limits::{MAX_REPEATS, MAX_WARMUP};
use crate::experiment::values::{AnswerKind, BigU64, ClockKind, Positive, Schedule, WorkloadKind};
use crate::experiment::written::{Written, one_of, variant_names};

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

pub(super) fn run() -> Table {
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

pub(super) fn chart() -> Table {
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
                "The measured value along the y axis. Times (best_s, median_s) are drawn as each case's median with its 95% interval and its best repeat as a tick.",
                json!({"enum": metrics}),
            )
            .default("median_s"),
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
