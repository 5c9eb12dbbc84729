#!/usr/bin/env python3
"""Throughput and memory of hepfusion's ML functions (issue #5), beside compare.py's
framework comparison:

    .venv-ml/bin/python tools/bench/ml/bench.py [--json OUT]

1. Peak RSS of `train_classifier` (one epoch, hlf_dnn and inclusive) on synthetic datasets of
   30k and 300k events (make_synthetic.py): memory must depend on the shuffle buffer and the
   batch, not on the rows.
2. `predict` throughput of hlf_dnn over 1M rows with one partition (rows/s/core), and with all
   cores.
Datasets are cached in <repo>/.cache/ml-bench/.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
CACHE = REPO / ".cache" / "ml-bench"


def hepfusion_bin() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hepfusion"


def dataset(name: str, *args: str) -> Path:
    out = CACHE / name
    if not (out / "test.parquet").exists():
        subprocess.run([sys.executable, str(HERE / "make_synthetic.py"), str(out), *args], check=True)
    return out


def hepfusion(sql: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one shell process running `sql`."""
    script = CACHE / "bench.sql"
    script.write_text(sql)
    t0 = time.time()
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(hepfusion_bin()), "-q", "-f", str(script)],
                         check=True, capture_output=True, text=True).stdout
    return time.time() - t0, int(out.split()[-1]) // 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    results = {}
    for rows in (30_000, 300_000):
        data = dataset(f"synthetic-{rows}", "--train", str(rows), "--test", "1000")
        for model in ("hlf_dnn", "inclusive"):
            sql = f"""SET hepfusion.model_dir = '{CACHE / "models"}';
CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '{data / "train.parquet"}';
SELECT * FROM train_classifier('bench_{model}', 't', model => '{model}', epochs => 1, validation => 0);
"""
            wall, rss = hepfusion(sql)
            results[f"train/{model}/{rows}"] = {"seconds": wall, "rows_per_s": rows / wall, "peak_rss_mib": rss}
            print(f"train_classifier {model:9s} {rows:7d} rows, 1 epoch: {wall:6.1f} s  {rows / wall:8.0f} rows/s  peak RSS {rss} MiB", flush=True)
    big = dataset("hlf-1000000", "--train", "1000000", "--test", "1000", "--no-particles")
    for partitions in (1, os.cpu_count() or 1):
        sql = f"""SET hepfusion.model_dir = '{CACHE / "models"}';
SET datafusion.execution.target_partitions = {partitions};
CREATE EXTERNAL TABLE big STORED AS PARQUET LOCATION '{big / "train.parquet"}';
SELECT count(*), sum(p_0), sum(predicted) FROM predict('bench_hlf_dnn', 'big');
"""
        wall, rss = hepfusion(sql)
        # The same scan without the model, to show what reading costs.
        scan, _ = hepfusion(sql.replace("FROM predict('bench_hlf_dnn', 'big')", "FROM (SELECT label AS predicted, ht AS p_0 FROM big)"))
        results[f"predict/hlf_dnn/p{partitions}"] = {"seconds": wall, "scan_seconds": scan, "rows_per_s": 1e6 / wall,
                                                     "rows_per_s_per_core": 1e6 / wall / partitions, "peak_rss_mib": rss}
        print(f"predict hlf_dnn 1M rows, {partitions} partition(s): {wall:5.2f} s (scan alone {scan:4.2f} s)  "
              f"{1e6 / wall / partitions:10.0f} rows/s/core  peak RSS {rss} MiB", flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
