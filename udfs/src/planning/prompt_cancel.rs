//! Queries that stop within a moment of being cancelled (Ctrl-C in the shell, a dropped
//! stream in Python).
//!
//! Dropping a query's stream aborts its tasks, but a tokio task stops only when it yields.
//! DataFusion makes its scans yield (`EnsureCooperative`: each batch they give costs tokio's
//! task budget, and an empty budget returns `Pending`), which is enough for operators that
//! take a batch for each they give. Joins and sorts are not like that: a nested-loop join
//! gives thousands of batches for one batch of its probe side, and the aggregate above it
//! takes them in one loop that never returns to tokio. `SELECT count(*) FROM a, b WHERE
//! a.pt + b.pt > 100` on two 10⁶-entry trees kept both cores busy for minutes after Ctrl-C.
//! Wrapping such operators in DataFusion's `CooperativeExec` makes each of their batches cost
//! budget too, so their task yields every few hundred batches, a millisecond's work, and
//! an abort takes effect there.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::SchedulingType;
use datafusion::physical_plan::joins::{CrossJoinExec, HashJoinExec, NestedLoopJoinExec, PiecewiseMergeJoinExec, SortMergeJoinExec, SymmetricHashJoinExec};
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::ExecutionPlan;

/// Makes the operators that give many batches per batch they take yield to tokio between
/// them (see the module's documentation).
#[derive(Debug)]
pub struct CooperativeJoinsAndSorts;

impl PhysicalOptimizerRule for CooperativeJoinsAndSorts {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        let wrapped = plan.transform_up(|node| {
            let wrap = gives_many_per_input(&node)
                && node.properties().scheduling_type != SchedulingType::Cooperative;
            Ok(if wrap { Transformed::yes(Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>) } else { Transformed::no(node) })
        })?;
        Ok(wrapped.data)
    }

    fn name(&self) -> &str {
        "CooperativeJoinsAndSorts"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Joins (each probe batch may match any number of build rows) and sorts (all output comes
/// from memory or spill files once the input is read).
fn gives_many_per_input(node: &Arc<dyn ExecutionPlan>) -> bool {
    node.is::<NestedLoopJoinExec>()
        || node.is::<HashJoinExec>()
        || node.is::<CrossJoinExec>()
        || node.is::<SortMergeJoinExec>()
        || node.is::<SymmetricHashJoinExec>()
        || node.is::<PiecewiseMergeJoinExec>()
        || node.is::<SortExec>()
}
