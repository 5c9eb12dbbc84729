//! Array and particle-physics functions for any DataFusion `SessionContext`.
//!
//! The function families arrive with issue #3; `register_all` is the one entry point so that
//! the shell, scripts, Python and third-party applications register exactly the same set.

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;

/// Registers every hepfusion function with `registry`.
pub fn register_all(_registry: &mut dyn FunctionRegistry) -> Result<()> {
    Ok(())
}
