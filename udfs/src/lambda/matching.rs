//! Predicates over a whole list: `exists`, `forall`, and `array_first`, the first match.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanBuilder, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
};

use super::{element_lambda_impl, check_predicate, common_impl, element_field, higher_order_function, lambda_arg, split_args, value_arg, Lists};

/// Evaluates the predicate of a `(list, x -> bool)` call and counts, per row, the elements
/// where it is true and where it is null: `(lists, predicate, counts)`.
fn evaluate(name: &str, args: &HigherOrderFunctionArgs) -> Result<(Lists, ArrayRef)> {
    let lists = Lists::new(name, value_arg(name, &args.args, 0)?, args.number_rows)?;
    let result = lists.map(lambda_arg(name, &args.args, 1)?)?;
    if result.as_boolean_opt().is_none() {
        return datafusion::common::exec_err!("{name}: the lambda must return a boolean, got {}", result.data_type());
    }
    Ok((lists, result))
}

/// Per row: (number of true, number of null) results of the predicate.
fn counts(lists: &Lists, result: &ArrayRef) -> (Vec<usize>, Vec<usize>) {
    let b = result.as_boolean();
    match b.nulls() {
        Some(n) => (lists.count_per_row(&(b.values() & n.inner())), lists.count_per_row(&!n.inner())),
        None => (lists.count_per_row(b.values()), vec![0; lists.rows()]),
    }
}

fn boolean_return(name: &str, args: &HigherOrderReturnFieldArgs) -> Result<FieldRef> {
    let (_, lambdas) = split_args(name, args.arg_fields, 1..=1, 1..=1)?;
    check_predicate(name, lambdas[0])?;
    Ok(Arc::new(Field::new(name, DataType::Boolean, true)))
}

/// Three-valued reduction of each row's predicate results, as SQL's `OR` / `AND` chains do.
fn reduce(name: &str, args: HigherOrderFunctionArgs, decide: impl Fn(usize, usize, usize) -> Option<bool>) -> Result<ColumnarValue> {
    let (lists, result) = evaluate(name, &args)?;
    let (trues, nulls) = counts(&lists, &result);
    let mut out = BooleanBuilder::with_capacity(lists.rows());
    for row in 0..lists.rows() {
        if lists.nulls().is_some_and(|n| n.is_null(row)) {
            out.append_null();
            continue;
        }
        out.append_option(decide(lists.range(row).len(), trues[row], nulls[row]));
    }
    Ok(ColumnarValue::Array(Arc::new(out.finish())))
}

/// Declares a predicate reduction (`exists`, `forall`) from its three-valued decision on
/// (list length, true results, null results).
macro_rules! predicate_function {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($alias:literal),*], $decide:expr) => {
        higher_order_function!($(#[$doc])* $ty, $name, [$($alias),*]);

        impl HigherOrderUDFImpl for $ty {
            common_impl!();

                    element_lambda_impl!();

            fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
                boolean_return(Self::NAME, &args)
            }

            fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
                reduce(Self::NAME, args, $decide)
            }
        }
    };
}

predicate_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"True if the predicate holds for some element; null if it holds for none but is null for some; false otherwise (also for an empty list)."#,
        syntax_example = r#"exists(list, x -> condition)"#,
        sql_example = r#"```sql
> SELECT exists([12.0, 31.0], pt -> pt > 25) AS any_hard, exists([12.0, 18.0], pt -> pt > 25) AS none_hard, exists([], pt -> pt > 25) AS empty;
+----------+-----------+-------+
| any_hard | none_hard | empty |
+----------+-----------+-------+
| true     | false     | false |
+----------+-----------+-------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> condition"#, description = r#"A lambda on each element."#),
    )]
    Exists, "exists", ["any_match", "array_any_match", "list_any_match", "array_exists"],
    |_, trues, nulls| if trues > 0 { Some(true) } else if nulls > 0 { None } else { Some(false) }
);

predicate_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"False if the predicate fails for some element; null if it fails for none but is null for some; true otherwise (also for an empty list)."#,
        syntax_example = r#"forall(list, x -> condition)"#,
        sql_example = r#"```sql
> SELECT forall([0.5, -1.1, 2.0], eta -> abs(eta) < 2.4) AS central, forall([0.5, 2.9], eta -> abs(eta) < 2.4) AS forward, forall([], eta -> abs(eta) < 2.4) AS empty;
+---------+---------+-------+
| central | forward | empty |
+---------+---------+-------+
| true    | false   | true  |
+---------+---------+-------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> condition"#, description = r#"A lambda on each element."#),
    )]
    Forall, "forall", ["all_match", "array_all_match", "list_all_match"],
    |len, trues, nulls| if trues + nulls < len { Some(false) } else if nulls > 0 { None } else { Some(true) }
);

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"The first element for which the predicate is true, or null when there is none."#,
        syntax_example = r#"array_first(list, x -> condition)"#,
        sql_example = r#"```sql
> SELECT array_first([named_struct('pt', 40.0, 'eta', 3.1, 'phi', 0.1), named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0), named_struct('pt', 20.0, 'eta', 0.4, 'phi', 1.0)], j -> abs(j.eta) < 2.4).pt AS first_central_pt;
+------------------+
| first_central_pt |
+------------------+
| 25.0             |
+------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"x -> condition"#, description = r#"A lambda on each element."#),
    )]
    ArrayFirst, "array_first", ["list_first", "find_first"]
);

impl HigherOrderUDFImpl for ArrayFirst {
    common_impl!();

    element_lambda_impl!();

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 1..=1, 1..=1)?;
        check_predicate(Self::NAME, lambdas[0])?;
        let element = element_field(Self::NAME, values[0])?;
        Ok(Arc::new(Field::new(Self::NAME, element.data_type().clone(), true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let (lists, result) = evaluate(Self::NAME, &args)?;
        let b = result.as_boolean();
        let indices: UInt32Array = (0..lists.rows())
            .map(|row| lists.range(row).find(|&i| b.is_valid(i) && b.value(i)).map(|i| i as u32))
            .collect();
        Ok(ColumnarValue::Array(take(&lists.values, &indices, None)?))
    }
}
