//! The `SessionContext` every front end uses: the ROOT format and table function, remote
//! object stores, the DuckDB dialect (for lambdas), and all hepfusion functions.

use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::config::Dialect;
use datafusion::datasource::provider::DefaultTableFactory;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::datasource::format::RootFormatFactory;
use crate::datasource::read_root::ReadRoot;
use crate::datasource::stores::LazyStoreRegistry;

/// The session configuration hepfusion starts from.
pub fn session_config() -> SessionConfig {
    let mut cfg = SessionConfig::new()
        .with_information_schema(true)
        .with_collect_statistics(true)
        .with_option_extension(crate::ml::registry::MlOptions::default());
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
    let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(LazyStoreRegistry::default()));
    if let Some(limit) = memory_limit()? {
        // Fair: the Parquet writer and merges, which cannot spill, get what they need, and the
        // sorts share the rest and spill (the greedy pool lets a sort starve the writer).
        let pool = TrackConsumersPool::new(FairSpillPool::new(limit), NonZeroUsize::MIN.saturating_add(4));
        runtime = runtime.with_memory_pool(Arc::new(pool));
    }
    let runtime = runtime.build_arc()?;
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
    crate::ml::register(&ctx);
    Ok(ctx)
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
