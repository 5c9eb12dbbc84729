//! Sorting inside each list: `array_sort` (natural order, or a comparator lambda) and
//! `array_sort_by` (a key lambda). All sorts are stable.
//!
//! A comparator cannot be vectorised by calling it per comparison, so `array_sort(list,
//! (a, b) -> int)` runs a bitonic sorting network: its comparisons do not depend on the data,
//! so each of the log²(n) stages evaluates the comparator once on all pairs of all rows.
//! Ties are broken by original position, which makes the result that of a stable sort.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{make_comparator, Array, ArrayRef, ArrowNativeTypeOp, ArrowPrimitiveType, AsArray, PrimitiveArray, UInt32Array};
use datafusion::arrow::compute::{cast, take, SortOptions};
use datafusion::arrow::datatypes::{DataType, FieldRef, Float32Type, Float64Type, Int32Type, Int64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
    LambdaArgument, LambdaParametersProgress, ValueOrLambda,
};

use super::{call, element_lambda_parameters, coerce_list_args, common_impl, element_field, higher_order_function, split_args, Lists};

/// Sorts each row's values with `cmp` (over value indices), stably; returns the value
/// indices in output order.
pub(crate) fn sorted_indices(lists: &Lists, cmp: impl Fn(usize, usize) -> Ordering) -> UInt32Array {
    let mut order: Vec<u32> = (0..lists.values.len() as u32).collect();
    for row in 0..lists.rows() {
        let r = lists.range(row);
        order[r].sort_by(|&a, &b| cmp(a as usize, b as usize));
    }
    UInt32Array::from(order)
}

/// `make_comparator`'s order of numeric keys (floats in their total order, NaN above every
/// number; nulls last in both directions) without its dynamic call per comparison: sorting
/// particles by ΔR, the calls cost as much as the sort.
fn native_order<T: ArrowPrimitiveType>(keys: &PrimitiveArray<T>, descending: bool) -> impl Fn(usize, usize) -> Ordering + '_ {
    let (values, nulls) = (keys.values(), keys.nulls());
    move |a, b| match nulls.map_or((true, true), |n| (n.is_valid(a), n.is_valid(b))) {
        (true, true) if descending => values[b].compare(values[a]),
        (true, true) => values[a].compare(values[b]),
        (false, false) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// The list with each row's values reordered by `order`.
fn reorder(lists: &Lists, order: &UInt32Array) -> Result<ArrayRef> {
    let values = take(&lists.values, order, None)?;
    Ok(Arc::new(lists.with_values(lists.element_field(), values)) as ArrayRef)
}

/// Parses a sort direction (`'ASC'`/`'DESC'`) or null placement (`'NULLS FIRST'`/`'NULLS LAST'`).
fn option_literal(name: &str, arg: Option<&ScalarValue>, position: usize) -> Result<String> {
    match arg {
        Some(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s))) => {
            Ok(s.trim().to_ascii_uppercase())
        }
        _ => plan_err!("{name}: argument {position} must be a string literal such as 'ASC', 'DESC', 'NULLS FIRST' or 'NULLS LAST'"),
    }
}

fn sort_options(name: &str, literals: &[Option<&ScalarValue>], first: usize) -> Result<SortOptions> {
    let mut opts = SortOptions { descending: false, nulls_first: true };
    for (k, lit) in literals.iter().enumerate().skip(first) {
        match option_literal(name, *lit, k + 1)?.as_str() {
            "ASC" => opts.descending = false,
            "DESC" => opts.descending = true,
            "NULLS FIRST" => opts.nulls_first = true,
            "NULLS LAST" => opts.nulls_first = false,
            other => return plan_err!("{name}: argument {} must be 'ASC', 'DESC', 'NULLS FIRST' or 'NULLS LAST', got '{other}'", k + 1),
        }
    }
    Ok(opts)
}

