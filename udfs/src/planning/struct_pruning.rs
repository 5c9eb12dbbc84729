//! Reading only the struct fields a query uses.
//!
//! A particle collection is a `List<Struct>` of 10–20 members, and a selection reads two or
//! three of them (`exists(Muon, m -> m.pt > 25 AND abs(m.eta) < 2.1)`). DataFusion 55 prunes
//! struct fields only for `get_field` on a column; through a lambda parameter it reads, and
//! for Parquet decodes the definition and repetition levels of, every member (more than three
//! quarters of such a query's time). DuckDB and uproot read only the members used.
//!
//! This rule follows, from the plan's output down to each file scan, which fields of every
//! struct and list-of-struct column are read: through field accesses, lambda parameters
//! (`m.pt`), functions that return the list's own elements (`filter`, `array_max_by`, ...),
//! aliases and projections. A column whose uses all name fields is declared narrower in the
//! scan ([`NarrowedTable`]): its type keeps only those fields, and the scan reads it through
//! a cast to that type, which Parquet turns into reading only those leaves (DataFusion's
//! nested projection pruning) and our ROOT source into reading only those member branches.
//! A use the analysis does not understand (a struct passed to a function, `DISTINCT`, a
//! subquery) keeps the whole column, and the plan's output schema never changes.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, Result, TableReference};
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::logical_expr::expr::{AggregateFunction, HigherOrderFunction};
use datafusion::logical_expr::logical_plan::TableScanBuilder;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown, TableScan, Union};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::narrowed_table::{refers_to, NarrowedTable};
use crate::physics::fourvec::is_four_vector_field;
use crate::physics::FOUR_VECTOR_FUNCTIONS;

/// What is read of a value: everything, or (for a struct, or the elements of a list of
/// structs) only some fields; no fields means only its validity or its list offsets.
#[derive(Clone, Debug, PartialEq)]
enum Demand {
    All,
    Fields(Selection),
}

/// Fields read by name, and whether the struct is also read as a four-vector by a physics
/// function (which reads whichever fields of [`is_four_vector_field`] it has).
#[derive(Clone, Debug, Default, PartialEq)]
struct Selection {
    names: BTreeSet<String>,
    four_vector: bool,
}

impl Demand {
    fn nothing() -> Self {
        Demand::Fields(Selection::default())
    }

    fn field(name: &str) -> Self {
        Demand::Fields(Selection { names: BTreeSet::from([name.to_string()]), four_vector: false })
    }

    fn four_vector() -> Self {
        Demand::Fields(Selection { names: BTreeSet::new(), four_vector: true })
    }

    fn merge(&mut self, other: Demand) {
        match (&mut *self, other) {
            (Demand::All, _) => {}
            (_, Demand::All) => *self = Demand::All,
            (Demand::Fields(a), Demand::Fields(b)) => {
                a.names.extend(b.names);
                a.four_vector |= b.four_vector;
            }
        }
    }
}

type Demands = HashMap<Column, Demand>;

fn add(demands: &mut Demands, column: Column, d: Demand) {
    demands.entry(column).or_insert_with(Demand::nothing).merge(d);
}

/// Functions of lists whose lambdas take list elements: for each parameter that is an
/// element, (lambda number, parameter number, argument it is an element of); and whether the
/// result's elements (or the result itself) are elements of the first argument, so that what
/// is read of the result is read of that argument.
fn element_parameters(function: &str) -> Option<(&'static [(usize, usize, usize)], bool)> {
    Some(match function {
        "filter" | "array_sort_by" | "array_min_by" | "array_max_by" | "array_first" => (&[(0, 0, 0)], true),
        "array_sort" => (&[(0, 0, 0), (0, 1, 0)], true),
        "transform" | "exists" | "forall" | "array_argmin_by" | "array_argmax_by" => (&[(0, 0, 0)], false),
        "aggregate" => (&[(0, 1, 0)], false),
        "zip_with" => (&[(0, 0, 0), (0, 1, 1)], false),
        _ => return None,
    })
}

/// Functions of lists whose results' elements are elements of these arguments (so that what is
/// read of the result is read of them); their other arguments are read whole.
fn element_arguments(function: &str) -> Option<&'static [usize]> {
    Some(match function {
        "array_concat_struct" => &[0, 1],
        "array_truncate" | "array_take" => &[0],
        _ => return None,
    })
}

