#!/usr/bin/env python3
"""Generate Delphes-like ROOT samples (qcd, ttbar, wjets) with Pythia 8 and a simple detector emulation.

    tools/generate/setup-venv                        # once: creates <repo>/.venv-gen
    .venv-gen/bin/python tools/generate/generate.py --events 300 --out data/gen
    .venv-gen/bin/python tools/generate/generate.py plot data/gen          # summary + PNGs

Output: <out>/<class>/<class>_<chunk:04d>.root, tree `Delphes`. Each chunk is seeded from
(--seed, class, chunk index) alone, so the files do not depend on --jobs; complete chunks that
already exist are skipped (files are written under a temporary name and renamed when complete).
See README.md for the detector emulation and the schema.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import processes  # noqa: E402
import writer  # noqa: E402


def _quiet_fastjet():
    """Prints fastjet's banner (once per process) into /dev/null."""
    import awkward as ak
    import fastjet

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        arr = ak.Array([[{"px": 1.0, "py": 0.0, "pz": 0.0, "E": 1.0}]], with_name="Momentum4D")
        fastjet.ClusterSequence(arr, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4)).inclusive_jets()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def run_chunk(cls: str, chunk: int, nevents: int, seed: int, out: str, compression: str, chunk_size: int) -> dict:
    """Generates, emulates and writes one chunk. Runs in a worker process."""
    import numpy as np

    import detector

    t0 = time.perf_counter()
    pseed, nseed = processes.seeds(seed, cls, chunk)
    py = processes.make_pythia(cls, chunk, pseed)
    events, tried, failed = [], 0, 0
    while len(events) < nevents:
        if not py.next():
            failed += 1
            if failed > 100 + nevents:
                raise RuntimeError(f"{cls} chunk {chunk}: too many pythia failures")
            continue
        tried += 1
        if processes.passes_filter(cls, py.event):
            events.append(detector.extract(py.event))
    t_gen = time.perf_counter() - t0
    collections = detector.emulate(events, np.random.default_rng(nseed), py.particleData)
    path = writer.chunk_path(Path(out), cls, chunk)
    writer.write_chunk(path, collections, writer.parse_compression(compression),
                       writer.chunk_title(cls, chunk, nevents, seed, chunk_size))
    return {"cls": cls, "chunk": chunk, "events": nevents, "tried": tried, "seconds": time.perf_counter() - t0,
            "gen_seconds": t_gen, "bytes": path.stat().st_size}


