//! Shared pieces of the scalar (non-lambda) functions: the declaration macro, numeric
//! coercion that keeps float32 data in float32, and f64 results cast back to that precision.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{plan_err, Result, ScalarValue};

/// The value of an aggregate's constant argument (`histogram(x, 0, 100, 10)`): a literal, or an
/// expression that evaluates to one scalar without reading a column. The second case is how a
/// literal arrives through DataFusion's FFI (Python's `datafusion`), as an opaque expression.
pub(crate) fn constant_argument(args: &datafusion::logical_expr::function::AccumulatorArgs, i: usize) -> Option<ScalarValue> {
    let e = args.exprs.get(i)?;
    if let Some(l) = e.downcast_ref::<datafusion::physical_expr::expressions::Literal>() {
        return Some(l.value().clone());
    }
    let empty = datafusion::arrow::record_batch::RecordBatch::new_empty(Arc::new(args.schema.clone()));
    match e.evaluate(&empty).ok()? {
        datafusion::logical_expr::ColumnarValue::Scalar(v) => Some(v),
        datafusion::logical_expr::ColumnarValue::Array(_) => None,
    }
}

/// Declares a scalar function struct with its name, aliases and a user-defined signature.
macro_rules! scalar_function {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($alias:literal),*]) => {
        $(#[$doc])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $ty {
            signature: datafusion::logical_expr::Signature,
            aliases: Vec<String>,
        }

        impl Default for $ty {
            fn default() -> Self {
                Self {
                    signature: datafusion::logical_expr::Signature::user_defined(datafusion::logical_expr::Volatility::Immutable),
                    aliases: vec![$($alias.to_string()),*],
                }
            }
        }

        impl $ty {
            pub const NAME: &'static str = $name;

            pub fn udf() -> std::sync::Arc<datafusion::logical_expr::ScalarUDF> {
                std::sync::Arc::new(datafusion::logical_expr::ScalarUDF::new_from_impl(Self::default()))
            }
        }
    };
}
pub(crate) use scalar_function;

/// Declares an aggregate function struct with its name and a user-defined signature.
macro_rules! aggregate_function {
    ($(#[$doc:meta])* $ty:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $ty {
            signature: datafusion::logical_expr::Signature,
        }

        impl Default for $ty {
            fn default() -> Self {
                Self { signature: datafusion::logical_expr::Signature::user_defined(datafusion::logical_expr::Volatility::Immutable) }
            }
        }

        impl $ty {
            pub const NAME: &'static str = $name;

            pub fn udaf() -> std::sync::Arc<datafusion::logical_expr::AggregateUDF> {
                std::sync::Arc::new(datafusion::logical_expr::AggregateUDF::new_from_impl(Self::default()))
            }
        }
    };
}
pub(crate) use aggregate_function;

/// The parts of `AggregateUDFImpl` every aggregate implements the same way.
macro_rules! aggregate_common {
    () => {
        fn name(&self) -> &str {
            Self::NAME
        }
        fn signature(&self) -> &datafusion::logical_expr::Signature {
            &self.signature
        }
        fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
            self.doc()
        }
    };
}
pub(crate) use aggregate_common;

/// The parts of `ScalarUDFImpl` every function implements the same way.
macro_rules! scalar_common {
    () => {
        fn name(&self) -> &str {
            Self::NAME
        }
        fn aliases(&self) -> &[String] {
            &self.aliases
        }
        fn signature(&self) -> &datafusion::logical_expr::Signature {
            &self.signature
        }
        fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
            self.doc()
        }
    };
}
pub(crate) use scalar_common;

/// The float type numeric arguments are computed and returned in: float32 when every float
/// argument is float32 (integers adapt), float64 otherwise.
pub(crate) fn common_float(name: &str, types: &[&DataType]) -> Result<DataType> {
    let mut any32 = false;
    for (i, t) in types.iter().enumerate() {
        match t {
            DataType::Float32 | DataType::Float16 => any32 = true,
            t if t.is_numeric() || t.is_null() => {
                if t.is_floating() || matches!(t, DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..)) {
                    return Ok(DataType::Float64);
                }
            }
            other => return plan_err!("{name}: argument {} must be a number, got {other}", i + 1),
        }
    }
    Ok(if any32 { DataType::Float32 } else { DataType::Float64 })
}

/// Checks the argument count of a scalar function.
pub(crate) fn check_arity(name: &str, types: &[DataType], allowed: &[usize]) -> Result<()> {
    if allowed.contains(&types.len()) {
        return Ok(());
    }
    let want: Vec<String> = allowed.iter().map(|n| n.to_string()).collect();
    plan_err!("{name}: expected {} arguments, got {}", want.join(" or "), types.len())
}

/// A numeric array as float64 values.
pub(crate) fn as_f64(a: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(a, &DataType::Float64)?.as_primitive::<Float64Type>().clone())
}

/// Builds the result array in `out` precision from float64 values and a validity mask.
pub(crate) fn float_result(values: Vec<f64>, nulls: Option<NullBuffer>, out: &DataType) -> Result<ArrayRef> {
    let a: ArrayRef = Arc::new(Float64Array::new(values.into(), nulls));
    Ok(if out == &DataType::Float64 { a } else { cast(&a, out)? })
}

/// Validity of all arrays combined.
pub(crate) fn union_nulls(arrays: &[&dyn Array]) -> Option<NullBuffer> {
    arrays.iter().fold(None, |acc, a| NullBuffer::union(acc.as_ref(), a.logical_nulls().as_ref()))
}
