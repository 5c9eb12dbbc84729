//! From Arrow record batches to the numbers a network takes.
//!
//! A model's input is a set of flat feature columns (any numeric type) and, for the sequence
//! models, one column holding a list per row whose elements are structs of numeric fields
//! (the pipeline's `particles`) or fixed-size lists of numbers. A batch is decoded column by
//! column into a row-major feature matrix and one flat array of sequence values with offsets,
//! then checked: a NaN or infinite value, a null or a label outside the classes is an error
//! that names the column and the row.

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, GenericListArray, OffsetSizeTrait, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float32Type, Int64Type, Schema};
use arrow::record_batch::RecordBatch;
use burn::prelude::*;
use datafusion::common::{exec_err, plan_err, Result};
use serde::{Deserialize, Serialize};

use super::gru::Sequences;
use super::network::{Architecture, Inputs, ModelKind};
use crate::arguments::Choice;
use super::scaler::Scaler;

/// Which columns feed a model, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub label: String,
    pub features: Vec<String>,
    pub sequence: Option<String>,
    /// Names of the numbers in one sequence element (struct fields, or `[0]`, `[1]`, ... for
    /// fixed-size lists), in the order the network sees them.
    pub sequence_fields: Vec<String>,
    /// Sequences longer than this keep their first `max_length` elements.
    pub max_length: Option<usize>,
}

impl InputSpec {
    /// The columns of `schema` a `kind` model reads. Without `features`, every floating-point
    /// column except the label; without `sequence`, the one list-of-records column.
    pub fn resolve(schema: &Schema, kind: ModelKind, label: &str, features: Option<Vec<String>>, sequence: Option<String>, max_length: Option<usize>) -> Result<Self> {
        let (wants_features, wants_sequence) = (kind.reads_features(), kind.reads_sequence());
        let features = match (wants_features, features) {
            (false, _) => vec![],
            (true, Some(f)) => f,
            (true, None) => schema
                .fields()
                .iter()
                .filter(|f| f.name() != label && f.data_type().is_floating())
                .map(|f| f.name().clone())
                .collect(),
        };
        for f in &features {
            match schema.field_with_name(f) {
                Ok(field) if field.data_type().is_numeric() || field.data_type() == &DataType::Boolean => {}
                Ok(field) => return plan_err!("feature column '{f}' has type {}; features must be numbers", field.data_type()),
                Err(_) => return plan_err!("no feature column '{f}' in the input (columns: {})", column_names(schema)),
            }
        }
        if wants_features && features.is_empty() {
            return plan_err!("the input has no floating-point feature columns; name them with features => 'a, b, ...'");
        }
        let sequence = match (wants_sequence, sequence) {
            (false, _) => None,
            (true, Some(s)) => Some(s),
            (true, None) => {
                let candidates: Vec<_> = schema.fields().iter().filter(|f| element_fields(f.data_type()).is_some()).map(|f| f.name().clone()).collect();
                match candidates.as_slice() {
                    [one] => Some(one.clone()),
                    [] => return plan_err!("a {} model needs a sequence column (a list of structs of numbers); the input has none", kind.word()),
                    many => return plan_err!("several sequence columns ({}); choose one with sequence => 'name'", many.join(", ")),
                }
            }
        };
        let sequence_fields = match &sequence {
            None => vec![],
            Some(s) => {
                let field = schema.field_with_name(s).map_err(|_| datafusion::error::DataFusionError::Plan(format!("no sequence column '{s}' in the input (columns: {})", column_names(schema))))?;
                match element_fields(field.data_type()) {
                    Some(names) => names,
                    None => return plan_err!("sequence column '{s}' has type {}; it must be a list of structs of numbers or of fixed-size lists of numbers", field.data_type()),
                }
            }
        };
        if schema.field_with_name(label).is_err() {
            return plan_err!("no label column '{label}' in the input (columns: {})", column_names(schema));
        }
        Ok(Self { label: label.to_string(), features, sequence, sequence_fields, max_length })
    }

    /// Checks that `schema` still has what this spec (stored with a model) reads.
    pub fn check(&self, schema: &Schema, with_label: bool) -> Result<()> {
        for f in &self.features {
            match schema.field_with_name(f) {
                Ok(field) if field.data_type().is_numeric() || field.data_type() == &DataType::Boolean => {}
                Ok(field) => return plan_err!("feature column '{f}' has type {}; the model needs a number", field.data_type()),
                Err(_) => return plan_err!("the model needs feature column '{f}', which the input lacks (columns: {})", column_names(schema)),
            }
        }
        if let Some(s) = &self.sequence {
            let Ok(field) = schema.field_with_name(s) else {
                return plan_err!("the model needs sequence column '{s}', which the input lacks");
            };
            if element_fields(field.data_type()).as_ref() != Some(&self.sequence_fields) {
                return plan_err!("sequence column '{s}' has type {}; the model was trained on elements with fields {:?}", field.data_type(), self.sequence_fields);
            }
        }
        if with_label && schema.field_with_name(&self.label).is_err() {
            return plan_err!("no label column '{}' in the input", self.label);
        }
        Ok(())
    }

