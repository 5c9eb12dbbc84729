#!/usr/bin/env python3
"""hepfusion's classifiers against the same models in Keras (TensorFlow CPU) and JAX, on the
same Parquet, in one run.

    .venv-ml/bin/python tools/bench/ml/compare.py DATA_DIR [--epochs 5] [--models hlf_dnn,inclusive]
        [--json OUT] [--frameworks hepfusion,keras,jax] [--seeds 7,8,9]

DATA_DIR holds train.parquet and test.parquet with the pipeline's schema (sql/05_datasets.sql,
or make_synthetic.py): `label`, the 14 high-level features, `particles`.

For each model and framework: the spec's architecture (hlf_dnn 14-50-20-10-3; inclusive
GRU(50) on the particles + dropout 0.2, the features + dropout 0.2, dense 25, 3), Adam with
lr 1e-3 and epsilon 1e-7, categorical cross-entropy, batch 128, `--epochs` epochs, no
validation split. Reported, as the mean over the seeds (each framework seeds its own
initialisation and shuffling, so the spread over seeds is the noise any comparison has):
training rows/s (over all epochs, the framework's own loop including feeding), training rows
per CPU-second (Keras and JAX use both cores, hepfusion's training loop one; its CPU time is the
whole process, prediction included), per-class one-vs-rest test AUC computed here with
scikit-learn from each framework's probabilities, and the differences to Keras. Sequences for Keras and JAX are
padded with zeros to the longest one of the dataset (Keras: Masking(0.)); hepfusion pads each
batch to its own longest sequence.

Criteria of issue #5, printed as PASS/FAIL: mean per-class test AUC within 0.005 of Keras for
hlf_dnn and inclusive (or above it), and inclusive above hlf_dnn (mean AUC).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[3]
HLF = ["ht", "met", "met_phi", "mt", "n_jets", "n_bjets", "lep_pt", "lep_eta", "lep_phi",
       "lep_iso_ch", "lep_iso_gamma", "lep_iso_neu", "lep_charge", "lep_is_ele"]


def hepfusion_bin() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hepfusion"


def load(path: Path):
    t = pq.read_table(path)
    y = t.column("label").to_numpy().astype(np.int64)
    x = np.stack([t.column(c).to_numpy().astype(np.float32) for c in HLF], axis=1)
    parts = t.column("particles").combine_chunks()
    offsets = parts.offsets.to_numpy()
    flat = parts.flatten()
    values = np.stack([flat.field(i).to_numpy().astype(np.float32) for i in range(flat.type.num_fields)], axis=1)
    return x, y, values, offsets


def padded(values, offsets, length):
    n, w = len(offsets) - 1, values.shape[1]
    out = np.zeros((n, length, w), dtype=np.float32)
    lengths = np.diff(offsets)
    for i in range(n):
        k = min(lengths[i], length)
        out[i, :k] = values[offsets[i]:offsets[i] + k]
    return out


def aucs(y, p):
    return [float(roc_auc_score(y == c, p[:, c])) for c in range(p.shape[1])]


# ---------------------------------------------------------------- hepfusion
def run_hepfusion(data: Path, model: str, epochs: int, seed: int, work: Path):
    models = work / "models"
    feats = ", ".join(HLF)
    sql = f"""
SET hepfusion.model_dir = '{models}';
CREATE EXTERNAL TABLE train STORED AS PARQUET LOCATION '{data / "train.parquet"}';
CREATE EXTERNAL TABLE test STORED AS PARQUET LOCATION '{data / "test.parquet"}';
COPY (SELECT * FROM train_classifier('{model}', 'train', model => '{model}', features => '{feats}',
      epochs => {epochs}, batch_size => 128, learning_rate => 0.001, validation => 0, seed => {seed}))
  TO '{work / (model + "_history.parquet")}';
