//! Running SQL text: split into statements by the SQL parser (not by ';' in strings), plan
//! and execute each in order, print results as they stream. Ctrl-C cancels the running
//! statement (see `interrupt`).

use std::time::Instant;

use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::common::collect;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use futures::StreamExt;

use crate::interrupt::{Interrupted, Interrupts};
use crate::output::Printer;
use crate::progress::Progress;

/// Why a script stopped.
#[derive(Debug)]
pub enum Stop {
    Error(DataFusionError),
    /// Ctrl-C: the running statement was cancelled.
    Cancelled,
}

impl From<DataFusionError> for Stop {
    fn from(e: DataFusionError) -> Self {
        Stop::Error(e)
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Error(e) => write!(f, "{e}"),
            Stop::Cancelled => write!(f, "cancelled (Ctrl-C)"),
        }
    }
}

/// Runs every statement of `sql`; stops at the first error or Ctrl-C.
pub async fn run_script(ctx: &SessionContext, sql: &str, printer: &Printer, interrupts: &Interrupts) -> Result<(), Stop> {
    let statements = hepfusion_udfs::sql::parse_statements(ctx, sql)?;
    for (i, stmt) in statements.into_iter().enumerate() {
        let what = format!("statement {} ({})", i + 1, abbreviate(&stmt.to_string(), 240));
        match interrupts.race(run_statement(ctx, stmt, printer)).await {
            Ok(result) => result.map_err(|e| e.context(what))?,
            Err(Interrupted) => return Err(Stop::Cancelled),
        }
    }
    Ok(())
}

async fn run_statement(ctx: &SessionContext, stmt: DFStatement, printer: &Printer) -> Result<()> {
    let start = Instant::now();
    let command = writes_rows(&stmt);
    let explain = matches!(stmt, DFStatement::Explain(_));
    let df = hepfusion_udfs::sql::run_statement(ctx, stmt).await?;
    let task_ctx = df.task_ctx();
    let plan = df.create_physical_plan().await?;
    let mut progress = Progress::watch(plan.clone(), start);
    let mut stream = execute_stream(plan, std::sync::Arc::new(task_ctx))?;
    if let Some(command) = command {
        let batches = collect(stream).await?;
        drop(progress);
        printer.print_command(command, &batches, start.elapsed());
        return Ok(());
    }
    if explain && !printer.streams() {
        // A plan is read whole: its lines are not cut to a cell's width.
        let batches = collect(stream).await?;
        drop(progress);
        return printer.print_plan(&batches);
    }
    let mut output = printer.begin(stream.schema());
    while let Some(b) = stream.next().await {
        let b = b?;
        if printer.streams() {
            // Rows printed as they come: the progress line must not be drawn over them.
            progress.stop();
        }
        output.push(&b)?;
    }
    drop(progress);
    printer.finish(output, start.elapsed())
}

/// The name of a statement that writes rows and returns only their count.
fn writes_rows(stmt: &DFStatement) -> Option<&'static str> {
    match stmt {
        DFStatement::CopyTo(_) => Some("COPY"),
        DFStatement::Statement(s) => match s.as_ref() {
            SqlStatement::CreateTable(c) if c.query.is_some() => Some("CREATE TABLE"),
            SqlStatement::Insert(_) => Some("INSERT"),
            _ => None,
        },
        _ => None,
    }
}

/// The start of a statement, on one line, for error messages.
fn abbreviate(sql: &str, max_chars: usize) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{} ...", &line[..end]),
        None => line,
    }
}
