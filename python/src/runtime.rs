//! The tokio runtime our queries run on, and waiting for them from Python.

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::{error, to_py};
use crate::progress;

pub fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<std::io::Result<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| hepfusion::process::runtime_builder().thread_name("hepfusion").build())
        .as_ref()
        .map_err(|e| error(format!("cannot start hepfusion's tokio runtime: {e}")))
}

/// How often a waiting query looks for Ctrl-C and hands progress to the Python callback.
const POLL: Duration = Duration::from_millis(100);

/// Runs `fut` on our runtime with the GIL released (other Python threads go on). Between
/// waits, with the GIL, it delivers training progress to the Python callback and checks for
/// signals: Ctrl-C drops the query, which cancels it (a training leaves the registry as it
/// was), and raises `KeyboardInterrupt`.
pub fn wait<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = datafusion::error::Result<T>> + Send + 'static,
) -> PyResult<T> {
    let (tx, mut rx) = mpsc::channel();
    let task = runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        let delivered = progress::deliver(py).and_then(|()| py.check_signals());
        if let Err(e) = delivered {
            task.abort();
            return Err(e);
        }
        match got {
            Ok(result) => return result.map_err(to_py),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err(error("the query ended without a result (it panicked); see stderr")),
        }
    }
}
