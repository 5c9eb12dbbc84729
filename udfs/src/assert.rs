//! `assert_true(condition [, message])` (Spark's name): lets an SQL script stop with a message
//! of its own when its input is unusable, before it writes any output.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, NullArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::scalar::{check_arity, scalar_common};

#[datafusion_macros::user_doc(
    doc_section(label = "Datasets"),
    description = r#"NULL when `condition` is true on every row; otherwise the query fails with `message` (of the first failing row) or a generic one. A NULL condition fails, as in Spark. Lets a script stop with a message of its own before it writes any output."#,
    syntax_example = r#"assert_true(condition [, message])"#,
    sql_example = r#"```sql
> SELECT assert_true(count(*) > 0, 'no events passed the trigger') AS checked FROM (VALUES (1)) t(x);
+---------+
| checked |
+---------+
|         |
+---------+

```"#,
    argument(name = r#"condition"#, description = r#"A boolean; the query fails on the first row where it is not true (NULL fails)."#),
    argument(name = r#"message"#, description = r#"Optional: the error's message."#),
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AssertTrue {
    signature: Signature,
    aliases: Vec<String>,
}

impl Default for AssertTrue {
    fn default() -> Self {
        // Volatile: never folded into a constant (and raised) at planning time.
        Self { signature: Signature::user_defined(Volatility::Volatile), aliases: vec![] }
    }
}

impl AssertTrue {
    pub const NAME: &'static str = "assert_true";

    pub fn udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
        Arc::new(datafusion::logical_expr::ScalarUDF::new_from_impl(Self::default()))
    }
}

impl ScalarUDFImpl for AssertTrue {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[1, 2])?;
        if !matches!(types[0], DataType::Boolean | DataType::Null) {
            return plan_err!("{}: argument 1 (condition) must be a boolean, got {}", Self::NAME, types[0]);
        }
        let mut out = vec![DataType::Boolean];
        if types.len() == 2 {
            out.push(DataType::Utf8);
        }
        Ok(out)
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Null)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let cond = arrays[0].as_boolean();
        if let Some(row) = (0..n).find(|&r| !(cond.is_valid(r) && cond.value(r))) {
            let message = arrays.get(1).map(|m| m.as_string::<i32>()).filter(|m| m.is_valid(row)).map(|m| m.value(row).to_string());
            return match message {
                Some(m) => exec_err!("{m}"),
                None => exec_err!("{}: the condition is not true", Self::NAME),
            };
        }
        Ok(ColumnarValue::Array(Arc::new(NullArray::new(n))))
    }
}
