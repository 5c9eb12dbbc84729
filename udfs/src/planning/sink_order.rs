//! Files written from several partitions come out the same on every run.
//!
//! A sink (`COPY ... TO`, `INSERT INTO`) takes one stream, and DataFusion feeds it a
//! multi-partition input through `CoalescePartitionsExec`, which passes batches on in the order
//! they are finished: the rows of such a file are in another order on each run. Getting a
//! reproducible file then took an `ORDER BY`, which holds every row in memory (or spills it) and
//! copies it twice; the pipeline's step 4 spent a fifth of its CPU time sorting particle
//! features for nothing else. [`InTurnMergeExec`] takes one batch from each partition in turn
//! instead, and has the scans below it read each partition's own files in order. A partition's
//! batches are then a function of the plan (DataFusion assigns files and byte ranges to
//! partitions from the sorted listing), so the file is byte-identical between runs with the
//! same number of partitions; the partitions still run concurrently, each up to [`AHEAD`]
//! batches ahead of the sink. Plans that exchange rows between partitions (a repartition of
//! several inputs, a join's collected build side) mix batches as they come whatever the sink
//! does: they keep DataFusion's coalesce.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_err, Result};
use datafusion::datasource::sink::DataSinkExec;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{CardinalityEffect, ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::union::InterleaveExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PhysicalExpr, PlanProperties};
use futures::Stream;

/// How many batches each partition may produce before the sink has taken them: enough for the
/// partitions to keep the cores busy while the sink waits on a slower one, few enough that
/// memory stays a handful of batches per partition.
pub const AHEAD: usize = 2;

/// Replaces the `CoalescePartitionsExec` that feeds a sink with an [`InTurnMergeExec`] where
/// that makes the file reproducible. Left alone: a coalesce with a `LIMIT` (which rows it
/// keeps is a race whatever the order), unbounded inputs (a partition without data would hold
/// back the others), and inputs that exchange rows between partitions (see [`exchanges_rows`]).
#[derive(Debug)]
pub struct DeterministicSinkInput;

impl PhysicalOptimizerRule for DeterministicSinkInput {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let merged = match node.downcast_ref::<DataSinkExec>().and_then(|s| s.input().downcast_ref::<CoalescePartitionsExec>()) {
                Some(coalesce)
                    if coalesce.fetch().is_none()
                        && coalesce.input().output_partitioning().partition_count() > 1
                        && !coalesce.input().boundedness().is_unbounded()
                        && !exchanges_rows(coalesce.input())? =>
                {
                    Arc::new(InTurnMergeExec::new(scans_in_order(Arc::clone(coalesce.input()))?)) as Arc<dyn ExecutionPlan>
                }
                _ => return Ok(Transformed::no(node)),
            };
            node.replace_children(vec![merged], ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute)).map(Transformed::yes)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "DeterministicSinkInput"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Whether rows of several partitions meet in `plan`: a repartition of several inputs, a
/// nested coalesce (a join's collected build side) or an interleave pass batches on as they
/// come, so the partitions' contents are a race whatever the sink does; waiting on one
/// partition would then only let the others' exchange buffers grow.
fn exchanges_rows(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    plan.exists(|node| {
        Ok(node.downcast_ref::<CoalescePartitionsExec>().is_some()
            || node.downcast_ref::<InterleaveExec>().is_some()
            || node.downcast_ref::<RepartitionExec>().is_some_and(|r| r.input().output_partitioning().partition_count() > 1))
    })
}

/// `plan` with its file scans reading each partition's own files in order. DataFusion 55 lets
/// sibling partitions of a scan take each other's unopened files (work stealing), which makes
/// what a partition reads a race; `preserve_order` turns that off.
fn scans_in_order(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        Ok(match node.downcast_ref::<DataSourceExec>().and_then(|scan| scan.with_preserve_order(true)) {
            Some(in_order) => Transformed::yes(in_order),
            None => Transformed::no(node),
        })
    })
    .map(|t| t.data)
}

