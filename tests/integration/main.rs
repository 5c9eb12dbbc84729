//! The root crate's integration tests, as one binary: every test binary links DataFusion and
//! burn, so each one more costs a link of a ~100 MB executable and its disk space.

mod bad_input;
mod entry_order;
mod ml;
mod remote;
mod sql_root;
mod support;
