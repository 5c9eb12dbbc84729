"""Harness of the SQL-function oracle: runs queries/*.sql through hepfusion on each data
source and compares the result, event by event, with awk_queries.py.

Sources (each defines a table or view named ``events`` with Muon/Electron/Jet as
List<Struct> and MET as Struct, so the same SQL runs on all of them):
  parquet  the restructured Parquet file (list<struct> columns), read directly;
  flat     the flat Parquet file (Muon_pt, Muon_eta, ... lists): a view builds the structs
           with transform(Muon_pt, (pt, i) -> named_struct('pt', pt, 'eta', Muon_eta[i], ...));
  root     the NanoAOD-layout ROOT copy (make_fixture.py) read with root.group_counters;
           MET_pt/MET_phi/MET_sumet are packed into a MET struct by a view.
"""

from __future__ import annotations

import math
import os
import subprocess
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq

import awk_queries as aq
import make_fixture

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
QUERY_DIR = HERE / "queries"
SOURCES = ["parquet", "flat", "root"]

REL_TOL = 1e-5
ABS_TOL = 1e-6
MAX_REPORTED = 8


def hepfusion_bin() -> Path:
    env = os.environ.get("HEPFUSION_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "hepfusion"


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def query_sql(name: str) -> str:
    text = (QUERY_DIR / f"{name}.sql").read_text()
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


def _struct_from_flat(coll: str, fields: list[str]) -> str:
    first = fields[0]
    parts = [f"'{first}', x"] + [f"'{f}', {coll}_{f}[i]" for f in fields[1:]]
    return f"transform({coll}_{first}, (x, i) -> named_struct({', '.join(parts)})) AS {coll}"


def _met_struct() -> str:
    return "named_struct(" + ", ".join(f"'{f}', MET_{f}" for f in aq.MET_FIELDS) + ") AS MET"


def setup_sql(source: str) -> str:
    keys = ", ".join(aq.KEYS)
    if source == "parquet":
        return (f"CREATE EXTERNAL TABLE events STORED AS PARQUET "
                f"LOCATION '{make_fixture.restructured_parquet()}';")
    if source == "flat":
        colls = ",\n  ".join(_struct_from_flat(c, f) for c, f in aq.FIELDS.items())
        return (f"CREATE EXTERNAL TABLE events_flat STORED AS PARQUET "
                f"LOCATION '{make_fixture.flat_parquet()}';\n"
                f"CREATE VIEW events AS SELECT {keys}, {_met_struct()},\n  {colls}\nFROM events_flat;")
    if source == "root":
        colls = ", ".join(aq.FIELDS)
        return (f"CREATE EXTERNAL TABLE events_root STORED AS ROOT "
                f"LOCATION '{make_fixture.ensure()}' "
                f"OPTIONS ('root.tree' 'Events', 'root.group_counters' 'true');\n"
                f"CREATE VIEW events AS SELECT {keys}, {_met_struct()}, {colls} FROM events_root;")
    raise ValueError(source)


def session_settings() -> str:
    out = []
    parts = os.environ.get("HEPFUSION_UDF_PARTITIONS", "2")
    batch = os.environ.get("HEPFUSION_UDF_BATCH_SIZE", "100")  # several batches per file
    if parts:
        out.append(f"SET datafusion.execution.target_partitions = {int(parts)};")
    if batch:
        out.append(f"SET datafusion.execution.batch_size = {int(batch)};")
    return "\n".join(out)


def run_sql(name: str, source: str, tmp: Path) -> list[dict]:
    """Runs query `name` on `source`; returns the rows (pyarrow to_pylist)."""
    out = tmp / f"{name}-{source}.parquet"
    script = "\n".join([session_settings(), setup_sql(source),
                        f"COPY ({query_sql(name)}) TO '{out}' STORED AS PARQUET;", ""])
    sql_file = tmp / f"{name}-{source}.sql"
    sql_file.write_text(script)
    proc = subprocess.run([str(hepfusion_bin()), "-q", "-f", str(sql_file)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not out.exists():
        raise SqlError(f"hepfusion failed (rc {proc.returncode}) on {sql_file}:\n"
                       f"{proc.stderr.strip()[-3000:]}")
    return pq.read_table(out).to_pylist()


class SqlError(Exception):
    pass


@lru_cache(maxsize=None)
def events():
    return aq.load_flat(make_fixture.flat_parquet())


@lru_cache(maxsize=None)
def expected(name: str):
    fn, keys = aq.QUERIES[name]
    return aq.to_rows(fn(events()), keys), keys


# ----------------------------------------------------------------------------- comparison

def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, (list, tuple)):
        return "list"
    if isinstance(v, dict):
        return "struct"
    return type(v).__name__


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


def diff(got, exp, path=""):
    """First difference between got and exp as a string, or None."""
    kg, ke = _kind(got), _kind(exp)
    if kg != ke:
        return f"{path}: got {got!r} ({kg}), expected {exp!r} ({ke})"
    if ke == "float":
        return None if _close(got, exp) else f"{path}: got {got!r}, expected {exp!r}"
    if ke == "list":
        if len(got) != len(exp):
            return f"{path}: got {len(got)} elements {_short(got)}, expected {len(exp)} {_short(exp)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            d = diff(g, e, f"{path}[{i}]")
            if d:
                return d
        return None
    if ke == "struct":
        if set(got) != set(exp):
            return f"{path}: fields {sorted(got)} vs expected {sorted(exp)}"
        for k in exp:
            d = diff(got[k], exp[k], f"{path}.{k}")
            if d:
                return d
        return None
    return None if got == exp else f"{path}: got {got!r}, expected {exp!r}"


def _short(v, n=200):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "..."


def compare(name: str, got_rows: list[dict]) -> list[str]:
    exp_rows, keys = expected(name)
    problems = []
    if got_rows and set(got_rows[0]) != set(exp_rows[0] if exp_rows else got_rows[0]):
        return [f"columns: got {list(got_rows[0])}, expected {list(exp_rows[0])}"]
    if keys:
        got_rows = sorted(got_rows, key=lambda r: tuple(r[k] for k in keys))
    if len(got_rows) != len(exp_rows):
        problems.append(f"row count: got {len(got_rows)}, expected {len(exp_rows)}")
        if keys:
            gk = {tuple(r[k] for k in keys) for r in got_rows}
            ek = {tuple(r[k] for k in keys) for r in exp_rows}
            problems.append(f"  only in SQL: {sorted(gk - ek)[:5]}; only expected: {sorted(ek - gk)[:5]}")
        return problems
    n_bad = 0
    for g, e in zip(got_rows, exp_rows):
        where = ", ".join(f"{k}={e[k]}" for k in keys) if keys else "row"
        for col in e:
            d = diff(g[col], e[col], col)
            if d:
                n_bad += 1
                if n_bad <= MAX_REPORTED:
                    problems.append(f"[{where}] {d}")
    if n_bad > MAX_REPORTED:
        problems.append(f"... {n_bad} differing values in all")
    return problems
