//! The table behind `train_classifier`, `tune_classifier` and `plot_lines`: one partition whose
//! rows a task computes when the query runs (not when it is planned), sending them as they
//! are ready. A dropped result closes the channel, which the task sees as a cancellation.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::TableProvider;
use datafusion::common::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::future::BoxFuture;
use tokio::sync::mpsc::Sender;

pub type Rows = Sender<Result<RecordBatch>>;
type Start = dyn Fn(SchemaRef, Rows) -> BoxFuture<'static, Result<()>> + Send + Sync;

struct TaskStream {
    name: &'static str,
    schema: SchemaRef,
    start: Arc<Start>,
}

impl fmt::Debug for TaskStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)
    }
}

impl PartitionStream for TaskStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        builder.spawn((self.start)(self.schema.clone(), builder.tx()));
        builder.build()
    }
}

/// A table `name` of `schema` whose rows `start(schema, rows)` sends when the query runs.
pub fn task_table(
    name: &'static str,
    schema: SchemaRef,
    start: impl Fn(SchemaRef, Rows) -> BoxFuture<'static, Result<()>> + Send + Sync + 'static,
) -> Result<Arc<dyn TableProvider>> {
    let stream = TaskStream { name, schema: schema.clone(), start: Arc::new(start) };
    Ok(Arc::new(StreamingTable::try_new(schema, vec![Arc::new(stream)])?))
}