fn scalar_args(args: &HigherOrderFunctionArgs) -> Vec<Option<ScalarValue>> {
    args.args
        .iter()
        .map(|a| match a {
            ValueOrLambda::Value(ColumnarValue::Scalar(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Runs the comparator lambda over a bitonic sorting network; returns value indices in
/// output order.
fn comparator_order(name: &str, lists: &Lists, lambda: &LambdaArgument) -> Result<UInt32Array> {
    const PAD: u32 = u32::MAX;
    let mut slots: Vec<u32> = Vec::new();
    let mut rows: Vec<(usize, usize, usize)> = Vec::new(); // (row, base, padded length)
    let mut widest = 1;
    for row in 0..lists.rows() {
        let r = lists.range(row);
        let m = r.len().next_power_of_two();
        rows.push((row, slots.len(), m));
        slots.extend(r.start as u32..r.end as u32);
        slots.extend(std::iter::repeat_n(PAD, m - r.len()));
        widest = widest.max(m);
    }
    let mut k = 2;
    while k <= widest {
        let mut j = k / 2;
        while j >= 1 {
            let (mut left, mut right, mut outer, mut at) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for &(row, base, m) in rows.iter().filter(|(_, _, m)| *m >= k) {
                for i in 0..m {
                    let l = i ^ j;
                    if l <= i {
                        continue;
                    }
                    let ascending = i & k == 0;
                    let (a, b) = (slots[base + i], slots[base + l]);
                    match (a == PAD, b == PAD) {
                        (true, true) => {}
                        (true, false) | (false, true) => {
                            // Padding sorts after every element.
                            if (a == PAD) == ascending {
                                slots.swap(base + i, base + l);
                            }
                        }
                        (false, false) => {
                            left.push(a);
                            right.push(b);
                            outer.push(row as u32);
                            at.push((base + i, base + l, ascending));
                        }
                    }
                }
            }
            if !at.is_empty() {
                let left = take(&lists.values, &UInt32Array::from(left), None)?;
                let right = take(&lists.values, &UInt32Array::from(right), None)?;
                let outer = UInt32Array::from(outer);
                let result = call(lambda, &[&|| Ok(Arc::clone(&left)), &|| Ok(Arc::clone(&right))], at.len(), &|| outer.clone())?;
                let Ok(result) = cast(&result, &DataType::Int64) else {
                    return exec_err!("{name}: the comparator must return an integer, got {}", result.data_type());
                };
                let result = result.as_primitive::<Int64Type>();
                for (p, &(x, y, ascending)) in at.iter().enumerate() {
                    let c = if result.is_null(p) { 0 } else { result.value(p) };
                    let (a, b) = (slots[x], slots[y]);
                    let a_after_b = c > 0 || (c == 0 && a > b);
                    if a_after_b == ascending {
                        slots.swap(x, y);
                    }
                }
            }
            j /= 2;
        }
        k *= 2;
    }
    let mut order = Vec::with_capacity(lists.values.len());
    for &(row, base, _) in &rows {
        order.extend_from_slice(&slots[base..base + lists.range(row).len()]);
    }
    Ok(UInt32Array::from(order))
}

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The list sorted by the elements' natural order (default ascending, NULLs first, as DataFusion's own `array_sort`), or with a comparator lambda."#,
        syntax_example = r#"array_sort(list [, 'ASC' | 'DESC' [, 'NULLS FIRST' | 'NULLS LAST']]) | array_sort(list, (a, b) -> integer)"#,
        sql_example = r#"```sql
> SELECT array_sort([3, 1, 2], 'DESC') AS by_value, array_sort([-3, 1, -2], (a, b) -> abs(a) - abs(b)) AS by_magnitude;
+-----------+--------------+
| by_value  | by_magnitude |
+-----------+--------------+
| [3, 2, 1] | [1, -2, -3]  |
+-----------+--------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"order"#, description = r#"Optional: 'ASC' (default) or 'DESC'."#),
        argument(name = r#"nulls"#, description = r#"Optional: 'NULLS FIRST' (default) or 'NULLS LAST'."#),
        argument(name = r#"(a, b) -> integer"#, description = r#"Instead of an order, a comparator: negative puts `a` first, positive `b`, 0 keeps their order."#),
    )]
    ArraySort, "array_sort", ["list_sort"]
);

impl HigherOrderUDFImpl for ArraySort {
    common_impl!();

    fn coerce_value_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_list_args(Self::NAME, types, &[0])
    }

    fn lambda_parameters(&self, _step: usize, fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>]) -> Result<LambdaParametersProgress> {
        let (values, lambdas) = split_args(Self::NAME, fields, 1..=3, 0..=1)?;
        let element = element_field(Self::NAME, values[0])?;
        Ok(LambdaParametersProgress::Complete(lambdas.iter().map(|_| vec![Arc::clone(&element), Arc::clone(&element)]).collect()))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 1..=3, 0..=1)?;
        if let Some(cmp) = lambdas.first() {
            if values.len() > 1 {
                return plan_err!("{}: a comparator lambda takes no sort options", Self::NAME);
            }
            if !cmp.data_type().is_integer() && !cmp.data_type().is_null() {
                return plan_err!("{}: the comparator must return an integer, got {}", Self::NAME, cmp.data_type());
            }
        } else {
            sort_options(Self::NAME, args.scalar_arguments, 1)?;
        }
        Ok(Arc::clone(values[0]))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let ValueOrLambda::Value(list) = &args.args[0] else {
            return exec_err!("{}: argument 1 must be a list", Self::NAME);
        };
        let lists = Lists::new(Self::NAME, list, args.number_rows)?;
        let order = match args.args.get(1) {
            Some(ValueOrLambda::Lambda(cmp)) => comparator_order(Self::NAME, &lists, cmp)?,
            _ => {
                let scalars = scalar_args(&args);
                let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
                let opts = sort_options(Self::NAME, &refs, 1)?;
                let cmp = make_comparator(lists.values.as_ref(), lists.values.as_ref(), opts)?;
                sorted_indices(&lists, cmp)
            }
        };
        Ok(ColumnarValue::Array(reorder(&lists, &order)?))
    }
}

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The list sorted by a key, stably, NULL keys last."#,
        syntax_example = r#"array_sort_by(list, x -> key [, 'DESC'])"#,
        sql_example = r#"```sql
