//! Gathering and reshaping lists: `array_take`, `array_pad`, `array_truncate`,
//! `array_argsort`.

use std::sync::Arc;

use datafusion::arrow::array::{make_comparator, Array, ArrayRef, AsArray, Int64Array, ListArray, UInt32Array};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{cast, concat, take, SortOptions};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use super::memory::{bytes_per_element, reserve, Output};
use super::{element, list_type, Rows};
use crate::scalar::{check_arity, scalar_common, scalar_function};

/// A list with the given row lengths whose values are `source` gathered at `indices`.
fn gathered(source: &ArrayRef, indices: Vec<Option<u32>>, lengths: Vec<usize>, list: &ListArray) -> Result<ColumnarValue> {
    let values = take(source.as_ref(), &UInt32Array::from(indices), None)?;
    let item = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    Ok(ColumnarValue::Array(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), values, list.logical_nulls())?)))
}

fn int_arg(name: &str, position: usize, t: &DataType) -> Result<DataType> {
    if t.is_integer() || t.is_null() {
        Ok(DataType::Int64)
    } else {
        plan_err!("{name}: argument {position} must be an integer, got {t}")
    }
}

fn ints(v: &ColumnarValue, n: usize) -> Result<Int64Array> {
    Ok(cast(&v.to_array(n)?, &DataType::Int64)?.as_primitive::<Int64Type>().clone())
}

/// A list type whose element is nullable (gathering may produce nulls).
fn nullable_list(t: &DataType) -> Result<DataType> {
    Ok(DataType::new_list(element(t)?.data_type().clone(), true))
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"The elements at the 1-based `indices` (negative ones count from the end); an index out of range or null gives a null element."#,
        syntax_example = r#"array_take(list, indices)"#,
        sql_example = r#"```sql
> SELECT array_take([10, 20, 30, 40], [4, 1, -2, 9]) AS taken;
+----------------+
| taken          |
+----------------+
| [40, 10, 30, ] |
+----------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"indices"#, description = r#"A list of 1-based positions; negative ones count from the end."#),
    )]
    ArrayTake, "array_take", ["list_take"]
);

impl ScalarUDFImpl for ArrayTake {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        let idx = list_type(Self::NAME, 2, &types[1])?;
        let e = element(&idx)?;
        if !e.data_type().is_integer() && !e.data_type().is_null() {
            return plan_err!("{}: argument 2 must be a list of integers, got {}", Self::NAME, types[1]);
        }
        Ok(vec![list_type(Self::NAME, 1, &types[0])?, DataType::new_list(DataType::Int64, true)])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        nullable_list(&types[0])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let list = Rows::new(Self::NAME, &args.args[0], n)?;
        let idx = Rows::new(Self::NAME, &args.args[1], n)?;
        let idx_values = cast(&idx.values, &DataType::Int64)?;
        let idx_values = idx_values.as_primitive::<Int64Type>();
        let mut out = Vec::new();
        let mut lengths = Vec::with_capacity(n);
        for row in 0..n {
            let m = list.len[row] as i64;
            let valid = list.list.is_valid(row);
            for j in idx.start[row]..idx.start[row] + idx.len[row] {
                let k = if idx_values.is_null(j) { 0 } else { idx_values.value(j) };
                let pos = if k > 0 { k - 1 } else { m + k };
                out.push((valid && k != 0 && (0..m).contains(&pos)).then(|| (list.start[row] as i64 + pos) as u32));
            }
            lengths.push(idx.len[row]);
        }
        let nulls_from = if list.list.null_count() > 0 { &list.list } else { &idx.list };
        gathered(&list.values, out, lengths, nulls_from)
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"The list extended with `fill` to at least `n` elements."#,
        syntax_example = r#"array_pad(list, n, fill)"#,
        sql_example = r#"```sql
> SELECT array_pad([1.5, 2.5], 4, 0.0) AS padded, array_pad([1.5, 2.5, 3.5], 2, 0.0) AS longer_kept;
+----------------------+-----------------+
| padded               | longer_kept     |
+----------------------+-----------------+
| [1.5, 2.5, 0.0, 0.0] | [1.5, 2.5, 3.5] |
+----------------------+-----------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"n"#, description = r#"The least length of the result."#),
        argument(name = r#"fill"#, description = r#"The value appended."#),
    )]
    ArrayPad, "array_pad", ["list_pad"]
);

