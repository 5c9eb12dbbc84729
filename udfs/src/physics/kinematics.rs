//! Angular distances and coordinate conversions: `delta_phi`, `delta_r`, `transverse_mass`,
//! `pt_eta_phi_m_to_px_py_pz_e`, `px_py_pz_e_to_pt_eta_phi_m`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use super::fourvec::{delta_phi, Layout, Need, Vectors};
use crate::scalar::{as_f64, check_arity, common_float, float_result, scalar_common, scalar_function, union_nulls};

/// Coerces every argument to the common float type.
fn coerce_numbers(name: &str, types: &[DataType]) -> Result<Vec<DataType>> {
    let t = common_float(name, &types.iter().collect::<Vec<_>>())?;
    Ok(vec![t; types.len()])
}

/// The arguments as float64 arrays, and their combined validity.
fn numbers(args: &ScalarFunctionArgs) -> Result<(Vec<Float64Array>, Option<datafusion::arrow::buffer::NullBuffer>)> {
    let arrays = ColumnarValue::values_to_arrays(&args.args)?;
    let f: Vec<Float64Array> = arrays.iter().map(as_f64).collect::<Result<_>>()?;
    let refs: Vec<&dyn Array> = f.iter().map(|a| a as &dyn Array).collect();
    let nulls = union_nulls(&refs);
    Ok((f, nulls))
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"The difference of two azimuthal angles, `phi1 - phi2`, wrapped to [-π, π)."#,
        syntax_example = r#"delta_phi(phi1, phi2)"#,
        sql_example = r#"```sql
> SELECT delta_phi(3.0, -3.0) AS dphi;
+----------------------+
| dphi                 |
+----------------------+
| -0.28318530717958623 |
+----------------------+

```"#,
        argument(name = r#"phi1"#, description = r#"An azimuthal angle (radians)."#),
        argument(name = r#"phi2"#, description = r#"An azimuthal angle (radians)."#),
    )]
    DeltaPhi, "delta_phi", ["deltaphi"]
);

impl ScalarUDFImpl for DeltaPhi {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        coerce_numbers(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (f, nulls) = numbers(&args)?;
        let v = (0..args.number_rows).map(|i| delta_phi(f[0].value(i), f[1].value(i))).collect();
        Ok(ColumnarValue::Array(float_result(v, nulls, args.return_type())?))
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"The angular distance √(Δη² + Δφ²), with Δφ wrapped to [-π, π)."#,
        syntax_example = r#"delta_r(eta1, phi1, eta2, phi2) | delta_r(particle1, particle2)"#,
        sql_example = r#"```sql
> SELECT delta_r(0.3, 0.5, -0.9, -2.6) AS dr, delta_r(named_struct('pt', 45.0, 'eta', 0.3, 'phi', 0.5, 'mass', 0.106), named_struct('pt', 38.0, 'eta', -0.9, 'phi', -2.6, 'mass', 0.106)) AS dr_particles;
+--------------------+--------------------+
| dr                 | dr_particles       |
+--------------------+--------------------+
| 3.3241540277189325 | 3.3241540277189325 |
+--------------------+--------------------+

```"#,
        argument(name = r#"eta1, phi1, eta2, phi2"#, description = r#"Pseudorapidities and azimuthal angles."#),
        argument(name = r#"particle1, particle2"#, description = r#"Instead, two particle structs with fields `eta` and `phi` (or `px, py, pz, e`)."#),
    )]
    DeltaR, "delta_r", ["deltar"]
);

impl ScalarUDFImpl for DeltaR {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2, 4])?;
        if types.len() == 2 {
            Layout::of(Self::NAME, 1, &types[0])?;
            Layout::of(Self::NAME, 2, &types[1])?;
            return Ok(types.to_vec());
        }
        coerce_numbers(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        if types.len() == 2 {
            let (_, a) = Layout::of(Self::NAME, 1, &types[0])?;
            let (_, b) = Layout::of(Self::NAME, 2, &types[1])?;
            return Ok(if a && b { DataType::Float32 } else { DataType::Float64 });
        }
        Ok(types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let (v, nulls) = if args.args.len() == 2 {
            let arrays = ColumnarValue::values_to_arrays(&args.args)?;
            let a = Vectors::from_struct(Self::NAME, &arrays[0], Need::Direction)?;
            let b = Vectors::from_struct(Self::NAME, &arrays[1], Need::Direction)?;
            let nulls = datafusion::arrow::buffer::NullBuffer::union(a.nulls.as_ref(), b.nulls.as_ref());
            ((0..n).map(|i| distance(a.eta[i] - b.eta[i], delta_phi(a.phi[i], b.phi[i]))).collect(), nulls)
        } else {
            let (f, nulls) = numbers(&args)?;
            ((0..n).map(|i| distance(f[0].value(i) - f[2].value(i), delta_phi(f[1].value(i), f[3].value(i)))).collect(), nulls)
        };
        Ok(ColumnarValue::Array(float_result(v, nulls, args.return_type())?))
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"The transverse mass √(2·pT·MET·(1 − cos Δφ)) of a lepton and the missing transverse momentum (the W's transverse mass)."#,
        syntax_example = r#"transverse_mass(met, met_phi, pt, phi)"#,
        sql_example = r#"```sql
> SELECT transverse_mass(40.0, 3.0, 40.0, 0.0) AS mt;
+-------------------+
| mt                |
+-------------------+
| 79.79959892832436 |
+-------------------+

```"#,
        argument(name = r#"met"#, description = r#"The missing transverse momentum."#),
        argument(name = r#"met_phi"#, description = r#"Its azimuthal angle."#),
        argument(name = r#"pt"#, description = r#"The lepton's transverse momentum."#),
        argument(name = r#"phi"#, description = r#"The lepton's azimuthal angle."#),
    )]
    TransverseMass, "transverse_mass", ["mt"]
);

impl ScalarUDFImpl for TransverseMass {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[4])?;
        coerce_numbers(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (f, nulls) = numbers(&args)?;
        let v = (0..args.number_rows)
            .map(|i| {
                let (met, met_phi, pt, phi) = (f[0].value(i), f[1].value(i), f[2].value(i), f[3].value(i));
                (2.0 * pt * met * (1.0 - (phi - met_phi).cos())).max(0.0).sqrt()
            })
            .collect();
        Ok(ColumnarValue::Array(float_result(v, nulls, args.return_type())?))
    }
}

fn struct_of(names: &[&str], t: &DataType) -> DataType {
    DataType::Struct(Fields::from(names.iter().map(|n| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()))
}

fn struct_result(names: &[&str], columns: Vec<Vec<f64>>, nulls: Option<datafusion::arrow::buffer::NullBuffer>, t: &DataType) -> Result<ColumnarValue> {
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|c| float_result(c, nulls.clone(), t)).collect::<Result<_>>()?;
    let fields = Fields::from(names.iter().map(|n| Field::new(*n, t.clone(), true)).collect::<Vec<_>>());
    Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(fields, arrays, nulls)?)))
}

/// Arguments of a conversion: four numbers, or one struct.
fn conversion_types(name: &str, types: &[DataType]) -> Result<Vec<DataType>> {
    check_arity(name, types, &[1, 4])?;
    if types.len() == 1 {
        Layout::of(name, 1, &types[0])?;
        return Ok(types.to_vec());
    }
    coerce_numbers(name, types)
}

fn conversion_float(name: &str, types: &[DataType]) -> Result<DataType> {
    if types.len() == 1 {
        let (_, f32) = Layout::of(name, 1, &types[0])?;
        return Ok(if f32 { DataType::Float32 } else { DataType::Float64 });
    }
    Ok(types[0].clone())
}

/// The argument(s) of a conversion as four-vectors.
fn conversion_vectors(name: &str, args: &ScalarFunctionArgs, polar: bool) -> Result<Vectors> {
    let arrays = ColumnarValue::values_to_arrays(&args.args)?;
    if arrays.len() == 1 {
        return Vectors::from_struct(name, &arrays[0], Need::Both);
    }
    let f: Vec<Float64Array> = arrays.iter().map(as_f64).collect::<Result<_>>()?;
    let valid = StructArray::new_empty_fields(args.number_rows, None);
    if polar { Vectors::polar(&valid, &f[0], &f[1], &f[2], Some(&f[3]), Need::Both) } else { Vectors::cartesian(&valid, &f[0], &f[1], &f[2], &f[3], Need::Both) }
}

const CARTESIAN: [&str; 4] = ["px", "py", "pz", "e"];
const POLAR: [&str; 4] = ["pt", "eta", "phi", "mass"];

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"A four-vector in Cartesian coordinates, `{px, py, pz, e}`."#,
        syntax_example = r#"pt_eta_phi_m_to_px_py_pz_e(pt, eta, phi, mass) | pt_eta_phi_m_to_px_py_pz_e(particle)"#,
        sql_example = r#"```sql
> SELECT pt_eta_phi_m_to_px_py_pz_e(50.0, 0.0, 0.0, 0.0) AS p4;
+---------------------------------------+
| p4                                    |
+---------------------------------------+
| {px: 50.0, py: 0.0, pz: 0.0, e: 50.0} |
+---------------------------------------+

```"#,
        argument(name = r#"pt, eta, phi, mass"#, description = r#"A four-vector in collider coordinates."#),
        argument(name = r#"particle"#, description = r#"Instead, a particle struct with fields `pt`, `eta`, `phi` and optionally `mass`."#),
    )]
    ToCartesian, "pt_eta_phi_m_to_px_py_pz_e", ["to_px_py_pz_e"]
);

impl ScalarUDFImpl for ToCartesian {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        conversion_types(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(struct_of(&CARTESIAN, &conversion_float(Self::NAME, types)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let v = conversion_vectors(Self::NAME, &args, true)?;
        let t = match args.return_type() {
            DataType::Struct(f) => f[0].data_type().clone(),
            _ => DataType::Float64,
        };
        struct_result(&CARTESIAN, vec![v.px, v.py, v.pz, v.e], v.nulls, &t)
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Physics"),
        description = r#"A four-vector in collider coordinates, `{pt, eta, phi, mass}`."#,
        syntax_example = r#"px_py_pz_e_to_pt_eta_phi_m(px, py, pz, e) | px_py_pz_e_to_pt_eta_phi_m(particle)"#,
        sql_example = r#"```sql
> SELECT px_py_pz_e_to_pt_eta_phi_m(30.0, 40.0, 0.0, 50.0) AS p4;
+----------------------------------------------------------+
| p4                                                       |
+----------------------------------------------------------+
| {pt: 50.0, eta: 0.0, phi: 0.9272952180016122, mass: 0.0} |
+----------------------------------------------------------+

```"#,
        argument(name = r#"px, py, pz, e"#, description = r#"A Cartesian four-vector."#),
        argument(name = r#"particle"#, description = r#"Instead, a struct with fields `px`, `py`, `pz`, `e`."#),
    )]
    ToPolar, "px_py_pz_e_to_pt_eta_phi_m", ["to_pt_eta_phi_m"]
);

impl ScalarUDFImpl for ToPolar {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        conversion_types(Self::NAME, types)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(struct_of(&POLAR, &conversion_float(Self::NAME, types)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let v = conversion_vectors(Self::NAME, &args, false)?;
        let t = match args.return_type() {
            DataType::Struct(f) => f[0].data_type().clone(),
            _ => DataType::Float64,
        };
        let mass = (0..v.pt.len()).map(|i| super::fourvec::mass(v.px[i], v.py[i], v.pz[i], v.e[i])).collect();
        struct_result(&POLAR, vec![v.pt, v.eta, v.phi, mass], v.nulls, &t)
    }
}

/// √(Δη² + Δφ²): ΔR never comes near the overflow `hypot` guards against, and `hypot` cost
/// more than the rest of `delta_r` (the pipeline sorts ~100 particles per event by it).
fn distance(deta: f64, dphi: f64) -> f64 {
    (deta * deta + dphi * dphi).sqrt()
}

#[cfg(test)]
mod tests {
    use super::delta_phi;
    use std::f64::consts::PI;

    #[test]
    fn delta_phi_is_wrapped_to_half_open_interval() {
        assert!((delta_phi(3.0, -3.0) - (6.0 - 2.0 * PI)).abs() < 1e-12);
        assert_eq!(delta_phi(PI, 0.0), -PI);
        assert_eq!(delta_phi(0.0, PI), -PI);
        assert!((delta_phi(0.1, 0.3) + 0.2).abs() < 1e-12);
    }
}
