//! `COPY ... TO 'x.csv'` of lists and structs: their values written as JSON text (see
//! `crate::json`), where Arrow's CSV writer would refuse the whole query.

use std::sync::Arc;

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, Projection};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use crate::json::{is_nested, ToJson};

/// Projects the nested columns of a CSV `COPY`'s input through `to_json`, under their names.
#[derive(Debug)]
pub struct NestedAsJsonInCsv;

impl OptimizerRule for NestedAsJsonInCsv {
    fn name(&self) -> &str {
        "NestedAsJsonInCsv"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Copy(mut copy) = plan else { return Ok(Transformed::no(plan)) };
        let schema = copy.input.schema().clone();
        if copy.file_type.get_ext() != "csv" || !schema.fields().iter().any(|f| is_nested(f.data_type())) {
            return Ok(Transformed::no(LogicalPlan::Copy(copy)));
        }
        let to_json = ToJson::udf();
        let exprs: Vec<Expr> = schema
            .iter()
            .map(|(qualifier, field)| {
                let column = Expr::Column(Column::from((qualifier, field)));
                if is_nested(field.data_type()) {
                    to_json.call(vec![column]).alias_qualified(qualifier.cloned(), field.name())
                } else {
                    column
                }
            })
            .collect();
        copy.input = Arc::new(LogicalPlan::Projection(Projection::try_new(exprs, copy.input)?));
        Ok(Transformed::yes(LogicalPlan::Copy(copy)))
    }
}
