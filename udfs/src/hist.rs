//! Histograms: `hist_bin(x, lo, hi, nbins)` for `GROUP BY`, and the aggregate
//! `histogram(x, lo, hi, nbins)` returning edges, counts and the flow. As in ROOT (TH1's bins 0
//! and N+1) and boost-histogram, values outside `[lo, hi)` are kept apart from the bins: an
//! edge bin that silently took every overflow would show a peak that is not in the data (over
//! the CMS 2012 events, 212 jets in the last of 100 bins of [15, 60) where 4 belong). Folding
//! them into the edge bins is an option; nulls and NaN are skipped.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use crate::scalar::{aggregate_common, aggregate_function, as_f64, check_arity, common_float, constant_argument, float_result, scalar_common, scalar_function, union_nulls};

/// What becomes of values outside `[lo, hi)`: the optional fifth argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// Their own bins: `hist_bin` gives -∞ and +∞, `histogram` counts them in `underflow` and
    /// `overflow` only.
    Separate,
    /// Into the first and last bins (`hist_bin` gives their centres, `histogram` adds them to
    /// the edge counts and still reports them in `underflow` and `overflow`).
    Fold,
    /// Left out: `hist_bin` gives NULL (as for NaN), `histogram` still reports them in
    /// `underflow` and `overflow`.
    Drop,
}

impl Flow {
    fn parse(name: &str, v: Option<&str>) -> Result<Self> {
        match v.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("separate") => Ok(Flow::Separate),
            Some("fold") => Ok(Flow::Fold),
            Some("drop") => Ok(Flow::Drop),
            Some(other) => plan_err!("{name}: argument 5 (flow) must be 'separate', 'fold' or 'drop', got '{other}'"),
        }
    }
}

/// Where a value falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    Under,
    In(usize),
    Over,
}

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

    /// The bin of `x` (`[lo, hi)`: `lo` is in the first bin, `hi` is overflow); `None` for NaN.
    fn bin(&self, x: f64) -> Option<Bin> {
        if x.is_nan() {
            None
        } else if x < self.lo {
            Some(Bin::Under)
        } else if x >= self.hi {
            Some(Bin::Over)
        } else {
            // Rounding can put a value just below `hi` at `n`: it belongs to the last bin.
            let b = ((x - self.lo) / (self.hi - self.lo) * self.n as f64).floor() as usize;
            Some(Bin::In(b.min(self.n - 1)))
        }
    }

    /// The bin of `x` after `flow` is applied: a bin index, the flow as `Under`/`Over`, or
    /// `None` (NaN, or flow dropped).
    fn placed(&self, x: f64, flow: Flow) -> Option<Bin> {
        match (self.bin(x)?, flow) {
            (Bin::Under, Flow::Fold) => Some(Bin::In(0)),
            (Bin::Over, Flow::Fold) => Some(Bin::In(self.n - 1)),
            (Bin::Under | Bin::Over, Flow::Drop) => None,
            (b, _) => Some(b),
        }
    }

    fn centre(&self, b: usize) -> f64 {
        self.lo + (b as f64 + 0.5) * (self.hi - self.lo) / self.n as f64
    }

    fn edges(&self) -> Vec<f64> {
        (0..=self.n).map(|i| self.lo + i as f64 * (self.hi - self.lo) / self.n as f64).collect()
    }
}

fn check_types(name: &str, types: &[DataType]) -> Result<DataType> {
    check_arity(name, types, &[4, 5])?;
    for (i, t) in types.iter().take(4).enumerate() {
        if !(t.is_numeric() || t.is_null()) {
            return plan_err!("{name}: argument {} must be a number, got {t}", i + 1);
        }
    }
    if !(types[3].is_integer() || types[3].is_null()) {
        return plan_err!("{name}: argument 4 (nbins) must be an integer, got {}", types[3]);
    }
    if let Some(t) = types.get(4) {
        if !matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            return plan_err!("{name}: argument 5 (flow) must be a string ('separate', 'fold' or 'drop'), got {t}");
        }
    }
    common_float(name, &[&types[0]])
}

