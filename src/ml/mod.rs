//! Machine learning as SQL: classifiers trained, stored, applied and evaluated by table
//! functions, on burn's pure-Rust CPU backend.
//!
//! - [`network`] and [`gru`]: the SparkDLTrigger models (`hlf_dnn`, `particle_gru`,
//!   `inclusive`) with a fused GRU over packed sequences;
//! - [`data`]: Arrow batches → network inputs, with the checks that name column and row;
//! - [`train`]: the streaming training loop (shuffle buffer, validation,
//!   early stopping);
//! - [`inference`]: class probabilities of a network, for `predict` and validation;
//! - [`model`] and [`registry`]: trained models and their atomic, checksummed files;
//! - the SQL surface: [`train_fn`] (`train_classifier`), [`predict_fn`] (`predict`,
//!   `predict_proba`), [`models_fn`] (`models`, `drop_model`), [`tune`] (`tune_classifier`),
//!   [`plot`] (`plot_lines`).
//!
//! The evaluation aggregates (`roc_auc`, `roc_curve`, `confusion_matrix`, `fpr_at_tpr`,
//! `accuracy`) live in `hepfusion-udfs`, usable without this module.

/// The start of the documented examples of the functions that need a trained model: a toy
/// table and a model trained on it (each example runs on its own, as a reader would run it).
macro_rules! toy_model_example {
    () => {
        r#"> CREATE TABLE toy AS SELECT x / 100.0 AS f1, (x % 7) / 7.0 AS f2, CAST(x >= 50 AS INT) AS label FROM generate_series(0, 99) t(x);
> SELECT count(*) AS epochs FROM train_classifier('toy_model', 'toy', classes => 'low, high', hidden => '8', epochs => 2, batch_size => 16);
+--------+
| epochs |
+--------+
| 2      |
+--------+
"#
    };
}

pub mod data;
pub mod external;
pub mod gru;
pub mod inference;
pub mod input;
pub mod model;
pub mod models_fn;
pub mod network;
pub mod plot;
pub mod predict_fn;
pub mod progress;
pub mod registry;
pub mod scaler;
pub mod task;
pub mod train;
pub mod train_fn;
pub mod tune;

use std::sync::Arc;

use crate::states::TableFunctionEntry;

/// The ML table functions.
pub static TABLE_FUNCTIONS: [TableFunctionEntry; 6] = [
    (&train_fn::SIGNATURE, |states| Arc::new(train_fn::TrainClassifier::new(states.clone()))),
    (&predict_fn::SIGNATURE, |states| Arc::new(predict_fn::Predict::new(states.clone()))),
    (&models_fn::MODELS, |_| Arc::new(models_fn::Models)),
    (&models_fn::DROP_MODEL, |_| Arc::new(models_fn::DropModel)),
    (&tune::SIGNATURE, |states| Arc::new(tune::TuneClassifier::new(states.clone()))),
    (&plot::SIGNATURE, |states| Arc::new(plot::PlotLines::new(states.clone()))),
];

/// Written into every model file; a file from another burn is refused rather than misread.
pub const BURN_VERSION: &str = "0.22.1";

/// Those of the table functions that read an input (a table name or a query argument), which
/// an [`external::ExternalInputs`] in the session's config can plan and run instead of us.
pub const INPUT_FUNCTIONS: &[&str] = &["train_classifier", "predict", "tune_classifier", "plot_lines"];

pub fn describe_epoch(r: &train::EpochReport) -> String {
    let mut s = format!("epoch {:>3}  loss {:.4}", r.epoch, r.train_loss);
    if let (Some(l), Some(a)) = (r.val_loss, r.val_accuracy) {
        s += &format!("  val_loss {l:.4}  val_acc {a:.4}");
    }
    if !r.val_auc.is_empty() {
        let aucs: Vec<String> = r.val_auc.iter().map(|a| a.map_or("-".into(), |a| format!("{a:.4}"))).collect();
        s += &format!("  val_auc [{}]", aucs.join(", "));
    }
    s + &format!("  {:.0} rows/s", r.rows_per_s)
}
