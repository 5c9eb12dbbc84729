//! Query results for Python through the Arrow PyCapsule interface (`__arrow_c_stream__`), which
//! pyarrow, pandas (through pyarrow), polars, awkward and `datafusion` itself read without a copy.

use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow::array::RecordBatchReader;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ffi::FFI_ArrowSchema;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow::record_batch::{RecordBatch, RecordBatchIterator};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::error;
use crate::runtime::{runtime, wait};

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";

/// A query, run when its rows are asked for: `pyarrow.table(df)`, `df.to_pandas()`, ...
#[pyclass(name = "DataFrame", module = "hepfusion._native", frozen)]
pub struct DataFrame {
    df: datafusion::dataframe::DataFrame,
}

impl DataFrame {
    pub fn new(df: datafusion::dataframe::DataFrame) -> Self {
        Self { df }
    }
}

#[pymethods]
impl DataFrame {
    /// Runs the query and streams its record batches as they are produced.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(&self, py: Python<'py>, requested_schema: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyCapsule>> {
        // The protocol lets a producer ignore a requested schema; the consumer casts.
        let _ = requested_schema;
        let df = self.df.clone();
        let stream = wait(py, async move { df.execute_stream().await })?;
        let reader = BlockingStream { schema: stream.schema(), stream, runtime: runtime()? };
        stream_capsule(py, Box::new(reader))
    }

    /// Runs the query to the end (with Ctrl-C and progress) and returns its batches as a
    /// stream over memory.
    fn collect(&self, py: Python<'_>) -> PyResult<Batches> {
        let df = self.df.clone();
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = wait(py, async move { df.collect().await })?;
        Ok(Batches { schema, batches })
    }

    /// The result's schema (as `pyarrow.schema(df.schema())` reads it).
    fn schema(&self) -> Schema {
        Schema(Arc::new(self.df.schema().as_arrow().clone()))
    }

    /// The first `limit` rows as a text table.
    #[pyo3(signature = (limit = 20))]
    fn to_string(&self, py: Python<'_>, limit: usize) -> PyResult<String> {
        let df = self.df.clone();
        pretty(&wait(py, async move { df.limit(0, Some(limit))?.collect().await })?)
    }

    /// The logical and physical plans.
    fn explain(&self, py: Python<'_>) -> PyResult<String> {
        let df = self.df.clone();
        pretty(&wait(py, async move { df.explain(false, false)?.collect().await })?)
    }

    fn count(&self, py: Python<'_>) -> PyResult<usize> {
        let df = self.df.clone();
        wait(py, async move { df.count().await })
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self.df.schema().fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect();
        format!("hepfusion.DataFrame[{}]", fields.join(", "))
    }
}

/// Record batches in memory, as an Arrow stream.
#[pyclass(name = "Batches", module = "hepfusion._native", frozen)]
pub struct Batches {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl Batches {
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(&self, py: Python<'py>, requested_schema: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(self.batches.clone().into_iter().map(Ok), Arc::clone(&self.schema));
        stream_capsule(py, Box::new(reader))
    }
}

/// An Arrow schema (`__arrow_c_schema__`).
#[pyclass(name = "Schema", module = "hepfusion._native", frozen)]
pub struct Schema(SchemaRef);

#[pymethods]
impl Schema {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.0.as_ref()).map_err(|e| error(e.to_string()))?;
        PyCapsule::new_with_value(py, schema, SCHEMA)
    }
}

fn pretty(batches: &[RecordBatch]) -> PyResult<String> {
    arrow::util::pretty::pretty_format_batches(batches).map(|t| t.to_string()).map_err(|e| error(e.to_string()))
}

fn stream_capsule<'py>(py: Python<'py>, reader: Box<dyn RecordBatchReader + Send>) -> PyResult<Bound<'py, PyCapsule>> {
    // Dropping an unconsumed capsule drops the stream, which releases it; a consumer moves it
    // out and leaves a released one behind.
    PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), STREAM)
}

/// The record batches of an object that exports an Arrow C stream (pyarrow tables and
/// readers, polars, pandas 2.2+ frames, our own results).
pub fn import_stream(obj: &Bound<'_, PyAny>) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let reader = import_reader(obj)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, ArrowError>>().map_err(|e| error(e.to_string()))?;
    Ok((schema, batches))
}

/// The Arrow C stream of `obj` (anything with `__arrow_c_stream__`), read from Rust.
pub fn import_reader(obj: &Bound<'_, PyAny>) -> PyResult<ArrowArrayStreamReader> {
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let ptr: NonNull<FFI_ArrowArrayStream> = capsule.pointer_checked(Some(STREAM))?.cast();
    // SAFETY: the capsule holds a valid stream by the protocol; `from_raw` moves it out and
    // leaves a released stream, which the capsule's destructor then ignores.
    unsafe { ArrowArrayStreamReader::from_raw(ptr.as_ptr()) }.map_err(|e| error(e.to_string()))
}

/// A query's stream read synchronously by the consumer (pyarrow calls `next` from its thread).
struct BlockingStream {
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
    runtime: &'static tokio::runtime::Runtime,
}

impl Iterator for BlockingStream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.runtime.block_on(self.stream.next())?;
        Some(next.map_err(|e| ArrowError::ExternalError(Box::new(e))))
    }
}

impl RecordBatchReader for BlockingStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
