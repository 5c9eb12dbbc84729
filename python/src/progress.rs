//! Training progress for Python. Training threads never take the GIL: they queue updates,
//! and the thread waiting for the query ([`crate::runtime::wait`]), which holds the GIL between
//! waits, hands them to the callback. A consumer that holds the GIL while it reads our Arrow
//! stream therefore cannot deadlock a training.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use hepfusion::ml::progress::{set_listener, Update};
use pyo3::prelude::*;
use pyo3::types::PyDict;

static CALLBACK: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
static QUEUE: Mutex<VecDeque<Update>> = Mutex::new(VecDeque::new());

/// Updates kept for a callback that is not being called (a stream read without our wait):
/// the oldest go first.
const MAX_QUEUED: usize = 1024;

/// `callback(update: dict)` receives every training's progress: `model`, `epoch`, `epochs`,
/// `rows`, `rows_per_epoch`, `loss`, and `epoch_done` (the epoch's summary line when the epoch
/// ends, else None). `None` removes it.
#[pyfunction]
#[pyo3(signature = (callback))]
pub fn set_progress(callback: Option<Py<PyAny>>) {
    let on = callback.is_some();
    *CALLBACK.lock().unwrap_or_else(|e| e.into_inner()) = callback;
    QUEUE.lock().unwrap_or_else(|e| e.into_inner()).clear();
    set_listener(on.then(|| Arc::new(queue) as hepfusion::ml::progress::Listener));
}

fn queue(u: &Update) {
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    if q.len() >= MAX_QUEUED {
        q.pop_front();
    }
    q.push_back(u.clone());
}

/// Calls the callback with every queued update; an exception in it ends the query.
pub fn deliver(py: Python<'_>) -> PyResult<()> {
    let Some(callback) = CALLBACK.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|c| c.clone_ref(py)) else {
        return Ok(());
    };
    let updates: Vec<Update> = QUEUE.lock().unwrap_or_else(|e| e.into_inner()).drain(..).collect();
    for u in updates {
        let d = PyDict::new(py);
        d.set_item("model", u.model)?;
        d.set_item("epoch", u.epoch)?;
        d.set_item("epochs", u.epochs)?;
        d.set_item("rows", u.rows)?;
        d.set_item("rows_per_epoch", u.rows_per_epoch)?;
        d.set_item("loss", u.loss)?;
        d.set_item("epoch_done", u.epoch_done)?;
        callback.call1(py, (d,))?;
    }
    Ok(())
}
