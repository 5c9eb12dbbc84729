#!/usr/bin/env python3
"""Write NanoAOD-like ROOT TTrees with uproot, for read benchmarks.

One file per codec, ``DIR/nano-<codec>-<N>.root`` (or ``nano-<codec>-<N>x<K>.root``
with ``--scale K``), each holding a TTree ``Events`` with 30 branches:

* flat: run, luminosityBlock (uint32), event (uint64), MET_pt, MET_phi (float32),
  PV_npvs (int32), 8 ``HLT_*`` bool flags;
* jagged collections written as awkward records that share one counter
  (``nJet`` + ``Jet_pt/eta/phi/mass`` float32 + ``Jet_jetId`` int32, Poisson(5);
  ``nMuon`` + ``Muon_pt/eta/phi`` float32 + ``Muon_charge`` int32, Poisson(1.5);
  ``nElectron`` + ``Electron_pt/eta/phi`` float32 + ``Electron_charge`` int32,
  Poisson(1)).

The content is deterministic: chunk ``i`` of the file is generated from
``numpy.random.default_rng([seed, i])``, so any two files with the same N hold
the same events whatever the codec.  ``--scale K`` writes the N events K times
over (only ``event`` is shifted by ``rep * N`` so event numbers stay unique), so
every per-event sum over the scaled file is exactly K times the unscaled one.

Floats get realistic shapes (exponential pt, gaussian eta, uniform phi) and,
as in CMS NanoAOD, eta/phi/mass have their float32 mantissa truncated, so the
compression ratios look like those of real NanoAOD rather than of white noise.

Each ``extend`` call writes one basket per branch (~100k events, i.e. about
0.4-2 MB per branch), which gives cluster/basket layouts close to real files.

Files are written to ``<name>.tmp`` and renamed when complete; existing files
are skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

CODECS = {
    "zlib": lambda: uproot.ZLIB(1),
    "lz4": lambda: uproot.LZ4(4),
    "zstd": lambda: uproot.ZSTD(5),
    "none": lambda: None,
}

DEFAULT_CHUNK = 100_000
DEFAULT_SEED = 20240601

HLT_FLAGS = {
    # name: acceptance probability
    "HLT_IsoMu24": 0.18,
    "HLT_IsoMu27": 0.12,
    "HLT_Mu50": 0.03,
    "HLT_Ele32_WPTight_Gsf": 0.15,
    "HLT_Ele35_WPTight_Gsf": 0.11,
    "HLT_PFMET120_PFMHT120_IDTight": 0.04,
    "HLT_PFHT1050": 0.01,
    "HLT_DoubleMu4_3_Jpsi": 0.005,
}

BRANCH_TYPES = {
    "run": "uint32",
    "luminosityBlock": "uint32",
    "event": "uint64",
    "MET_pt": "float32",
    "MET_phi": "float32",
    "PV_npvs": "int32",
    **{name: "bool" for name in HLT_FLAGS},
    "Jet": "var * {pt: float32, eta: float32, phi: float32, mass: float32, jetId: int32}",
    "Muon": "var * {pt: float32, eta: float32, phi: float32, charge: int32}",
    "Electron": "var * {pt: float32, eta: float32, phi: float32, charge: int32}",
}


def file_name(codec: str, n: int, scale: int = 1) -> str:
    return f"nano-{codec}-{n}.root" if scale == 1 else f"nano-{codec}-{n}x{scale}.root"


def truncate_mantissa(x: np.ndarray, bits: int) -> np.ndarray:
    """Round a float32 array to ``bits`` mantissa bits (as NanoAOD does)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    drop = 23 - bits
    u = x.view(np.uint32)
    half = np.uint32(1 << (drop - 1))
    mask = np.uint32((0xFFFFFFFF >> drop) << drop)
    return ((u + half) & mask).view(np.float32)


def _collection(rng, n_events, mean, pt_min, pt_scale, eta_sigma, extra):
    counts = rng.poisson(mean, n_events).astype(np.int32)
    total = int(counts.sum())
    pt = (pt_min + rng.exponential(pt_scale, total)).astype(np.float32)
    eta = truncate_mantissa(rng.normal(0.0, eta_sigma, total).clip(-4.7, 4.7), 12)
    phi = truncate_mantissa(rng.uniform(-np.pi, np.pi, total), 12)
    fields = {"pt": pt, "eta": eta, "phi": phi}
    fields.update(extra(rng, total, pt))
    record = ak.zip({k: ak.unflatten(v, counts) for k, v in fields.items()})
    return record


