//! Scanning ROOT files: the `FileSource` and the opener that streams a tree's clusters.
//!
//! Parallelism follows DataFusion's byte-range partitioning: a file split into ranges gives each
//! cluster of entries to exactly one range (the range holding the cluster's position, taken in
//! proportion to its first entry), so every core reads its own clusters of one large file.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use datafusion::arrow::compute::CastOptions;
use datafusion::common::nested_struct::cast_column;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileOpenFuture, FileOpener, FileScanConfig, FileSource};
use datafusion::datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::common::runtime::SpawnedTask;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::expressions::{CastExpr, Column};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::apply_expression_roots;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::{FutureExt, StreamExt, TryStreamExt};
use object_store::ObjectStore;

use super::df_err;
use super::metadata::open_tree;
use super::metrics::RootScanMetrics;
use super::options::RootOptions;

#[derive(Clone)]
pub struct RootSource {
    table_schema: TableSchema,
    projection: SplitProjection,
    metrics: ExecutionPlanMetricsSet,
    batch_size: Option<usize>,
    opts: Arc<RootOptions>,
    metadata_cache: Option<Arc<FileMetadataCache>>,
}

impl RootSource {
    pub fn new(table_schema: TableSchema, opts: Arc<RootOptions>) -> Self {
        RootSource {
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            metrics: ExecutionPlanMetricsSet::new(),
            batch_size: None,
            opts,
            metadata_cache: None,
        }
    }

    /// Takes opened trees from (and adds them to) the session's file-metadata cache.
    pub fn with_metadata_cache(self, cache: Arc<FileMetadataCache>) -> Self {
        RootSource { metadata_cache: Some(cache), ..self }
    }
}

impl FileSource for RootSource {
    fn create_file_opener(&self, store: Arc<dyn ObjectStore>, cfg: &FileScanConfig, partition: usize) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let narrowed = narrowed_reads(&self.projection.source, file_schema);
        let fields = self
            .projection
            .file_indices
            .iter()
            .map(|c| {
                let field = file_schema.fields().get(*c).ok_or_else(|| DataFusionError::Internal(format!("ROOT scan of file column {c}, beyond the file schema")))?;
                Ok(match narrowed.get(c) {
                    Some(t) => Arc::new(field.as_ref().clone().with_data_type(t.clone())),
                    None => Arc::clone(field),
                })
            })
            .collect::<Result<Vec<FieldRef>>>()?;
        let out_schema = Arc::new(Schema::new_with_metadata(fields, file_schema.metadata().clone()));
        let columns = self.projection.file_indices.iter().zip(out_schema.fields()).map(|(c, f)| (*c, f.data_type().clone())).collect();
        let inner = Arc::new(RootOpener {
            store,
            opts: Arc::clone(&self.opts),
            out_schema,
            columns,
            batch_size: self.batch_size.unwrap_or(8192).max(1),
            limit: cfg.limit,
            metadata_cache: self.metadata_cache.clone(),
            metrics: RootScanMetrics::new(&self.metrics, partition),
        });
        ProjectionOpener::try_new(self.projection.clone(), inner, self.table_schema.file_schema())
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        Arc::new(RootSource { batch_size: Some(batch_size), ..self.clone() })
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "root"
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn try_pushdown_projection(&self, p: &ProjectionExprs) -> Result<Option<Arc<dyn FileSource>>> {
        let mut s = self.clone();
        s.projection = SplitProjection::new(self.table_schema.file_schema(), &s.projection.source.try_merge(p)?);
        Ok(Some(Arc::new(s)))
    }

    fn apply_expressions(&self, f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>) -> Result<TreeNodeRecursion> {
        apply_expression_roots(self.projection.source.iter(), f)
    }
}