> SELECT transform(array_sort_by([named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0), named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1), named_struct('pt', 32.0, 'eta', 1.0, 'phi', -1.0)], j -> j.pt, 'DESC'), j -> j.pt) AS pt_leading_first;
+--------------------+
| pt_leading_first   |
+--------------------+
| [40.0, 32.0, 25.0] |
+--------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> key"#, description = r#"The sort key of an element; elements with a NULL key come last."#),
        argument(name = r#"order"#, description = r#"Optional: 'ASC' (default) or 'DESC'."#),
    )]
    ArraySortBy, "array_sort_by", ["list_sort_by"]
);

impl HigherOrderUDFImpl for ArraySortBy {
    common_impl!();

    fn coerce_value_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_list_args(Self::NAME, types, &[0])
    }

    fn lambda_parameters(&self, _step: usize, fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>]) -> Result<LambdaParametersProgress> {
        element_lambda_parameters(Self::NAME, fields, 1..=2)
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 1..=2, 1..=1)?;
        if lambdas[0].data_type().is_nested() {
            return plan_err!("{}: the key lambda must return a scalar that can be ordered, got {}", Self::NAME, lambdas[0].data_type());
        }
        descending(Self::NAME, args.scalar_arguments)?;
        Ok(Arc::clone(values[0]))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let ValueOrLambda::Value(list) = &args.args[0] else {
            return exec_err!("{}: argument 1 must be a list", Self::NAME);
        };
        let Some(ValueOrLambda::Lambda(key)) = args.args.get(1) else {
            return exec_err!("{}: argument 2 must be a lambda", Self::NAME);
        };
        let scalars = scalar_args(&args);
        let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
        let descending = descending(Self::NAME, &refs)?;
        let lists = Lists::new(Self::NAME, list, args.number_rows)?;
        let keys = lists.map(key)?;
        let order = match keys.data_type() {
            DataType::Float64 => sorted_indices(&lists, native_order(keys.as_primitive::<Float64Type>(), descending)),
            DataType::Float32 => sorted_indices(&lists, native_order(keys.as_primitive::<Float32Type>(), descending)),
            DataType::Int64 => sorted_indices(&lists, native_order(keys.as_primitive::<Int64Type>(), descending)),
            DataType::Int32 => sorted_indices(&lists, native_order(keys.as_primitive::<Int32Type>(), descending)),
            _ => sorted_indices(&lists, make_comparator(keys.as_ref(), keys.as_ref(), SortOptions { descending, nulls_first: false })?),
        };
        Ok(ColumnarValue::Array(reorder(&lists, &order)?))
    }
}

/// The optional direction literal after the key lambda of `array_sort_by`.
fn descending(name: &str, scalars: &[Option<&ScalarValue>]) -> Result<bool> {
    if scalars.len() < 3 {
        return Ok(false);
    }
    match option_literal(name, scalars[2], 3)?.as_str() {
        "ASC" => Ok(false),
        "DESC" => Ok(true),
        other => plan_err!("{name}: argument 3 must be 'ASC' or 'DESC', got '{other}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of `keys` compares as arrow's comparator has it, both directions.
    fn compares_as_arrow<T: ArrowPrimitiveType>(keys: PrimitiveArray<T>) {
        for descending in [false, true] {
            let arrow = make_comparator(&keys, &keys, SortOptions { descending, nulls_first: false }).unwrap();
            let ours = native_order(&keys, descending);
            for a in 0..keys.len() {
                for b in 0..keys.len() {
                    assert_eq!(ours(a, b), arrow(a, b), "{} keys {a} and {b}, descending {descending}", T::DATA_TYPE);
                }
            }
        }
    }

    #[test]
    fn numeric_keys_sort_as_arrow_compares_them() {
        use datafusion::arrow::array::{Float32Array, Float64Array, Int64Array};
        compares_as_arrow(Float64Array::from(vec![Some(1.5), None, Some(f64::NAN), Some(-0.0), Some(0.0), Some(f64::NEG_INFINITY), Some(1.5), None, Some(-2.0)]));
        compares_as_arrow(Float32Array::from(vec![Some(1.5), None, Some(f32::NAN), Some(-0.0), Some(0.0), Some(f32::INFINITY), Some(1.5), Some(-2.0)]));
        compares_as_arrow(Int64Array::from(vec![Some(3), None, Some(i64::MIN), Some(0), Some(3), None, Some(-1)]));
    }
}
