//! The element of a list with the smallest or largest key: `array_argmin_by`,
//! `array_argmax_by` (its 1-based index) and `array_min_by`, `array_max_by` (the element).
//! Ties go to the first element; null keys are skipped; NaN is larger than any number.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array, UInt32Array};
use datafusion::arrow::compute::{take, SortOptions};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::array::make_comparator;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
};

use super::{element_lambda_impl, common_impl, element_field, higher_order_function, lambda_arg, split_args, value_arg, Lists};

/// Per row, the value index of the extreme key, or `None` for an empty row or all-null keys.
fn extreme(name: &str, args: &HigherOrderFunctionArgs, largest: bool) -> Result<(Lists, Vec<Option<usize>>)> {
    let lists = Lists::new(name, value_arg(name, &args.args, 0)?, args.number_rows)?;
    let keys = lists.map(lambda_arg(name, &args.args, 1)?)?;
    let cmp = make_comparator(keys.as_ref(), keys.as_ref(), SortOptions::default())?;
    let better = if largest { Ordering::Greater } else { Ordering::Less };
    let picks = (0..lists.rows())
        .map(|row| {
            let mut best: Option<usize> = None;
            for i in lists.range(row) {
                if keys.is_null(i) {
                    continue;
                }
                if best.is_none_or(|b| cmp(i, b) == better) {
                    best = Some(i);
                }
            }
            best
        })
        .collect();
    Ok((lists, picks))
}

fn check_key(name: &str, args: &HigherOrderReturnFieldArgs) -> Result<FieldRef> {
    let (values, lambdas) = split_args(name, args.arg_fields, 1..=1, 1..=1)?;
    let key = lambdas[0].data_type();
    if key.is_nested() {
        return plan_err!("{name}: the key lambda must return a scalar that can be ordered, got {key}");
    }
    element_field(name, values[0])
}

fn index_result(lists: &Lists, picks: Vec<Option<usize>>) -> ColumnarValue {
    let index: Int64Array = picks
        .iter()
        .enumerate()
        .map(|(row, p)| p.map(|i| (i - lists.range(row).start) as i64 + 1))
        .collect();
    ColumnarValue::Array(Arc::new(index))
}

fn element_result(lists: &Lists, picks: Vec<Option<usize>>) -> Result<ColumnarValue> {
    let indices: UInt32Array = picks.iter().map(|p| p.map(|i| i as u32)).collect();
    Ok(ColumnarValue::Array(take(&lists.values, &indices, None)?))
}

macro_rules! extremum_function {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($alias:literal),*], largest = $largest:expr, index = $index:expr) => {
        higher_order_function!($(#[$doc])* $ty, $name, [$($alias),*]);

        impl HigherOrderUDFImpl for $ty {
            common_impl!();

                    element_lambda_impl!();

            fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
                let element = check_key(Self::NAME, &args)?;
                let t = if $index { DataType::Int64 } else { element.data_type().clone() };
                Ok(Arc::new(Field::new(Self::NAME, t, true)))
            }

            fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
                let (lists, picks) = extreme(Self::NAME, &args, $largest)?;
                if $index { Ok(index_result(&lists, picks)) } else { element_result(&lists, picks) }
            }
        }
    };
}

extremum_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The 1-based index of the element with the smallest key."#,
        syntax_example = r#"array_argmin_by(list, x -> key)"#,
        sql_example = r#"```sql
> SELECT array_argmin_by([88.1, 91.0, 95.7], m -> abs(m - 91.19)) AS closest_to_z;
+--------------+
| closest_to_z |
+--------------+
| 2            |
+--------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> key"#, description = r#"The key to minimise; NULL keys are skipped."#),
    )]
    ArgminBy, "array_argmin_by", ["list_argmin_by", "argmin_by"], largest = false, index = true
);
extremum_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The 1-based index of the element with the largest key."#,
        syntax_example = r#"array_argmax_by(list, x -> key)"#,
        sql_example = r#"```sql
> SELECT array_argmax_by([named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0), named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1)], j -> j.pt) AS leading;
+---------+
| leading |
+---------+
| 2       |
+---------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> key"#, description = r#"The key to maximise; NULL keys are skipped."#),
    )]
    ArgmaxBy, "array_argmax_by", ["list_argmax_by", "argmax_by"], largest = true, index = true
);
extremum_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The element with the smallest key."#,
        syntax_example = r#"array_min_by(list, x -> key)"#,
        sql_example = r#"```sql
> SELECT array_min_by([named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0), named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1)], j -> abs(j.eta)).pt AS most_central_pt;
+-----------------+
| most_central_pt |
+-----------------+
| 40.0            |
+-----------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> key"#, description = r#"The key to minimise; NULL keys are skipped."#),
    )]
    MinBy, "array_min_by", ["list_min_by"], largest = false, index = false
);
extremum_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The element with the largest key."#,
        syntax_example = r#"array_max_by(list, x -> key)"#,
        sql_example = r#"```sql
> SELECT array_max_by([named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0), named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1)], j -> j.pt) AS leading_jet;
+--------------------------------+
| leading_jet                    |
+--------------------------------+
| {pt: 40.0, eta: 0.5, phi: 0.1} |
+--------------------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> key"#, description = r#"The key to maximise; NULL keys are skipped."#),
    )]
    MaxBy, "array_max_by", ["list_max_by"], largest = true, index = false
);
