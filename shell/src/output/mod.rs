//! Printing query results as they stream: a table that fits the terminal (`table`), or CSV,
//! TSV, JSON and NDJSON with every value in full. CSV and TSV hold lists and structs as JSON
//! text, as DuckDB writes them.

mod cell;
mod table;

use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::time::Duration;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::csv;
use datafusion::arrow::datatypes::{SchemaRef, UInt64Type};
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use hepfusion_udfs::json::nested_as_json;

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
    /// Rows a table shows (the first and the last half); `None`: all.
    pub maxrows: Option<usize>,
    pub quiet: bool,
    /// Whether the row count line gives the time taken (`\timing`).
    pub timing: bool,
}

fn arrow_err(e: datafusion::arrow::error::ArrowError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(e), None)
}

/// One result being printed.
pub enum Output {
    Table(table::Rows),
    Csv(csv::Writer<BufWriter<Stdout>>),
    Json(ArrayWriter<BufWriter<Stdout>>),
    NdJson(LineDelimitedWriter<BufWriter<Stdout>>),
}

impl Printer {
    pub fn new(format: Format, maxrows: Option<usize>, quiet: bool) -> Self {
        Printer { format, maxrows, quiet, timing: true }
    }

    /// Whether results reach stdout while they stream (not only when they end).
    pub fn streams(&self) -> bool {
        self.format != Format::Table
    }

    /// Starts printing a result of `schema`.
    pub fn begin(&self, schema: SchemaRef) -> Output {
        let out = BufWriter::new(std::io::stdout());
        match self.format {
            Format::Table => Output::Table(table::Rows::new(self.maxrows, schema)),
            Format::Csv => Output::Csv(csv::WriterBuilder::new().build(out)),
            Format::Tsv => Output::Csv(csv::WriterBuilder::new().with_delimiter(b'\t').build(out)),
            Format::Json => Output::Json(ArrayWriter::new(out)),
            Format::NdJson => Output::NdJson(LineDelimitedWriter::new(out)),
        }
    }

    /// Ends a result: the table is drawn, the row count (and time) goes to stderr.
    pub fn finish(&self, output: Output, elapsed: Duration) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        let rows = match output {
            Output::Table(rows) => {
                let schema = rows.schema.clone();
                if schema.fields().is_empty() {
                    return Ok(()); // DDL and the like: nothing to show.
                }
                let drawn = table::render(&rows, terminal_width());
                write!(stdout, "{}", drawn.text)?;
                stdout.flush()?;
                let columns = (drawn.columns < schema.fields().len()).then_some((drawn.columns, schema.fields().len()));
                if !self.quiet {
                    if rows.elided() {
                        eprintln!("({} of {} rows shown; \\maxrows N or --maxrows N shows more)", rows.shown(), rows.total);
                    }
                    if let Some((shown, all)) = columns {
                        eprintln!("({shown} of {all} columns shown; a wider terminal, \\format csv or \\d TABLE shows them all)");
                    }
                }
                rows.total
            }
            Output::Csv(w) => {
                w.into_inner().flush()?;
                return Ok(());
            }
            Output::Json(mut w) => {
                w.finish().map_err(arrow_err)?;
                let mut out = w.into_inner();
                writeln!(out)?;
                out.flush()?;
                return Ok(());
            }
            Output::NdJson(mut w) => {
                w.finish().map_err(arrow_err)?;
                w.into_inner().flush()?;
                return Ok(());
            }
        };
        self.footer(rows, elapsed);
        Ok(())
    }

    fn footer(&self, rows: usize, elapsed: Duration) {
        if self.quiet || self.format != Format::Table {
            return;
        }
        let s = if rows == 1 { "" } else { "s" };
        if self.timing {
            eprintln!("{rows} row{s} in {:.3} s", elapsed.as_secs_f64());
        } else {
            eprintln!("{rows} row{s}");
        }
    }

    /// `EXPLAIN`'s result, every line of the plan in full.
    pub fn print_plan(&self, batches: &[RecordBatch]) -> Result<()> {
        let text = datafusion::arrow::util::pretty::pretty_format_batches(batches).map_err(arrow_err)?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
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
            .map(|c| c.as_primitive::<UInt64Type>().value(0));
        let time = if self.timing { format!(" in {:.3} s", elapsed.as_secs_f64()) } else { String::new() };
        match count {
            Some(n) => eprintln!("{command}: {n} row{}{time}", if n == 1 { "" } else { "s" }),
            None => eprintln!("{command}{time}"),
        }
    }
}

impl Output {
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        match self {
            Output::Table(rows) => rows.push(batch),
            Output::Csv(w) => w.write(&nested_as_json(batch)?).map_err(arrow_err)?,
            Output::Json(w) => w.write(batch).map_err(arrow_err)?,
            Output::NdJson(w) => w.write(batch).map_err(arrow_err)?,
        }
        Ok(())
    }
}

/// The terminal's width when stdout is one (`COLUMNS` overrides); none for pipes and files,
/// which get every column.
fn terminal_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ fills a winsize struct for a terminal file descriptor.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) == 0 && size.ws_col > 0).then_some(size.ws_col as usize)
    }
}
