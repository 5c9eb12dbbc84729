//! Four-vector sums: `invariant_mass` and `sum_p4`, of several particles or of a list.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use super::fourvec::{list_element, mass, pseudorapidity, Layout, Need, Vectors};
use crate::scalar::{float_result, scalar_common, scalar_function};

/// The summed four-momentum of each row.
struct Sums {
    px: Vec<f64>,
    py: Vec<f64>,
    pz: Vec<f64>,
    e: Vec<f64>,
    nulls: Option<NullBuffer>,
}

/// Checks the arguments: one list of particles, or two or more particles. Returns whether
/// all are float32.
fn check(name: &str, types: &[DataType]) -> Result<bool> {
    match types {
        [] => plan_err!("{name}: expected a list of particles or two or more particles"),
        [list] if !matches!(list, DataType::Struct(_)) => Ok(Layout::of(name, 1, &list_element(name, 1, list)?)?.1),
        [_] => plan_err!("{name}: expected a list of particles or two or more particles, got one particle"),
        many => {
            let mut all32 = true;
            for (i, t) in many.iter().enumerate() {
                all32 &= Layout::of(name, i + 1, t)?.1;
            }
            Ok(all32)
        }
    }
}

fn coerce(name: &str, types: &[DataType]) -> Result<Vec<DataType>> {
    check(name, types)?;
    Ok(types
        .iter()
        .map(|t| match t {
            DataType::LargeList(f) | DataType::FixedSizeList(f, _) => DataType::List(Arc::clone(f)),
            t => t.clone(),
        })
        .collect())
}

fn sums(name: &str, args: &ScalarFunctionArgs) -> Result<Sums> {
    let arrays = ColumnarValue::values_to_arrays(&args.args)?;
    let n = args.number_rows;
    let mut s = Sums { px: vec![0.0; n], py: vec![0.0; n], pz: vec![0.0; n], e: vec![0.0; n], nulls: None };
    if let [list] = arrays.as_slice() {
        let Some(list) = list.as_list_opt::<i32>() else {
            return exec_err!("{name}: expected a list of particles, got {}", list.data_type());
        };
        let offsets = list.offsets();
        let first = offsets[0] as usize;
        let values = list.values().slice(first, offsets[n] as usize - first);
        let v = Vectors::from_struct(name, &values, Need::Momentum)?;
        for row in 0..n {
            for i in offsets[row] as usize - first..offsets[row + 1] as usize - first {
                if v.is_valid(i) {
                    s.px[row] += v.px[i];
                    s.py[row] += v.py[i];
                    s.pz[row] += v.pz[i];
                    s.e[row] += v.e[i];
                }
            }
        }
        s.nulls = list.logical_nulls();
    } else {
        for a in &arrays {
            let v = Vectors::from_struct(name, a, Need::Momentum)?;
            for row in 0..n {
                s.px[row] += v.px[row];
                s.py[row] += v.py[row];
                s.pz[row] += v.pz[row];
                s.e[row] += v.e[row];
            }
            s.nulls = NullBuffer::union(s.nulls.as_ref(), v.nulls.as_ref());
        }
    }
    Ok(s)
}

fn precision(all32: bool) -> DataType {
    if all32 { DataType::Float32 } else { DataType::Float64 }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"The mass of the summed four-momentum, √max(E² − |p|², 0). Null elements of a list are skipped; an empty list gives 0."#,
        syntax_example = r#"invariant_mass(particle1, particle2, ...) | invariant_mass(list)"#,
        sql_example = r#"```sql
> SELECT round(invariant_mass(named_struct('pt', 45.0, 'eta', 0.3, 'phi', 0.5, 'mass', 0.106), named_struct('pt', 38.0, 'eta', -0.9, 'phi', -2.6, 'mass', 0.106)), 3) AS m_mumu, invariant_mass([named_struct('px', 30.0, 'py', 0.0, 'pz', 0.0, 'e', 50.0)]) AS m;
+--------+------+
| m_mumu | m    |
+--------+------+
| 98.028 | 40.0 |
+--------+------+

```"#,
        argument(name = r#"particle1, particle2, ..."#, description = r#"Particle structs (`pt`, `eta`, `phi`, optional `mass`, or `px, py, pz, e`)."#),
        argument(name = r#"list"#, description = r#"Instead, a list of particle structs."#),
    )]
    InvariantMass, "invariant_mass", ["inv_mass"]
);

impl ScalarUDFImpl for InvariantMass {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(precision(check(Self::NAME, types)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let s = sums(Self::NAME, &args)?;
        let m = (0..args.number_rows).map(|i| mass(s.px[i], s.py[i], s.pz[i], s.e[i])).collect();
        Ok(ColumnarValue::Array(float_result(m, s.nulls, args.return_type())?))
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"The summed four-momentum as `{pt, eta, phi, mass}`."#,
        syntax_example = r#"sum_p4(list) | sum_p4(particle1, particle2, ...)"#,
        sql_example = r#"```sql
> SELECT sum_p4([named_struct('px', 30.0, 'py', 0.0, 'pz', 0.0, 'e', 50.0), named_struct('px', 10.0, 'py', 0.0, 'pz', 0.0, 'e', 10.0)]) AS total;
+----------------------------------------------------------+
| total                                                    |
+----------------------------------------------------------+
| {pt: 40.0, eta: 0.0, phi: 0.0, mass: 44.721359549995796} |
+----------------------------------------------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list of particle structs."#),
        argument(name = r#"particle1, particle2, ..."#, description = r#"Instead, particle structs."#),
    )]
    SumP4, "sum_p4", []
);

impl ScalarUDFImpl for SumP4 {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        let t = precision(check(Self::NAME, types)?);
        Ok(DataType::Struct(polar_fields(&t)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let s = sums(Self::NAME, &args)?;
        let n = args.number_rows;
        let t = match args.return_type() {
            DataType::Struct(f) => f[0].data_type().clone(),
            _ => DataType::Float64,
        };
        let pt: Vec<f64> = (0..n).map(|i| s.px[i].hypot(s.py[i])).collect();
        let eta = (0..n).map(|i| pseudorapidity(pt[i], s.pz[i])).collect();
        let phi = (0..n).map(|i| if pt[i] == 0.0 { 0.0 } else { s.py[i].atan2(s.px[i]) }).collect();
        let m = (0..n).map(|i| mass(s.px[i], s.py[i], s.pz[i], s.e[i])).collect();
        let columns: Vec<ArrayRef> =
            [pt, eta, phi, m].into_iter().map(|c| float_result(c, s.nulls.clone(), &t)).collect::<Result<_>>()?;
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(polar_fields(&t), columns, s.nulls)?)))
    }
}

fn polar_fields(t: &DataType) -> Fields {
    Fields::from(["pt", "eta", "phi", "mass"].map(|n| Field::new(n, t.clone(), true)).to_vec())
}
