//! What a ROOT scan knows of a file before it reads data, as Parquet's `metadata.rs` holds
//! footers: the opened tree (header, directory, streamers, the TTree and its basket tables),
//! cached in DataFusion's file-metadata cache, and a file's name for messages.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::error::Result;
use datafusion::execution::cache::cache_manager::{CachedFileMetadataEntry, FileMetadata, FileMetadataCache};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};

use super::df_err;
use super::options::RootOptions;
use crate::root::{Source, TreeReader};

/// Opens the configured tree of one object, or takes it from `cache`. A table's files are
/// opened to infer its schema, to count its entries and to scan them, and a shell or notebook
/// runs many queries over one table: each open reads the file's header, directory, streamers
/// and tree (a few round trips, remote), so opened trees live in DataFusion's file-metadata
/// cache, as Parquet footers do, and are reopened when the file's size or time changes.
pub(crate) async fn open_tree(
    store: &Arc<dyn ObjectStore>,
    meta: &ObjectMeta,
    opts: &RootOptions,
    cache: Option<&Arc<FileMetadataCache>>,
) -> Result<Arc<TreeReader>> {
    let name = display_name(store.as_ref(), &meta.location);
    // The cache is keyed by path in the store; the name adds the store (a local file and an
    // S3 object may share a path).
    let key = (name.clone(), opts.clone());
    let cached = cache.and_then(|c| c.get(&meta.location)).filter(|e| e.is_valid_for(meta));
    let trees = cached.as_ref().and_then(|e| e.file_metadata.as_any().downcast_ref::<OpenedTrees>());
    if let Some(reader) = trees.and_then(|t| t.0.get(&key)) {
        return Ok(Arc::clone(reader));
    }
    let source = Source::new(Arc::clone(store), meta.location.clone(), meta.size, name);
    let reader = Arc::new(TreeReader::open(source, opts.tree.as_deref(), &opts.reader).await.map_err(df_err)?);
    if let Some(cache) = cache {
        let mut trees = trees.map(|t| t.0.clone()).unwrap_or_default();
        trees.insert(key, Arc::clone(&reader));
        cache.put(&meta.location, CachedFileMetadataEntry::new(meta.clone(), Arc::new(OpenedTrees(trees))));
    }
    Ok(reader)
}

/// The trees opened in one file, by file name and table options.
struct OpenedTrees(HashMap<(String, RootOptions), Arc<TreeReader>>);

impl FileMetadata for OpenedTrees {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn memory_size(&self) -> usize {
        self.0.iter().map(|((name, _), reader)| name.len() + reader.memory_size()).sum()
    }

    fn extra_info(&self) -> datafusion::common::HashMap<String, String> {
        [("trees".to_string(), self.0.len().to_string())].into_iter().collect()
    }
}

/// The session's file-metadata cache.
pub(crate) fn metadata_cache(state: &dyn Session) -> Arc<FileMetadataCache> {
    state.runtime_env().cache_manager.get_file_metadata_cache()
}

/// A file's name as its user wrote it, for messages. Object-store paths are relative to the
/// store's root, so the local file `/data/x.root` is `data/x.root` there; the store's
/// description gives the root back (`LocalFileSystem(file:///)`, `AmazonS3(bucket)`). An HTTP
/// store does not name its host, so those files keep their path.
pub(crate) fn display_name(store: &dyn ObjectStore, location: &Path) -> String {
    let store = store.to_string();
    let inside = |prefix: &str| store.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')')).map(str::to_string);
    if let Some(root) = inside("LocalFileSystem(file://") {
        format!("{}/{location}", root.trim_end_matches('/'))
    } else if let Some(bucket) = inside("AmazonS3(") {
        format!("s3://{bucket}/{location}")
    } else {
        location.to_string()
    }
}

