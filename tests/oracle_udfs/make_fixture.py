#!/usr/bin/env python3
"""Write the NanoAOD-layout ROOT copy of the 1000 CMS 2012 events (cached).

Tree ``Events`` with ``run``, ``luminosityBlock``, ``event``, ``MET_pt``/``MET_phi``/``MET_sumet``
and, per collection (Muon, Electron, Jet), a counter ``nX`` plus jagged ``X_field`` branches
(uproot writes that layout for an ``ak.zip``-ed record per collection). hepfusion reads it
back with ``root.group_counters`` as ``X: List<Struct<field...>>``.

Usage: python tests/oracle_udfs/make_fixture.py [--force]   (prints the path)
Environment: HEPFUSION_SHARED (default <repo>/../shared), HEPFUSION_FIXTURES
(default <repo>/.cache/fixtures).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import awkward as ak
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import awk_queries as aq  # noqa: E402

NAME = "cms2012_nanoaod.root"


def shared_dir() -> Path:
    return Path(os.environ.get("HEPFUSION_SHARED", REPO.parent / "shared"))


def data_dir() -> Path:
    return shared_dir() / "data" / "cms-opendata-2012"


def flat_parquet() -> Path:
    return data_dir() / "Run2012B_SingleMu-1000.parquet"


def restructured_parquet() -> Path:
    return data_dir() / "Run2012B_SingleMu-restructured-1000.parquet"


def fixture_path() -> Path:
    env = os.environ.get("HEPFUSION_FIXTURES")
    return (Path(env) if env else REPO / ".cache" / "fixtures") / NAME


def write_root(ev: ak.Array, path: Path) -> None:
    import uproot

    branches = {k: ak.to_numpy(ev[k]) for k in aq.KEYS}
    for f in aq.MET_FIELDS:
        branches[f"MET_{f}"] = ak.to_numpy(ev.MET[f])
    for coll in aq.FIELDS:
        branches[coll] = ak.zip({f: ev[coll][f] for f in aq.FIELDS[coll]})
    tmp = path.with_suffix(".tmp.root")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    # mktree + extend writes the NanoAOD layout (counter nX, branches X_field); assigning a
    # dict to f["Events"] makes X.field sub-branches instead
    types = {k: (v.dtype if isinstance(v, np.ndarray) else str(v.type.content))
             for k, v in branches.items()}
    with uproot.recreate(tmp, compression=uproot.ZLIB(1)) as f:
        tree = f.mktree("Events", types)
        tree.extend(branches)
    # read back and check before putting it in place
    with uproot.open(tmp) as f:
        t = f["Events"]
        back = t.arrays(library="ak")
        assert len(back) == len(ev)
        for coll in aq.FIELDS:
            assert f"n{coll}" in t.keys(), t.keys()
            for fld in aq.FIELDS[coll]:
                assert ak.all(back[f"{coll}_{fld}"] == ev[coll][fld]), (coll, fld)
        assert np.array_equal(ak.to_numpy(back["event"]), ak.to_numpy(ev["event"]))
    os.replace(tmp, path)


def ensure(force: bool = False) -> Path:
    path = fixture_path()
    if force or not path.exists():
        write_root(aq.load_flat(flat_parquet()), path)
    return path


if __name__ == "__main__":
    print(ensure(force="--force" in sys.argv[1:]))
