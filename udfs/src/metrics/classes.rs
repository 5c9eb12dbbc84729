//! `confusion_matrix(label, predicted)` and `accuracy(label, predicted)` over integer class
//! indices 0, 1, ..., as a classifier's `predict` output and the datasets' `label` hold them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl};

/// Declares an aggregate over `(label, predicted)`: the struct, and its `AggregateUDFImpl`
/// around a [`Confusion`] counter.
macro_rules! class_aggregate {
    ($(#[$doc:meta])* $ty:ident, $name:literal, returns $ret:expr, accuracy $accuracy:literal) => {
        crate::scalar::aggregate_function!($(#[$doc])* $ty, $name);

        impl AggregateUDFImpl for $ty {
            crate::scalar::aggregate_common!();
            fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
                coerce(Self::NAME, types)
            }
            fn return_type(&self, _: &[DataType]) -> Result<DataType> {
                Ok($ret)
            }
            fn state_fields(&self, _: StateFieldsArgs) -> Result<Vec<FieldRef>> {
                Ok(vec![Arc::new(Field::new("counts", matrix_type(), true))])
            }
            fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
                Ok(Box::new(Confusion { accuracy: $accuracy, counts: vec![] }))
            }
        }
    };
}

class_aggregate!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Classifier metrics"),
        description = r#"The confusion matrix, `counts[true][predicted]`, as a list of rows, one per true class (rows and columns 0 .. the largest class seen), as `sklearn.metrics.confusion_matrix` when every class occurs. Rows with a NULL are skipped; a negative class is an error."#,
        syntax_example = r#"confusion_matrix(label, predicted)"#,
        sql_example = r#"```sql
> SELECT confusion_matrix(label, predicted) AS counts FROM (VALUES (0, 0), (0, 1), (1, 1), (2, 2), (2, 1)) t(label, predicted);
+-----------------------------------+
| counts                            |
+-----------------------------------+
| [[1, 1, 0], [0, 1, 0], [0, 1, 1]] |
+-----------------------------------+

```"#,
        argument(name = r#"label"#, description = r#"The true class, an integer from 0."#),
        argument(name = r#"predicted"#, description = r#"The predicted class, an integer from 0."#),
    )]
    ConfusionMatrix,
    "confusion_matrix",
    returns matrix_type(),
    accuracy false
);

class_aggregate!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Classifier metrics"),
        description = r#"The fraction of rows where they agree (NULLs skipped)."#,
        syntax_example = r#"accuracy(label, predicted)"#,
        sql_example = r#"```sql
> SELECT accuracy(label, predicted) AS accuracy FROM (VALUES (0, 0), (0, 1), (1, 1), (2, 2), (2, 1)) t(label, predicted);
+----------+
| accuracy |
+----------+
| 0.6      |
+----------+

```"#,
        argument(name = r#"label"#, description = r#"The true class."#),
        argument(name = r#"predicted"#, description = r#"The predicted class."#),
    )]
    Accuracy,
    "accuracy",
    returns DataType::Float64,
    accuracy true
);

fn coerce(name: &str, types: &[DataType]) -> Result<Vec<DataType>> {
    if types.len() != 2 {
        return plan_err!("{name}: expected 2 arguments (label, predicted), got {}", types.len());
    }
    for (i, t) in types.iter().enumerate() {
        if !(t.is_integer() || t.is_null()) {
            return plan_err!("{name}: argument {} must be an integer class index, got {t}", i + 1);
        }
    }
    Ok(vec![DataType::Int64, DataType::Int64])
}

fn matrix_type() -> DataType {
    DataType::new_list(DataType::new_list(DataType::Int64, false), false)
}

/// Both functions count the same square matrix, grown as larger classes appear.
#[derive(Debug)]
struct Confusion {
    accuracy: bool,
    counts: Vec<Vec<i64>>,
}

impl Confusion {
    fn add(&mut self, label: i64, predicted: i64, n: i64) -> Result<()> {
        let name = if self.accuracy { Accuracy::NAME } else { ConfusionMatrix::NAME };
        if label < 0 || predicted < 0 {
            return exec_err!("{name}: class indices must be 0 or more, got label {label}, predicted {predicted}");
        }
        let k = label.max(predicted) as usize + 1;
        if k > self.counts.len() {
            for row in &mut self.counts {
                row.resize(k, 0);
            }
            self.counts.resize(k, vec![0; k]);
        }
        self.counts[label as usize][predicted as usize] += n;
        Ok(())
    }

    fn as_list(&self) -> ListArray {
        let k = self.counts.len();
        let values = Int64Array::from(self.counts.concat());
        let rows = ListArray::new(Arc::new(Field::new_list_field(DataType::Int64, false)), OffsetBuffer::from_lengths(vec![k; k]), Arc::new(values), None);
        ListArray::new(Arc::new(Field::new_list_field(rows.data_type().clone(), false)), OffsetBuffer::from_lengths([k]), Arc::new(rows), None)
    }
}

impl Accumulator for Confusion {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (l, p) = (values[0].as_primitive::<Int64Type>(), values[1].as_primitive::<Int64Type>());
        for i in 0..l.len() {
            if l.is_valid(i) && p.is_valid(i) {
                self.add(l.value(i), p.value(i), 1)?;
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let matrices = states[0].as_list::<i32>();
        for m in 0..matrices.len() {
            if matrices.is_null(m) {
                continue;
            }
            let rows = matrices.value(m);
            let rows = rows.as_list::<i32>();
            for t in 0..rows.len() {
                let row = rows.value(t);
                for (p, &n) in row.as_primitive::<Int64Type>().values().iter().enumerate() {
                    if n != 0 {
                        self.add(t as i64, p as i64, n)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::List(Arc::new(self.as_list()))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if !self.accuracy {
            return Ok(ScalarValue::List(Arc::new(self.as_list())));
        }
        let total: i64 = self.counts.iter().flatten().sum();
        let right: i64 = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        Ok(ScalarValue::Float64((total > 0).then(|| right as f64 / total as f64)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.iter().map(|r| r.capacity() * 8 + 24).sum::<usize>()
    }
}
