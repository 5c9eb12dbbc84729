#!/usr/bin/env python3
"""Benchmark of hepfusion's array/physics/lambda SQL functions against DuckDB and awkward-array.

Builds (once, cached in <repo>/.cache/bench/) a scaled-up copy of the 1000 CMS 2012
SingleMu events: repetition r of the 1000 events has every phi (Muon, Electron, Jet, MET)
rotated by r * 2.39996 rad (golden angle) and wrapped to [-pi, pi), and its event numbers
shifted by r * 2**40. Written in the restructured layout (Muon: list<struct<pt, eta, ...>>,
MET: struct) and in the flat layout (Muon_pt: list<float>, ...), row groups of 100k events.

Each query reduces to one row (counts / sums), so output costs nothing and the three
engines' answers are cross-checked. Timed:
  hepfusion  one process per (query, threads): SET target_partitions = N, the query run
             1 + --repeat times; the shell's own per-statement wall time ("N rows in X s",
             planning + execution incl. Parquet reading) of the repeats, best of them.
  duckdb     same Parquet file (restructured), SET threads = N, best of --repeat after one
             warm-up; lambdas / list functions / macros for the physics formulas.
  awkward    single-threaded numpy/awkward on arrays already in memory (load time printed
             apart), best of --repeat.

Usage: tools/bench/bench_udfs.py [--events 1000000] [--threads 1,2]
       [--queries count_mu25,good_muons,zpeak,clean_jets,trijet,mt] [--repeat 3]
       [--engines hepfusion,duckdb,awkward] [--layout restructured|flat] [--json OUT]
Run it with the venv of tests/oracle_udfs (tests/oracle_udfs/run.sh creates it; it has duckdb).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "oracle_udfs"))
import awk_queries as aq  # noqa: E402

GOLDEN = math.pi * (3 - math.sqrt(5))  # 2.39996 rad
ROW_GROUP = 100_000


def shared_dir() -> Path:
    return Path(os.environ.get("HEPFUSION_SHARED", REPO.parent / "shared"))


def hepfusion_bin() -> Path:
    env = os.environ.get("HEPFUSION_BIN")
    if env:
        return Path(env)
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hepfusion"


# ----------------------------------------------------------------------------- data

def _wrap32(x64: np.ndarray) -> np.ndarray:
    w = (x64 + math.pi) % (2 * math.pi) - math.pi
    w32 = w.astype(np.float32)
    w32[w32.astype(np.float64) >= math.pi] -= np.float32(2 * math.pi)  # float32 rounding up to pi
    return w32


def _list(counts: np.ndarray, values: pa.Array) -> pa.Array:
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def build_data(n_events: int, out_dir: Path) -> dict[str, Path]:
    paths = {"restructured": out_dir / f"cms2012-{n_events}-restructured.parquet",
             "flat": out_dir / f"cms2012-{n_events}-flat.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    out_dir.mkdir(parents=True, exist_ok=True)
    src = pq.read_table(shared_dir() / "data" / "cms-opendata-2012" / "Run2012B_SingleMu-1000.parquet",
                        columns=aq.flat_columns())
    n0 = src.num_rows
    reps = math.ceil(n_events / n0)
    ev_rep = np.repeat(np.arange(reps, dtype=np.int64), n0)[:n_events]
    ev_src = np.tile(np.arange(n0), reps)[:n_events]
    angle = (ev_rep * GOLDEN) % (2 * math.pi)

    cols: dict[str, pa.Array] = {}
    for k in aq.KEYS:
        v = src.column(k).to_numpy()[ev_src]
        if k == "event":
            v = v + (ev_rep << 40)
        cols[k] = pa.array(v)
    for f in aq.MET_FIELDS:
        v = src.column(f"MET_{f}").to_numpy()[ev_src]
        cols[f"MET_{f}"] = pa.array(_wrap32(v.astype(np.float64) + angle) if f == "phi" else v)
    counts = {}
    for coll, fields in aq.FIELDS.items():
        lst0 = src.column(f"{coll}_{fields[0]}").combine_chunks()
        c0 = np.diff(lst0.offsets.to_numpy())
        off0 = lst0.offsets.to_numpy()[:-1]
        c = c0[ev_src]
        counts[coll] = c
        # flat index of each element of the scaled copy in the source values
        starts = np.repeat(off0[ev_src], c)
        local = np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
        gidx = starts + local
        el_angle = np.repeat(angle, c)
        for f in fields:
            vals = src.column(f"{coll}_{f}").combine_chunks().flatten().to_numpy(zero_copy_only=False)[gidx]
            if f == "phi":
                vals = _wrap32(vals.astype(np.float64) + el_angle)
            cols[f"{coll}_{f}"] = pa.array(vals)

    flat = {k: cols[k] for k in aq.KEYS}
    for f in aq.MET_FIELDS:
        flat[f"MET_{f}"] = cols[f"MET_{f}"]
    for coll, fields in aq.FIELDS.items():
        for f in fields:
            flat[f"{coll}_{f}"] = _list(counts[coll], cols[f"{coll}_{f}"])
    pq.write_table(pa.table(flat), str(paths["flat"]) + ".tmp", row_group_size=ROW_GROUP)

    rest = {k: cols[k] for k in aq.KEYS}
    rest["MET"] = pa.StructArray.from_arrays([cols[f"MET_{f}"] for f in aq.MET_FIELDS], aq.MET_FIELDS)
    for coll, fields in aq.FIELDS.items():
        st = pa.StructArray.from_arrays([cols[f"{coll}_{f}"] for f in fields], fields)
        rest[coll] = _list(counts[coll], st)
    pq.write_table(pa.table(rest), str(paths["restructured"]) + ".tmp", row_group_size=ROW_GROUP)
    for p in paths.values():
        os.replace(str(p) + ".tmp", p)
    return paths


# ----------------------------------------------------------------------------- queries
# hepfusion SQL (our functions), DuckDB SQL (lambdas, list functions, macros), awkward.

GOOD_MU = "m.pt > 10 AND abs(m.eta) < 2.4 AND m.tightId"
GOOD_EL = "e.pt > 10 AND abs(e.eta) < 2.5 AND e.cutBasedId"

HF = {
    "count_mu25": "SELECT count(*) AS n FROM events "
                  "WHERE cardinality(filter(Muon, m -> m.pt > 25 AND abs(m.eta) < 2.1)) >= 1",
    "good_muons": f"""
        SELECT sum(cardinality(g)) AS n_good, sum(aggregate(g, 0.0, (acc, m) -> acc + m.pt)) AS sum_pt
        FROM (SELECT filter(Muon, m -> {GOOD_MU}) AS g FROM events)""",
    "zpeak": """
        WITH z AS (SELECT filter(combinations(Muon, 2),
                          p -> p.p1.charge * p.p2.charge < 0
                               AND invariant_mass(p.p1, p.p2) BETWEEN 60 AND 120) AS zc
                   FROM events),
             b AS (SELECT zc, array_min_by(zc, p -> abs(invariant_mass(p.p1, p.p2) - 91.19)) AS best FROM z)
        SELECT sum(cardinality(zc)) AS n_z, count(best) AS n_ev,
               sum(invariant_mass(best.p1, best.p2)) AS sum_mass FROM b""",
    "clean_jets": f"""
        WITH s AS (SELECT Jet, array_concat_struct(filter(Muon, m -> {GOOD_MU}),
                                                   filter(Electron, e -> {GOOD_EL})) AS lep
                   FROM events),
             c AS (SELECT filter(Jet, j -> j.pt > 30 AND NOT array_any_match(lep, l -> delta_r(j, l) < 0.4)) AS cj
                   FROM s)
        SELECT sum(cardinality(cj)) AS n_jets, sum(aggregate(cj, 0.0, (acc, j) -> acc + j.pt)) AS sum_ht
        FROM c""",
    # Each jet's four-vector once (as DuckDB's query does), then the triples of those.
    "trijet": """
        WITH j AS (SELECT transform(Jet, j -> {'p4': pt_eta_phi_m_to_px_py_pz_e(j), 'btag': j.btag}) AS jet
                   FROM events WHERE cardinality(Jet) >= 3),
             t AS (SELECT array_min_by(combinations(jet, 3),
                                       t -> abs(invariant_mass(t.p1.p4, t.p2.p4, t.p3.p4) - 172.5)) AS best
                   FROM j)
        SELECT count(*) AS n_ev, sum(sum_p4(best.p1.p4, best.p2.p4, best.p3.p4)['pt']) AS sum_pt,
               sum(greatest(best.p1.btag, best.p2.btag, best.p3.btag)) AS sum_btag
        FROM t""",
    "mt": """
        WITH l AS (SELECT MET, array_max_by(Muon, m -> m.pt) AS mu FROM events)
        SELECT count(mu) AS n_ev, sum(transverse_mass(MET.pt, MET.phi, mu.pt, mu.phi)) AS sum_mt,
               sum(abs(delta_phi(mu.phi, MET.phi))) AS sum_dphi
        FROM l""",
}

DUCK_MACROS = """
CREATE OR REPLACE MACRO dphi(a, b) AS (a - b + pi()) - 2 * pi() * floor((a - b + pi()) / (2 * pi())) - pi();
CREATE OR REPLACE MACRO dr(a, b) AS sqrt((a.eta - b.eta) ** 2 + dphi(a.phi, b.phi) ** 2);
CREATE OR REPLACE MACRO p4(v) AS {'px': v.pt * cos(v.phi), 'py': v.pt * sin(v.phi), 'pz': v.pt * sinh(v.eta),
    'e': sqrt((v.pt * cosh(v.eta)) ** 2 + v.mass ** 2)};
