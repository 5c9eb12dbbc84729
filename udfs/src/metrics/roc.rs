//! `roc_auc(score, is_positive)`, `roc_curve(score, is_positive)` and
//! `fpr_at_tpr(score, is_positive, tpr)`: one-vs-rest ROC metrics of a score column. Each
//! collects (score, label) pairs, merges partial states across partitions, and sorts once.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl};

use crate::scalar::{as_f64, constant_argument};

/// Declares an aggregate over `(score, is_positive [, tpr])`: the struct, and its
/// `AggregateUDFImpl` around a [`RocAccumulator`] computing `Self::output(args)`.
macro_rules! roc_aggregate {
    ($(#[$doc:meta])* $ty:ident, $name:literal, arity $arity:literal, returns $ret:expr) => {
        crate::scalar::aggregate_function!($(#[$doc])* $ty, $name);

        impl AggregateUDFImpl for $ty {
            crate::scalar::aggregate_common!();
            fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
                coerce(Self::NAME, types, $arity)
            }
            fn return_type(&self, _: &[DataType]) -> Result<DataType> {
                Ok($ret)
            }
            fn state_fields(&self, _: StateFieldsArgs) -> Result<Vec<FieldRef>> {
                Ok(state_fields())
            }
            fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
                Ok(Box::new(RocAccumulator::new(Self::NAME, Self::output(&args)?)))
            }
        }
    };
}

roc_aggregate!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Classifier metrics"),
        description = r#"The area under the ROC curve of `score` for the rows where `is_positive` is true against the others (ties count half, as in `sklearn.metrics.roc_auc_score`). NULL when either class is absent; rows with a NULL score or label are skipped; a NaN score is an error."#,
        syntax_example = r#"roc_auc(score, is_positive)"#,
        sql_example = r#"```sql
> SELECT roc_auc(score, label = 1) AS auc FROM (VALUES (0.9, 1), (0.8, 1), (0.7, 0), (0.6, 1), (0.2, 0)) t(score, label);
+--------------------+
| auc                |
+--------------------+
| 0.8333333333333334 |
+--------------------+

```"#,
        argument(name = r#"score"#, description = r#"The classifier's score (higher means more signal-like)."#),
        argument(name = r#"is_positive"#, description = r#"A boolean: is the row signal (e.g. `label = 1`)."#),
    )]
    RocAuc,
    "roc_auc",
    arity 2,
    returns DataType::Float64
);
roc_aggregate!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Classifier metrics"),
        description = r#"The ROC curve as a list of `{threshold, tpr, fpr}`, from threshold +inf (tpr = fpr = 0) down to the lowest score, with collinear points dropped, as `sklearn.metrics.roc_curve` does by default. `unnest` it for a table."#,
        syntax_example = r#"roc_curve(score, is_positive)"#,
        sql_example = r#"```sql
> SELECT unnest(roc_curve(score, label = 1)) AS point FROM (VALUES (0.9, 1), (0.8, 1), (0.7, 0), (0.6, 1), (0.2, 0)) t(score, label);
+-----------------------------------------------------+
| point                                               |
+-----------------------------------------------------+
| {threshold: inf, tpr: 0.0, fpr: 0.0}                |
| {threshold: 0.9, tpr: 0.3333333333333333, fpr: 0.0} |
| {threshold: 0.8, tpr: 0.6666666666666666, fpr: 0.0} |
| {threshold: 0.7, tpr: 0.6666666666666666, fpr: 0.5} |
| {threshold: 0.6, tpr: 1.0, fpr: 0.5}                |
| {threshold: 0.2, tpr: 1.0, fpr: 1.0}                |
+-----------------------------------------------------+

```"#,
        argument(name = r#"score"#, description = r#"The classifier's score."#),
        argument(name = r#"is_positive"#, description = r#"A boolean: is the row signal."#),
    )]
    RocCurve,
    "roc_curve",
    arity 2,
    returns DataType::new_list(DataType::Struct(curve_fields()), false)
);
roc_aggregate!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Classifier metrics"),
        description = r#"The false-positive rate (background efficiency) of the highest threshold that keeps at least the fraction `tpr` of the positives (signal efficiency); `1 / fpr_at_tpr(...)` is the background rejection of a trigger at that efficiency."#,
        syntax_example = r#"fpr_at_tpr(score, is_positive, tpr)"#,
        sql_example = r#"```sql
> SELECT fpr_at_tpr(score, label = 1, 0.6) AS fpr FROM (VALUES (0.9, 1), (0.8, 1), (0.7, 0), (0.6, 1), (0.2, 0)) t(score, label);
+-----+
| fpr |
+-----+
| 0.0 |
+-----+

```"#,
        argument(name = r#"score"#, description = r#"The classifier's score."#),
        argument(name = r#"is_positive"#, description = r#"A boolean: is the row signal."#),
        argument(name = r#"tpr"#, description = r#"The signal efficiency to keep, a constant in [0, 1]."#),
    )]
    FprAtTpr,
    "fpr_at_tpr",
    arity 3,
    returns DataType::Float64
);

/// What the three functions compute from the sorted pairs.
#[derive(Debug, Clone, Copy)]
enum Output {
    Auc,
    Curve,
    FprAt(f64),
}

fn coerce(name: &str, types: &[DataType], arity: usize) -> Result<Vec<DataType>> {
    if types.len() != arity {
        return plan_err!("{name}: expected {arity} arguments, got {}", types.len());
    }
    if !(types[0].is_numeric() || types[0].is_null()) {
        return plan_err!("{name}: argument 1 (score) must be a number, got {}", types[0]);
    }
    if !matches!(types[1], DataType::Boolean | DataType::Null) {
        return plan_err!("{name}: argument 2 (is_positive) must be a boolean, e.g. label = 1, got {}", types[1]);
    }
    let mut out = vec![DataType::Float64, DataType::Boolean];
    if arity == 3 {
        if !types[2].is_numeric() {
            return plan_err!("{name}: argument 3 (tpr) must be a number in [0, 1], got {}", types[2]);
        }
        out.push(DataType::Float64);
    }
    Ok(out)
}

fn state_fields() -> Vec<FieldRef> {
    vec![
        Arc::new(Field::new("scores", DataType::new_list(DataType::Float64, false), true)),
        Arc::new(Field::new("positives", DataType::new_list(DataType::Boolean, false), true)),
    ]
}

fn curve_fields() -> Fields {
    Fields::from(vec![
        Field::new("threshold", DataType::Float64, false),
        Field::new("tpr", DataType::Float64, false),
        Field::new("fpr", DataType::Float64, false),
    ])
}

impl RocAuc {
    fn output(_: &AccumulatorArgs) -> Result<Output> {
        Ok(Output::Auc)
    }
}

impl RocCurve {
    fn output(_: &AccumulatorArgs) -> Result<Output> {
        Ok(Output::Curve)
    }
}

impl FprAtTpr {
    fn output(args: &AccumulatorArgs) -> Result<Output> {
        match constant_argument(args, 2).map(|v| v.cast_to(&DataType::Float64)) {
            Some(Ok(ScalarValue::Float64(Some(t)))) if (0.0..=1.0).contains(&t) => Ok(Output::FprAt(t)),
            _ => plan_err!("{}: argument 3 (tpr) must be a constant in [0, 1]", Self::NAME),
        }
    }
}

#[derive(Debug)]
struct RocAccumulator {
    name: &'static str,
    output: Output,
    scores: Vec<f64>,
    positives: Vec<bool>,
}

/// The ROC operating points: cumulative false and true positives at each distinct score,
/// from the highest down, and that score.
struct Points {
    fps: Vec<f64>,
    tps: Vec<f64>,
    thresholds: Vec<f64>,
}

impl RocAccumulator {
    fn new(name: &'static str, output: Output) -> Self {
        Self { name, output, scores: vec![], positives: vec![] }
    }

    fn push(&mut self, scores: &Float64Array, positives: &BooleanArray) -> Result<()> {
        for i in 0..scores.len() {
            if scores.is_null(i) || positives.is_null(i) {
                continue;
            }
            let s = scores.value(i);
            if s.is_nan() {
                return exec_err!("{}: a score is NaN; scores must be numbers", self.name);
            }
            self.scores.push(s);
            self.positives.push(positives.value(i));
        }
        Ok(())
    }

    fn points(&self) -> Points {
        points(&self.scores, &self.positives)
    }
}

/// The area under the ROC curve of `scores` for the rows where `positives` is true, as
/// scikit-learn's `roc_auc_score` computes it (ties count half); `None` when one of the two
/// classes is absent. For callers outside SQL, such as the training loop's validation.
pub fn roc_auc(scores: &[f64], positives: &[bool]) -> Option<f64> {
    auc(&points(scores, positives))
}

fn points(scores: &[f64], positives: &[bool]) -> Points {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut p = Points { fps: vec![], tps: vec![], thresholds: vec![] };
    for (k, &i) in order.iter().enumerate() {
        if positives[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order.get(k + 1).is_none_or(|&j| scores[j] != scores[i]);
        if last_of_tie {
            p.fps.push(fp);
            p.tps.push(tp);
            p.thresholds.push(scores[i]);
        }
    }
    p
}

/// Trapezoids under the curve through (0, 0) and the points, in units of (N · P).
fn auc(p: &Points) -> Option<f64> {
    let (n, pos) = (*p.fps.last()?, *p.tps.last()?);
    if n == 0.0 || pos == 0.0 {
        return None;
    }
    let (mut area, mut x, mut y) = (0.0, 0.0, 0.0);
    for (&f, &t) in p.fps.iter().zip(&p.tps) {
        area += (f - x) * (t + y) / 2.0;
        (x, y) = (f, t);
    }
    Some(area / (n * pos))
}

/// scikit-learn's `drop_intermediate`: keeps the ends and every point where the curve bends.
fn drop_collinear(p: Points) -> Points {
    let n = p.fps.len();
    if n <= 2 {
        return p;
    }
    let keep = |i: usize| {
        i == 0 || i == n - 1 || p.fps[i + 1] - 2.0 * p.fps[i] + p.fps[i - 1] != 0.0 || p.tps[i + 1] - 2.0 * p.tps[i] + p.tps[i - 1] != 0.0
    };
    let idx: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
    Points {
        fps: idx.iter().map(|&i| p.fps[i]).collect(),
        tps: idx.iter().map(|&i| p.tps[i]).collect(),
        thresholds: idx.iter().map(|&i| p.thresholds[i]).collect(),
    }
}

fn curve(p: Points) -> Result<ScalarValue> {
    let p = drop_collinear(p);
    let (n, pos) = (p.fps.last().copied().unwrap_or(0.0), p.tps.last().copied().unwrap_or(0.0));
    let rate = |v: &[f64], total: f64| -> Float64Array { std::iter::once(0.0).chain(v.iter().map(|x| if total > 0.0 { x / total } else { f64::NAN })).collect() };
    let thresholds: Float64Array = std::iter::once(f64::INFINITY).chain(p.thresholds.iter().copied()).collect();
    let len = thresholds.len();
    let rows = StructArray::try_new(
        curve_fields(),
        vec![Arc::new(thresholds) as ArrayRef, Arc::new(rate(&p.tps, pos)), Arc::new(rate(&p.fps, n))],
        None,
    )?;
    let list = ListArray::try_new(Arc::new(Field::new_list_field(DataType::Struct(curve_fields()), false)), OffsetBuffer::from_lengths([len]), Arc::new(rows), None)?;
    Ok(ScalarValue::List(Arc::new(list)))
}

fn fpr_at(p: &Points, target: f64) -> Option<f64> {
    let (n, pos) = (*p.fps.last()?, *p.tps.last()?);
    if n == 0.0 || pos == 0.0 {
        return None;
    }
    if target == 0.0 {
        return Some(0.0);
    }
    p.tps.iter().position(|&t| t / pos >= target).map(|i| p.fps[i] / n)
}

impl Accumulator for RocAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.push(&as_f64(&values[0])?, values[1].as_boolean())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (scores, positives) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for i in 0..scores.len() {
            if scores.is_valid(i) && positives.is_valid(i) {
                let s = scores.value(i);
                self.push(s.as_primitive::<Float64Type>(), positives.value(i).as_boolean())?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let scores = Float64Array::from(self.scores.clone());
        let positives = BooleanArray::from(self.positives.clone());
        let list = |a: ArrayRef, t: DataType| ScalarValue::List(Arc::new(ListArray::new(Arc::new(Field::new_list_field(t, false)), OffsetBuffer::from_lengths([a.len()]), a, None)));
        Ok(vec![list(Arc::new(scores), DataType::Float64), list(Arc::new(positives), DataType::Boolean)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let p = self.points();
        match self.output {
            Output::Auc => Ok(ScalarValue::Float64(auc(&p))),
            Output::FprAt(t) => Ok(ScalarValue::Float64(fpr_at(&p, t))),
            Output::Curve => curve(p),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.scores.capacity() * 8 + self.positives.capacity()
    }
}
