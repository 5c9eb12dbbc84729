"""Collects per-file oracle results and prints them at the end of the run.

Prints one line per ROOT file, then the unsupported branches grouped by type/message
and the branches uproot itself cannot read; writes everything to a JSON report
(``$HEPFUSION_ORACLE_REPORT``, default ``<repo>/.cache/oracle-report.json``).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

import oracle_lib

_RESULTS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[_RESULTS] = []


@pytest.fixture
def oracle_results(request):
    return request.config.stash[_RESULTS]


def _report_path() -> Path:
    env = os.environ.get("HEPFUSION_ORACLE_REPORT")
    return Path(env) if env else oracle_lib.REPO / ".cache" / "oracle-report.json"


def _norm(reason: str) -> str:
    """Group uproot's error messages: drop basket/branch names and numbers."""
    r = re.sub(r"basket \d+ in tree/branch \S+", "basket", reason)
    r = re.sub(r"Model_\w+", "Model_*", r)
    r = re.sub(r"\d+", "N", r)
    return r[:100]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = config.stash.get(_RESULTS, [])
    if not results:
        return
    tr = terminalreporter
    tr.section("oracle: per file")
    for r in results:
        tr.write_line(r.line())
    tot = oracle_lib.FileResult("TOTAL")
    for r in results:
        tot.matched += r.matched
        tot.unsupported += r.unsupported
        tot.failed += r.failed
        tot.oracle += r.oracle
    tr.write_line(f"{len(results)} files, " + tot.line()
                  + f" (dump {sum(r.dump_seconds for r in results):.1f}s,"
                  f" total {sum(r.seconds for r in results):.1f}s)")

    groups = defaultdict(list)
    for r in results:
        for where, typ, msg in r.unsupported_items:
            groups[(typ, msg)].append(f"{r.file}:{where}")
    if groups:
        tr.section("oracle: unsupported branches by type / message")
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
        limit = int(os.environ.get("HEPFUSION_ORACLE_GROUPS", "60"))
        for (typ, msg), items in ordered[:limit]:
            head = typ if msg is None else f"{typ} | {msg}"
            ex = ", ".join(items[:3]) + (", ..." if len(items) > 3 else "")
            tr.write_line(f"{len(items):6d}  {oracle_lib._short(head, 160)}")
            tr.write_line(f"        e.g. {oracle_lib._short(ex, 200)}")
        if len(ordered) > limit:
            rest = sum(len(items) for _, items in ordered[limit:])
            tr.write_line(f"        ... {len(ordered) - limit} more groups ({rest} branches): "
                          "see the JSON report, or set HEPFUSION_ORACLE_GROUPS")

    og = defaultdict(list)
    for r in results:
        for where, reason in r.oracle_items:
            og[_norm(reason)].append(f"{r.file}:{where}")
    if og:
        tr.section("oracle: branches uproot itself cannot read (not failures)")
        for reason, items in sorted(og.items(), key=lambda kv: -len(kv[1]))[:40]:
            tr.write_line(f"{len(items):6d}  {reason}   e.g. {oracle_lib._short(items[0], 120)}")
        if len(og) > 40:
            tr.write_line(f"        ... {len(og) - 40} more kinds, see the JSON report")

    path = _report_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([r.to_json() for r in results], indent=1))
        tr.write_line(f"full report: {path}")
    except OSError as e:
        tr.write_line(f"could not write {path}: {e}")
