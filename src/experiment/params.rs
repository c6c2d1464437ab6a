//! The parameter registry: every parameter an experiment can sweep or set in
//! a `[[variant]]`, declared once, as ripgrep declares each flag once.
//!
//! One entry says everything about a parameter that is not the code using
//! it: its key in the file (which is also its CSV column and its name in
//! charts, filters and lessons), the type written in the file, the value it
//! becomes, its default, the workloads that read it, whether it is a
//! quantity (a chart may put it on a log axis) and its help text. From the
//! entries come:
//!
//! - [`ParamName`] (with [`ParamName::ALL`], the key, the help, the fit to a
//!   workload) and [`ParamValue`];
//! - [`Setting`], one field per parameter with its default, and
//!   [`Setting::apply`] and [`Setting::value_of`];
//! - [`SweepSpec`] and [`VariantSpec`], the `[sweep]` and `[[variant]]`
//!   tables as serde reads them, and the lists of values they hold.
//!
//! A declarative macro rather than a table of structs: the entries must
//! become struct fields and enum variants of their own types (the schema is
//! read by serde with spans, which `#[serde(flatten)]` cannot combine with
//! `deny_unknown_fields`), and only a macro writes those.
//!
//! Adding a parameter: one entry here, the field in [`super::case::Case`]
//! that carries it to the code that uses it, and that code.

use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::values::{
    AnswerKind, BigU64, Capacity, ChunksizeSpec, ClockKind, Enqueue, Executor, FlagKind, Kernel,
    List, LoopStyle, OneOrMany, Order, ParamListsSpec, ParamsSpec, Positive, QueueHost, RangeSpec,
    Requirement, Schedule, Strategy, WorkersSpec, WorkloadKind,
};
use super::written::{Written, one_of, variant_names};
use crate::primes::NumRange;

