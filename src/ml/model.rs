//! A trained classifier: its description (what the registry lists and `predict` checks the
//! input against) and its network, with the inference that `predict`, `predict_proba` and
//! the validation of `train_classifier` share.

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::activation::softmax;
use burn::tensor::Bytes;
use datafusion::common::{exec_err, Result};
use serde::{Deserialize, Serialize};

use super::data::{Columns, InputSpec, Rows};
use super::network::{Architecture, Network};
use super::scaler::Scaler;
use super::train::{EpochReport, TrainOptions};

/// Everything about a model except its weights; stored as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub architecture: Architecture,
    pub parameters: usize,
    pub input: InputSpec,
    pub classes: Vec<String>,
    pub scaler: Option<Scaler>,
    /// The SQL the training rows came from.
    pub query: String,
    pub options: TrainOptions,
    pub training_rows: u64,
    pub validation_rows: u64,
    pub history: Vec<EpochReport>,
    /// The epoch whose weights were kept (the best validation loss with early stopping).
    pub best_epoch: usize,
    /// Seconds since the Unix epoch.
    pub created: u64,
    pub hepfusion_version: String,
    pub burn_version: String,
}

pub struct Model {
    pub info: ModelInfo,
    network: Network,
    device: Device,
}

/// Rows per forward pass at inference. Sequence models pad each pass to its longest
/// sequence, so they take fewer rows, sorted by length.
const FLAT_CHUNK: usize = 4096;
const SEQUENCE_CHUNK: usize = 256;

impl Model {
    pub fn new(info: ModelInfo, network: Network) -> Self {
        let device = Device::flex();
        Self { info, network: network.valid(), device }
    }

    /// Rebuilds the network of `info` from burnpack bytes.
    pub fn from_weights(info: ModelInfo, weights: Vec<u8>) -> Result<Self> {
        let device = Device::flex();
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights));
        let network = record
            .and_then(|r| info.architecture.init(&device).try_load_record(r))
            .map_err(|e| datafusion::error::DataFusionError::Execution(format!("model '{}': its weights do not fit its architecture: {e:?}", info.name)))?;
        Ok(Self::new(info, network))
    }

    pub fn weights(&self) -> Result<Vec<u8>> {
        match self.network.clone().into_record().into_bytes() {
            Ok(b) => Ok(b.to_vec()),
            Err(e) => exec_err!("model '{}': cannot serialise its weights: {e:?}", self.info.name),
        }
    }

    /// Decodes `batch` for this model (applying its scaler); with `labels`, reads and checks
    /// the label column too.
    pub fn decode(&self, batch: &arrow::record_batch::RecordBatch, labels: bool, first_row: u64) -> Result<Columns> {
        Columns::decode(batch, &self.info.input, labels.then_some(self.info.classes.len()), first_row, self.info.scaler.as_ref())
    }

    /// Class probabilities, `rows × classes` row-major.
    pub fn probabilities(&self, c: &Columns) -> Result<Vec<f32>> {
        let all: Vec<usize> = (0..c.rows).collect();
        probabilities(&self.network, &self.info.architecture, c, &all, &self.device)
    }
}

/// Softmax outputs of `network` for the rows `rows` of `c`, `rows.len() × classes`.
pub fn probabilities(network: &Network, arch: &Architecture, c: &Columns, rows: &[usize], device: &Device) -> Result<Vec<f32>> {
    let k = arch.classes;
    let mut out = vec![0f32; rows.len() * k];
    // Positions in `rows`, in the order they are computed.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let chunk = if arch.uses_sequence() {
        order.sort_by_key(|&i| c.length_of(rows[i]));
        SEQUENCE_CHUNK
    } else {
        FLAT_CHUNK
    };
    for part in order.chunks(chunk) {
        let mut batch = Rows::with_capacity(part.len());
        for &i in part {
            batch.push(c.features_of(rows[i]), c.sequence_of(rows[i]));
        }
        let p = softmax(network.forward(&batch.inputs(arch, device)), 1);
        let p: Vec<f32> = match p.into_data().try_to_vec::<f32>() {
            Ok(p) => p,
            Err(e) => return exec_err!("reading the network's output: {e:?}"),
        };
        for (j, &i) in part.iter().enumerate() {
            out[i * k..(i + 1) * k].copy_from_slice(&p[j * k..(j + 1) * k]);
        }
    }
    Ok(out)
}
