//! A case as named cells, and how every row of runner's CSV files is
//! declared once.
//!
//! [`columns!`] declares a flat serde struct, one field per column, and from
//! the same field list its header (`COLUMNS`) and its cells by column name
//! (`get`), for the columns a user names (a chart's axis, a filter, a
//! command's `{placeholder}`, `compare --on`). Code reads the fields; a
//! renamed field is a compile error, not a chart left silently empty.
//!
//! [`CaseColumns`] are the columns that describe a case, first in both
//! results.csv and summary.csv; they belong to the model, since a command's
//! placeholders are checked against them before anything runs. The rows of
//! each file put a case's columns and the file's own side by side
//! (`record::rows`), written in that order and read back from the same
//! record: csv can write nested structs but not name their columns, so the
//! structs stay flat and the header is written from their `COLUMNS`.
//!
//! Every cell is typed; a cell a row has no value for is `None` and written
//! empty. Numbers with decimals are written with a fixed count of them
//! ([`Fixed`]), so that they read back as the number that was written.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::case::{Case, ChunkRule, Chunking, Input};
use super::values::{
    Capacity, Enqueue, Executor, FlagKind, Kernel, LoopStyle, Order, QueueHost, Strategy,
};

/// What a cell reads as: its text, as the file holds it, and whether its
/// column holds words rather than numbers.
pub trait Cell {
    /// Whether the column holds words (left-aligned in a table), not numbers.
    const WORDS: bool;

    /// The cell's text as the file holds it; empty for no value.
    fn text(&self) -> String;

    /// The cell as a number, if it reads as one.
    fn number(&self) -> Option<f64> {
        self.text().parse().ok()
    }
}

impl<T: Cell> Cell for Option<T> {
    const WORDS: bool = T::WORDS;

    fn text(&self) -> String {
        self.as_ref().map(Cell::text).unwrap_or_default()
    }

    fn number(&self) -> Option<f64> {
        self.as_ref().and_then(Cell::number)
    }
}

/// A row of a CSV file, declared with [`columns!`]: its columns and its
/// cells by column name, for code generic over rows.
pub trait Columns {
    /// The columns, in the file's order.
    const COLUMNS: &'static [&'static str];

    /// The cell of the column `column` as the file holds it, if the row
    /// has that column.
    fn get(&self, column: &str) -> Option<String>;

    /// The cell of the column `column` as a number, if it is one.
    fn number(&self, column: &str) -> Option<f64>;

    /// Whether `text` reads as a cell of the column `column`, else why not
    /// (none if the row has no such column).
    fn read_cell(column: &str, text: &str) -> Option<Result<(), String>>;
}

/// Whether `text` reads as a cell of type `T`, else why not: "is not a
/// number", "is not true or false", or what serde says.
pub fn read_cell<T: de::DeserializeOwned>(text: &str) -> Result<(), String> {
    use csv::DeserializeErrorKind as Kind;
    let record = csv::StringRecord::from(vec![text]);
    let Err(e) = record.deserialize::<T>(None) else {
        return Ok(());
    };
    let why = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.kind() {
            Kind::ParseInt(_) | Kind::ParseFloat(_) => NOT_A_NUMBER.to_string(),
            Kind::ParseBool(_) => "is not true or false".to_string(),
            Kind::Message(m) if m == NOT_A_NUMBER => m.clone(),
            other => format!("cannot be read: {other}"),
        },
        other => format!("cannot be read: {other:?}"),
    };
    Err(why)
}

/// Why a cell is not a number.
const NOT_A_NUMBER: &str = "is not a number";

/// Cells whose text is their `Display`.
macro_rules! display_cells {
    ($words:literal: $($ty:ty),+) => {$(
        impl Cell for $ty {
            const WORDS: bool = $words;

            fn text(&self) -> String {
                self.to_string()
            }
        }
    )+};
}

display_cells!(false: u32, u64, usize, Capacity);
display_cells!(true: String, bool, Strategy, Executor, Kernel, Order, FlagKind, LoopStyle, Enqueue, QueueHost, ChunkRule);

