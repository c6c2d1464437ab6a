//! The files a run wrote, read back typed: a cell that is not what its
//! column holds is refused with the file, the line and the column, so a
//! hand-edited or damaged file is found rather than drawn as a gap.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use csv::StringRecord;

use super::rows::FileRow;

/// Reads the file at `path` into rows `R`. The user's parameters `params`
/// (a command workload's) are the last columns, as the writer put them;
/// columns the rows do not know are ignored, and a column a report from
/// before it lacks is empty.
pub fn read<R: FileRow>(path: &Path, params: &[String]) -> anyhow::Result<Vec<R>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("{} has no header", path.display()))?
        .clone();
    if !header.iter().any(|h| h == "case") {
        bail!(
            "{} is not a file runner wrote (no case column)",
            path.display()
        );
    }
    let tail = header
        .iter()
        .rev()
        .take_while(|h| params.iter().any(|p| p == h))
        .count()
        .min(params.len());
    let own = header.len() - tail;
    let names: StringRecord = header.iter().take(own).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record =
            record.with_context(|| format!("{}: row {line} is malformed", path.display()))?;
        let cells: StringRecord = record.iter().take(own).collect();
        let params = header
            .iter()
            .zip(&record)
            .skip(own)
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let row = R::read(&cells, &names, params)
            .map_err(|e| refusal::<R>(path, line, &names, &cells, e))?;
        rows.push(row);
    }
    Ok(rows)
}

