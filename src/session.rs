//! The `SessionContext` every front end uses: the ROOT format and table function, remote
//! object stores, the DuckDB dialect (for lambdas), and all hepfusion functions.

use std::sync::Arc;

use datafusion::config::Dialect;
use datafusion::datasource::provider::DefaultTableFactory;
use datafusion::error::Result;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::datasource::format::RootFormatFactory;
use crate::datasource::read_root::ReadRoot;
use crate::datasource::stores::LazyStoreRegistry;

/// The session configuration hepfusion starts from.
pub fn session_config() -> SessionConfig {
    let mut cfg = SessionConfig::new().with_information_schema(true).with_collect_statistics(true);
    cfg.options_mut().sql_parser.dialect = Dialect::DuckDB;
    // ROOT branch names are case-sensitive (NJet, Jet_pt, MET_pt): keep identifiers as written.
    cfg.options_mut().sql_parser.enable_ident_normalization = false;
    cfg
}

/// A new context with everything hepfusion provides registered.
pub fn new_context() -> Result<SessionContext> {
    new_context_with_config(session_config())
}

pub fn new_context_with_config(cfg: SessionConfig) -> Result<SessionContext> {
    let runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(LazyStoreRegistry::default())).build_arc()?;
    let mut state = SessionStateBuilder::new()
        .with_config(cfg)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_physical_optimizer_rules(hepfusion_udfs::planning::physical_optimizer_rules())
        .with_table_factory("ROOT".into(), Arc::new(DefaultTableFactory::new()))
        .build();
    state.register_file_format(Arc::new(RootFormatFactory), true)?;
    hepfusion_udfs::register_all(&mut state)?;
    let ctx = SessionContext::new_with_state(state).enable_url_table();
    ctx.register_udtf("read_root", Arc::new(ReadRoot));
    Ok(ctx)
}
