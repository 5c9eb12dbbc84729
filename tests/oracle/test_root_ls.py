"""`root_ls` (the shell's `\\root`) against uproot on every file of scikit-hep-testdata: the
objects a file holds and their classes, each tree's entries, and per branch its path,
entries, compressed and uncompressed bytes (fZipBytes, fTotBytes), baskets, and C++ type
(uproot's `typename`) wherever both read the branch."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import uproot

import oracle_lib


def shell() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", oracle_lib.REPO / "target"))
    path = target / "release" / "hepfusion"
    assert path.exists(), f"the shell is not built: {path} (cargo build --release --bins)"
    return path


FILES = sorted(oracle_lib.data_dir().glob("*.root"))


def root_ls(path: Path) -> list[dict] | str:
    run = subprocess.run([shell(), "-q", "--format", "json", "-c", f"SELECT * FROM root_ls('{path}')"],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return run.stderr
    return json.loads(run.stdout) if run.stdout.strip() else []


def uproot_objects(f) -> dict[str, str]:
    """Path (no cycle) -> class of every object, highest cycle, subdirectories included."""
    best: dict[str, tuple[int, str]] = {}
    for key, cls in f.classnames(recursive=True).items():
        name, cycle = oracle_lib._strip_cycles(key)
        if name not in best or best[name][0] < cycle:
            best[name] = (cycle, cls)
    return {k: v[1] for k, v in best.items()}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_root_ls_matches_uproot(path: Path):
    try:
        f = uproot.open(path)
        expected = uproot_objects(f)
    except Exception as e:  # noqa: BLE001 - a file uproot cannot open: ours must say why too
        rows = root_ls(path)
        assert isinstance(rows, str) and rows.strip(), f"uproot fails ({e}) but root_ls gave {rows!r}"
        return
    rows = root_ls(path)
    assert not isinstance(rows, str), rows
    objects = {r["object"]: r["class"] for r in rows if r.get("branch") is None}
    assert objects == expected
    for tree_row in (r for r in rows if r.get("branch") is None and r["class"] in ("TTree", "TNtuple", "TNtupleD")):
        name = tree_row["object"]
        if not tree_row["read"]:
            assert tree_row.get("reason"), tree_row
            continue
        tree = f[name]
        assert tree_row["entries"] == tree.num_entries, name
        # In order, parents before their sub-branches; a tree may hold two branches of one name.
        ours = [r for r in rows if r["object"] == name and r.get("branch") is not None]
        theirs = tree.items(recursive=True, full_paths=True)
        assert [r["branch"] for r in ours] == [b for b, _ in theirs], name
        for r, (b, branch) in zip(ours, theirs):
            facts = (r["entries"], r["compressed_bytes"], r["uncompressed_bytes"], r["baskets"])
            assert facts == (branch.num_entries, branch.compressed_bytes, branch.uncompressed_bytes, branch.num_baskets), f"{name}/{b}"
            if r.get("cpp_type") is not None and _uproot_reads(branch):
                assert r["cpp_type"] == branch.typename, f"{name}/{b}: {branch.interpretation}"


def _uproot_reads(branch) -> bool:
    try:
        return branch.typename != "unknown"
    except Exception:  # noqa: BLE001 - no interpretation: nothing to compare
        return False
