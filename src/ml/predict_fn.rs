//! Inference: `predict_proba('name', features..., [sequence])` in any SELECT, and
//! `predict('name', 'table or query')`, the input with one probability column per class and
//! the predicted class. `predict` is a view over `predict_proba`, so it runs in the input's
//! partitions, in parallel, streaming, with DataFusion's projection pushdown.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float32Builder, ListBuilder, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::datasource::ViewTable;
use datafusion::functions_nested::expr_fn::{array_element, array_max, array_position};
use datafusion::logical_expr::{
    col, lit, ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TableProviderFilterPushDown, TableType, Volatility,
};
use datafusion::physical_plan::ExecutionPlan;

use crate::arguments::{Args, TableSignature};
use super::input::input_plan;
use super::registry;
use crate::states::States;

#[datafusion_macros::user_doc(
    doc_section(label = "Machine learning"),
    description = r#"The class probabilities of each row under a stored model, as a list in the model's class order (`models()` lists it). Usable in any SELECT; `predict(...)` is a view over it."#,
    syntax_example = r#"predict_proba('model', feature1, ..., featureN [, sequence])"#,
    sql_example = r#"```sql
> CREATE TABLE toy AS SELECT x / 100.0 AS f1, (x % 7) / 7.0 AS f2, CAST(x >= 50 AS INT) AS label FROM generate_series(0, 99) t(x);
> SELECT count(*) AS epochs FROM train_classifier('toy_model', 'toy', classes => 'low, high', hidden => '8', epochs => 2, batch_size => 16);
+--------+
| epochs |
+--------+
| 2      |
+--------+

> SELECT label, cardinality(predict_proba('toy_model', f1, f2)) AS classes FROM toy LIMIT 2;
+-------+---------+
| label | classes |
+-------+---------+
| 0     | 2       |
| 0     | 2       |
+-------+---------+

```"#,
    argument(name = r#"model"#, description = r#"The model's name in the registry, a constant."#),
    argument(name = r#"feature1, ..., featureN"#, description = r#"The model's feature columns, in training order."#),
    argument(name = r#"sequence"#, description = r#"The particle list column, for the GRU models."#),
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PredictProba {
    signature: Signature,
}

impl Default for PredictProba {
    fn default() -> Self {
        // Stable: the same within a query; a model may be retrained between queries.
        Self { signature: Signature::user_defined(Volatility::Stable) }
    }
}

impl PredictProba {
    pub const NAME: &'static str = "predict_proba";

    pub fn udf() -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(Self::default()))
    }
}

impl ScalarUDFImpl for PredictProba {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        self.doc()
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        if types.len() < 2 {
            return plan_err!("predict_proba('model', feature columns..., [sequence column]) needs a model name and the model's inputs");
        }
        let mut out = types.to_vec();
        out[0] = DataType::Utf8;
        Ok(out)
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Float32, false))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = match &args.args[0] {
            ColumnarValue::Scalar(s) => match s.try_as_str() {
                Some(Some(n)) => n.to_string(),
                _ => return exec_err!("predict_proba: argument 1 must be a model name, got {s}"),
            },
            // A literal arrives as an array through DataFusion's FFI (Python's `datafusion`).
            ColumnarValue::Array(a) => match constant_string(a.as_ref()) {
                Some(n) => n,
                None => return exec_err!("predict_proba: argument 1 (the model name) must be a constant"),
            },
        };
        let model = registry::load(&registry::model_dir(&args.config_options), &name)?;
        let spec = &model.info.input;
        let names: Vec<&String> = spec.features.iter().chain(spec.sequence.iter()).collect();
        let inputs = &args.args[1..];
        if inputs.len() != names.len() {
            return exec_err!(
                "predict_proba: model '{name}' takes {} inputs ({}), got {}",
                names.len(),
                names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                inputs.len()
            );
        }
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = inputs.iter().map(|a| a.to_array(n)).collect::<Result<_>>()?;
        let fields: Vec<Field> = names.iter().zip(&arrays).map(|(name, a)| Field::new(name.as_str(), a.data_type().clone(), true)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        model.info.input.check(&batch.schema(), false).map_err(|e| datafusion::error::DataFusionError::Execution(format!("predict_proba: model '{name}': {e}")))?;
        let columns = model.decode(&batch, false, 0)?;
        let p = model.probabilities(&columns)?;
        let k = model.info.classes.len();
        let mut out = ListBuilder::with_capacity(Float32Builder::with_capacity(p.len()), n).with_field(Arc::new(Field::new_list_field(DataType::Float32, false)));
        for row in p.chunks_exact(k) {
            out.values().append_slice(row);
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The one value of a string array whose rows all hold the same non-null string.
fn constant_string(a: &dyn Array) -> Option<String> {
    let strings = arrow::compute::cast(a, &DataType::Utf8).ok()?;
    let strings = strings.as_string::<i32>();
    let first = strings.iter().next()??;
    strings.iter().all(|s| s == Some(first)).then(|| first.to_string())
}

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "predict",
    section: "Machine learning",
    description: "Applies a stored model to a table or query: the input's columns, `p_<class>` per class and `predicted`, the index of the most probable class (comparable with the label). A view over `predict_proba`, so it runs in parallel and streams.",
    syntax: "predict('model', 'table or query')",
    arguments: &[("model", "The model's name in the registry."), ("table or query", "A table name or a query with the model's feature (and sequence) columns.")],
    required: 2,
    options: &[],
    example: concat!("```sql\n", toy_model_example!(), r#"> SELECT count(*) AS n, round(min(p_low + p_high), 5) AS total_probability FROM predict('toy_model', 'toy');