/// The struct and collection columns that the projection reads only through a cast to a
/// narrower type (which the struct-pruning optimizer rule of `hepfusion-udfs` puts there): they
/// are read as that type, without the branches of the members it leaves out. The cast above
/// then has nothing left to do. A cast that converts anything (a user's `CAST(met AS
/// STRUCT(pt DOUBLE))`) is not a narrowing: the column is read whole and cast above.
fn narrowed_reads(projection: &ProjectionExprs, file_schema: &Schema) -> HashMap<usize, DataType> {
    fn visit(e: &Arc<dyn PhysicalExpr>, uses: &mut HashMap<usize, Vec<Option<DataType>>>) {
        if let Some(cast) = e.downcast_ref::<CastExpr>() {
            if let Some(c) = cast.expr().downcast_ref::<Column>() {
                uses.entry(c.index()).or_default().push(Some(cast.cast_type().clone()));
                return;
            }
        }
        if let Some(c) = e.downcast_ref::<Column>() {
            uses.entry(c.index()).or_default().push(None);
        }
        e.children().into_iter().for_each(|child| visit(child, uses));
    }
    let mut uses = HashMap::new();
    projection.iter().for_each(|p| visit(&p.expr, &mut uses));
    uses.into_iter()
        .filter_map(|(c, types)| match types.as_slice() {
            // Partition columns come after the file's: they are never narrowed.
            [Some(t), rest @ ..]
                if rest.iter().all(|r| r.as_ref() == Some(t))
                    && file_schema.fields().get(c).is_some_and(|f| keeps_some_fields(f.data_type(), t)) =>
            {
                Some((c, t.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Whether `target` is `stored` with some fields of its struct (or of its list's struct
/// elements) left out, and nothing else changed.
fn keeps_some_fields(stored: &DataType, target: &DataType) -> bool {
    match (stored, target) {
        (DataType::Struct(s), DataType::Struct(t)) => {
            let mut stored = s.iter();
            t.iter().all(|f| stored.any(|g| g == f))
        }
        (DataType::List(s), DataType::List(t)) => {
            s.name() == t.name() && s.is_nullable() == t.is_nullable() && keeps_some_fields(s.data_type(), t.data_type())
        }
        _ => false,
    }
}

struct RootOpener {
    store: Arc<dyn ObjectStore>,
    opts: Arc<RootOptions>,
    /// The columns to read (indices in the file schema), each with the type to read it as.
    columns: Vec<(usize, DataType)>,
    out_schema: SchemaRef,
    batch_size: usize,
    limit: Option<usize>,
    metadata_cache: Option<Arc<FileMetadataCache>>,
    metrics: RootScanMetrics,
}

impl FileOpener for RootOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let store = Arc::clone(&self.store);
        let opts = Arc::clone(&self.opts);
        let columns = self.columns.clone();
        let schema = Arc::clone(&self.out_schema);
        let batch_size = self.batch_size;
        let limit = self.limit;
        let cache = self.metadata_cache.clone();
        let metrics = self.metrics.clone();
        Ok(Box::pin(async move {
            let reader = open_tree(&store, &file.object_meta, &opts, cache.as_ref()).await?;
            let size = file.object_meta.size.max(1) as u128;
            let entries = reader.entries().max(1) as u128;
            let mut clusters: Vec<(u64, u64)> = reader
                .clusters()
                .iter()
                .copied()
                .filter(|&(start, _)| match &file.range {
                    None => true,
                    Some(r) => r.contains((start as u128 * size / entries) as i64),
                })
                .collect();
            // With a LIMIT, stop reading clusters once enough entries are covered.
            if let Some(l) = limit {
                let mut covered = 0u64;
                let before = clusters.len();
                clusters.retain(|&(s, e)| {
                    let keep = covered < l as u64;
                    covered += e - s;
                    keep
                });
                metrics.clusters_pruned_by_limit.add(before - clusters.len());
            }
            // Clusters are read as tasks of their own, two at a time per partition: the next
            // cluster is fetched and decoded while this one is consumed, and an idle core takes
            // whatever task is ready, whichever partition it belongs to. Outside a tokio
            // runtime (a foreign caller polling our stream) they are read in line.
            let stream = futures::stream::iter(clusters)
                .map(move |(start, stop)| {
                    let reader = Arc::clone(&reader);
                    let columns = columns.clone();
                    let schema = Arc::clone(&schema);
                    let metrics = metrics.clone();
                    let read = async move { read_cluster(&reader, &columns, &schema, start, stop, batch_size, &metrics).await };
                    match tokio::runtime::Handle::try_current() {
                        Ok(_) => {
                            let task = SpawnedTask::spawn(read);
                            async move { task.join().await.map_err(|e| DataFusionError::ExecutionJoin(Box::new(e)))? }.boxed()
                        }
                        Err(_) => read.boxed(),
                    }
                })
                .buffered(2)
                .map_ok(|batches| futures::stream::iter(batches.into_iter().map(Ok)))
                .try_flatten();
            Ok(stream.boxed())
        }))
    }
}

/// Decodes one cluster (each basket is decompressed once) and cuts it into batches.
async fn read_cluster(
    reader: &crate::root::TreeReader,
    columns: &[(usize, DataType)],
    schema: &SchemaRef,
    start: u64,
    stop: u64,
    batch_size: usize,
    metrics: &RootScanMetrics,
) -> Result<Vec<RecordBatch>> {
    let n = (stop - start) as usize;
    let mut out = Vec::with_capacity(n.div_ceil(batch_size));
    if columns.is_empty() {
        for lo in (0..n).step_by(batch_size) {
            let rows = batch_size.min(n - lo);
            out.push(RecordBatch::try_new_with_options(
                Arc::new(Schema::empty()),
                vec![],
                &RecordBatchOptions::new().with_row_count(Some(rows)),
            )?);
        }
        return Ok(out);
    }
    let (arrays, stats) = reader.read_columns_as(columns, start, stop).await.map_err(df_err)?;
    metrics.add(&stats);
    // A struct the reader decodes as one leaf (a leaf list `run/I:lumi/I`, a TLorentzVector)
    // comes whole: its narrowed type is taken here.
    let arrays = arrays
        .into_iter()
        .zip(schema.fields())
        .map(|(a, f)| if a.data_type() == f.data_type() { Ok(a) } else { cast_column(&a, f.data_type(), &CastOptions::default()) })
        .collect::<Result<Vec<_>>>()?;
    let batch = RecordBatch::try_new(Arc::clone(schema), arrays)?;
    for lo in (0..n).step_by(batch_size) {
        out.push(batch.slice(lo, batch_size.min(n - lo)));
    }
    Ok(out)
}
