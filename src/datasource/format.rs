//! `FileFormat` for ROOT: schema inference from the tree's branches and exact row counts.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::{GetExt, Statistics};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory};
use datafusion::datasource::physical_plan::{FileScanConfig, FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::cache::cache_manager::{CachedFileMetadataEntry, FileMetadata, FileMetadataCache};
use datafusion::physical_plan::ExecutionPlan;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};

use hepfusion_udfs::options::HepfusionOptions;

use super::df_err;
use super::options::RootOptions;
use super::scan::RootSource;
use crate::root::{Source, TreeReader};

/// Schema inference's error where a location holds no (non-empty) files; DataFusion's listing
/// does not say which location, [`super::table::root_table`] adds it.
pub(crate) const NO_ROOT_FILES: &str = "no ROOT files found at the table's location (empty files are skipped)";

/// Creates [`RootFormat`]s from table options; registered under the extension `root`.
#[derive(Debug, Default)]
pub struct RootFormatFactory;

impl GetExt for RootFormatFactory {
    fn get_ext(&self) -> String {
        "root".into()
    }
}

impl FileFormatFactory for RootFormatFactory {
    fn create(&self, _state: &dyn Session, opts: &HashMap<String, String>) -> Result<Arc<dyn FileFormat>> {
        Ok(Arc::new(RootFormat::new(RootOptions::from_map(opts)?)))
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(RootFormat::default())
    }
}

#[derive(Debug, Default, Clone)]
pub struct RootFormat {
    opts: Arc<RootOptions>,
}

impl RootFormat {
    pub fn new(opts: RootOptions) -> Self {
        RootFormat { opts: Arc::new(opts) }
    }
}

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

/// Says which branches a table leaves out, once per table: its schema is inferred once, when
/// the table is created (`CREATE EXTERNAL TABLE`, `read_root`), whatever later reads it. The
/// files of a table share one schema, so the first file speaks for all.
fn warn_left_out(reader: &TreeReader, files: usize) {
    let others = match files {
        1 => String::new(),
        2 => " (and the table's other file)".to_string(),
        n => format!(" (and the table's {} other files)", n - 1),
    };
    for s in reader.branch_statuses() {
        if let Err(why) = &s.status {
            log::warn!("{}{others}: tree '{}': branch '{}' left out: {why}", reader.source().name(), reader.tree_path, s.path);
        }
    }
}

/// The session's file-metadata cache.
fn metadata_cache(state: &dyn Session) -> Arc<FileMetadataCache> {
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

#[async_trait]
impl FileFormat for RootFormat {
    fn get_ext(&self) -> String {
        "root".into()
    }

    fn get_ext_with_compression(&self, c: &FileCompressionType) -> Result<String> {
        if c.is_compressed() {
            Err(DataFusionError::NotImplemented("ROOT files compress their own baskets; outer compression is not supported".into()))
        } else {
            Ok("root".into())
        }
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        None
    }

    async fn infer_schema(&self, state: &dyn Session, store: &Arc<dyn ObjectStore>, objects: &[ObjectMeta]) -> Result<SchemaRef> {
        if objects.is_empty() {
            return Err(DataFusionError::Plan(NO_ROOT_FILES.into()));
        }
        let cache = metadata_cache(state);
        // Opening a tree is several dependent reads (header, keys, streamers, the tree): files
        // are opened concurrently, as DataFusion fetches Parquet footers, so that a table of
        // many files does not wait for every round trip in turn (300 local files: 0.3 s).
        let concurrency = state.config_options().execution.meta_fetch_concurrency.get();
        let opens: Vec<_> = objects.iter().map(|o| open_tree(store, o, &self.opts, Some(&cache))).collect();
        let readers: Vec<Arc<TreeReader>> = futures::stream::iter(opens).buffered(concurrency).try_collect().await?;
        let first = readers[0].schema();
        for (r, o) in readers.iter().zip(objects).skip(1) {
            if r.schema().fields() != first.fields() {
                return Err(DataFusionError::Plan(format!(
                    "the tree in '{}' has other branches or types than in '{}'; a table's files must share one schema",
                    display_name(store.as_ref(), &o.location),
                    display_name(store.as_ref(), &objects[0].location)
                )));
            }
        }
        if HepfusionOptions::of(state.config_options()).warnings {
            warn_left_out(&readers[0], objects.len());
        }
        Ok(Arc::new(Schema::new(first.fields().clone())))
    }

    async fn infer_stats(&self, state: &dyn Session, store: &Arc<dyn ObjectStore>, table_schema: SchemaRef, object: &ObjectMeta) -> Result<Statistics> {
        let reader = open_tree(store, object, &self.opts, Some(&metadata_cache(state))).await?;
        Ok(Statistics::new_unknown(&table_schema).with_num_rows(Precision::Exact(reader.entries() as usize)))
    }

    async fn create_physical_plan(&self, state: &dyn Session, conf: FileScanConfig) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(source) = conf.file_source().downcast_ref::<RootSource>() else {
            return Err(DataFusionError::Internal("a ROOT scan without a RootSource".into()));
        };
        let source = Arc::new(source.clone().with_metadata_cache(metadata_cache(state)));
        Ok(DataSourceExec::from_data_source(FileScanConfigBuilder::from(conf).with_source(source).build()))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        Arc::new(RootSource::new(table_schema, Arc::clone(&self.opts)))
    }
}
