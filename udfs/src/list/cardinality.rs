//! `cardinality(list)` computed from list offsets.
//!
//! DataFusion 55's `cardinality` slices every row into its own array, which costs more than
//! the rest of a selection on a list of wide particle structs (0.37 s per million CMS events
//! against 0.05 s for `exists` over the same column). Same results: the number of leaf
//! elements, counting through nested lists; NULL for a NULL list.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use crate::scalar::{check_arity, scalar_common, scalar_function};

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"The number of elements (of leaf elements for nested lists), computed from the list's offsets (same results as DataFusion's `cardinality`, which it replaces)."#,
        syntax_example = r#"cardinality(list)"#,
        sql_example = r#"```sql
> SELECT cardinality([1, 2, 3]) AS n, cardinality([[1, 2], [3]]) AS leaves, cardinality([]) AS empty;
+---+--------+-------+
| n | leaves | empty |
+---+--------+-------+
| 3 | 3      | 0     |
+---+--------+-------+

```"#,
        argument(name = r#"list"#, description = r#"A list (or a map)."#),
    )]
    Cardinality, "cardinality", []
);

/// Narrows the half-open element range `[a, b)` of `list` to the range of its leaf values.
fn leaf_range(list: &ArrayRef, a: usize, b: usize) -> (usize, usize) {
    match list.data_type() {
        DataType::List(_) => {
            let l = list.as_list::<i32>();
            let o = l.offsets();
            leaf_range(l.values(), o[a] as usize, o[b] as usize)
        }
        DataType::LargeList(_) => {
            let l = list.as_list::<i64>();
            let o = l.offsets();
            leaf_range(l.values(), o[a] as usize, o[b] as usize)
        }
        DataType::FixedSizeList(_, n) => {
            let l = list.as_fixed_size_list();
            leaf_range(l.values(), a * *n as usize, b * *n as usize)
        }
        _ => (a, b),
    }
}

impl ScalarUDFImpl for Cardinality {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[1])?;
        match &types[0] {
            DataType::List(_) | DataType::LargeList(_) | DataType::Map(..) | DataType::Null => Ok(types.to_vec()),
            DataType::FixedSizeList(f, _) | DataType::ListView(f) | DataType::LargeListView(f) => Ok(vec![DataType::List(f.clone())]),
            other => plan_err!("{}: argument 1 must be a list or map, got {other}", Self::NAME),
        }
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let n = array.len();
        let counts: UInt64Array = match array.data_type() {
            DataType::Null => UInt64Array::new_null(n),
            DataType::Map(..) => {
                let m = array.as_map();
                let o = m.offsets();
                (0..n).map(|i| m.is_valid(i).then(|| (o[i + 1] - o[i]) as u64)).collect()
            }
            DataType::List(f) if !matches!(f.data_type(), DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)) => {
                let o = array.as_list::<i32>().offsets();
                let lengths: Vec<u64> = o.windows(2).map(|w| (w[1] - w[0]) as u64).collect();
                UInt64Array::new(lengths.into(), array.logical_nulls())
            }
            _ => {
                let lengths: Vec<u64> = (0..n)
                    .map(|i| {
                        let (a, b) = leaf_range(&array, i, i + 1);
                        (b - a) as u64
                    })
                    .collect();
                UInt64Array::new(lengths.into(), array.logical_nulls())
            }
        };
        Ok(ColumnarValue::Array(Arc::new(counts) as ArrayRef))
    }
}
