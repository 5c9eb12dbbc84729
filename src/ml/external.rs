//! Inputs of the ML functions planned and run by another engine: on a plain
//! `datafusion.SessionContext` in Python, the caller's own session runs the input query and
//! hands us its rows as Arrow. Its scans must not run on our tokio runtime: datafusion-ffi 55
//! lets the `datafusion` wheel's own tokio build enter ours around them, which crashes the
//! interpreter (python/README.md). Here we only pull finished batches, on a blocking thread.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::{provider_as_source, TableType};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;

/// The engine that runs input queries, in its own SQL dialect and catalog.
pub trait ExternalQueries: Debug + Send + Sync {
    /// The schema of `sql`'s result (planning only).
    fn schema(&self, sql: &str) -> Result<SchemaRef>;
    /// `sql`'s rows, in the same order on every run: training passes over its input once per
    /// epoch and holds out the same rows each time.
    fn run(&self, sql: &str) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + Send>>;
}

/// The session-config extension that sends the ML functions' inputs to an
/// [`ExternalQueries`] instead of our own planner (see `input::input_plan`).
#[derive(Debug)]
pub struct ExternalInputs(pub Arc<dyn ExternalQueries>);

impl ExternalInputs {
    /// A scan of `sql` (the query form of the argument `input` of `function`).
    pub fn plan(&self, function: &str, input: &str, sql: String) -> Result<LogicalPlan> {
        let schema = self.0.schema(&sql).map_err(|e| DataFusionError::Plan(format!("{function}: planning the input '{input}': {}", e.message())))?;
        let table = ExternalTable { sql, schema, queries: Arc::clone(&self.0) };
        LogicalPlanBuilder::scan("input", provider_as_source(Arc::new(table)), None)?.build()
    }
}

#[derive(Debug)]
struct ExternalTable {
    sql: String,
    schema: SchemaRef,
    queries: Arc<dyn ExternalQueries>,
}

#[async_trait]
impl TableProvider for ExternalTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    /// The projection goes into the query, so the other engine reads only those columns.
    async fn scan(&self, _: &dyn Session, projection: Option<&Vec<usize>>, _: &[Expr], limit: Option<usize>) -> Result<Arc<dyn ExecutionPlan>> {
        let (sql, schema, local) = match projection {
            Some(p) if !p.is_empty() => {
                let columns: Vec<String> = p.iter().map(|&i| quote_identifier(self.schema.field(i).name())).collect();
                (format!("SELECT {} FROM ({}) AS input", columns.join(", "), self.sql), Arc::new(self.schema.project(p)?), None)
            }
            // No columns (`count(*)`): the rows of the whole query, projected here.
            _ => (self.sql.clone(), Arc::clone(&self.schema), projection),
        };
        let partition = Arc::new(ExternalPartition { sql, schema: Arc::clone(&schema), queries: Arc::clone(&self.queries) });
        Ok(Arc::new(StreamingTableExec::try_new(schema, vec![partition], local, [], false, limit)?))
    }
}

/// A SQL identifier in double quotes, as the standard (and DataFusion) escapes them.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(Debug)]
struct ExternalPartition {
    sql: String,
    schema: SchemaRef,
    queries: Arc<dyn ExternalQueries>,
}

