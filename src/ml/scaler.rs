//! Feature scaling fitted by `train_classifier` on its training rows and stored with the
//! model, so that `predict` applies exactly the same transformation. (The pipeline's
//! `sql/05_datasets.sql` scales in SQL instead; this is for inputs that are not scaled yet.)

use serde::{Deserialize, Serialize};

use crate::arguments::Choice;

/// How features are scaled: not at all, to mean 0 and standard deviation 1, or into [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scaling {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "standard")]
    Standard,
    #[serde(rename = "minmax")]
    MinMax,
}

impl Choice for Scaling {
    const CHOICES: &'static [(&'static str, Self)] = &[("none", Self::None), ("standard", Self::Standard), ("minmax", Self::MinMax)];
}

/// `x' = (x - shift) / scale` per feature; flat features first, then sequence fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub method: Scaling,
    pub features: Vec<Affine>,
    pub sequence: Vec<Affine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub shift: f32,
    pub scale: f32,
}

impl Scaler {
    /// Scales rows of flat features and of sequence fields (row-major, in place).
    pub fn apply(&self, features: &mut [f32], sequence: &mut [f32]) {
        transform(features, &self.features);
        transform(sequence, &self.sequence);
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
    method: Scaling,
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
    pub fn new(method: Scaling, features: usize, sequence: usize) -> Self {
        Self { method, features: vec![Moments::default(); features], sequence: vec![Moments::default(); sequence] }
    }

    /// Adds one row: its flat features and its sequence's fields (row-major).
    pub fn add(&mut self, features: &[f32], sequence: &[f32]) {
        accumulate(&mut self.features, features);
        accumulate(&mut self.sequence, sequence);
    }

    pub fn finish(&self) -> Scaler {
        let affine = |m: &Moments| {
            let (shift, scale) = if self.method == Scaling::MinMax {
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
            method: self.method,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two features over three rows, and a sequence of one field over four particles.
    fn fitted(method: Scaling) -> Scaler {
        let mut s = Statistics::new(method, 2, 1);
        s.add(&[1.0, 5.0], &[2.0, 4.0]);
        s.add(&[2.0, 5.0], &[]);
        s.add(&[3.0, 5.0], &[6.0, 8.0]);
        s.finish()
    }

    #[test]
    fn standard_scaling_centres_and_divides_by_the_population_deviation() {
        let s = fitted(Scaling::Standard);
        // mean 2, σ = sqrt(2/3) (numpy's std, ddof 0, as scikit-learn's StandardScaler).
        assert_eq!(s.features[0].shift, 2.0);
        assert!((s.features[0].scale - (2.0f32 / 3.0).sqrt()).abs() < 1e-6);
        // A constant feature is only shifted.
        assert_eq!(s.features[1], Affine { shift: 5.0, scale: 1.0 });
        assert_eq!(s.sequence[0].shift, 5.0);
        let (mut f, mut q) = (vec![3.0, 5.0], vec![5.0, 8.0]);
        s.apply(&mut f, &mut q);
        assert!((f[0] - 1.0 / (2.0f32 / 3.0).sqrt()).abs() < 1e-5 && f[1] == 0.0, "{f:?}");
        assert_eq!(q[0], 0.0);
    }

    #[test]
    fn minmax_scaling_maps_the_training_range_to_0_1() {
        let s = fitted(Scaling::MinMax);
        let (mut f, mut q) = (vec![1.0, 5.0, 3.0, 5.0], vec![2.0, 8.0]);
        s.apply(&mut f, &mut q);
        assert_eq!(f, vec![0.0, 0.0, 1.0, 0.0]);
        assert_eq!(q, vec![0.0, 1.0]);
    }

    #[test]
    fn stored_as_the_words_of_the_option() {
        assert_eq!(serde_json::to_string(&Scaling::MinMax).unwrap(), r#""minmax""#);
        assert_eq!(crate::arguments::choices::<Scaling>(), "'none', 'standard' or 'minmax'");
    }
}
