"""Fixtures of the pipeline tests: the hepfusion binary, a small generated sample (cached under
<repo>/.cache/pipeline-sample; the generator skips chunks it already wrote), and one pipeline
run on it shared by the tests that only read its outputs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EVENTS_PER_CLASS = int(os.environ.get("HEPFUSION_PIPELINE_TEST_EVENTS", "200"))


def hepfusion_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "hepfusion"


# Training epochs: the sample is small (about 100 training events), 20 epochs take 2 s.
EPOCHS = 20


def run_pipeline(data: Path, out: Path, seed: int = 42) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "sql" / "run"), str(data), str(out), str(seed), str(EPOCHS)],
                          capture_output=True, text=True, env={**os.environ, "HEPFUSION": str(hepfusion_binary())})


@pytest.fixture(scope="session")
def sample() -> Path:
    out = REPO / ".cache" / "pipeline-sample"
    subprocess.run([sys.executable, str(REPO / "tools" / "generate" / "generate.py"), "--events", str(EVENTS_PER_CLASS),
                    "--out", str(out), "--seed", "7", "--no-progress"], check=True)
    return out


@pytest.fixture(scope="session")
def pipeline_out(sample, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pipeline") / "out"
    proc = run_pipeline(sample, out)
    assert proc.returncode == 0, proc.stderr
    return out
