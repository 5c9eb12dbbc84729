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
    """train/tune/predict/plot on datafusion's own Parquet, CSV and dataset tables: the caller's
    session runs the input (through the FFI these scans crashed the interpreter)."""
    import pyarrow.csv as pcsv
    import pyarrow.dataset as pds

    pq.write_table(blobs(4000, 3), tmp_path / "train.parquet", row_group_size=500)
    pq.write_table(blobs(1000, 4), tmp_path / "test.parquet")
    pcsv.write_csv(blobs(1000, 4), tmp_path / "test.csv")
    dfctx.register_parquet("train", str(tmp_path / "train.parquet"))
    dfctx.register_parquet("test", str(tmp_path / "test.parquet"))
    dfctx.register_csv("test_csv", str(tmp_path / "test.csv"))
    dfctx.register_dataset("test_ds", pds.dataset(str(tmp_path / "test.parquet")))
    dfctx.from_arrow(blobs(1000, 4), name="test_mem")

    hist = dfctx.sql(
        "SELECT * FROM train_classifier('dfblobs', 'train', named_struct('model', 'hlf_dnn'), "
        "named_struct('hidden', '16, 8'), named_struct('epochs', 3), named_struct('learning_rate', 0.01))"
    ).to_arrow_table()
    assert hist.column("epoch").to_pylist() == [1, 2, 3]
    # The input ran with one partition in a copy of the session's config, not in the caller's.
    setting = dfctx.sql(
        "SELECT value FROM information_schema.df_settings "
        "WHERE name = 'datafusion.execution.target_partitions'"
    ).to_pylist()
    assert setting == [{"value": "4"}]

    # The same model applied by hepfusion's own session to the same file: the same numbers.
    ours = hepfusion.SessionContext(model_dir=str(tmp_path / "models"))
    ours.sql(f"CREATE EXTERNAL TABLE test STORED AS PARQUET LOCATION '{tmp_path / 'test.parquet'}'")
    expected = ours.sql("SELECT x1, p_1 FROM predict('dfblobs', 'test') ORDER BY x1").to_arrow_table()
    assert sklearn_free_auc(expected.column("p_1").to_numpy(), blobs(1000, 4).sort_by("x1").column("label").to_numpy() == 1) > 0.8
    for table in ["test", "test_csv", "test_ds", "test_mem"]:
        got = dfctx.sql(f"SELECT x1, p_1 FROM predict('dfblobs', '{table}') ORDER BY x1").to_arrow_table()
        assert got.column("x1").to_pylist() == pytest.approx(expected.column("x1").to_pylist(), rel=1e-6), table
        assert got.column("p_1").to_pylist() == pytest.approx(expected.column("p_1").to_pylist(), rel=1e-5), table
    sub = dfctx.sql(
        "SELECT count(*) AS n FROM predict('dfblobs', 'SELECT * FROM test WHERE x1 > 0') WHERE predicted = 1"
    ).to_pylist()[0]["n"]
    assert 0 < sub <= 1000

    trials = dfctx.sql(
        "SELECT trial, hidden FROM tune_classifier('test_ds', named_struct('hidden', '4;8'), "
        "named_struct('epochs', 2)) ORDER BY trial"
    ).to_pylist()
    assert sorted(t["hidden"] for t in trials) == ["4", "8"]
    plot = dfctx.sql(
        f"SELECT * FROM plot_lines('{tmp_path / 'x.svg'}', 'test_csv', named_struct('x', 'x1'), named_struct('y', 'x2'))"
    ).to_pylist()
    assert plot == [{"file": str(tmp_path / "x.svg"), "lines": 1, "points": 1000}]
    assert (tmp_path / "x.svg").read_text().startswith("<svg")

    names = dfctx.sql("SELECT name FROM models()").to_arrow_table().column("name").to_pylist()
    assert names == ["dfblobs"]
    with pytest.raises(Exception, match=r"train_classifier: planning the input 'nosuch': .*nosuch' not found"):
        dfctx.sql("SELECT * FROM train_classifier('m2', 'nosuch')").to_arrow_table()
    assert dfctx.sql("SELECT 1 AS still_alive").to_pylist() == [{"still_alive": 1}]


def test_inputs_run_in_one_partition_on_a_copy_of_the_callers_config(dfctx, tmp_path):
    """Training reads its input once per epoch and must see the rows in one order, and the
    partitions of a repartitioned plan cannot be read one after the other (the first waits on
    the others): the caller's session runs inputs with one partition, its own config intact."""
    import datafusion

    from hepfusion._caller import CallerSession, _off_the_runtime

    pq.write_table(blobs(40000, 3), tmp_path / "train.parquet", row_group_size=500)
    dfctx.register_parquet("train", str(tmp_path / "train.parquet"))
    joined = "SELECT t.* FROM train t JOIN (SELECT DISTINCT label FROM train) l ON t.label = l.label"
    seen = {}

    def probe(session):
        CallerSession(session)
        seen["partitions"] = _off_the_runtime(lambda: session.sql(joined).execution_plan().partition_count)
        assert seen["partitions"] == 1  # else reading the partitions in turn would hang
        seen["rows"] = _off_the_runtime(lambda: CallerSession(session).run(joined).read_all().num_rows)
        return _off_the_runtime(lambda: session.sql("SELECT 1 AS x").into_view())

    dfctx.register_udtf(datafusion.udtf(probe, "probe", with_session=True))
    assert dfctx.sql("SELECT * FROM probe()").to_pylist() == [{"x": 1}]
    assert seen == {"partitions": 1, "rows": 40000}
    assert dfctx.sql(joined).execution_plan().partition_count == 4


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