/// The coerced argument types: `x` in `float`, the range as float64, `nbins` int64, `flow` text.
fn coerced(float: DataType, arity: usize) -> Vec<DataType> {
    let mut t = vec![float, DataType::Float64, DataType::Float64, DataType::Int64];
    if arity == 5 {
        t.push(DataType::Utf8);
    }
    t
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Histograms"),
        description = r#"The centre of the bin of `x` among `nbins` equal bins of `[lo, hi)`, for `GROUP BY`. Values below `lo` give -∞ and values at or above `hi` give +∞ (their own groups, which sort before and after the bins); with `flow` = `'fold'` they go to the first and last bins' centres, with `'drop'` they give NULL. NULL for null or NaN `x`."#,
        syntax_example = r#"hist_bin(x, lo, hi, nbins [, flow])"#,
        sql_example = r#"```sql
> SELECT hist_bin(x, 0.0, 100.0, 4) AS bin, count(*) AS n FROM (VALUES (5.0), (20.0), (30.0), (99.0), (130.0), (-1.0)) t(x) GROUP BY bin ORDER BY bin;
+------+---+
| bin  | n |
+------+---+
| -inf | 1 |
| 12.5 | 2 |
| 37.5 | 1 |
| 87.5 | 1 |
| inf  | 1 |
+------+---+

```"#,
        argument(name = r#"x"#, description = r#"The value."#),
        argument(name = r#"lo"#, description = r#"The lower edge of the first bin."#),
        argument(name = r#"hi"#, description = r#"The upper edge of the last bin."#),
        argument(name = r#"nbins"#, description = r#"The number of equal bins."#),
        argument(name = r#"flow"#, description = r#"Optional: 'fold' (flow into the edge bins) or 'drop' (NULL); by default -∞ / +∞."#),
    )]
    HistBin, "hist_bin", []
);

impl ScalarUDFImpl for HistBin {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let t = check_types(Self::NAME, types)?;
        Ok(coerced(t, types.len()))
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let flow = match args.args.get(4) {
            None => Flow::Separate,
            Some(ColumnarValue::Scalar(s)) => Flow::parse(Self::NAME, s.try_as_str().flatten())?,
            Some(ColumnarValue::Array(_)) => return exec_err!("{}: argument 5 (flow) must be a constant", Self::NAME),
        };
        let arrays = ColumnarValue::values_to_arrays(&args.args[..4])?;
        let x = as_f64(&arrays[0])?;
        let lo = as_f64(&arrays[1])?;
        let hi = as_f64(&arrays[2])?;
        let nb = arrays[3].as_primitive::<Int64Type>();
        let mut valid = union_nulls(&[&x, &lo, &hi, nb]).map(|b| b.into_inner().into_iter().collect::<Vec<bool>>());
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let ok = valid.as_ref().is_none_or(|v| v[i]);
            let value = if ok {
                let b = Binning::new(Self::NAME, lo.value(i), hi.value(i), nb.value(i))?;
                b.placed(x.value(i), flow).map(|bin| match bin {
                    Bin::Under => f64::NEG_INFINITY,
                    Bin::In(k) => b.centre(k),
                    Bin::Over => f64::INFINITY,
                })
            } else {
                None
            };
            if value.is_none() {
                valid.get_or_insert_with(|| vec![true; n])[i] = false;
            }
            out.push(value.unwrap_or(0.0));
        }
        let nulls = valid.map(|v| v.into());
        Ok(ColumnarValue::Array(float_result(out, nulls, args.return_type())?))
    }
}

aggregate_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Histograms"),
        description = r#"A histogram, `{edges: [nbins + 1 edges], counts: [nbins counts], underflow, overflow}` of the non-null, non-NaN values of `x`. `underflow` counts the values below `lo`, `overflow` those at or above `hi`; they are not in `counts` unless `flow` is `'fold'`, which adds them to the first and last bins. `lo`, `hi`, `nbins` and `flow` must be constants."#,
        syntax_example = r#"histogram(x, lo, hi, nbins [, flow])"#,
        sql_example = r#"```sql
> SELECT histogram(x, 0.0, 100.0, 4) AS h FROM (VALUES (5.0), (20.0), (30.0), (99.0), (130.0), (-1.0)) t(x);
+------------------------------------------------------------------------------------------+
| h                                                                                        |
+------------------------------------------------------------------------------------------+
| {edges: [0.0, 25.0, 50.0, 75.0, 100.0], counts: [2, 1, 0, 1], underflow: 1, overflow: 1} |
+------------------------------------------------------------------------------------------+

```"#,
        argument(name = r#"x"#, description = r#"The values."#),
        argument(name = r#"lo"#, description = r#"The lower edge of the first bin."#),
        argument(name = r#"hi"#, description = r#"The upper edge of the last bin."#),
        argument(name = r#"nbins"#, description = r#"The number of equal bins."#),
        argument(name = r#"flow"#, description = r#"Optional: 'fold' adds the under- and overflow to the edge bins."#),
    )]
    Histogram,
    "histogram"
);

fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("edges", DataType::new_list(DataType::Float64, false), false),
        Field::new("counts", DataType::new_list(DataType::Int64, false), false),
        Field::new("underflow", DataType::Int64, false),
        Field::new("overflow", DataType::Int64, false),
    ])
}

impl AggregateUDFImpl for Histogram {
    aggregate_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_types(Self::NAME, types)?;
        Ok(coerced(DataType::Float64, types.len()))
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    /// The counts: `nbins` bins, then underflow and overflow.
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
        let flow = match args.exprs.len() {
            5 => Flow::parse(Self::NAME, f(4, "flow")?.try_as_str().flatten())?,
            _ => Flow::Separate,
        };
        let binning = Binning::new(Self::NAME, lo, hi, n)?;
        Ok(Box::new(HistogramAccumulator { binning, flow, counts: vec![0; binning.n + 2] }))
    }
}

#[derive(Debug)]
struct HistogramAccumulator {
    binning: Binning,
    flow: Flow,
    /// The bins, then underflow and overflow.
    counts: Vec<i64>,
}

impl HistogramAccumulator {
    fn list(values: Vec<i64>) -> ListArray {
        let n = values.len();
        ListArray::new(Arc::new(Field::new_list_field(DataType::Int64, false)), OffsetBuffer::from_lengths([n]), Arc::new(Int64Array::from(values)), None)
    }
}

impl Accumulator for HistogramAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = as_f64(&values[0])?;
        let n = self.binning.n;
        for (i, v) in x.values().iter().enumerate() {
            if x.is_valid(i) {
                match self.binning.bin(*v) {
                    Some(Bin::In(b)) => self.counts[b] += 1,
                    Some(Bin::Under) => self.counts[n] += 1,
                    Some(Bin::Over) => self.counts[n + 1] += 1,
                    None => {}
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
        Ok(vec![ScalarValue::List(Arc::new(Self::list(self.counts.clone())))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let n = self.binning.n;
        let (under, over) = (self.counts[n], self.counts[n + 1]);
        let mut bins = self.counts[..n].to_vec();
        if self.flow == Flow::Fold {
            bins[0] += under;
            bins[n - 1] += over;
        }
        let edges = Float64Array::from(self.binning.edges());
        let edges = ListArray::new(Arc::new(Field::new_list_field(DataType::Float64, false)), OffsetBuffer::from_lengths([edges.len()]), Arc::new(edges), None);
        let s = StructArray::try_new(
            result_fields(),
            vec![
                Arc::new(edges) as ArrayRef,
                Arc::new(Self::list(bins)) as ArrayRef,
                Arc::new(Int64Array::from(vec![under])) as ArrayRef,
                Arc::new(Int64Array::from(vec![over])) as ArrayRef,
            ],
            None,
        )?;
        Ok(ScalarValue::Struct(Arc::new(s)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.capacity() * 8
    }
}
