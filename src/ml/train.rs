//! The training loop behind `train_classifier`.
//!
//! The input is streamed once per epoch (plus once for the validation rows, and once before
//! the first epoch to count rows and classes and fit the scaler), so memory is bounded by the
//! shuffle buffer, not by the data. Rows are held out for validation by a hash of the seed and
//! the row's position in the stream, so the split is the same every epoch and every run.
//! Batches are drawn at random from the shuffle buffer; a sequence model costs the real
//! elements of each batch (the GRU packs its sequences), so nothing is gained by grouping
//! rows of similar length into batches, which would make batches less random (measured:
//! classes of different multiplicities end up in different batches, and the AUC drops).

use burn::module::Module;
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::{AdamConfig, GradientsParams, RmsPropConfig, SgdConfig};
use burn::prelude::*;
use datafusion::common::{exec_err, plan_err, DataFusionError, Result};
use hepfusion_udfs::metrics::roc::roc_auc;
use hepfusion_udfs::sampling::splitmix64;
use serde::{Deserialize, Serialize};

use super::data::{Columns, InputSpec, Rows};
use super::inference::probabilities;
use super::network::{Architecture, Network};
use super::scaler::{Scaler, Scaling, Statistics};
use crate::arguments::Choice;

/// The knobs of one training, with Keras' defaults where the spec has none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub optimizer: Optimizer,
    /// Fraction of the rows held out to validate after each epoch (0 for none).
    pub validation: f64,
    pub seed: u64,
    /// Stop after this many epochs without a lower validation loss and keep the best
    /// epoch's weights; 0 trains every epoch.
    pub patience: usize,
    /// Rows held in the shuffle buffer.
    pub shuffle_buffer: usize,
    /// Fitted on the training rows.
    pub scale: Scaling,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 5,
            batch_size: 128,
            learning_rate: 1e-3,
            optimizer: Optimizer::Adam,
            validation: 0.1,
            seed: 42,
            patience: 0,
            shuffle_buffer: 16384,
            scale: Scaling::None,
        }
    }
}

impl TrainOptions {
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 || self.batch_size == 0 || self.shuffle_buffer == 0 {
            return plan_err!("epochs, batch_size and shuffle_buffer must be positive");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return plan_err!("learning_rate must be a positive number, got {}", self.learning_rate);
        }
        if !(0.0..1.0).contains(&self.validation) {
            return plan_err!("validation must be a fraction in [0, 1), got {}", self.validation);
        }
        Ok(())
    }
}

/// The optimizer of a training, as Keras names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    Adam,
    Sgd,
    RmsProp,
}

impl Choice for Optimizer {
    const CHOICES: &'static [(&'static str, Self)] = &[("adam", Self::Adam), ("sgd", Self::Sgd), ("rmsprop", Self::RmsProp)];
}

/// One row of `train_classifier`'s output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// One-vs-rest AUC per class on the validation rows.
    pub val_auc: Vec<Option<f64>>,
    pub rows_per_s: f64,
    pub seconds: f64,
}

/// Streams the training input: calls `f` with every record batch, in the same order on every
/// pass.
pub trait Source {
    fn pass(&mut self, f: &mut dyn FnMut(&arrow::record_batch::RecordBatch) -> Result<()>) -> Result<()>;
}

/// Where the loop reports to; `Err` from either method stops the training (a cancelled query).
pub trait Observer {
    fn started(&mut self, training_rows: u64, epochs: usize);
    fn batch(&mut self, epoch: usize, rows: u64, mean_loss: f64) -> Result<()>;
    fn epoch(&mut self, report: &EpochReport) -> Result<()>;
}

pub struct Trained {
    pub network: Network,
    pub scaler: Option<Scaler>,
    pub training_rows: u64,
    pub validation_rows: u64,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
}