+-----+-------------------+
| n   | total_probability |
+-----+-------------------+
| 100 | 1.0               |
+-----+-------------------+

```"#),
};

#[derive(Debug)]
pub struct Predict {
    states: States,
}

impl Predict {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

impl TableFunctionImpl for Predict {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let (name, input) = (a.string_at(0)?, a.string_at(1)?);
        let state = self.states.of(args.session())?;
        let model = registry::load(&registry::model_dir(state.config_options()), &name)?;
        let plan = input_plan(&state, "predict", &input)?;
        let schema = plan.schema().clone();
        model.info.input.check(schema.as_arrow(), false).map_err(|e| datafusion::error::DataFusionError::Plan(format!("predict: model '{name}': {e}")))?;

        let spec = &model.info.input;
        let mut call_args = vec![lit(ScalarValue::Utf8(Some(name.clone())))];
        call_args.extend(spec.features.iter().chain(spec.sequence.iter()).map(|c| Expr::Column(datafusion::common::Column::from_name(c))));
        let proba = PredictProba::udf().call(call_args).alias("__hepfusion_proba");
        let input_columns: Vec<Expr> = schema.columns().into_iter().map(Expr::Column).collect();
        let mut outputs = input_columns.clone();
        for (i, class) in model.info.classes.iter().enumerate() {
            let column = format!("p_{class}");
            if schema.has_column_with_unqualified_name(&column) {
                return plan_err!("predict: the input already has a column '{column}'; select the other columns only");
            }
            outputs.push(array_element(col("__hepfusion_proba"), lit(i as i64 + 1)).alias(column));
        }
        if schema.has_column_with_unqualified_name("predicted") {
            return plan_err!("predict: the input already has a column 'predicted'");
        }
        let argmax = array_position(col("__hepfusion_proba"), array_max(col("__hepfusion_proba")), lit(1i64)) - lit(1u64);
        outputs.push(datafusion::logical_expr::cast(argmax, DataType::Int64).alias("predicted"));
        let mut with_proba = input_columns;
        with_proba.push(proba);
        let view = LogicalPlanBuilder::from(plan).project(with_proba)?.project(outputs)?.build()?;
        Ok(Arc::new(OurView(ViewTable::new(view, None), self.states.clone())))
    }
}

/// The prediction view, always planned by a hepfusion state: a foreign session
/// (Python's `datafusion` through FFI) would otherwise have to serialise the plan, our UDF
/// included, across the FFI and call it back batch by batch.
#[derive(Debug)]
struct OurView(ViewTable, States);

#[async_trait::async_trait]
impl TableProvider for OurView {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn get_logical_plan(&self) -> Option<std::borrow::Cow<'_, LogicalPlan>> {
        self.0.get_logical_plan()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.0.supports_filters_pushdown(filters)
    }

    async fn scan(&self, session: &dyn Session, projection: Option<&Vec<usize>>, filters: &[Expr], limit: Option<usize>) -> Result<Arc<dyn ExecutionPlan>> {
        self.0.scan(&self.1.of(session)?, projection, filters, limit).await
    }
}
