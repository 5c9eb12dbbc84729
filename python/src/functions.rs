//! Our functions and the ROOT table factory as the PyCapsules `datafusion.SessionContext`
//! registers (datafusion-ffi; the `datafusion` wheel must have our DataFusion major).
//!
//! Lambda functions (`filter`, `transform`, ...) cannot be exported: datafusion-ffi 55 has no
//! FFI type for higher-order functions. [`lambda_functions`] names them so that Python can
//! point users to `hepfusion.SessionContext`.

use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionImpl, TableProviderFactory};
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::error;
use crate::runtime::runtime;

const CODEC: &CStr = c"datafusion_logical_extension_codec";

#[pyclass(name = "ScalarFunction", module = "hepfusion._native", frozen)]
pub struct ScalarFunction(Arc<ScalarUDF>);

#[pymethods]
impl ScalarFunction {
    #[getter]
    fn name(&self) -> &str {
        self.0.name()
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, FFI_ScalarUDF::from(Arc::clone(&self.0)), c"datafusion_scalar_udf")
    }
}

#[pyclass(name = "AggregateFunction", module = "hepfusion._native", frozen)]
pub struct AggregateFunction(Arc<AggregateUDF>);

#[pymethods]
impl AggregateFunction {
    #[getter]
    fn name(&self) -> &str {
        self.0.name()
    }

    fn __datafusion_aggregate_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, FFI_AggregateUDF::from(Arc::clone(&self.0)), c"datafusion_aggregate_udf")
    }
}

#[pyclass(name = "TableFunction", module = "hepfusion._native", frozen)]
pub struct TableFunction {
    name: &'static str,
    function: Arc<dyn TableFunctionImpl>,
}

#[pymethods]
impl TableFunction {
    #[getter]
    fn name(&self) -> &str {
        self.name
    }

    /// Whether it reads an input (a table or query argument): on datafusion's own context
    /// such functions are called through `call_with_caller_session` instead of the FFI.
    #[getter]
    fn reads_input(&self) -> bool {
        hepfusion::ml::INPUT_FUNCTIONS.contains(&self.name)
    }

    fn __datafusion_table_function__<'py>(&self, py: Python<'py>, session: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = logical_codec(&session)?;
        let function = FFI_TableFunction::new_with_ffi_codec(Arc::clone(&self.function), Some(runtime()?.handle().clone()), codec);
        PyCapsule::new_with_value(py, function, c"datafusion_table_function")
    }
}

/// `ctx.register_table_factory("ROOT", RootTableFactory())`: `CREATE EXTERNAL TABLE ...
/// STORED AS ROOT`.
#[pyclass(name = "RootTableFactory", module = "hepfusion._native", frozen)]
pub struct RootTableFactory;

#[pymethods]
impl RootTableFactory {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_provider_factory__<'py>(&self, py: Python<'py>, codec: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = logical_codec(&codec)?;
        let factory = Arc::new(hepfusion::datasource::table::RootTableFactory::new(hepfusion::session::states())) as Arc<dyn TableProviderFactory + Send>;
        let factory = FFI_TableProviderFactory::new_with_ffi_codec(factory, Some(runtime()?.handle().clone()), codec);
        PyCapsule::new_with_value(py, factory, c"datafusion_table_provider_factory")
    }
}

/// The logical-plan codec of a Python `SessionContext` (or of the object it handed us).
pub fn logical_codec(obj: &Bound<'_, PyAny>) -> PyResult<FFI_LogicalExtensionCodec> {
    let capsule = if obj.hasattr("__datafusion_logical_extension_codec__")? {
        obj.call_method0("__datafusion_logical_extension_codec__")?
    } else {
        obj.clone()
    };
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| error("expected a datafusion SessionContext (or its logical extension codec capsule)"))?;
    let ptr: NonNull<FFI_LogicalExtensionCodec> = capsule.pointer_checked(Some(CODEC))?.cast();
    // SAFETY: a capsule of this name holds an FFI_LogicalExtensionCodec (datafusion-ffi).
    let codec = unsafe { ptr.as_ref() };
    let theirs = unsafe { (codec.version)() };
    if theirs != datafusion_ffi::version() {
        return Err(PyImportError::new_err(format!(
            "the installed datafusion package has DataFusion {theirs}, hepfusion is built on {}: install datafusion=={}.*",
            datafusion_ffi::version(),
            datafusion_ffi::version()
        )));
    }
    Ok(codec.clone())
}

/// Our scalar functions (particle lists, kinematics, histograms, `predict_proba`).
#[pyfunction]
pub fn scalar_functions() -> Vec<ScalarFunction> {
    let mut all = hepfusion_udfs::scalar_functions();
    all.extend(hepfusion::functions::scalar_functions());
    all.into_iter().map(ScalarFunction).collect()
}

/// Our aggregate functions (histogram, ROC AUC and curve, confusion matrix, accuracy).
#[pyfunction]
pub fn aggregate_functions() -> Vec<AggregateFunction> {
    hepfusion_udfs::aggregate_functions().into_iter().map(AggregateFunction).collect()
}

/// Our table functions (`read_root` and the ML functions).
#[pyfunction]
pub fn table_functions() -> Vec<TableFunction> {
    hepfusion::functions::table_functions(&hepfusion::session::states()).into_iter().map(|(sig, function)| TableFunction { name: sig.name, function }).collect()
}

/// The names of our lambda functions, with their aliases: they need `hepfusion.SessionContext`.
#[pyfunction]
pub fn lambda_functions() -> Vec<String> {
    let mut names = Vec::new();
    for f in hepfusion_udfs::higher_order_functions() {
        names.push(f.name().to_string());
        names.extend(f.aliases().iter().cloned());
    }
    names
}