static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Numbers of the held-out rows: the same for every pass and run with one seed.
fn is_validation(seed: u64, ordinal: u64, fraction: f64) -> bool {
    fraction > 0.0 && (splitmix64(seed ^ splitmix64(ordinal)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < fraction
}

/// A seeded stream of random numbers for the shuffle buffer and the batch order.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) as u128 * n as u128 >> 53) as usize
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

struct Example {
    features: Box<[f32]>,
    sequence: Box<[f32]>,
    label: u32,
}

/// The first pass: how many rows train and validate, the classes present, the scaler.
struct Census {
    training_rows: u64,
    validation_rows: u64,
    max_label: Option<u32>,
    /// How many distinct labels the training rows have (up to 2: enough to tell).
    distinct_labels: usize,
    scaler: Option<Scaler>,
}

fn census(source: &mut dyn Source, spec: &InputSpec, options: &TrainOptions, classes: Option<usize>) -> Result<Census> {
    let mut stats = match options.scale {
        Scaling::None => None,
        m => Some(Statistics::new(m, spec.features.len(), spec.sequence_width())),
    };
    let mut c = Census { training_rows: 0, validation_rows: 0, max_label: None, distinct_labels: 0, scaler: None };
    let mut first_label = None;
    let mut ordinal = 0u64;
    source.pass(&mut |batch| {
        let cols = Columns::decode(batch, spec, Some(classes.unwrap_or(u32::MAX as usize)), ordinal, None)?;
        let labels = cols.labels.as_deref().unwrap_or_default();
        let mut keep = Vec::with_capacity(cols.rows);
        for (r, &l) in labels.iter().enumerate() {
            if is_validation(options.seed, ordinal + r as u64, options.validation) {
                c.validation_rows += 1;
            } else {
                c.training_rows += 1;
                c.max_label = c.max_label.max(Some(l));
                match first_label {
                    None => (first_label, c.distinct_labels) = (Some(l), 1),
                    Some(f) if f != l => c.distinct_labels = 2,
                    _ => {}
                }
                keep.push(r);
            }
        }
        if let Some(s) = stats.as_mut() {
            keep.iter().for_each(|&r| s.add(cols.features_of(r), cols.sequence_of(r)));
        }
        ordinal += cols.rows as u64;
        Ok(())
    })?;
    c.scaler = stats.map(|s| s.finish());
    Ok(c)
}

/// Trains `arch` on `source`. `classes` is the number of class names given by the user, if
/// any; otherwise the labels present decide (`arch.classes` is then overwritten).
pub fn train(arch: &mut Architecture, spec: &InputSpec, options: &TrainOptions, classes: Option<usize>, source: &mut dyn Source, observer: &mut dyn Observer) -> Result<Trained> {
    options.check()?;
    let census = census(source, spec, options, classes)?;
    let Some(max_label) = census.max_label else {
        return plan_err!("the training input has no rows (after holding out {} for validation)", census.validation_rows);
    };
    arch.classes = classes.unwrap_or(max_label as usize + 1);
    if census.distinct_labels < 2 {
        return plan_err!("the training rows all have label {max_label}; a classifier needs at least two classes");
    }
    observer.started(census.training_rows, options.epochs);

    let device = Device::flex().autodiff();
    let mut network = {
        // flex's random generator is global: seeding and initialising under one lock gives
        // the same weights when trainings run side by side (tune_classifier).
        let _one_at_a_time = INIT.lock().unwrap_or_else(|e| e.into_inner());
        device.seed(options.seed);
        let network = arch.init(&device);
        // Parameters are initialised lazily, on first use: draw them now, under the lock
        // (clones share the initialisation, so reading a clone's values is enough).
        let _ = network.clone().into_record();
        network
    };
    let mut optim = match options.optimizer {
        // Keras' epsilon, so that both frameworks take the same steps.
        Optimizer::Adam => AdamConfig::new().with_epsilon(1e-7).init(),
        Optimizer::RmsProp => RmsPropConfig::new().with_epsilon(1e-7).init(),
        Optimizer::Sgd => SgdConfig::new().init(),
    };
    let loss_fn = CrossEntropyLoss::new(None, &device);
    let mut history: Vec<EpochReport> = Vec::new();
    let mut early_stopping = EarlyStopping::new(options.patience);

    for epoch in 1..=options.epochs {
        let started = std::time::Instant::now();
        let mut rng = Rng(options.seed ^ splitmix64(epoch as u64));
        let mut dropout_rng = Rng(splitmix64(options.seed) ^ splitmix64(epoch as u64));
        let mut buffer: Vec<Example> = Vec::with_capacity(options.shuffle_buffer.min(1 << 20));
        let mut pool: Vec<Example> = Vec::with_capacity(options.batch_size);
        let (mut loss_sum, mut seen) = (0.0f64, 0u64);
        let mut ordinal = 0u64;

        let mut step = |batch: &[Example], network: Network, observer: &mut dyn Observer| -> Result<Network> {
            let mut rows = Rows::with_capacity(batch.len());
            for e in batch {
                rows.push(&e.features, &e.sequence);
            }
            let labels: Vec<i64> = batch.iter().map(|e| e.label as i64).collect();
            let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch.len()]), &device);
            let mut inputs = rows.inputs(arch, &device);
            if arch.uses_sequence() && arch.dropout > 0.0 {
                let mut mask = |n: usize| -> Tensor<2> {
                    let keep = 1.0 / (1.0 - arch.dropout) as f32;
                    let m: Vec<f32> = (0..batch.len() * n).map(|_| if dropout_rng.uniform() < arch.dropout { 0.0 } else { keep }).collect();
                    Tensor::<2>::from_data(TensorData::new(m, [batch.len(), n]), &device)
                };
                inputs.dropout = Some((mask(arch.gru_units), mask(arch.features.max(1))));
            }
            let loss = loss_fn.forward(network.forward(&inputs), targets);
            let value = loss.clone().into_scalar::<f32>() as f64;
            if !value.is_finite() {
                return exec_err!("the training loss became {value} in epoch {epoch}; lower the learning rate or scale the features (scale => 'standard')");
            }
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            let network = optim.step(options.learning_rate, network, grads);
            loss_sum += value * batch.len() as f64;
            seen += batch.len() as u64;
            observer.batch(epoch, seen, loss_sum / seen as f64)?;
            Ok(network)
        };
        let mut drain_pool = |pool: &mut Vec<Example>, network: Network, observer: &mut dyn Observer| -> Result<Network> {
            let network = step(pool, network, observer)?;
            pool.clear();
            Ok(network)
        };

        let mut net = Some(network);
        source.pass(&mut |batch| {
            let cols = Columns::decode(batch, spec, Some(arch.classes), ordinal, census.scaler.as_ref())?;
            let labels = cols.labels.as_deref().unwrap_or_default();
            for (r, &label) in labels.iter().enumerate() {
                if is_validation(options.seed, ordinal + r as u64, options.validation) {
                    continue;
                }
                let e = Example { features: cols.features_of(r).into(), sequence: cols.sequence_of(r).into(), label };
                let out = if buffer.len() < options.shuffle_buffer {
                    buffer.push(e);
                    continue;
                } else {
                    let j = rng.below(buffer.len());
                    std::mem::replace(&mut buffer[j], e)
                };
                pool.push(out);
                if pool.len() == options.batch_size {
                    let n = net.take().ok_or_else(|| DataFusionError::Internal("training lost its network".into()))?;
                    net = Some(drain_pool(&mut pool, n, observer)?);
                }
            }
            ordinal += cols.rows as u64;
            Ok(())
        })?;
        let mut network_now = net.take().ok_or_else(|| DataFusionError::Internal("training lost its network".into()))?;
        // The rest of the buffer, in random order.
        for i in (1..buffer.len()).rev() {
            buffer.swap(i, rng.below(i + 1));
        }
        for e in buffer.drain(..) {
            pool.push(e);
            if pool.len() == options.batch_size {
                network_now = drain_pool(&mut pool, network_now, observer)?;
            }
        }
        if !pool.is_empty() {
            network_now = drain_pool(&mut pool, network_now, observer)?;
        }
        network = network_now;
        let train_seconds = started.elapsed().as_secs_f64();

        let (val_loss, val_accuracy, val_auc) = if census.validation_rows > 0 {
            let (l, a, auc) = validate(&network.valid(), arch, spec, options, census.scaler.as_ref(), source)?;
            (Some(l), Some(a), auc)
        } else {
            (None, None, vec![])
        };
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / seen.max(1) as f64,
            val_loss,
            val_accuracy,
            val_auc,
            rows_per_s: seen as f64 / train_seconds.max(1e-9),
            seconds: started.elapsed().as_secs_f64(),
        };
        observer.epoch(&report)?;
        history.push(report);

        if early_stopping.stop_after(val_loss.unwrap_or(loss_sum / seen.max(1) as f64), epoch, &network) {
            break;
        }
    }
    let (network, best_epoch) = early_stopping.best().unwrap_or((network, history.len()));
    Ok(Trained {
        network: network.valid(),
        scaler: census.scaler,
        training_rows: census.training_rows,
        validation_rows: census.validation_rows,
        history,
        best_epoch,
    })
}

