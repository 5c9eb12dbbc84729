//! Histograms: `hist_bin(x, lo, hi, nbins)` for `GROUP BY`, and the aggregate
//! `histogram(x, lo, hi, nbins)` returning edges and counts. Both put underflow in the first
//! bin and overflow in the last (so a `GROUP BY hist_bin(...)` and `histogram(...)` agree) and
//! skip nulls and NaN.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use crate::scalar::{aggregate_common, aggregate_function, as_f64, check_arity, common_float, constant_argument, float_result, scalar_common, scalar_function, union_nulls};

/// Binning of `[lo, hi)` into `n` equal bins.
#[derive(Debug, Clone, Copy)]
struct Binning {
    lo: f64,
    hi: f64,
    n: usize,
}

impl Binning {
    fn new(name: &str, lo: f64, hi: f64, n: i64) -> Result<Self> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return exec_err!("{name}: the range must be finite with lo < hi, got [{lo}, {hi})");
        }
        if n < 1 {
            return exec_err!("{name}: nbins must be at least 1, got {n}");
        }
        Ok(Self { lo, hi, n: n as usize })
    }

    /// The bin of `x`, under/overflow clamped to the edge bins; `None` for NaN.
    fn bin(&self, x: f64) -> Option<usize> {
        if x.is_nan() {
            return None;
        }
        let b = ((x - self.lo) / (self.hi - self.lo) * self.n as f64).floor();
        Some(b.clamp(0.0, (self.n - 1) as f64) as usize)
    }

    fn centre(&self, b: usize) -> f64 {
        self.lo + (b as f64 + 0.5) * (self.hi - self.lo) / self.n as f64
    }

    fn edges(&self) -> Vec<f64> {
        (0..=self.n).map(|i| self.lo + i as f64 * (self.hi - self.lo) / self.n as f64).collect()
    }
}

fn check_types(name: &str, types: &[DataType]) -> Result<DataType> {
    check_arity(name, types, &[4])?;
    for (i, t) in types.iter().enumerate() {
        if !(t.is_numeric() || t.is_null()) {
            return plan_err!("{name}: argument {} must be a number, got {t}", i + 1);
        }
    }
    if !(types[3].is_integer() || types[3].is_null()) {
        return plan_err!("{name}: argument 4 (nbins) must be an integer, got {}", types[3]);
    }
    common_float(name, &[&types[0]])
}

scalar_function!(
    /// `hist_bin(x, lo, hi, nbins)`: the centre of the bin of `x` among `nbins` equal bins of
    /// `[lo, hi)`; values below `lo` go to the first bin, values at or above `hi` to the last.
    /// Null for null or NaN `x`.
    HistBin, "hist_bin", []
);

impl ScalarUDFImpl for HistBin {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let t = check_types(Self::NAME, types)?;
        Ok(vec![t, DataType::Float64, DataType::Float64, DataType::Int64])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let x = as_f64(&arrays[0])?;
        let lo = as_f64(&arrays[1])?;
        let hi = as_f64(&arrays[2])?;
        let nb = arrays[3].as_primitive::<Int64Type>();
        let mut valid = union_nulls(&[&x, &lo, &hi, nb]).map(|b| b.into_inner().into_iter().collect::<Vec<bool>>());
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let ok = valid.as_ref().is_none_or(|v| v[i]);
            let centre = if ok {
                let b = Binning::new(Self::NAME, lo.value(i), hi.value(i), nb.value(i))?;
                b.bin(x.value(i)).map(|k| b.centre(k))
            } else {
                None
            };
            if centre.is_none() {
                valid.get_or_insert_with(|| vec![true; n])[i] = false;
            }
            out.push(centre.unwrap_or(0.0));
        }
        let nulls = valid.map(|v| v.into());
        Ok(ColumnarValue::Array(float_result(out, nulls, args.return_type())?))
    }
}

aggregate_function!(
    /// `histogram(x, lo, hi, nbins)`: `{edges: [nbins + 1 edges], counts: [nbins counts]}` of the
    /// non-null, non-NaN values of `x`, with under/overflow counted in the edge bins as
    /// `hist_bin` does. `lo`, `hi` and `nbins` must be constants.
    Histogram,
    "histogram"
);

fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("edges", DataType::new_list(DataType::Float64, false), false),
        Field::new("counts", DataType::new_list(DataType::Int64, false), false),
    ])
}


impl AggregateUDFImpl for Histogram {
    aggregate_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_types(Self::NAME, types)?;
        Ok(vec![DataType::Float64, DataType::Float64, DataType::Float64, DataType::Int64])
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn state_fields(&self, _args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("counts", DataType::new_list(DataType::Int64, false), true))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let f = |i: usize, what: &str| -> Result<ScalarValue> {
            match constant_argument(&args, i) {
                Some(v) if !v.is_null() => Ok(v),
                _ => plan_err!("{}: {what} must be a constant", Self::NAME),
            }
        };
        let lo = f(1, "lo")?.cast_to(&DataType::Float64)?;
        let hi = f(2, "hi")?.cast_to(&DataType::Float64)?;
        let n = f(3, "nbins")?.cast_to(&DataType::Int64)?;
        let (ScalarValue::Float64(Some(lo)), ScalarValue::Float64(Some(hi)), ScalarValue::Int64(Some(n))) = (lo, hi, n) else {
            return plan_err!("{}: lo, hi and nbins must be numbers", Self::NAME);
        };
        let binning = Binning::new(Self::NAME, lo, hi, n)?;
        Ok(Box::new(HistogramAccumulator { binning, counts: vec![0; binning.n] }))
    }
}

#[derive(Debug)]
struct HistogramAccumulator {
    binning: Binning,
    counts: Vec<i64>,
}

impl HistogramAccumulator {
    fn counts_list(&self) -> ListArray {
        let values = Arc::new(Int64Array::from(self.counts.clone()));
        ListArray::new(Arc::new(Field::new_list_field(DataType::Int64, false)), OffsetBuffer::from_lengths([self.counts.len()]), values, None)
    }
}

impl Accumulator for HistogramAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = as_f64(&values[0])?;
        for (i, v) in x.values().iter().enumerate() {
            if x.is_valid(i) {
                if let Some(b) = self.binning.bin(*v) {
                    self.counts[b] += 1;
                }
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let c = lists.value(i);
            let c = c.as_primitive::<Int64Type>();
            if c.len() != self.counts.len() {
                return exec_err!("{}: partial histograms have {} and {} bins", Histogram::NAME, c.len(), self.counts.len());
            }
            for (k, v) in c.values().iter().enumerate() {
                self.counts[k] += v;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::List(Arc::new(self.counts_list()))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let edges = Float64Array::from(self.binning.edges());
        let edges = ListArray::new(Arc::new(Field::new_list_field(DataType::Float64, false)), OffsetBuffer::from_lengths([edges.len()]), Arc::new(edges), None);
        let s = datafusion::arrow::array::StructArray::try_new(
            result_fields(),
            vec![Arc::new(edges) as ArrayRef, Arc::new(self.counts_list()) as ArrayRef],
            None,
        )?;
        Ok(ScalarValue::Struct(Arc::new(s)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.capacity() * 8
    }
}
