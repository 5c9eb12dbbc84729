"""ROOT files as tables from Python, value by value against uproot."""

import awkward as ak
import numpy as np
import pyarrow as pa
import pytest
import uproot


def uproot_arrays(path, tree, branches):
    with uproot.open(path) as f:
        return f[tree].arrays(branches, library="ak")


def test_read_root_in_our_session_matches_uproot(ctx, hzz):
    got = ctx.sql(f"SELECT NMuon, Muon_Px, Muon_Charge, MET_px FROM read_root('{hzz}', 'events')").to_awkward()
    exp = uproot_arrays(hzz, "events", ["NMuon", "Muon_Px", "Muon_Charge", "MET_px"])
    assert len(got) == len(exp) == 2421
    assert ak.to_list(got["NMuon"]) == ak.to_list(exp["NMuon"])
    assert ak.to_list(got["Muon_Charge"]) == ak.to_list(exp["Muon_Charge"])
    assert ak.all(ak.num(got["Muon_Px"]) == ak.num(exp["Muon_Px"]))
    np.testing.assert_array_equal(ak.flatten(got["Muon_Px"]).to_numpy(), ak.flatten(exp["Muon_Px"]).to_numpy())
    np.testing.assert_array_equal(got["MET_px"].to_numpy(), exp["MET_px"].to_numpy())


def test_stored_as_root_on_a_datafusion_context(dfctx, hzz):
    dfctx.sql(f"CREATE EXTERNAL TABLE hzz STORED AS ROOT LOCATION '{hzz}' OPTIONS ('root.tree' 'events')")
    t = dfctx.sql("SELECT NMuon, count(*) AS n, sum(MET_px) AS met FROM hzz GROUP BY NMuon ORDER BY NMuon").to_arrow_table()
    exp = uproot_arrays(hzz, "events", ["NMuon", "MET_px"])
    nmuon = exp["NMuon"].to_numpy()
    met = exp["MET_px"].to_numpy()
    want = sorted(set(nmuon.tolist()))
    assert t.column("NMuon").to_pylist() == want
    assert t.column("n").to_pylist() == [int((nmuon == k).sum()) for k in want]
    np.testing.assert_allclose(t.column("met").to_numpy(), [met[nmuon == k].astype(np.float64).sum() for k in want], rtol=1e-9)


def test_read_root_on_a_datafusion_context_with_nanoaod_grouping(dfctx, shared):
    path = shared / "skhep-testdata" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    t = dfctx.sql(
        f"SELECT nJet, Jet FROM read_root('{path}', 'Events', 'group_counters=true')"
    ).to_arrow_table()
    exp = uproot_arrays(str(path), "Events", ["nJet", "Jet_pt", "Jet_eta"])
    assert t.column("nJet").to_pylist() == ak.to_list(exp["nJet"])
    jets = ak.from_arrow(t.column("Jet"))
    np.testing.assert_array_equal(ak.flatten(jets["pt"]).to_numpy(), ak.flatten(exp["Jet_pt"]).to_numpy())
    np.testing.assert_array_equal(ak.flatten(jets["eta"]).to_numpy(), ak.flatten(exp["Jet_eta"]).to_numpy())


def test_streaming_results_through_the_arrow_c_stream(ctx, hzz):
    df = ctx.sql(f"SELECT NMuon FROM read_root('{hzz}', 'events')")
    reader = pa.RecordBatchReader.from_stream(df)
    assert reader.schema.names == ["NMuon"]
    assert sum(b.num_rows for b in reader) == 2421
    assert df.schema.names == ["NMuon"]
    assert df.count() == 2421
