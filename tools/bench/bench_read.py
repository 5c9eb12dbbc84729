#!/usr/bin/env python3
"""Read-throughput benchmark: hepfusion's ``root-bench`` vs uproot.

For each codec (zlib, lz4, zstd, none) of the NanoAOD-like file written by
``make_nanoaod.py`` (generated on demand), best of ``--repeat`` runs of:

* uproot:   ``uproot.open(f)["Events"].arrays(library="ak")``, one thread,
            fresh open each repeat;
* ours:     ``root-bench read FILE Events --repeat R``;
* ours SQL: ``root-bench sql FILE Events --partitions P --threads P --repeat R --query Q``,
            P = 2 and 1 (2 cores, 1 core);

plus the open+schema time of the 947-branch NanoAOD test file (uproot
``open(f)["Events"].keys()`` vs ``root-bench open``) and the peak RSS of
``root-bench sql`` on the N-event file and on a 10x file.

Results are printed as tables and written to ``<dir>/results.json``.
The binary is ``<repo>/target/release/root-bench`` unless ``HEPFUSION_ROOT_BENCH``
names another one; if it is missing, only uproot numbers are shown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import signal
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import make_nanoaod  # noqa: E402

import awkward as ak  # noqa: E402
import numpy as np  # noqa: E402
import uproot  # noqa: E402

SQL_QUERY = ("SELECT count(*), sum(MET_pt), sum(cardinality(Jet_pt)), "
             "sum(array_sum(Jet_pt)) FROM t")
SQL_BRANCHES = ["MET_pt", "nJet", "Jet_pt"]  # what the query has to read
# A query whose rows come out in entry order (hepfusion.preserve_order): the cost of keeping
# that order is measured against DataFusion's first-come merge on the same 2 partitions.
ORDER_QUERY = "SELECT MET_pt, Jet_pt FROM t WHERE nJet >= 2"
META_FILE = Path("/work/shared/data/skhep-testdata/nanoAOD_2015_CMS_Open_Data_ttbar.root")
TREE = "Events"

# targets (see README.md)
TARGET_READ = {"zlib": 2.0, "lz4": 1.5, "zstd": 1.5, "none": 1.5}
TARGET_SQL_SCALING = 1.8
TARGET_RSS_GROWTH = 1.25  # "the same": 10x file may use at most 25% more


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- uproot

def branch_bytes(tree, names=None):
    comp = uncomp = 0
    for b in tree.itervalues(recursive=True):
        if names is None or b.name in names:
            comp += b.compressed_bytes
            uncomp += b.uncompressed_bytes
    return comp, uncomp


def bench_uproot(path: Path, repeat: int) -> dict:
    times, cpu = [], []
    arrays = None
    for _ in range(repeat):
        arrays = None  # free the previous result before timing the next read
        t0, c0 = time.perf_counter(), time.process_time()
        with uproot.open(path) as f:
            arrays = f[TREE].arrays(library="ak")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best = min(times)
    # expected answers of the SQL query, for checking ours
    expected = {
        "count": len(arrays),
        "sum_MET_pt": float(arrays["MET_pt"].to_numpy().astype(np.float64).sum()),
        "sum_cardinality_Jet_pt": int(ak.sum(ak.num(arrays["Jet_pt"]))),
        "sum_array_sum_Jet_pt": float(ak.flatten(arrays["Jet_pt"]).to_numpy().astype(np.float64).sum()),
    }
    return {"entries": len(arrays), "seconds": best, "all_seconds": times,
            "cpu_seconds": cpu[times.index(best)], "sql_expected": expected}


def bench_uproot_keys(path: Path, repeat: int) -> dict:
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        with uproot.open(path) as f:
            n = len(f[TREE].keys())
        times.append(time.perf_counter() - t0)
    return {"seconds": min(times), "all_seconds": times, "branches": n}


# --------------------------------------------------------------------------- ours

def find_binary() -> Path | None:
    env = os.environ.get("HEPFUSION_ROOT_BENCH")
    target = Path(os.environ["CARGO_TARGET_DIR"]) if os.environ.get("CARGO_TARGET_DIR") else REPO / "target"
    path = Path(env) if env else target / "release" / "root-bench"
    return path if path.is_file() and os.access(path, os.X_OK) else None


GNU_TIME = Path("/usr/bin/time")
TASKSET = Path("/usr/bin/taskset")


def run_root_bench(binary: Path, args: list[str], timeout: float, cores: int | None = None) -> dict:
    """Run root-bench and return its last JSON line on stdout.

    Adds ``process_wall_seconds`` and, when GNU time is installed,
    ``time_maxrss_kb``: the process's peak RSS as seen by ``/usr/bin/time -f %M``,
    a cross-check of the binary's own ``peak_rss_kb``.  (wait4's ru_maxrss of a
    child spawned straight from this Python process is useless: Linux carries
    the parent's high-water RSS across vfork+exec.)  With ``cores``, the process
    is pinned to that many CPUs (``taskset``), I/O threads included."""
    cmd = [str(binary), *args]
    if cores is not None and TASKSET.is_file():
        cmd = [str(TASKSET), "-c", f"0-{cores - 1}", *cmd]
    log("  $ " + shlex.join(cmd))
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tfile:
        full = cmd
        if GNU_TIME.is_file():
            full = [str(GNU_TIME), "-q", "-o", tfile.name, "-f", "%M", *cmd]
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            out, stderr = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            log(f"  !! timed out after {timeout:.0f} s")
            return {"error": f"timed out after {timeout:.0f} s", "cmd": cmd}
        wall = time.perf_counter() - t0
        maxrss = None
        if full is not cmd:
            try:
                maxrss = int(tfile.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
    out = out.decode(errors="replace")
    stderr = stderr.decode(errors="replace")
    if p.returncode != 0:
        log(f"  !! exit status {p.returncode}; stderr tail:\n" + stderr[-1500:])
        return {"error": f"exit status {p.returncode}", "cmd": cmd, "stderr": stderr[-4000:]}
    result = None
    for line in out.splitlines()[::-1]:
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    if result is None:
        log("  !! no JSON line on stdout; stdout tail:\n" + out[-1500:])
        return {"error": "no JSON line on stdout", "cmd": cmd,
                "stdout": out[-4000:], "stderr": stderr[-4000:]}
    result["process_wall_seconds"] = wall
    if maxrss is not None:
        result["time_maxrss_kb"] = maxrss
    return result


def _ok(r) -> bool:
    return isinstance(r, dict) and "error" not in r and r.get("seconds")


# --------------------------------------------------------------------------- formatting

def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def fmt(x, spec=".2f", suffix=""):
    return "-" if x is None else f"{x:{spec}}{suffix}"


def table(headers, rows) -> str:
    cols = list(zip(*([headers] + rows)))
    widths = [max(len(str(c)) for c in col) for col in cols]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def run_sql_cores(binary: Path, path: Path, cores: int, args) -> dict:
    """The SQL query on `cores` cores: as many partitions and worker threads, pinned to one CPU
    when 1 (the scan reads clusters as tasks, and object_store reads on I/O threads, so one
    partition alone would already use every core)."""
    return run_root_bench(
        binary, ["sql", str(path), TREE, "--partitions", str(cores), "--threads", str(cores),
                 "--repeat", str(args.repeat), "--query", SQL_QUERY], args.timeout,
        cores=1 if cores == 1 else None)


# --------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", "-n", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=REPO / ".cache" / "bench")
    ap.add_argument("--codecs", default="zlib,lz4,zstd,none")
    ap.add_argument("--repeat", type=int, default=5, help="best of R for reads (default 5)")
    ap.add_argument("--meta-repeat", type=int, default=5, help="best of R for open+keys (default 5)")
    ap.add_argument("--scale", type=int, default=10,
                    help="size factor of the memory-check and scaling files (default 10)")
    ap.add_argument("--mem-codec", default="zlib", help="codec of the memory-check files")
    ap.add_argument("--no-scale", action="store_true",
                    help="skip the K-times-larger file (and its peak-RSS measurement)")
    ap.add_argument("--no-uproot", action="store_true", help="skip the uproot reads")
    ap.add_argument("--meta-file", type=Path, default=META_FILE)
    ap.add_argument("--timeout", type=float, default=1800, help="per root-bench call, seconds")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default <dir>/results.json)")
    args = ap.parse_args(argv)

    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    n = args.events
    out_json = args.out or args.dir / "results.json"

    log(f"== generating / checking files in {args.dir}")
    t0 = time.perf_counter()
    files = make_nanoaod.ensure_files(args.dir, n, codecs)
    scaled, scaled_all = None, {}
    if not args.no_scale:
        scaled_all = make_nanoaod.ensure_files(args.dir, n, sorted(set(codecs) | {args.mem_codec}), scale=args.scale)
        scaled = scaled_all[args.mem_codec]
    log(f"   files ready in {time.perf_counter() - t0:.1f} s")

    binary = find_binary()
    if binary is None:
        want = os.environ.get("HEPFUSION_ROOT_BENCH") or REPO / "target/release/root-bench"
        log("")
        log(f"!! root-bench binary not found at {want}")
        log("!! build it with `cargo build --release --bin root-bench` (or set HEPFUSION_ROOT_BENCH);")
        log("!! showing uproot numbers only.")
        log("")

    results = {
        "events": n,
        "repeat": args.repeat,
        "host": {"python": platform.python_version(), "uproot": uproot.__version__,
                 "awkward": ak.__version__, "numpy": np.__version__,
                 "cpus": os.cpu_count(), "machine": platform.machine()},
        "binary": str(binary) if binary else None,
        "sql_query": SQL_QUERY,
        "codecs": {},
    }

    for codec in codecs:
        path = files[codec]
        log(f"== {codec}: {path}")
        with uproot.open(path) as f:
            tree = f[TREE]
            comp, uncomp = branch_bytes(tree)
            sql_comp, sql_uncomp = branch_bytes(tree, set(SQL_BRANCHES))
            n_branches = len(tree.keys())
        r = {"file": str(path), "file_bytes": path.stat().st_size, "branches": n_branches,
             "compressed_bytes": comp, "uncompressed_bytes": uncomp,
             "sql_compressed_bytes": sql_comp, "sql_uncompressed_bytes": sql_uncomp}
        if not args.no_uproot:
            log("  uproot arrays(library='ak') ...")
            r["uproot"] = bench_uproot(path, args.repeat)
            runs = r["uproot"]["all_seconds"]
            # uproot's times spread widely from run to run (0.38-0.72 s on the 1M zstd file
            # within minutes): the range shows how far a best-of-R verdict can be trusted.
            log(f"  uproot: {r['uproot']['seconds']:.3f} s (runs {min(runs):.3f}-{max(runs):.3f} s)")
        if binary:
            r["ours_read"] = run_root_bench(
                binary, ["read", str(path), TREE, "--threads", "1", "--repeat", str(args.repeat)], args.timeout,
                cores=1)
            for parts in (2, 1):
                r[f"ours_sql_{parts}"] = run_sql_cores(binary, path, parts, args)
        results["codecs"][codec] = r

    # ---- metadata
    meta = {"file": str(args.meta_file)}
    if args.meta_file.is_file():
        log(f"== metadata: {args.meta_file}")
        meta["uproot"] = bench_uproot_keys(args.meta_file, args.meta_repeat)
        if binary:
            meta["ours"] = run_root_bench(
                binary, ["open", str(args.meta_file), TREE, "--repeat", str(args.meta_repeat)],
                args.timeout)
    else:
        log(f"!! metadata file missing: {args.meta_file}")
    results["metadata"] = meta

    # ---- memory
    mem = {"codec": args.mem_codec, "scale": None if args.no_scale else args.scale}
    if binary:
        # same invocation (--repeat 1) on both files so the peaks are comparable
        base_file = make_nanoaod.ensure_files(args.dir, n, [args.mem_codec], verbose=False)[args.mem_codec]
        log(f"== memory: {base_file}")
        base = run_root_bench(binary, ["sql", str(base_file), TREE, "--partitions", "2",
                                       "--repeat", "1", "--query", SQL_QUERY], args.timeout)
        mem["base"] = base
        if scaled is not None:
            log(f"== memory: {scaled}")
            mem["scaled_file"] = str(scaled)
            mem["scaled"] = run_root_bench(
                binary, ["sql", str(scaled), TREE, "--partitions", "2", "--repeat", "1",
                         "--query", SQL_QUERY], args.timeout)
    results["memory"] = mem

    # ---- scaling: the same query on 2 cores vs 1 core, on the K-times-larger files, where the
    # query's fixed costs (planning, opening the file per partition, the first cluster before
    # any aggregation can start) no longer weigh: at 1M events a query takes 15-60 ms.
    scaling = {}
    if binary and scaled_all:
        for codec in codecs:
            log(f"== scaling: {scaled_all[codec]}")
            scaling[codec] = {f"sql_{parts}": run_sql_cores(binary, scaled_all[codec], parts, args) for parts in (2, 1)}
    results["scaling"] = {"scale": None if args.no_scale else args.scale, "codecs": scaling}

    # ---- entry order: rows of a scan in file order vs as partitions finish, 2 cores
    order = {}
    if binary:
        for codec in codecs:
            path = make_nanoaod.ensure_files(args.dir, n, [codec], verbose=False)[codec]
            log(f"== entry order: {path}")
            order[codec] = {
                name: run_root_bench(binary, ["sql", str(path), TREE, "--partitions", "2", "--threads", "2",
                                              "--repeat", str(args.repeat), "--query", ORDER_QUERY,
                                              "--set", f"hepfusion.preserve_order={flag}"], args.timeout)
                for name, flag in (("ordered", "true"), ("unordered", "false"))
            }
    results["order"] = {"query": ORDER_QUERY, "codecs": order}

    report = render(results, codecs, binary)
    print(report)
    results["report"] = report
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    log(f"results written to {out_json}")
    return 0


def render(results: dict, codecs, binary) -> str:
    n = results["events"]
    lines = [f"hepfusion read benchmark: {n} events, best of {results['repeat']}, "
             f"{results['host']['cpus']} CPUs, uproot {results['host']['uproot']}",
             f"binary: {binary or 'MISSING (uproot numbers only)'}", ""]

    headers = ["codec", "file MB", "uproot ev/s", "ours 1-thr ev/s", "ours/uproot",
               "SQL 2-core ev/s", "SQL 1-core ev/s", "SQL2/ours1", "SQL2/SQL1",
               "SQL set-up", "uproot MB/s c/u", "ours MB/s c/u", "SQL2 MB/s c/u"]
    rows, checks = [], []
    for codec in codecs:
        r = results["codecs"][codec]
        c, u = r["compressed_bytes"] / 1e6, r["uncompressed_bytes"] / 1e6
        sc, su = r["sql_compressed_bytes"] / 1e6, r["sql_uncompressed_bytes"] / 1e6
        up = r.get("uproot")
        up_s = up["seconds"] if up else None
        ours = r.get("ours_read")
        ours_s = ours["seconds"] if _ok(ours) else None
        s2 = r.get("ours_sql_2")
        s2_s = s2["seconds"] if _ok(s2) else None
        s1 = r.get("ours_sql_1")
        s1_s = s1["seconds"] if _ok(s1) else None
        ents = lambda res, s: (res.get("entries") or n) / s if s else None
        up_r, ours_r = ents(up or {}, up_s), ents(ours or {}, ours_s)
        s2_r, s1_r = ents(s2 or {}, s2_s), ents(s1 or {}, s1_s)
        ratio = ours_r / up_r if ours_r and up_r else None
        scaling = s2_r / ours_r if s2_r and ours_r else None
        r["summary"] = {"uproot_ev_s": up_r, "ours_ev_s": ours_r, "sql2_ev_s": s2_r,
                        "sql1_ev_s": s1_r, "ours_over_uproot": ratio, "sql2_over_ours": scaling}
        mbs = lambda s, a, b: f"{a / s:.0f} / {b / s:.0f}" if s else "-"
        rows.append([codec, f"{r['file_bytes'] / 1e6:.1f}", fmt_rate(up_r), fmt_rate(ours_r),
                     fmt(ratio, ".2f", "x"), fmt_rate(s2_r), fmt_rate(s1_r),
                     fmt(scaling, ".2f", "x"), fmt(s2_r / s1_r if s2_r and s1_r else None, ".2f", "x"),
                     fmt(s2.get("setup_seconds") * 1e3 if _ok(s2) and "setup_seconds" in s2 else None, ".1f", " ms"),
                     mbs(up_s, c, u), mbs(ours_s, c, u), mbs(s2_s, sc, su)])
        checks.append((f"ours 1-thread >= {TARGET_READ.get(codec, 1.5)}x uproot on {codec}",
                       None if ratio is None else ratio >= TARGET_READ.get(codec, 1.5),
                       fmt(ratio, ".2f", "x")))
        # The same query on 2 cores vs 1: the scaling target compares equal work (the
        # single-thread full read decodes all 30 branches, the query only 3).
        same = s2_r / s1_r if s2_r and s1_r else None
        if not results.get("scaling", {}).get("codecs"):
            checks.append((f"SQL on 2 cores >= {TARGET_SQL_SCALING}x the same SQL on 1 core ({codec}, {n} events)",
                           None if same is None else same >= TARGET_SQL_SCALING,
                           fmt(same, ".2f", "x")))
        exp = (up or {}).get("sql_expected")
        got = s2.get("result") if isinstance(s2, dict) else None
        if exp and got is not None:
            r["sql_result_check"] = f"  {codec}: root-bench sql (2 partitions) reported {got}"
    lines.append(table(headers, rows))
    busy = [f"{c} {r['uproot']['cpu_seconds'] / r['uproot']['seconds']:.0%}"
            for c, r in results["codecs"].items()
            if r.get("uproot") and r["uproot"]["cpu_seconds"] < 0.85 * r["uproot"]["seconds"]]
    if busy:
        lines.append("WARNING: uproot got less than 85% of a CPU during its best run (" + ", ".join(busy)
                     + "): the machine is busy and the timings are not trustworthy.")
    lines.append("MB/s: compressed / uncompressed bytes of all branches (SQL: of MET_pt, nJet, Jet_pt) "
                 "per second; SQL2/ours1 = SQL on 2 cores vs our single-thread full read; SQL2/SQL1 = the same query on 2 cores (2 partitions, 2 threads) vs 1 core (1 partition, 1 thread, pinned to one CPU).")
    lines.append("SQL ev/s time the query on a declared table; the set-up (session, CREATE EXTERNAL TABLE: "
                 "open, streamers, schema; serial) is the SQL set-up column, best of the 2-partition runs.")
    first = next(iter(results["codecs"].values()), {})
    if first.get("uproot"):
        lines.append(f"SQL query: {results['sql_query']}")
        lines.append(f"expected answer (from uproot): {first['uproot']['sql_expected']}")
    for codec in codecs:
        if "sql_result_check" in results["codecs"][codec]:
            lines.append(results["codecs"][codec]["sql_result_check"])
    lines.append("")

    meta = results["metadata"]
    mu, mo = meta.get("uproot"), meta.get("ours")
    mo_s = mo["seconds"] if _ok(mo) else None
    mratio = mu["seconds"] / mo_s if mu and mo_s else None
    lines.append(f"metadata ({Path(meta['file']).name}, "
                 f"{mu['branches'] if mu else '?'} branches, best of open+schema):")
    lines.append(table(["uproot open+keys", "ours open", "uproot/ours"],
                       [[fmt(mu and mu["seconds"] * 1e3, ".1f", " ms"), fmt(mo_s and mo_s * 1e3, ".1f", " ms"),
                         fmt(mratio, ".2f", "x")]]))
    checks.append(("open+schema of the 947-branch file faster than uproot open+keys",
                   None if mratio is None else mratio > 1.0, fmt(mratio, ".2f", "x")))
    lines.append("")

    mem = results["memory"]
    k = mem.get("scale")
    rss = lambda r: (r.get("peak_rss_kb") or r.get("time_maxrss_kb")) if _ok(r) else None
    mib = lambda kb: fmt(kb and kb / 1024, ".0f", " MiB")
    lines.append(f"memory (root-bench sql, 2 partitions, --repeat 1, {mem['codec']}):")
    mrows = []
    for label, events, r in (("1x", n, mem.get("base")), (f"{k}x", n * k if k else None, mem.get("scaled"))):
        if r is None and label != "1x":
            continue
        mrows.append([label, events, mib(rss(r)),
                      mib(r.get("time_maxrss_kb") if _ok(r) else None),
                      fmt(r.get("seconds") if _ok(r) else None, ".2f", " s")])
    lines.append(table(["file", "events", "peak RSS", "GNU time %M", "query time"], mrows))
    growth = (rss(mem["scaled"]) / rss(mem["base"])
              if rss(mem.get("base")) and rss(mem.get("scaled")) else None)
    lines.append(f"peak RSS {k}x / 1x: {fmt(growth, '.2f', 'x')}" if k else "(--no-scale: no 10x file)")
    if k:
        checks.append((f"peak RSS at {k}x events within {TARGET_RSS_GROWTH}x of 1x", None if growth is None
                       else growth <= TARGET_RSS_GROWTH, fmt(growth, ".2f", "x")))
    lines.append("")

    sc = results.get("scaling", {})
    if sc.get("codecs"):
        k = sc["scale"]
        lines.append(f"scaling (the SQL query on the {k}x files, {n * k} events: 2 partitions on 2 threads vs "
                     "1 partition on 1 thread pinned to one CPU):")
        srows = []
        for codec, r in sc["codecs"].items():
            t2 = r["sql_2"]["seconds"] if _ok(r.get("sql_2")) else None
            t1 = r["sql_1"]["seconds"] if _ok(r.get("sql_1")) else None
            ratio = t1 / t2 if t1 and t2 else None
            srows.append([codec, fmt(t1, ".3f", " s"), fmt(t2, ".3f", " s"),
                          fmt_rate(n * k / t1 if t1 else None), fmt_rate(n * k / t2 if t2 else None),
                          fmt(ratio, ".2f", "x")])
            checks.append((f"SQL on 2 cores >= {TARGET_SQL_SCALING}x the same SQL on 1 core ({codec}, {n * k} events)",
                           None if ratio is None else ratio >= TARGET_SQL_SCALING, fmt(ratio, ".2f", "x")))
        lines.append(table(["codec", "1 core", "2 cores", "1-core ev/s", "2-core ev/s", "2 / 1"], srows))
        lines.append("")

    order = results.get("order", {})
    if order.get("codecs"):
        lines.append(f"entry order ({order['query']}, 2 partitions on 2 threads; ordered = files and entries "
                     "in file order, unordered = DataFusion's first-come merge):")
        orows = []
        for codec, r in order["codecs"].items():
            to = r["ordered"]["seconds"] if _ok(r.get("ordered")) else None
            tu = r["unordered"]["seconds"] if _ok(r.get("unordered")) else None
            cost = to / tu - 1 if to and tu else None
            orows.append([codec, fmt(to, ".3f", " s"), fmt(tu, ".3f", " s"), fmt(cost * 100 if cost is not None else None, "+.1f", " %")])
            checks.append((f"entry order costs <= 5% ({codec})", None if cost is None else cost <= 0.05,
                           fmt(cost * 100 if cost is not None else None, "+.1f", " %")))
        lines.append(table(["codec", "ordered", "unordered", "cost"], orows))
        lines.append("")

    lines.append("targets:")
    for name, ok, val in checks:
        lines.append(f"  [{verdict(ok):4}] {name} ({val})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
