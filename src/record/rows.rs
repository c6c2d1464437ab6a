//! The rows of results.csv and summary.csv, typed: a case's columns
//! ([`CaseColumns`]), the file's own ([`Repeat`], [`Summary`]), then a
//! command's own parameters. Each part is one flat serde struct declared
//! once with [`columns!`]; a file's header is their `COLUMNS` in that
//! order, written by [`header`], and a row is written as the parts side by
//! side ([`FileRow::write`]). Adding a column to summary.csv is one field
//! of [`Summary`] (with `#[serde(default)]`, or as an `Option`, so that
//! reports written before it still read).

use std::io;

use csv::StringRecord;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::experiment::columns::{
    CaseColumns, CaseRow, Columns, Fixed, Params, Ratio, Seconds, columns, read_cell,
};
use crate::outcome::{Status, Table};

columns! {
    /// results.csv's own columns: one timed repeat, or how the case ended
    /// (its failure, or why it was skipped, with no time).
    pub struct Repeat {
        /// The timed repeat (1-based); on the row that ends a failed case,
        /// the repeat that failed (0: before any); none for a skipped case.
        pub repeat: Option<u32>,
        /// The round the repeat ran in.
        pub round: Option<u32>,
        /// Its place among every timed run of the experiment (0 where the
        /// workload times itself).
        pub position: Option<u64>,
        /// When it began, in seconds since the start of the run.
        pub started_s: Option<Seconds>,
        pub seconds: Option<Seconds>,
        pub answer: String,
        pub checksum: Option<String>,
        pub factor: Option<u64>,
        /// Candidate divisors tested, where the strategy counts them.
        pub candidates: Option<u64>,
        /// Looks at a shared flag, where the strategy counts them.
        pub looks: Option<u64>,
        pub status: Status,
        /// Whether the repeat gave the oracle's answer.
        pub ok: bool,
        pub error: String,
        /// How this CPU ran the case's kernel (not in reports from before it).
        #[serde(default)]
        pub kernel_path: String,
        /// CPU time of the coordinator and its workers over the repeat, user
        /// and system (a Redis worker's is its own host's); none where not
        /// measured, and in reports from before it.
        #[serde(default)]
        pub user_s: Option<Seconds>,
        #[serde(default)]
        pub sys_s: Option<Seconds>,
        /// Tasks the workers served, every one counted (see tasks.csv).
        #[serde(default)]
        pub tasks_served: Option<u64>,
        /// Summed over the workers: the time inside tasks, the gaps
        /// between one task and the next, and the time before a worker's
        /// first task and after its last; with a chunked strategy they add
        /// up to workers x seconds.
        #[serde(default)]
        pub compute_s: Option<Seconds>,
        #[serde(default)]
        pub dispatch_s: Option<Seconds>,
        #[serde(default)]
        pub idle_s: Option<Seconds>,
    }
}

