"""docs/pipeline.ipynb runs from top to bottom (its code cells, in one namespace) on a
generated sample: $HEPFUSION_DATA, by default data/generated as ./run-demo leaves it."""

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_pipeline_notebook_runs(tmp_path, monkeypatch):
    data = Path(os.environ.get("HEPFUSION_DATA", REPO / "data" / "generated"))
    if not all((data / c).is_dir() for c in ("qcd", "ttbar", "wjets")):
        pytest.fail(f"no generated sample in {data}: run ./run-demo first, or set HEPFUSION_DATA")
    monkeypatch.setenv("HEPFUSION_REPO", str(REPO))
    monkeypatch.setenv("HEPFUSION_DATA", str(data))
    monkeypatch.setenv("HEPFUSION_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("HEPFUSION_EPOCHS", "2")
    monkeypatch.delenv("HEPFUSION_MODEL_DIR", raising=False)
    nb = json.loads((REPO / "docs" / "pipeline.ipynb").read_text())
    namespace: dict = {}
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        source = "".join(cell["source"])
        exec(compile(source, f"pipeline.ipynb code cell {i + 1}", "exec"), namespace)
    metrics = namespace["metrics"]
    assert sorted(metrics["model"]) == ["hlf_dnn", "inclusive", "particle_gru"]
    assert (metrics["test_events"] > 0).all()
    cutflow = namespace["cutflow"]
    assert list(cutflow["class"]) and (cutflow["generated"] > 0).all()
    assert (tmp_path / "out" / "plots" / "roc_ttbar.svg").stat().st_size > 1000
