//! What each kind of value an experiment file holds may be written as: in
//! words, for error messages and the reference of keys, and as a JSON Schema
//! fragment, for editors. The parameter registry ([`super::params`]) asks
//! each parameter's type, so a new parameter of an existing type needs
//! nothing here.

use serde::Deserialize;
use serde_json::{Value, json};

use super::values::{
    BigU64, Capacity, ChunksizeSpec, Enqueue, Executor, FlagKind, Kernel, LoopStyle, Order,
    Positive, QueueHost, RangeSpec, Strategy, WorkersSpec, limits::MAX_WORKERS,
};

/// A type an experiment file writes a value of.
pub trait Written {
    /// What it takes, in words: `one of "given", "shuffled", ...`.
    fn words() -> String;
    /// Its JSON Schema (draft 2020-12), as the TOML value maps to JSON.
    fn schema() -> Value;
}

/// The names serde accepts for an enum, found by asking it to read a word
/// no variant has: its message lists them all.
pub fn variant_names<'de, T: Deserialize<'de>>() -> Vec<String> {
    let probe = serde_json::from_str::<T>("\"\\u0000\"");
    let message = probe.err().map(|e| e.to_string()).unwrap_or_default();
    message
        .split('`')
        .skip(3)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// `one of "a", "b"` for a list of names.
pub fn one_of(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("one of {}", quoted.join(", "))
}

/// A whole number written as digits in a string (with `_` allowed), as
/// runner reads numbers beyond TOML's integers.
fn digits() -> Value {
    json!({"type": "string", "pattern": "^[0-9][0-9_]*$"})
}

macro_rules! written_as_names {
    ($($ty:ty),*) => {$(
        impl Written for $ty {
            fn words() -> String {
                one_of(&variant_names::<$ty>())
            }
            fn schema() -> Value {
                json!({"enum": variant_names::<$ty>()})
            }
        }
    )*};
}
written_as_names!(
    Strategy, Executor, Kernel, Order, FlagKind, LoopStyle, Enqueue, QueueHost
);

impl Written for WorkersSpec {
    fn words() -> String {
        format!("a count from 1 to {MAX_WORKERS}, \"physical\" or \"logical\"")
    }
    fn schema() -> Value {
        json!({"oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_WORKERS},
            {"enum": ["physical", "logical"]},
            digits(),
        ]})
    }
}

impl Written for ChunksizeSpec {
    fn words() -> String {
        "a count of 1 or more, or \"default\"".into()
    }
    fn schema() -> Value {
        json!({"oneOf": [
            {"type": "integer", "minimum": 1},
            {"const": "default"},
            digits(),
        ]})
    }
}

impl Written for Capacity {
    fn words() -> String {
        "a count of 1 or more, or \"unbounded\"".into()
    }
    fn schema() -> Value {
        json!({"oneOf": [
            {"type": "integer", "minimum": 1},
            {"const": "unbounded"},
            digits(),
        ]})
    }
}

impl Written for Positive {
    fn words() -> String {
        "a whole number of 1 or more".into()
    }
    fn schema() -> Value {
        json!({"oneOf": [{"type": "integer", "minimum": 1}, digits()]})
    }
}

impl Written for BigU64 {
    fn words() -> String {
        "a whole number (as a string of digits above 9223372036854775807)".into()
    }
    fn schema() -> Value {
        json!({"oneOf": [{"type": "integer", "minimum": 0}, digits()]})
    }
}

impl Written for RangeSpec {
    fn words() -> String {
        "[start, end] (end excluded) or a book name \"A\" to \"E\"".into()
    }
    fn schema() -> Value {
        json!({"oneOf": [
            {"enum": ["A", "B", "C", "D", "E"]},
            {"type": "array", "items": BigU64::schema(), "minItems": 2, "maxItems": 2},
        ]})
    }
}
