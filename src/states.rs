//! The hepfusion state behind whatever `Session` DataFusion calls us with. Table functions,
//! the `STORED AS ROOT` factory and the prediction view plan queries and read tables: they
//! need a state with our SQL rules over the caller's catalogs, also when the caller is not
//! ours (a `datafusion.SessionContext` in Python, through FFI). Only `session.rs` knows how to
//! build one; it hands that down as [`States`] to what it registers, so that imports run one
//! way: session → data source and ML → here.

use std::fmt;
use std::sync::Arc;

use datafusion::catalog::{Session, TableFunctionImpl};
use datafusion::error::Result;
use datafusion::execution::SessionState;

use crate::arguments::TableSignature;

/// A table function as registered: its signature, and how to make it with the [`States`]
/// that it gets our state from.
pub type TableFunctionEntry = (&'static TableSignature, fn(&States) -> Arc<dyn TableFunctionImpl>);

#[derive(Clone)]
pub struct States(Arc<dyn Fn(&dyn Session) -> Result<SessionState> + Send + Sync>);

impl States {
    pub fn new(state_of: impl Fn(&dyn Session) -> Result<SessionState> + Send + Sync + 'static) -> Self {
        Self(Arc::new(state_of))
    }

    /// Our state for `session`: the session itself when it is ours.
    pub fn of(&self, session: &dyn Session) -> Result<SessionState> {
        (self.0)(session)
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("States")
    }
}
