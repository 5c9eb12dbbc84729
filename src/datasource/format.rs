//! `FileFormat` for ROOT: schema inference from the tree's branches and exact row counts.

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
use datafusion::physical_plan::ExecutionPlan;
use object_store::{ObjectMeta, ObjectStore};

use hepfusion_udfs::options::HepfusionOptions;

use super::options::RootOptions;
use super::metadata::{display_name, metadata_cache, open_tree};
use super::scan::RootSource;
use crate::root::TreeReader;

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
