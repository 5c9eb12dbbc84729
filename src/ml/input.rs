//! The input of an ML table function: a table name or a query, given as a string
//! (`train_classifier('m', 'train')`, `predict('m', 'SELECT * FROM test WHERE ...')`).
//! DataFusion 55 passes no tables or multi-column subqueries to table functions, so the string
//! is planned here, with the session's SQL rules (`p.pt` in lambdas included), or by the
//! caller's engine ([`super::external`]).

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::common::{plan_err, DataFusionError, Result};
use datafusion::execution::{SessionState, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::parser::Statement;
use futures::StreamExt;

use super::external::ExternalInputs;
use super::train::Source;
use crate::blocking::block_on;

/// `input` as a SQL query: itself if it reads like one, else `SELECT * FROM input`.
pub fn input_sql(input: &str) -> String {
    let first = input.trim_start().split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("").to_ascii_uppercase();
    if matches!(first.as_str(), "SELECT" | "WITH" | "VALUES" | "FROM" | "") || input.trim_start().starts_with('(') {
        input.to_string()
    } else {
        format!("SELECT * FROM {input}")
    }
}

/// Plans `input` (a table name or a query) in `state`, or in the engine its
/// [`ExternalInputs`] names.
pub fn input_plan(state: &SessionState, function: &str, input: &str) -> Result<LogicalPlan> {
    let sql = input_sql(input);
    if let Some(external) = state.config().get_extension::<ExternalInputs>() {
        return external.plan(function, input, sql);
    }
    let mut statements = hepfusion_udfs::sql::parse_statements_with(state, &sql)
        .map_err(|e| DataFusionError::Plan(format!("{function}: the input '{input}' is not a table name or a query: {e}")))?;
    if statements.len() != 1 || !matches!(&statements[0], Statement::Statement(s) if matches!(**s, datafusion::sql::sqlparser::ast::Statement::Query(_))) {
        return plan_err!("{function}: the input must be one table name or one query, got '{input}'");
    }
    let statement = statements.remove(0);
    let state = state.clone();
    let owned = input.to_string();
    let function = function.to_string();
    block_on(async move {
        state.statement_to_plan(statement).await.map_err(|e| DataFusionError::Plan(format!("{function}: planning the input '{owned}': {e}")))
    })
}

/// Streams a query from a thread outside the async runtime, partition after partition, so
/// every pass sees the rows in the same order. Each pass plans the query afresh: a physical
/// plan shares its files among partitions as it runs and cannot be executed twice.
pub struct PlanSource {
    pub state: SessionState,
    pub plan: LogicalPlan,
    pub runtime: tokio::runtime::Handle,
}

impl Source for PlanSource {
    fn pass(&mut self, f: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<()> {
        let _entered = self.runtime.enter();
        let plan = self.runtime.block_on(ordered_physical_plan(&self.state, &self.plan))?;
        let task: Arc<TaskContext> = self.state.task_ctx();
        for p in 0..plan.properties().partitioning.partition_count() {
            let mut stream = plan.execute(p, task.clone())?;
            while let Some(batch) = self.runtime.block_on(stream.next()) {
                let batch = batch?;
                if batch.num_rows() > 0 {
                    f(&batch)?;
                }
            }
        }
        Ok(())
    }
}

/// A physical plan of `plan` whose row order is the same on every execution: one target
/// partition, so no round-robin or hash repartitioning reorders rows.
pub async fn ordered_physical_plan(state: &SessionState, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
    let mut config = state.config().clone();
    config.options_mut().execution.target_partitions = 1;
    let single = datafusion::execution::SessionStateBuilder::new_from_existing(state.clone()).with_config(config).build();
    single.create_physical_plan(plan).await
}