    pub fn sequence_width(&self) -> usize {
        self.sequence_fields.len()
    }
}

fn column_names(schema: &Schema) -> String {
    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
}

/// The names of the numbers in one element of a list column, if it is a list of structs of
/// numbers or of fixed-size lists of numbers.
fn element_fields(t: &DataType) -> Option<Vec<String>> {
    let element = match t {
        DataType::List(f) | DataType::LargeList(f) => f.data_type(),
        _ => return None,
    };
    match element {
        DataType::Struct(fields) if !fields.is_empty() && fields.iter().all(|f| f.data_type().is_numeric() || f.data_type() == &DataType::Boolean) => {
            Some(fields.iter().map(|f| f.name().clone()).collect())
        }
        DataType::FixedSizeList(f, n) if f.data_type().is_numeric() => Some((0..*n).map(|i| format!("[{i}]")).collect()),
        _ => None,
    }
}

/// One record batch, decoded.
pub struct Columns {
    pub rows: usize,
    /// `rows × features`, row-major.
    pub features: Vec<f32>,
    /// The elements of all sequences, `total × sequence_width`, row-major.
    pub sequence: Vec<f32>,
    /// Element `i` of row `r` is at `offsets[r] + i`; `offsets.len() == rows + 1`.
    pub offsets: Vec<usize>,
    /// Present when the label column was read.
    pub labels: Option<Vec<u32>>,
    n_features: usize,
    width: usize,
}

impl Columns {
    /// Decodes `batch`, then scales it with `scaler`. `classes` is the number of classes labels
    /// must lie in, when the label is read; `first_row` numbers rows in error messages.
    pub fn decode(batch: &RecordBatch, spec: &InputSpec, classes: Option<usize>, first_row: u64, scaler: Option<&Scaler>) -> Result<Self> {
        let rows = batch.num_rows();
        let n = spec.features.len();
        let mut features = vec![0f32; rows * n];
        for (j, name) in spec.features.iter().enumerate() {
            let values = floats(column(batch, name)?, name)?;
            let values = values.as_primitive::<Float32Type>();
            for (i, v) in values.values().iter().enumerate() {
                if values.is_null(i) {
                    return exec_err!("feature '{name}' is null in row {}", first_row + i as u64);
                }
                if !v.is_finite() {
                    return exec_err!("feature '{name}' is {v} in row {}; features must be finite numbers", first_row + i as u64);
                }
                features[i * n + j] = *v;
            }
        }
        let width = spec.sequence_width();
        let (sequence, offsets) = match &spec.sequence {
            None => (vec![], vec![0; rows + 1]),
            Some(name) => {
                let col = column(batch, name)?;
                match col.data_type() {
                    DataType::List(_) => sequences(col.as_list::<i32>(), name, spec, first_row)?,
                    DataType::LargeList(_) => sequences(col.as_list::<i64>(), name, spec, first_row)?,
                    t => return exec_err!("sequence column '{name}' has type {t}"),
                }
            }
        };
        let labels = match classes {
            None => None,
            Some(k) => {
                let col = column(batch, &spec.label)?;
                if !col.data_type().is_integer() {
                    return exec_err!("label column '{}' has type {}; labels must be integers 0, 1, ... (map names with CASE)", spec.label, col.data_type());
                }
                let col = cast(col, &DataType::Int64)?;
                let col = col.as_primitive::<Int64Type>();
                let mut labels = Vec::with_capacity(rows);
                for i in 0..rows {
                    let v = col.value(i);
                    if col.is_null(i) || v < 0 || v as u64 >= k as u64 {
                        let shown = if col.is_null(i) { "null".to_string() } else { v.to_string() };
                        let expected = if k >= u32::MAX as usize { "labels must be integers 0, 1, ...".to_string() } else { format!("the model's classes are 0 to {}", k - 1) };
                        return exec_err!("label '{}' is {shown} in row {}; {expected}", spec.label, first_row + i as u64);
                    }
                    labels.push(v as u32);
                }
                Some(labels)
            }
        };
        let mut columns = Self { rows, features, sequence, offsets, labels, n_features: n, width };
        if let Some(s) = scaler {
            s.apply(&mut columns.features, &mut columns.sequence);
        }
        Ok(columns)
    }

    pub fn features_of(&self, row: usize) -> &[f32] {
        &self.features[row * self.n_features..(row + 1) * self.n_features]
    }

    pub fn sequence_of(&self, row: usize) -> &[f32] {
        &self.sequence[self.offsets[row] * self.width..self.offsets[row + 1] * self.width]
    }