CREATE OR REPLACE MACRO mass4(px, py, pz, e) AS sqrt(greatest(e ** 2 - px ** 2 - py ** 2 - pz ** 2, 0));
CREATE OR REPLACE MACRO m2(a, b) AS mass4(a.px + b.px, a.py + b.py, a.pz + b.pz, a.e + b.e);
CREATE OR REPLACE MACRO m3(a, b, c) AS mass4(a.px + b.px + c.px, a.py + b.py + c.py, a.pz + b.pz + c.pz, a.e + b.e + c.e);
"""

DUCK = {
    "count_mu25": "SELECT count(*) AS n FROM events "
                  "WHERE len(list_filter(Muon, lambda m: m.pt > 25 AND abs(m.eta) < 2.1)) >= 1",
    "good_muons": f"""
        SELECT sum(len(g)) AS n_good, sum(list_sum(list_transform(g, lambda m: m.pt::DOUBLE))) AS sum_pt
        FROM (SELECT list_filter(Muon, lambda m: {GOOD_MU}) AS g FROM events)""",
    # pairs i < j via nested list_transform over index ranges; four-vectors computed once per muon
    "zpeak": """
        WITH v AS (SELECT list_transform(Muon, lambda m: {'q': m.charge, 'v': p4(m)}) AS mu FROM events),
             z AS (SELECT list_filter(flatten(list_transform(range(1, len(mu) + 1), lambda i:
                          list_transform(range(i + 1, len(mu) + 1), lambda j:
                              {'q': mu[i].q * mu[j].q, 'm': m2(mu[i].v, mu[j].v)}))),
                          lambda p: p.q < 0 AND p.m BETWEEN 60 AND 120) AS zc
                   FROM v)
        SELECT sum(len(zc)) AS n_z, count(best) AS n_ev, sum(best.m) AS sum_mass
        FROM (SELECT zc, list_sort(list_transform(zc, lambda p: {'d': abs(p.m - 91.19), 'm': p.m}))[1] AS best
              FROM z)""",
    "clean_jets": f"""
        WITH s AS (SELECT Jet, list_concat(
                       list_transform(list_filter(Muon, lambda m: {GOOD_MU}), lambda m: {{'eta': m.eta, 'phi': m.phi}}),
                       list_transform(list_filter(Electron, lambda e: {GOOD_EL}), lambda e: {{'eta': e.eta, 'phi': e.phi}})) AS lep
                   FROM events),
             c AS (SELECT list_filter(Jet, lambda j: j.pt > 30
                          AND len(list_filter(lep, lambda l: dr(j, l) < 0.4)) = 0) AS cj FROM s)
        SELECT sum(len(cj)) AS n_jets, sum(coalesce(list_sum(list_transform(cj, lambda j: j.pt::DOUBLE)), 0)) AS sum_ht
        FROM c""",
    "trijet": """
        WITH v AS (SELECT list_transform(Jet, lambda j: {'b': j.btag, 'v': p4(j)}) AS jet
                   FROM events WHERE len(Jet) >= 3),
             t AS (SELECT list_sort(flatten(flatten(
                       list_transform(range(1, len(jet) + 1), lambda i:
                       list_transform(range(i + 1, len(jet) + 1), lambda j:
                       list_transform(range(j + 1, len(jet) + 1), lambda k:
                           {'d': abs(m3(jet[i].v, jet[j].v, jet[k].v) - 172.5),
                            'pt': sqrt((jet[i].v.px + jet[j].v.px + jet[k].v.px) ** 2
                                       + (jet[i].v.py + jet[j].v.py + jet[k].v.py) ** 2),
                            'b': greatest(jet[i].b, jet[j].b, jet[k].b)}))))))[1] AS best
                   FROM v)
        SELECT count(*) AS n_ev, sum(best.pt) AS sum_pt, sum(best.b) AS sum_btag FROM t""",
    "mt": """
        WITH l AS (SELECT MET, Muon[list_position(list_transform(Muon, lambda m: m.pt),
                                               list_max(list_transform(Muon, lambda m: m.pt)))] AS mu
                   FROM events)
        SELECT count(mu) AS n_ev,
               sum(sqrt(2 * mu.pt::DOUBLE * MET.pt * (1 - cos(mu.phi::DOUBLE - MET.phi)))) AS sum_mt,
               sum(abs(dphi(mu.phi::DOUBLE, MET.phi))) AS sum_dphi
        FROM l""",
}


def _sum(x):
    import awkward as ak
    return float(ak.sum(x))


def awk_count_mu25(ev):
    import awkward as ak
    mu = ev.Muon
    return {"n": int(ak.sum(ak.any((mu.pt > 25) & (abs(mu.eta) < 2.1), axis=1)))}


def awk_good_muons(ev):
    import awkward as ak
    g = ev.Muon[aq.good_muon_mask(ev.Muon)]
    return {"n_good": int(ak.sum(ak.num(g, axis=1))), "sum_pt": _sum(aq._f64(g.pt))}


def awk_zpeak(ev):
    import awkward as ak
    a, b = ak.unzip(ak.combinations(ev.Muon, 2))
    m = aq.mass_of_sum(a, b)
    zm = m[(a.charge * b.charge < 0) & (m >= 60) & (m <= 120)]
    best = ak.firsts(zm[ak.argmin(abs(zm - 91.19), axis=1, keepdims=True)])
    return {"n_z": int(ak.sum(ak.num(zm, axis=1))), "n_ev": int(ak.count(best)),
            "sum_mass": _sum(best)}


def awk_clean_jets(ev):
    import awkward as ak
    gm = ev.Muon[aq.good_muon_mask(ev.Muon)]
    ge = ev.Electron[aq.good_electron_mask(ev.Electron)]
    lep = ak.concatenate([ak.zip({"eta": gm.eta, "phi": gm.phi}), ak.zip({"eta": ge.eta, "phi": ge.phi})], axis=1)
    j, l = ak.unzip(ak.cartesian([ev.Jet, lep], axis=1, nested=True))
    near = ak.any(aq.delta_r64(j, l) < 0.4, axis=-1)
    cj = ev.Jet[(ev.Jet.pt > 30) & ~near]
    return {"n_jets": int(ak.sum(ak.num(cj, axis=1))), "sum_ht": _sum(aq._f64(cj.pt))}


def awk_trijet(ev):
    import awkward as ak
    jet = ev.Jet[ak.num(ev.Jet, axis=1) >= 3]
    a, b, c = ak.unzip(ak.combinations(jet, 3))
    (ax, ay, az, ae), (bx, by, bz, be), (cx, cy, cz, ce) = map(aq.cartesian4, (a, b, c))
    px, py, pz, e = ax + bx + cx, ay + by + cy, az + bz + cz, ae + be + ce
    m = np.sqrt(np.maximum(e * e - px * px - py * py - pz * pz, 0))
    i = ak.argmin(abs(m - 172.5), axis=1, keepdims=True)
    pt = ak.firsts(np.hypot(px, py)[i])
    btag = ak.firsts(np.maximum(np.maximum(a.btag, b.btag), c.btag)[i])
    return {"n_ev": len(jet), "sum_pt": _sum(pt), "sum_btag": _sum(aq._f64(btag))}


def awk_mt(ev):
    import awkward as ak
    mu = ev.Muon
    lead = ak.firsts(mu[ak.argmax(mu.pt, axis=1, keepdims=True)])
    pt, phi = aq._f64(lead.pt), aq._f64(lead.phi)
    met, mphi = aq._f64(ev.MET.pt), aq._f64(ev.MET.phi)
    mt = np.sqrt(2 * pt * met * (1 - np.cos(phi - mphi)))
    return {"n_ev": int(ak.count(lead.pt)), "sum_mt": _sum(mt),
            "sum_dphi": _sum(abs(aq.wrap_phi(phi - mphi)))}


AWK = {"count_mu25": awk_count_mu25, "good_muons": awk_good_muons, "zpeak": awk_zpeak,
       "clean_jets": awk_clean_jets, "trijet": awk_trijet, "mt": awk_mt}
QUERY_NAMES = list(HF)


# ----------------------------------------------------------------------------- engines

def flat_view_sql(table: str) -> str:
    keys = ", ".join(aq.KEYS)
    met = "named_struct(" + ", ".join(f"'{f}', MET_{f}" for f in aq.MET_FIELDS) + ") AS MET"
    colls = []
    for coll, fields in aq.FIELDS.items():
        parts = [f"'{fields[0]}', x"] + [f"'{f}', {coll}_{f}[i]" for f in fields[1:]]
        colls.append(f"transform({coll}_{fields[0]}, (x, i) -> named_struct({', '.join(parts)})) AS {coll}")
    return f"CREATE VIEW events AS SELECT {keys}, {met}, {', '.join(colls)} FROM {table};"


TIMING_RE = re.compile(r"^(\d+) rows? in ([0-9.]+) s$", re.M)


def run_hepfusion(query: str, path: Path, layout: str, threads: int, repeat: int):
    """Best and all timings of `repeat` runs after one warm-up, and the result row."""
    if layout == "flat":
        setup = (f"CREATE EXTERNAL TABLE events_flat STORED AS PARQUET LOCATION '{path}';\n"
                 + flat_view_sql("events_flat"))
    else:
        setup = f"CREATE EXTERNAL TABLE events STORED AS PARQUET LOCATION '{path}';"
    q = " ".join(HF[query].split())
    script = "\n".join([f"SET datafusion.execution.target_partitions = {threads};", setup]
                       + [q + ";"] * (repeat + 1))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    try:
        # table format prints the per-statement wall time on stderr; first result on stdout
        proc = subprocess.run([str(hepfusion_bin()), "--format", "table", "-f", f.name],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip()[-800:])
        times = [float(t) for _, t in TIMING_RE.findall(proc.stderr)]
        # and the result, once more as JSON (cheap: one row)
        js = subprocess.run([str(hepfusion_bin()), "-q", "--format", "json", "-c",
                             f"SET datafusion.execution.target_partitions = {threads}; {setup} {q};"],
                            capture_output=True, text=True, timeout=3600)
        rows = [json.loads(ln) for ln in js.stdout.splitlines() if ln.startswith("[{")]
        result = rows[-1][0] if rows else None
    finally:
        os.unlink(f.name)
    return min(times[1:]), times[1:], result


def run_duckdb(query: str, path: Path, threads: int, repeat: int):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(DUCK_MACROS)
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
    cur = con.execute(DUCK[query])
    cols = [d[0] for d in cur.description]
    result = dict(zip(cols, cur.fetchone()))
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        con.execute(DUCK[query]).fetchall()
        times.append(time.perf_counter() - t)
    con.close()
    return min(times), times, result


def run_awkward(query: str, ev, repeat: int):
    fn = AWK[query]
    result = fn(ev)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(ev)
        times.append(time.perf_counter() - t)
    return min(times), times, result


def agree(a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return "?"
    for k in a:
        if k not in b:
            return f"no {k}"
        x, y = float(a[k] or 0), float(b[k] or 0)
        if abs(x - y) > 1e-4 * max(abs(x), abs(y), 1e-9):
            return f"{k}: {x:.6g} vs {y:.6g}"
    return "ok"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts for hepfusion/DuckDB")
    ap.add_argument("--queries", default=",".join(QUERY_NAMES), help=f"subset of {','.join(QUERY_NAMES)}")
    ap.add_argument("--engines", default="hepfusion,duckdb,awkward")
    ap.add_argument("--layout", default="restructured", choices=["restructured", "flat"],
                    help="input layout for hepfusion (flat: structs built by a transform view)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs after one warm-up")
    ap.add_argument("--data-dir", type=Path, default=REPO / ".cache" / "bench")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    queries = [q.strip() for q in args.queries.split(",") if q.strip()]
    bad = [q for q in queries if q not in HF]
    if bad:
        ap.error(f"unknown queries {bad}; known: {QUERY_NAMES}")
    threads = [int(t) for t in args.threads.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]

    t = time.perf_counter()
    paths = build_data(args.events, args.data_dir)
    print(f"data: {paths['restructured']} and {paths['flat']} ({time.perf_counter() - t:.1f} s)")

    ev = None
    if "awkward" in engines:
        t = time.perf_counter()
        ev = aq.load_flat(paths["flat"])
        print(f"awkward: loaded {len(ev)} events in {time.perf_counter() - t:.1f} s (not in the timings)")
    if "hepfusion" in engines and not hepfusion_bin().exists():
        print(f"hepfusion not found at {hepfusion_bin()}: skipped")
        engines.remove("hepfusion")

    res: dict = {}
    for q in queries:
        res[q] = {}
        for eng in engines:
            for n in (threads if eng != "awkward" else [1]):
                key = f"{eng}/{n}"
                try:
                    if eng == "hepfusion":
                        p = paths[args.layout]
                        best, all_t, out = run_hepfusion(q, p, args.layout, n, args.repeat)
                    elif eng == "duckdb":
                        best, all_t, out = run_duckdb(q, paths["restructured"], n, args.repeat)
                    else:
                        best, all_t, out = run_awkward(q, ev, args.repeat)
                    res[q][key] = {"best_s": best, "times_s": all_t, "result": out}
                except Exception as e:  # noqa: BLE001 - report and go on
                    lines = str(e).splitlines() or [repr(e)]
                    msg = next((ln for ln in reversed(lines) if "rror" in ln or "nvalid" in ln), lines[-1])
                    res[q][key] = {"error": msg.strip()[:200]}
                r = res[q][key]
                print(f"  {q:11s} {key:12s} " + (f"{r['best_s']:8.3f} s  {r['result']}" if "best_s" in r
                                                 else f"ERROR {r['error']}"), flush=True)

    # table
    cols = [f"{e}/{n}" for e in engines for n in (threads if e != "awkward" else [1])]
    print(f"\n{args.events} events, layout {args.layout}, best of {args.repeat} (seconds)")
    head = f"{'query':12s}" + "".join(f"{c:>13s}" for c in cols)
    ratio_cols = []
    if "hepfusion" in engines:
        for n in threads:
            if "duckdb" in engines:
                ratio_cols.append((f"ours/duck {n}", f"hepfusion/{n}", f"duckdb/{n}"))
            if "awkward" in engines:
                ratio_cols.append((f"ours{n}/awk", f"hepfusion/{n}", "awkward/1"))
    head += "".join(f"{r[0]:>13s}" for r in ratio_cols) + "   results"
    print(head)
    for q in queries:
        line = f"{q:12s}"
        for c in cols:
            r = res[q].get(c, {})
            line += f"{r['best_s']:13.3f}" if "best_s" in r else f"{'err':>13s}"
        for _, a, b in ratio_cols:
            ra, rb = res[q].get(a, {}), res[q].get(b, {})
            line += (f"{ra['best_s'] / rb['best_s']:13.2f}" if "best_s" in ra and "best_s" in rb
                     else f"{'-':>13s}")
        outs = [(c, res[q][c].get("result")) for c in cols if "result" in res[q].get(c, {})]
        checks = [f"{c}:{agree(outs[0][1], o)}" for c, o in outs[1:]]
        bad_checks = [c for c in checks if not c.endswith(":ok")]
        line += "   " + ("agree" if outs and not bad_checks else "; ".join(bad_checks) or "-")
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"events": args.events, "layout": args.layout,
                                         "repeat": args.repeat, "results": res}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