/// Merges its input's partitions into one stream, a batch of partition 0, then of 1, ... then
/// of 0 again, skipping partitions that have ended: the output order depends on the plan only.
#[derive(Debug)]
pub struct InTurnMergeExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl InTurnMergeExec {
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        let properties = super::entry_order::merged_properties(&input);
        Self { input, properties }
    }
}

impl DisplayAs for InTurnMergeExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "InTurnMergeExec: partitions={}", self.input.output_partitioning().partition_count())
    }
}

impl ExecutionPlan for InTurnMergeExec {
    fn name(&self) -> &str {
        "InTurnMergeExec"
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

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }

    fn apply_expressions(&self, _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>, _options: ReplaceChildrenOptions) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::new(input))),
            _ => internal_err!("InTurnMergeExec takes one input"),
        }
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("InTurnMergeExec has one partition, not {partition}");
        }
        let inputs = (0..self.input.output_partitioning().partition_count()).map(|p| Some(super::entry_order::start(&self.input, p, &context, AHEAD))).collect();
        Ok(Box::pin(InTurn { schema: self.schema(), inputs, next: 0 }))
    }
}

/// The merged stream: `inputs[p]` is `None` once partition `p` has ended.
struct InTurn {
    schema: SchemaRef,
    inputs: Vec<Option<SendableRecordBatchStream>>,
    next: usize,
}

impl Stream for InTurn {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let n = self.inputs.len();
        if n == 0 {
            return Poll::Ready(None);
        }
        // Each pass returns, skips an ended partition or an empty batch, or ends a partition.
        loop {
            let p = self.next;
            let Some(input) = self.inputs[p].as_mut() else {
                if self.inputs.iter().all(Option::is_none) {
                    return Poll::Ready(None);
                }
                self.next = (p + 1) % n;
                continue;
            };
            match input.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(batch))) if batch.num_rows() == 0 => continue,
                Poll::Ready(Some(Ok(batch))) => {
                    self.next = (p + 1) % n;
                    return Poll::Ready(Some(Ok(batch)));
                }
                Poll::Ready(Some(Err(e))) => {
                    self.inputs.iter_mut().for_each(|i| *i = None);
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    self.inputs[p] = None;
                    self.next = (p + 1) % n;
                }
            }
        }
    }
}

impl RecordBatchStream for InTurn {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, Int64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::physical_plan::FileScanConfig;
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

    use super::*;

    fn batch(schema: &SchemaRef, values: &[i64]) -> RecordBatch {
        RecordBatch::try_new(Arc::clone(schema), vec![Arc::new(Int64Array::from(values.to_vec()))]).unwrap()
    }

    /// Partitions of 3, 1 (and an empty batch) and 2 batches; the batch holding value v is
    /// batch v / 10 of partition v % 10.
    fn partitions() -> (SchemaRef, Vec<Vec<RecordBatch>>) {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let parts = vec![
            vec![batch(&schema, &[0]), batch(&schema, &[10]), batch(&schema, &[20])],
            vec![batch(&schema, &[]), batch(&schema, &[1])],
            vec![batch(&schema, &[2]), batch(&schema, &[12])],
        ];
        (schema, parts)
    }

