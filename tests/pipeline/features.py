"""Steps 2-4 of the pipeline (trigger, 19 particle features, 14 HLF) written independently in
uproot + awkward + numpy: the oracle of tests/pipeline, and the Python peer of
tools/bench/bench_pipeline.py. It follows sql/README.md, not the SQL: vectorized over events
with awkward, one ROOT file at a time.

Float32 inputs are computed in float64 and the features rounded to float32, as the SQL does.
"""
from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import uproot

CLASSES = ["qcd", "ttbar", "wjets"]  # labels 0, 1, 2
HLF = ["ht", "met", "met_phi", "mt", "n_jets", "n_bjets", "lep_pt", "lep_eta", "lep_phi",
       "lep_iso_ch", "lep_iso_gamma", "lep_iso_neu", "lep_charge", "lep_is_ele"]
PARTICLE = ["e", "px", "py", "pz", "pt", "eta", "phi", "vtx_x", "vtx_y", "vtx_z",
            "iso_ch", "iso_gamma", "iso_neu", "is_ch_had", "is_neu_had", "is_gamma", "is_ele", "is_mu", "charge"]
MEMBERS = {
    "EFlowTrack": ["PT", "Eta", "Phi", "Charge", "X", "Y", "Z"],
    "EFlowPhoton": ["ET", "Eta", "Phi"],
    "EFlowNeutralHadron": ["ET", "Eta", "Phi"],
    "Electron": ["PT", "Eta", "Phi", "Charge"],
    "MuonTight": ["PT", "Eta", "Phi", "Charge"],
    "Jet": ["PT", "Eta", "BTag"],
    "MissingET": ["MET", "Phi"],
}
CONE = 0.3
SAME_PARTICLE_DR = 1e-4


def read_events(path) -> dict[str, ak.Array]:
    """The collections of one file as records; NanoAOD-style (`X_PT`) or Delphes (`X.PT`) names."""
    tree = uproot.open(path)["Delphes"]
    out = {}
    for name, members in MEMBERS.items():
        sep = "_" if f"{name}_{members[0]}" in tree else "."
        arrays = tree.arrays([f"{name}{sep}{m}" for m in members], how=dict)
        out[name] = ak.zip({m: arrays[f"{name}{sep}{m}"] for m in members})
    return out


def delta_phi(a, b):
    d = np.mod(a - b + np.pi, 2 * np.pi) - np.pi
    return ak.where(d >= np.pi, d - 2 * np.pi, d)


def f64(x):
    return ak.values_astype(x, np.float64)


def _pairs(particles, others):
    return ak.cartesian({"p": particles, "o": others}, nested=True)


def iso3(particles, pt_field, trk, pho, neu, self_is_track):
    """(charged, photon, neutral-hadron) isolations of `particles`, whose pT is `pt_field`."""
    pt = f64(particles[pt_field])

    def cone_sum(others, o_pt, exclude):
        pairs = _pairs(particles, others)
        dr = np.hypot(f64(pairs.p.Eta) - f64(pairs.o.Eta), delta_phi(f64(pairs.p.Phi), f64(pairs.o.Phi)))
        inside = dr < CONE
        if exclude:
            inside = inside & ~(dr < SAME_PARTICLE_DR)
        return ak.sum(ak.where(inside, f64(pairs.o[o_pt]), 0.0), axis=-1) / pt

    return cone_sum(trk, "PT", self_is_track), cone_sum(pho, "ET", False), cone_sum(neu, "ET", False)


def f32(x):
    return ak.values_astype(x, np.float32)


def particle_rows(p, pt_field, iso, vertex, flags, charge):
    """The 19 features of a particle collection as a record array (float32)."""
    pt, eta, phi = f64(p[pt_field]), f64(p.Eta), f64(p.Phi)
    zero = ak.zeros_like(pt)
    rows = {
        "e": pt * np.cosh(eta), "px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta),
        "pt": pt, "eta": eta, "phi": phi,
        "vtx_x": vertex[0] if vertex else zero, "vtx_y": vertex[1] if vertex else zero, "vtx_z": vertex[2] if vertex else zero,
        "iso_ch": iso[0], "iso_gamma": iso[1], "iso_neu": iso[2],
    }
    for name, value in zip(["is_ch_had", "is_neu_had", "is_gamma", "is_ele", "is_mu"], flags):
        rows[name] = zero + value
    rows["charge"] = zero + charge
    return ak.zip({k: f32(rows[k]) for k in PARTICLE})