/// Functions that read only a list's offsets and validity.
const SIZE_ONLY: [&str; 4] = ["cardinality", "array_length", "array_empty", "empty"];

/// What an expression reads of the columns it refers to, given what is read of its value.
struct ExprDemands {
    columns: Demands,
    /// Lambda parameters in scope, innermost last, with the slot collecting what is read of
    /// the parameter when it is a list element (`None`: an index or an accumulator).
    params: Vec<(String, Option<usize>)>,
    slots: Vec<Demand>,
    unsupported: bool,
}

impl ExprDemands {
    fn new() -> Self {
        ExprDemands { columns: Demands::new(), params: vec![], slots: vec![], unsupported: false }
    }

    fn visit_all(&mut self, plan: &LogicalPlan) {
        let _ = plan.apply_expressions(|e| {
            self.visit(e, Demand::All);
            Ok(TreeNodeRecursion::Continue)
        });
    }

    fn visit(&mut self, e: &Expr, d: Demand) {
        match e {
            Expr::Column(c) => add(&mut self.columns, c.clone(), d),
            Expr::Alias(a) => self.visit(&a.expr, d),
            Expr::LambdaVariable(v) => {
                if let Some((_, Some(slot))) = self.params.iter().rev().find(|(name, _)| *name == v.name) {
                    self.slots[*slot].merge(d);
                }
            }
            Expr::ScalarFunction(f) if f.func.name() == "get_field" && f.args.len() == 2 => {
                match f.args[1].as_literal().and_then(|l| l.try_as_str()).flatten() {
                    Some(name) => self.visit(&f.args[0], Demand::field(name)),
                    None => self.visit_children(e),
                }
            }
            Expr::ScalarFunction(f) if SIZE_ONLY.contains(&f.func.name()) && f.args.len() == 1 => {
                self.visit(&f.args[0], Demand::nothing())
            }
            Expr::ScalarFunction(f) if FOUR_VECTOR_FUNCTIONS.contains(&f.func.name()) => {
                f.args.iter().for_each(|a| self.visit(a, Demand::four_vector()))
            }
            Expr::ScalarFunction(f) => match element_arguments(f.func.name()) {
                Some(elements) => {
                    for (i, a) in f.args.iter().enumerate() {
                        self.visit(a, if elements.contains(&i) { d.clone() } else { Demand::All });
                    }
                }
                None => self.visit_children(e),
            },
            Expr::IsNull(x) | Expr::IsNotNull(x) => self.visit(x, Demand::nothing()),
            Expr::AggregateFunction(AggregateFunction { func, params }) if func.name() == "count" && !params.distinct => {
                params.args.iter().for_each(|a| self.visit(a, Demand::nothing()));
                params.filter.iter().for_each(|f| self.visit(f, Demand::All));
                params.order_by.iter().for_each(|s| self.visit(&s.expr, Demand::All));
            }
            Expr::HigherOrderFunction(h) => self.visit_higher_order(h, d),
            Expr::OuterReferenceColumn(..)
            | Expr::ScalarSubquery(_)
            | Expr::Exists(_)
            | Expr::InSubquery(_)
            | Expr::SetComparison(_) => self.unsupported = true,
            _ => self.visit_children(e),
        }
    }

    /// Everything of every sub-expression is read.
    fn visit_children(&mut self, e: &Expr) {
        let _ = e.apply_children(|c| {
            self.visit(c, Demand::All);
            Ok(TreeNodeRecursion::Continue)
        });
    }

    fn visit_higher_order(&mut self, h: &HigherOrderFunction, d: Demand) {
        // Without its lambda, `array_sort(list)` compares whole elements: every field is read.
        let has_lambda = h.args.iter().any(|a| matches!(a, Expr::Lambda(_)));
        let (elements, keeps_elements) = element_parameters(h.func.name()).filter(|_| has_lambda).unwrap_or((&[], false));
        let first_slot = self.slots.len();
        // One slot per argument whose elements lambdas receive: what is read of them.
        let mut slot_of = HashMap::new();
        for &(_, _, arg) in elements {
            slot_of.entry(arg).or_insert_with(|| {
                self.slots.push(Demand::nothing());
                self.slots.len() - 1
            });
        }
        // What is read of the result is read of the elements of argument 0.
        if let Some(&slot) = slot_of.get(&0).filter(|_| keeps_elements) {
            self.slots[slot].merge(d);
        }
        let lambdas = h.args.iter().filter_map(|a| match a {
            Expr::Lambda(l) => Some(l),
            _ => None,
        });
        for (n, lambda) in lambdas.enumerate() {
            let depth = self.params.len();
            for (p, name) in lambda.params.iter().enumerate() {
                let slot = elements.iter().find(|&&(l, q, _)| (l, q) == (n, p)).map(|(_, _, arg)| slot_of[arg]);
                self.params.push((name.clone(), slot));
            }
            self.visit(&lambda.body, Demand::All);
            self.params.truncate(depth);
        }
        for (i, arg) in h.args.iter().enumerate().filter(|(_, a)| !matches!(a, Expr::Lambda(_))) {
            let d = slot_of.get(&i).map_or(Demand::All, |&s| self.slots[s].clone());
            self.visit(arg, d);
        }
        self.slots.truncate(first_slot);
    }
}

