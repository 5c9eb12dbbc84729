//! Higher-order functions: the lambda runs on the flattened list values of a whole batch
//! (captured outer columns spread to one row per value), never once per row or element.
//!
//! Shared here: argument checking, coercion of list-like arguments to `List`, and
//! [`Lists`], the flattened view of a list column every function in this module works on.

pub mod aggregate;
pub mod extremum;
pub mod filter;
pub mod matching;
pub mod sort;
pub mod transform;
pub mod zip_with;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, UInt32Array};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::take_arrays;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::utils::list_values;
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, LambdaArgument, ValueOrLambda};

/// Coerces the list-like argument at `at` (`FixedSizeList`, `LargeList`, `ListView`) to `List`,
/// so each function has one layout to handle; `NULL` becomes an empty-typed list.
pub(crate) fn coerce_list_args(name: &str, types: &[DataType], lists: &[usize]) -> Result<Vec<DataType>> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if !lists.contains(&i) {
                return Ok(t.clone());
            }
            match t {
                DataType::List(_) => Ok(t.clone()),
                DataType::LargeList(f)
                | DataType::FixedSizeList(f, _)
                | DataType::ListView(f)
                | DataType::LargeListView(f) => Ok(DataType::List(Arc::clone(f))),
                DataType::Null => Ok(DataType::new_list(DataType::Null, true)),
                other => plan_err!("{name}: argument {} must be a list, got {other}", i + 1),
            }
        })
        .collect()
}

/// The element field of a (coerced) list field.
pub(crate) fn element_field(name: &str, list: &Field) -> Result<FieldRef> {
    match list.data_type() {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Ok(Arc::clone(f)),
        other => plan_err!("{name}: expected a list, got {other}"),
    }
}

/// The 1-based position of an element in its list, offered as an optional second lambda
/// parameter (`(x, i) -> ...`).
pub(crate) fn index_field() -> FieldRef {
    Arc::new(Field::new("index", DataType::Int64, false))
}

/// Splits `args` into values and lambdas, checking the counts a function accepts.
pub(crate) fn split_args<'a, V, L>(
    name: &str,
    args: &'a [ValueOrLambda<V, L>],
    values: std::ops::RangeInclusive<usize>,
    lambdas: std::ops::RangeInclusive<usize>,
) -> Result<(Vec<&'a V>, Vec<&'a L>)> {
    let mut vs = Vec::new();
    let mut ls = Vec::new();
    for a in args {
        match a {
            ValueOrLambda::Value(v) => vs.push(v),
            ValueOrLambda::Lambda(l) => ls.push(l),
        }
    }
    if !values.contains(&vs.len()) || !lambdas.contains(&ls.len()) {
        let want = |r: &std::ops::RangeInclusive<usize>| {
            if r.start() == r.end() { r.start().to_string() } else { format!("{} to {}", r.start(), r.end()) }
        };
        return plan_err!(
            "{name}: expected {} value argument(s) and {} lambda(s), got {} and {}",
            want(&values),
            want(&lambdas),
            vs.len(),
            ls.len()
        );
    }
    Ok((vs, ls))
}

/// Parameters of the one lambda of a `(list, [values...,] x -> ...)` call: the element and
/// its 1-based index.
pub(crate) fn element_lambda_parameters(
    name: &str,
    fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    values: std::ops::RangeInclusive<usize>,
) -> Result<datafusion::logical_expr::LambdaParametersProgress> {
    let (v, _) = split_args(name, fields, values, 1..=1)?;
    Ok(datafusion::logical_expr::LambdaParametersProgress::Complete(vec![vec![element_field(name, v[0])?, index_field()]]))
}

/// Checks at planning time that a predicate lambda returns a boolean.
pub(crate) fn check_predicate(name: &str, lambda: &Field) -> Result<()> {
    match lambda.data_type() {
        DataType::Boolean | DataType::Null => Ok(()),
        other => plan_err!("{name}: the lambda must return a boolean, got {other}"),
    }
}

/// A list column flattened: `values` holds the elements of all rows back to back and
/// `offsets` (starting at 0) delimits each row's elements. Null rows have no elements
/// (DataFusion removes their values before calling a higher-order function).
pub(crate) struct Lists {
    pub list: ListArray,
    pub values: ArrayRef,
    pub offsets: OffsetBuffer<i32>,
}

impl Lists {
    pub fn new(name: &str, value: &ColumnarValue, rows: usize) -> Result<Self> {
        let array = value.to_array(rows)?;
        let Some(list) = array.as_list_opt::<i32>() else {
            return exec_err!("{name}: expected a list, got {}", array.data_type());
        };
        let values = list_values(list)?;
        let offsets = list.offsets().clone();
        let first = offsets[0];
        let offsets = if first == 0 { offsets } else { offsets.subtract(first) };
        Ok(Self { list: list.clone(), values, offsets })
    }

    pub fn rows(&self) -> usize {
        self.list.len()
    }

    pub fn nulls(&self) -> Option<&NullBuffer> {
        self.list.nulls()
    }

    pub fn range(&self, row: usize) -> std::ops::Range<usize> {
        self.offsets[row] as usize..self.offsets[row + 1] as usize
    }

    pub fn element_field(&self) -> FieldRef {
        match self.list.data_type() {
            DataType::List(f) => Arc::clone(f),
            _ => unreachable!("Lists holds a ListArray"),
        }
    }

    /// The row each value belongs to: how captured outer columns are spread to the values.
    pub fn value_rows(&self) -> UInt32Array {
        let mut rows = Vec::with_capacity(self.values.len());
        for (row, w) in self.offsets.windows(2).enumerate() {
            rows.extend(std::iter::repeat_n(row as u32, (w[1] - w[0]) as usize));
        }
        UInt32Array::from(rows)
    }

