//! `tune_classifier('input', model => 'hlf_dnn', hidden => '50,20,10; 100,50,20',
//! batch_size => '64, 128', learning_rate => '0.001, 0.0005', epochs => '5, 10', ...)`: a grid
//! search. Every combination of the listed values is trained on the same rows with the same
//! held-out validation rows; trials run in parallel, one per core. Returns one row per trial,
//! best mean validation AUC first. Nothing is stored: train the chosen one with
//! `train_classifier`.
//!
//! The input is read once into memory (grid searches run on samples; the SparkDLTrigger
//! search used 2% of the data).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, Float64Array, Float64Builder, Int64Array, ListBuilder, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion::physical_plan::{collect, ExecutionPlan};

use crate::arguments::{split_list, Args, TableSignature};
use crate::states::States;
use super::network::Architecture;
use super::task::{task_table, Rows};
use super::train::{train, EpochReport, Observer, Source};
use super::train_fn::{sizes, TrainingJob, TRAIN_OPTIONS};

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "tune_classifier",
    section: "Machine learning",
    description: "Grid search: trains a model for every combination of the candidate values of `hidden` (`;`-separated sizes), `gru_units`, `batch_size`, `learning_rate` and `epochs` (`,`-separated), with every other `train_classifier` option fixed; trials run in parallel, one per core. One row per trial, the best mean validation AUC first. Nothing is stored in the registry.",
    syntax: "tune_classifier('table or query', hidden => '50,20,10; 100,50,20', batch_size => '64, 128', learning_rate => '0.001, 0.0005' [, gru_units => '25, 50', epochs => '5, 10', any train_classifier option])",
    arguments: &[("table or query", "A table name or a query whose rows are the training set.")],
    required: 1,
    options: TRAIN_OPTIONS,
    example: r#"```sql
