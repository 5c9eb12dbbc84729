//! The three classifiers of the topology-classifier paper as one network with optional parts:
//! a GRU branch over the particle sequence, the high-level features, hidden dense layers and a
//! softmax output.
//!
//! | model          | sequence branch        | features          | dense      |
//! |----------------|------------------------|-------------------|------------|
//! | `hlf_dnn`      | –                      | as given          | 50, 20, 10 |
//! | `particle_gru` | GRU(50), dropout 0.2   | –                 | –          |
//! | `inclusive`    | GRU(50), dropout 0.2   | dropout 0.2       | 25         |

use burn::module::{Initializer, Module};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use datafusion::common::{plan_err, Result};
use serde::{Deserialize, Serialize};

use super::gru::{PackedGru, Sequences};
use crate::arguments::Choice;

/// Which of the paper's classifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    HlfDnn,
    ParticleGru,
    Inclusive,
}

impl Choice for ModelKind {
    const CHOICES: &'static [(&'static str, Self)] = &[("hlf_dnn", Self::HlfDnn), ("particle_gru", Self::ParticleGru), ("inclusive", Self::Inclusive)];
}

impl ModelKind {
    pub fn reads_features(self) -> bool {
        self != Self::ParticleGru
    }

    pub fn reads_sequence(self) -> bool {
        self != Self::HlfDnn
    }
}

/// The shape of a network: what is stored with a model to rebuild it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    pub kind: ModelKind,
    /// Number of high-level (flat) input features; 0 for `particle_gru`.
    pub features: usize,
    /// Features per sequence element; 0 for `hlf_dnn`.
    pub sequence_features: usize,
    /// GRU state size; 0 without a sequence branch.
    pub gru_units: usize,
    /// Sizes of the hidden dense layers (ReLU).
    pub hidden: Vec<usize>,
    pub dropout: f64,
    pub classes: usize,
}

impl Architecture {
    /// The spec's architecture of `kind`, with `hidden` and `gru_units` replacing its sizes
    /// when given.
    pub fn new(kind: ModelKind, features: usize, sequence_features: usize, classes: usize, hidden: Option<Vec<usize>>, gru_units: Option<usize>, dropout: Option<f64>) -> Result<Self> {
        let default_hidden = match kind {
            ModelKind::HlfDnn => vec![50, 20, 10],
            ModelKind::ParticleGru => vec![],
            ModelKind::Inclusive => vec![25],
        };
        let (uses_sequence, uses_features) = (kind.reads_sequence(), kind.reads_features());
        let dropout = dropout.unwrap_or(if kind == ModelKind::HlfDnn { 0.0 } else { 0.2 });
        if !(0.0..1.0).contains(&dropout) {
            return plan_err!("dropout must be in [0, 1), got {dropout}");
        }
        let hidden = hidden.unwrap_or(default_hidden);
        if hidden.contains(&0) {
            return plan_err!("hidden layer sizes must be positive, got {hidden:?}");
        }
        let gru_units = if uses_sequence { gru_units.unwrap_or(50) } else { 0 };
        if uses_sequence && gru_units == 0 {
            return plan_err!("gru_units must be positive");
        }
        Ok(Self {
            kind,
            features: if uses_features { features } else { 0 },
            sequence_features: if uses_sequence { sequence_features } else { 0 },
            gru_units,
            hidden,
            dropout,
            classes,
        })
    }

    pub fn uses_sequence(&self) -> bool {
        self.gru_units > 0
    }

    pub fn uses_features(&self) -> bool {
        self.features > 0
    }

    pub fn init(&self, device: &Device) -> Network {
        let gru = self.uses_sequence().then(|| PackedGru::new(self.sequence_features, self.gru_units, device));
        let mut width = self.features + self.gru_units;
        let mut hidden = Vec::new();
        for &h in &self.hidden {
            hidden.push(dense(width, h, device));
            width = h;
        }
        Network { gru, hidden, output: dense(width, self.classes, device) }
    }

    /// Number of trainable parameters (2,013 for the spec's `hlf_dnn`, 12,353 for `inclusive`).
    pub fn parameters(&self) -> usize {
        let g = self.gru_units;
        let gru = if g > 0 { 3 * g * (self.sequence_features + g) + 6 * g } else { 0 };
        let mut width = self.features + g;
        let mut n = gru;
        for &h in self.hidden.iter().chain(std::iter::once(&self.classes)) {
            n += width * h + h;
            width = h;
        }
        n
    }
}

/// Keras' dense-layer initialisation: Glorot-uniform weights, zero bias.
fn dense(input: usize, output: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(input, output).with_initializer(Initializer::XavierUniform { gain: 1.0 }).init(device);
    layer.bias = Some(Initializer::Zeros.init([output], device));
    layer
}

#[derive(Module, Debug)]
pub struct Network {
    gru: Option<PackedGru>,
    hidden: Vec<Linear>,
    output: Linear,
}

/// The inputs of one batch; either part may be absent, as the architecture says.
pub struct Inputs {
    pub features: Option<Tensor<2>>,
    pub sequences: Option<Sequences>,
    /// In training, the dropout masks (0, or 1/(1 − rate)) of the GRU state `[B, H]` and of
    /// the features `[B, F]` of a sequence model. They are drawn by the training loop from its
    /// own seeded generator rather than by burn's `Dropout` from flex's process-wide one, so a
    /// training gives the same weights while others run beside it (`tune_classifier`, the
    /// three models of `sql/07_train.sql` in one UNION ALL).
    pub dropout: Option<(Tensor<2>, Tensor<2>)>,
}

impl Network {
    /// Class logits `[B, classes]` (the loss applies the softmax).
    pub fn forward(&self, inputs: &Inputs) -> Tensor<2> {
        let mut parts = Vec::new();
        let masks = inputs.dropout.as_ref().filter(|_| self.gru.is_some());
        if let (Some(gru), Some(seq)) = (&self.gru, &inputs.sequences) {
            let state = gru.forward(seq);
            parts.push(match masks {
                Some((m, _)) => state * m.clone(),
                None => state,
            });
        }
        if let Some(f) = &inputs.features {
            parts.push(match masks {
                Some((_, m)) => f.clone() * m.clone(),
                None => f.clone(),
            });
        }
        let mut x = if parts.len() == 1 { parts.remove(0) } else { Tensor::cat(parts, 1) };
        for layer in &self.hidden {
            x = relu(layer.forward(x));
        }
        self.output.forward(x)
    }
}
