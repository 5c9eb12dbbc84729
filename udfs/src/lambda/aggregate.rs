//! `aggregate(list, init, (acc, x) -> acc [, acc -> out])`: a left fold over each list.
//!
//! The fold is evaluated position by position: step k calls the merge lambda once, on the
//! k-th element of every list that has one. Rows are processed longest first so the rows
//! still folding are always a prefix, and a row's accumulator is final as soon as it drops
//! out: the total work is proportional to the number of elements, in max-length lambda calls.

use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, Array, ArrayRef, UInt32Array};
use datafusion::arrow::compute::{cast, concat, is_null, nullif, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderUDFImpl,
    LambdaParametersProgress, ValueOrLambda,
};

use super::{call, coerce_list_args, common_impl, element_field, higher_order_function, lambda_arg, split_args, value_arg, Lists};

higher_order_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Lambda functions"),
        description = r#"Folds each list from the left starting at `init`, then applies the optional finish lambda. Null for a null list."#,
        syntax_example = r#"aggregate(list, init, (acc, x) -> expression [, acc -> result])"#,
        sql_example = r#"```sql
> SELECT aggregate([named_struct('pt', 40.0, 'eta', 0.5, 'phi', 0.1), named_struct('pt', 25.0, 'eta', -1.2, 'phi', 2.0)], 0.0, (ht, j) -> ht + j.pt) AS ht, aggregate([3.0, 4.0], 0.0, (s, x) -> s + x * x, s -> sqrt(s)) AS norm;
+------+------+
| ht   | norm |
+------+------+
| 65.0 | 5.0  |
+------+------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"init"#, description = r#"The accumulator's start value (its type is the accumulator's)."#),
        argument(name = r#"(acc, x) -> expression"#, description = r#"The next accumulator from the current one and an element."#),
        argument(name = r#"acc -> result"#, description = r#"Optional: the result from the last accumulator."#),
    )]
    Aggregate, "aggregate", ["reduce", "array_reduce", "list_reduce", "array_aggregate", "list_aggregate"]
);

impl HigherOrderUDFImpl for Aggregate {
    common_impl!();

    fn coerce_value_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_list_args(Self::NAME, types, &[0])
    }

    fn lambda_parameters(&self, step: usize, fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>]) -> Result<LambdaParametersProgress> {
        let (values, lambdas) = split_args(Self::NAME, fields, 2..=2, 1..=2)?;
        let element = element_field(Self::NAME, values[0])?;
        let acc = |t: &DataType| Arc::new(Field::new("acc", t.clone(), true));
        match (lambdas[0], step) {
            // The accumulator takes the merge lambda's type, which is known after one pass.
            (Some(merged), s) if s > 0 || merged.data_type() == values[1].data_type() => {
                let a = acc(merged.data_type());
                let mut params = vec![vec![Arc::clone(&a), element]];
                if lambdas.len() == 2 {
                    params.push(vec![a]);
                }
                Ok(LambdaParametersProgress::Complete(params))
            }
            _ => {
                let mut params = vec![Some(vec![acc(values[1].data_type()), element])];
                if lambdas.len() == 2 {
                    params.push(None);
                }
                Ok(LambdaParametersProgress::Partial(params))
            }
        }
    }

    fn coerce_values_for_lambdas(&self, fields: &[ValueOrLambda<DataType, DataType>]) -> Result<Option<Vec<DataType>>> {
        let (values, lambdas) = split_args(Self::NAME, fields, 2..=2, 1..=2)?;
        Ok(Some(vec![values[0].clone(), lambdas[0].clone()]))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split_args(Self::NAME, args.arg_fields, 2..=2, 1..=2)?;
        if values[1].data_type() != lambdas[0].data_type() && !values[1].data_type().is_null() {
            return plan_err!(
                "{}: the merge lambda returns {} but the initial value is {}",
                Self::NAME,
                lambdas[0].data_type(),
                values[1].data_type()
            );
        }
        let result = lambdas.last().expect("one or two lambdas");
        Ok(Arc::new(Field::new(Self::NAME, result.data_type().clone(), true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let name = Self::NAME;
        let lists = Lists::new(name, value_arg(name, &args.args, 0)?, args.number_rows)?;
        let merge = lambda_arg(name, &args.args, 2)?;
        let n = lists.rows();
        let acc_type = match &args.arg_fields[2] {
            ValueOrLambda::Lambda(f) => f.data_type().clone(),
            _ => return exec_err!("{name}: argument 3 must be a lambda"),
        };
        let init = value_arg(name, &args.args, 1)?.to_array(n)?;
        let init = if init.data_type() == &acc_type { init } else { cast(&init, &acc_type)? };

        // Rows by decreasing length; `by_length[p]` is the row at position p.
        let mut by_length: Vec<u32> = (0..n as u32).collect();
        by_length.sort_by_key(|&r| std::cmp::Reverse(lists.range(r as usize).len()));
        let longest = by_length.first().map_or(0, |&r| lists.range(r as usize).len());
        let mut acc = take(&init, &UInt32Array::from(by_length.clone()), None)?;
        let mut finished: Vec<ArrayRef> = Vec::new();
        let mut active = n;
        for k in 0..longest {
            let still = by_length[..active].partition_point(|&r| lists.range(r as usize).len() > k);
            if still < active {
                finished.push(acc.slice(still, active - still));
                active = still;
                acc = acc.slice(0, active);
            }
            let elements = UInt32Array::from_iter_values(by_length[..active].iter().map(|&r| (lists.range(r as usize).start + k) as u32));
            let x = take(&lists.values, &elements, None)?;
            let rows = UInt32Array::from_iter_values(by_length[..active].iter().copied());
            let a = Arc::clone(&acc);
            acc = call(merge, &[&|| Ok(Arc::clone(&a)), &|| Ok(Arc::clone(&x))], active, &|| rows.clone())?;
            if acc.data_type() != &acc_type {
                acc = cast(&acc, &acc_type)?;
            }
        }
        finished.push(acc);
        finished.reverse();
        let refs: Vec<&dyn Array> = finished.iter().map(|a| a.as_ref()).collect();
        let sorted = if refs.is_empty() { new_null_array(&acc_type, 0) } else { concat(&refs)? };
        // `sorted[p]` belongs to row `by_length[p]`.
        let mut position = vec![0u32; n];
        for (p, &row) in by_length.iter().enumerate() {
            position[row as usize] = p as u32;
        }
        let mut folded = take(&sorted, &UInt32Array::from(position), None)?;
        if let Some(finish) = args.args.get(3) {
            let ValueOrLambda::Lambda(finish) = finish else {
                return exec_err!("{name}: argument 4 must be a lambda");
            };
            let f = Arc::clone(&folded);
            folded = call(finish, &[&|| Ok(Arc::clone(&f))], n, &|| UInt32Array::from_iter_values(0..n as u32))?;
        }
        if lists.list.null_count() > 0 {
            folded = nullif(&folded, &is_null(&lists.list)?)?;
        }
        Ok(ColumnarValue::Array(folded))
    }
}
