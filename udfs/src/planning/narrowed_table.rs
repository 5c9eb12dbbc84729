//! A table whose struct columns are declared narrower than they are stored.
//!
//! [`super::struct_pruning`] gives a scan this provider when the query reads only some fields
//! of a struct or list-of-struct column. The table's scan reads such a column through a cast
//! to the narrower type, pushed into the file source: Parquet then decodes only the leaves
//! the cast names (DataFusion's nested projection pruning), and a source that cannot take the
//! cast still returns the right values, cast above the scan.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::{Constraints, Result, Statistics};
use datafusion::datasource::TableType;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::expressions::{CastExpr, Column};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;


#[derive(Debug)]
pub struct NarrowedTable {
    inner: Arc<dyn TableProvider>,
    /// The inner table's schema with the narrowed columns' types.
    schema: SchemaRef,
    narrowed: BTreeSet<String>,
}

impl NarrowedTable {
    pub fn new(inner: Arc<dyn TableProvider>, schema: SchemaRef, narrowed: BTreeSet<String>) -> Self {
        NarrowedTable { inner, schema, narrowed }
    }

    pub fn inner(&self) -> Arc<dyn TableProvider> {
        Arc::clone(&self.inner)
    }

    /// The columns declared narrower than stored.
    pub fn narrowed(&self) -> &BTreeSet<String> {
        &self.narrowed
    }
}

#[async_trait]
impl TableProvider for NarrowedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let args = ScanArgs::default().with_projection(projection.map(|p| p.as_slice())).with_filters(Some(filters)).with_limit(limit);
        Ok(self.scan_with_args(state, args).await?.into_inner())
    }

    async fn scan_with_args<'a>(&self, state: &dyn Session, args: ScanArgs<'a>) -> Result<ScanResult> {
        // The inner table types filters against its own schema: it gets none on our columns
        // (we declare those unsupported, and the optimizer rule moves any it had above us).
        let filters: Vec<Expr> = args.filters().unwrap_or(&[]).iter().filter(|f| !refers_to(f, &self.narrowed)).cloned().collect();
        let inner_args = ScanArgs::default()
            .with_projection(args.projection())
            .with_filters(Some(&filters))
            .with_limit(args.limit())
            .with_statistics_requests(args.statistics_requests());
        let plan = self.inner.scan_with_args(state, inner_args).await?.into_inner();
        let stored = plan.schema();
        let exprs = stored.fields().iter().enumerate().map(|(i, f)| {
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(f.name(), i));
            let expr: Arc<dyn PhysicalExpr> = if self.narrowed.contains(f.name()) {
                let target = self.schema.field_with_name(f.name())?;
                Arc::new(CastExpr::new_with_target_field(column, Arc::new(target.clone()), None))
            } else {
                column
            };
            Ok((expr, f.name().clone()))
        });
        let projection = ProjectionExec::try_new(exprs.collect::<Result<Vec<_>>>()?, Arc::clone(&plan))?;
        Ok(match plan.try_swapping_with_projection(&projection)? {
            Some(pushed) => pushed,
            None => Arc::new(projection),
        }
        .into())
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let theirs: Vec<(usize, &Expr)> = filters.iter().copied().enumerate().filter(|(_, f)| !refers_to(f, &self.narrowed)).collect();
        let mut answer = vec![TableProviderFilterPushDown::Unsupported; filters.len()];
        let inner = self.inner.supports_filters_pushdown(&theirs.iter().map(|(_, f)| *f).collect::<Vec<_>>())?;
        for ((i, _), a) in theirs.iter().zip(inner) {
            answer[*i] = a;
        }
        Ok(answer)
    }
}

/// Whether `e` reads any of `columns`: filters on a narrowed column are not the inner table's
/// to apply.
pub(super) fn refers_to(e: &Expr, columns: &BTreeSet<String>) -> bool {
    e.column_refs().iter().any(|c| columns.contains(&c.name))
}
