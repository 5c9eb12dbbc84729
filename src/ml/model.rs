//! A trained classifier: its description (what the registry lists and `predict` checks the
//! input against) and its network.

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use datafusion::common::{exec_err, Result};
use serde::{Deserialize, Serialize};

use super::data::{Columns, InputSpec};
use super::inference::probabilities;
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