/// Collects, for every table scanned in `plan`, what is read of its columns, given what is
/// read of `plan`'s output columns. `false` when the plan has a construct the analysis does
/// not follow (subqueries).
fn plan_demands(plan: &LogicalPlan, out: &Demands, scans: &mut HashMap<TableReference, Demands>) -> bool {
    let mut analysis = ExprDemands::new();
    let all_of = |p: &LogicalPlan| -> Demands { p.schema().columns().into_iter().map(|c| (c, Demand::All)).collect() };
    match plan {
        LogicalPlan::Projection(p) => {
            for (e, (q, f)) in p.expr.iter().zip(p.schema.iter()) {
                let d = out.get(&Column::new(q.cloned(), f.name())).cloned().unwrap_or_else(Demand::nothing);
                analysis.visit(e, d);
            }
        }
        LogicalPlan::Filter(_)
        | LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_)
        | LogicalPlan::Repartition(_)
        | LogicalPlan::Window(_)
        | LogicalPlan::Join(_) => {
            analysis.visit_all(plan);
            for (c, d) in out {
                add(&mut analysis.columns, c.clone(), d.clone());
            }
        }
        // Columns renamed by position: what is read of an output column is read of the input's.
        LogicalPlan::SubqueryAlias(_) | LogicalPlan::Union(_) => {
            for input in plan.inputs() {
                for (column, (q, f)) in input.schema().columns().into_iter().zip(plan.schema().iter()) {
                    if let Some(d) = out.get(&Column::new(q.cloned(), f.name())) {
                        add(&mut analysis.columns, column, d.clone());
                    }
                }
            }
        }
        LogicalPlan::Aggregate(_) => analysis.visit_all(plan),
        LogicalPlan::TableScan(scan) => {
            for f in &scan.filters {
                analysis.visit(f, Demand::All);
            }
            let entry = scans.entry(scan.table_name.clone()).or_default();
            for column in scan.projected_schema.columns() {
                let d = out.get(&column).cloned().unwrap_or_else(Demand::nothing);
                add(entry, column, d);
            }
            for (c, d) in analysis.columns {
                add(entry, c, d);
            }
            return !analysis.unsupported;
        }
        LogicalPlan::Subquery(_) => return false,
        other => {
            // Anything else (DISTINCT, UNNEST, extensions, ...) reads all of its input.
            analysis.visit_all(other);
            for input in other.inputs() {
                for (c, d) in all_of(input) {
                    add(&mut analysis.columns, c, d);
                }
            }
        }
    }
    if analysis.unsupported {
        return false;
    }
    let input = analysis.columns;
    plan.inputs().into_iter().all(|child| plan_demands(child, &input, scans))
}

/// `field` keeping, in a struct or the struct elements of a list, only the fields of `d`;
/// `None` when that is the whole field. Reading nothing keeps the first primitive field, which
/// carries the validity and the list offsets.
fn narrowed(field: &Field, d: &Demand) -> Option<FieldRef> {
    let Demand::Fields(keep) = d else { return None };
    let narrow_struct = |fields: &Fields| -> Option<DataType> {
        if keep.names.iter().any(|k| fields.find(k).is_none()) {
            return None;
        }
        let read = |f: &FieldRef| keep.names.contains(f.name()) || (keep.four_vector && is_four_vector_field(f.name()));
        let mut kept: Vec<FieldRef> = fields.iter().filter(|f| read(f)).cloned().collect();
        // A cast fills fields by name: of two fields with one name, both would get the first's.
        if kept.iter().any(|k| fields.iter().filter(|f| f.name() == k.name()).count() > 1) {
            return None;
        }
        if kept.is_empty() {
            kept.push(fields.iter().find(|f| !f.data_type().is_nested())?.clone());
        }
        (kept.len() < fields.len()).then(|| DataType::Struct(kept.into()))
    };
    let data_type = match field.data_type() {
        DataType::Struct(fields) => narrow_struct(fields)?,
        DataType::List(element) | DataType::LargeList(element) => {
            let DataType::Struct(fields) = element.data_type() else { return None };
            let element = Arc::new(element.as_ref().clone().with_data_type(narrow_struct(fields)?));
            match field.data_type() {
                DataType::List(_) => DataType::List(element),
                _ => DataType::LargeList(element),
            }
        }
        _ => return None,
    };
    Some(Arc::new(field.clone().with_data_type(data_type)))
}

