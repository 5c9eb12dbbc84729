//! Printing query results as a table, CSV, TSV, JSON or NDJSON.

use std::io::Write;
use std::time::Duration;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::{DataFusionError, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    NdJson,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "json" => Format::Json,
            "ndjson" => Format::NdJson,
            _ => return Err(format!("unknown format '{s}' (table, csv, tsv, json, ndjson)")),
        })
    }
}

pub struct Printer {
    pub format: Format,
    pub maxrows: Option<usize>,
    pub quiet: bool,
}

fn arrow_err(e: datafusion::arrow::error::ArrowError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(e), None)
}

impl Printer {
    pub fn new(format: Format, maxrows: Option<usize>, quiet: bool) -> Self {
        Printer { format, maxrows, quiet }
    }

    /// A statement that writes rows (COPY, CREATE TABLE AS, INSERT): one line, as psql does,
    /// instead of its one-row `count` table.
    pub fn print_command(&self, command: &str, batches: &[RecordBatch], elapsed: Duration) {
        if self.quiet || self.format != Format::Table {
            return;
        }
        let count = batches
            .iter()
            .find(|b| b.num_rows() == 1)
            .and_then(|b| b.column_by_name("count"))
            .and_then(|c| datafusion::arrow::compute::cast(c, &datafusion::arrow::datatypes::DataType::UInt64).ok())
            .map(|c| c.as_primitive::<datafusion::arrow::datatypes::UInt64Type>().value(0));
        match count {
            Some(n) => eprintln!("{command}: {n} row{} in {:.3} s", if n == 1 { "" } else { "s" }, elapsed.as_secs_f64()),
            None => eprintln!("{command} in {:.3} s", elapsed.as_secs_f64()),
        }
    }

    pub fn print(&self, batches: &[RecordBatch], elapsed: Duration) -> Result<()> {
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let mut out = std::io::stdout().lock();
        match self.format {
            Format::Table => {
                if batches.iter().all(|b| b.num_columns() == 0) {
                    // DDL and the like: nothing to show.
                } else {
                    let shown = match self.maxrows {
                        Some(m) if rows > m => take_rows(batches, m),
                        _ => batches.to_vec(),
                    };
                    writeln!(out, "{}", pretty_format_batches(&shown).map_err(arrow_err)?)?;
                    if let Some(m) = self.maxrows.filter(|&m| rows > m) {
                        writeln!(out, "(showing {m} of {rows} rows; --maxrows or \\maxrows to change)")?;
                    }
                }
            }
            Format::Csv | Format::Tsv => {
                let delim = if self.format == Format::Csv { b',' } else { b'\t' };
                let mut w = datafusion::arrow::csv::WriterBuilder::new().with_delimiter(delim).build(&mut out);
                for b in batches {
                    w.write(b).map_err(arrow_err)?;
                }
            }
            Format::Json => {
                let mut w = datafusion::arrow::json::ArrayWriter::new(&mut out);
                for b in batches {
                    w.write(b).map_err(arrow_err)?;
                }
                w.finish().map_err(arrow_err)?;
                writeln!(out)?;
            }
            Format::NdJson => {
                let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut out);
                for b in batches {
                    w.write(b).map_err(arrow_err)?;
                }
                w.finish().map_err(arrow_err)?;
            }
        }
        // The row count goes to stderr: let the table reach stdout first, so that the two
        // keep their order when both go to one file or pipe.
        out.flush()?;
        let is_ddl = batches.iter().all(|b| b.num_columns() == 0);
        if !self.quiet && self.format == Format::Table && !is_ddl {
            eprintln!("{rows} row{} in {:.3} s", if rows == 1 { "" } else { "s" }, elapsed.as_secs_f64());
        }
        Ok(())
    }
}

fn take_rows(batches: &[RecordBatch], n: usize) -> Vec<RecordBatch> {
    let mut left = n;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let k = left.min(b.num_rows());
        out.push(b.slice(0, k));
        left -= k;
    }
    out
}
