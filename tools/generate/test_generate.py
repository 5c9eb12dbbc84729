"""Tests for tools/generate (about a minute):

    .venv-gen/bin/python -m pytest tools/generate -q
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import writer  # noqa: E402

SHARED = Path(os.environ.get("HEPFUSION_SHARED", HERE.parents[1] / ".." / "shared"))
REAL_DELPHES = SHARED / "data" / "skhep-testdata" / "uproot-issue513.root"

CLASSES = ["qcd", "ttbar", "wjets"]
N, CHUNK, SEED = 20, 10, 7

# Members and ROOT types we write. Collections present in the real file are checked against it;
# Electron, MuonTight and MissingET are not in it, their names follow Delphes' classes
# (DelphesClasses.h: Electron/Muon have PT, Eta, Phi, T, Charge, IsolationVar, ...;
# MissingET has MET, Eta, Phi).
SCHEMA = {
    "EFlowTrack": {"PID": "int32_t", "Charge": "int32_t", "P": "float", "PT": "float", "Eta": "float",
                   "Phi": "float", "CtgTheta": "float", "X": "float", "Y": "float", "Z": "float",
                   "D0": "float", "DZ": "float"},
    "EFlowPhoton": {"ET": "float", "Eta": "float", "Phi": "float", "E": "float"},
    "EFlowNeutralHadron": {"ET": "float", "Eta": "float", "Phi": "float", "E": "float"},
    "Electron": {"PT": "float", "Eta": "float", "Phi": "float", "Charge": "int32_t", "IsolationVar": "float"},
    "MuonTight": {"PT": "float", "Eta": "float", "Phi": "float", "Charge": "int32_t", "IsolationVar": "float"},
    "Jet": {"PT": "float", "Eta": "float", "Phi": "float", "Mass": "float", "Flavor": "uint32_t",
            "BTag": "uint32_t"},
    "MissingET": {"MET": "float", "Eta": "float", "Phi": "float"},
}


def read(d: Path, cls: str) -> ak.Array:
    files = sorted((d / cls).glob("*.root"))
    return uproot.concatenate([f"{f}:Delphes" for f in files], library="ak")


def same(a: ak.Array, b: ak.Array) -> bool:
    return a.fields == b.fields and all(ak.all(ak.ravel(a[f]) == ak.ravel(b[f])) and
                                        ak.all(ak.num(a[f], axis=-1) == ak.num(b[f], axis=-1))
                                        if a[f].ndim > 1 else ak.all(a[f] == b[f]) for f in a.fields)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen1")
    res = generate.generate(CLASSES, N, out, seed=SEED, jobs=1, chunk_size=CHUNK, progress=False)
    assert len(res) == len(CLASSES) * (N // CHUNK)
    return out


def test_layout_and_schema(sample):
    for cls in CLASSES:
        files = sorted(p.name for p in (sample / cls).iterdir())
        assert files == [f"{cls}_{c:04d}.root" for c in range(N // CHUNK)]
        t = uproot.open(sample / cls / files[0])["Delphes"]
        assert t.classname == "TTree" and t.num_entries == CHUNK
        want = set()
        for coll, members in SCHEMA.items():
            assert t[f"n{coll}"].typename == "int32_t"
            want.add(f"n{coll}")
            for m, typ in members.items():
                assert t[f"{coll}_{m}"].typename == typ + "[]", (coll, m)
                want.add(f"{coll}_{m}")
        assert set(t.keys()) == want


def test_physics_sanity(sample):
    a = {cls: read(sample, cls) for cls in CLASSES}
    for cls, x in a.items():
        assert len(x) == N
        pt, eta = ak.ravel(x.EFlowTrack_PT), ak.ravel(x.EFlowTrack_Eta)
        assert len(pt) > 10 * N and ak.all(pt > 0.5) and ak.all(abs(eta) < 2.5)
        assert set(np.unique(ak.to_numpy(ak.ravel(abs(x.EFlowTrack_Charge))))) == {1}
        assert ak.all(x.nMissingET == 1)
        assert ak.all(ak.ravel(x.EFlowPhoton_ET) > 0) and ak.all(ak.ravel(x.Jet_PT) >= 20)
        assert ak.all(x.Jet_PT[:, 1:] <= x.Jet_PT[:, :-1])  # sorted by PT
        assert np.std(ak.to_numpy(ak.ravel(x.EFlowTrack_Z))) > 5  # beam spot sigma_z = 35 mm
        # leptons are present in every class (qcd has a generator-level lepton filter)
        nlep = ak.to_numpy(x.nElectron + x.nMuonTight)
        assert (nlep > 0).mean() > 0.3, cls
    assert ak.mean(a["ttbar"].nJet) > ak.mean(a["wjets"].nJet)
    assert ak.mean(ak.firsts(a["ttbar"].MissingET_MET)) > ak.mean(ak.firsts(a["qcd"].MissingET_MET))
    assert ak.sum(a["ttbar"].Jet_BTag) > ak.sum(a["wjets"].Jet_BTag)


def test_determinism_jobs_and_resume(sample, tmp_path):
    out = tmp_path / "gen2"
    generate.generate(CLASSES, N, out, seed=SEED, jobs=2, chunk_size=CHUNK, progress=False)
    for cls in CLASSES:
        assert same(read(sample, cls), read(out, cls)), cls
    # resumability: delete one chunk; only it is regenerated, identically
    victim = out / "ttbar" / "ttbar_0001.root"
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.root") if p != victim}
    victim.unlink()
    res = generate.generate(CLASSES, N, out, seed=SEED, jobs=1, chunk_size=CHUNK, progress=False)
    assert [(r["cls"], r["chunk"]) for r in res] == [("ttbar", 1)]
    assert all(p.stat().st_mtime_ns == m for p, m in mtimes.items())
    assert same(read(sample, "ttbar"), read(out, "ttbar"))
    assert not list(out.rglob(".*tmp*"))


def test_other_seed_differs(sample, tmp_path):
    generate.generate(["wjets"], CHUNK, tmp_path, seed=SEED + 1, jobs=1, chunk_size=CHUNK, progress=False)
    a, b = read(sample, "wjets")[:CHUNK], read(tmp_path, "wjets")
    assert not ak.all(a.nEFlowTrack == b.nEFlowTrack)
    # a rerun with the original seed into the same directory must not reuse the other seed's chunk
    res = generate.generate(["wjets"], CHUNK, tmp_path, seed=SEED, jobs=1, chunk_size=CHUNK, progress=False)
    assert len(res) == 1
    assert same(a, read(tmp_path, "wjets"))


@pytest.mark.parametrize("spec", ["zlib:4", "lz4", "zstd:3", "none"])
def test_compression_roundtrip(sample, tmp_path, spec):
    x = read(sample, "wjets")
    cols = {c: ak.zip({m: x[f"{c}_{m}"] for m in SCHEMA[c]}) for c in SCHEMA}
    p = tmp_path / f"c_{spec.replace(':', '_')}.root"
    writer.write_chunk(p, cols, writer.parse_compression(spec))
    assert same(x, uproot.open(p)["Delphes"].arrays(library="ak"))


def test_chunks_beyond_the_request_are_reported(tmp_path):
    for name in ("qcd_0000.root", "qcd_0001.root", "qcd_0002.root", "qcd_notes.root"):
        (tmp_path / "qcd").mkdir(exist_ok=True)
        (tmp_path / "qcd" / name).write_bytes(b"")
    stale = generate.stale_chunks(["qcd"], 150, 100, tmp_path)
    assert [p.name for p in stale] == ["qcd_0002.root"]
    assert generate.stale_chunks(["qcd"], 300, 100, tmp_path) == []


def test_bad_compression():
    with pytest.raises(ValueError):
        writer.parse_compression("gzip")


@pytest.mark.skipif(not REAL_DELPHES.is_file(), reason=f"{REAL_DELPHES} not found")
def test_members_match_real_delphes():
    t = uproot.open(REAL_DELPHES)["Delphes"]
    found = 0
    for coll, members in SCHEMA.items():
        if coll not in t.keys(recursive=False):
            continue
        found += 1
        assert t[coll].typename == "int32_t"  # the TClonesArray counter
        for m, typ in members.items():
            b = t[f"{coll}/{coll}.{m}"]
            assert b.typename == typ + "[]", (coll, m, b.typename)
    assert found == 4  # EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Jet


def test_plots(sample, tmp_path, capsys):
    import plots

    assert plots.main([str(sample), "--png-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    for cls in CLASSES:
        assert cls in text
    for f in ("lepton_pt.png", "met.png", "njets.png", "ht.png"):
        assert (tmp_path / f).stat().st_size > 1000