def chunk_plan(classes, events: int, chunk_size: int):
    for cls in classes:
        nchunks = -(-events // chunk_size)
        for c in range(nchunks):
            yield cls, c, min(chunk_size, events - c * chunk_size)


def stale_chunks(classes, events: int, chunk_size: int, out: Path) -> list[Path]:
    """Chunk files of an earlier, larger request that this one does not cover: a table over the
    class directory would read them too. Not deleted (they may be wanted); reported."""
    planned = {writer.chunk_path(out, cls, c) for cls, c, _ in chunk_plan(classes, events, chunk_size)}
    found = [p for cls in classes for p in sorted(Path(out, cls).glob(f"{cls}_[0-9][0-9][0-9][0-9].root"))]
    return [p for p in found if p not in planned]


def is_complete(path: Path, title: str, nevents: int) -> bool:
    """True if the chunk file exists and was made with the same class, chunk, size and seed."""
    if not path.is_file():
        return False
    try:
        import uproot

        with uproot.open(path) as f:
            t = f[writer.TREE]
            return t.title == title and t.num_entries == nevents
    except Exception:
        return False


def generate(classes, events: int, out: Path, seed: int = 1, jobs: int | None = None, chunk_size: int = 100,
             compression: str = "zlib:1", progress: bool = True) -> list[dict]:
    from tqdm import tqdm

    writer.parse_compression(compression)  # fail early on a bad spec
    jobs = jobs or os.cpu_count() or 1
    plan = list(chunk_plan(classes, events, chunk_size))
    todo = [t for t in plan if not is_complete(writer.chunk_path(out, t[0], t[1]),
                                               writer.chunk_title(t[0], t[1], t[2], seed, chunk_size), t[2])]
    # qcd chunks are the slowest (generator filter): start them first
    todo.sort(key=lambda t: (t[0] != "qcd", t[1], t[0]))
    skipped = len(plan) - len(todo)
    results = []
    total = sum(t[2] for t in todo)
    bar = tqdm(total=total, unit="ev", desc="generate", disable=not progress, dynamic_ncols=True)
    if skipped:
        bar.write(f"skipping {skipped} complete chunk(s) already in {out}")
    stale = stale_chunks(classes, events, chunk_size, out)
    if stale:
        bar.write(f"warning: {len(stale)} chunk file(s) beyond the {events} events requested per class are in {out} "
                  f"({stale[0].name} ...); a table over the directory reads them too: delete them or use another --out")
    args = [(cls, c, n, seed, str(out), compression, chunk_size) for cls, c, n in todo]
    if jobs == 1:
        _quiet_fastjet()
        for a in args:
            r = run_chunk(*a)
            results.append(r)
            bar.update(r["events"])
            bar.set_postfix_str(f"{r['cls']} #{r['chunk']}")
    elif args:
        with ProcessPoolExecutor(max_workers=min(jobs, len(args)), initializer=_quiet_fastjet) as ex:
            futs = [ex.submit(run_chunk, *a) for a in args]
            for fut in as_completed(futs):
                r = fut.result()
                results.append(r)
                bar.update(r["events"])
                bar.set_postfix_str(f"{r['cls']} #{r['chunk']}")
    bar.close()
    return sorted(results, key=lambda r: (r["cls"], r["chunk"]))


def report(results: list[dict], wall: float) -> None:
    if not results:
        print("nothing generated")
        return
    print(f"{'class':<7} {'chunks':>6} {'events':>7} {'tried':>8} {'cpu s':>7} {'ev/cpu-s':>9} {'MB':>7} {'kB/ev':>6}")
    for cls in sorted({r["cls"] for r in results}):
        rs = [r for r in results if r["cls"] == cls]
        ev, tr, s, b = (sum(r[k] for r in rs) for k in ("events", "tried", "seconds", "bytes"))
        print(f"{cls:<7} {len(rs):>6} {ev:>7} {tr:>8} {s:>7.1f} {ev / s:>9.1f} {b / 1e6:>7.2f} {b / 1e3 / ev:>6.1f}")
    print(f"wall time {wall:.1f} s")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "plot":
        import plots

        return plots.main(argv[1:])
    if argv and argv[0] == "gen":
        argv = argv[1:]
    ap = argparse.ArgumentParser(prog="generate.py", description=__doc__.split("\n\n")[0],
                                 epilog="Subcommand: 'generate.py plot DIR' prints per-class summaries and writes PNGs.")
    ap.add_argument("--events", type=int, default=300, help="events per class (default 300)")
    ap.add_argument("--classes", default="qcd,ttbar,wjets", help="comma-separated subset of qcd,ttbar,wjets")
    ap.add_argument("--out", type=Path, default=Path("data/generated"), help="output directory (default data/generated)")
    ap.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: number of cores)")
    ap.add_argument("--chunk-size", type=int, default=100, help="events per file (default 100)")
    ap.add_argument("--compression", default="zlib:1", help="zlib|lz4|zstd|lzma|none[:level] (default zlib:1)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--plot", action="store_true", help="afterwards run 'plot' on --out")
    a = ap.parse_args(argv)
    classes = [c.strip() for c in a.classes.split(",") if c.strip()]
    for c in classes:
        if c not in processes.CLASSES:
            ap.error(f"unknown class {c!r}")
    if a.events < 0 or a.chunk_size < 1:
        ap.error("--events must be >= 0 and --chunk-size >= 1")
    t0 = time.perf_counter()
    results = generate(classes, a.events, a.out, seed=a.seed, jobs=a.jobs or None, chunk_size=a.chunk_size,
                       compression=a.compression, progress=not a.no_progress)
    report(results, time.perf_counter() - t0)
    if a.plot:
        import plots

        plots.main([str(a.out)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