> CREATE TABLE toy AS SELECT x / 100.0 AS f1, (x % 7) / 7.0 AS f2, CAST(x >= 50 AS INT) AS label FROM generate_series(0, 99) t(x);
> SELECT hidden, batch_size FROM tune_classifier('toy', classes => 'low, high', hidden => '4; 8', batch_size => '16', epochs => '1') ORDER BY hidden;
+--------+------------+
| hidden | batch_size |
+--------+------------+
| 4      | 16         |
| 8      | 16         |
+--------+------------+
```"#,
};

/// The options that take a list of candidate values.
const GRID: &[&str] = &["hidden", "gru_units", "batch_size", "learning_rate", "epochs"];

#[derive(Debug)]
pub struct TuneClassifier {
    states: States,
}

impl TuneClassifier {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

#[derive(Clone, Debug)]
struct Trial {
    hidden: Vec<usize>,
    gru_units: usize,
    batch_size: usize,
    learning_rate: f64,
    epochs: usize,
}

fn candidates(a: &Args, key: &str) -> Result<Option<Vec<String>>> {
    Ok(match a.raw(key) {
        None => None,
        Some(v) => match v.try_as_str() {
            Some(Some(s)) => Some(split_list(s, if key == "hidden" { ';' } else { ',' })),
            _ if !matches!(v, ScalarValue::Null) => Some(vec![v.to_string()]),
            _ => return plan_err!("tune_classifier: option {key} is NULL"),
        },
    })
}

fn parse_all<T: std::str::FromStr>(key: &str, values: Vec<String>) -> Result<Vec<T>> {
    values
        .iter()
        .map(|v| v.parse::<T>().map_err(|_| DataFusionError::Plan(format!("tune_classifier: option {key}: '{v}' is not a valid value"))))
        .collect()
}

impl TableFunctionImpl for TuneClassifier {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let state = self.states.of(args.session())?;
        // The options outside the grid, checked by the same code as train_classifier's; the
        // grid values are read below.
        let fixed = Args::parse(&SIGNATURE, &without(args.exprs(), GRID))?;
        let job = TrainingJob::from_args("tune_classifier", "tuning".into(), a.string_at(0)?, &fixed, &state)?;
        let base = &job.architecture;
        let hidden: Vec<Vec<usize>> = match candidates(&a, "hidden")? {
            Some(h) => h.iter().map(|s| sizes("tune_classifier", "hidden", s)).collect::<Result<_>>()?,
            None => vec![base.hidden.clone()],
        };
        let gru: Vec<usize> = candidates(&a, "gru_units")?.map(|v| parse_all("gru_units", v)).transpose()?.unwrap_or(vec![base.gru_units]);
        let batch: Vec<usize> = candidates(&a, "batch_size")?.map(|v| parse_all("batch_size", v)).transpose()?.unwrap_or(vec![job.options.batch_size]);
        let rates: Vec<f64> = candidates(&a, "learning_rate")?.map(|v| parse_all("learning_rate", v)).transpose()?.unwrap_or(vec![job.options.learning_rate]);
        let epochs: Vec<usize> = candidates(&a, "epochs")?.map(|v| parse_all("epochs", v)).transpose()?.unwrap_or(vec![job.options.epochs]);
        let mut trials = Vec::new();
        for h in &hidden {
            for &g in &gru {
                for &b in &batch {
                    for &lr in &rates {
                        for &e in &epochs {
                            trials.push(Trial { hidden: h.clone(), gru_units: g, batch_size: b, learning_rate: lr, epochs: e });
                        }
                    }
                }
            }
        }
        if trials.iter().any(|t| t.batch_size == 0 || t.epochs == 0 || !(t.learning_rate > 0.0) || t.hidden.contains(&0) || (base.uses_sequence() && t.gru_units == 0)) {
            return plan_err!("tune_classifier: sizes, batch sizes, epochs and learning rates must be positive");
        }
        if job.options.validation == 0.0 {
            return plan_err!("tune_classifier ranks trials on validation rows: validation must be above 0");
        }
        let (job, trials) = (Arc::new(job), Arc::new(trials));
        task_table("tune_classifier", trial_schema(), move |schema, tx| {
            let (job, trials) = (job.clone(), trials.clone());
            Box::pin(async move {
                let plan: Arc<dyn ExecutionPlan> = super::input::ordered_physical_plan(&job.state, &job.input).await?;
                let data = Arc::new(collect(plan, job.state.task_ctx()).await?);
                let (batch, tx) = tokio::task::spawn_blocking(move || run(&job, &trials, data, &tx, &schema).map(|b| (b, tx)))
                    .await
                    .map_err(|e| DataFusionError::Execution(format!("tune_classifier: a trial thread failed: {e}")))??;
                let _ = tx.send(Ok(batch)).await;
                Ok(())
            })
        })
    }
}

/// `exprs` without the named arguments in `keys`.
fn without(exprs: &[datafusion::logical_expr::Expr], keys: &[&str]) -> Vec<datafusion::logical_expr::Expr> {
    use datafusion::logical_expr::Expr;
    exprs
        .iter()
        .filter(|e| !matches!(e, Expr::Literal(ScalarValue::Struct(s), _) if s.num_columns() == 1 && keys.contains(&s.fields()[0].name().as_str())))
        .cloned()
        .collect()
}

fn trial_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("trial", DataType::Int64, false),
        Field::new("hidden", DataType::Utf8, false),
        Field::new("gru_units", DataType::Int64, false),
        Field::new("batch_size", DataType::Int64, false),
        Field::new("learning_rate", DataType::Float64, false),
        Field::new("epochs", DataType::Int64, false),
        Field::new("mean_val_auc", DataType::Float64, true),
        Field::new("val_auc", DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))), false),
        Field::new("val_loss", DataType::Float64, true),
        Field::new("val_accuracy", DataType::Float64, true),
        Field::new("seconds", DataType::Float64, false),
    ]))
}

struct Memory(Arc<Vec<RecordBatch>>);

impl Source for Memory {
    fn pass(&mut self, f: &mut dyn FnMut(&RecordBatch) -> Result<()>) -> Result<()> {
        self.0.iter().filter(|b| b.num_rows() > 0).try_for_each(f)
    }
}

/// Stops a trial when the query is cancelled.
struct Quiet<'a>(&'a Rows);

impl Observer for Quiet<'_> {
    fn started(&mut self, _: u64, _: usize) {}

    fn batch(&mut self, _: usize, _: u64, _: f64) -> Result<()> {
        if self.0.is_closed() {
            return exec_err!("tune_classifier: cancelled");
        }
        Ok(())
    }

    fn epoch(&mut self, _: &EpochReport) -> Result<()> {
        Ok(())
    }
}

type Outcome = (EpochReport, f64);

fn run(job: &TrainingJob, trials: &[Trial], data: Arc<Vec<RecordBatch>>, tx: &Rows, schema: &SchemaRef) -> Result<RecordBatch> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Outcome>>>> = Mutex::new((0..trials.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(trials.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = trials.get(i) else { break };
                let started = std::time::Instant::now();
                let mut arch: Architecture = job.architecture.clone();
                arch.hidden = t.hidden.clone();
                if arch.uses_sequence() {
                    arch.gru_units = t.gru_units;
                }
                let mut options = job.options.clone();
                options.batch_size = t.batch_size;
                options.learning_rate = t.learning_rate;
                options.epochs = t.epochs;
                let outcome = train(&mut arch, &job.spec, &options, job.classes.as_ref().map(Vec::len), &mut Memory(data.clone()), &mut Quiet(tx)).and_then(|trained| {
                    match trained.history.iter().find(|h| h.epoch == trained.best_epoch) {
                        Some(h) => Ok((h.clone(), started.elapsed().as_secs_f64())),
                        None => exec_err!("tune_classifier: trial {} trained no epoch", i + 1),
                    }
                });
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
            });
        }
    });
    let results = results.into_inner().map_err(|_| DataFusionError::Execution("tune_classifier: a trial panicked".into()))?;
    let mut rows: Vec<(usize, Outcome)> = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok(o)) => rows.push((i, o)),
            Some(Err(e)) => return Err(e),
            None => return exec_err!("tune_classifier: trial {} did not run", i + 1),
        }
    }
    let mean = |r: &EpochReport| {
        let v: Vec<f64> = r.val_auc.iter().flatten().copied().collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    rows.sort_by(|a, b| mean(&b.1 .0).unwrap_or(f64::NEG_INFINITY).total_cmp(&mean(&a.1 .0).unwrap_or(f64::NEG_INFINITY)).then(a.0.cmp(&b.0)));
    let mut auc = ListBuilder::new(Float64Builder::new());
    for (_, (r, _)) in &rows {
        r.val_auc.iter().for_each(|a| auc.values().append_option(*a));
        auc.append(true);
    }
    let t = |i: usize| &trials[i];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(i, _)| *i as i64 + 1))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(i, _)| t(*i).hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(i, _)| if job.architecture.uses_sequence() { t(*i).gru_units as i64 } else { 0 }))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(i, _)| t(*i).batch_size as i64))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(i, _)| t(*i).learning_rate))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(i, _)| t(*i).epochs as i64))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|(_, (r, _))| mean(r)))),
        Arc::new(auc.finish()),
        Arc::new(Float64Array::from_iter(rows.iter().map(|(_, (r, _))| r.val_loss))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|(_, (r, _))| r.val_accuracy))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, (_, s))| *s))),
    ];
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
