//! The `SessionContext` every front end uses: the ROOT format and table function, remote
//! object stores, the DuckDB dialect (for lambdas), and all hepfusion functions.

use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::catalog::{Session, TableFunction};
use datafusion::config::Dialect;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder, SessionStateDefaults};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::datasource::format::RootFormatFactory;
use crate::functions::{scalar_functions, table_functions};
use crate::states::States;
use crate::datasource::table::RootTableFactory;
use crate::datasource::stores::LazyStoreRegistry;

/// The session configuration hepfusion starts from.
pub fn session_config() -> SessionConfig {
    let mut cfg = SessionConfig::new()
        .with_information_schema(true)
        .with_collect_statistics(true)
        .with_option_extension(hepfusion_udfs::options::HepfusionOptions::default());
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
    let state = hepfusion_state(SessionStateBuilder::new().with_config(cfg))?;
    Ok(SessionContext::new_with_state(state).enable_url_table())
}

/// Completes `builder` into a state with our runtime (remote object stores, memory limit),
/// the ROOT format and every hepfusion function.
fn hepfusion_state(builder: SessionStateBuilder) -> Result<SessionState> {
    let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(LazyStoreRegistry::default()));
    if let Some(limit) = memory_limit()? {
        // Fair: the Parquet writer and merges, which cannot spill, get what they need, and the
        // sorts share the rest and spill (the greedy pool lets a sort starve the writer).
        let pool = TrackConsumersPool::new(FairSpillPool::new(limit), NonZeroUsize::MIN.saturating_add(4));
        runtime = runtime.with_memory_pool(Arc::new(pool));
    }
    // DataFusion's own (`generate_series`, `range`) and ours: the builder takes the whole set.
    let table_functions = SessionStateDefaults::default_table_functions()
        .into_iter()
        .map(|f| (f.name().to_string(), f))
        .chain(table_functions(&states()).into_iter().map(|(sig, f)| (sig.name.to_string(), Arc::new(TableFunction::new(sig.name.to_string(), f)))));
    let mut state = hepfusion_udfs::planning::with_planning_rules(builder.with_runtime_env(runtime.build_arc()?))
        .with_table_factory("ROOT".into(), Arc::new(RootTableFactory::new(states())))
        .with_table_functions(table_functions.collect())
        .build();
    hepfusion_udfs::list::memory::attach(&mut state);
    state.register_file_format(Arc::new(RootFormatFactory), true)?;
    hepfusion_udfs::register_all(&mut state)?;
    for f in scalar_functions() {
        state.register_udf(f)?;
    }
    Ok(state)
}

/// How what we register gets our state for the session it is called with ([`state_of`]).
pub fn states() -> States {
    States::new(state_of)
}

/// Our state behind the `Session` a table function or table factory is called with: the
/// session itself when it is ours; for a foreign one (a `datafusion.SessionContext` in Python
/// calling through FFI) a hepfusion state over the caller's catalogs, so that the tables and
/// queries named in arguments resolve as the caller sees them, planned with our SQL rules.
pub fn state_of(session: &dyn Session) -> Result<SessionState> {
    if let Some(state) = session.as_any().downcast_ref::<SessionState>() {
        return Ok(state.clone());
    }
    let theirs = session.config_options();
    let mut cfg = session_config().with_create_default_catalog_and_schema(false);
    let ours = cfg.options_mut();
    ours.execution.target_partitions = theirs.execution.target_partitions;
    ours.execution.batch_size = theirs.execution.batch_size;
    ours.catalog.default_catalog = theirs.catalog.default_catalog.clone();
    ours.catalog.default_schema = theirs.catalog.default_schema.clone();
    hepfusion_state(SessionStateBuilder::new().with_config(cfg).with_catalog_list(session.catalog_list()))
}

/// The memory the operators that can spill (sorts, e.g. the pipeline's global shuffles) may
/// hold before they spill to disk: `HEPFUSION_MEMORY_LIMIT` (bytes, or with a K/M/G suffix;
/// `0` for no limit), by default half of the machine's memory. Without a limit a sort of a
/// dataset larger than memory would end in the kernel's out-of-memory killer.
fn memory_limit() -> Result<Option<usize>> {
    if let Ok(v) = std::env::var("HEPFUSION_MEMORY_LIMIT") {
        return match parse_size(&v) {
            Some(0) => Ok(None),
            Some(n) => Ok(Some(n)),
            None => Err(datafusion::error::DataFusionError::Configuration(format!(
                "HEPFUSION_MEMORY_LIMIT must be a size like 8G, 512M or a number of bytes, not '{v}'"
            ))),
        };
    }
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<usize>().ok().map(|kib| kib * 1024)
    });
    Ok(total.map(|t| t / 2))
}

fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], s[i..].trim().to_ascii_uppercase()),
        None => (s, String::new()),
    };
    let factor: usize = match unit.trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5X"), None);
    }
}
