//! Results in the order of their input: files in path order, then entries (row groups) in
//! file order, for queries without `ORDER BY`, while the files are still read in parallel.
//!
//! DataFusion merges a scan's partitions with `CoalescePartitionsExec`, which passes batches on
//! as they are finished: `SELECT pt FROM read_root(...) LIMIT 5` gave entries of a later
//! cluster, a conversion to Parquet wrote entries out of file order, and a friend tree matched
//! by entry number would have been matched wrong. uproot, ROOT and DuckDB (its
//! `preserve_insertion_order`) keep file order; so do we.
//!
//! [`PreserveEntryOrder`] rewrites plans whose rows flow from the scans to the output through
//! operators that keep the order within a partition (projections, filters, limits, unnest,
//! unions): the scans are cut into many partitions that follow each other in file order (a
//! few clusters of entries, row groups or small files each, [`chunk_bytes`]), and
//! [`InOrderMergeExec`] runs a window of them at a time, passing on the first one's batches
//! as they come and holding the next ones' until it is their turn. Every core works, memory
//! stays a few batches per running partition, and the output is the same whatever the number
//! of partitions. Plans that exchange rows (aggregates, joins, sorts, windows) are left as
//! they are: their order is not the input's anyway. `SET hepfusion.preserve_order = false`
//! turns the rule off.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_err, Result};
use datafusion::datasource::listing::{FileRange, PartitionedFile};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileScanConfigBuilder};
use datafusion::datasource::sink::DataSinkExec;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::{CardinalityEffect, ChildrenPropertiesMode, EvaluationType, ReplaceChildrenOptions, SchedulingType};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PhysicalExpr, PlanProperties};
use futures::{Stream, StreamExt};

use crate::options::HepfusionOptions;

/// Batches each running partition may hold before the merge takes them.
const AHEAD: usize = 8;

/// Partitions of at least this many bytes of file: smaller ones would cost more to start
/// than they take to read.
const MIN_CHUNK: u64 = 1 << 20;

/// Keeps the input order of queries without `ORDER BY` (see the module's documentation).
#[derive(Debug)]
pub struct PreserveEntryOrder;