/// Why line `line` of `path` was refused: the first cell that is not what
/// its column holds, else what the reader said (a column missing).
fn refusal<R: FileRow>(
    path: &Path,
    line: usize,
    names: &StringRecord,
    cells: &StringRecord,
    error: csv::Error,
) -> anyhow::Error {
    for (name, cell) in names.iter().zip(cells) {
        if let Some(Err(why)) = R::read_cell(name, cell) {
            return anyhow!(
                "{}: line {line}, column {name}: \"{cell}\" {why}",
                path.display()
            );
        }
    }
    anyhow!("{}: line {line}: {error}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::columns::CaseColumn;
    use crate::record::rows::{Cased, header, to_csv};
    use crate::record::{ResultRow, SummaryRow};

    /// The pinned files of `record`'s tests, as the report writer wrote them.
    fn pinned(name: &str) -> (String, String) {
        let path = format!("src/record/snapshots/runner__record__tests__{name}.snap");
        let snap = std::fs::read_to_string(path).unwrap();
        let body = snap.splitn(3, "---\n").nth(2).unwrap();
        let (results, summary) = body.split_once("\nsummary.csv\n").unwrap();
        let results = results.strip_prefix("results.csv\n").unwrap();
        (results.to_string(), summary.to_string())
    }

    /// Writes `text` to a file and reads it back as rows `R`.
    fn read_text<R: FileRow>(text: &str, params: &[String]) -> anyhow::Result<Vec<R>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        read(&path, params)
    }

    /// What a run wrote reads back as rows that write the same bytes again.
    #[test]
    fn files_read_back_as_they_were_written() {
        for (name, params) in [
            ("primes", vec![]),
            ("verify", vec![]),
            ("command", vec!["python", "queue"]),
        ] {
            let params: Vec<String> = params.into_iter().map(String::from).collect();
            let (results, summary) = pinned(name);
            let rows: Vec<ResultRow> = read_text(&results, &params).unwrap();
            let again = to_csv(Some(&header::<ResultRow>(&params)), &rows).unwrap();
            assert_eq!(String::from_utf8(again).unwrap(), results, "{name}");
            let rows: Vec<SummaryRow> = read_text(&summary, &params).unwrap();
            let again = to_csv(Some(&header::<SummaryRow>(&params)), &rows).unwrap();
            assert_eq!(String::from_utf8(again).unwrap(), summary, "{name}");
            if name == "command" {
                assert_eq!(
                    rows[3].params,
                    [
                        ("python".into(), "pypy3".into()),
                        ("queue".into(), "manager".into())
                    ]
                );
                assert_eq!(rows[3].get("python").as_deref(), Some("pypy3"));
            }
        }
    }

    /// A report from before a column existed still reads: the column is
    /// empty (redelivered, bytes_back_per_run and kernel_path came late,
    /// then CPU time and the task aggregates).
    #[test]
    fn older_files_read_without_the_newer_columns() {
        let (results, summary) = pinned("primes");
        let (header, old) = cut_from(&summary, "redelivered");
        let rows: Vec<SummaryRow> = read_text(&old, &[]).unwrap();
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| r.summary.kernel_path.is_empty()));
        assert_eq!(rows[7].summary.redelivered, None);
        assert!(rows.iter().all(|r| r.summary.cpu_util.is_none()));
        assert!(!header.contains("user_s") && !header.contains("idle_frac"));

        let (header, old) = cut_from(&results, "user_s");
        let rows: Vec<ResultRow> = read_text(&old, &[]).unwrap();
        assert_eq!(rows[5].repeat.kernel_path, "divide");
        assert!(rows.iter().all(|r| r.repeat.user_s.is_none()));
        assert!(rows.iter().all(|r| r.repeat.tasks_served.is_none()));
        assert!(!header.contains("idle_s"));
    }

    /// The primes file `text` without its columns from `first` on, as a
    /// report from before them: its header and its text.
    fn cut_from(text: &str, first: &str) -> (String, String) {
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let keep = header.iter().position(|c| *c == first).unwrap();
        let cut = |line: &str| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes());
            let record = reader.records().next().unwrap().unwrap();
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(record.iter().take(keep)).unwrap();
            String::from_utf8(writer.into_inner().unwrap()).unwrap()
        };
        let old: String = std::iter::once(header[..keep].join(",") + "\n")
            .chain(
                text.lines()
                    .skip(1)
                    .filter(|l| !l.is_empty() && l.starts_with("p,"))
                    .map(cut),
            )
            .collect();
        (header[..keep].join(","), old)
    }

    /// A cell that is not what its column holds is refused with its line and
    /// column, whatever its type.
    #[test]
    fn a_cell_of_the_wrong_kind_is_refused_where_it_is() {
        let (_, summary) = pinned("verify");
        let edit = |column: &str, cell: &str| {
            let mut lines: Vec<String> = summary.lines().map(String::from).collect();
            let at = lines[0].split(',').position(|c| c == column).unwrap();
            let mut cells: Vec<&str> = lines[2].split(',').collect();
            cells[at] = cell;
            lines[2] = cells.join(",");
            let rows: anyhow::Result<Vec<SummaryRow>> = read_text(&(lines.join("\n") + "\n"), &[]);
            format!("{:#}", rows.unwrap_err())
        };
        assert!(
            edit("best_s", "fast").ends_with("line 3, column best_s: \"fast\" is not a number")
        );
        let workers = edit(CaseColumn::Workers.as_str(), "2.5");
        assert!(workers.ends_with("line 3, column workers: \"2.5\" is not a number"));
        assert!(edit("noise_pct", "inf").ends_with("column noise_pct: \"inf\" is not a number"));
        assert!(edit("ok", "yes").ends_with("column ok: \"yes\" is not true or false"));
        let strategy = edit(CaseColumn::Strategy.as_str(), "fastest");
        assert!(
            strategy.contains(
                "line 3, column strategy: \"fastest\" cannot be read: unknown variant `fastest`"
            ),
            "{strategy}"
        );
    }

    /// A workload's table reads back by case.
    #[test]
    fn tables_read_back_by_case() {
        use crate::outcome::FactorRow;
        let rows: Vec<Cased<FactorRow>> =
            read_text("case,factor,count\n3,2,4999998\n", &[]).unwrap();
        assert_eq!(
            (rows[0].case, rows[0].row.factor, rows[0].row.count),
            (3, 2, 4999998)
        );
        assert_eq!(rows[0].get("case").as_deref(), Some("3"));
        let refused = read_text::<Cased<FactorRow>>("case,factor,count\nx,2,4\n", &[]).unwrap_err();
        assert!(format!("{refused:#}").ends_with("line 2, column case: \"x\" is not a number"));
    }
}
