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
        let fut = async {
            let plan = ctx.state().statement_to_plan(stmt).await?;
            let df = ctx.execute_logical_plan(plan).await?;
            df.collect().await
        };
        let batches = tokio::select! {
            r = fut => r.map_err(|e| e.context(format!("statement {}", i + 1)))?,
            _ = tokio::signal::ctrl_c() => return Err(DataFusionError::Execution("cancelled".into())),
        };
        printer.print(&batches, start.elapsed())?;
    }
    Ok(())
}
