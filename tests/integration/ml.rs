//! The ML table functions end to end: train_classifier, predict, predict_proba, models,
//! drop_model, tune_classifier and plot_lines on a small synthetic dataset written as Parquet;
//! determinism, independence from padding, and every bad input the issue names.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float32Array, Float64Array, Int32Array, ListArray, RecordBatch, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Schema};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

/// Three classes; class c shifts both high-level features and a third of the particles, so
/// that both kinds of model learn something in a few epochs.
fn dataset(rows: usize, seed: u64) -> RecordBatch {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32
    };
    let mut labels = vec![];
    let (mut a, mut b) = (vec![], vec![]);
    let (mut px, mut py, mut offsets) = (vec![], vec![], vec![0i32]);
    for i in 0..rows {
        let c = (i % 3) as i32;
        labels.push(c);
        a.push(c as f32 * 0.8 + uniform() * 2.0);
        b.push(uniform() * 3.0 - (c == 2) as i32 as f32);
        let n = 2 + (uniform() * 6.0) as usize + c as usize;
        for _ in 0..n {
            let marked = c > 0 && uniform() < 0.4;
            px.push(uniform() + if marked { c as f32 } else { 0.0 });
            py.push(uniform() * 2.0 - 1.0);
        }
        offsets.push(px.len() as i32);
    }
    let fields = Fields::from(vec![Field::new("px", DataType::Float32, false), Field::new("py", DataType::Float32, false)]);
    let structs = StructArray::new(fields.clone(), vec![Arc::new(Float32Array::from(px)), Arc::new(Float32Array::from(py))], None);
    let item = Arc::new(Field::new_list_field(DataType::Struct(fields), false));
    let particles = ListArray::new(item, OffsetBuffer::new(offsets.into()), Arc::new(structs), None);
    let schema = Schema::new(vec![
        Field::new("label", DataType::Int32, false),
        Field::new("a", DataType::Float32, false),
        Field::new("b", DataType::Float64, false),
        Field::new("particles", particles.data_type().clone(), false),
    ]);
    let b64: Vec<f64> = b.iter().map(|&x| x as f64).collect();
    RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int32Array::from(labels)), Arc::new(Float32Array::from(a)), Arc::new(Float64Array::from(b64)), Arc::new(particles)],
    )
    .unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    ctx: SessionContext,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let ctx = hepfusion::new_context().unwrap();
    for (name, rows, seed) in [("train", 900, 1), ("test", 300, 2)] {
        let df = ctx.read_batch(dataset(rows, seed)).unwrap();
        df.write_parquet(root.join(format!("{name}.parquet")).to_str().unwrap(), Default::default(), None).await.unwrap();
    }
    let f = Fixture { _dir: dir, root: root.clone(), ctx };
    run(&f.ctx, &format!("SET hepfusion.model_dir = '{}'", root.join("models").display())).await;
    for name in ["train", "test"] {
        run(&f.ctx, &format!("CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{}'", root.join(format!("{name}.parquet")).display())).await;
    }
    f
}

async fn run(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    let df = hepfusion_udfs::sql::sql(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    df.collect().await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn error(ctx: &SessionContext, sql: &str) -> String {
    match hepfusion_udfs::sql::sql(ctx, sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{sql} should fail"),
        },
    }
}

fn f64s(batches: &[RecordBatch], column: &str) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| {
            let c = datafusion::arrow::compute::cast(b.column_by_name(column).unwrap(), &DataType::Float64).unwrap();
            c.as_primitive::<Float64Type>().values().to_vec()
        })
        .collect()
}

