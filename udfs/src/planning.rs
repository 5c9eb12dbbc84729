//! Physical optimizer rules that are safe with lambdas.
//!
//! DataFusion 55 numbers a lambda parameter after the columns of the schema the lambda was
//! planned against, but the rules that move expressions to another schema (pushing a
//! projection into a Parquet or ROOT scan, pushing filters through projections) remap
//! columns only: the parameter's number then points at a real column and evaluation fails
//! ("Field of physical LambdaVariable ... doesn't match batch field"). Until DataFusion remaps
//! lambda variables, those rules skip plans that contain a lambda; the logical optimizer
//! still prunes columns and pushes filters into scans, so such a plan reads no more data.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::Result;
use datafusion::physical_expr::expressions::LambdaExpr;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

/// DataFusion's default physical optimizer rules, with the schema-moving ones made to skip
/// plans with lambdas.
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    PhysicalOptimizer::new()
        .rules
        .into_iter()
        .map(|rule| -> Arc<dyn PhysicalOptimizerRule + Send + Sync> {
            if rule.name().starts_with("ProjectionPushdown") || rule.name().starts_with("FilterPushdown") {
                Arc::new(UnlessLambdas(rule))
            } else {
                rule
            }
        })
        .collect()
}

/// Runs the wrapped rule only on plans without lambda expressions.
#[derive(Debug)]
struct UnlessLambdas(Arc<dyn PhysicalOptimizerRule + Send + Sync>);

impl PhysicalOptimizerRule for UnlessLambdas {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        if has_lambda(&plan)? { Ok(plan) } else { self.0.optimize(plan, config) }
    }

    fn optimize_with_context(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        context: &dyn datafusion::physical_optimizer::PhysicalOptimizerContext,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if has_lambda(&plan)? { Ok(plan) } else { self.0.optimize_with_context(plan, context) }
    }

    fn name(&self) -> &str {
        self.0.name()
    }

    fn schema_check(&self) -> bool {
        self.0.schema_check()
    }
}

fn has_lambda(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    let mut found = false;
    plan.apply(|node| {
        node.apply_expressions(&mut |e| {
            found |= e.exists(|x| Ok(x.downcast_ref::<LambdaExpr>().is_some()))?;
            Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        })?;
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    })?;
    Ok(found)
}
