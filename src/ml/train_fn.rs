//! `train_classifier('name', 'input', option => value, ...)`: trains a model on a table or
//! query, returns one row per epoch as the epochs finish, and stores the model in the
//! registry when the last epoch is done. Dropping the result early (Ctrl-C, a LIMIT) cancels
//! the training and leaves the registry as it was.

use std::path::PathBuf;
use std::sync::Arc;

use crate::arguments::{Args, Param, TableSignature};
use arrow::array::{ArrayRef, Float64Array, Float64Builder, Int64Array, ListBuilder, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{exec_err, DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlan;

use super::data::InputSpec;
use super::input::{input_plan, PlanSource};
use crate::states::States;
use super::model::{Model, ModelInfo};
use super::network::{Architecture, ModelKind};
use super::progress::Progress;
use super::registry::{self, check_name};
use super::task::{task_table, Rows as Output};
use super::train::{train, EpochReport, Observer, TrainOptions};

/// The options of `train_classifier`, also taken by `tune_classifier`.
pub(crate) const TRAIN_OPTIONS: &[Param] = &[
    ("model", "'hlf_dnn' (default: 14 features → 50 → 20 → 10 → classes), 'particle_gru' (GRU over the particle list → dropout → classes) or 'inclusive' (the GRU and the features together)."),
    ("label", "The integer class column, 0 .. classes - 1 (default 'label')."),
    ("features", "The feature columns, comma-separated (default: every floating-point column but the label)."),
    ("sequence", "The list-of-structs column of particles for the GRU models (default: the only one)."),
    ("classes", "Names of the classes in label order, comma-separated (default '0', '1', ...)."),
    ("epochs", "Passes over the training rows (default 5)."),
    ("batch_size", "Rows per optimizer step (default 128)."),
    ("learning_rate", "The optimizer's step size (default 0.001)."),
    ("optimizer", "'adam' (default), 'sgd' or 'rmsprop'."),
    ("validation", "The fraction of rows held out for validation, chosen by a hash of the seed and the row's position (default 0.1)."),
    ("seed", "Seeds the initial weights, the shuffle and the validation split (default 42)."),
    ("patience", "Stop after this many epochs without a lower validation loss, keeping the best epoch (default 0: never)."),
    ("scale", "'none' (default), 'standard' or 'minmax': feature scaling fitted on the training rows and stored with the model."),
    ("hidden", "The dense layers' sizes, comma-separated (default '50, 20, 10')."),
    ("gru_units", "The GRU's width (default 50)."),
    ("dropout", "The dropout rate after the GRU (default 0.2)."),
    ("max_length", "The most particles read per event (default 801)."),
    ("shuffle_buffer", "Rows in the streaming shuffle buffer (default 16384)."),
];

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "train_classifier",
    section: "Machine learning",
    description: "Trains a classifier on a table or query and stores it in the model registry (`SET hepfusion.model_dir`); returns one row per epoch as the epochs finish: `train_loss`, `val_loss`, `val_accuracy`, `val_auc` (one per class), `rows_per_s`, `seconds`. The input is streamed every epoch through a shuffle buffer. Dropping the result early (Ctrl-C, a LIMIT) cancels the training and leaves the registry as it was.",
    syntax: "train_classifier('name', 'table or query' [, option => value ...])",
    arguments: &[("name", "The model's name in the registry."), ("table or query", "A table name or a query whose rows are the training set.")],
    required: 2,
    options: TRAIN_OPTIONS,
    example: r#"```sql
> CREATE TABLE toy AS SELECT x / 100.0 AS f1, (x % 7) / 7.0 AS f2, CAST(x >= 50 AS INT) AS label FROM generate_series(0, 99) t(x);
> SELECT epoch, train_loss > 0 AS trained FROM train_classifier('toy_model', 'toy', classes => 'low, high', hidden => '8', epochs => 2, batch_size => 16);
+-------+---------+
| epoch | trained |
+-------+---------+
| 1     | true    |
| 2     | true    |
+-------+---------+
```"#,
};

#[derive(Debug)]
pub struct TrainClassifier {
    states: States,
}

impl TrainClassifier {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

/// Everything one training needs, resolved at planning time so that mistakes in the
/// arguments or the input's columns are planning errors.
#[derive(Clone, Debug)]
pub struct TrainingJob {
    pub name: String,
    pub query: String,
    pub input: LogicalPlan,
    pub state: SessionState,
    pub architecture: Architecture,
    pub spec: InputSpec,
    pub options: TrainOptions,
    pub classes: Option<Vec<String>>,
    pub dir: PathBuf,
}

impl TrainingJob {
    /// Reads the options `args` gives (anything absent keeps its default) for input `query`.
    pub fn from_args(function: &'static str, name: String, query: String, args: &Args, state: &SessionState) -> Result<Self> {
        check_name(&name)?;
        let input = input_plan(state, function, &query)?;
        let d = TrainOptions::default();
        let options = TrainOptions {
            epochs: args.usize("epochs")?.unwrap_or(d.epochs),
            batch_size: args.usize("batch_size")?.unwrap_or(d.batch_size),
            learning_rate: args.float("learning_rate")?.unwrap_or(d.learning_rate),
            optimizer: args.choice("optimizer")?.unwrap_or(d.optimizer),
            validation: args.float("validation")?.unwrap_or(d.validation),
            seed: args.usize("seed")?.map(|s| s as u64).unwrap_or(d.seed),
            patience: args.usize("patience")?.unwrap_or(d.patience),
            shuffle_buffer: args.usize("shuffle_buffer")?.unwrap_or(d.shuffle_buffer),
            scale: args.choice("scale")?.unwrap_or(d.scale),
        };
        options.check()?;
        let kind = args.choice("model")?.unwrap_or(ModelKind::HlfDnn);
        let label = args.string("label")?.unwrap_or_else(|| "label".into());
        let schema = input.schema().as_arrow().clone();
        let spec = InputSpec::resolve(&schema, kind, &label, args.list("features")?, args.string("sequence")?, args.usize("max_length")?)?;
        let hidden = args.string("hidden")?.map(|h| sizes(function, "hidden", &h)).transpose()?;
        let classes = args.list("classes")?;
        if classes.as_ref().is_some_and(|c| c.len() < 2) {
            return datafusion::common::plan_err!("{function}: classes must name at least two classes");
        }
        let architecture = Architecture::new(
            kind,
            spec.features.len(),
            spec.sequence_width(),
            classes.as_ref().map_or(0, Vec::len),
            hidden,
            args.usize("gru_units")?,
            args.float("dropout")?,
        )?;
        let dir = registry::model_dir(state.config_options());
        Ok(Self { name, query, input, state: state.clone(), architecture, spec, options, classes, dir })
    }

    /// Trains on a thread of its own (`training_thread`), reporting epochs to `observer`;
    /// stores the model when every epoch is done. Returns it and where it was stored.
    pub fn run(&self, source: &mut dyn super::train::Source, observer: &mut dyn Observer) -> Result<(Arc<Model>, PathBuf)> {
        let mut arch = self.architecture.clone();
        let started = std::time::SystemTime::now();
        let trained = train(&mut arch, &self.spec, &self.options, self.classes.as_ref().map(Vec::len), source, observer)?;
        let classes = self.classes.clone().unwrap_or_else(|| (0..arch.classes).map(|c| c.to_string()).collect());
        let info = ModelInfo {
            name: self.name.clone(),
            parameters: arch.parameters(),
            architecture: arch,
            input: self.spec.clone(),
            classes,
            scaler: trained.scaler,
            query: self.query.clone(),
            options: self.options.clone(),
            training_rows: trained.training_rows,
            validation_rows: trained.validation_rows,
            history: trained.history,
            best_epoch: trained.best_epoch,
            created: started.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            hepfusion_version: env!("CARGO_PKG_VERSION").to_string(),
            burn_version: super::BURN_VERSION.to_string(),
        };
        let model = Arc::new(Model::new(info, trained.network));
        let path = registry::save(&self.dir, &model)?;
        Ok((model, path))
    }

    /// A source that streams the input in a fixed order (call on the runtime).
    pub fn source(&self) -> PlanSource {
        PlanSource { state: self.state.clone(), plan: self.input.clone(), runtime: tokio::runtime::Handle::current() }
    }
}

impl TableFunctionImpl for TrainClassifier {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let state = self.states.of(args.session())?;
        let job = TrainingJob::from_args("train_classifier", a.string_at(0)?, a.string_at(1)?, &a, &state)?;
        let job = Arc::new(job);
        task_table("train_classifier", epoch_schema(), move |schema, tx| {
            let job = job.clone();
            Box::pin(async move {
                let mut source = job.source();
                let run = tokio::task::spawn_blocking(move || {
                    let mut observer = Rows { schema, tx, progress: Progress::new(&job.name) };
                    job.run(&mut source, &mut observer).map(|_| ())
                });
                run.await.map_err(|e| DataFusionError::Execution(format!("train_classifier: the training thread failed: {e}")))?
            })
        })
    }
}

pub fn epoch_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("epoch", DataType::Int64, false),
        Field::new("train_loss", DataType::Float64, false),
        Field::new("val_loss", DataType::Float64, true),
        Field::new("val_accuracy", DataType::Float64, true),
        Field::new("val_auc", DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))), false),
        Field::new("rows_per_s", DataType::Float64, false),
        Field::new("seconds", DataType::Float64, false),
    ]))
}

pub fn epoch_batch(schema: &SchemaRef, reports: &[EpochReport]) -> Result<RecordBatch> {
    let mut auc = ListBuilder::new(Float64Builder::new());
    for r in reports {
        for a in &r.val_auc {
            auc.values().append_option(*a);
        }
        auc.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(reports.iter().map(|r| r.epoch as i64))),
        Arc::new(Float64Array::from_iter_values(reports.iter().map(|r| r.train_loss))),
        Arc::new(Float64Array::from_iter(reports.iter().map(|r| r.val_loss))),
        Arc::new(Float64Array::from_iter(reports.iter().map(|r| r.val_accuracy))),
        Arc::new(auc.finish()),
        Arc::new(Float64Array::from_iter_values(reports.iter().map(|r| r.rows_per_s))),
        Arc::new(Float64Array::from_iter_values(reports.iter().map(|r| r.seconds))),
    ];
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Sends each epoch's row to the query's output; a closed output means the query was
/// cancelled, which stops the training.
struct Rows {
    schema: SchemaRef,
    tx: Output,
    progress: Progress,
}

impl Observer for Rows {
    fn started(&mut self, training_rows: u64, epochs: usize) {
        self.progress.start(training_rows, epochs);
    }

    fn batch(&mut self, epoch: usize, rows: u64, mean_loss: f64) -> Result<()> {
        if self.tx.is_closed() {
            return exec_err!("train_classifier: cancelled; the model registry is unchanged");
        }
        self.progress.batch(epoch, rows, mean_loss);
        Ok(())
    }

    fn epoch(&mut self, report: &EpochReport) -> Result<()> {
        self.progress.epoch_done(report);
        let batch = epoch_batch(&self.schema, std::slice::from_ref(report))?;
        if self.tx.blocking_send(Ok(batch)).is_err() {
            return exec_err!("train_classifier: cancelled; the model registry is unchanged");
        }
        Ok(())
    }
}

/// `'50, 20, 10'` → `[50, 20, 10]`.
pub(crate) fn sizes(function: &str, key: &str, s: &str) -> Result<Vec<usize>> {
    crate::arguments::split_list(s, ',')
        .iter()
        .map(|p| p.parse::<usize>().map_err(|_| datafusion::error::DataFusionError::Plan(format!("{function}: option {key}: '{p}' is not a layer size (expected e.g. '50, 20, 10')"))))
        .collect()
}
