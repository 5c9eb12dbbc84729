//! `combinations(list, k)` and `cartesian(a, b)`: every k-subset of a list, or every pair
//! from two lists, as structs of the elements and their 1-based indices — the building block
//! of pair and trijet selections (`combinations(Muon, 2)`, `cartesian(Muon, Jet)`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, ListArray, StructArray, UInt32Array};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{exec_err, internal_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl};

use super::memory::{bytes_per_element, choose, reserve, Output};
use super::{element, list_type, Rows};
use crate::scalar::{check_arity, scalar_common, scalar_function};

/// The largest k accepted: beyond it the output explodes for any realistic list.
const MAX_K: i64 = 8;

/// Bytes per slot of a tuple besides the element: its 1-based index (i64) and the gather index
/// (u32) it is built from.
const TUPLE_OVERHEAD: u128 = 12;

/// Struct fields `p1..pk` (the elements) then `i1..ik` (their 1-based indices).
fn tuple_fields(elements: &[FieldRef]) -> Fields {
    let mut f: Vec<Field> = elements
        .iter()
        .enumerate()
        .map(|(j, e)| Field::new(format!("p{}", j + 1), e.data_type().clone(), e.is_nullable()))
        .collect();
    f.extend((0..elements.len()).map(|j| Field::new(format!("i{}", j + 1), DataType::Int64, false)));
    Fields::from(f)
}

fn tuple_list(elements: &[FieldRef]) -> DataType {
    DataType::new_list(DataType::Struct(tuple_fields(elements)), false)
}

/// Builds the list of tuples from, per slot, the value indices and 1-based positions.
fn build(sources: &[&ArrayRef], elements: &[FieldRef], picks: Vec<Vec<u32>>, positions: Vec<Vec<i64>>, lengths: Vec<usize>, nulls: Option<NullBuffer>) -> Result<ColumnarValue> {
    let total: usize = lengths.iter().sum();
    if total > i32::MAX as usize {
        return exec_err!("combinations: {total} tuples in one batch is more than a list can hold");
    }
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (src, idx) in sources.iter().zip(picks) {
        columns.push(take(src.as_ref(), &UInt32Array::from(idx), None)?);
    }
    for pos in positions {
        columns.push(Arc::new(Int64Array::from(pos)));
    }
    let tuples = StructArray::try_new(tuple_fields(elements), columns, None)?;
    let item = Arc::new(Field::new_list_field(tuples.data_type().clone(), false));
    Ok(ColumnarValue::Array(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), Arc::new(tuples), nulls)?)))
}

fn literal_k(name: &str, k: Option<&ScalarValue>) -> Result<usize> {
    let k = match k {
        Some(s) if !s.is_null() => match s.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(k)) => k,
            _ => return plan_err!("{name}: argument 2 (k) must be an integer literal"),
        },
        _ => return plan_err!("{name}: argument 2 (k) must be an integer literal"),
    };
    if !(1..=MAX_K).contains(&k) {
        return plan_err!("{name}: k must be between 1 and {MAX_K}, got {k}");
    }
    Ok(k as usize)
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"All k-element subsets of each list, in lexicographic order of indices (as awkward's `ak.combinations`), as `List<Struct<p1..pk, i1..ik>>`."#,
        syntax_example = r#"combinations(list, k)"#,
        sql_example = r#"```sql
> SELECT unnest(combinations(['a', 'b', 'c'], 2)) AS pair;
+------------------------------+
| pair                         |
+------------------------------+
| {p1: a, p2: b, i1: 1, i2: 2} |
| {p1: a, p2: c, i1: 1, i2: 3} |
| {p1: b, p2: c, i1: 2, i2: 3} |
+------------------------------+

