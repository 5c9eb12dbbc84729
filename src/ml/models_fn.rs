//! `models()`: the registry as a table; `drop_model('name' [, if_exists => true])`.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Builder, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder, TimestampSecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::MemTable;

use crate::arguments::{Args, TableSignature};
use super::registry;
use crate::arguments::Choice;

fn dir_of(args: &TableFunctionArgs) -> std::path::PathBuf {
    registry::model_dir(args.session().config_options())
}

fn strings() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

pub(crate) static MODELS: TableSignature = TableSignature {
    name: "models",
    section: "Machine learning",
    description: "The model registry (`SET hepfusion.model_dir`, default ./models or $HEPFUSION_MODEL_DIR) as a table: per model its kind, classes, features, sequence column, parameters, epochs, training rows, validation loss and AUCs of the kept epoch, training query, creation time and file; a file that cannot be read is a row with its error.",
    syntax: "models()",
    arguments: &[],
    required: 0,
    options: &[],
    example: concat!("```sql\n", toy_model_example!(), r#"> SELECT name, model, classes, features, parameters FROM models();
+-----------+---------+-------------+----------+------------+
| name      | model   | classes     | features | parameters |
+-----------+---------+-------------+----------+------------+
| toy_model | hlf_dnn | [low, high] | [f1, f2] | 42         |
+-----------+---------+-------------+----------+------------+

```"#),
};

#[derive(Debug, Default)]
pub struct Models;

impl TableFunctionImpl for Models {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Args::parse(&MODELS, args.exprs())?;
        let dir = dir_of(&args);
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("model", DataType::Utf8, true),
            Field::new("classes", strings(), true),
            Field::new("features", strings(), true),
            Field::new("sequence", DataType::Utf8, true),
            Field::new("parameters", DataType::Int64, true),
            Field::new("epochs", DataType::Int64, true),
            Field::new("training_rows", DataType::Int64, true),
            Field::new("val_loss", DataType::Float64, true),
            Field::new("val_auc", DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))), true),
            Field::new("query", DataType::Utf8, true),
            Field::new("created", DataType::Timestamp(TimeUnit::Second, Some("UTC".into())), true),
            Field::new("path", DataType::Utf8, false),
            Field::new("error", DataType::Utf8, true),
        ]));
        let entries = registry::list(&dir);
        let info = |i: usize| entries[i].2.as_ref().ok();
        let n = entries.len();
        let mut classes = ListBuilder::new(StringBuilder::new());
        let mut features = ListBuilder::new(StringBuilder::new());
        let mut auc = ListBuilder::new(Float64Builder::new());
        for i in 0..n {
            match info(i) {
                Some(m) => {
                    m.classes.iter().for_each(|c| classes.values().append_value(c));
                    classes.append(true);
                    m.input.features.iter().for_each(|c| features.values().append_value(c));
                    features.append(true);
                    let best = m.history.iter().find(|h| h.epoch == m.best_epoch);
                    best.map(|h| h.val_auc.iter().for_each(|a| auc.values().append_option(*a)));
                    auc.append(best.is_some());
                }
                None => {
                    classes.append(false);
                    features.append(false);
                    auc.append(false);
                }
            }
        }
        let best_loss = |i: usize| info(i).and_then(|m| m.history.iter().find(|h| h.epoch == m.best_epoch).and_then(|h| h.val_loss));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(entries.iter().map(|e| e.0.as_str()))),
            Arc::new(StringArray::from_iter((0..n).map(|i| info(i).map(|m| m.architecture.kind.word().to_string())))),
            Arc::new(classes.finish()),
            Arc::new(features.finish()),
            Arc::new(StringArray::from_iter((0..n).map(|i| info(i).and_then(|m| m.input.sequence.clone())))),
            Arc::new(Int64Array::from_iter((0..n).map(|i| info(i).map(|m| m.parameters as i64)))),
            Arc::new(Int64Array::from_iter((0..n).map(|i| info(i).map(|m| m.history.len() as i64)))),
            Arc::new(Int64Array::from_iter((0..n).map(|i| info(i).map(|m| m.training_rows as i64)))),
            Arc::new(arrow::array::Float64Array::from_iter((0..n).map(best_loss))),
            Arc::new(auc.finish()),
            Arc::new(StringArray::from_iter((0..n).map(|i| info(i).map(|m| m.query.clone())))),
            Arc::new(TimestampSecondArray::from_iter((0..n).map(|i| info(i).map(|m| m.created as i64))).with_timezone("UTC")),
            Arc::new(StringArray::from_iter_values(entries.iter().map(|e| e.1.display().to_string()))),
            Arc::new(StringArray::from_iter(entries.iter().map(|e| e.2.as_ref().err().map(|e| e.to_string())))),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

pub(crate) static DROP_MODEL: TableSignature = TableSignature {
    name: "drop_model",
    section: "Machine learning",
    description: "Deletes a model from the registry when the call is planned, like a DDL statement; one row tells whether there was one. A missing model is an error unless `if_exists => true`.",
    syntax: "drop_model('name' [, if_exists => true])",
    arguments: &[("name", "The model's name.")],
    required: 1,
    options: &[("if_exists", "true: a missing model is not an error (default false).")],
    example: concat!("```sql\n", toy_model_example!(), r#"> SELECT * FROM drop_model('toy_model');
+-----------+---------+
| name      | dropped |
+-----------+---------+
| toy_model | true    |
+-----------+---------+
> SELECT * FROM drop_model('toy_model', if_exists => true);
+-----------+---------+
| name      | dropped |
+-----------+---------+
| toy_model | false   |
+-----------+---------+
```"#),
};

/// Deletes a model file when the call is planned, like a DDL statement; one row tells
/// whether there was one.
#[derive(Debug, Default)]
pub struct DropModel;

impl TableFunctionImpl for DropModel {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&DROP_MODEL, args.exprs())?;
        let name = a.string_at(0)?;
        let dropped = registry::drop_model(&dir_of(&args), &name, a.bool("if_exists")?.unwrap_or(false))?;
        let schema = Arc::new(Schema::new(vec![Field::new("name", DataType::Utf8, false), Field::new("dropped", DataType::Boolean, false)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![name])), Arc::new(BooleanArray::from(vec![dropped]))],
        )?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
