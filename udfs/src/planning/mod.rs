//! Optimizer rules that are safe with lambdas and deep expressions, one that makes scans
//! read only the struct fields a query uses ([`PruneStructFields`], in `struct_pruning`), one
//! that keeps results in the order of their input ([`PreserveEntryOrder`], in `entry_order`),
//! one that makes files written from several partitions reproducible where the input
//! order cannot be kept ([`DeterministicSinkInput`], in `sink_order`), and one that lets
//! cancelled joins and sorts stop at once ([`CooperativeJoinsAndSorts`], in `prompt_cancel`);
//! also one that writes lists and structs into CSV as JSON text ([`NestedAsJsonInCsv`]).
//!
//! Physical: DataFusion 55 numbers a lambda parameter after the columns of the schema the
//! lambda was planned against, but the rules that move expressions to another schema (pushing
//! a projection into a Parquet or ROOT scan, pushing filters through projections) remap
//! columns only: the parameter's number then points at a real column and evaluation fails
//! ("Field of physical LambdaVariable ... doesn't match batch field"). Until DataFusion remaps
//! lambda variables, those rules skip plans that contain a lambda; the logical optimizer
//! still prunes columns and pushes filters into scans, so such a plan reads no more data.
//!
//! Logical: leaf-expression pushdown moves cheap field accesses (`lepton.pt`) towards the
//! scan, but when it merges one into the projection that defines the struct it substitutes
//! the definition: `lepton.pt` becomes `get_field(array_max_by(filter(...isolation...)), 'pt')`,
//! computed again for every field read and below the filters, on every event (the pipeline's
//! trigger ran ~20 times per event; the family of apache/datafusion#25329). The guarded rules
//! refuse any push whose extracted expressions stop being field accesses of columns, and skip
//! plans with lambdas altogether: there the scan cannot take the field accesses (see above),
//! and each attempt re-formats the names of deep lambda expressions (half of the pipeline's
//! planning time).

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::{Expr, ExpressionPlacement, LogicalPlan};
use datafusion::optimizer::optimizer::{ApplyOrder, Optimizer};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion::physical_expr::expressions::LambdaExpr;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::{try_embed_projection, ProjectionExec};
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};

mod csv_nested;
mod entry_order;
mod narrowed_table;
mod prompt_cancel;
mod sink_order;
mod struct_pruning;

pub use csv_nested::NestedAsJsonInCsv;
pub use entry_order::{InOrderMergeExec, PreserveEntryOrder, SplitMemoryInOrder};
pub use prompt_cancel::CooperativeJoinsAndSorts;
pub use sink_order::{DeterministicSinkInput, InTurnMergeExec};
pub use struct_pruning::PruneStructFields;

/// `builder` with DataFusion's default features, our logical and physical rules, and struct
/// member names checked as they are planned (`suggest::MemberNames`): the one place every
/// hepfusion session gets its planner from.
pub fn with_planning_rules(builder: SessionStateBuilder) -> SessionStateBuilder {
    let mut builder = builder
        .with_default_features()
        .with_optimizer_rules(optimizer_rules())
        .with_physical_optimizer_rules(physical_optimizer_rules());
    // Ahead of DataFusion's field access planner, which plans any member name unchecked.
    if let Some(planners) = builder.expr_planners() {
        planners.insert(0, Arc::new(crate::suggest::MemberNames));
    }
    builder
}

/// DataFusion's default logical optimizer rules, with leaf-expression pushdown guarded, then
/// [`PruneStructFields`] and [`NestedAsJsonInCsv`].
pub fn optimizer_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> = Optimizer::new()
        .rules
        .into_iter()
        .map(|rule| -> Arc<dyn OptimizerRule + Send + Sync> {
            if matches!(rule.name(), "extract_leaf_expressions" | "push_down_leaf_projections") {
                Arc::new(OnlyFieldAccesses(rule))
            } else {
                rule
            }
        })
        .collect();
    rules.push(Arc::new(PruneStructFields));
    rules.push(Arc::new(NestedAsJsonInCsv));
    rules
}

/// Prefix DataFusion gives the columns leaf-expression pushdown extracts.
const EXTRACTED_PREFIX: &str = "__datafusion_extracted";

/// Runs the wrapped leaf-expression rule on plans without lambdas, and keeps its result only
/// if every extracted expression in it is still a leaf expression (a field access of a
/// column), not one that re-inlined a computation.
#[derive(Debug)]
struct OnlyFieldAccesses(Arc<dyn OptimizerRule + Send + Sync>);

impl OptimizerRule for OnlyFieldAccesses {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        self.0.apply_order()
    }

    fn rewrite(&self, plan: LogicalPlan, config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        if has_logical_lambda(&plan)? {
            return Ok(Transformed::no(plan));
        }
        let original = plan.clone();
        let result = self.0.rewrite(plan, config)?;
        if result.transformed && extracts_computation(&result.data)? {
            return Ok(Transformed::no(original));
        }
        Ok(result)
    }
}

/// Whether a projection of `plan` extracts (under the pushdown's alias) something other than
/// a column or a leaf expression.
fn extracts_computation(plan: &LogicalPlan) -> Result<bool> {
    plan.exists(|node| {
        Ok(matches!(node, LogicalPlan::Projection(p) if p.expr.iter().any(|e| {
            matches!(e, Expr::Alias(a) if a.name.starts_with(EXTRACTED_PREFIX)
                && !matches!(a.expr.placement(), ExpressionPlacement::Column | ExpressionPlacement::MoveTowardsLeafNodes))
        })))
    })
}