    pub fn length_of(&self, row: usize) -> usize {
        self.offsets[row + 1] - self.offsets[row]
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    match batch.column_by_name(name) {
        Some(c) => Ok(c),
        None => exec_err!("the input has no column '{name}'"),
    }
}

fn floats(a: &ArrayRef, name: &str) -> Result<ArrayRef> {
    match cast(a, &DataType::Float32) {
        Ok(a) => Ok(a),
        Err(e) => exec_err!("column '{name}' of type {} cannot be read as numbers: {e}", a.data_type()),
    }
}

/// The numbers of a sequence column's elements: one array per struct field, or the flat
/// values of fixed-size lists.
enum Elements {
    Fields(Vec<arrow::array::Float32Array>),
    Flat(arrow::array::Float32Array, usize),
}

impl Elements {
    /// Number `j` of element `e`; `None` if null.
    fn get(&self, e: usize, j: usize) -> Option<f32> {
        let (a, i) = match self {
            Elements::Fields(f) => (&f[j], e),
            Elements::Flat(a, w) => (a, e * w + j),
        };
        a.is_valid(i).then(|| a.value(i))
    }
}

fn sequences<O: OffsetSizeTrait>(list: &GenericListArray<O>, name: &str, spec: &InputSpec, first_row: u64) -> Result<(Vec<f32>, Vec<usize>)> {
    let width = spec.sequence_width();
    let cap = spec.max_length.unwrap_or(usize::MAX);
    let values = list.values();
    let elements = match values.data_type() {
        DataType::Struct(_) => {
            let s: &StructArray = values.as_struct();
            let fields = s.columns().iter().map(|c| floats(c, name).map(|a| a.as_primitive::<Float32Type>().clone())).collect::<Result<_>>()?;
            Elements::Fields(fields)
        }
        DataType::FixedSizeList(_, _) => {
            let f: &FixedSizeListArray = values.as_fixed_size_list();
            Elements::Flat(floats(f.values(), name)?.as_primitive::<Float32Type>().clone(), width)
        }
        t => return exec_err!("sequence column '{name}' has elements of type {t}"),
    };
    let mut out = Vec::new();
    let mut offsets = vec![0usize];
    for r in 0..list.len() {
        if list.is_null(r) {
            return exec_err!("sequence '{name}' is null in row {}", first_row + r as u64);
        }
        let (start, end) = (list.value_offsets()[r].as_usize(), list.value_offsets()[r + 1].as_usize());
        let end = end.min(start.saturating_add(cap));
        for e in start..end {
            for j in 0..width {
                match elements.get(e, j) {
                    Some(v) if v.is_finite() => out.push(v),
                    v => {
                        let shown = v.map_or("null".to_string(), |v| v.to_string());
                        return exec_err!("sequence '{name}' field '{}' is {shown} in row {}; values must be finite numbers", spec.sequence_fields[j], first_row + r as u64);
                    }
                }
            }
        }
        offsets.push(offsets[r] + (end - start));
    }
    Ok((out, offsets))
}

/// Rows gathered for one forward pass: the feature rows and each row's sequence values.
pub struct Rows<'a> {
    pub features: Vec<&'a [f32]>,
    pub sequences: Vec<&'a [f32]>,
}

impl<'a> Rows<'a> {
    pub fn with_capacity(n: usize) -> Self {
        Self { features: Vec::with_capacity(n), sequences: Vec::with_capacity(n) }
    }

    pub fn push(&mut self, features: &'a [f32], sequence: &'a [f32]) {
        self.features.push(features);
        self.sequences.push(sequence);
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// The network inputs on `device`: features `[B, n]`; sequences packed (see `Sequences`).
    pub fn inputs(&self, arch: &Architecture, device: &Device) -> Inputs {
        let b = self.len();
        let features = arch.uses_features().then(|| {
            let n = arch.features;
            let mut flat = Vec::with_capacity(b * n);
            for f in &self.features {
                flat.extend_from_slice(f);
            }
            Tensor::<2>::from_data(TensorData::new(flat, [b, n]), device)
        });
        let sequences = arch.uses_sequence().then(|| {
            let w = arch.sequence_features;
            let lengths: Vec<usize> = self.sequences.iter().map(|s| s.len() / w).collect();
            // Packed order: longest first (see `Sequences`).
            let mut order: Vec<usize> = (0..b).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
            let mut restore = vec![0i64; b];
            for (packed, &row) in order.iter().enumerate() {
                restore[row] = packed as i64;
            }
            let longest = order.first().map_or(0, |&i| lengths[i]);
            let mut steps = Vec::with_capacity(longest);
            let mut k = b;
            for t in 0..longest {
                while k > 0 && lengths[order[k - 1]] <= t {
                    k -= 1;
                }
                // Transposed, `[w, k]`.
                let mut step = vec![0f32; w * k];
                for (col, &row) in order[..k].iter().enumerate() {
                    for (j, &v) in self.sequences[row][t * w..(t + 1) * w].iter().enumerate() {
                        step[j * k + col] = v;
                    }
                }
                steps.push(Tensor::<2>::from_data(TensorData::new(step, [w, k]), device));
            }
            Sequences { rows: b, steps, restore: Tensor::<1, Int>::from_data(TensorData::new(restore, [b]), device) }
        });
        Inputs { features, sequences, dropout: None }
    }
}
