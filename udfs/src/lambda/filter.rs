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
    /// `filter(list, x -> bool)` / `filter(list, (x, i) -> bool)`: the elements for which the
    /// predicate is true (a null result drops the element). `i` is the 1-based position.
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
