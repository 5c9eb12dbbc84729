//! Feature scaling fitted by `train_classifier` on its training rows and stored with the
//! model, so that `predict` applies exactly the same transformation. (The pipeline's
//! `sql/05_datasets.sql` scales in SQL instead; this is for inputs that are not scaled yet.)

use datafusion::common::{plan_err, Result};
use serde::{Deserialize, Serialize};

use super::data::Columns;

/// `x' = (x - shift) / scale` per feature; flat features first, then sequence fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub method: String,
    pub features: Vec<Affine>,
    pub sequence: Vec<Affine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub shift: f32,
    pub scale: f32,
}

impl Scaler {
    pub fn apply(&self, c: &mut Columns) {
        transform(&mut c.features, &self.features);
        transform(&mut c.sequence, &self.sequence);
    }
}

fn transform(values: &mut [f32], by: &[Affine]) {
    if by.is_empty() {
        return;
    }
    for row in values.chunks_exact_mut(by.len()) {
        for (v, a) in row.iter_mut().zip(by) {
            *v = (*v - a.shift) / a.scale;
        }
    }
}

/// Per-feature running statistics, in f64.
#[derive(Clone, Debug)]
pub struct Statistics {
    method: String,
    features: Vec<Moments>,
    sequence: Vec<Moments>,
}

#[derive(Clone, Copy, Debug)]
struct Moments {
    n: f64,
    sum: f64,
    sum_sq: f64,
    min: f64,
    max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self { n: 0.0, sum: 0.0, sum_sq: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Statistics {
    /// `method` is `standard` (mean 0, standard deviation 1) or `minmax` (into [0, 1]).
    pub fn new(method: &str, features: usize, sequence: usize) -> Result<Self> {
        if !matches!(method, "standard" | "minmax") {
            return plan_err!("scale must be 'none', 'standard' or 'minmax', not '{method}'");
        }
        Ok(Self { method: method.to_string(), features: vec![Moments::default(); features], sequence: vec![Moments::default(); sequence] })
    }

    /// Adds the rows `rows` of `c`.
    pub fn add_rows(&mut self, c: &Columns, rows: &[usize]) {
        for &r in rows {
            accumulate(&mut self.features, c.features_of(r));
            accumulate(&mut self.sequence, c.sequence_of(r));
        }
    }

    pub fn finish(&self) -> Scaler {
        let affine = |m: &Moments| {
            let (shift, scale) = if self.method == "minmax" {
                (m.min, m.max - m.min)
            } else {
                let mean = m.sum / m.n.max(1.0);
                (mean, (m.sum_sq / m.n.max(1.0) - mean * mean).max(0.0).sqrt())
            };
            // A constant feature is only shifted.
            let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
            Affine { shift: if shift.is_finite() { shift as f32 } else { 0.0 }, scale: scale as f32 }
        };
        Scaler {
            method: self.method.clone(),
            features: self.features.iter().map(affine).collect(),
            sequence: self.sequence.iter().map(affine).collect(),
        }
    }
}

fn accumulate(m: &mut [Moments], values: &[f32]) {
    if m.is_empty() {
        return;
    }
    for row in values.chunks_exact(m.len()) {
        for (s, &v) in m.iter_mut().zip(row) {
            let v = v as f64;
            s.n += 1.0;
            s.sum += v;
            s.sum_sq += v * v;
            s.min = s.min.min(v);
            s.max = s.max.max(v);
        }
    }
}
