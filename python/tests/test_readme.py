"""The Python examples of README.md and python/README.md, run verbatim (both contexts), in a
folder holding the files they name: the corpus' NanoAOD and HZZ files as nano.root and HZZ.root,
the pipeline's sql/ and the generated sample. The README cannot drift from what works."""

import os
import re
import warnings

import pytest

from conftest import REPO


def python_blocks(path):
    text = path.read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.fixture
def folder(tmp_path, shared, monkeypatch):
    skhep = shared / "skhep-testdata"
    (tmp_path / "nano.root").symlink_to(skhep / "nanoAOD_2015_CMS_Open_Data_ttbar.root")
    (tmp_path / "HZZ.root").symlink_to(skhep / "uproot-HZZ.root")
    (tmp_path / "sql").symlink_to(REPO / "sql")
    data = os.environ.get("HEPFUSION_DATA", REPO / "data" / "generated")
    (tmp_path / "generated").symlink_to(os.path.abspath(data))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("readme", ["README.md", "python/README.md"])
def test_readme_python_examples_run_as_written(folder, readme):
    blocks = python_blocks(REPO / readme)
    assert blocks, f"no Python example in {readme}"
    for code in blocks:
        with warnings.catch_warnings():
            # The examples use the recommended config: no warning about names.
            warnings.simplefilter("error", category=__import__("hepfusion").HepfusionWarning)
            exec(compile(code, f"{readme} example", "exec"), {})


def test_a_context_that_lower_cases_names_is_warned_about_and_the_config_fixes_it(shared):
    import datafusion
    import hepfusion

    nano = shared / "skhep-testdata" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    plain = datafusion.SessionContext()
    with pytest.warns(hepfusion.HepfusionWarning, match=r"hepfusion\.config\(\)"):
        hepfusion.register(plain)
    with pytest.raises(Exception, match="njet"):
        plain.sql(f"SELECT sum(nJet) FROM read_root('{nano}', 'Events')").to_pylist()
    fixed = datafusion.SessionContext(hepfusion.config())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hepfusion.register(fixed)
    got = fixed.sql(f"SELECT sum(nJet) AS n FROM read_root('{nano}', 'Events')").to_pylist()
    import uproot

    assert got == [{"n": int(uproot.open(nano)["Events"]["nJet"].array(library="np").sum())}]


def test_lambda_functions_on_datafusions_context_say_they_need_ours(shared):
    import datafusion
    import hepfusion

    nano = shared / "skhep-testdata" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    ctx = datafusion.SessionContext(hepfusion.config())
    hepfusion.register(ctx)
    with pytest.raises(hepfusion.HepfusionError, match=r"filter: lambda functions need hepfusion\.SessionContext\(\)"):
        ctx.sql(f"SELECT filter(Jet_pt, p -> p > 30) FROM read_root('{nano}', 'Events')").to_pylist()
    # Other errors pass through as they are.
    with pytest.raises(Exception, match="no_such_table"):
        ctx.sql("SELECT * FROM no_such_table")