impl PhysicalOptimizerRule for PreserveEntryOrder {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        if !HepfusionOptions::of(config).preserve_order {
            return Ok(plan);
        }
        let window = 2 * config.execution.target_partitions.max(1);
        if plan.output_partitioning().partition_count() > 1 {
            // A multi-partition result is merged by whoever runs it (`collect`, the shell):
            // merged here, it comes out in order.
            return Ok(match in_entry_order(&plan, config)? {
                Some(ordered) => Arc::new(InOrderMergeExec::new(ordered, None, window)),
                None => plan,
            });
        }
        merge_in_order(plan, config, window)
    }

    fn name(&self) -> &str {
        "PreserveEntryOrder"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Cuts each table in memory into consecutive parts, one per core, before DataFusion spreads
/// it over the cores itself (`MemorySourceConfig::repartitioned`), which deals batches out
/// largest first and so loses the order they were inserted in: a `CREATE TABLE AS` result
/// read back would come out shuffled. A table already in as many parts is left as it is.
/// Runs before `EnsureRequirements` (which does that spreading).
#[derive(Debug)]
pub struct SplitMemoryInOrder;

impl PhysicalOptimizerRule for SplitMemoryInOrder {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        let parts = config.execution.target_partitions;
        if !HepfusionOptions::of(config).preserve_order || !config.optimizer.repartition_file_scans || parts < 2 {
            return Ok(plan);
        }
        plan.transform_up(|node| {
            let Some(scan) = node.downcast_ref::<DataSourceExec>() else { return Ok(Transformed::no(node)) };
            let Some(memory) = scan.data_source().downcast_ref::<MemorySourceConfig>() else { return Ok(Transformed::no(node)) };
            if memory.partitions().len() >= parts || !memory.sort_information().is_empty() {
                return Ok(Transformed::no(node));
            }
            let split = MemorySourceConfig::try_new(&consecutive_parts(memory.partitions(), parts), memory.original_schema(), memory.projection().clone())?
                .with_limit(memory.fetch())
                .with_show_sizes(memory.show_sizes());
            Ok(Transformed::yes(Arc::new(scan.clone().with_data_source(Arc::new(split))) as Arc<dyn ExecutionPlan>))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "SplitMemoryInOrder"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The rows of `partitions`, in order, as `n` parts of consecutive rows (slices, no copies).
fn consecutive_parts(partitions: &[Vec<RecordBatch>], n: usize) -> Vec<Vec<RecordBatch>> {
    let batches: Vec<&RecordBatch> = partitions.iter().flatten().collect();
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let per = total.div_ceil(n).max(1);
    let mut parts = vec![Vec::new(); n];
    let (mut part, mut filled) = (0, 0);
    for batch in batches {
        let mut at = 0;
        while at < batch.num_rows() {
            if filled == per && part + 1 < n {
                part += 1;
                filled = 0;
            }
            let room = if part + 1 == n { usize::MAX } else { per - filled };
            let take = (batch.num_rows() - at).min(room);
            parts[part].push(batch.slice(at, take));
            at += take;
            filled += take;
        }
    }
    parts
}

/// Follows the single stream down from the root through operators that keep its order and
/// replaces the `CoalescePartitionsExec` it comes from, when the partitions below it can be
/// put in entry order.
fn merge_in_order(plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions, window: usize) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(coalesce) = plan.downcast_ref::<CoalescePartitionsExec>() {
        return Ok(match in_entry_order(coalesce.input(), config)? {
            Some(ordered) => Arc::new(InOrderMergeExec::new(ordered, coalesce.fetch(), window)),
            None => plan,
        });
    }
    let passes_stream_on = keeps_partition_order(&plan) || plan.is::<GlobalLimitExec>() || plan.is::<DataSinkExec>();
    match plan.children().as_slice() {
        [child] if passes_stream_on => {
            let child = merge_in_order(Arc::clone(child), config, window)?;
            plan.replace_children(vec![child], ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
        }
        _ => Ok(plan),
    }
}

/// Operators whose output partition `p` is their input partition `p` with rows in the same
/// order (some left out or transformed).
fn keeps_partition_order(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<ProjectionExec>()
        || plan.is::<FilterExec>()
        || plan.is::<CooperativeExec>()
        || plan.is::<LocalLimitExec>()
        || plan.is::<UnnestExec>()
}

/// `plan` with its partitions in entry order (partition `p`'s rows come before partition
/// `p + 1`'s), or `None` where its rows are exchanged or come from a source we cannot order.
fn in_entry_order(plan: &Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
        let source = scan.data_source();
        if let Some(chunks) = source.downcast_ref::<FileScanConfig>().and_then(|files| chunked(files, config)) {
            return Ok(Some(Arc::new(scan.clone().with_data_source(Arc::new(chunks)))));
        }
        // A table in memory keeps its partitions in the order they were inserted; a source of
        // one partition has one order.
        let in_order = source.is::<MemorySourceConfig>() || plan.output_partitioning().partition_count() <= 1;
        return Ok(in_order.then(|| Arc::clone(plan)));
    }
    // Any other source of one partition (a table function's stream: the epochs of
    // `train_classifier`, `generate_series`) has one order.
    if plan.children().is_empty() {
        return Ok((plan.output_partitioning().partition_count() <= 1).then(|| Arc::clone(plan)));
    }
    if let Some(repartition) = plan.downcast_ref::<RepartitionExec>() {
        // A round-robin repartition only spreads work over the cores; the chunked scans
        // below do that in order.
        if matches!(repartition.partitioning(), Partitioning::RoundRobinBatch(_)) {
            return in_entry_order(repartition.input(), config);
        }
        return Ok(None);
    }
    if !(keeps_partition_order(plan) || plan.is::<UnionExec>()) {
        return Ok(None);
    }
    // A union's partitions are its inputs' partitions, one input after the other.
    let mut children = Vec::with_capacity(plan.children().len());
    for child in plan.children() {
        match in_entry_order(child, config)? {
            Some(c) => children.push(c),
            None => return Ok(None),
        }
    }
    Arc::clone(plan).replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute)).map(Some)
}

/// The file types whose byte ranges split a file into ordered parts: a ROOT cluster of
/// entries and a Parquet row group each belong to exactly one range.
const SPLITTABLE: [&str; 2] = ["root", "parquet"];

/// A file scan as consecutive parts of its files in path order, a few to a partition, each
/// partition reading its own in order (no work stealing).
fn chunked(files: &FileScanConfig, config: &ConfigOptions) -> Option<FileScanConfig> {
    if !SPLITTABLE.contains(&files.file_source().file_type()) || files.output_partitioning.is_some() {
        return None;
    }
    // Each file once, whole (DataFusion may have cut it into ranges already), in path order.
    let mut whole: Vec<PartitionedFile> = files.file_groups.iter().flat_map(|g| g.iter()).cloned().collect();
    whole.sort_by(|a, b| a.object_meta.location.as_ref().cmp(b.object_meta.location.as_ref()));
    whole.dedup_by(|a, b| a.object_meta.location == b.object_meta.location);
    whole.iter_mut().for_each(|f| f.range = None);
    let total: u64 = whole.iter().map(|f| f.object_meta.size).sum();
    let chunk = chunk_bytes(total, config);
    // Large files are cut into parts of at most `chunk` bytes; consecutive parts and small
    // files are then packed into partitions of at least half that, read in turn by one
    // partition, so that its operators see batches of the configured size, not one small
    // file's (the pipeline's 100-event files cost a quarter more CPU as partitions of their own).
    let mut groups = vec![];
    let (mut group, mut bytes) = (vec![], 0);
    for file in whole {
        let size = file.object_meta.size;
        let parts = if config.optimizer.repartition_file_scans { size.div_ceil(chunk).max(1) } else { 1 };
        for i in 0..parts {
            let mut part = file.clone();
            if parts > 1 {
                let bound = |k: u64| (size as u128 * k as u128 / parts as u128) as i64;
                part.range = Some(FileRange { start: bound(i), end: bound(i + 1) });
            }
            bytes += size / parts;
            group.push(part);
            if bytes * 2 >= chunk {
                groups.push(FileGroup::new(std::mem::take(&mut group)));
                bytes = 0;
            }
        }
    }
    if !group.is_empty() {
        groups.push(FileGroup::new(group));
    }
    Some(FileScanConfigBuilder::from(files.clone()).with_file_groups(groups).with_preserve_order(true).build())
}

/// How many bytes of file each partition reads: at least four partitions per core over the
/// whole scan, so that a slow part does not leave cores idle, and no part under
/// [`MIN_CHUNK`].
fn chunk_bytes(total: u64, config: &ConfigOptions) -> u64 {
    let parts = 4 * config.execution.target_partitions.max(1) as u64;
    (total / parts).max(MIN_CHUNK)
}

/// Merges its input's partitions into one stream, all of partition 0, then all of partition
/// 1, ...: the input order when the partitions follow each other in it. Up to `window`
/// partitions run at a time, each up to [`AHEAD`] batches ahead of the merge; `fetch` stops
/// after that many rows.
#[derive(Debug)]
pub struct InOrderMergeExec {
    input: Arc<dyn ExecutionPlan>,
    fetch: Option<usize>,
    window: usize,
    properties: Arc<PlanProperties>,
}

impl InOrderMergeExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, fetch: Option<usize>, window: usize) -> Self {
        let properties = merged_properties(&input);
        Self { input, fetch, window: window.max(1), properties }
    }
}

