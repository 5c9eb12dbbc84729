//! `transform(list, x -> y)`: a new list of the lambda's results, same shape.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
};

use super::{element_lambda_impl, common_impl, higher_order_function, lambda_arg, split_args, value_arg, Lists};

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"Each element transformed by the lambda."#,
        syntax_example = r#"transform(list, x -> expression)"#,
        sql_example = r#"```sql
> SELECT transform([named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1), named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0)], j -> j.pt * cosh(j.eta)) AS p;
+----------------------------------------+
| p                                      |
+----------------------------------------+
| [45.10503860825523, 45.26638918310937] |
+----------------------------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> expression"#, description = r#"A lambda on each element; `(x, i) -> expression` also gets its 1-based position `i`."#),
    )]
    Transform, "transform", ["array_transform", "list_transform", "list_apply", "apply"]
);

impl HigherOrderUDFImpl for Transform {
    common_impl!();

    element_lambda_impl!();

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 1..=1, 1..=1)?;
        let item = Field::new(Field::LIST_FIELD_DEFAULT_NAME, lambdas[0].data_type().clone(), true);
        Ok(Arc::new(Field::new(Self::NAME, DataType::List(Arc::new(item)), values[0].is_nullable())))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let lists = Lists::new(Self::NAME, value_arg(Self::NAME, &args.args, 0)?, args.number_rows)?;
        let values = lists.map(lambda_arg(Self::NAME, &args.args, 1)?)?;
        let item = match args.return_type() {
            DataType::List(f) => Arc::clone(f),
            _ => Arc::new(Field::new(Field::LIST_FIELD_DEFAULT_NAME, values.data_type().clone(), true)),
        };
        Ok(ColumnarValue::Array(Arc::new(lists.with_values(item, values)) as ArrayRef))
    }
}
