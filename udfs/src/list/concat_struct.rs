//! `array_concat_struct(a, b)`: one particle list from two collections (muons ∪ electrons).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StructArray, UInt32Array};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use super::{element, list_type, Rows};
use crate::scalar::{check_arity, scalar_common, scalar_function};

/// The type both collections' values of a common field are converted to.
fn unify(name: &str, field: &str, a: &DataType, b: &DataType) -> Result<DataType> {
    if a == b {
        return Ok(a.clone());
    }
    if a.is_numeric() && b.is_numeric() {
        return Ok(if a.is_integer() && b.is_integer() { DataType::Int64 } else { DataType::Float64 });
    }
    plan_err!("{name}: field {field} is {a} in the first list and {b} in the second")
}

/// The merged element fields: those present in both structs (by name), in the first's order.
fn merged_fields(name: &str, a: &DataType, b: &DataType) -> Result<Fields> {
    let (DataType::Struct(fa), DataType::Struct(fb)) = (element(a)?.data_type().clone(), element(b)?.data_type().clone()) else {
        return plan_err!("{name}: both arguments must be lists of structs, got {a} and {b}");
    };
    let mut out = Vec::new();
    for f in fa.iter() {
        if let Some((_, g)) = fb.find(f.name()) {
            out.push(Field::new(f.name(), unify(name, f.name(), f.data_type(), g.data_type())?, true));
        }
    }
    if out.is_empty() {
        return plan_err!("{name}: the two lists' structs have no field in common");
    }
    Ok(Fields::from(out))
}

/// The struct values projected and converted to `fields`.
fn project(values: &ArrayRef, fields: &Fields) -> Result<ArrayRef> {
    let s = values.as_struct();
    let columns = fields
        .iter()
        .map(|f| {
            let Some(c) = s.column_by_name(f.name()) else {
                return exec_err!("array_concat_struct: field {} is missing from a list's structs", f.name());
            };
            Ok(if c.data_type() == f.data_type() { Arc::clone(c) } else { cast(c, f.data_type())? })
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(Arc::new(StructArray::try_new(fields.clone(), columns, s.nulls().cloned())?))
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"Per row, the elements of `a` then those of `b`, as structs of the fields both have (matched by name, in `a`'s order; numbers widened when their types differ). A null list counts as empty; null if both are null."#,
        syntax_example = r#"array_concat_struct(a, b)"#,
        sql_example = r#"```sql
> SELECT array_concat_struct([named_struct('pt', 30.0, 'eta', 0.1, 'charge', -1)], [named_struct('pt', 20.0, 'eta', 1.5, 'iso', 0.02)]) AS leptons;
+----------------------------------------------+
| leptons                                      |
+----------------------------------------------+
| [{pt: 30.0, eta: 0.1}, {pt: 20.0, eta: 1.5}] |
+----------------------------------------------+

```"#,
        argument(name = r#"a"#, description = r#"A list of structs."#),
        argument(name = r#"b"#, description = r#"A list of structs."#),
    )]
    ArrayConcatStruct, "array_concat_struct", ["list_concat_struct"]
);

impl ScalarUDFImpl for ArrayConcatStruct {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        let (a, b) = (list_type(Self::NAME, 1, &types[0])?, list_type(Self::NAME, 2, &types[1])?);
        merged_fields(Self::NAME, &a, &b)?;
        Ok(vec![a, b])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(DataType::new_list(DataType::Struct(merged_fields(Self::NAME, &types[0], &types[1])?), true))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let a = Rows::new(Self::NAME, &args.args[0], n)?;
        let b = Rows::new(Self::NAME, &args.args[1], n)?;
        let DataType::List(item) = args.return_type() else {
            return exec_err!("{}: unexpected return type {}", Self::NAME, args.return_type());
        };
        let DataType::Struct(fields) = item.data_type() else {
            return exec_err!("{}: unexpected return type {}", Self::NAME, args.return_type());
        };
        let va = project(&a.values, fields)?;
        let vb = project(&b.values, fields)?;
        let both = concat(&[va.as_ref(), vb.as_ref()])?;
        let base = va.len();
        let (mut idx, mut lengths) = (Vec::new(), Vec::with_capacity(n));
        for row in 0..n {
            idx.extend((a.start[row]..a.start[row] + a.len[row]).map(|i| i as u32));
            idx.extend((b.start[row]..b.start[row] + b.len[row]).map(|i| (base + i) as u32));
            lengths.push(a.len[row] + b.len[row]);
        }
        let values = take(both.as_ref(), &UInt32Array::from(idx), None)?;
        let nulls = match (a.list.logical_nulls(), b.list.logical_nulls()) {
            (Some(x), Some(y)) => Some(NullBuffer::new(x.inner() | y.inner())),
            _ => None,
        };
        let list = ListArray::try_new(Arc::clone(item), OffsetBuffer::from_lengths(lengths), values, nulls)?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}