def _jet_extra(rng, total, pt):
    mass = truncate_mantissa(pt * rng.uniform(0.05, 0.25, total).astype(np.float32), 10)
    jet_id = rng.choice(np.array([0, 2, 6], dtype=np.int32), total, p=[0.05, 0.15, 0.80])
    return {"mass": mass, "jetId": jet_id}


def _charge_extra(rng, total, pt):
    return {"charge": (rng.integers(0, 2, total, dtype=np.int32) * 2 - 1).astype(np.int32)}


def make_chunk(chunk_index: int, start: int, n_events: int, seed: int = DEFAULT_SEED) -> dict:
    """Generate events [start, start + n_events) of the deterministic sample."""
    rng = np.random.default_rng([seed, chunk_index])
    event = np.arange(start, start + n_events, dtype=np.uint64) + np.uint64(1)
    data = {
        "run": np.full(n_events, 297050, dtype=np.uint32),
        "luminosityBlock": (event // np.uint64(1000) + np.uint64(1)).astype(np.uint32),
        "event": event,
        "MET_pt": rng.exponential(35.0, n_events).astype(np.float32),
        "MET_phi": truncate_mantissa(rng.uniform(-np.pi, np.pi, n_events), 12),
        "PV_npvs": rng.poisson(22, n_events).astype(np.int32),
    }
    for name, p in HLT_FLAGS.items():
        data[name] = rng.random(n_events) < p
    data["Jet"] = _collection(rng, n_events, 5.0, 15.0, 30.0, 1.8, _jet_extra)
    data["Muon"] = _collection(rng, n_events, 1.5, 3.0, 15.0, 1.2, _charge_extra)
    data["Electron"] = _collection(rng, n_events, 1.0, 5.0, 20.0, 1.3, _charge_extra)
    return data


def chunk_bounds(n: int, chunk: int):
    for i, start in enumerate(range(0, n, chunk)):
        yield i, start, min(chunk, n - start)


def write_file(path: Path, codec: str, n: int, scale: int = 1, chunk: int = DEFAULT_CHUNK,
               seed: int = DEFAULT_SEED, verbose: bool = True) -> float:
    """Write one file; returns the seconds it took."""
    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    bounds = list(chunk_bounds(n, chunk))
    cache: dict[int, dict] = {}
    with uproot.recreate(tmp, compression=CODECS[codec]()) as f:
        tree = f.mktree("Events", BRANCH_TYPES)
        for rep in range(scale):
            for i, start, size in bounds:
                if rep == 0:
                    data = make_chunk(i, start, size, seed)
                    # keep the chunks only when they will be written again (scale > 1);
                    # 1M events is ~200 MB of arrays
                    if scale > 1:
                        cache[i] = data
                else:
                    data = dict(cache[i])
                    data["event"] = data["event"] + np.uint64(rep * n)
                tree.extend(data)
    os.replace(tmp, path)
    dt = time.perf_counter() - t0
    if verbose:
        size = path.stat().st_size / 1e6
        per100k = dt / (n * scale / 1e5)
        print(f"wrote {path} ({size:.1f} MB, {n * scale} events) in {dt:.1f} s "
              f"({per100k:.2f} s per 100k events)", file=sys.stderr)
    return dt


def ensure_files(out: Path, n: int, codecs, scale: int = 1, chunk: int = DEFAULT_CHUNK,
                 seed: int = DEFAULT_SEED, verbose: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for codec in codecs:
        if codec not in CODECS:
            raise SystemExit(f"unknown codec {codec!r}; choose from {','.join(CODECS)}")
        path = out / file_name(codec, n, scale)
        if path.exists():
            if verbose:
                print(f"exists, skipping: {path}", file=sys.stderr)
        else:
            write_file(path, codec, n, scale, chunk, seed, verbose)
        paths[codec] = path
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", "-n", type=int, default=1_000_000, help="events (default 1,000,000)")
    ap.add_argument("--out", "-o", type=Path, default=Path(".cache/bench"), help="output directory")
    ap.add_argument("--codecs", default="zlib,lz4,zstd,none",
                    help="comma-separated subset of zlib,lz4,zstd,none")
    ap.add_argument("--scale", type=int, default=1,
                    help="write the N events K times over (file K times larger), "
                         "named nano-<codec>-<N>x<K>.root")
    ap.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="events per extend() (basket)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    if args.events <= 0 or args.scale <= 0 or args.chunk <= 0:
        ap.error("--events, --scale and --chunk must be positive")
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    paths = ensure_files(args.out, args.events, codecs, args.scale, args.chunk, args.seed)
    for p in paths.values():
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