fn has_logical_lambda(plan: &LogicalPlan) -> Result<bool> {
    plan.exists(|node| {
        let mut found = false;
        node.apply_expressions(|e| {
            found = e.exists(|x| Ok(matches!(x, Expr::HigherOrderFunction(_))))?;
            Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        })?;
        Ok(found)
    })
}

/// DataFusion's default physical optimizer rules, with the schema-moving ones made to skip
/// plans with lambdas, [`ProjectionsIntoLambdaFilters`] after the last projection pushdown, and
/// [`SplitMemoryInOrder`] before `EnsureRequirements`, and [`PreserveEntryOrder`] and
/// [`DeterministicSinkInput`] (for what the first leaves) and [`CooperativeJoinsAndSorts`]
/// before the final sanity check.
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> = PhysicalOptimizer::new()
        .rules
        .into_iter()
        .map(|rule| -> Arc<dyn PhysicalOptimizerRule + Send + Sync> {
            if rule.name().starts_with("ProjectionPushdown") || rule.name().starts_with("FilterPushdown") {
                Arc::new(UnlessLambdas(rule))
            } else {
                rule
            }
        })
        .collect();
    let last_pushdown = rules.iter().rposition(|r| r.name().starts_with("ProjectionPushdown")).map_or(rules.len(), |i| i + 1);
    rules.insert(last_pushdown, Arc::new(ProjectionsIntoLambdaFilters));
    let distribution = rules.iter().position(|r| r.name() == "EnsureRequirements").unwrap_or(0);
    rules.insert(distribution, Arc::new(SplitMemoryInOrder));
    let sanity_check = rules.iter().position(|r| r.name() == "SanityCheckPlan").unwrap_or(rules.len());
    rules.insert(sanity_check, Arc::new(PreserveEntryOrder));
    rules.insert(sanity_check + 1, Arc::new(DeterministicSinkInput));
    rules.insert(sanity_check + 2, Arc::new(CooperativeJoinsAndSorts));
    rules
}

/// The part of projection pushdown that is safe in plans with lambdas: a projection of
/// columns over a filter becomes the filter's own output projection. The predicate stays as it
/// is, and the filter no longer copies the rows of columns nobody reads (`WHERE
/// exists(Muon, ...)` under `count(*)` filtered every event's muon list only to drop it).
#[derive(Debug)]
struct ProjectionsIntoLambdaFilters;

impl PhysicalOptimizerRule for ProjectionsIntoLambdaFilters {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        if !has_lambda(&plan)? {
            return Ok(plan);
        }
        plan.transform_down(|node| {
            let embedded = match node.downcast_ref::<ProjectionExec>() {
                Some(p) => match p.input().downcast_ref::<FilterExec>() {
                    Some(f) if f.projection().is_none() && !p.expr().iter().any(|e| contains_lambda(&e.expr)) => try_embed_projection(p, f)?,
                    _ => None,
                },
                None => None,
            };
            Ok(embedded.map_or(Transformed::no(node), Transformed::yes))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "ProjectionsIntoLambdaFilters"
    }

    fn schema_check(&self) -> bool {
        true
    }
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

fn contains_lambda(e: &Arc<dyn PhysicalExpr>) -> bool {
    e.exists(|x| Ok(x.downcast_ref::<LambdaExpr>().is_some())).unwrap_or(true)
}

fn has_lambda(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    let mut found = false;
    plan.apply(|node| {
        node.apply_expressions(&mut |e| {
            found |= contains_lambda(e);
            Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        })?;
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    /// How many times the optimized plan of `query` calls `function`, with our logical rules
    /// or DataFusion's.
    async fn calls(ours: bool, query: &str, function: &str) -> usize {
        let state = crate::session_state(SessionConfig::new()).unwrap();
        let state = if ours { state } else { SessionStateBuilder::new_from_existing(state).with_optimizer_rules(Optimizer::new().rules).build() };
        let ctx = SessionContext::new_with_state(state);
        let table = "CREATE TABLE t AS SELECT [named_struct('pt', 1.0, 'eta', 2.0), named_struct('pt', 3.0, 'eta', 4.0)] AS xs,
            named_struct('px', 1.0, 'py', 2.0, 'pz', 3.0, 'e', 9.0) AS p, 7 AS n";
        ctx.sql(table).await.unwrap();
        let plan = crate::sql::sql(&ctx, query).await.unwrap().into_optimized_plan().unwrap();
        let text = plan.display_indent().to_string();
        text.matches(function).count()
    }

    #[tokio::test]
    async fn fields_of_a_computed_struct_are_not_computed_again() {
        // The pipeline's `lepton.pt`, `lepton.eta`, ... over the view computing `lepton`
        // (a lambda), and the same with a function returning a struct.
        let lambda = "SELECT s.pt + s.eta FROM (SELECT array_max_by(xs, x -> x.pt) AS s, n FROM t) WHERE n > 0";
        let function = "SELECT s.pt + s.eta FROM (SELECT px_py_pz_e_to_pt_eta_phi_m(p) AS s, n FROM t) WHERE n > 0";
        for (query, name) in [(lambda, "array_max_by"), (function, "px_py_pz_e_to_pt_eta_phi_m")] {
            assert_eq!(calls(true, query, name).await, 1, "{query}");
            assert_eq!(calls(false, query, name).await, 2, "DataFusion's leaf pushdown no longer re-inlines {query}: drop the guard");
        }
    }
}