/// Early stopping on a loss (the validation loss, or the training loss without validation
/// rows), as Keras' `EarlyStopping(patience, restore_best_weights=True)`: stop once `patience`
/// epochs have passed without a lower loss, and keep the best epoch's weights. A patience of 0
/// never stops and keeps the last weights.
struct EarlyStopping<N> {
    patience: usize,
    best: Option<(f64, usize, N)>,
}

impl<N: Clone> EarlyStopping<N> {
    fn new(patience: usize) -> Self {
        Self { patience, best: None }
    }

    /// Notes epoch `epoch`'s loss and weights; true when training should stop.
    fn stop_after(&mut self, loss: f64, epoch: usize, weights: &N) -> bool {
        if self.patience == 0 {
            return false;
        }
        if self.best.as_ref().is_none_or(|(best, _, _)| loss < *best) {
            self.best = Some((loss, epoch, weights.clone()));
            return false;
        }
        self.best.as_ref().is_some_and(|(_, best_epoch, _)| epoch - best_epoch >= self.patience)
    }

    /// The kept weights and their epoch, when stopping early is on.
    fn best(self) -> Option<(N, usize)> {
        self.best.map(|(_, epoch, weights)| (weights, epoch))
    }
}

/// Mean cross-entropy, accuracy and per-class AUC of `network` on the validation rows.
fn validate(network: &Network, arch: &Architecture, spec: &InputSpec, options: &TrainOptions, scaler: Option<&Scaler>, source: &mut dyn Source) -> Result<(f64, f64, Vec<Option<f64>>)> {
    let device = Device::flex();
    let k = arch.classes;
    let (mut scores, mut labels) = (Vec::<f32>::new(), Vec::<u32>::new());
    let mut ordinal = 0u64;
    source.pass(&mut |batch| {
        let cols = Columns::decode(batch, spec, Some(k), ordinal, scaler)?;
        let rows: Vec<usize> = (0..cols.rows).filter(|&r| is_validation(options.seed, ordinal + r as u64, options.validation)).collect();
        scores.extend(probabilities(network, arch, &cols, &rows, &device)?);
        let all = cols.labels.as_deref().unwrap_or_default();
        labels.extend(rows.iter().map(|&r| all[r]));
        ordinal += cols.rows as u64;
        Ok(())
    })?;
    let n = labels.len().max(1) as f64;
    let mut loss = 0.0;
    let mut correct = 0usize;
    for (i, &l) in labels.iter().enumerate() {
        let p = &scores[i * k..(i + 1) * k];
        loss -= (p[l as usize] as f64).max(1e-12).ln();
        let argmax = (0..k).fold(0, |b, j| if p[j] > p[b] { j } else { b });
        correct += usize::from(argmax == l as usize);
    }
    let auc = (0..k)
        .map(|c| {
            let s: Vec<f64> = (0..labels.len()).map(|i| scores[i * k + c] as f64).collect();
            let pos: Vec<bool> = labels.iter().map(|&l| l as usize == c).collect();
            roc_auc(&s, &pos)
        })
        .collect();
    Ok((loss / n, correct as f64 / n, auc))
}