def select_and_compute(ev: dict[str, ak.Array], label: int) -> dict:
    """Steps 2-4 for the events of one file: the selected events' HLF and particle lists."""
    trk = ev["EFlowTrack"][ev["EFlowTrack"].PT > 0.5]
    pho = ev["EFlowPhoton"][ev["EFlowPhoton"].ET > 1.0]
    neu = ev["EFlowNeutralHadron"][ev["EFlowNeutralHadron"].ET > 1.0]
    keep = (ak.num(trk) > 0) & (ak.num(pho) > 0) & (ak.num(neu) > 0)
    trk, pho, neu = trk[keep], pho[keep], neu[keep]
    ele, mu = ev["Electron"][keep], ev["MuonTight"][keep]
    jets, met = ev["Jet"][keep], ev["MissingET"][keep][:, 0]
    ele, mu = ele[ele.PT > 23], mu[mu.PT > 23]
    cand = ak.concatenate([
        ak.zip({"PT": ele.PT, "Eta": ele.Eta, "Phi": ele.Phi, "Charge": ele.Charge, "is_ele": ak.ones_like(ele.PT, dtype=bool)}),
        ak.zip({"PT": mu.PT, "Eta": mu.Eta, "Phi": mu.Phi, "Charge": mu.Charge, "is_ele": ak.zeros_like(mu.PT, dtype=bool)}),
    ], axis=1)
    ich, igam, ineu = (f32(x) for x in iso3(cand, "PT", trk, pho, neu, self_is_track=True))
    isolated = (ich + igam + ineu) < 0.45
    leading = ak.argmax(ak.where(isolated, cand.PT, -np.inf), axis=1, keepdims=True)
    has = ak.any(isolated, axis=1)
    lep = ak.firsts(cand[leading])[has]
    lep_iso = [ak.firsts(x[leading])[has] for x in (ich, igam, ineu)]
    trk, pho, neu, jets, met = trk[has], pho[has], neu[has], jets[has], met[has]

    # Step 3: particles in collection order, capped, own track out; features; by ΔR, descending.
    dr_lep = np.hypot(f64(trk.Eta) - f64(lep.Eta), delta_phi(f64(trk.Phi), f64(lep.Phi)))
    t = trk[f32(dr_lep) > SAME_PARTICLE_DR][:, :450]
    g, h = pho[:, :150], neu[:, :200]
    lep_list = ak.singletons(lep)
    lep_rows = particle_rows(lep_list, "PT", [ak.singletons(f64(x)) for x in lep_iso], None,
                             [0, 0, 0, ak.singletons(ak.values_astype(lep.is_ele, np.float64)), ak.singletons(1.0 - ak.values_astype(lep.is_ele, np.float64))],
                             f64(lep_list.Charge))
    trk_rows = particle_rows(t, "PT", iso3(t, "PT", trk, pho, neu, True), (f64(t.X), f64(t.Y), f64(t.Z)), [1, 0, 0, 0, 0], f64(t.Charge))
    pho_rows = particle_rows(g, "ET", iso3(g, "ET", trk, pho, neu, False), None, [0, 0, 1, 0, 0], 0.0)
    neu_rows = particle_rows(h, "ET", iso3(h, "ET", trk, pho, neu, False), None, [0, 1, 0, 0, 0], 0.0)
    parts = ak.concatenate([lep_rows, trk_rows, pho_rows, neu_rows], axis=1)
    key = f32(np.hypot(f64(parts.eta) - f64(lep.Eta), delta_phi(f64(parts.phi), f64(lep.Phi))))
    parts = parts[ak.argsort(key, axis=1, ascending=False, stable=True)]

    # Step 4: HLF.
    good = jets[(jets.PT > 30) & (abs(jets.Eta) < 2.6)]
    lep_pt, lep_phi, met_v, met_phi = f64(lep.PT), f64(lep.Phi), f64(met.MET), f64(met.Phi)
    hlf = {
        "ht": ak.sum(f64(good.PT), axis=1),
        "met": met_v, "met_phi": met_phi,
        "mt": np.sqrt(2 * met_v * lep_pt * (1 - np.cos(delta_phi(met_phi, lep_phi)))),
        "n_jets": ak.num(good), "n_bjets": ak.sum(good.BTag > 0, axis=1),
        "lep_pt": lep_pt, "lep_eta": f64(lep.Eta), "lep_phi": lep_phi,
        "lep_iso_ch": lep_iso[0], "lep_iso_gamma": lep_iso[1], "lep_iso_neu": lep_iso[2],
        "lep_charge": lep.Charge, "lep_is_ele": ak.values_astype(lep.is_ele, np.float64),
    }
    out = {k: ak.to_numpy(f32(v)) for k, v in hlf.items()}
    out["label"] = np.full(len(lep), label, dtype=np.int32)
    out["n_particles"] = ak.to_numpy(ak.num(parts)).astype(np.int32)
    out["particles"] = parts
    out["class_label"] = label
    out["cutflow"] = {"generated": len(keep), "isolation_maps": int(ak.sum(keep)),
                      "lepton_pt23": int(ak.sum(ak.num(cand) > 0)), "triggered": int(ak.sum(has))}
    return out


def run(data: Path) -> dict:
    """Steps 2-4 over data/{qcd,ttbar,wjets}/*.root; the selected events of all files."""
    parts = []
    for label, cls in enumerate(CLASSES):
        for path in sorted(Path(data, cls).glob("*.root")):
            parts.append(select_and_compute(read_events(path), label))
    merged = {k: np.concatenate([p[k] for p in parts]) for k in HLF + ["label", "n_particles"]}
    merged["particles"] = ak.concatenate([p["particles"] for p in parts])
    merged["cutflow"] = {label: {k: sum(p["cutflow"][k] for p in parts if p["class_label"] == label) for k in parts[0]["cutflow"]}
                         for label in range(len(CLASSES))}
    return merged