impl ScalarUDFImpl for ArrayPad {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[3])?;
        let list = list_type(Self::NAME, 1, &types[0])?;
        let e = element(&list)?.data_type().clone();
        Ok(vec![list, int_arg(Self::NAME, 2, &types[1])?, e])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        nullable_list(&types[0])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let list = Rows::new(Self::NAME, &args.args[0], n)?;
        let want = ints(&args.args[1], n)?;
        let fill = args.args[2].to_array(n)?;
        let target = |row: usize| if list.list.is_valid(row) && want.is_valid(row) { want.value(row).max(0) as usize } else { list.len[row] };
        let call = format!("{}({}, ...)", Self::NAME, args.arg_fields[0].name());
        let _memory = reserve(&args.config_options, Self::NAME, Output {
            call: &call,
            elements: (0..n).map(|row| list.len[row].max(target(row)) as u128).sum(),
            // The gathered element and its gather index (an Option<u32>).
            element_bytes: bytes_per_element(&list.values).max(bytes_per_element(&fill)) + 8,
            rows: n,
            advice: "pad to a smaller length",
        })?;
        let combined = concat(&[list.values.as_ref(), fill.as_ref()])?;
        let base = list.values.len();
        let (mut out, mut lengths) = (Vec::new(), Vec::with_capacity(n));
        for row in 0..n {
            let m = list.len[row];
            out.extend((list.start[row]..list.start[row] + m).map(|i| Some(i as u32)));
            let target = target(row);
            out.extend(std::iter::repeat_n(Some((base + row) as u32), target.saturating_sub(m)));
            lengths.push(m.max(target));
        }
        gathered(&combined, out, lengths, &list.list)
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"The first `n` elements (all when the list is shorter)."#,
        syntax_example = r#"array_truncate(list, n)"#,
        sql_example = r#"```sql
> SELECT array_truncate([5, 4, 3, 2], 2) AS first_two, array_truncate([5], 3) AS shorter;
+-----------+---------+
| first_two | shorter |
+-----------+---------+
| [5, 4]    | [5]     |
+-----------+---------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"n"#, description = r#"The most elements kept."#),
    )]
    ArrayTruncate, "array_truncate", ["list_truncate"]
);

impl ScalarUDFImpl for ArrayTruncate {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        Ok(vec![list_type(Self::NAME, 1, &types[0])?, int_arg(Self::NAME, 2, &types[1])?])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        nullable_list(&types[0])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let list = Rows::new(Self::NAME, &args.args[0], n)?;
        let keep = ints(&args.args[1], n)?;
        let (mut out, mut lengths) = (Vec::new(), Vec::with_capacity(n));
        for row in 0..n {
            let m = if keep.is_null(row) { list.len[row] } else { list.len[row].min(keep.value(row).max(0) as usize) };
            out.extend((list.start[row]..list.start[row] + m).map(|i| Some(i as u32)));
            lengths.push(m);
        }
        gathered(&list.values, out, lengths, &list.list)
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"The 1-based indices that sort the list, stably, with nulls last."#,
        syntax_example = r#"array_argsort(list [, 'DESC'])"#,
        sql_example = r#"```sql
> SELECT array_argsort([30.0, 10.0, 20.0]) AS ascending, array_argsort([30.0, 10.0, 20.0], 'DESC') AS descending;
+-----------+------------+
| ascending | descending |
+-----------+------------+
| [2, 3, 1] | [1, 3, 2]  |
+-----------+------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"order"#, description = r#"Optional: 'ASC' (default) or 'DESC'."#),
    )]
    ArrayArgsort, "array_argsort", ["list_argsort", "argsort"]
);

impl ScalarUDFImpl for ArrayArgsort {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[1, 2])?;
        let mut out = vec![list_type(Self::NAME, 1, &types[0])?];
        if types.len() == 2 {
            if !matches!(types[1], DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) {
                return plan_err!("{}: argument 2 must be 'ASC' or 'DESC', got {}", Self::NAME, types[1]);
            }
            out.push(DataType::Utf8);
        }
        Ok(out)
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::new_list(DataType::Int64, false))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let descending = match args.args.get(1) {
            None => false,
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(s)))) => match s.trim().to_ascii_uppercase().as_str() {
                "ASC" => false,
                "DESC" => true,
                other => return exec_err!("{}: argument 2 must be 'ASC' or 'DESC', got '{other}'", Self::NAME),
            },
            Some(_) => return exec_err!("{}: argument 2 must be the literal 'ASC' or 'DESC'", Self::NAME),
        };
        let list = Rows::new(Self::NAME, &args.args[0], n)?;
        let cmp = make_comparator(list.values.as_ref(), list.values.as_ref(), SortOptions { descending, nulls_first: false })?;
        let mut out: Vec<i64> = Vec::with_capacity(list.values.len());
        let mut lengths = Vec::with_capacity(n);
        for row in 0..n {
            let s = list.start[row];
            let mut idx: Vec<usize> = (0..list.len[row]).collect();
            idx.sort_by(|&a, &b| cmp(s + a, s + b));
            out.extend(idx.iter().map(|&i| i as i64 + 1));
            lengths.push(list.len[row]);
        }
        let item = Arc::new(Field::new_list_field(DataType::Int64, false));
        let values = Arc::new(Int64Array::from(out));
        Ok(ColumnarValue::Array(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), values, list.list.logical_nulls())?)))
    }
}
