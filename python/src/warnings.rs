//! The Rust side's warnings (ROOT branches left out of a table) as Python warnings of class
//! `hepfusion.HepfusionWarning`, so that a notebook shows them under the cell and
//! `warnings.filterwarnings` silences them; `SET hepfusion.warnings = false` stops them at
//! the source. Each message is given once per process.

use pyo3::create_exception;
use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;

create_exception!(hepfusion, HepfusionWarning, PyUserWarning, "Something a hepfusion query left out or could not do as asked (a ROOT branch left out of a table).");

pub fn init() {
    hepfusion::process::log_warnings_once(|msg| {
        // Queries wait with the GIL released (`runtime::wait`, datafusion-python's
        // `wait_for_future`), so a worker thread can take it to warn.
        Python::attach(|py| {
            let category = py.get_type::<HepfusionWarning>();
            let text = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
            if let Err(e) = PyErr::warn(py, &category, &text, 1) {
                // A filter set to "error" raises: nobody waits on this thread for it.
                e.print(py);
            }
        });
    });
}