impl PartitionStream for ExternalPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&self.schema), 2);
        let tx = builder.tx();
        let (sql, schema, queries) = (self.sql.clone(), Arc::clone(&self.schema), Arc::clone(&self.queries));
        builder.spawn_blocking(move || {
            for batch in queries.run(&sql)? {
                // The schema planned with, so a table changed since planning is an error here
                // rather than rows read under the wrong names.
                let batch = RecordBatch::try_new(Arc::clone(&schema), batch?.columns().to_vec())
                    .map_err(|e| DataFusionError::Execution(format!("the input's rows do not match the schema it was planned with: {e}")))?;
                if tx.blocking_send(Ok(batch)).is_err() {
                    break; // the consumer is gone (a cancelled query)
                }
            }
            Ok(())
        });
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;
    use std::sync::Mutex;

    /// An engine with one table `t(x, "a b")`, recording the queries it is asked to run.
    #[derive(Debug, Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl Recorded {
        fn full() -> SchemaRef {
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false), Field::new("a b", DataType::Utf8, true)]))
        }
    }

    impl ExternalQueries for Recorded {
        fn schema(&self, sql: &str) -> Result<SchemaRef> {
            self.0.lock().unwrap().push(format!("schema: {sql}"));
            if sql.contains("missing") {
                return Err(DataFusionError::Plan("table 'missing' not found".into()));
            }
            Ok(Self::full())
        }

        fn run(&self, sql: &str) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + Send>> {
            self.0.lock().unwrap().push(format!("run: {sql}"));
            let x = Arc::new(Int64Array::from(vec![1, 2, 3]));
            let batch = if sql.starts_with("SELECT \"a b\"") {
                let schema = Arc::new(Self::full().project(&[1])?);
                RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec!["p", "q", "r"]))])?
            } else {
                RecordBatch::try_new(Self::full(), vec![x, Arc::new(StringArray::from(vec![Some("p"), None, Some("r")]))])?
            };
            Ok(Box::new(vec![Ok(batch.clone()), Ok(batch)].into_iter()))
        }
    }

    async fn query(engine: &Arc<Recorded>, select: &str) -> Result<Vec<RecordBatch>> {
        let plan = ExternalInputs(Arc::clone(engine) as Arc<dyn ExternalQueries>).plan("f", "t", "SELECT * FROM t".into())?;
        let ctx = SessionContext::new();
        ctx.register_table("input", Arc::new(datafusion::datasource::ViewTable::new(plan, None)))?;
        ctx.sql(select).await?.collect().await
    }

    #[tokio::test]
    async fn projection_is_pushed_into_the_query_with_quoted_names() -> Result<()> {
        let engine = Arc::new(Recorded::default());
        let batches = query(&engine, "SELECT \"a b\" FROM input").await?;
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 6);
        assert_eq!(batches[0].schema().field(0).name(), "a b");
        assert_eq!(engine.0.lock().unwrap().last().unwrap(), "run: SELECT \"a b\" FROM (SELECT * FROM t) AS input");
        Ok(())
    }

    #[tokio::test]
    async fn no_columns_still_counts_every_row() -> Result<()> {
        let engine = Arc::new(Recorded::default());
        let batches = query(&engine, "SELECT count(*) AS n FROM input").await?;
        let n = batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
        assert_eq!(n, 6);
        assert_eq!(engine.0.lock().unwrap().last().unwrap(), "run: SELECT * FROM t");
        Ok(())
    }

    #[test]
    fn planning_errors_name_the_function_and_the_input() {
        let engine = Arc::new(Recorded::default()) as Arc<dyn ExternalQueries>;
        let err = ExternalInputs(engine).plan("train_classifier", "missing", "SELECT * FROM missing".into()).unwrap_err().to_string();
        assert!(err.contains("train_classifier: planning the input 'missing': ") && err.contains("table 'missing' not found"), "{err}");
    }

    /// Rows that no longer fit the planned schema (a table replaced after planning) are an
    /// error, not data under the wrong column names.
    #[tokio::test]
    async fn rows_of_another_schema_are_an_error() {
        #[derive(Debug)]
        struct Changed;
        impl ExternalQueries for Changed {
            fn schema(&self, _: &str) -> Result<SchemaRef> {
                Ok(Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)])))
            }
            fn run(&self, _: &str) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + Send>> {
                let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, false)]));
                Ok(Box::new(std::iter::once(Ok(RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec!["1"]))])?))))
            }
        }
        let plan = ExternalInputs(Arc::new(Changed)).plan("f", "t", "SELECT * FROM t".into()).unwrap();
        let ctx = SessionContext::new();
        let err = ctx.execute_logical_plan(plan).await.unwrap().collect().await.unwrap_err().to_string();
        assert!(err.contains("do not match the schema it was planned with"), "{err}");
    }
}
