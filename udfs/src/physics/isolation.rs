//! `isolation(particle, others, cone [, exclude_self])`: the SparkDLTrigger relative
//! isolation, Σ pT of `others` within ΔR < cone of the particle, divided by its pT.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use super::fourvec::{delta_phi, list_element, Layout, Need, Vectors};
use crate::scalar::{as_f64, check_arity, float_result, scalar_common, scalar_function};

/// ΔR below which a particle of `others` is the particle itself (SparkDLTrigger's criterion
/// for a lepton's own track, whose measured pT may differ from the lepton's).
const SAME_PARTICLE_DR: f64 = 1e-4;

scalar_function!(
    /// `isolation(particle, others, cone [, exclude_self])`: Σ pT of the particles of the list
    /// `others` with ΔR(particle, o) < cone, divided by the particle's pT. With
    /// `exclude_self`, a particle of `others` within ΔR < 1e-4 is the particle itself (its own
    /// track) and is not counted. Null elements of `others` are skipped.
    Isolation, "isolation", []
);

impl ScalarUDFImpl for Isolation {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[3, 4])?;
        Layout::of(Self::NAME, 1, &types[0])?;
        let others = list_element(Self::NAME, 2, &types[1])?;
        Layout::of(Self::NAME, 2, &others)?;
        if !types[2].is_numeric() {
            return plan_err!("{}: argument 3 (cone) must be a number, got {}", Self::NAME, types[2]);
        }
        let mut out = vec![types[0].clone(), DataType::new_list(others, true), DataType::Float64];
        if types.len() == 4 {
            if !matches!(types[3], DataType::Boolean | DataType::Null) {
                return plan_err!("{}: argument 4 (exclude_self) must be a boolean, got {}", Self::NAME, types[3]);
            }
            out.push(DataType::Boolean);
        }
        Ok(out)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        let (_, a) = Layout::of(Self::NAME, 1, &types[0])?;
        let (_, b) = Layout::of(Self::NAME, 2, &list_element(Self::NAME, 2, &types[1])?)?;
        Ok(if a && b { DataType::Float32 } else { DataType::Float64 })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let p = Vectors::from_struct(Self::NAME, &arrays[0], Need::Direction)?;
        let Some(others) = arrays[1].as_list_opt::<i32>() else {
            return exec_err!("{}: argument 2 must be a list of particles", Self::NAME);
        };
        let cone = as_f64(&arrays[2])?;
        let exclude = match arrays.get(3) {
            Some(a) => Some(a.as_boolean().clone()),
            None => None,
        };
        let offsets = others.offsets();
        let first = offsets[0] as usize;
        let o = Vectors::from_struct(Self::NAME, &others.values().slice(first, offsets[n] as usize - first), Need::Direction)?;
        let mut iso = vec![0.0; n];
        for row in 0..n {
            if !p.is_valid(row) || cone.is_null(row) {
                continue;
            }
            let skip_self = exclude.as_ref().is_some_and(|e| e.is_valid(row) && e.value(row));
            let c = cone.value(row);
            let mut sum = 0.0;
            for i in offsets[row] as usize - first..offsets[row + 1] as usize - first {
                if !o.is_valid(i) {
                    continue;
                }
                let dr = (p.eta[row] - o.eta[i]).hypot(delta_phi(p.phi[row], o.phi[i]));
                if dr < c && !(skip_self && dr < SAME_PARTICLE_DR) {
                    sum += o.pt[i];
                }
            }
            iso[row] = sum / p.pt[row];
        }
        let nulls = [p.nulls.clone(), others.logical_nulls(), cone.logical_nulls()]
            .iter()
            .fold(None, |acc: Option<NullBuffer>, b| NullBuffer::union(acc.as_ref(), b.as_ref()));
        Ok(ColumnarValue::Array(float_result(iso, nulls, args.return_type())?))
    }
}
