//! hepfusion: CERN ROOT files as Apache DataFusion tables, and the particle-physics pipeline
//! of the SparkDLTrigger topology classifier in SQL.

#[cfg(feature = "datafusion")]
pub mod blocking;
#[cfg(feature = "datafusion")]
pub mod datasource;
#[cfg(feature = "datafusion")]
pub mod ml;
pub mod process;
/// The ROOT reader, a crate of its own (`hepfusion-root`), under its old path.
pub use hepfusion_root as root;
pub mod script_vars;
#[cfg(feature = "datafusion")]
pub mod session;

#[cfg(feature = "datafusion")]
pub use session::{new_context, session_config};
