//! hepfusion: CERN ROOT files as Apache DataFusion tables, and the particle-physics pipeline
//! of the SparkDLTrigger topology classifier in SQL.

pub mod allocator;
pub mod datasource;
pub mod root;
pub mod session;

pub use allocator::tune_allocator;
pub use session::{new_context, session_config};
