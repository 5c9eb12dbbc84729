//! Running SQL text: split into statements by the SQL parser (not by ';' in strings), plan
//! and execute each in order, print results. Ctrl-C cancels the running statement.

use std::time::Instant;

use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use crate::output::Printer;

/// Runs every statement of `sql`; stops at the first error.
pub async fn run_script(ctx: &SessionContext, sql: &str, printer: &mut Printer) -> Result<()> {
    let statements = hepfusion_udfs::sql::parse_statements(ctx, sql)?;
    for (i, stmt) in statements.into_iter().enumerate() {
        let start = Instant::now();
        let what = format!("statement {} ({})", i + 1, abbreviate(&stmt.to_string(), 240));
        let command = writes_rows(&stmt);
        let fut = async {
            hepfusion_udfs::sql::run_statement(ctx, stmt).await?.collect().await
        };
        let batches = tokio::select! {
            r = fut => r.map_err(|e| e.context(what))?,
            _ = tokio::signal::ctrl_c() => return Err(DataFusionError::Execution("cancelled".into())),
        };
        match command {
            Some(command) => printer.print_command(command, &batches, start.elapsed()),
            None => printer.print(&batches, start.elapsed())?,
        }
    }
    Ok(())
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
