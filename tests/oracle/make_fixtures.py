#!/usr/bin/env python3
"""Write the oracle's fixture ROOT files with uproot (TTrees only).

Every fixture is written to a temporary name, read back with uproot, compared with
the data it was made from, checked for the on-disk property it exists for (codec
of its baskets, number of compression blocks, number of cycles ...), and only then
renamed into place. A file that already exists is skipped, so the cache stays valid
across runs; ``--force`` rebuilds everything.

Usage: python tests/oracle/make_fixtures.py [--out DIR] [--force] [--only NAME ...]
The default DIR is ``$HEPFUSION_FIXTURES`` or ``<repo>/.cache/fixtures``.
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

REPO = Path(__file__).resolve().parents[2]
SEED = 20250611

# uproot's compression objects, and the block magic each one must produce on disk.
CODECS = {
    "zlib1": (lambda: uproot.ZLIB(1), "ZLIB"),
    "lz4-4": (lambda: uproot.LZ4(4), "LZ4"),
    "lzma5": (lambda: uproot.LZMA(5), "LZMA"),
    "lzma1": (lambda: uproot.LZMA(1), "LZMA"),  # for the big basket: LZMA(5) takes ~2 min
    "zstd5": (lambda: uproot.ZSTD(5), "ZSTD"),
    "uncompressed": (lambda: None, None),
}


def default_out_dir() -> Path:
    env = os.environ.get("HEPFUSION_FIXTURES")
    return Path(env) if env else REPO / ".cache" / "fixtures"


# --------------------------------------------------------------------------------------
# data generators (all seeded)
# --------------------------------------------------------------------------------------


def special_floats(dtype) -> np.ndarray:
    fi = np.finfo(dtype)
    return np.array(
        [
            np.nan,
            np.inf,
            -np.inf,
            -0.0,
            0.0,
            fi.smallest_subnormal,
            -fi.smallest_subnormal,
            fi.tiny,
            fi.max,
            fi.min,
            fi.eps,
            1.0,
            -1.0,
        ],
        dtype=dtype,
    )


def floats(rng: np.random.Generator, n: int, dtype, scale=50.0, specials=True) -> np.ndarray:
    """Random floats with NaN, +-inf, -0.0, subnormals and extremes at random places."""
    a = (rng.normal(0.0, scale, n)).astype(dtype)
    if specials and n > 0:
        sp = special_floats(dtype)
        k = min(n, len(sp))
        idx = rng.choice(n, size=k, replace=False)
        a[idx] = sp[:k]
        # plus a sprinkle of extra NaNs
        extra = rng.random(n) < 0.002
        a[extra] = np.nan
    return a


def ints(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    ii = np.iinfo(dtype)
    a = rng.integers(ii.min, ii.max, size=n, dtype=dtype, endpoint=True)
    if n >= 4:
        a[:4] = np.array([ii.min, ii.max, 0, 1 if ii.min == 0 else -1], dtype=dtype)
    return a


def jagged(content: np.ndarray, counts: np.ndarray) -> ak.Array:
    assert counts.sum() == len(content)
    return ak.unflatten(content, counts)


def strings(rng: np.random.Generator, n: int, start: int) -> ak.Array:
    special = ["", "µ→é ✓ 日本", "x" * 254, "y" * 255, "z" * 256, "w" * 70000, "tab\tnew\nline", "a"]
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(special[int(rng.integers(0, len(special)))])
        else:
            out.append(f"evt{start + i}_" + "q" * int(rng.integers(0, 12)))
    return ak.Array(out)


# --------------------------------------------------------------------------------------
# the physics tree (one per codec)
# --------------------------------------------------------------------------------------

PHYSICS_TYPES = {
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "u8": "uint64",
    "f4": "float32",
    "f8": "float64",
    "flag": "bool",
    "a3": ("f4", (3,)),
    "m23": ("f8", (2, 3)),
    "ai4": ("i2", (4,)),
    "jf": "var * float32",
    "ji": "var * int32",
    "jd": "var * float64",
    "jb": "var * bool",
    "Muon": "var * {pt: float32, eta: float32, charge: int32}",
    "label": "string",
}
PHYSICS_CHUNKS = [1000, 1, 2999]  # three baskets per branch, one of them a 1-entry basket


def physics_chunk(rng: np.random.Generator, n: int, start: int) -> dict:
    d = {
        "i1": ints(rng, n, np.int8),
        "i2": ints(rng, n, np.int16),
        "i4": ints(rng, n, np.int32),
        "i8": ints(rng, n, np.int64),
        "u1": ints(rng, n, np.uint8),
        "u2": ints(rng, n, np.uint16),
        "u4": ints(rng, n, np.uint32),
        "u8": ints(rng, n, np.uint64),
        "f4": floats(rng, n, np.float32),
        "f8": floats(rng, n, np.float64),
        "flag": rng.random(n) < 0.3,
        "a3": floats(rng, 3 * n, np.float32).reshape(n, 3),
        "m23": floats(rng, 6 * n, np.float64).reshape(n, 2, 3),
        "ai4": ints(rng, 4 * n, np.int16).reshape(n, 4),
    }
    c = rng.poisson(2.5, n)
    d["jf"] = jagged(floats(rng, int(c.sum()), np.float32), c)
    c = rng.poisson(1.0, n)
    d["ji"] = jagged(ints(rng, int(c.sum()), np.int32), c)
    c = rng.poisson(4.0, n)
    d["jd"] = jagged(floats(rng, int(c.sum()), np.float64), c)
    c = rng.poisson(0.7, n)
    d["jb"] = jagged(rng.random(int(c.sum())) < 0.5, c)
    c = rng.poisson(1.5, n)
    m = int(c.sum())
    d["Muon"] = ak.zip(
        {
            "pt": jagged(np.abs(floats(rng, m, np.float32, scale=30.0)), c),
            "eta": jagged(floats(rng, m, np.float32, scale=1.5), c),
            "charge": jagged(rng.choice(np.array([-1, 1], dtype=np.int32), m), c),
        }
    )
    d["label"] = strings(rng, n, start)
    return d


def build_physics(path: Path, codec_key: str) -> dict:
    make_codec, _ = CODECS[codec_key]
    rng = np.random.default_rng(SEED)  # same data in every codec
    chunks = []
    start = 0
    for n in PHYSICS_CHUNKS:
        chunks.append(physics_chunk(rng, n, start))
        start += n
    with uproot.recreate(path, compression=make_codec()) as f:
        t = f.mktree("events", PHYSICS_TYPES, title="hepfusion oracle physics tree")
        for ch in chunks:
            t.extend(ch)
    return {"events": chunks}


# --------------------------------------------------------------------------------------
# other fixtures
# --------------------------------------------------------------------------------------

BIG_N = 2_200_000


def build_bigbasket(path: Path, codec_key: str) -> dict:
    """One extend => one basket per branch; every basket is > 16 MiB uncompressed.

    Values are multiples of 1/64 (few significant mantissa bits) so that every 16 MiB
    block really compresses with every codec; uproot would otherwise store the whole
    basket raw.
    """
    make_codec, _ = CODECS[codec_key]
    rng = np.random.default_rng(SEED + 1)
    n = BIG_N
    x = (rng.integers(-(2**20), 2**20, n) / 64.0).astype(np.float64)  # 17.6 MB, 2 blocks
    x[[5, 77, n - 1]] = [np.nan, np.inf, -np.inf]
    v = (rng.integers(-(2**12), 2**12, (n, 4)) / 16.0).astype(np.float32)  # 35.2 MB, 3 blocks
    v[3, 2] = np.nan
    c = rng.poisson(2.0, n)
    j = jagged(rng.integers(-1000, 1000, int(c.sum())).astype(np.int32), c)  # ~26 MB + offsets
    e = np.arange(n, dtype=np.int64)  # 17.6 MB
    data = {"x": x, "v": v, "j": j, "e": e}
    with uproot.recreate(path, compression=make_codec()) as f:
        t = f.mktree("big", {"x": "float64", "v": ("f4", (4,)), "j": "var * int32", "e": "int64"})
        t.extend(data)
    return {"big": [data]}


def build_empty(path: Path) -> dict:
    types = {"x": "float32", "n": "int64", "a3": ("f8", (3,)), "j": "var * float64", "s": "string",
             "Muon": "var * {pt: float32, charge: int32}"}
    with uproot.recreate(path) as f:
        f.mktree("empty_nobasket", types)  # mktree, never extended
        t = f.mktree("empty_extended", types)  # extended once with zero-length arrays
        t.extend(
            {
                "x": np.zeros(0, np.float32),
                "n": np.zeros(0, np.int64),
                "a3": np.zeros((0, 3), np.float64),
                "j": ak.Array([[1.0]])[0:0],
                "s": ak.Array(["a"])[0:0],
                "Muon": ak.zip({"pt": ak.Array([[1.0]])[0:0], "charge": ak.Array([[1]])[0:0]}),
            }
        )
    return {"empty_nobasket": [], "empty_extended": []}


MILLION_CHUNKS = [300_000, 250_000, 250_000, 200_000]


def build_million(path: Path) -> dict:
    rng = np.random.default_rng(SEED + 2)
    chunks = []
    start = 0
    for n in MILLION_CHUNKS:
        c = rng.poisson(3.0, n)
        m = int(c.sum())
        chunks.append(
            {
                "event": np.arange(start, start + n, dtype=np.uint64),
                "met": floats(rng, n, np.float32, scale=40.0),
                "pass": rng.random(n) < 0.5,
                "nvtx": rng.poisson(20, n).astype(np.int32),
                "Jet": ak.zip(
                    {
                        "pt": jagged(np.abs(floats(rng, m, np.float32, scale=50.0)), c),
                        "eta": jagged(floats(rng, m, np.float32, scale=2.0), c),
                        "id": jagged(rng.integers(0, 8, m).astype(np.int8), c),
                    }
                ),
            }
        )
        start += n
    with uproot.recreate(path) as f:
        t = f.mktree(
            "Events",
            {"event": "uint64", "met": "float32", "pass": "bool", "nvtx": "int32",
             "Jet": "var * {pt: float32, eta: float32, id: int8}"},
        )
        for ch in chunks:
            t.extend(ch)
    return {"Events": chunks}


def build_trap(path: Path) -> dict:
    """Jagged branches whose number of values equals the number of entries."""
    d = {
        "jf": ak.values_astype(ak.Array([[], [1.0, 2.0], [3.0], [4.0]]), np.float32),
        "ji": ak.values_astype(ak.Array([[], [1, 2], [3], [4]]), np.int32),
        "ones": ak.values_astype(ak.Array([[1.0], [2.0], [3.0], [4.0]]), np.float64),
    }
    # Same values in two baskets: [[], [1, 2]] (2 values, 2 entries) and [[3], [4]].
    halves = [{k: v[:2] for k, v in d.items()}, {k: v[2:] for k, v in d.items()}]
    types = {"jf": "var * float32", "ji": "var * int32", "ones": "var * float64"}
    with uproot.recreate(path) as f:
        f.mktree("trap", types).extend(d)
        t2 = f.mktree("trap2", types)
        for h in halves:
            t2.extend(h)
    return {"trap": [d], "trap2": halves}


def build_subdir(path: Path) -> dict:
    rng = np.random.default_rng(SEED + 3)
    deep = {"x": ints(rng, 50, np.int32), "j": jagged(floats(rng, 100, np.float32), np.full(50, 2))}
    mid = {"y": floats(rng, 7, np.float64)}
    top = {"x": floats(rng, 11, np.float64)}
    with uproot.recreate(path) as f:
        t = f.mktree("dir/sub/t", {"x": "int32", "j": "var * float32"})
        t.extend(deep)
        t = f.mktree("dir/t2", {"y": "float64"})
        t.extend(mid)
        t = f.mktree("t", {"x": "float64"})  # same name as the deep one, different content
        t.extend(top)
    return {"dir/sub/t": [deep], "dir/t2": [mid], "t": [top]}


def build_cycles(path: Path) -> dict:
    """Two cycles of the same tree name with different content: c;1 (int32) and c;2 (float64).

    Readers must pick the highest cycle, as ROOT's TDirectory::Get does.
    """
    c1 = {"x": np.array([0, 1, 2], dtype=np.int32)}
    c2 = {"x": np.array([0.5, 1.5, np.nan, -np.inf], dtype=np.float64), "y": np.arange(4, dtype=np.int16)}
    with uproot.recreate(path) as f:
        t = f.mktree("c", {"x": "int32"})
        t.extend(c1)
        t = f.mktree("c", {"x": "float64", "y": "int16"})
        t.extend(c2)
    return {"c": [c2]}


# name -> (builder, codec key used for the block-magic check or None)
def _fixtures():
    fx = {}
    for key in ("zlib1", "lz4-4", "lzma5", "zstd5", "uncompressed"):
        fx[f"physics-{key}.root"] = (lambda p, k=key: build_physics(p, k), key)
    for key in ("zlib1", "lz4-4", "zstd5", "lzma1"):
        fx[f"bigbasket-{key}.root"] = (lambda p, k=key: build_bigbasket(p, k), key)
    fx["empty.root"] = (build_empty, None)
    fx["million.root"] = (build_million, "zlib1")
    fx["trap.root"] = (build_trap, None)
    fx["subdir.root"] = (build_subdir, None)
    fx["cycles.root"] = (build_cycles, None)
    return fx


FIXTURES = _fixtures()
FIXTURE_NAMES = sorted(FIXTURES)


# --------------------------------------------------------------------------------------
# verification
# --------------------------------------------------------------------------------------


def _concat(chunks: list[dict], key: str):
    parts = [ch[key] for ch in chunks]
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return ak.concatenate(parts)


def _is_jagged(a: ak.Array) -> bool:
    t = a.type.content
    return isinstance(t, ak.types.ListType) and t.parameter("__array__") not in ("string", "bytestring")


def _branch_names(chunk: dict, key: str) -> list[str]:
    want = ak.Array(chunk[key])
    if want.fields:
        return [f"n{key}"] + [f"{key}_{fld}" for fld in want.fields]
    if _is_jagged(want):
        return [f"n{key}", key]
    return [key]


def verify(path: Path, name: str, written: dict, codec_key: str | None) -> None:
    f = uproot.open(path)
    for tree_path, chunks in written.items():
        t = f[tree_path]
        n = sum(len(next(iter(ch.values()))) for ch in chunks) if chunks else 0
        if t.num_entries != n:
            raise AssertionError(f"{name}:{tree_path}: {t.num_entries} entries, wrote {n}")
        if not chunks:
            continue
        arrays = t.arrays(library="ak")
        for key in chunks[0]:
            want = ak.Array(_concat(chunks, key))
            pairs = []
            if want.fields:  # record of jagged fields: n<key> counter plus <key>_<field>
                pairs.append((f"n{key}", ak.values_astype(ak.num(want), np.int32)))
                pairs.extend((f"{key}_{fld}", want[fld]) for fld in want.fields)
            else:
                pairs.append((key, want))
                if _is_jagged(want):
                    pairs.append((f"n{key}", ak.values_astype(ak.num(want), np.int32)))
            for bname, w in pairs:
                got = arrays[bname]
                if not ak.array_equal(w, got, equal_nan=True, dtype_exact=True):
                    raise AssertionError(f"{name}:{tree_path}:{bname}: uproot reads back different data")
        extra = set(arrays.fields) - {bname for key in chunks[0] for bname in _branch_names(chunks[0], key)}
        if extra:
            raise AssertionError(f"{name}:{tree_path}: unexpected branches {sorted(extra)}")

    if name.startswith("bigbasket-"):
        algo = CODECS[codec_key][1]
        t = f["big"]
        for bname in ("x", "v", "j", "e"):
            b = t[bname]
            if b.num_baskets != 1:
                raise AssertionError(f"{name}: {bname} has {b.num_baskets} baskets, want 1")
            bk = b.basket(0)
            info = bk.block_compression_info
            if bk.uncompressed_bytes <= 16 * 1024 * 1024:
                raise AssertionError(f"{name}: {bname} basket only {bk.uncompressed_bytes} bytes")
            if not info or len(info) < 2 or any(a != algo for a, _, _ in info):
                raise AssertionError(f"{name}: {bname} blocks {info}, want >= 2 {algo} blocks")
    elif codec_key is not None and CODECS[codec_key][1] is not None:
        algo = CODECS[codec_key][1]
        seen = set()
        for t in (f[p] for p in written):
            for b in t.values(recursive=True):
                for i in range(b.num_baskets):
                    info = b.basket(i).block_compression_info
                    seen.update(a for a, _, _ in (info or []))
        if seen != {algo}:
            raise AssertionError(f"{name}: basket codecs {seen}, want {{{algo}}}")
    elif codec_key == "uncompressed":
        for t in (f[p] for p in written):
            for b in t.values(recursive=True):
                for i in range(b.num_baskets):
                    if b.basket(i).block_compression_info is not None:
                        raise AssertionError(f"{name}: compressed basket in {b.name}")

    if name == "cycles.root":
        cyc = sorted(k for k in f.keys(cycle=True) if k.startswith("c;"))
        if cyc != ["c;1", "c;2"]:
            raise AssertionError(f"cycles.root has {cyc}, want c;1 and c;2")
        if f["c;1"].num_entries != 3 or f["c"].num_entries != 4:
            raise AssertionError("cycles.root: wrong entries per cycle")
    if name == "empty.root":
        for tp in ("empty_nobasket", "empty_extended"):
            if f[tp]["x"].num_baskets != (0 if tp == "empty_nobasket" else 1):
                raise AssertionError(f"empty.root:{tp}: unexpected baskets {f[tp]['x'].num_baskets}")


def build_one(out: Path, name: str, force: bool = False) -> str:
    """Build fixture ``name`` in ``out``; returns 'exists', 'built'. Raises on failure."""
    final = out / name
    if final.exists() and not force:
        return "exists"
    builder, codec_key = FIXTURES[name]
    tmp = out / f".{name}.tmp-{os.getpid()}"
    try:
        written = builder(tmp)
        verify(tmp, name, written, codec_key)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return "built"


def build_all(out: Path | None = None, force: bool = False, only=None, log=print) -> list[Path]:
    out = Path(out) if out else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    names = only or FIXTURE_NAMES
    for name in names:
        t0 = time.time()
        status = build_one(out, name, force)
        if status == "built":
            log(f"fixture {name}: built in {time.time() - t0:.1f}s")
    return [out / n for n in names]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None,
                    help=f"output dir (default {default_out_dir()}, or $HEPFUSION_FIXTURES)")
    ap.add_argument("--force", action="store_true", help="rebuild existing files")
    ap.add_argument("--only", nargs="*", choices=FIXTURE_NAMES, help="build only these")
    args = ap.parse_args(argv)
    out = args.out or default_out_dir()
    t0 = time.time()
    build_all(out, args.force, args.only)
    print(f"fixtures: {len(args.only or FIXTURE_NAMES)} in {out} ({time.time() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
