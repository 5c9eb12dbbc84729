//! `hash_uniform(seed, key, ...)`: a pseudo-random number in [0, 1) that is a function of the
//! seed and the row's key values only. `random()` depends on how rows are spread over
//! partitions and threads; this does not, so undersampling, shuffling and train/test splits
//! written with it give the same rows, in the same order, on every run and any core count.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

use crate::scalar::{scalar_common, scalar_function};

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Datasets"),
        description = r#"A deterministic uniform number in [0, 1) from a 64-bit mix (SplitMix64) of an integer seed and the key values. Integer keys of any width hash alike, as do float32 and float64 keys of the same value; NULL is a value of its own."#,
        syntax_example = r#"hash_uniform(seed, key [, key ...])"#,
        sql_example = r#"```sql
> SELECT entry, hash_uniform(42, 'ttbar.root', entry) < 0.8 AS train FROM (VALUES (0), (1), (2)) t(entry);
+-------+-------+
| entry | train |
+-------+-------+
| 0     | true  |
| 1     | true  |
| 2     | false |
+-------+-------+

```"#,
        argument(name = r#"seed"#, description = r#"An integer seed."#),
        argument(name = r#"key"#, description = r#"The values a row's number is drawn from (e.g. file and entry)."#),
    )]
    HashUniform, "hash_uniform", []
);

impl ScalarUDFImpl for HashUniform {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        if types.len() < 2 {
            return plan_err!("{}: expected a seed and at least one key, got {} arguments", Self::NAME, types.len());
        }
        types
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                t if i == 0 && !(t.is_integer() || t.is_null()) => {
                    plan_err!("{}: argument 1 (seed) must be an integer, got {t}", Self::NAME)
                }
                t if t.is_integer() || t.is_null() || t == &DataType::Boolean => Ok(DataType::Int64),
                t if t.is_numeric() => Ok(DataType::Float64),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(DataType::Utf8),
                t => plan_err!("{}: argument {} (key) must be a number, boolean or string, got {t}", Self::NAME, i + 1),
            })
            .collect()
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut h = vec![0u64; n];
        for (i, a) in arrays.iter().enumerate() {
            mix_column(&mut h, a, i as u64)?;
        }
        let u: Float64Array = h.into_iter().map(|x| Some((splitmix64(x) >> 11) as f64 * (1.0 / (1u64 << 53) as f64))).collect();
        Ok(ColumnarValue::Array(Arc::new(u) as ArrayRef))
    }
}

/// SplitMix64's finaliser: a bijection on u64 whose output bits all depend on every input bit.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Folds one argument into each row's state. The position is mixed in so that
/// `(a, b)` and `(b, a)` differ.
fn mix_column(h: &mut [u64], a: &ArrayRef, position: u64) -> Result<()> {
    const NULL: u64 = 0x6E75_6C6C_6E75_6C6C;
    let salt = position.wrapping_mul(0xA24B_AED4_963E_E407);
    let key_bits = |row: usize| -> Result<u64> {
        if a.is_null(row) {
            return Ok(NULL);
        }
        Ok(match a.data_type() {
            DataType::Int64 => a.as_primitive::<Int64Type>().value(row) as u64,
            // -0.0 and 0.0 are the same key.
            DataType::Float64 => (a.as_primitive::<Float64Type>().value(row) + 0.0).to_bits(),
            DataType::Utf8 => fnv1a(a.as_string::<i32>().value(row).as_bytes()),
            t => return exec_err!("hash_uniform: unexpected argument type {t}"),
        })
    };
    for (row, state) in h.iter_mut().enumerate() {
        *state = splitmix64(*state ^ splitmix64(key_bits(row)? ^ salt));
    }
    Ok(())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01B3))
}