    /// The 1-based position of each value within its row.
    pub fn positions(&self) -> Int64Array {
        let mut pos = Vec::with_capacity(self.values.len());
        for w in self.offsets.windows(2) {
            pos.extend(1..=(w[1] - w[0]) as i64);
        }
        Int64Array::from(pos)
    }

    /// How many of each row's values have their bit set in `bits` (one bit per value), in one
    /// pass over the set bits: slicing the bitmap per row costs more than a predicate on
    /// short particle lists.
    pub fn count_per_row(&self, bits: &datafusion::arrow::buffer::BooleanBuffer) -> Vec<usize> {
        let mut counts = vec![0usize; self.rows()];
        let mut row = 0;
        for i in bits.set_indices() {
            while self.offsets[row + 1] as usize <= i {
                row += 1;
            }
            counts[row] += 1;
        }
        counts
    }

    /// Evaluates a lambda taking `(element [, index])` on all values at once.
    pub fn map(&self, lambda: &LambdaArgument) -> Result<ArrayRef> {
        let values = || Ok(Arc::clone(&self.values));
        let positions = || Ok(Arc::new(self.positions()) as ArrayRef);
        let rows = || self.value_rows();
        call(lambda, &[&values, &positions], self.values.len(), &rows)
    }

    /// A list with this one's offsets and nulls holding `values` (one per element).
    pub fn with_values(&self, field: FieldRef, values: ArrayRef) -> ListArray {
        ListArray::new(field, self.offsets.clone(), values, self.list.nulls().cloned())
    }
}

/// Evaluates `lambda` on `len` rows whose parameters are produced by `params`; `outer_rows`
/// gives, for each of those rows, the batch row whose captured columns it sees.
pub(crate) fn call(
    lambda: &LambdaArgument,
    params: &[&dyn Fn() -> Result<ArrayRef>],
    len: usize,
    outer_rows: &dyn Fn() -> UInt32Array,
) -> Result<ArrayRef> {
    lambda
        .evaluate(params, |captures| Ok(take_arrays(captures, &outer_rows(), None)?))?
        .into_array(len)
}

/// A predicate's result as "true and not null" bits.
pub(crate) fn predicate_bits(name: &str, result: &ArrayRef) -> Result<BooleanArray> {
    let Some(b) = result.as_boolean_opt() else {
        return exec_err!("{name}: the lambda must return a boolean, got {}", result.data_type());
    };
    Ok(match b.nulls() {
        Some(n) => BooleanArray::new(b.values() & n.inner(), None),
        None => b.clone(),
    })
}

/// The list value of argument `i`, checked to be a value.
pub(crate) fn value_arg<'a>(name: &str, args: &'a [ValueOrLambda<ColumnarValue, LambdaArgument>], i: usize) -> Result<&'a ColumnarValue> {
    match args.get(i) {
        Some(ValueOrLambda::Value(v)) => Ok(v),
        _ => exec_err!("{name}: argument {} must be a value", i + 1),
    }
}

/// The lambda of argument `i`, checked to be a lambda.
pub(crate) fn lambda_arg<'a>(name: &str, args: &'a [ValueOrLambda<ColumnarValue, LambdaArgument>], i: usize) -> Result<&'a LambdaArgument> {
    match args.get(i) {
        Some(ValueOrLambda::Lambda(l)) => Ok(l),
        _ => exec_err!("{name}: argument {} must be a lambda", i + 1),
    }
}

/// Declares a higher-order function struct with its name, aliases and a user-defined
/// signature (each function checks and coerces its own arguments).
macro_rules! higher_order_function {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($alias:literal),*]) => {
        $(#[$doc])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $ty {
            signature: datafusion::logical_expr::HigherOrderSignature,
            aliases: Vec<String>,
        }

        impl Default for $ty {
            fn default() -> Self {
                Self {
                    signature: datafusion::logical_expr::HigherOrderSignature::user_defined(
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                    aliases: vec![$($alias.to_string()),*],
                }
            }
        }

        impl $ty {
            pub const NAME: &'static str = $name;

            pub fn udf() -> std::sync::Arc<datafusion::logical_expr::HigherOrderUDF> {
                std::sync::Arc::new(datafusion::logical_expr::HigherOrderUDF::new_from_impl(Self::default()))
            }
        }
    };
}
pub(crate) use higher_order_function;

/// The parts of `HigherOrderUDFImpl` every function here implements the same way.
macro_rules! common_impl {
    () => {
        fn name(&self) -> &str {
            Self::NAME
        }
        fn aliases(&self) -> &[String] {
            &self.aliases
        }
        fn signature(&self) -> &datafusion::logical_expr::HigherOrderSignature {
            &self.signature
        }
        fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
            self.doc()
        }
    };
}
pub(crate) use common_impl;

/// Coercion and lambda parameters of the `(list, x -> ...)` shape: the list becomes a `List`,
/// the lambda gets the element and its 1-based index.
macro_rules! element_lambda_impl {
    () => {
        fn coerce_value_types(&self, types: &[datafusion::arrow::datatypes::DataType]) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
            $crate::lambda::coerce_list_args(Self::NAME, types, &[0])
        }

        fn lambda_parameters(
            &self,
            _step: usize,
            fields: &[datafusion::logical_expr::ValueOrLambda<datafusion::arrow::datatypes::FieldRef, Option<datafusion::arrow::datatypes::FieldRef>>],
        ) -> datafusion::common::Result<datafusion::logical_expr::LambdaParametersProgress> {
            $crate::lambda::element_lambda_parameters(Self::NAME, fields, 1..=1)
        }
    };
}
pub(crate) use element_lambda_impl;
