//! Classifier evaluation as aggregates, so a model's test scores are judged in the same SQL
//! that produced them: ROC AUC, the ROC curve, background rejection at a fixed signal
//! efficiency, confusion matrix and accuracy. Definitions follow scikit-learn's, which the
//! tests compare against to 1e-9.

pub mod classes;
pub mod roc;
