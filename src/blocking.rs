//! Planning-time async work (schema inference, resolving a query's tables) from the
//! synchronous `TableFunctionImpl::call_with_args`.

use std::future::Future;

use datafusion::error::{DataFusionError, Result};

/// Runs `fut` to completion: in place on a multi-threaded tokio runtime, otherwise on a
/// thread of its own with a current-thread runtime.
pub fn block_on<T: Send + 'static>(fut: impl Future<Output = Result<T>> + Send + 'static) -> Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| h.block_on(fut)),
        _ => std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| DataFusionError::External(Box::new(e)))?
                .block_on(fut)
        })
        .join()
        .map_err(|_| DataFusionError::Execution("planning thread failed".into()))?,
    }
}
