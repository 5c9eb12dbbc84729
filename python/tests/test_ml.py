"""A tiny training and prediction from Python, in our session and on a datafusion context."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hepfusion


def blobs(n, seed):
    """Two Gaussian classes in two features, 2 sigma apart: a network must reach AUC ~0.9."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    x1 = rng.normal(label * 2.0, 1.0).astype(np.float32)
    x2 = rng.normal(-label * 1.0, 1.0).astype(np.float32)
    return pa.table({"x1": x1, "x2": x2, "label": label.astype(np.int64)})


def sklearn_free_auc(score, positive):
    pos, neg = score[positive], score[~positive]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_train_predict_and_progress_in_our_session(ctx):
    updates = []
    hepfusion.set_progress(updates.append)
    try:
        ctx.register("train", blobs(4000, 1))
        ctx.register("test", blobs(1000, 2))
        history = ctx.sql(
            "SELECT * FROM train_classifier('blobs', 'train', model => 'hlf_dnn', hidden => '16, 8', "
            "classes => 'background, signal', epochs => 4, learning_rate => 0.01, seed => 7)"
        ).to_pandas()
    finally:
        hepfusion.set_progress("auto")
    assert list(history["epoch"]) == [1, 2, 3, 4]
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    done = [u for u in updates if u["epoch_done"] is not None]
    assert [u["epoch"] for u in done] == [1, 2, 3, 4]
    assert all(u["model"] == "blobs" and u["epochs"] == 4 for u in updates)

    pred = ctx.sql("SELECT label, p_signal, predicted FROM predict('blobs', 'test')").to_arrow_table()
    label = pred.column("label").to_numpy()
    p = pred.column("p_signal").to_numpy()
    auc = sklearn_free_auc(p, label == 1)
    assert auc > 0.85, auc
    ours = ctx.sql("SELECT roc_auc(p_signal, label = 1) AS auc FROM predict('blobs', 'test')").to_pylist()[0]["auc"]
    assert ours == pytest.approx(auc, abs=1e-6)
    assert ctx.sql("SELECT name FROM models()").to_pylist() == [{"name": "blobs"}]


def test_ml_functions_on_a_datafusion_context(dfctx, tmp_path):
    dfctx.from_arrow(blobs(4000, 3), name="train")
    # A Parquet table of datafusion's, read through a view (python/README.md: the known crash).
    pq.write_table(blobs(1000, 4), tmp_path / "test.parquet")
    dfctx.register_parquet("test_parquet", str(tmp_path / "test.parquet"))
    dfctx.sql("CREATE VIEW test AS SELECT * FROM test_parquet")
    hist = dfctx.sql(
        "SELECT * FROM train_classifier('dfblobs', 'train', named_struct('model', 'hlf_dnn'), "
        "named_struct('hidden', '16, 8'), named_struct('epochs', 3), named_struct('learning_rate', 0.01))"
    ).to_arrow_table()
    assert hist.column("epoch").to_pylist() == [1, 2, 3]
    t = dfctx.sql("SELECT roc_auc(p_1, label = 1) AS auc FROM predict('dfblobs', 'test')").to_arrow_table()
    assert t.column("auc")[0].as_py() > 0.8
    names = dfctx.sql("SELECT name FROM models()").to_arrow_table().column("name").to_pylist()
    assert names == ["dfblobs"]


def test_ctrl_c_cancels_a_training_and_leaves_the_registry_as_it_was(ctx):
    import os
    import signal
    import threading
    import time

    ctx.register("big", blobs(200_000, 5))
    threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ctx.sql("SELECT * FROM train_classifier('interrupted', 'big', epochs => 100)").to_arrow_table()
    assert time.monotonic() - start < 30
    assert ctx.sql("SELECT count(*) AS n FROM models()").to_pylist() == [{"n": 0}]
    assert ctx.sql("SELECT 1 AS still_alive").to_pylist() == [{"still_alive": 1}]