const TRAIN_HLF: &str = "SELECT * FROM train_classifier('hlf', 'train', model => 'hlf_dnn', features => 'a, b', classes => 'x, y, z', \
    epochs => 8, batch_size => 32, learning_rate => 0.01, validation => 0.2, seed => 3)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn train_predict_evaluate_hlf_dnn() {
    let f = fixture().await;
    let history = run(&f.ctx, TRAIN_HLF).await;
    let loss = f64s(&history, "train_loss");
    assert_eq!(loss.len(), 8, "one row per epoch");
    assert!(loss[7] < loss[0] * 0.9, "the loss falls: {loss:?}");
    let acc = f64s(&history, "val_accuracy");
    assert!(acc[7] > 0.5, "validation accuracy above chance (1/3): {acc:?}");
    let auc = history.last().unwrap().column_by_name("val_auc").unwrap().as_list::<i32>().value(0);
    assert_eq!(auc.len(), 3, "one AUC per class");

    // The registry lists the model with its classes and features.
    let models = run(&f.ctx, "SELECT name, model, classes, features, parameters, epochs, error FROM models()").await;
    let m = &models[0];
    assert_eq!(m.column(0).as_string::<i32>().value(0), "hlf");
    assert_eq!(m.column(1).as_string::<i32>().value(0), "hlf_dnn");
    assert_eq!(m.column(4).as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(0), (2 * 50 + 50) + (50 * 20 + 20) + (20 * 10 + 10) + (10 * 3 + 3));
    assert!(m.column(6).is_null(0));

    // predict: the input's columns, one probability per class summing to 1, the argmax.
    let scored = run(&f.ctx, "SELECT label, a, p_x, p_y, p_z, predicted FROM predict('hlf', 'test')").await;
    let (px, py, pz) = (f64s(&scored, "p_x"), f64s(&scored, "p_y"), f64s(&scored, "p_z"));
    let predicted = f64s(&scored, "predicted");
    assert_eq!(px.len(), 300);
    for i in 0..px.len() {
        assert!((px[i] + py[i] + pz[i] - 1.0).abs() < 1e-5);
        let best = [px[i], py[i], pz[i]].iter().enumerate().fold(0, |b, (j, &p)| if p > [px[i], py[i], pz[i]][b] { j } else { b });
        assert_eq!(predicted[i] as usize, best);
    }
    // predict_proba in a plain SELECT gives the same numbers.
    let direct = run(&f.ctx, "SELECT predict_proba('hlf', a, b)[2] AS p FROM test").await;
    let p = f64s(&direct, "p");
    assert!(p.iter().zip(&py).all(|(a, b)| (a - b).abs() < 1e-6));

    // Evaluation with the metric aggregates; better than chance.
    let m = run(&f.ctx, "SELECT roc_auc(p_x, label = 0) AS auc0, accuracy(label, predicted) AS acc FROM predict('hlf', 'test')").await;
    assert!(f64s(&m, "auc0")[0] > 0.7, "{:?}", f64s(&m, "auc0"));
    assert!(f64s(&m, "acc")[0] > 0.45);

    // drop_model removes it; a second drop is an error unless if_exists.
    run(&f.ctx, "SELECT * FROM drop_model('hlf')").await;
    assert!(error(&f.ctx, "SELECT * FROM predict('hlf', 'test')").await.contains("no model 'hlf'"));
    assert!(error(&f.ctx, "SELECT * FROM drop_model('hlf')").await.contains("no model 'hlf'"));
    run(&f.ctx, "SELECT * FROM drop_model('hlf', if_exists => true)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_model_and_metrics() {
    let f = fixture().await;
    let first = f64s(&run(&f.ctx, TRAIN_HLF).await, "val_loss");
    let p1 = f64s(&run(&f.ctx, "SELECT p_x FROM predict('hlf', 'test')").await, "p_x");
    let second = f64s(&run(&f.ctx, TRAIN_HLF).await, "val_loss");
    let p2 = f64s(&run(&f.ctx, "SELECT p_x FROM predict('hlf', 'test')").await, "p_x");
    assert_eq!(first, second);
    assert_eq!(p1, p2);
    let other = f64s(&run(&f.ctx, &TRAIN_HLF.replace("seed => 3", "seed => 4")).await, "val_loss");
    assert_ne!(first, other, "another seed, another model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_models_learn_and_ignore_padding() {
    let f = fixture().await;
    for kind in ["particle_gru", "inclusive"] {
        let sql = format!(
            "SELECT * FROM train_classifier('{kind}', 'train', model => '{kind}', features => 'a, b', epochs => 6, batch_size => 32, \
             learning_rate => 0.01, gru_units => 8, seed => 5)"
        );
        let h = run(&f.ctx, &sql).await;
        let loss = f64s(&h, "train_loss");
        assert!(loss[5] < loss[0], "{kind}: {loss:?}");
        let m = run(&f.ctx, &format!("SELECT roc_auc(p_1, label = 1) AS auc FROM predict('{kind}', 'test')")).await;
        assert!(f64s(&m, "auc")[0] > 0.65, "{kind}: {:?}", f64s(&m, "auc"));
    }
    // Each row alone (no padding) gives what it gets inside a batch padded to its longest
    // sequence. Rows are matched by `a`, which is unique.
    let rows = run(&f.ctx, "SELECT * FROM test").await;
    let forty = rows[0].slice(0, 40);
    f.ctx.register_batch("forty", forty.clone()).unwrap();
    let together = run(&f.ctx, "SELECT a, p_0 FROM predict('inclusive', 'forty')").await;
    let (keys, probs) = (f64s(&together, "a"), f64s(&together, "p_0"));
    for r in 0..forty.num_rows() {
        f.ctx.register_batch("one", forty.slice(r, 1)).unwrap();
        let alone = run(&f.ctx, "SELECT a, p_0 FROM predict('inclusive', 'one')").await;
        f.ctx.deregister_table("one").unwrap();
        let (a, p) = (f64s(&alone, "a")[0], f64s(&alone, "p_0")[0]);
        let i = keys.iter().position(|&k| k == a).unwrap();
        assert!((p - probs[i]).abs() < 1e-5, "row {r}: alone {p}, in a padded batch {}", probs[i]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_clear_errors() {
    let f = fixture().await;
    let train = |opts: &str| format!("SELECT * FROM train_classifier('m', 'train', model => 'hlf_dnn', features => 'a, b', epochs => 1{opts})");
    let cases: Vec<(String, &str)> = vec![
        ("SELECT * FROM predict('nope', 'test')".into(), "no model 'nope'"),
        (train(", model => 'gbdt'").replace("model => 'hlf_dnn', ", ""), "option model must be 'hlf_dnn', 'particle_gru' or 'inclusive', not 'gbdt'"),
        (train(", epochs_ => 3"), "unknown option 'epochs_'"),
        (train(", learning_rate => 'fast'"), "option learning_rate must be a number"),
        (train("").replace("'a, b'", "'a, zz'"), "no feature column 'zz'"),
        (train(", label => 'a'"), "label column 'a' has type Float32"),
        ("SELECT * FROM train_classifier('m', 'SELECT * FROM train WHERE label > 5', features => 'a, b')".into(), "no rows"),
        ("SELECT * FROM train_classifier('m', 'SELECT * FROM train WHERE label = 1', features => 'a, b')".into(), "all have label 1"),
        ("SELECT * FROM train_classifier('m', 'SELECT label, a, CASE WHEN a > 1.5 THEN CAST(''NaN'' AS DOUBLE) ELSE b END AS b FROM train', features => 'a, b')".into(), "feature 'b' is NaN"),
        ("SELECT * FROM train_classifier('m', 'SELECT label + 1 AS label, a, b FROM train', classes => 'x, y, z', features => 'a, b')".into(), "label 'label' is 3"),
        ("SELECT * FROM train_classifier('../evil', 'train')".into(), "not allowed"),
        ("SELECT * FROM train_classifier('m', 'no_such_table')".into(), "no_such_table"),
    ];
    for (sql, expected) in &cases {
        let e = error(&f.ctx, sql).await;
        assert!(e.contains(expected), "{sql}\n  expected '{expected}' in: {e}");
    }
    // A model exists from here on; the wrong inputs for it are errors too.
    run(&f.ctx, &train("")).await;
    assert!(error(&f.ctx, "SELECT * FROM predict('m', 'SELECT a FROM test')").await.contains("feature column 'b'"));
    assert!(error(&f.ctx, "SELECT predict_proba('m', a) FROM test").await.contains("takes 2 inputs"));
    assert!(error(&f.ctx, "SELECT predict_proba('m', a, CAST('Infinity' AS DOUBLE)) FROM test").await.contains("inf"));

    // A truncated file, an altered one, one from another format version: refused, by name.
    let path = f.root.join("models/m.model");
    let good = std::fs::read(&path).unwrap();
    for (bytes, expected) in [
        (good[..good.len() / 2].to_vec(), "checksum"),
        ({ let mut b = good.clone(); b[40] ^= 1; b }, "checksum"),
        ({ let mut b = good.clone(); b[16] = 9; b }, "format version 9"),
        (b"PAR1".to_vec(), "does not start with the hepfusion model header"),
        (good[..10].to_vec(), "truncated"),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let e = error(&f.ctx, "SELECT * FROM predict('m', 'test')").await;
        assert!(e.contains(expected) && e.contains("m.model"), "expected '{expected}': {e}");
    }
    let listed = run(&f.ctx, "SELECT error FROM models() WHERE name = 'm'").await;
    assert!(listed[0].column(0).as_string::<i32>().value(0).contains("m.model"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_training_leaves_the_registry_as_it_was() {
    let f = fixture().await;
    run(&f.ctx, TRAIN_HLF).await;
    let path = f.root.join("models/hlf.model");
    let before = std::fs::read(&path).unwrap();
    // Read the first epoch's row, then drop the stream, as Ctrl-C in the shell does.
    let df = hepfusion_udfs::sql::sql(&f.ctx, &TRAIN_HLF.replace("epochs => 8", "epochs => 50").replace("seed => 3", "seed => 9")).await.unwrap();
    let mut stream = df.execute_stream().await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.num_rows(), 1);
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(std::fs::read(&path).unwrap(), before, "the stored model is unchanged");
    let leftovers: Vec<_> = std::fs::read_dir(f.root.join("models")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_search_ranks_trials() {
    let f = fixture().await;
    let rows = run(
        &f.ctx,
        "SELECT trial, hidden, batch_size, mean_val_auc FROM tune_classifier('train', model => 'hlf_dnn', features => 'a, b', \
         hidden => '8; 16, 8', batch_size => '32, 64', epochs => 3, learning_rate => 0.01, validation => 0.25)",
    )
    .await;
    let auc = f64s(&rows, "mean_val_auc");
    assert_eq!(auc.len(), 4, "2 × 2 trials");
    assert!(auc.windows(2).all(|w| w[0] >= w[1]), "best first: {auc:?}");
    assert!(auc[0] > 0.6);
    let hidden: Vec<String> = rows.iter().flat_map(|b| (0..b.num_rows()).map(|i| b.column(1).as_string::<i32>().value(i).to_string()).collect::<Vec<_>>()).collect();
    assert!(hidden.contains(&"16,8".to_string()) && hidden.contains(&"8".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plots_are_written_from_sql() {
    let f = fixture().await;
    run(&f.ctx, TRAIN_HLF).await;
    let svg = f.root.join("plots/roc.svg");
    let out = run(
        &f.ctx,
        &format!(
            "SELECT * FROM plot_lines('{}', 'SELECT ''x'' AS curve, r[''fpr''] AS fpr, r[''tpr''] AS tpr FROM \
             (SELECT unnest(roc_curve(p_x, label = 0)) AS r FROM predict(''hlf'', ''test''))', x => 'fpr', y => 'tpr', series => 'curve', title => 'ROC')",
            svg.display()
        ),
    )
    .await;
    assert_eq!(out[0].column(1).as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(0), 1);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("<polyline") && text.contains("ROC"), "{}", &text[..200.min(text.len())]);
    assert!(error(&f.ctx, "SELECT * FROM plot_lines('x.png', 'test', x => 'a', y => 'b')").await.contains(".svg"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_is_fitted_stored_and_applied_and_early_stopping_keeps_the_best_epoch() {
    let f = fixture().await;
    // Features a thousand times too large and shifted: unscaled, Adam at this rate does poorly.
    let input = "SELECT label, a * 1000 + 5000 AS a, b * 1000 AS b, particles FROM train";
    let h = run(
        &f.ctx,
        &format!(
            "SELECT * FROM train_classifier('scaled', '{}', features => 'a, b', scale => 'standard', epochs => 40, \
             patience => 2, learning_rate => 0.01, batch_size => 32, seed => 1)",
            input.replace('\'', "''")
        ),
    )
    .await;
    let loss = f64s(&h, "val_loss");
    assert!(loss.len() < 40, "early stopping ended the training: {} epochs", loss.len());
    let best = loss.iter().cloned().fold(f64::INFINITY, f64::min);
    let kept = run(&f.ctx, "SELECT val_loss FROM models() WHERE name = 'scaled'").await;
    assert_eq!(f64s(&kept, "val_loss")[0], best, "the stored model is the best epoch's");
    // The scaler travels with the model: predicting on the same transformation is as good.
    let m = run(&f.ctx, "SELECT roc_auc(p_0, label = 0) AS auc FROM predict('scaled', 'SELECT label, a * 1000 + 5000 AS a, b * 1000 AS b FROM test')").await;
    assert!(f64s(&m, "auc")[0] > 0.7, "{:?}", f64s(&m, "auc"));
}
