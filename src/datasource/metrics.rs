//! What a ROOT scan did, as Parquet's scan metrics say it, for `EXPLAIN ANALYZE` and the
//! shell's progress line: basket bytes fetched (`bytes_scanned`, Parquet's name), baskets
//! read, branch reads (a branch decoded over one cluster), clusters a `LIMIT` left unread, and
//! the time spent decompressing and decoding.

use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder, Time};
use hepfusion_root::ReadStats;

#[derive(Debug, Clone)]
pub struct RootScanMetrics {
    bytes_scanned: Count,
    baskets_read: Count,
    branch_reads: Count,
    pub clusters_pruned_by_limit: Count,
    decompress: Time,
    decode: Time,
}

impl RootScanMetrics {
    pub fn new(metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        RootScanMetrics {
            bytes_scanned: MetricBuilder::new(metrics).counter("bytes_scanned", partition),
            baskets_read: MetricBuilder::new(metrics).counter("baskets_read", partition),
            branch_reads: MetricBuilder::new(metrics).counter("branch_reads", partition),
            clusters_pruned_by_limit: MetricBuilder::new(metrics).counter("clusters_pruned_by_limit", partition),
            decompress: MetricBuilder::new(metrics).subset_time("time_elapsed_decompressing", partition),
            decode: MetricBuilder::new(metrics).subset_time("time_elapsed_decoding", partition),
        }
    }

    /// Adds one read of a cluster.
    pub fn add(&self, stats: &ReadStats) {
        self.bytes_scanned.add(stats.bytes as usize);
        self.baskets_read.add(stats.baskets as usize);
        self.branch_reads.add(stats.branches as usize);
        self.decompress.add_duration(stats.decompress);
        self.decode.add_duration(stats.decode);
    }
}
