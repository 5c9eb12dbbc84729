//! List functions without lambdas: combinatorics (`combinations`, `cartesian`), gathering and
//! reshaping (`array_take`, `array_pad`, `array_truncate`, `array_argsort`) and merging
//! particle collections (`array_concat_struct`), and `cardinality` and `array_sum`, which
//! replace DataFusion's slower ones. Indices are 1-based, as in SQL arrays.

pub mod cardinality;
pub mod combinations;
pub mod concat_struct;
pub mod memory;
pub mod reshape;
pub mod sum;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::ColumnarValue;

/// The list argument at `position` (1-based, for messages) coerced to `List`.
pub(crate) fn list_type(name: &str, position: usize, t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(_) => Ok(t.clone()),
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::ListView(f) | DataType::LargeListView(f) => {
            Ok(DataType::List(f.clone()))
        }
        DataType::Null => Ok(DataType::new_list(DataType::Null, true)),
        other => plan_err!("{name}: argument {position} must be a list, got {other}"),
    }
}

pub(crate) fn element(t: &DataType) -> Result<FieldRef> {
    match t {
        DataType::List(f) => Ok(f.clone()),
        other => exec_err!("expected a list, got {other}"),
    }
}

/// A list argument as a `ListArray` with its values re-based so that `offsets[0] == 0`.
pub(crate) struct Rows {
    pub list: ListArray,
    pub values: ArrayRef,
    pub start: Vec<usize>,
    pub len: Vec<usize>,
}

impl Rows {
    pub fn new(name: &str, v: &ColumnarValue, n: usize) -> Result<Self> {
        let a = v.to_array(n)?;
        let Some(list) = a.as_list_opt::<i32>() else {
            return exec_err!("{name}: expected a list, got {}", a.data_type());
        };
        let o = list.offsets();
        let first = o[0] as usize;
        let values = list.values().slice(first, o[n] as usize - first);
        let mut start = Vec::with_capacity(n);
        let mut len = Vec::with_capacity(n);
        for row in 0..n {
            let valid = list.is_valid(row);
            start.push(o[row] as usize - first);
            len.push(if valid { (o[row + 1] - o[row]) as usize } else { 0 });
        }
        Ok(Self { list: list.clone(), values, start, len })
    }
}
