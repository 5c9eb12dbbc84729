"""Fixtures of the Python package's tests: the shared test data and fresh sessions."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared/data beside the repository (or $HEPFUSION_SHARED)."""
    path = Path(os.environ.get("HEPFUSION_SHARED", REPO.parent / "shared" / "data"))
    if not (path / "skhep-testdata").is_dir():
        pytest.fail(f"the shared test data is missing: {path} (set HEPFUSION_SHARED)")
    return path


@pytest.fixture(scope="session")
def hzz(shared) -> str:
    return str(shared / "skhep-testdata" / "uproot-HZZ-zstd.root")


@pytest.fixture(scope="session")
def cms(shared) -> str:
    return str(shared / "cms-opendata-2012" / "Run2012B_SingleMu-restructured-1000.parquet")


@pytest.fixture
def ctx(tmp_path):
    import hepfusion

    return hepfusion.SessionContext(model_dir=str(tmp_path / "models"))


@pytest.fixture
def dfctx(tmp_path, monkeypatch):
    """A plain `datafusion.SessionContext` with hepfusion registered; models under tmp_path."""
    import datafusion
    import hepfusion

    monkeypatch.setenv("HEPFUSION_MODEL_DIR", str(tmp_path / "models"))
    # ROOT and NanoAOD names are case-sensitive (Muon, nJet): keep identifiers as written.
    # Four partitions: the paths where datafusion repartitions plans of ours are exercised.
    config = (
        datafusion.SessionConfig()
        .set("datafusion.sql_parser.enable_ident_normalization", "false")
        .with_target_partitions(4)
        .with_information_schema(True)
    )
    c = datafusion.SessionContext(config)
    hepfusion.register(c)
    return c