columns! {
    /// summary.csv's own columns: the statistics of a case's timed
    /// repeats, and what else it cost.
    pub struct Summary {
        pub repeats: usize,
        pub best_s: Option<Seconds>,
        pub median_s: Option<Seconds>,
        pub mean_s: Option<Seconds>,
        pub stddev_s: Option<Seconds>,
        pub max_s: Option<Seconds>,
        /// The median's 95% interval.
        pub median_lo_s: Option<Seconds>,
        pub median_hi_s: Option<Seconds>,
        /// Half the median's interval, relative to it, in per cent.
        pub noise_pct: Option<Fixed<2>>,
        /// The baseline's median over this case's, with its 95% interval.
        pub speedup: Option<Ratio>,
        pub speedup_lo: Option<Ratio>,
        pub speedup_hi: Option<Ratio>,
        /// The speedup per worker, against a serial baseline.
        pub efficiency: Option<Ratio>,
        pub efficiency_lo: Option<Ratio>,
        pub efficiency_hi: Option<Ratio>,
        /// The case the speedup is measured against.
        pub baseline_case: Option<usize>,
        /// The median candidates and looks of the repeats that counted them.
        pub candidates: Option<u64>,
        pub looks: Option<u64>,
        /// What one look at the flag cost one worker, in ns.
        pub look_ns: Option<Fixed<1>>,
        pub answer: String,
        pub checksum: Option<String>,
        pub factor: Option<u64>,
        pub status: Status,
        pub ok: bool,
        pub error: String,
        /// What handing one item to a queue cost, in ns of core time.
        pub item_ns: Option<Fixed<1>>,
        /// How to read the case's numbers, when it needs saying.
        pub note: String,
        /// Seconds to start the case's workers.
        pub startup_s: Option<Seconds>,
        /// One empty task's round trip, in µs.
        pub round_trip_us: Option<Fixed<2>>,
        pub bytes_per_run: Option<Fixed<0>>,
        pub frames_per_run: Option<Fixed<0>>,
        /// Jobs delivered again after their worker fell silent (not in
        /// reports from before it).
        pub redelivered: Option<u64>,
        pub bytes_back_per_run: Option<Fixed<0>>,
        /// How this CPU ran the case's kernel (not in reports from before it).
        #[serde(default)]
        pub kernel_path: String,
        /// The median CPU time of the repeats, user and system, to the
        /// microsecond getrusage gives (not in reports from before it).
        #[serde(default)]
        pub user_s: Option<Fixed<6>>,
        #[serde(default)]
        pub sys_s: Option<Fixed<6>>,
        /// The median of (user + sys) / (workers x seconds).
        #[serde(default)]
        pub cpu_util: Option<Ratio>,
        /// The medians of compute_s, dispatch_s and idle_s as fractions of
        /// workers x seconds, over the repeats whose tasks were recorded.
        #[serde(default)]
        pub compute_frac: Option<Ratio>,
        #[serde(default)]
        pub dispatch_frac: Option<Ratio>,
        #[serde(default)]
        pub idle_frac: Option<Ratio>,
    }
}

/// A row of results.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub case: CaseColumns,
    pub repeat: Repeat,
    /// A command's own parameters, the last columns.
    pub params: Params,
}

/// A row of summary.csv: one case.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub case: CaseColumns,
    pub summary: Summary,
    /// A command's own parameters, the last columns.
    pub params: Params,
}

/// A row of one of the files whose columns are a case's, the file's own,
/// then a command's own parameters.
pub trait FileRow: Sized {
    /// The columns before the parameters, in the file's order.
    fn columns() -> Vec<&'static str>;

    /// Appends the row to `writer`.
    fn write<W: io::Write>(&self, writer: &mut csv::Writer<W>) -> csv::Result<()>;

    /// Reads a row from the cells before its parameters, by their header
    /// `names`, and its parameters.
    fn read(cells: &StringRecord, names: &StringRecord, params: Params) -> csv::Result<Self>;

    /// Whether `text` reads as a cell of the column `column`, else why not
    /// (none if the row has no such column).
    fn read_cell(column: &str, text: &str) -> Option<Result<(), String>>;
}

/// The parameters' values, in their order.
fn values(params: &Params) -> Vec<&str> {
    params.iter().map(|(_, v)| v.as_str()).collect()
}

impl FileRow for ResultRow {
    fn columns() -> Vec<&'static str> {
        [CaseColumns::COLUMNS, Repeat::COLUMNS].concat()
    }

    fn write<W: io::Write>(&self, writer: &mut csv::Writer<W>) -> csv::Result<()> {
        writer.serialize((&self.case, &self.repeat, values(&self.params)))
    }

    fn read(cells: &StringRecord, names: &StringRecord, params: Params) -> csv::Result<Self> {
        Ok(ResultRow {
            case: cells.deserialize(Some(names))?,
            repeat: cells.deserialize(Some(names))?,
            params,
        })
    }

    fn read_cell(column: &str, text: &str) -> Option<Result<(), String>> {
        CaseColumns::read_cell(column, text).or_else(|| Repeat::read_cell(column, text))
    }
}

