//! Runs the SQL-level tests in `tests/slt/*.slt` (sqllogictest format, as DataFusion's own)
//! against a session with every hepfusion function registered and the DuckDB dialect.
//! `SLT_COMPLETE=1` rewrites the expected results from the current output (review the diff!).
//! After `control substitution on`, `$SHARED` stands for the shared test data directory.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use sqllogictest::{DBOutput, DefaultColumnType};

struct Db {
    ctx: SessionContext,
}

fn context() -> datafusion::error::Result<SessionContext> {
    let mut cfg = SessionConfig::new().with_target_partitions(2);
    cfg.options_mut().sql_parser.enable_ident_normalization = false;
    Ok(SessionContext::new_with_state(hepfusion_udfs::session_state(cfg)?))
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for Db {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let mut statements = hepfusion_udfs::sql::parse_statements(&self.ctx, sql)?;
        let statement = statements.pop().ok_or_else(|| DataFusionError::Plan("empty statement".into()))?;
        let df = hepfusion_udfs::sql::run_statement(&self.ctx, statement).await?;
        let schema = df.schema().as_arrow().clone();
        let batches = df.collect().await?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                t if t.is_integer() => DefaultColumnType::Integer,
                t if t.is_floating() => DefaultColumnType::FloatingPoint,
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => DefaultColumnType::Text,
                _ => DefaultColumnType::Any,
            })
            .collect();
        let opts = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for b in &batches {
            let formatters: Vec<ArrayFormatter> =
                b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &opts)).collect::<Result<_, _>>()?;
            for r in 0..b.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .zip(b.columns())
                        .map(|(f, c)| {
                            let s = f.value(r).to_string();
                            if s.is_empty() && c.is_valid(r) { "(empty)".to_string() } else { s }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "hepfusion"
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("tests/slt").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "slt")).collect();
    files.sort();
    files
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let shared = std::env::var("HEPFUSION_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let complete = std::env::var_os("SLT_COMPLETE").is_some();
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mut failed = 0;
    for path in slt_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let mut runner = sqllogictest::Runner::new(|| async { Ok::<_, DataFusionError>(Db { ctx: context()? }) });
        runner.with_column_validator(sqllogictest::default_column_validator);
        runner.set_var("SHARED".into(), shared.join("data").to_string_lossy().into_owned());
        let result = if complete {
            let col_separator = " ";
            runner
                .update_test_file(&path, col_separator, sqllogictest::default_validator, sqllogictest::default_normalizer, sqllogictest::strict_column_validator)
                .await
                .map_err(|e| e.to_string())
        } else {
            runner.run_file_async(&path).await.map_err(|e| e.display(true).to_string())
        };
        match result {
            Ok(()) => println!("ok    {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL  {name}\n{e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} sqllogictest file(s) failed");
        std::process::exit(1);
    }
}