/// Declares the parameters; see the module documentation.
///
/// Each entry: doc lines (the help text), then
/// `Name field "key": Written => Value = lift; setting Type = default;`
/// optionally `apply |setting, value| ...; get |setting| ...;` (where the
/// setting's field is not simply the value), then `fits [workloads];` and
/// `quantity bool;`.
macro_rules! parameters {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident $field:ident $key:literal : $written:ty => $value:ty = $lift:expr;
        setting $setting:ty = $default:expr;
        $(apply $apply:expr; get $get:expr;)?
        fits [$($kind:ident),+];
        quantity $quantity:literal;
    )+) => {
        /// A parameter that can be swept or set by a variant, in expansion
        /// order: the first named varies slowest.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ParamName {
            $($(#[doc = $doc])+ $name,)+
        }

        impl ParamName {
            /// Every parameter, in expansion order.
            pub const ALL: &'static [ParamName] = &[$(ParamName::$name),+];

            /// The key in the experiment file, and the column in the CSV.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ParamName::$name => $key,)+
                }
            }

            /// The parameter whose key is `key`.
            pub fn from_key(key: &str) -> Option<ParamName> {
                Self::ALL.iter().copied().find(|p| p.as_str() == key)
            }

            /// What the parameter means, for the reference and `--help`.
            pub fn help(self) -> &'static str {
                match self {
                    $(ParamName::$name => concat!($($doc, "\n"),+),)+
                }
            }

            /// What a value of it may be, in words.
            pub fn words(self) -> String {
                match self {
                    $(ParamName::$name => <$written as Written>::words(),)+
                }
            }

            /// The JSON Schema of one of its values.
            pub fn schema(self) -> serde_json::Value {
                match self {
                    $(ParamName::$name => <$written as Written>::schema(),)+
                }
            }

            /// Whether a workload of `kind` reads it.
            pub fn fits(self, kind: WorkloadKind) -> bool {
                match self {
                    $(ParamName::$name => matches!(kind, $(WorkloadKind::$kind)|+),)+
                }
            }

            /// Whether its values are quantities (a count), not names: a
            /// chart may draw them on a log axis.
            pub fn is_quantity(self) -> bool {
                match self {
                    $(ParamName::$name => $quantity,)+
                }
            }

            /// Its default, in the words of the file (`None`: no default).
            pub fn default_words(self) -> Option<String> {
                Setting::default().value_of(self).map(|v| v.to_string())
            }
        }

        /// One value of one parameter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ParamValue {
            $($name($value),)+
        }

        impl ParamValue {
            /// Which parameter this is a value of.
            pub fn name(&self) -> ParamName {
                match self {
                    $(ParamValue::$name(_) => ParamName::$name,)+
                }
            }
        }

        impl fmt::Display for ParamValue {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(ParamValue::$name(v) => write!(f, "{v}"),)+
                }
            }
        }

        /// Every parameter of a case before resolution: the defaults
        /// overridden by `[run]`, then the sweep, then the variant.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct Setting {
            $($(#[doc = $doc])+ pub $field: $setting,)+
        }

        impl Default for Setting {
            fn default() -> Self {
                Setting { $($field: $default,)+ }
            }
        }

        impl Setting {
            /// Sets one parameter.
            pub fn apply(&mut self, value: ParamValue) {
                match value {
                    $(ParamValue::$name(v) => parameters!(@apply self, v, $field $(, $apply)?),)+
                }
            }

            /// The value this setting gives `name` (`None`: unset, as a
            /// range no file gave).
            pub fn value_of(&self, name: ParamName) -> Option<ParamValue> {
                match name {
                    $(ParamName::$name => parameters!(@get self, $name, $field $(, $get)?),)+
                }
            }
        }

        /// `[sweep]`: lists of values; every combination becomes a case.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SweepSpec {
            $(#[serde(rename = $key)] pub $field: Option<List<$written>>,)+
            /// For `command`: the user's own parameters, swept like runner's.
            pub params: Option<ParamListsSpec>,
        }

        impl SweepSpec {
            /// The lists as written, in expansion order, each value lifted
            /// to its parameter's value and kept with its position.
            pub fn lists(&mut self) -> Vec<(ParamName, Spanned<Vec<Spanned<ParamValue>>>)> {
                let mut lists = Vec::new();
                $(if let Some(list) = self.$field.take() {
                    let span = list.span();
                    let values = list
                        .into_inner()
                        .into_iter()
                        .map(|v| {
                            let span = v.span();
                            let lift: fn($written) -> $value = $lift;
                            Spanned::new(span, ParamValue::$name(lift(v.into_inner())))
                        })
                        .collect();
                    lists.push((ParamName::$name, Spanned::new(span, values)));
                })+
                lists
            }
        }

        /// `[[variant]]`: a labelled set of single values that override the
        /// sweep.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct VariantSpec {
            pub label: Option<Spanned<String>>,
            $(#[serde(rename = $key)] pub $field: Option<Spanned<$written>>,)+
            /// For `command`: the user's own parameters.
            pub params: Option<ParamsSpec>,
            /// What the variant needs (one, or a list); without it its cases
            /// are skipped, not failed.
            pub requires: Option<OneOrMany<Requirement>>,
        }

        impl VariantSpec {
            /// The values the variant sets, in expansion order, each kept
            /// with its position.
            pub fn values(&mut self) -> Vec<Spanned<ParamValue>> {
                let mut values = Vec::new();
                $(if let Some(v) = self.$field.take() {
                    let span = v.span();
                    let lift: fn($written) -> $value = $lift;
                    values.push(Spanned::new(span, ParamValue::$name(lift(v.into_inner()))));
                })+
                values
            }
        }
    };
    (@apply $s:ident, $v:ident, $field:ident) => { $s.$field = $v };
    (@apply $s:ident, $v:ident, $field:ident, $apply:expr) => {{
        let apply: fn(&mut Setting, _) = $apply;
        apply($s, $v)
    }};
    (@get $s:ident, $name:ident, $field:ident) => { Some(ParamValue::$name($s.$field)) };
    (@get $s:ident, $name:ident, $field:ident, $get:expr) => {{
        let get: fn(&Setting) -> Option<ParamValue> = $get;
        get($s)
    }};
}

/// The book's SERIAL_CHECK_CUTOFF: candidates below it are tried serially.
pub const DEFAULT_PRECHECK: u64 = 21;
/// The book's CHECK_EVERY: candidates between two looks at the flag.
pub const DEFAULT_CHECK_EVERY: u64 = 1_000;