impl DisplayAs for InOrderMergeExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "InOrderMergeExec: partitions={}, window={}", self.input.output_partitioning().partition_count(), self.window)?;
        match self.fetch {
            Some(n) => write!(f, ", fetch={n}"),
            None => Ok(()),
        }
    }
}

impl ExecutionPlan for InOrderMergeExec {
    fn name(&self) -> &str {
        "InOrderMergeExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false]
    }

    fn fetch(&self) -> Option<usize> {
        self.fetch
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        if self.fetch.is_some() { CardinalityEffect::LowerEqual } else { CardinalityEffect::Equal }
    }

    fn apply_expressions(&self, _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>, _options: ReplaceChildrenOptions) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::new(input, self.fetch, self.window))),
            _ => internal_err!("InOrderMergeExec takes one input"),
        }
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("InOrderMergeExec has one partition, not {partition}");
        }
        Ok(Box::pin(InOrder {
            schema: self.schema(),
            input: Arc::clone(&self.input),
            context,
            partitions: self.input.output_partitioning().partition_count(),
            started: 0,
            running: VecDeque::new(),
            window: self.window,
            remaining: self.fetch,
        }))
    }
}

/// The properties of one stream merged from `input`'s partitions, by [`InOrderMergeExec`] or
/// `InTurnMergeExec`: as `CoalescePartitionsExec`'s, the partitions' own orderings (a sorted
/// column) do not hold across them.
pub(super) fn merged_properties(input: &Arc<dyn ExecutionPlan>) -> Arc<PlanProperties> {
    let mut eq = input.equivalence_properties().clone();
    eq.clear_orderings();
    eq.clear_per_partition_constants();
    let properties = PlanProperties::new(eq, Partitioning::UnknownPartitioning(1), input.pipeline_behavior(), input.boundedness())
        .with_evaluation_type(EvaluationType::Eager)
        .with_scheduling_type(SchedulingType::Cooperative);
    Arc::new(properties)
}

