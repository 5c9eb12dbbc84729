//! The ROOT data source for DataFusion: `STORED AS ROOT` tables and the `read_root` table
//! function, over local files, HTTP(S) and S3.
//!
//! Modelled on DataFusion's Arrow IPC source: a [`format::RootFormat`] infers the schema and
//! exact row counts; a [`scan::RootSource`] opens each file (or byte range of a file) and
//! streams the tree's clusters as record batches of the projected columns.

pub mod format;
pub mod metadata;
pub mod metrics;
pub mod options;
pub mod read_root;
pub mod root_ls;
pub mod scan;
pub mod stores;
pub mod table;

use std::sync::Arc;

use datafusion::error::DataFusionError;

use crate::root::RootError;
use crate::states::TableFunctionEntry;

/// The data source's table functions: `read_root`, `root_ls`.
pub static TABLE_FUNCTIONS: [TableFunctionEntry; 2] = [
    (&read_root::SIGNATURE, |states| Arc::new(read_root::ReadRoot::new(states.clone()))),
    (&root_ls::SIGNATURE, |states| Arc::new(root_ls::RootLs::new(states.clone()))),
];

/// ROOT reader errors keep their message (file, tree, branch, basket) in DataFusion errors.
pub(crate) fn df_err(e: RootError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
