"""The classifier metrics (udfs/src/metrics) against scikit-learn on the same scores, to 1e-9:
random three-class scores with many ties (rounded), computed one-vs-rest per class in one
GROUP BY query over several partitions."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score, roc_curve

from udf_oracle import hepfusion_bin

CLASSES = 3


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 20_000
    label = rng.integers(0, CLASSES, n)
    logits = rng.normal(size=(n, CLASSES)) + 1.5 * np.eye(CLASSES)[label]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p = np.round(p, 3)  # ties, as scores of a small network on few distinct inputs have
    path = tmp_path_factory.mktemp("metrics") / "scores.parquet"
    pq.write_table(pa.table({"label": label.astype(np.int32), "p0": p[:, 0], "p1": p[:, 1], "p2": p[:, 2],
                             "predicted": p.argmax(axis=1).astype(np.int32)}), path, row_group_size=3000)
    return path, label, p


def query(path, sql: str):
    setup = f"SET datafusion.execution.target_partitions = 4; CREATE EXTERNAL TABLE scores STORED AS PARQUET LOCATION '{path}';"
    proc = subprocess.run([str(hepfusion_bin()), "--format", "json", "-q", "-c", setup, "-c", sql], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # earlier lines: the set-up statements


def per_class(path, aggregate: str):
    rows = query(path, f"""
        SELECT k, {aggregate} AS v
        FROM scores CROSS JOIN (VALUES (0), (1), (2)) AS c(k)
        GROUP BY k ORDER BY k""")
    return [r["v"] for r in rows]


SCORE = "CASE k WHEN 0 THEN p0 WHEN 1 THEN p1 ELSE p2 END"


def test_roc_auc_per_class(scores):
    path, label, p = scores
    ours = per_class(path, f"roc_auc({SCORE}, label = k)")
    for k in range(CLASSES):
        assert ours[k] == pytest.approx(roc_auc_score(label == k, p[:, k]), abs=1e-9)


def test_roc_curve_per_class(scores):
    path, label, p = scores
    ours = per_class(path, f"roc_curve({SCORE}, label = k)")
    for k in range(CLASSES):
        fpr, tpr, thr = roc_curve(label == k, p[:, k])
        assert len(ours[k]) == len(fpr)
        np.testing.assert_allclose([r["fpr"] for r in ours[k]], fpr, rtol=0, atol=1e-9)
        np.testing.assert_allclose([r["tpr"] for r in ours[k]], tpr, rtol=0, atol=1e-9)
        assert ours[k][0]["threshold"] is None or ours[k][0]["threshold"] in ("inf", "Infinity") or np.isinf(float(ours[k][0]["threshold"]))
        np.testing.assert_allclose([float(r["threshold"]) for r in ours[k][1:]], thr[1:], rtol=0, atol=1e-12)


@pytest.mark.parametrize("efficiency", [0.5, 0.9, 0.99])
def test_background_efficiency_at_fixed_signal_efficiency(scores, efficiency):
    path, label, p = scores
    ours = per_class(path, f"fpr_at_tpr({SCORE}, label = k, {efficiency})")
    for k in range(CLASSES):
        fpr, tpr, _ = roc_curve(label == k, p[:, k], drop_intermediate=False)
        assert ours[k] == pytest.approx(fpr[np.searchsorted(tpr, efficiency, side="left")], abs=1e-9)


def test_confusion_matrix_and_accuracy(scores):
    path, label, p = scores
    [row] = query(path, "SELECT confusion_matrix(label, predicted) AS m, accuracy(label, predicted) AS a FROM scores")
    assert row["m"] == confusion_matrix(label, p.argmax(axis=1)).tolist()
    assert row["a"] == pytest.approx(accuracy_score(label, p.argmax(axis=1)), abs=1e-12)