```"#,
        argument(name = r#"list"#, description = r#"A list."#),
        argument(name = r#"k"#, description = r#"The size of each combination, a constant from 1 to 5."#),
    )]
    Combinations, "combinations", ["array_combinations", "list_combinations"]
);

impl ScalarUDFImpl for Combinations {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        if !types[1].is_integer() {
            return plan_err!("{}: argument 2 (k) must be an integer, got {}", Self::NAME, types[1]);
        }
        Ok(vec![list_type(Self::NAME, 1, &types[0])?, DataType::Int64])
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        internal_err!("{}: return_field_from_args is used", Self::NAME)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let k = literal_k(Self::NAME, args.scalar_arguments[1])?;
        let e = element(args.arg_fields[0].data_type())?;
        Ok(Arc::new(Field::new(Self::NAME, tuple_list(&vec![e; k]), true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let k = match &args.args[1] {
            ColumnarValue::Scalar(s) => literal_k(Self::NAME, Some(s))?,
            _ => return exec_err!("{}: argument 2 (k) must be an integer literal", Self::NAME),
        };
        let rows = Rows::new(Self::NAME, &args.args[0], n)?;
        let call = format!("{}({}, {k})", Self::NAME, args.arg_fields[0].name());
        let _memory = reserve(&args.config_options, Self::NAME, Output {
            call: &call,
            elements: rows.len.iter().fold(0u128, |total, &m| total.saturating_add(choose(m, k))),
            element_bytes: k as u128 * (bytes_per_element(&rows.values) + TUPLE_OVERHEAD),
            rows: n,
            advice: "filter the list first or lower k",
        })?;
        let mut picks = vec![Vec::new(); k];
        let mut positions = vec![Vec::new(); k];
        let mut lengths = Vec::with_capacity(n);
        let mut c = vec![0usize; k];
        for row in 0..n {
            let m = rows.len[row];
            let before = picks[0].len();
            if m >= k {
                for (j, cj) in c.iter_mut().enumerate() {
                    *cj = j;
                }
                loop {
                    for j in 0..k {
                        picks[j].push((rows.start[row] + c[j]) as u32);
                        positions[j].push(c[j] as i64 + 1);
                    }
                    // Advance to the next combination in lexicographic order.
                    let Some(j) = (0..k).rev().find(|&j| c[j] < m - k + j) else { break };
                    c[j] += 1;
                    for l in j + 1..k {
                        c[l] = c[l - 1] + 1;
                    }
                }
            }
            lengths.push(picks[0].len() - before);
        }
        let e = element(rows.list.data_type())?;
        let sources = vec![&rows.values; k];
        build(&sources, &vec![e; k], picks, positions, lengths, rows.list.logical_nulls())
    }
}

scalar_function!(
    #[datafusion_macros::user_doc(
        doc_section(label = "Particle lists"),
        description = r#"Every pair of an element of `a` and one of `b`, `a`-major (as awkward's `ak.cartesian`), as `List<Struct<p1, p2, i1, i2>>`. Null if either list is null."#,
        syntax_example = r#"cartesian(a, b)"#,
        sql_example = r#"```sql
> SELECT unnest(cartesian(['e1', 'e2'], ['j1', 'j2'])) AS pair;
+--------------------------------+
| pair                           |
+--------------------------------+
| {p1: e1, p2: j1, i1: 1, i2: 1} |
| {p1: e1, p2: j2, i1: 1, i2: 2} |
| {p1: e2, p2: j1, i1: 2, i2: 1} |
| {p1: e2, p2: j2, i1: 2, i2: 2} |
+--------------------------------+

```"#,
        argument(name = r#"a"#, description = r#"A list."#),
        argument(name = r#"b"#, description = r#"A list."#),
    )]
    Cartesian, "cartesian", ["array_cartesian", "list_cartesian"]
);

impl ScalarUDFImpl for Cartesian {
    scalar_common!();

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(Self::NAME, types, &[2])?;
        Ok(vec![list_type(Self::NAME, 1, &types[0])?, list_type(Self::NAME, 2, &types[1])?])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(tuple_list(&[element(&types[0])?, element(&types[1])?]))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let a = Rows::new(Self::NAME, &args.args[0], n)?;
        let b = Rows::new(Self::NAME, &args.args[1], n)?;
        let nulls = NullBuffer::union(a.list.logical_nulls().as_ref(), b.list.logical_nulls().as_ref());
        let call = format!("{}({}, {})", Self::NAME, args.arg_fields[0].name(), args.arg_fields[1].name());
        let _memory = reserve(&args.config_options, Self::NAME, Output {
            call: &call,
            elements: (0..n).map(|row| a.len[row] as u128 * b.len[row] as u128).sum(),
            element_bytes: bytes_per_element(&a.values) + bytes_per_element(&b.values) + 2 * TUPLE_OVERHEAD,
            rows: n,
            advice: "filter the lists first",
        })?;
        let (mut pa, mut pb, mut ia, mut ib, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::with_capacity(n));
        for row in 0..n {
            if nulls.as_ref().is_some_and(|x| x.is_null(row)) {
                lengths.push(0);
                continue;
            }
            for x in 0..a.len[row] {
                for y in 0..b.len[row] {
                    pa.push((a.start[row] + x) as u32);
                    pb.push((b.start[row] + y) as u32);
                    ia.push(x as i64 + 1);
                    ib.push(y as i64 + 1);
                }
            }
            lengths.push(a.len[row] * b.len[row]);
        }
        let elements = [element(a.list.data_type())?, element(b.list.data_type())?];
        build(&[&a.values, &b.values], &elements, vec![pa, pb], vec![ia, ib], lengths, nulls)
    }
}
