//! Running SQL text: split into statements by the SQL parser (not by ';' in strings), plan
//! and execute each in order, print results. Ctrl-C cancels the running statement.

use std::time::Instant;

use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;

use crate::output::Printer;

/// Runs every statement of `sql`; stops at the first error.
pub async fn run_script(ctx: &SessionContext, sql: &str, printer: &mut Printer) -> Result<()> {
    let statements = hepfusion_udfs::sql::parse_statements(ctx, sql)?;
    for (i, stmt) in statements.into_iter().enumerate() {
        let start = Instant::now();
        let what = format!("statement {} ({})", i + 1, abbreviate(&stmt.to_string(), 240));
        let fut = async {
            let plan = ctx.state().statement_to_plan(stmt).await?;
            let df = ctx.execute_logical_plan(plan).await?;
            df.collect().await
        };
        let batches = tokio::select! {
            r = fut => r.map_err(|e| e.context(what))?,
            _ = tokio::signal::ctrl_c() => return Err(DataFusionError::Execution("cancelled".into())),
        };
        printer.print(&batches, start.elapsed())?;
    }
    Ok(())
}

/// The start of a statement, on one line, for error messages.
fn abbreviate(sql: &str, max_chars: usize) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{} ...", &line[..end]),
        None => line,
    }
}