#[cfg(test)]
mod tests {
    use super::EarlyStopping;

    /// Losses per epoch; the epoch training stops after, and the kept epoch.
    fn run(patience: usize, losses: &[f64]) -> (usize, Option<usize>) {
        let mut stopping = EarlyStopping::new(patience);
        let mut last = 0;
        for (i, &loss) in losses.iter().enumerate() {
            last = i + 1;
            if stopping.stop_after(loss, last, &format!("weights of epoch {last}")) {
                break;
            }
        }
        let kept = stopping.best().map(|(weights, epoch)| {
            assert_eq!(weights, format!("weights of epoch {epoch}"));
            epoch
        });
        (last, kept)
    }

    #[test]
    fn stops_after_patience_epochs_without_a_lower_loss_and_keeps_the_best() {
        assert_eq!(run(2, &[1.0, 0.8, 0.9, 0.85, 0.7]), (4, Some(2)));
        assert_eq!(run(1, &[1.0, 0.8, 0.9, 0.5]), (3, Some(2)));
        // An equal loss is no improvement.
        assert_eq!(run(1, &[1.0, 1.0]), (2, Some(1)));
        // Improving to the end: every epoch runs, the last is kept.
        assert_eq!(run(3, &[3.0, 2.0, 1.0]), (3, Some(3)));
    }

    #[test]
    fn patience_0_never_stops_and_keeps_no_epoch_of_its_own() {
        assert_eq!(run(0, &[1.0, 2.0, 3.0, 4.0]), (4, None));
    }
}
