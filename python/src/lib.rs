//! `hepfusion._native`: the Rust half of the `hepfusion` Python package.
//!
//! Two ways in, because DataFusion 55 cannot pass lambda functions through its FFI:
//! - [`context::SessionContext`] runs our whole Rust session (every function, `p.pt` in
//!   lambdas, named arguments) and hands results to Python as Arrow C streams;
//! - [`functions`] exports the ROOT table factory and our scalar, aggregate and table functions
//!   as the PyCapsules that `datafusion.SessionContext` registers; [`caller`] runs the ML
//!   functions that read an input there without crossing the FFI with the caller's scans.

mod caller;
mod context;
mod dataframe;
mod errors;
mod functions;
mod progress;
mod runtime;
mod warnings;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    warnings::init();
    m.add("HepfusionError", m.py().get_type::<errors::HepfusionError>())?;
    m.add("HepfusionWarning", m.py().get_type::<warnings::HepfusionWarning>())?;
    m.add_class::<context::SessionContext>()?;
    m.add_class::<dataframe::DataFrame>()?;
    m.add_class::<dataframe::Batches>()?;
    m.add_class::<dataframe::Schema>()?;
    m.add_class::<functions::ScalarFunction>()?;
    m.add_class::<functions::AggregateFunction>()?;
    m.add_class::<functions::TableFunction>()?;
    m.add_class::<functions::RootTableFactory>()?;
    m.add_class::<caller::Table>()?;
    m.add_function(wrap_pyfunction!(functions::scalar_functions, m)?)?;
    m.add_function(wrap_pyfunction!(functions::aggregate_functions, m)?)?;
    m.add_function(wrap_pyfunction!(functions::table_functions, m)?)?;
    m.add_function(wrap_pyfunction!(functions::lambda_functions, m)?)?;
    m.add_function(wrap_pyfunction!(progress::set_progress, m)?)?;
    m.add_function(wrap_pyfunction!(caller::call_with_caller_session, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