parameters! {
    /// The numbers to search: `[start, end]` (the end excluded) or one of
    /// the book's ranges "A" to "E". Written in `[workload]`, or swept.
    Range range "range": RangeSpec => NumRange = |r| r.0;
    setting Option<NumRange> = None;
    apply |s, r| s.range = Some(r); get |s| s.range.map(ParamValue::Range);
    fits [Primes, CheckCost, FactorFrequency, Command];
    quantity false;

    /// How the work is spread: `serial` (the caller's thread), `pool`
    /// (chunks from one task queue, as `Pool.map`), `stealing` (rayon),
    /// `queue` and `feeder` (single numbers and poison pills),
    /// `cooperative` (workers split one number's divisors).
    Strategy strategy "strategy": Strategy => Strategy = |s| s;
    setting Strategy = Strategy::Serial;
    fits [Primes, Verify, CheckCost, FactorFrequency, Command];
    quantity false;

    /// Where the workers run: `threads` of runner's process, worker
    /// `processes` reached through pipes, or `redis`: `runner worker`
    /// processes on any host, through Redis Streams.
    Executor executor "executor": Executor => Executor = |e| e;
    setting Executor = Executor::Threads;
    fits [Primes, Verify, FactorFrequency, Command];
    quantity false;

    /// The divisibility test: `plain` (one division per candidate), `fast`
    /// (a multiply by a precomputed inverse) or `simd` (a block of
    /// candidates per vector instruction).
    Kernel kernel "kernel": Kernel => Kernel = |k| k;
    setting Kernel = Kernel::Fast;
    fits [Primes, Verify, CheckCost, FactorFrequency, Command];
    quantity false;

    /// How many workers: a count, or "physical" (one per core) or
    /// "logical" (one per hardware thread), counted on the machine that runs.
    Workers workers "workers": WorkersSpec => WorkersSpec = |w| w;
    setting WorkersSpec = WorkersSpec::Physical;
    fits [Primes, Verify, FactorFrequency, Command];
    quantity true;

    /// Numbers per task of a pool: a count, or "default" (Python's rule,
    /// ceil(numbers / (4 x workers))).
    Chunksize chunksize "chunksize": ChunksizeSpec => ChunksizeSpec = |c| c;
    setting ChunksizeSpec = ChunksizeSpec::Default;
    apply |s, c| { s.chunksize = c; s.nbr_chunks = None; };
    get |s| Some(ParamValue::Chunksize(s.chunksize));
    fits [Primes, FactorFrequency, Command];
    quantity true;

    /// The chunks of a pool by their number: chunksize = int(numbers /
    /// nbr_chunks), truncated as the book does.
    NbrChunks nbr_chunks "nbr_chunks": Positive => u64 = |n| n.0;
    setting Option<u64> = None;
    apply |s, n| s.nbr_chunks = Some(n); get |s| s.nbr_chunks.map(ParamValue::NbrChunks);
    fits [Primes, FactorFrequency, Command];
    quantity true;

    /// The order the numbers are handed out: `given`, `shuffled` (once per
    /// case, with the seed), `slowest_first` or `fastest_first` (by the
    /// cost estimated before the search).
    Order order "order": Order => Order = |o| o;
    setting Order = Order::Given;
    fits [Primes, FactorFrequency, Command];
    quantity false;

    /// Candidates below this are tried in the caller before the search is
    /// split (the book's SERIAL_CHECK_CUTOFF, 21); 0 splits from 3.
    Precheck precheck "precheck": BigU64 => u64 = |p| p.0;
    setting u64 = DEFAULT_PRECHECK;
    fits [Verify, Command];
    quantity true;

    /// The shared early-exit flag of a cooperative search: `none`,
    /// `atomic` (the book's RawValue), `mutex`, `manager` (the book's
    /// Manager), `mmap` or `redis`.
    Flag flag "flag": FlagKind => FlagKind = |k| k;
    setting FlagKind = FlagKind::None;
    fits [Verify, Command];
    quantity false;

    /// How a worker finds time to look at the flag: `counter`,
    /// `lookahead` or `blocked` (the book's "mmap redux").
    Loop loop_style "loop": LoopStyle => LoopStyle = |l| l;
    setting LoopStyle = LoopStyle::Counter;
    fits [Verify, Command];
    quantity false;

    /// Candidates a worker tries between two looks at the flag (the
    /// book's CHECK_EVERY, 1000).
    CheckEvery check_every "check_every": Positive => u64 = |n| n.0;
    setting u64 = DEFAULT_CHECK_EVERY;
    fits [Verify, Command];
    quantity true;

    /// Which numbers a queue carries: `all`, or `odd` (2 is added by the
    /// caller).
    Enqueue enqueue "enqueue": Enqueue => Enqueue = |e| e;
    setting Enqueue = Enqueue::All;
    fits [Primes, Command];
    quantity false;

    /// How many items a work queue holds before the sender waits: a count,
    /// or "unbounded".
    Capacity capacity "capacity": Capacity => Capacity = |c| c;
    setting Capacity = Capacity::Unbounded;
    fits [Primes, Command];
    quantity true;

    /// Where worker processes' shared queue lives: `direct` (a pipe, as
    /// `multiprocessing.Queue`) or `manager` (a manager process, as
    /// `Manager().Queue()`).
    QueueHost queue_host "queue_host": QueueHost => QueueHost = |h| h;
    setting QueueHost = QueueHost::Direct;
    fits [Primes, Command];
    quantity false;
}

