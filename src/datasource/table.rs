//! A ROOT file, directory or glob as a `ListingTable`, and the `STORED AS ROOT` table factory.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::CreateExternalTable;

use super::format::{RootFormat, NO_ROOT_FILES};
use super::options::RootOptions;
use crate::states::States;

/// The table of the tree chosen by `opts` in the ROOT files at `locations` (files,
/// directories, globs), its schema inferred from the first location's branches.
pub async fn root_table(state: &SessionState, locations: &[String], opts: RootOptions) -> Result<Arc<dyn TableProvider>> {
    let urls = locations.iter().map(|l| table_url(l)).collect::<Result<Vec<_>>>()?;
    let first = urls.first().ok_or_else(|| DataFusionError::Plan("a ROOT table needs a location".into()))?;
    // Directories and globs hold other files too: only `*.root` are read. A file named on its
    // own is read whatever its name, so that one that is not ROOT says so.
    let named_files = urls.iter().all(|u| !u.is_collection() && u.get_glob().is_none());
    let listing = ListingOptions::new(Arc::new(RootFormat::new(opts))).with_file_extension(if named_files { "" } else { ".root" });
    let schema = listing.infer_schema(state, first).await.map_err(|e| match e {
        DataFusionError::Plan(m) if m == NO_ROOT_FILES => DataFusionError::Plan(format!("{m}: '{}'", locations[0])),
        DataFusionError::Plan(m) if m.starts_with("No files found at") => DataFusionError::Plan(nothing_at(&locations[0], first)),
        e => e,
    })?;
    let cfg = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(listing).with_schema(schema);
    let table = ListingTable::try_new(cfg)?.with_cache(state.runtime_env().cache_manager.get_file_statistic_cache());
    Ok(Arc::new(table))
}

/// Why a location gave no files: it does not exist, or it is a directory (or a glob) without
/// `*.root` files.
fn nothing_at(location: &str, url: &ListingTableUrl) -> String {
    if url.scheme() != "file" {
        return format!("no ROOT files found at '{location}' (nothing there, or no *.root objects)");
    }
    let path = std::path::Path::new(url.prefix().as_ref());
    let path = if path.is_absolute() { path.to_path_buf() } else { std::path::Path::new("/").join(path) };
    if url.get_glob().is_some() {
        format!("no ROOT files match '{location}'")
    } else if path.is_dir() {
        format!("no ROOT files (*.root) in directory '{location}'")
    } else {
        format!("'{location}' does not exist (no such file or directory)")
    }
}

/// A location as a listing URL. DataFusion expands globs in local paths only; in
/// `s3://bucket/run*/nano_*.root` the part from the first segment with a glob character on
/// becomes the pattern, and what precedes it the listed prefix.
fn table_url(location: &str) -> Result<ListingTableUrl> {
    let remote = location.split_once("://").is_some_and(|(scheme, _)| scheme != "file");
    let glob_at = location.find(['*', '?', '[']);
    match (remote, glob_at) {
        (true, Some(at)) => {
            let (prefix, pattern) = location.split_at(location[..at].rfind('/').map_or(0, |i| i + 1));
            let url = url::Url::parse(prefix).map_err(|e| DataFusionError::Plan(format!("location '{location}': {e}")))?;
            let glob = glob::Pattern::new(pattern)
                .map_err(|e| DataFusionError::Plan(format!("location '{location}': glob '{pattern}': {e}")))?;
            ListingTableUrl::try_new(url, Some(glob))
        }
        _ => ListingTableUrl::parse(location),
    }
}

/// `CREATE EXTERNAL TABLE t STORED AS ROOT LOCATION ... OPTIONS ('root.tree' ...)`, in our
/// sessions and in foreign ones (Python's `datafusion.SessionContext` through FFI), which
/// DataFusion's `ListingTableFactory` cannot serve: it needs the caller's `SessionState`.
#[derive(Debug)]
pub struct RootTableFactory {
    states: States,
}

impl RootTableFactory {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

#[async_trait]
impl TableProviderFactory for RootTableFactory {
    async fn create(&self, session: &dyn Session, cmd: &CreateExternalTable) -> Result<Arc<dyn TableProvider>> {
        if !cmd.schema.fields().is_empty() {
            return Err(DataFusionError::Plan(format!(
                "CREATE EXTERNAL TABLE {} STORED AS ROOT: the columns come from the tree's branches; leave out the column list",
                cmd.name
            )));
        }
        if !cmd.table_partition_cols.is_empty() {
            return Err(DataFusionError::NotImplemented(format!(
                "CREATE EXTERNAL TABLE {} STORED AS ROOT: PARTITIONED BY is not supported",
                cmd.name
            )));
        }
        let opts = RootOptions::from_map(&cmd.options)?;
        root_table(&self.states.of(session)?, &cmd.locations, opts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_globs_become_a_prefix_and_a_pattern() {
        let u = table_url("s3://bucket/runs/nano_*.root").unwrap();
        assert_eq!(u.as_str(), "s3://bucket/runs/");
        assert_eq!(u.get_glob().as_ref().map(|g| g.as_str()), Some("nano_*.root"));
        let u = table_url("s3://bucket/run?/*.root").unwrap();
        assert_eq!((u.as_str(), u.get_glob().as_ref().unwrap().as_str()), ("s3://bucket/", "run?/*.root"));
        let plain = table_url("s3://bucket/runs/").unwrap();
        assert!(plain.get_glob().is_none());
        assert!(table_url("s3://bucket/[x.root").unwrap_err().to_string().contains("s3://bucket/[x.root"));
    }
}
