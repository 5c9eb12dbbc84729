//! hepfusion: CERN ROOT files as Apache DataFusion tables, and the particle-physics pipeline
//! of the SparkDLTrigger topology classifier in SQL.

pub mod arguments;
pub mod blocking;
pub mod datasource;
pub mod functions;
pub mod ml;
pub mod process;
/// The ROOT reader, a crate of its own (`hepfusion-root`), under its old path.
pub use hepfusion_root as root;
pub mod script_vars;
pub mod session;
pub mod states;

pub use session::{new_context, session_config};