/// The logical optimizer rule; it runs last, on the plan every other rule has shaped.
#[derive(Debug, Default)]
pub struct PruneStructFields;

impl OptimizerRule for PruneStructFields {
    fn name(&self) -> &str {
        "prune_struct_fields"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        None
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        if !plan.exists(|node| Ok(matches!(node, LogicalPlan::TableScan(s) if listing_table(s).is_some())))? {
            return Ok(Transformed::no(plan));
        }
        let root = plan.schema().columns().into_iter().map(|c| (c, Demand::All)).collect();
        let mut scans = HashMap::new();
        if !plan_demands(&plan, &root, &mut scans) {
            return Ok(Transformed::no(plan));
        }
        let mut narrowing = HashMap::new();
        plan.apply(|node| {
            if let LogicalPlan::TableScan(scan) = node {
                if let Some(n) = scans.get(&scan.table_name).and_then(|demands| narrowing_of(scan, demands)) {
                    narrowing.insert(scan.table_name.clone(), n);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if narrowing.is_empty() {
            return Ok(Transformed::no(plan));
        }
        // A rewrite this analysis got wrong fails to type-check or changes the output schema;
        // then the query runs as DataFusion planned it.
        match narrow(plan.clone(), &narrowing) {
            Ok(new) if new.schema().as_arrow() == plan.schema().as_arrow() => Ok(Transformed::yes(new)),
            _ => Ok(Transformed::no(plan)),
        }
    }
}

/// The provider behind a scan of a listing table (Parquet, ROOT, ...), or of one we narrowed.
fn listing_table(scan: &TableScan) -> Option<Arc<dyn TableProvider>> {
    let provider = source_as_provider(&scan.source).ok()?;
    let inner = match provider.downcast_ref::<NarrowedTable>() {
        Some(n) => n.inner(),
        None => provider,
    };
    inner.downcast_ref::<ListingTable>().is_some().then_some(inner)
}

/// A narrowed scan: the listing table, and its schema with the narrowed columns.
struct Narrowing {
    inner: Arc<dyn TableProvider>,
    schema: Arc<Schema>,
    columns: BTreeSet<String>,
}

fn narrowing_of(scan: &TableScan, demands: &Demands) -> Option<Narrowing> {
    let inner = listing_table(scan)?;
    let current = scan.source.schema();
    // A scan narrowed by an earlier pass keeps its narrowed columns.
    let mut columns = source_as_provider(&scan.source)
        .ok()
        .and_then(|p| p.downcast_ref::<NarrowedTable>().map(|n| n.narrowed().clone()))
        .unwrap_or_default();
    let before = columns.len();
    let fields: Vec<FieldRef> = current
        .fields()
        .iter()
        .map(|f| {
            let column = Column::new(Some(scan.table_name.clone()), f.name());
            match demands.get(&column).and_then(|d| narrowed(f, d)) {
                Some(n) if !exactly_filtered(&inner, &scan.filters, f.name()) => {
                    columns.insert(f.name().clone());
                    n
                }
                _ => Arc::clone(f),
            }
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, current.metadata().clone()));
    (columns.len() > before).then_some(Narrowing { inner, schema, columns })
}

/// Whether the provider applies a filter on `column` exactly (so that the scan, not a filter
/// above it, selects the rows): such a column keeps its type.
fn exactly_filtered(inner: &Arc<dyn TableProvider>, filters: &[Expr], column: &str) -> bool {
    let on_column: Vec<&Expr> = filters.iter().filter(|f| refers_to(f, &BTreeSet::from([column.to_string()]))).collect();
    !on_column.is_empty()
        && inner
            .supports_filters_pushdown(&on_column)
            .map_or(true, |p| p.iter().any(|p| *p == TableProviderFilterPushDown::Exact))
}

/// `plan` with the narrowed scans, every node above them typed again.
fn narrow(plan: LogicalPlan, narrowing: &HashMap<TableReference, Narrowing>) -> Result<LogicalPlan> {
    plan.transform_up(|node| {
        let narrowed_scan = match &node {
            LogicalPlan::TableScan(scan) => narrowing.get(&scan.table_name).map(|n| (scan, n)),
            _ => None,
        };
        if let Some((scan, n)) = narrowed_scan {
            let source = provider_as_source(Arc::new(NarrowedTable::new(Arc::clone(&n.inner), Arc::clone(&n.schema), n.columns.clone())));
            let schema = DFSchema::try_from_qualified_schema(scan.table_name.clone(), &n.schema)?;
            // Filters on a narrowed column are applied above the scan (they were inexact).
            let filters = scan
                .filters
                .iter()
                .filter(|f| !refers_to(f, &n.columns))
                .map(|f| resolve_lambda_variables(f.clone(), &schema))
                .collect::<Result<Vec<_>>>()?;
            let scan = TableScanBuilder::new(scan.table_name.clone(), source)
                .with_projection(scan.projection.clone())
                .with_filters(filters)
                .with_fetch(scan.fetch)
                .with_statistics_requests(scan.statistics_requests.clone())
                .build()?;
            return Ok(Transformed::yes(LogicalPlan::TableScan(scan)));
        }
        if let LogicalPlan::Union(u) = node {
            // `recompute_schema` keeps a union's schema when the width is the same.
            return Ok(Transformed::yes(LogicalPlan::Union(Union::try_new(u.inputs)?)));
        }
        let schema = merge_schema(&node.inputs());
        let node = node.map_expressions(|e| resolve_lambda_variables(e, &schema).map(Transformed::yes))?.data;
        Ok(Transformed::yes(node.recompute_schema()?))
    })
    .map(|t| t.data)
}

/// Types the lambda variables of `e` again, for its columns' new types.
/// `Expr::resolve_lambda_variables` (DataFusion 55) skips the lambdas inside the list argument
/// of an outermost higher-order function (`filter(transform(xs, t -> ...), t -> ...)`), so
/// those arguments are resolved first, on their own.
fn resolve_lambda_variables(e: Expr, schema: &DFSchema) -> Result<Expr> {
    e.transform_down(|x| match x {
        Expr::HigherOrderFunction(h) => {
            let args = h
                .args
                .into_iter()
                .map(|a| match a {
                    Expr::Lambda(_) => Ok(a),
                    a => resolve_lambda_variables(a, schema),
                })
                .collect::<Result<Vec<_>>>()?;
            let resolved = Expr::HigherOrderFunction(HigherOrderFunction::new(h.func, args)).resolve_lambda_variables(schema)?.data;
            Ok(Transformed::new(resolved, true, TreeNodeRecursion::Jump))
        }
        x => Ok(Transformed::no(x)),
    })
    .map(|t| t.data)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::{SessionConfig, SessionContext};

    /// A session with our rules (`pruned`) or without this one, over a Parquet table `t` of
    /// muons (a list of structs) and a MET struct.
    async fn context(pruned: bool) -> SessionContext {
        let state = crate::session_state(SessionConfig::new()).unwrap();
        let mut rules = super::super::optimizer_rules();
        if !pruned {
            rules.retain(|r| r.name() != "prune_struct_fields");
        }
        let ctx = SessionContext::new_with_state(SessionStateBuilder::new_from_existing(state).with_optimizer_rules(rules).build());
        let dir = std::env::temp_dir().join(format!("hepfusion-prune-{}", std::process::id()));
        let path = dir.join("t.parquet");
        if !path.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            let rows = "SELECT CAST(i AS INT) AS event,
                    [named_struct('pt', 10.0 + i, 'eta', 0.1 * i, 'phi', 0.2, 'charge', 1, 'iso', 0.5),
                     named_struct('pt', 30.0 + i, 'eta', -0.1 * i, 'phi', -1.0, 'charge', -1, 'iso', 0.1)] AS muon,
                    named_struct('pt', 20.0 + i, 'phi', 0.3, 'sumet', 100.0) AS met
                FROM generate_series(1, 50) AS s(i)";
            let tmp = dir.join("t.parquet.tmp");
            ctx.sql(&format!("COPY ({rows}) TO '{}' STORED AS PARQUET", tmp.display())).await.unwrap().collect().await.unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        }
        ctx.sql(&format!("CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '{}'", path.display())).await.unwrap();
        ctx
    }

    async fn run(ctx: &SessionContext, query: &str) -> (String, String) {
        let explain = crate::sql::sql(ctx, &format!("EXPLAIN {query}")).await.unwrap().collect().await.unwrap();
        let result = crate::sql::sql(ctx, query).await.unwrap().collect().await.unwrap();
        (pretty_format_batches(&explain).unwrap().to_string(), pretty_format_batches(&result).unwrap().to_string())
    }

    /// The fields of `column` the scan reads: its cast's struct fields, or all of them.
    fn scanned_fields(plan: &str, column: &str) -> String {
        let scan = plan.lines().find(|l| l.contains("DataSourceExec")).expect("a scan");
        match scan.split(&format!("CAST({column}@")).nth(1) {
            Some(cast) => cast.split(" as ").next().unwrap().to_string(),
            None => "all".to_string(),
        }
    }

    #[tokio::test]
    async fn scans_read_only_the_fields_queries_use() {
        let (ours, theirs) = (context(true).await, context(false).await);
        let cases = [
            // Lambda parameters, and a filter kept in the plan above the scan.
            ("SELECT count(*) FROM t WHERE exists(muon, m -> m.pt > 40 AND abs(m.eta) < 2)", "muon", &["pt", "eta"][..]),
            // Through a function returning an element, a subquery alias and count().
            ("SELECT count(mu), sum(mu.pt + met.pt) FROM (SELECT met, array_max_by(muon, m -> m.iso) AS mu FROM t)", "muon", &["pt", "iso"]),
            ("SELECT count(mu), sum(mu.pt + met.pt) FROM (SELECT met, array_max_by(muon, m -> m.iso) AS mu FROM t)", "met", &["pt"]),
            // Only the list sizes: one field is kept.
            ("SELECT sum(cardinality(muon)) FROM t", "muon", &["pt"]),
            // Through a union and nested lambdas that reuse a parameter name.
            (
                "SELECT sum(cardinality(filter(transform(x, m -> named_struct('q', m.charge)), m -> m.q > 0)))
                 FROM (SELECT muon AS x FROM t UNION ALL SELECT muon FROM t WHERE event > 10)",
                "muon",
                &["charge"],
            ),
            ("SELECT sum(aggregate(muon, 0.0, (acc, m) -> acc + m.phi)) FROM t", "muon", &["phi"]),
            // Physics functions read the four-vector fields; list functions pass demands on
            // their result's elements to the lists they take them from.
            ("SELECT sum(cardinality(filter(muon, m -> delta_r(m, m) < 1))) FROM t", "muon", &["pt", "eta", "phi"]),
            (
                "SELECT sum(invariant_mass(array_truncate(filter(muon, m -> m.iso < 0.3), 2))) FROM t",
                "muon",
                &["pt", "eta", "phi", "iso"],
            ),
            ("SELECT sum(cardinality(filter(array_concat_struct(muon, muon), m -> m.charge > 0))) FROM t", "muon", &["charge"]),
            // Whole structs: sorted without a comparator (compared field by field), passed to a
            // function, returned, or compared by DISTINCT.
            ("SELECT sum(transform(array_sort(muon), m -> m.iso)[1]) FROM t", "muon", &[]),
            ("SELECT sum(transform(array_sort(muon, 'DESC'), m -> m.iso)[1]) FROM t", "muon", &[]),
            ("SELECT sum(cardinality(array_distinct(muon))) FROM t", "muon", &[]),
            ("SELECT filter(muon, m -> m.pt > 40) AS hard FROM t ORDER BY event LIMIT 3", "muon", &[]),
            ("SELECT count(*) FROM (SELECT DISTINCT met FROM t)", "met", &[]),
        ];
        for (query, column, fields) in cases {
            let (plan, result) = run(&ours, query).await;
            let (_, expected) = run(&theirs, query).await;
            assert_eq!(result, expected, "{query}");
            let scanned = scanned_fields(&plan, column);
            if fields.is_empty() {
                assert_eq!(scanned, "all", "{query}\n{plan}");
            } else {
                let names: Vec<&str> = scanned.split('"').skip(1).step_by(2).filter(|n| !["element", "item"].contains(n)).collect();
                assert_eq!(names, fields, "{query}\n{plan}");
            }
        }
    }
}