/// Runs partition `p` of `input` as a task of its own, into a channel of `ahead` batches
/// (DataFusion's receiver stream: a panic reaches the reader, dropping it cancels the task).
pub(super) fn start(input: &Arc<dyn ExecutionPlan>, p: usize, context: &Arc<TaskContext>, ahead: usize) -> SendableRecordBatchStream {
    let mut builder = RecordBatchReceiverStream::builder(input.schema(), ahead);
    let (tx, input, context) = (builder.tx(), Arc::clone(input), Arc::clone(context));
    builder.spawn(async move {
        let mut stream = match input.execute(p, context) {
            Ok(stream) => stream,
            Err(e) => {
                // A failed send means the merge was dropped: nobody to tell.
                tx.send(Err(e)).await.ok();
                return Ok(());
            }
        };
        drop(input);
        while let Some(item) = stream.next().await {
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
        Ok(())
    });
    builder.build()
}

/// The merged stream: `running` holds the started partitions, the first of them the one
/// being passed on.
struct InOrder {
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    partitions: usize,
    started: usize,
    running: VecDeque<SendableRecordBatchStream>,
    window: usize,
    remaining: Option<usize>,
}

impl InOrder {
    fn fill_window(&mut self) {
        while self.running.len() < self.window && self.started < self.partitions {
            self.running.push_back(start(&self.input, self.started, &self.context, AHEAD));
            self.started += 1;
        }
    }
}

impl Stream for InOrder {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.remaining == Some(0) {
                self.running.clear();
                return Poll::Ready(None);
            }
            self.fill_window();
            let Some(head) = self.running.front_mut() else {
                return Poll::Ready(None);
            };
            match head.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(batch))) if batch.num_rows() == 0 => continue,
                Poll::Ready(Some(Ok(batch))) => {
                    let batch = match self.remaining.as_mut() {
                        Some(left) => {
                            let take = batch.num_rows().min(*left);
                            *left -= take;
                            batch.slice(0, take)
                        }
                        None => batch,
                    };
                    return Poll::Ready(Some(Ok(batch)));
                }
                Poll::Ready(Some(Err(e))) => {
                    self.running.clear();
                    self.started = self.partitions;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    self.running.pop_front();
                }
            }
        }
    }
}

impl RecordBatchStream for InOrder {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    #[test]
    fn memory_is_cut_into_consecutive_parts() {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let batch = |r: std::ops::Range<i64>| RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Int64Array::from_iter_values(r))]).unwrap();
        let parts = consecutive_parts(&[vec![batch(0..5), batch(5..6)], vec![batch(6..13)]], 4);
        let values: Vec<Vec<i64>> = parts.iter().map(|p| p.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect()).collect();
        assert_eq!(values, [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10, 11], vec![12]]);
        assert_eq!(consecutive_parts(&[vec![batch(0..2)]], 4).iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 0, 0]);
    }
}
