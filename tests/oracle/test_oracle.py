"""Oracle test: hepfusion's `root-dump` against uproot, one test per ROOT file.

Inputs: every ROOT file of scikit-hep-testdata (``$HEPFUSION_SHARED/data/skhep-testdata``,
default ``<repo>/../shared``) and every fixture of make_fixtures.py (built on demand into
``$HEPFUSION_FIXTURES``, default ``<repo>/.cache/fixtures``). The binary is
``$HEPFUSION_ROOT_DUMP`` or ``<repo>/target/release/root-dump``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import make_fixtures
import oracle_lib

FIXTURE_BUILD_ERRORS: dict[str, str] = {}


def _inputs() -> list:
    params = []
    for p in sorted(oracle_lib.data_dir().glob("*.root")):
        params.append(pytest.param(p, id=f"skhep/{p.name}"))
    out = make_fixtures.default_out_dir()
    if os.environ.get("HEPFUSION_ORACLE_SKIP_FIXTURES") != "1":
        out.mkdir(parents=True, exist_ok=True)
        for name in make_fixtures.FIXTURE_NAMES:
            try:
                make_fixtures.build_one(out, name)
            except Exception as e:  # noqa: BLE001 - reported by the test of that fixture
                FIXTURE_BUILD_ERRORS[name] = f"{type(e).__name__}: {e}"
        for name in make_fixtures.FIXTURE_NAMES:
            params.append(pytest.param(out / name, id=f"fixture/{name}"))
    return params


def pytest_generate_tests(metafunc):
    if "root_file" in metafunc.fixturenames:
        metafunc.parametrize("root_file", _inputs())


def test_inputs_present():
    d = oracle_lib.data_dir()
    files = sorted(d.glob("*.root"))
    assert files, f"no ROOT files in {d} (set HEPFUSION_SHARED to the dir holding data/skhep-testdata)"


def test_oracle(root_file: Path, tmp_path: Path, oracle_results):
    if root_file.name in FIXTURE_BUILD_ERRORS and root_file.parent == make_fixtures.default_out_dir():
        pytest.fail(f"fixture {root_file.name} could not be built: {FIXTURE_BUILD_ERRORS[root_file.name]}",
                    pytrace=False)
    if not root_file.exists():
        pytest.fail(f"{root_file} does not exist", pytrace=False)
    exe = oracle_lib.dumper_path()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        pytest.fail(
            f"root-dump binary not found at {exe}: build it (cargo build --release --bin root-dump) "
            "or set HEPFUSION_ROOT_DUMP",
            pytrace=False,
        )
    res = oracle_lib.check_file(root_file, tmp_path)
    oracle_results.append(res)
    if res.failed:
        pytest.fail(res.failure_text(), pytrace=False)
    # Fixtures hold only types the reader is meant to support; opt in to requiring that.
    if (os.environ.get("HEPFUSION_ORACLE_STRICT_FIXTURES") == "1"
            and root_file.parent == make_fixtures.default_out_dir() and res.unsupported):
        items = "; ".join(f"{w} ({t}: {m})" for w, t, m in res.unsupported_items[:10])
        pytest.fail(f"{res.line()}\n  unsupported in a fixture: {items}", pytrace=False)