impl FileRow for SummaryRow {
    fn columns() -> Vec<&'static str> {
        [CaseColumns::COLUMNS, Summary::COLUMNS].concat()
    }

    fn write<W: io::Write>(&self, writer: &mut csv::Writer<W>) -> csv::Result<()> {
        writer.serialize((&self.case, &self.summary, values(&self.params)))
    }

    fn read(cells: &StringRecord, names: &StringRecord, params: Params) -> csv::Result<Self> {
        Ok(SummaryRow {
            case: cells.deserialize(Some(names))?,
            summary: cells.deserialize(Some(names))?,
            params,
        })
    }

    fn read_cell(column: &str, text: &str) -> Option<Result<(), String>> {
        CaseColumns::read_cell(column, text).or_else(|| Summary::read_cell(column, text))
    }
}

impl CaseRow for SummaryRow {
    fn columns(&self) -> &CaseColumns {
        &self.case
    }

    fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

impl SummaryRow {
    /// The cell of the column `column` as the file holds it, if the row has
    /// that column: a command's parameter (the file's later column, where a
    /// parameter shares a name with one of runner's), the case's, or the
    /// summary's.
    pub fn get(&self, column: &str) -> Option<String> {
        let param = self.params.iter().find(|(name, _)| name == column);
        param
            .map(|(_, value)| value.clone())
            .or_else(|| self.case.get(column))
            .or_else(|| self.summary.get(column))
    }

    /// The cell of the column `column` as a number, if it is one.
    pub fn number(&self, column: &str) -> Option<f64> {
        match self.params.iter().find(|(name, _)| name == column) {
            Some((_, value)) => value.parse().ok(),
            None => self
                .case
                .number(column)
                .or_else(|| self.summary.number(column)),
        }
    }

    /// Whether the row has the column `column`.
    pub fn has(&self, column: &str) -> bool {
        self.params.iter().any(|(name, _)| name == column) || Self::has_column(column)
    }

    /// Whether every row of summary.csv has the column `column` (a
    /// command's parameters aside).
    pub fn has_column(column: &str) -> bool {
        CaseColumns::COLUMNS.contains(&column) || Summary::COLUMNS.contains(&column)
    }
}

/// A row of a workload's table (samples.csv, factors.csv, clocks.csv):
/// its case's number, then the table's own columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Cased<R> {
    pub case: usize,
    pub row: R,
}

/// The `case` column a table's row starts with.
#[derive(serde::Deserialize)]
struct CaseNumber {
    case: usize,
}

impl<R: Columns + Serialize + DeserializeOwned> FileRow for Cased<R> {
    fn columns() -> Vec<&'static str> {
        ["case"]
            .into_iter()
            .chain(R::COLUMNS.iter().copied())
            .collect()
    }

    fn write<W: io::Write>(&self, writer: &mut csv::Writer<W>) -> csv::Result<()> {
        writer.serialize((self.case, &self.row))
    }

    fn read(cells: &StringRecord, names: &StringRecord, _: Params) -> csv::Result<Self> {
        let CaseNumber { case } = cells.deserialize(Some(names))?;
        Ok(Cased {
            case,
            row: cells.deserialize(Some(names))?,
        })
    }

    fn read_cell(column: &str, text: &str) -> Option<Result<(), String>> {
        match column {
            "case" => Some(read_cell::<usize>(text)),
            _ => R::read_cell(column, text),
        }
    }
}

impl<R: Columns> Cased<R> {
    /// The cell of the column `column`, if the row has that column.
    pub fn get(&self, column: &str) -> Option<String> {
        match column {
            "case" => Some(self.case.to_string()),
            _ => self.row.get(column),
        }
    }

    /// Whether the row has the column `column`.
    pub fn has(&self, column: &str) -> bool {
        column == "case" || R::COLUMNS.contains(&column)
    }
}

