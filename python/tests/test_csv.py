"""Lists and structs in CSV and TSV: written as JSON text inside the field (COPY and the
shell's --format csv/tsv), read back with pandas and json.loads, compared value by value with
what uproot and pyarrow read from the same files."""

import json
import math
import os
import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pytest
import uproot

from conftest import REPO


def shell_binary():
    target = os.environ.get("CARGO_TARGET_DIR", REPO / "target")
    path = os.path.join(target, "release", "hepfusion")
    if not os.path.exists(path):
        pytest.fail(f"the shell is not built: {path} (cargo build --release --bins)")
    return path


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-30)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def assert_round_trip(frame, expected_by_column):
    for column, expected in expected_by_column.items():
        got = [json.loads(cell) for cell in frame[column]]
        assert len(got) == len(expected)
        for i, (g, e) in enumerate(zip(got, expected)):
            assert same(g, e), f"{column}[{i}]: {g} != {e}"


def test_copy_to_csv_writes_lists_and_structs_as_json(ctx, cms, tmp_path):
    out = tmp_path / "events.csv"
    ctx.sql(f"COPY (SELECT run, event, Muon, Jet FROM '{cms}') TO '{out}'").to_pylist()
    frame = pd.read_csv(out)
    table = pq.read_table(cms, columns=["run", "event", "Muon", "Jet"]).to_pylist()
    assert list(frame["event"]) == [row["event"] for row in table]
    assert_round_trip(frame, {"Muon": [row["Muon"] for row in table], "Jet": [row["Jet"] for row in table]})


@pytest.mark.parametrize("fmt,sep", [("csv", ","), ("tsv", "\t")])
def test_shell_csv_and_tsv_of_root_lists(hzz, tmp_path, fmt, sep):
    sql = f"SELECT NMuon, Muon_Px, Jet_E FROM read_root('{hzz}')"
    run = subprocess.run([shell_binary(), "--format", fmt, "-c", sql], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    path = tmp_path / f"out.{fmt}"
    path.write_text(run.stdout)
    frame = pd.read_csv(path, sep=sep)
    events = uproot.open(hzz)["events"].arrays(["NMuon", "Muon_Px", "Jet_E"], library="ak").tolist()
    assert list(frame["NMuon"]) == [e["NMuon"] for e in events]
    assert_round_trip(frame, {"Muon_Px": [e["Muon_Px"] for e in events], "Jet_E": [e["Jet_E"] for e in events]})