    fn values(batches: &[RecordBatch]) -> Vec<i64> {
        batches.iter().flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec()).collect()
    }

    #[tokio::test]
    async fn batches_are_taken_from_each_partition_in_turn() {
        let (schema, parts) = partitions();
        let ctx = SessionContext::new();
        ctx.register_table("t", Arc::new(MemTable::try_new(schema, parts).unwrap())).unwrap();
        let scan = ctx.table("t").await.unwrap().create_physical_plan().await.unwrap();
        assert_eq!(scan.output_partitioning().partition_count(), 3);
        let merged = Arc::new(InTurnMergeExec::new(scan));
        for _ in 0..20 {
            let out = collect(Arc::clone(&merged) as _, ctx.task_ctx()).await.unwrap();
            assert_eq!(values(&out), [0, 1, 2, 10, 12, 20]);
            assert!(out.iter().all(|b| b.num_rows() > 0));
        }
    }

    #[tokio::test]
    async fn a_copy_from_several_partitions_writes_the_same_file_every_time() {
        let (schema, parts) = partitions();
        // What PreserveEntryOrder leaves to this rule: with the input order kept, the merge
        // is an InOrderMergeExec (see entry_order).
        let mut config = SessionConfig::new().with_target_partitions(3).with_option_extension(crate::options::HepfusionOptions::default());
        config.options_mut().set("hepfusion.preserve_order", "false").unwrap();
        let state = crate::session_state(config).unwrap();
        let ctx = SessionContext::new_with_state(state);
        ctx.register_table("t", Arc::new(MemTable::try_new(schema, parts).unwrap())).unwrap();
        let dir = std::env::temp_dir().join(format!("hepfusion-sink-order-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let copy = |name: &str| format!("COPY (SELECT v * 2 AS w FROM t) TO '{}' STORED AS PARQUET", dir.join(name).display());
        let plan = ctx.sql(&format!("EXPLAIN {}", copy("x.parquet"))).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&plan).unwrap().to_string();
        assert!(text.contains("InTurnMergeExec: partitions=3") && !text.contains("CoalescePartitionsExec"), "{text}");
        // A file scan under the merge reads each partition's own files, in order.
        for i in 0..4 {
            let f = dir.join("in").join(format!("{i}.parquet"));
            ctx.sql(&format!("COPY (SELECT {i} AS v) TO '{}' STORED AS PARQUET", f.display())).await.unwrap().collect().await.unwrap();
        }
        ctx.register_parquet("ins", dir.join("in").to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
        let plan = ctx
            .sql(&format!("COPY (SELECT v FROM ins) TO '{}' STORED AS PARQUET", dir.join("all.parquet").display()))
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let mut scans = vec![];
        plan.apply(|node| {
            if let Some(config) = node.downcast_ref::<DataSourceExec>().and_then(|s| s.data_source().downcast_ref::<FileScanConfig>()) {
                scans.push(config.preserve_order);
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        assert_eq!(scans, [true]);
        let copies: Vec<Vec<u8>> = futures::future::try_join_all((0..5).map(|run| {
            let (ctx, f) = (ctx.clone(), dir.join(format!("scan{run}.parquet")));
            async move {
                ctx.sql(&format!("COPY (SELECT v FROM ins) TO '{}' STORED AS PARQUET", f.display())).await?.collect().await?;
                Ok::<_, datafusion::error::DataFusionError>(std::fs::read(&f)?)
            }
        }))
        .await
        .unwrap();
        assert!(copies.windows(2).all(|w| w[0] == w[1]));
        // Rows exchanged between partitions (an aggregate's hash repartition): a race before
        // the sink, which keeps DataFusion's coalesce.
        let aggregate = format!("EXPLAIN COPY (SELECT v, count(*) FROM t GROUP BY v) TO '{}' STORED AS PARQUET", dir.join("g.parquet").display());
        let plan = ctx.sql(&aggregate).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&plan).unwrap().to_string();
        assert!(text.contains("RepartitionExec") && text.contains("CoalescePartitionsExec") && !text.contains("InTurnMergeExec"), "{text}");
        let mut files = vec![];
        for run in 0..5 {
            let name = format!("run{run}.parquet");
            ctx.sql(&copy(&name)).await.unwrap().collect().await.unwrap();
            let read = ctx.read_parquet(dir.join(&name).to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
            let rows = values(&read.collect().await.unwrap());
            assert_eq!(rows, [0, 2, 4, 20, 24, 40]);
            files.push(std::fs::read(dir.join(&name)).unwrap());
        }
        assert!(files.windows(2).all(|w| w[0] == w[1]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
