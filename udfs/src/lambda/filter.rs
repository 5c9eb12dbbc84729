//! `filter(list, x -> bool)` and `transform`'s sibling forms that take the element's index.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::filter as filter_kernel;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
};

use super::{element_lambda_impl, check_predicate, common_impl, higher_order_function, lambda_arg, predicate_bits, split_args, value_arg, Lists};

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The elements for which the predicate is true (a null result drops the element). `i` is the 1-based position."#,
        syntax_example = r#"filter(list, x -> condition)"#,
        sql_example = r#"```sql
> SELECT filter([15.0, 42.5, 8.1, 31.0], pt -> pt > 20) AS hard, filter([1, 2, 3, 4], (x, i) -> i % 2 = 0) AS even_positions;
+--------------+----------------+
| hard         | even_positions |
+--------------+----------------+
| [42.5, 31.0] | [2, 4]         |
+--------------+----------------+

```"#,
        argument(name = r#"list"#, description = r#"A list (of numbers, structs, lists)."#),
        argument(name = r#"x -> condition"#, description = r#"A lambda on each element; `(x, i) -> condition` also gets its 1-based position `i`. A NULL result drops the element."#),
    )]
    Filter, "filter", ["array_filter", "list_filter"]
);

impl HigherOrderUDFImpl for Filter {
    common_impl!();

    element_lambda_impl!();

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 1..=1, 1..=1)?;
        check_predicate(Self::NAME, lambdas[0])?;
        Ok(Arc::clone(values[0]))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let lists = Lists::new(Self::NAME, value_arg(Self::NAME, &args.args, 0)?, args.number_rows)?;
        let keep = predicate_bits(Self::NAME, &lists.map(lambda_arg(Self::NAME, &args.args, 1)?)?)?;
        let offsets = OffsetBuffer::<i32>::from_lengths(lists.count_per_row(keep.values()));
        let values = filter_kernel(&lists.values, &keep)?;
        let list = ListArray::new(lists.element_field(), offsets, values, lists.nulls().cloned());
        Ok(ColumnarValue::Array(Arc::new(list) as ArrayRef))
    }
}