/// The words a key takes, for messages: `one of "given", "shuffled", ...`.
pub fn allowed_words(key: &str) -> Option<String> {
    if let Some(param) = ParamName::from_key(key) {
        return Some(param.words());
    }
    let words = match key {
        "requires" => return Some("\"redis\", a program (\"pypy3\") or an interpreter and a module (\"python3:redis\")".into()),
        "clock" => variant_names::<ClockKind>(),
        "answer" => variant_names::<AnswerKind>(),
        "schedule" => variant_names::<Schedule>(),
        "kind" => return Some("a workload (\"primes\", \"verify\", \"check_cost\", \"factor_frequency\", \"command\") or a chart kind (\"line\", \"scatter\", \"bars\", \"hbars\")".into()),
        _ => return None,
    };
    (!words.is_empty()).then(|| one_of(&words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_is_declared_whole() {
        let mut keys = std::collections::BTreeSet::new();
        for &p in ParamName::ALL {
            assert!(keys.insert(p.as_str()), "{p:?}: a key used twice");
            assert_eq!(ParamName::from_key(p.as_str()), Some(p));
            assert!(p.help().trim().len() > 20, "{p:?} has no help");
            assert!(!p.words().is_empty(), "{p:?}");
            assert!(p.schema().is_object(), "{p:?}");
            let kinds = [
                WorkloadKind::Primes,
                WorkloadKind::Verify,
                WorkloadKind::CheckCost,
                WorkloadKind::FactorFrequency,
                WorkloadKind::Command,
            ];
            assert!(kinds.iter().any(|&k| p.fits(k)), "{p:?} fits nothing");
            // A program may read every parameter.
            assert!(p.fits(WorkloadKind::Command), "{p:?}");
        }
    }

    #[test]
    fn the_defaults_are_the_books() {
        let words = |p: ParamName| p.default_words();
        assert_eq!(words(ParamName::Range), None, "no range without a file");
        assert_eq!(
            words(ParamName::NbrChunks),
            None,
            "chunks sized by chunksize"
        );
        assert_eq!(words(ParamName::Chunksize).as_deref(), Some("default"));
        assert_eq!(words(ParamName::Precheck).as_deref(), Some("21"));
        assert_eq!(words(ParamName::CheckEvery).as_deref(), Some("1000"));
        assert_eq!(words(ParamName::Workers).as_deref(), Some("physical"));
    }

    #[test]
    fn the_last_way_to_size_chunks_wins() {
        let mut s = Setting::default();
        s.apply(ParamValue::NbrChunks(4));
        assert_eq!(
            s.value_of(ParamName::NbrChunks),
            Some(ParamValue::NbrChunks(4))
        );
        s.apply(ParamValue::Chunksize(ChunksizeSpec::Size(10)));
        assert_eq!(s.value_of(ParamName::NbrChunks), None);
        assert_eq!(
            s.value_of(ParamName::Chunksize),
            Some(ParamValue::Chunksize(ChunksizeSpec::Size(10)))
        );
    }
}
