//! The ML functions that read an input (`train_classifier`, `tune_classifier`, `predict`,
//! `plot_lines`) on a plain `datafusion.SessionContext`.
//!
//! Through datafusion-ffi 55 they would run the caller's scans (Parquet, CSV, datasets) under
//! our tokio runtime with the wheel's own tokio build, which crashes the interpreter
//! (python/README.md). Instead `hepfusion.register` makes them Python table functions that get
//! the caller's session: the caller's engine plans and runs the input query and hands us its
//! rows as an Arrow C stream, and our function runs in a hepfusion session of its own whose
//! result the caller scans through the FFI like any table of ours.

use std::sync::Arc;

use arrow::array::RecordBatchReader;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableProvider};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion_ffi::table_provider::FFI_TableProvider;
use futures::StreamExt;
use hepfusion::ml::external::{ExternalInputs, ExternalQueries};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::dataframe::{import_reader, import_stream};
use crate::errors::{error, to_py};
use crate::functions::logical_codec;
use crate::runtime::runtime;

/// `hepfusion._caller.CallerSession`: runs SQL in the caller's session, off its runtime.
#[derive(Debug)]
struct CallerSession(Py<PyAny>);

/// The message of a Python exception (the caller's own error: a missing table, bad SQL).
fn message(e: PyErr) -> String {
    Python::attach(|py| e.value(py).to_string())
}

impl ExternalQueries for CallerSession {
    fn schema(&self, sql: &str) -> Result<SchemaRef> {
        Python::attach(|py| Ok(import_reader(&self.0.bind(py).call_method1("schema", (sql,))?)?.schema()))
            .map_err(|e| DataFusionError::Plan(message(e)))
    }

    fn run(&self, sql: &str) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + Send>> {
        let reader = Python::attach(|py| import_reader(&self.0.bind(py).call_method1("run", (sql,))?))
            .map_err(|e| DataFusionError::Execution(message(e)))?;
        // Read without the GIL: pyarrow takes it to call the generator behind the stream.
        Ok(Box::new(reader.map(|batch| batch.map_err(|e| DataFusionError::ArrowError(Box::new(e), None)))))
    }
}

/// Calls our table function `name` with the constants in the one row of `args` (the caller
/// evaluated the argument expressions), its input read through `caller`.
#[pyfunction]
pub fn call_with_caller_session(py: Python<'_>, name: &str, args: &Bound<'_, PyAny>, caller: Py<PyAny>) -> PyResult<Table> {
    let function = hepfusion::functions::table_functions(&hepfusion::session::states())
        .into_iter()
        .find_map(|(sig, f)| (sig.name == name).then_some(f))
        .ok_or_else(|| error(format!("no hepfusion table function '{name}'")))?;
    let (_, batches) = import_stream(args)?;
    let exprs = match batches.iter().find(|b| b.num_rows() > 0) {
        Some(row) => (0..row.num_columns())
            .map(|i| ScalarValue::try_from_array(row.column(i), 0).map(|v| Expr::Literal(v, None)))
            .collect::<Result<Vec<_>>>()
            .map_err(to_py)?,
        None => Vec::new(),
    };
    let inputs = ExternalInputs(Arc::new(CallerSession(caller)));
    let config = hepfusion::session::session_config().with_extension(Arc::new(inputs));
    let state = hepfusion::session::new_context_with_config(config).map_err(to_py)?.state();
    let provider = py.detach(|| function.call_with_args(TableFunctionArgs::new(&exprs, &state))).map_err(to_py)?;
    Ok(Table(Arc::new(OnOurRuntime(provider))))
}

/// Our table as the caller's planner sees it: a leaf whose partitions run on our runtime.
/// Through datafusion-ffi 55 the caller may rebuild the inner nodes of a plan of ours (its
/// `replace_children` hands our nodes back without a runtime), and an operator of ours that
/// spawns (a repartition, a training) would then panic outside any tokio runtime.
#[derive(Debug)]
struct OnOurRuntime(Arc<dyn TableProvider>);

#[async_trait]
impl TableProvider for OnOurRuntime {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        self.0.table_type()
    }

    async fn scan(&self, session: &dyn Session, projection: Option<&Vec<usize>>, filters: &[Expr], limit: Option<usize>) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.0.scan(session, projection, filters, limit).await?;
        let handle = runtime().map_err(|e| DataFusionError::Execution(message(e)))?.handle().clone();
        let schema = plan.schema();
        let partitions = (0..plan.output_partitioning().partition_count())
            .map(|partition| {
                let (plan, schema, handle) = (Arc::clone(&plan), Arc::clone(&schema), handle.clone());
                Arc::new(PartitionOnRuntime { plan, schema, partition, handle }) as Arc<dyn PartitionStream>
            })
            .collect();
        Ok(Arc::new(StreamingTableExec::try_new(plan.schema(), partitions, None, [], false, None)?))
    }
}

#[derive(Debug)]
struct PartitionOnRuntime {
    plan: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    partition: usize,
    handle: tokio::runtime::Handle,
}

impl PartitionStream for PartitionOnRuntime {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&self.schema), 2);
        let tx = builder.tx();
        let (plan, partition) = (Arc::clone(&self.plan), self.partition);
        builder.spawn_on(
            async move {
                let mut stream = plan.execute(partition, ctx)?;
                while let Some(batch) = stream.next().await {
                    if tx.send(batch).await.is_err() {
                        break; // the consumer is gone (a cancelled query)
                    }
                }
                Ok(())
            },
            &self.handle,
        );
        builder.build()
    }
}

/// A table of ours handed to the caller's session (`__datafusion_table_provider__`).
#[pyclass(name = "Table", module = "hepfusion._native", frozen)]
pub struct Table(Arc<dyn TableProvider>);

#[pymethods]
impl Table {
    fn __datafusion_table_provider__<'py>(&self, py: Python<'py>, session: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = logical_codec(&session)?;
        let provider = FFI_TableProvider::new_with_ffi_codec(Arc::clone(&self.0), false, Some(runtime()?.handle().clone()), codec);
        PyCapsule::new_with_value(py, provider, c"datafusion_table_provider")
    }
}
