"""The particle functions from Python: lambdas in our session, scalar and aggregate functions on
a plain datafusion context; values against awkward/numpy."""

import awkward as ak
import numpy as np
import pyarrow.parquet as pq
import pytest

import hepfusion


@pytest.fixture(scope="module")
def events(cms):
    return ak.from_arrow(pq.read_table(cms))


def test_lambdas_with_field_access_in_our_session(ctx, cms, events):
    ctx.sql(f"CREATE EXTERNAL TABLE cms STORED AS PARQUET LOCATION '{cms}'")
    got = ctx.sql(
        "SELECT transform(filter(Muon, m -> m.pt > 20 AND abs(m.eta) < 2.1), m -> m.pt * 2) AS pts, "
        "exists(Jet, j -> j.pt > 50) AS hard FROM cms"
    ).to_awkward()
    mu = events["Muon"]
    want = mu[(mu["pt"] > 20) & (abs(mu["eta"]) < 2.1)]["pt"] * 2
    assert ak.to_list(ak.num(got["pts"])) == ak.to_list(ak.num(want))
    np.testing.assert_allclose(ak.flatten(got["pts"]).to_numpy(), ak.flatten(want).to_numpy(), rtol=1e-6)
    assert ak.to_list(got["hard"]) == ak.to_list(ak.any(events["Jet"]["pt"] > 50, axis=1))


def test_scalar_functions_on_a_datafusion_context(dfctx, cms, events):
    dfctx.register_parquet("cms", cms)
    t = dfctx.sql(
        "SELECT cardinality(Muon) AS n, delta_phi(MET['phi'], 3.0) AS dphi, "
        "invariant_mass(Muon[1], Muon[2]) AS m12 FROM cms"
    ).to_arrow_table()
    mu = events["Muon"]
    assert t.column("n").to_pylist() == ak.to_list(ak.num(mu))
    dphi = (events["MET"]["phi"].to_numpy().astype(np.float64) - 3.0 + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(t.column("dphi").to_numpy(), dphi, atol=1e-6)
    two = ak.num(mu) >= 2
    m1, m2 = mu[two][:, 0], mu[two][:, 1]

    def p4(p):
        pt, eta, phi, m = (np.asarray(p[k], dtype=np.float64) for k in ("pt", "eta", "phi", "mass"))
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        return px, py, pz, np.sqrt(px**2 + py**2 + pz**2 + m**2)

    a, b = p4(m1), p4(m2)
    e, px, py, pz = a[3] + b[3], a[0] + b[0], a[1] + b[1], a[2] + b[2]
    want = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0))
    got = np.array(t.column("m12").to_pylist(), dtype=object)
    np.testing.assert_allclose(got[ak.to_numpy(two)].astype(np.float64), want, rtol=1e-4)
    assert all(v is None for v in got[~ak.to_numpy(two)])


def test_aggregates_on_a_datafusion_context(dfctx, cms, events):
    dfctx.register_parquet("cms", cms)
    t = dfctx.sql(
        "SELECT histogram(MET['pt'], 0, 100, 10) AS h, "
        "roc_auc(MET['pt'], cardinality(Muon) >= 2) AS auc FROM cms"
    ).to_arrow_table()
    h = t.column("h")[0].as_py()
    met = events["MET"]["pt"].to_numpy().astype(np.float64)
    counts, _ = np.histogram(met[met < 100], bins=10, range=(0, 100))
    assert h["counts"] == counts.tolist()
    assert (h["underflow"], h["overflow"]) == (int((met < 0).sum()), int((met >= 100).sum()))
    assert h["overflow"] > 0, "the sample should exercise the overflow"
    # AUC as the Mann-Whitney statistic, ties counted half
    pos = met[ak.to_numpy(ak.num(events["Muon"]) >= 2)]
    neg = met[ak.to_numpy(ak.num(events["Muon"]) < 2)]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert t.column("auc")[0].as_py() == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-9)


def test_lambda_functions_are_named_and_need_our_session(dfctx, cms):
    names = hepfusion.lambda_functions()
    assert {"filter", "transform", "exists", "aggregate", "array_sort_by"} <= set(names)
    dfctx.register_parquet("cms", cms)
    with pytest.raises(Exception, match="(?i)filter"):
        dfctx.sql("SELECT filter(Muon, m -> m['pt'] > 20) FROM cms").collect()
