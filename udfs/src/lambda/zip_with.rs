//! `zip_with(a, b, (x, y) -> z)`: element-wise combination of two lists.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ListArray, UInt32Array};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
    LambdaParametersProgress, ValueOrLambda,
};

use super::{call, coerce_list_args, common_impl, element_field, higher_order_function, lambda_arg, split_args, value_arg, Lists};

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The lambda applied to the elements at the same position; the shorter list is padded with nulls (as Spark does). Null if either list is null."#,
        syntax_example = r#"zip_with(a, b, (x, y) -> expression)"#,
        sql_example = r#"```sql
> SELECT zip_with([1.0, 2.0, 3.0], [10.0, 20.0], (x, y) -> x + y) AS sums;
+----------------+
| sums           |
+----------------+
| [11.0, 22.0, ] |
+----------------+

```"#,
        argument(name = r#"a"#, description = r#"A list."#),
        argument(name = r#"b"#, description = r#"A list."#),
        argument(name = r#"(x, y) -> expression"#, description = r#"A lambda on the elements of `a` and `b` at the same position."#),
    )]
    ZipWith, "zip_with", ["array_zip_with", "list_zip_with"]
);

impl HigherOrderUDFImpl for ZipWith {
    common_impl!();

    fn coerce_value_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_list_args(Self::NAME, types, &[0, 1])
    }

    fn lambda_parameters(&self, _step: usize, fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>]) -> Result<LambdaParametersProgress> {
        let (values, _) = split_args(Self::NAME, fields, 2..=2, 1..=1)?;
        let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
        Ok(LambdaParametersProgress::Complete(vec![vec![
            nullable(element_field(Self::NAME, values[0])?),
            nullable(element_field(Self::NAME, values[1])?),
        ]]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (_, lambdas) = split_args(Self::NAME, args.arg_fields, 2..=2, 1..=1)?;
        let item = Field::new(Field::LIST_FIELD_DEFAULT_NAME, lambdas[0].data_type().clone(), true);
        Ok(Arc::new(Field::new(Self::NAME, DataType::List(Arc::new(item)), true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let a = Lists::new(Self::NAME, value_arg(Self::NAME, &args.args, 0)?, args.number_rows)?;
        let b = Lists::new(Self::NAME, value_arg(Self::NAME, &args.args, 1)?, args.number_rows)?;
        let nulls = NullBuffer::union(a.nulls(), b.nulls());
        let (mut ia, mut ib, mut outer, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in 0..a.rows() {
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                lengths.push(0);
                continue;
            }
            let (ra, rb) = (a.range(row), b.range(row));
            let n = ra.len().max(rb.len());
            for k in 0..n {
                ia.push((k < ra.len()).then(|| (ra.start + k) as u32));
                ib.push((k < rb.len()).then(|| (rb.start + k) as u32));
                outer.push(row as u32);
            }
            lengths.push(n);
        }
        let xa = take(&a.values, &UInt32Array::from(ia), None)?;
        let xb = take(&b.values, &UInt32Array::from(ib), None)?;
        let outer = UInt32Array::from(outer);
        let values = call(lambda_arg(Self::NAME, &args.args, 2)?, &[&|| Ok(Arc::clone(&xa)), &|| Ok(Arc::clone(&xb))], outer.len(), &|| outer.clone())?;
        let item = match args.return_type() {
            DataType::List(f) => Arc::clone(f),
            _ => Arc::new(Field::new(Field::LIST_FIELD_DEFAULT_NAME, values.data_type().clone(), true)),
        };
        let list = ListArray::new(item, OffsetBuffer::from_lengths(lengths), values, nulls);
        Ok(ColumnarValue::Array(Arc::new(list) as ArrayRef))
    }
}
