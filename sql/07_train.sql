-- 7. The three classifiers of the paper, trained on train.parquet and evaluated on test.parquet.
--   hlf_dnn       the 14 high-level features → 50 → 20 → 10 → 3
--   particle_gru  the particle sequence → GRU(50) → dropout 0.2 → 3
--   inclusive     GRU(50) on the particles and the 14 features (dropout 0.2 each) → 25 → 3
-- Models go to ${out}/models; per-class AUCs, accuracy, background rejection at 99% signal
-- efficiency and the confusion matrices are printed; ROC and loss curves are drawn into
-- ${out}/plots and the metrics written to ${out}/metrics.csv.
-- Variables: out, epochs (default 5), seed (default 42).

SET hepfusion.model_dir = '${out}/models';

CREATE EXTERNAL TABLE train_set STORED AS PARQUET LOCATION '${out}/train.parquet';
CREATE EXTERNAL TABLE test_set STORED AS PARQUET LOCATION '${out}/test.parquet';

-- One row per epoch and model; 10% of the training rows are held out for the validation columns.
CREATE TABLE history AS
SELECT 'hlf_dnn' AS model, * FROM train_classifier('hlf_dnn', 'train_set', model => 'hlf_dnn',
    classes => 'qcd, ttbar, wjets', epochs => ${epochs:-5}, seed => ${seed:-42})
UNION ALL
SELECT 'particle_gru' AS model, * FROM train_classifier('particle_gru', 'train_set', model => 'particle_gru',
    classes => 'qcd, ttbar, wjets', epochs => ${epochs:-5}, seed => ${seed:-42})
UNION ALL
SELECT 'inclusive' AS model, * FROM train_classifier('inclusive', 'train_set', model => 'inclusive',
    classes => 'qcd, ttbar, wjets', epochs => ${epochs:-5}, seed => ${seed:-42});

SELECT model, epoch, round(train_loss, 4) AS train_loss, round(val_loss, 4) AS val_loss,
       round(val_accuracy, 4) AS val_accuracy, round(rows_per_s) AS rows_per_s
FROM history ORDER BY model, epoch;

CREATE TABLE scores AS
SELECT 'hlf_dnn' AS model, label, p_qcd, p_ttbar, p_wjets, predicted FROM predict('hlf_dnn', 'test_set')
UNION ALL
SELECT 'particle_gru' AS model, label, p_qcd, p_ttbar, p_wjets, predicted FROM predict('particle_gru', 'test_set')
UNION ALL
SELECT 'inclusive' AS model, label, p_qcd, p_ttbar, p_wjets, predicted FROM predict('inclusive', 'test_set');

-- Test-set metrics: one-vs-rest AUC per class, accuracy, and the trigger's view: the fraction
-- of the other classes still accepted when the cut keeps 99% of a class.
CREATE TABLE metrics AS
SELECT model, count(*) AS test_events,
       roc_auc(p_qcd, label = 0) AS auc_qcd, roc_auc(p_ttbar, label = 1) AS auc_ttbar,
       roc_auc(p_wjets, label = 2) AS auc_wjets, accuracy(label, predicted) AS accuracy,
       fpr_at_tpr(p_ttbar, label = 1, 0.99) AS fpr_ttbar_at_99,
       fpr_at_tpr(p_wjets, label = 2, 0.99) AS fpr_wjets_at_99
FROM scores GROUP BY model;

SELECT model, test_events, round(auc_qcd, 4) AS auc_qcd, round(auc_ttbar, 4) AS auc_ttbar,
       round(auc_wjets, 4) AS auc_wjets, round(accuracy, 4) AS accuracy,
       round(fpr_ttbar_at_99, 4) AS fpr_ttbar_at_99, round(fpr_wjets_at_99, 4) AS fpr_wjets_at_99
FROM metrics ORDER BY model;

-- Rows: true class (qcd, ttbar, wjets); columns: predicted class.
SELECT model, confusion_matrix(label, predicted) AS confusion_matrix FROM scores GROUP BY model ORDER BY model;

COPY (SELECT * FROM metrics ORDER BY model) TO '${out}/metrics.csv' STORED AS CSV;

-- ROC curves, one plot per class with the three models (AUC in the legend), and the loss curves.
CREATE TABLE roc AS
SELECT model, class, concat(model, ' (AUC ', round(auc, 4), ')') AS curve,
       r['fpr'] AS fpr, r['tpr'] AS tpr
FROM (SELECT model, 'qcd' AS class, roc_auc(p_qcd, label = 0) AS auc, unnest(roc_curve(p_qcd, label = 0)) AS r FROM scores GROUP BY model
      UNION ALL
      SELECT model, 'ttbar', roc_auc(p_ttbar, label = 1), unnest(roc_curve(p_ttbar, label = 1)) FROM scores GROUP BY model
      UNION ALL
      SELECT model, 'wjets', roc_auc(p_wjets, label = 2), unnest(roc_curve(p_wjets, label = 2)) FROM scores GROUP BY model);

SELECT * FROM plot_lines('${out}/plots/roc_qcd.svg', 'SELECT curve, fpr, tpr FROM roc WHERE class = ''qcd''',
    x => 'fpr', y => 'tpr', series => 'curve', title => 'QCD selector (test set)',
    x_label => 'background efficiency (FPR)', y_label => 'signal efficiency (TPR)');
SELECT * FROM plot_lines('${out}/plots/roc_ttbar.svg', 'SELECT curve, fpr, tpr FROM roc WHERE class = ''ttbar''',
    x => 'fpr', y => 'tpr', series => 'curve', title => 'tt selector (test set)',
    x_label => 'background efficiency (FPR)', y_label => 'signal efficiency (TPR)');
SELECT * FROM plot_lines('${out}/plots/roc_wjets.svg', 'SELECT curve, fpr, tpr FROM roc WHERE class = ''wjets''',
    x => 'fpr', y => 'tpr', series => 'curve', title => 'W+jets selector (test set)',
    x_label => 'background efficiency (FPR)', y_label => 'signal efficiency (TPR)');
SELECT * FROM plot_lines('${out}/plots/loss.svg',
    'SELECT concat(model, '' train'') AS curve, epoch, train_loss AS loss FROM history
     UNION ALL SELECT concat(model, '' validation''), epoch, val_loss FROM history ORDER BY curve, epoch',
    x => 'epoch', y => 'loss', series => 'curve', title => 'Loss per epoch', y_label => 'cross-entropy');