COPY (SELECT label, p_0, p_1, p_2 FROM predict('{model}', 'test')) TO '{work / (model + "_scores.parquet")}';
"""
    script = work / f"{model}.sql"
    script.write_text(sql)
    t0, c0 = time.time(), children_cpu()
    subprocess.run([str(hepfusion_bin()), "-q", "-f", str(script)], check=True, stdout=subprocess.DEVNULL)
    wall, cpu = time.time() - t0, children_cpu() - c0
    hist = pq.read_table(work / (model + "_history.parquet")).to_pydict()
    scores = pq.read_table(work / (model + "_scores.parquet")).to_pydict()
    p = np.stack([scores["p_0"], scores["p_1"], scores["p_2"]], axis=1)
    y = np.array(scores["label"])
    train_seconds = sum(h for h in hist["seconds"])
    rows = sum(r * s for r, s in zip(hist["rows_per_s"], hist["seconds"]))
    return {"aucs": aucs(y, p), "rows_per_s": rows / train_seconds, "train_seconds": train_seconds, "wall": wall,
            "rows_per_cpu_s": rows / cpu, "loss": hist["train_loss"]}


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- Keras
def run_keras(train, test, model: str, epochs: int, seed: int, length: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    x, y, v, o = train
    xt, yt, vt, ot = test
    hlf_in = keras.Input((len(HLF),))
    if model == "hlf_dnn":
        h = hlf_in
        for n in (50, 20, 10):
            h = layers.Dense(n, activation="relu")(h)
        out = layers.Dense(3, activation="softmax")(h)
        net = keras.Model(hlf_in, out)
        inputs, inputs_test = x, xt
    else:
        seq_in = keras.Input((length, v.shape[1]))
        g = layers.Masking(0.0)(seq_in)
        g = layers.GRU(50, activation="tanh", recurrent_activation="sigmoid", reset_after=True)(g)
        g = layers.Dropout(0.2)(g)
        f = layers.Dropout(0.2)(hlf_in)
        h = layers.Dense(25, activation="relu")(layers.Concatenate()([g, f]))
        out = layers.Dense(3, activation="softmax")(h)
        net = keras.Model([seq_in, hlf_in], out)
        inputs, inputs_test = [padded(v, o, length), x], [padded(vt, ot, length), xt]
    net.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    t0, c0 = time.time(), time.process_time()
    hist = net.fit(inputs, y, batch_size=128, epochs=epochs, shuffle=True, verbose=0)
    seconds, cpu = time.time() - t0, time.process_time() - c0
    p = net.predict(inputs_test, batch_size=1024, verbose=0)
    return {"aucs": aucs(yt, p), "rows_per_s": len(y) * epochs / seconds, "train_seconds": seconds,
            "rows_per_cpu_s": len(y) * epochs / cpu, "loss": [float(l) for l in hist.history["loss"]]}


# ---------------------------------------------------------------- JAX
def run_jax(train, test, model: str, epochs: int, seed: int, length: int):
    import jax
    import jax.numpy as jnp

    x, y, v, o = train
    xt, yt, vt, ot = test
    key = jax.random.PRNGKey(seed)

    def glorot(k, shape):
        lim = np.sqrt(6.0 / (shape[0] + shape[1]))
        return jax.random.uniform(k, shape, minval=-lim, maxval=lim)

    keys = iter(jax.random.split(key, 32))
    params = {}
    if model == "hlf_dnn":
        sizes = [len(HLF), 50, 20, 10, 3]
    else:
        hdim, w = 50, v.shape[1]
        params["wx"] = glorot(next(keys), (w, 3 * hdim))
        q = [jnp.linalg.qr(jax.random.normal(next(keys), (hdim, hdim)))[0] for _ in range(3)]
        params["wh"] = jnp.concatenate(q, axis=1)
        params["bx"] = jnp.zeros(3 * hdim)
        params["bh"] = jnp.zeros(3 * hdim)
        sizes = [hdim + len(HLF), 25, 3]
    params["dense"] = [(glorot(next(keys), (a, b)), jnp.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]

    def dropout(k, t, rate, train):
        if not train:
            return t
        keep = jax.random.bernoulli(k, 1 - rate, t.shape)
        return jnp.where(keep, t / (1 - rate), 0.0)

    def forward(p, xb, sb, mb, k, train):
        h = xb
        if model != "hlf_dnn":
            hdim = p["wh"].shape[0]

            def step(state, inp):
                xs, m = inp
                gx = xs @ p["wx"] + p["bx"]
                gh = state @ p["wh"] + p["bh"]
                z = jax.nn.sigmoid(gx[:, :hdim] + gh[:, :hdim])
                r = jax.nn.sigmoid(gx[:, hdim:2 * hdim] + gh[:, hdim:2 * hdim])
                n = jnp.tanh(gx[:, 2 * hdim:] + r * gh[:, 2 * hdim:])
                new = n + z * (state - n)
                return state + m[:, None] * (new - state), None

            state0 = jnp.zeros((sb.shape[0], hdim))
            state, _ = jax.lax.scan(step, state0, (jnp.swapaxes(sb, 0, 1), jnp.swapaxes(mb, 0, 1)))
            k1, k2 = jax.random.split(k)
            h = jnp.concatenate([dropout(k1, state, 0.2, train), dropout(k2, xb, 0.2, train)], axis=1)
        for i, (wt, b) in enumerate(p["dense"]):
            h = h @ wt + b
            if i < len(p["dense"]) - 1:
                h = jax.nn.relu(h)
        return h

    def loss_fn(p, xb, sb, mb, yb, k):
        logits = forward(p, xb, sb, mb, k, True)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], axis=1))

    b1, b2, eps, lr = 0.9, 0.999, 1e-7, 1e-3

    @jax.jit
    def update(p, m, s, t, xb, sb, mb, yb, k):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, sb, mb, yb, k)
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        s = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, s, g)
        mh = jax.tree_util.tree_map(lambda a: a / (1 - b1 ** t), m)
        sh = jax.tree_util.tree_map(lambda a: a / (1 - b2 ** t), s)
        p = jax.tree_util.tree_map(lambda w, a, b: w - lr * a / (jnp.sqrt(b) + eps), p, mh, sh)
        return p, m, s, loss

    seq = padded(v, o, length) if model != "hlf_dnn" else np.zeros((len(y), 1, 1), np.float32)
    mask = (np.arange(seq.shape[1])[None, :] < np.diff(o)[:, None]).astype(np.float32) if model != "hlf_dnn" else np.zeros((len(y), 1), np.float32)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    s = jax.tree_util.tree_map(jnp.zeros_like, params)
    rng = np.random.default_rng(seed)
    t, B, n = 0, 128, len(y) - len(y) % 128  # whole batches only: one compiled shape
    t0 = None
    for epoch in range(epochs):
        order = rng.permutation(len(y))[:n]
        for i in range(0, n, B):
            idx = order[i:i + B]
            t += 1
            params, m, s, loss = update(params, m, s, t, x[idx], seq[idx], mask[idx], y[idx], jax.random.fold_in(key, t))
            if t0 is None:  # exclude compilation
                loss.block_until_ready()
                t0, c0, first = time.time(), time.process_time(), B
    jax.block_until_ready(params)
    seconds, cpu = time.time() - t0, time.process_time() - c0
    rows = n * epochs - first
    seqt = padded(vt, ot, length) if model != "hlf_dnn" else np.zeros((len(yt), 1, 1), np.float32)
    maskt = (np.arange(seqt.shape[1])[None, :] < np.diff(ot)[:, None]).astype(np.float32) if model != "hlf_dnn" else np.zeros((len(yt), 1), np.float32)
    fwd = jax.jit(lambda p, xb, sb, mb: jax.nn.softmax(forward(p, xb, sb, mb, key, False)))
    p = np.concatenate([np.asarray(fwd(params, xt[i:i + 1024], seqt[i:i + 1024], maskt[i:i + 1024])) for i in range(0, len(yt), 1024)])
    return {"aucs": aucs(yt, p), "rows_per_s": rows / seconds, "train_seconds": seconds, "rows_per_cpu_s": rows / cpu}


def mean(runs, key):
    return float(np.mean([r[key] for r in runs]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--models", default="hlf_dnn,inclusive")
    ap.add_argument("--frameworks", default="hepfusion,keras,jax")
    ap.add_argument("--seeds", default="7,8,9")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    data = a.data.resolve()
    seeds = [int(s) for s in a.seeds.split(",")]
    train, test = load(data / "train.parquet"), load(data / "test.parquet")
    length = int(max(np.diff(train[3]).max(), np.diff(test[3]).max()))
    print(f"{data}: {len(train[1])} train / {len(test[1])} test rows, longest sequence {length}, {a.epochs} epochs, seeds {seeds}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in a.models.split(","):
            for fw in a.frameworks.split(","):
                runs = []
                for seed in seeds:
                    if fw == "hepfusion":
                        runs.append(run_hepfusion(data, model, a.epochs, seed, Path(tmp)))
                    elif fw == "keras":
                        runs.append(run_keras(train, test, model, a.epochs, seed, length))
                    else:
                        runs.append(run_jax(train, test, model, a.epochs, seed, length))
                auc = np.array([r["aucs"] for r in runs])
                r = {"aucs": auc.mean(axis=0).tolist(), "auc_std": auc.std(axis=0).tolist(), "runs": runs,
                     "rows_per_s": mean(runs, "rows_per_s"), "rows_per_cpu_s": mean(runs, "rows_per_cpu_s"),
                     "train_seconds": mean(runs, "train_seconds")}
                results[(model, fw)] = r
                print(f"  {model:10s} {fw:10s} test AUC {' '.join(f'{x:.4f}±{s:.4f}' for x, s in zip(r['aucs'], r['auc_std']))}  "
                      f"{r['rows_per_s']:9.0f} rows/s {r['rows_per_cpu_s']:9.0f} rows/CPU-s  ({r['train_seconds']:.1f} s training)", flush=True)
    print()
    ok = True
    for model in a.models.split(","):
        ours, keras_r = results.get((model, "hepfusion")), results.get((model, "keras"))
        if ours and keras_r:
            diff = [o - k for o, k in zip(ours["aucs"], keras_r["aucs"])]
            good = all(d >= -0.005 for d in diff)
            ok &= good
            print(f"{model}: mean AUC hepfusion - Keras = {' '.join(f'{d:+.4f}' for d in diff)}  "
                  f"{'PASS' if good else 'FAIL'} (within 0.005 or above); speed x{ours['rows_per_s'] / keras_r['rows_per_s']:.2f} of Keras "
                  f"(x{ours['rows_per_cpu_s'] / keras_r['rows_per_cpu_s']:.2f} per CPU-second)")
        jax_r = results.get((model, "jax"))
        if ours and jax_r:
            print(f"{model}: speed x{ours['rows_per_s'] / jax_r['rows_per_s']:.2f} of JAX "
                  f"(x{ours['rows_per_cpu_s'] / jax_r['rows_per_cpu_s']:.2f} per CPU-second)")
    if ("inclusive", "hepfusion") in results and ("hlf_dnn", "hepfusion") in results:
        inc, hlf = (np.mean(results[(m, "hepfusion")]["aucs"]) for m in ("inclusive", "hlf_dnn"))
        good = inc > hlf
        ok &= good
        print(f"inclusive mean AUC {inc:.4f} vs hlf_dnn {hlf:.4f}: {'PASS' if good else 'FAIL'} (inclusive must be higher)")
    if a.json:
        a.json.write_text(json.dumps({f"{m}/{f}": r for (m, f), r in results.items()}, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
