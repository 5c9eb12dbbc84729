//! Query errors as Python exceptions that carry DataFusion's message (file, branch, argument).

use datafusion::error::DataFusionError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    hepfusion,
    HepfusionError,
    PyException,
    "A hepfusion query failed: bad SQL or arguments, an unreadable file, a missing model."
);

pub fn to_py(e: DataFusionError) -> PyErr {
    HepfusionError::new_err(e.to_string())
}

pub fn error(message: impl Into<String>) -> PyErr {
    HepfusionError::new_err(message.into())
}