/// A number as every file writes it, so that it reads back as one: fixed
/// `decimals`; beyond 1e15, where fixed digits would run to hundreds and
/// say nothing, in exponent form ("1e300"); -0 as 0; and nothing at all
/// for infinity or NaN, which no file holds (issue 20 item 7).
pub fn number_cell(v: f64, decimals: usize) -> String {
    match v {
        v if !v.is_finite() => String::new(),
        v if v.abs() >= 1e15 => format!("{v:e}"),
        // -0 would read back, but as a time it says nothing a 0 does not.
        0.0 => format!("{:.decimals$}", 0.0),
        v => format!("{v:.decimals$}"),
    }
}

/// Seconds with nanosecond resolution, the clock's own (see [`number_cell`]).
pub fn seconds_cell(s: f64) -> String {
    number_cell(s, 9)
}

/// A number written with `D` decimals (see [`number_cell`]); it reads back
/// only as a finite number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Fixed<const D: usize>(pub f64);

/// Seconds, to the nanosecond.
pub type Seconds = Fixed<9>;

/// A ratio (a speedup, an efficiency), to four decimals.
pub type Ratio = Fixed<4>;

impl<const D: usize> From<Fixed<D>> for f64 {
    fn from(cell: Fixed<D>) -> f64 {
        cell.0
    }
}

impl<const D: usize> Cell for Fixed<D> {
    const WORDS: bool = false;

    fn text(&self) -> String {
        number_cell(self.0, D)
    }

    fn number(&self) -> Option<f64> {
        Some(self.0)
    }
}

impl<const D: usize> Serialize for Fixed<D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de, const D: usize> Deserialize<'de> for Fixed<D> {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let text = String::deserialize(d)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Fixed(v)),
            _ => Err(de::Error::custom(NOT_A_NUMBER)),
        }
    }
}

