"""Bad input gives a Python exception with the Rust message, and the interpreter goes on."""

import shutil

import pytest

import hepfusion
from hepfusion import HepfusionError


def test_bad_sql_raises_and_the_session_goes_on(ctx):
    with pytest.raises(HepfusionError, match="(?i)sql|expected"):
        ctx.sql("SELEC 1")
    with pytest.raises(HepfusionError, match="no_such_table"):
        ctx.sql("SELECT * FROM no_such_table")
    assert ctx.sql("SELECT 1 + 1 AS two").to_pylist() == [{"two": 2}]


def test_a_missing_file_is_named(ctx, tmp_path):
    missing = tmp_path / "nope.root"
    with pytest.raises(HepfusionError, match="nope.root"):
        ctx.sql(f"SELECT * FROM read_root('{missing}')")


def test_a_corrupt_file_is_named_in_both_contexts(ctx, dfctx, tmp_path):
    bad = tmp_path / "garbage.root"
    bad.write_bytes(b"root\x00\x00\xf4\x240" + b"\x07" * 300)
    with pytest.raises(HepfusionError, match="garbage.root"):
        ctx.sql(f"SELECT * FROM read_root('{bad}')").to_arrow_table()
    with pytest.raises(Exception, match="garbage.root"):
        dfctx.sql(f"SELECT * FROM read_root('{bad}')").collect()
    assert dfctx.sql("SELECT 2 AS x").to_pylist() == [{"x": 2}]


def test_wrong_arguments_are_named(ctx, hzz):
    with pytest.raises(HepfusionError, match=r"read_root: argument 2 \(tree\)"):
        ctx.sql(f"SELECT * FROM read_root('{hzz}', 42)")
    with pytest.raises(HepfusionError, match="no_such_tree"):
        ctx.sql(f"SELECT * FROM read_root('{hzz}', 'no_such_tree')")
    with pytest.raises(HepfusionError, match="epochs"):
        ctx.sql("SELECT * FROM train_classifier('m', 'SELECT 1.0 AS x, 0 AS label', epochs => 'many')").collect()


def test_a_missing_model_is_named(ctx):
    with pytest.raises(HepfusionError, match="ghost"):
        ctx.sql("SELECT * FROM predict('ghost', 'SELECT 1.0 AS x')").collect()


def test_script_variables_and_errors(ctx, tmp_path):
    out = ctx.run_script("CREATE TABLE t AS SELECT ${n} AS n; SELECT n * ${k:-3} AS m FROM t", {"n": 7})
    assert out.to_pylist() == [{"m": 21}]
    with pytest.raises(HepfusionError, match="variable 'missing' is not set"):
        ctx.run_script("SELECT ${missing}")
    with pytest.raises(HepfusionError, match="statement 2 of 2"):
        ctx.run_script("SELECT 1; SELECT * FROM nowhere")


def test_a_result_read_twice_runs_twice(ctx):
    df = ctx.sql("SELECT * FROM (VALUES (1), (2), (3)) AS t(x)")
    assert df.to_arrow_table().num_rows == 3
    assert df.to_arrow_table().num_rows == 3


def _left_out_warnings(run):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught if issubclass(w.category, hepfusion.HepfusionWarning)]


@pytest.mark.parametrize("kind", ["ours", "datafusion"])
def test_left_out_branches_are_python_warnings_given_once(ctx, dfctx, shared, tmp_path, kind):
    # A copy under a name of its own: each message is given once per process.
    copy = tmp_path / f"mc10events_{kind}.root"
    shutil.copy(shared / "skhep-testdata" / "uproot-mc10events.root", copy)
    c = ctx if kind == "ours" else dfctx
    query = f"SELECT count(*) AS n FROM read_root('{copy}', 'Events')"
    first = _left_out_warnings(lambda: c.sql(query).to_arrow_table())
    assert any("'Info/triggerBits' left out" in m and "bitset<256>" in m for m in first), first
    assert len(first) == len(set(first)), first
    assert _left_out_warnings(lambda: c.sql(query).to_arrow_table()) == []


def test_warnings_can_be_silenced_with_a_setting(ctx, shared, tmp_path):
    copy = tmp_path / "mc10events_quiet.root"
    shutil.copy(shared / "skhep-testdata" / "uproot-mc10events.root", copy)
    ctx.sql("SET hepfusion.warnings = false").to_arrow_table()
    got = _left_out_warnings(lambda: ctx.sql(f"SELECT count(*) FROM read_root('{copy}')").to_arrow_table())
    assert got == []


def test_a_list_beyond_the_memory_pool_is_an_error_and_the_session_goes_on(ctx, cms):
    with pytest.raises(hepfusion.HepfusionError, match=r"array_pad\(Jet, \.\.\.\) would produce .* elements"):
        ctx.sql(f"SELECT cardinality(array_pad(Jet, 1000000000, NULL)) FROM '{cms}'").to_arrow_table()
    assert ctx.sql(f"SELECT count(*) AS n FROM '{cms}'").to_pylist() == [{"n": 1000}]
