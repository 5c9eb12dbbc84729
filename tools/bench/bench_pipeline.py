#!/usr/bin/env python3
"""Benchmark of the pipeline's steps 1-4 (ROOT ingestion, trigger, 801x19 particle features,
HLF) in hepfusion (sql/01-04, writing events.parquet) against the same steps in Python
(tests/pipeline/features.py: uproot + awkward + numpy, the pipeline's test oracle), on the
same files, in one run.

The sample: the generated events of --source (tools/generate output, one directory per
class), repeated with every φ rotated by r * 2.39996 rad (golden angle; tracks' production
vertices rotated alike) until each class has at least --events-per-class events, written once
with uproot (zlib level 1, the generator's default) to <repo>/.cache/bench/pipeline-<N>[-f<M>]/,
in files of about --events-per-file events: the consecutive rotations of one generated file
(100 events) concatenated. Real Delphes and NanoAOD files hold 10^4-10^5 events; the
generator's 100-event files made opening 300 of them a fifth of a 30k-event run.

Timed, each the wall time of a whole process (planning, reading, decompression, output):
  hepfusion  sql/01-04 with target_partitions = 1 and = all cores; events/s and events/s/core
             (divided by the partitions), and events per CPU-second (user + system: even with
             one partition, ROOT decoding and the Parquet writer use a second thread); peak RSS.
  python     features.run over the same files, one process (one core); on --python-fraction of
             each class's files if the full sample would take too long.

Usage: tools/bench/bench_pipeline.py [--source data/generated] [--events-per-class 10000]
       [--events-per-file 1000] [--python-fraction 0.25] [--json OUT]
Run it with the generator's venv (tools/generate/setup-venv).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np
import pyarrow.parquet as pq
import uproot

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pipeline"))
import features as F  # noqa: E402

GOLDEN = math.pi * (3 - math.sqrt(5))
PHI_BRANCHES = ("EFlowTrack", "EFlowPhoton", "EFlowNeutralHadron", "Electron", "MuonTight", "Jet", "MissingET")


def hepfusion_bin() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hepfusion"


def wrap(phi):
    return (phi + np.pi) % (2 * np.pi) - np.pi


def rotated(collections: dict, angle: float) -> dict:
    out = {}
    for name, coll in collections.items():
        fields = {f: coll[f] for f in coll.fields}
        if "Phi" in fields:
            fields["Phi"] = ak.values_astype(wrap(ak.values_astype(fields["Phi"], np.float64) + angle), np.float32)
        if name == "EFlowTrack":
            x, y = ak.values_astype(fields["X"], np.float64), ak.values_astype(fields["Y"], np.float64)
            c, s = math.cos(angle), math.sin(angle)
            fields["X"], fields["Y"] = (ak.values_astype(x * c - y * s, np.float32), ak.values_astype(x * s + y * c, np.float32))
        out[name] = ak.zip(fields)
    return out


def read_collections(path: Path) -> dict:
    arrays = uproot.open(path)["Delphes"].arrays(how=dict)
    return {name: ak.zip({k[len(name) + 1:]: v for k, v in arrays.items() if k.startswith(name + "_")}) for name in PHI_BRANCHES}


def build_sample(source: Path, per_class: int, per_file: int) -> Path:
    out = REPO / ".cache" / "bench" / (f"pipeline-{per_class}" + (f"-f{per_file}" if per_file > 100 else ""))
    if (out / "complete").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    for cls in F.CLASSES:
        files = sorted((source / cls).glob("*.root"))
        if not files:
            sys.exit(f"no generated files in {source / cls}: run tools/generate/generate.py first")
        originals = [(f, read_collections(f)) for f in files]
        size = len(originals[0][1]["Jet"])
        # Rotations r0, r0 + 1, ... of one generated file go into one output file.
        per_output = max(1, per_file // max(size, 1))
        rounds = -(-per_class // max(sum(len(c["Jet"]) for _, c in originals), 1))
        written = 0
        for r0 in range(0, rounds, per_output):
            for f, coll in originals:
                if written >= per_class:
                    break
                parts = [rotated(coll, r * GOLDEN) if r else coll for r in range(r0, min(r0 + per_output, rounds))]
                tree = {name: ak.concatenate([p[name] for p in parts]) for name in PHI_BRANCHES}
                target = out / cls / f"{f.stem}_r{r0:03d}.root"
                target.parent.mkdir(parents=True, exist_ok=True)
                with uproot.recreate(target, compression=uproot.ZLIB(1)) as w:
                    w.mktree("Delphes", tree)
                written += len(tree["Jet"])
        print(f"  {cls}: {written} events in {len(list((out / cls).glob('*.root')))} files", flush=True)
    (out / "complete").write_text("")
    return out


def events_in(data: Path) -> int:
    return sum(uproot.open(f)["Delphes"].num_entries for cls in F.CLASSES for f in (data / cls).glob("*.root"))


def run_hepfusion(data: Path, partitions: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        setting = Path(tmp) / "partitions.sql"
        setting.write_text(f"SET datafusion.execution.target_partitions = {partitions};\n")
        cmd = [str(hepfusion_bin()), "-q", "-v", f"data={data}", "-v", f"out={tmp}", "-f", str(setting)]
        for step in ("01_ingest", "02_trigger", "03_particles", "04_hlf"):
            cmd += ["-f", str(REPO / "sql" / f"{step}.sql")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"hepfusion failed:\n{proc.stderr}")
        selected = pq.read_metadata(Path(tmp) / "events.parquet").num_rows
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "selected": selected, "peak_rss_mb": int(proc.stderr.strip().splitlines()[-1]) / 1024}


def run_python(data: Path, fraction: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp)
        n = 0
        for cls in F.CLASSES:
            files = sorted((data / cls).glob("*.root"))
            keep = files[: max(1, round(len(files) * fraction))]
            (subset / cls).mkdir()
            for f in keep:
                (subset / cls / f.name).symlink_to(f)
                n += uproot.open(f)["Delphes"].num_entries
        start, cpu0 = time.perf_counter(), time.process_time()
        result = F.run(subset)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return {"wall_s": wall, "cpu_s": cpu, "events": n, "selected": int(len(result["label"])),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=REPO / "data" / "generated")
    ap.add_argument("--events-per-class", type=int, default=10_000)
    ap.add_argument("--events-per-file", type=int, default=1000)
    ap.add_argument("--python-fraction", type=float, default=0.25)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    print(f"sample: {args.source} repeated to {args.events_per_class} events per class, "
          f"~{args.events_per_file} per file", flush=True)
    data = build_sample(args.source, args.events_per_class, args.events_per_file)
    total = events_in(data)
    cores = os.cpu_count() or 1
    rows = []
    # Warm-up: the first start of a freshly built binary pages in its 700 MB from disk.
    subprocess.run([str(hepfusion_bin()), "-q", "-c", "SELECT 1"], capture_output=True, check=True)
    for partitions in sorted({1, cores}):
        r = run_hepfusion(data, partitions)
        r.update(engine="hepfusion", cores=partitions, events=total)
        rows.append(r)
    r = run_python(data, args.python_fraction)
    r.update(engine="python (uproot+awkward)", cores=1)
    rows.append(r)

    print(f"\n{total} events ({', '.join(F.CLASSES)}), steps 1-4 of sql/, {cores} cores available\n")
    print("| engine | cores | events | selected | wall s | CPU s | events/s | events/s/core | events/CPU-s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rate = r["events"] / r["wall_s"]
        r["events_per_s"], r["events_per_s_per_core"] = rate, rate / r["cores"]
        print(f"| {r['engine']} | {r['cores']} | {r['events']} | {r['selected']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
              f"{rate:,.0f} | {rate / r['cores']:,.0f} | {r['events'] / r['cpu_s']:,.0f} | {r['peak_rss_mb']:.0f} |")
    py = rows[-1]["events_per_s_per_core"]
    for r in rows[:-1]:
        print(f"hepfusion on {r['cores']} core(s): {r['events_per_s_per_core'] / py:.1f}x the Python implementation per core, "
              f"{r['events_per_s_per_core'] / 17:,.0f}x CERN's Spark ingestion (17 events/s/core)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