/// Declares a row of a CSV file: a flat serde struct, one field per column
/// in the file's order, with its header `COLUMNS` and `get(column)`, a
/// cell's text by column name. A field written `pub field as "key": Type`
/// has the column `key` (for names Rust keeps for itself, as `loop`).
///
/// With `, enum Column` after the struct's name and `Variant =>` before
/// each field, it also declares `Column`, the columns as an enum (`ALL`,
/// `as_str`, `from_name`, `holds_words`), and the struct's `cell(Column)`:
/// for code that picks columns of its own, so a list of them is checked
/// by the compiler.
macro_rules! columns {
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (
        $(#[$meta:meta])*
        pub struct $name:ident, enum $column:ident {
            $(
                $(#[$fmeta:meta])*
                $variant:ident => pub $field:ident $(as $key:literal)? : $ty:ty,
            )*
        }
    ) => {
        $crate::experiment::columns::columns! {
            $(#[$meta])*
            pub struct $name {
                $( $(#[$fmeta])* pub $field $(as $key)? : $ty, )*
            }
        }

        #[doc = concat!("A column of [`", stringify!($name), "`], named in code.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $column {
            $(
                #[doc = concat!("The `", $crate::experiment::columns::columns!(@key $field $($key)?), "` column.")]
                $variant,
            )*
        }

        impl $column {
            /// Every column, in the file's order.
            pub const ALL: &'static [$column] = &[$($column::$variant),*];

            /// The column's name, its header in the file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($column::$variant => $crate::experiment::columns::columns!(@key $field $($key)?),)*
                }
            }

            /// The column named `name`, if there is one.
            pub fn from_name(name: &str) -> Option<$column> {
                Self::ALL.iter().copied().find(|c| c.as_str() == name)
            }

            /// Whether the column holds words rather than numbers.
            pub fn holds_words(self) -> bool {
                match self {
                    $($column::$variant => <$ty as $crate::experiment::columns::Cell>::WORDS,)*
                }
            }
        }

        impl $name {
            /// The cell of `column`, as the file holds it.
            pub fn cell(&self, column: $column) -> String {
                match column {
                    $($column::$variant => $crate::experiment::columns::Cell::text(&self.$field),)*
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident $(as $key:literal)? : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                $(#[serde(rename = $key)])?
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The columns, in the file's order.
            pub const COLUMNS: &'static [&'static str] =
                &[$($crate::experiment::columns::columns!(@key $field $($key)?)),*];

            /// The cell of the column `column` as the file holds it, if the
            /// row has that column.
            pub fn get(&self, column: &str) -> Option<String> {
                $(
                    if column == $crate::experiment::columns::columns!(@key $field $($key)?) {
                        return Some($crate::experiment::columns::Cell::text(&self.$field));
                    }
                )*
                None
            }

            /// The cell of the column `column` as a number, if it is one.
            pub fn number(&self, column: &str) -> Option<f64> {
                $(
                    if column == $crate::experiment::columns::columns!(@key $field $($key)?) {
                        return $crate::experiment::columns::Cell::number(&self.$field);
                    }
                )*
                None
            }

            /// Whether the column `column` holds words rather than numbers
            /// (none if the row has no such column).
            pub fn holds_words(column: &str) -> Option<bool> {
                $(
                    if column == $crate::experiment::columns::columns!(@key $field $($key)?) {
                        return Some(<$ty as $crate::experiment::columns::Cell>::WORDS);
                    }
                )*
                None
            }

            /// Whether `text` reads as a cell of the column `column`, else
            /// why not (none if the row has no such column).
            pub fn read_cell(column: &str, text: &str) -> Option<Result<(), String>> {
                $(
                    if column == $crate::experiment::columns::columns!(@key $field $($key)?) {
                        return Some($crate::experiment::columns::read_cell::<$ty>(text));
                    }
                )*
                None
            }
        }

        impl $crate::experiment::columns::Columns for $name {
            const COLUMNS: &'static [&'static str] = $name::COLUMNS;

            fn get(&self, column: &str) -> Option<String> {
                $name::get(self, column)
            }

            fn number(&self, column: &str) -> Option<f64> {
                $name::number(self, column)
            }

            fn read_cell(column: &str, text: &str) -> Option<Result<(), String>> {
                $name::read_cell(column, text)
            }
        }
    };
}

pub(crate) use columns;

columns! {
    /// The columns that describe a case, first in both results.csv and
    /// summary.csv: what it is, then the parameters its strategy and input
    /// use (the others are empty).
    pub struct CaseColumns, enum CaseColumn {
        /// The experiment's name.
        Experiment => pub experiment: String,
        /// The case's place in the plan (1-based).
        Case => pub case: usize,
        /// The variant's label, or empty.
        Variant => pub variant: String,
        Strategy => pub strategy: Strategy,
        /// Where the workers run, for strategies whose workers a backend starts.
        Executor => pub executor: Option<Executor>,
        Kernel => pub kernel: Kernel,
        /// Workers (1 for serial), as resolved on the machine that ran.
        Workers => pub workers: usize,
        /// Numbers per task, for strategies that hand out chunks.
        Chunksize => pub chunksize: Option<u64>,
        /// How the chunk size was chosen.
        ChunkRule => pub chunk_rule: Option<ChunkRule>,
        /// The number of chunks asked for, where it sized them.
        NbrChunks => pub nbr_chunks: Option<u64>,
        /// How many tasks the range makes.
        Tasks => pub tasks: Option<u64>,
        Order => pub order: Option<Order>,
        /// The shuffle's seed, for shuffled cases.
        Seed => pub seed: Option<u64>,
        RangeStart => pub range_start: Option<u64>,
        RangeEnd => pub range_end: Option<u64>,
        /// The name of the number a case verifies.
        NumberName => pub number_name: Option<String>,
        Number => pub number: Option<u64>,
        Precheck => pub precheck: Option<u64>,
        Flag => pub flag: Option<FlagKind>,
        Loop => pub loop_style as "loop": Option<LoopStyle>,
        CheckEvery => pub check_every: Option<u64>,
        Enqueue => pub enqueue: Option<Enqueue>,
        Capacity => pub capacity: Option<Capacity>,
        QueueHost => pub queue_host: Option<QueueHost>,
        /// The step of a check_cost range.
        Step => pub step: Option<u64>,
    }
}

/// The names of the case's columns, first in both CSV files.
pub const CASE_COLUMNS: &[&str] = CaseColumns::COLUMNS;

/// The user's own parameters of a command workload, by name, in the order
/// the experiment declares them: the last columns of both files.
pub type Params = Vec<(String, String)>;

impl CaseColumns {
    /// The columns of `case` of the experiment `experiment`.
    pub fn of(experiment: &str, case: &Case) -> CaseColumns {
        let range = case.range();
        let number = match &case.input {
            Input::Number(n) => Some(n),
            _ => None,
        };
        let shared = case.cooperation;
        let queue = case.queue;
        CaseColumns {
            experiment: experiment.to_string(),
            case: case.number,
            variant: case.variant.clone(),
            strategy: case.strategy,
            executor: case.executor,
            kernel: case.kernel,
            workers: case.workers,
            chunksize: case.chunks.map(|c| c.size),
            chunk_rule: case.chunks.map(|c| ChunkRule::of(c.rule)),
            nbr_chunks: case.chunks.and_then(|c| match c.rule {
                Chunking::NbrChunks(k) => Some(k),
                _ => None,
            }),
            tasks: case.chunks.zip(range).map(|(c, r)| c.tasks(r.len())),
            order: case.order,
            seed: case.seed,
            range_start: range.map(|r| r.start),
            range_end: range.map(|r| r.end),
            number_name: number.map(|n| n.name.clone()),
            number: number.map(|n| n.value),
            precheck: shared.map(|c| c.precheck),
            flag: shared.map(|c| c.flag),
            loop_style: shared.and_then(|c| c.loop_style),
            check_every: shared.and_then(|c| c.check_every),
            enqueue: queue.map(|q| q.enqueue),
            capacity: queue.map(|q| q.capacity),
            queue_host: queue.and_then(|q| q.host),
            step: match case.input {
                Input::Stepped { step, .. } => Some(step),
                _ => None,
            },
        }
    }
}

/// A row that names a case: its columns and a command's own parameters
/// (a summary's row, or a planned case's).
pub trait CaseRow {
    /// The case's columns.
    fn columns(&self) -> &CaseColumns;

    /// A command's own parameters, by name.
    fn params(&self) -> &[(String, String)];

    /// The cell of the case's column or parameter `name`, as the file holds
    /// it; a parameter first, as the file's later column.
    fn cell(&self, name: &str) -> String {
        match self.params().iter().find(|(k, _)| k == name) {
            Some((_, value)) => value.clone(),
            None => self.columns().get(name).unwrap_or_default(),
        }
    }
}

/// A planned case's row, before it ran.
impl CaseRow for (CaseColumns, Params) {
    fn columns(&self) -> &CaseColumns {
        &self.0
    }

    fn params(&self) -> &[(String, String)] {
        &self.1
    }
}

/// The values of the user's parameters `names` for `case` (empty where the
/// case has none), in the order of `names`.
pub fn params_of(names: &[String], case: &Case) -> Params {
    names
        .iter()
        .map(|name| {
            let value = case.params.iter().find(|(k, _)| k == name);
            (
                name.clone(),
                value.map(|(_, v)| v.clone()).unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_cells_read_back_as_numbers() {
        assert_eq!(number_cell(1.5, 4), "1.5000");
        assert_eq!(number_cell(-0.0, 9), "0.000000000");
        assert_eq!(number_cell(1e300, 9), "1e300");
        assert_eq!(number_cell(1e-300, 9), "0.000000000");
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(number_cell(v, 4), "");
        }
        for text in ["0.012345678", "1e300", "-3.5000", "0.000000000"] {
            let cell: Seconds = serde_json::from_value(text.into()).unwrap();
            assert_eq!(cell.0, text.parse::<f64>().unwrap());
        }
        for text in ["inf", "NaN", "fast", ""] {
            assert!(serde_json::from_value::<Seconds>(text.into()).is_err());
        }
    }

    /// A column's name is the field's, or the one it is given; every case
    /// column is a parameter's, or says what the case is.
    #[test]
    fn the_columns_are_named_once() {
        use super::super::ParamName;
        assert_eq!(CaseColumn::Loop.as_str(), ParamName::Loop.as_str());
        let check_every = ParamName::CheckEvery.as_str();
        assert_eq!(
            CaseColumn::from_name(check_every),
            Some(CaseColumn::CheckEvery)
        );
        assert_eq!(
            CaseColumn::ALL
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            CASE_COLUMNS
        );
        for &p in super::super::ParamName::ALL {
            let named = CaseColumn::from_name(p.as_str());
            let range = p == super::super::ParamName::Range;
            assert!(named.is_some() || range, "{p:?} has no column");
        }
        assert!(CaseColumn::Strategy.holds_words() && !CaseColumn::Capacity.holds_words());
    }
}
