//! `to_json(value)`: a value as JSON text, and nested columns as JSON text where a format has
//! no place for them.
//!
//! CSV has no lists or structs, and Arrow's CSV writer refuses them ("Nested type List(...) is
//! not supported in CSV"), yet nearly every ROOT or NanoAOD column is a list. DuckDB writes
//! such values as JSON text inside the field; so do we, for the shell's CSV and TSV output
//! ([`nested_as_json`]) and for `COPY ... TO 'x.csv'` (the `NestedAsJsonInCsv` rule in
//! `planning`). `json.loads` or pandas' `read_csv` plus `json.loads` get the values back.
//! JSON has no NaN or infinities: those become `null`, as Arrow's JSON writer writes them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::json::writer::{make_encoder, EncoderOptions};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use crate::scalar::{check_arity, scalar_common, scalar_function};

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Text"),
        description = r#"The value as JSON text (lists as arrays, structs as objects with every member, NULL members as `null`); NULL stays NULL."#,
        syntax_example = r#"to_json(value)"#,
        sql_example = r#"```sql
> SELECT to_json([named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1), NULL]) AS json;
+----------------------------------------+
| json                                   |
+----------------------------------------+
| [{"pt":40.0,"eta":0.5,"phi":0.1},null] |
+----------------------------------------+

```"#,
        argument(name = r#"value"#, description = r#"Any value: lists, structs, maps, scalars."#),
    )]
    ToJson, "to_json", []
);

impl ScalarUDFImpl for ToJson {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[1])?;
        Ok(types.to_vec())
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        Ok(ColumnarValue::Array(json_text(&arrays[0])?))
    }
}

/// Whether a type has no place in a CSV field: lists, structs, maps and unions.
pub fn is_nested(t: &DataType) -> bool {
    t.is_nested() || matches!(t, DataType::Union(..))
}

/// Each value of `array` as JSON text, NULL for NULL.
pub fn json_text(array: &ArrayRef) -> Result<ArrayRef> {
    let field: FieldRef = Arc::new(Field::new("", array.data_type().clone(), true));
    let options = EncoderOptions::default().with_explicit_nulls(true);
    let mut encoder = make_encoder(&field, array.as_ref(), &options).map_err(|e| DataFusionError::ArrowError(Box::new(e), Some("to_json".into())))?;
    let mut out = StringBuilder::with_capacity(array.len(), array.len() * 16);
    let mut text = Vec::new();
    for row in 0..array.len() {
        if array.is_null(row) {
            out.append_null();
            continue;
        }
        text.clear();
        encoder.encode(row, &mut text);
        // The encoder writes valid UTF-8: JSON of Arrow values, strings escaped.
        out.append_value(String::from_utf8_lossy(&text));
    }
    Ok(Arc::new(out.finish()))
}

/// `batch` with every nested column replaced by its JSON text (a CSV writer's input).
pub fn nested_as_json(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch.schema().fields().iter().any(|f| is_nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if is_nested(f.data_type()) {
            fields.push(Arc::new(Field::new(f.name(), DataType::Utf8, true)));
            columns.push(json_text(c)?);
        } else {
            fields.push(f.clone());
            columns.push(c.clone());
        }
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Float32Builder, Int32Array, ListBuilder};

    use super::*;

    #[test]
    fn lists_and_nulls() {
        let mut b = ListBuilder::new(Float32Builder::new());
        b.values().append_slice(&[1.5, 2.0]);
        b.append(true);
        b.append(false);
        b.values().append_value(f32::NAN);
        b.values().append_null();
        b.append(true);
        b.append(true);
        let list: ArrayRef = Arc::new(b.finish());
        let n: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4]));
        let batch = RecordBatch::try_from_iter([("xs", list), ("n", n)]).unwrap();
        let out = nested_as_json(&batch).unwrap();
        let text = out.column(0).as_string::<i32>();
        assert_eq!(text.value(0), "[1.5,2.0]");
        assert!(text.is_null(1));
        assert_eq!(text.value(2), "[null,null]");
        assert_eq!(text.value(3), "[]");
        assert_eq!(out.column(1).data_type(), &DataType::Int32);
    }
}