/// `table`'s rows of case `case` as CSV lines; with `case` none, its
/// file's header instead.
pub fn table_csv(table: &Table, case: Option<usize>) -> csv::Result<Vec<u8>> {
    fn lines<R: Columns + Serialize + DeserializeOwned + Clone>(
        rows: &[R],
        case: Option<usize>,
    ) -> csv::Result<Vec<u8>> {
        let Some(case) = case else {
            return to_csv::<Cased<R>>(Some(&header::<Cased<R>>(&[])), &[]);
        };
        let rows: Vec<Cased<R>> = rows
            .iter()
            .map(|row| Cased {
                case,
                row: row.clone(),
            })
            .collect();
        to_csv(None, &rows)
    }
    match table {
        Table::Samples(rows) => lines(rows, case),
        Table::Factors(rows) => lines(rows, case),
        Table::Clocks(rows) => lines(rows, case),
    }
}

/// The header of a file of rows `R`, with the user's parameters `params`.
pub fn header<R: FileRow>(params: &[String]) -> Vec<String> {
    R::columns()
        .into_iter()
        .map(String::from)
        .chain(params.iter().cloned())
        .collect()
}

/// `rows` as CSV lines, after the header `header` if one is given.
pub fn to_csv<R: FileRow>(header: Option<&[String]>, rows: &[R]) -> csv::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if let Some(header) = header {
        writer.write_record(header)?;
    }
    for row in rows {
        row.write(&mut writer)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(io::Error::other(e.to_string())))
}

/// A summary row of a serial case with the cells `cells` (by column),
/// for tests.
#[cfg(test)]
pub(crate) fn row_of(cells: &[(&str, &str)]) -> SummaryRow {
    use crate::experiment::columns::CaseColumn;
    let defaults = [
        ("experiment", "t"),
        ("case", "1"),
        ("variant", ""),
        (CaseColumn::Strategy.as_str(), "serial"),
        (CaseColumn::Kernel.as_str(), "plain"),
        (CaseColumn::Workers.as_str(), "1"),
        ("repeats", "1"),
        ("status", "ok"),
        ("ok", "true"),
        ("answer", ""),
        ("error", ""),
        ("note", ""),
    ];
    let given = |name: &str| cells.iter().any(|(c, _)| *c == name);
    let all: Vec<(&str, &str)> = defaults
        .into_iter()
        .filter(|(c, _)| !given(c))
        .chain(cells.iter().copied())
        .collect();
    let names: StringRecord = all.iter().map(|(c, _)| *c).collect();
    let values: StringRecord = all.iter().map(|(_, v)| *v).collect();
    SummaryRow::read(&values, &names, Vec::new()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{ClockRow, FactorRow, SampleRow};

    /// A workload's table is written as the reference reports hold it.
    #[test]
    fn tables_are_written_as_before() {
        let text = |bytes: csv::Result<Vec<u8>>| String::from_utf8(bytes.unwrap()).unwrap();
        let samples = Table::Samples(vec![
            SampleRow {
                n: 10001,
                prime: false,
                seconds: Some(Fixed(0.00000005)),
                raw_s: Some(Fixed(0.00000007)),
            },
            SampleRow {
                n: 10011,
                prime: false,
                seconds: None,
                raw_s: Some(Fixed(0.00000002)),
            },
        ]);
        assert_eq!(
            text(table_csv(&samples, None)) + &text(table_csv(&samples, Some(1))),
            "case,n,prime,seconds,raw_s\n\
             1,10001,false,0.000000050,0.000000070\n\
             1,10011,false,,0.000000020\n"
        );
        let factors = Table::Factors(vec![FactorRow {
            factor: 2,
            count: 4999998,
        }]);
        assert_eq!(
            text(table_csv(&factors, None)) + &text(table_csv(&factors, Some(3))),
            "case,factor,count\n3,2,4999998\n"
        );
        let clocks = Table::Clocks(vec![ClockRow {
            started_s: Fixed(2.470936362),
            wall_s: Fixed(3.165208171),
            program_s: None,
        }]);
        assert_eq!(
            text(table_csv(&clocks, None)) + &text(table_csv(&clocks, Some(1))),
            "case,started_s,wall_s,program_s\n1,2.470936362,3.165208171,\n"
        );
    }
}
