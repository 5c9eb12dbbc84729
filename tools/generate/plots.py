"""Per-class summaries and distributions of generated (or real Delphes) samples.

    .venv-gen/bin/python tools/generate/generate.py plot <dir> [--png-dir DIR]
    .venv-gen/bin/python tools/generate/plots.py <dir> [--png-dir DIR]

<dir> holds one sub-directory per class (qcd, ttbar, wjets, or any other name) with the ROOT files.
Prints, per class: events, mean leading-lepton pT, mean MET, mean jet multiplicity and HT (jets with
PT > 30 GeV and |Eta| < 2.4), and the fraction passing the trigger-like selection (an Electron or
MuonTight with PT > 23 GeV and relative isolation < 0.45 in a cone 0.3, computed from EFlowTrack
PT > 0.5 without the lepton's own track, EFlowPhoton ET > 1, EFlowNeutralHadron ET > 1).
Writes lepton_pt.png, met.png, njets.png, ht.png (one unit-area histogram per class, overlaid).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import awkward as ak
import numpy as np

TREE = "Delphes"
JET_PT, JET_ETA = 30.0, 2.4
TRIG_PT, TRIG_ISO, CONE = 23.0, 0.45, 0.3
BRANCHES = ["nElectron", "Electron_*", "nMuonTight", "MuonTight_*", "nJet", "Jet_PT", "Jet_Eta", "Jet_BTag", "MissingET_MET",
            "nMissingET", "nEFlowTrack", "EFlowTrack_PT", "EFlowTrack_Eta", "EFlowTrack_Phi",
            "nEFlowPhoton", "EFlowPhoton_ET", "EFlowPhoton_Eta", "EFlowPhoton_Phi",
            "nEFlowNeutralHadron", "EFlowNeutralHadron_ET", "EFlowNeutralHadron_Eta", "EFlowNeutralHadron_Phi"]


def read_class(d: Path) -> ak.Array:
    import uproot

    files = sorted(str(p) for p in d.glob("*.root"))
    if not files:
        return None
    return uproot.concatenate([f + ":" + TREE for f in files], filter_name=BRANCHES, library="ak")


def _iso(lep_eta, lep_phi, lep_pt, eta, phi, pt, exclude_self):
    le, c = ak.unzip(ak.cartesian([ak.zip({"eta": lep_eta, "phi": lep_phi}),
                                    ak.zip({"eta": eta, "phi": phi, "pt": pt})], nested=True))
    dphi = (le.phi - c.phi + np.pi) % (2 * np.pi) - np.pi
    dr2 = (le.eta - c.eta) ** 2 + dphi**2
    inside = dr2 < CONE**2
    if exclude_self:
        inside = inside & (dr2 > 1e-8)
    return ak.sum(ak.where(inside, c.pt, 0.0), axis=2) / lep_pt


def observables(a: ak.Array) -> dict:
    lep_pt = ak.concatenate([a.Electron_PT, a.MuonTight_PT], axis=1)
    lep_eta = ak.concatenate([a.Electron_Eta, a.MuonTight_Eta], axis=1)
    lep_phi = ak.concatenate([a.Electron_Phi, a.MuonTight_Phi], axis=1)
    trk = a.EFlowTrack_PT > 0.5
    pho = a.EFlowPhoton_ET > 1.0
    neu = a.EFlowNeutralHadron_ET > 1.0
    iso = (_iso(lep_eta, lep_phi, lep_pt, a.EFlowTrack_Eta[trk], a.EFlowTrack_Phi[trk], a.EFlowTrack_PT[trk], True)
           + _iso(lep_eta, lep_phi, lep_pt, a.EFlowPhoton_Eta[pho], a.EFlowPhoton_Phi[pho], a.EFlowPhoton_ET[pho], False)
           + _iso(lep_eta, lep_phi, lep_pt, a.EFlowNeutralHadron_Eta[neu], a.EFlowNeutralHadron_Phi[neu],
                  a.EFlowNeutralHadron_ET[neu], False))
    trig = ak.any((lep_pt > TRIG_PT) & (iso < TRIG_ISO), axis=1)
    good_jet = (a.Jet_PT > JET_PT) & (abs(a.Jet_Eta) < JET_ETA)
    lead = ak.max(lep_pt, axis=1)
    return {
        "lead_lep_pt": ak.to_numpy(ak.drop_none(lead)).astype(float),
        "met": ak.to_numpy(ak.firsts(a.MissingET_MET)).astype(float),
        "njets": ak.to_numpy(ak.sum(good_jet, axis=1)),
        "ht": ak.to_numpy(ak.sum(a.Jet_PT[good_jet], axis=1)).astype(float),
        "trigger": ak.to_numpy(trig),
        "n_lep": ak.to_numpy(ak.num(lep_pt)),
        "n_btag": ak.to_numpy(ak.sum((a.Jet_BTag > 0) & good_jet, axis=1)) if "Jet_BTag" in a.fields else None,
    }


def summarize(obs: dict[str, dict]) -> str:
    head = f"{'class':<8} {'events':>7} {'<lead lep pT>':>14} {'<MET>':>7} {'<nJets>':>8} {'<HT>':>7} {'<nBTag>':>8} {'>=1 lep':>8} {'trigger':>8}"
    lines = [head]
    for cls, o in obs.items():
        n = len(o["met"])
        nb = f"{o['n_btag'].mean():8.2f}" if o["n_btag"] is not None and n else f"{'-':>8}"
        lines.append(f"{cls:<8} {n:>7} {np.mean(o['lead_lep_pt']) if len(o['lead_lep_pt']) else float('nan'):>14.1f} "
                     f"{np.mean(o['met']):>7.1f} {np.mean(o['njets']):>8.2f} {np.mean(o['ht']):>7.1f} {nb} "
                     f"{np.mean(o['n_lep'] > 0):>8.3f} {np.mean(o['trigger']):>8.3f}")
    lines.append(f"(means in GeV; jets: PT > {JET_PT:g}, |Eta| < {JET_ETA}; lead lep pT over events with >= 1 lepton; "
                 f"trigger: e/mu PT > {TRIG_PT:g}, iso({CONE}) < {TRIG_ISO})")
    return "\n".join(lines)


def plot(obs: dict[str, dict], png_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png_dir.mkdir(parents=True, exist_ok=True)
    specs = [
        ("lead_lep_pt", "lepton_pt.png", "leading lepton PT [GeV]", np.linspace(0, 200, 41)),
        ("met", "met.png", "MET [GeV]", np.linspace(0, 250, 51)),
        ("njets", "njets.png", f"jet multiplicity (PT > {JET_PT:g} GeV, |Eta| < {JET_ETA})", np.arange(-0.5, 12.5, 1)),
        ("ht", "ht.png", "HT [GeV]", np.linspace(0, 1000, 51)),
    ]
    written = []
    for key, fname, label, bins in specs:
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for cls, o in obs.items():
            v = o[key]
            if len(v):
                ax.hist(np.clip(v, bins[0], bins[-1] - 1e-6), bins=bins, histtype="step", density=True, lw=1.6,
                        label=f"{cls} ({len(v)})")
        ax.set_xlabel(label)
        ax.set_ylabel("normalised")
        ax.legend()
        fig.tight_layout()
        p = png_dir / fname
        fig.savefig(p, dpi=100)
        plt.close(fig)
        written.append(p)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="generate.py plot", description="per-class summary and PNG histograms")
    ap.add_argument("dir", type=Path, help="directory with one sub-directory of ROOT files per class")
    ap.add_argument("--png-dir", type=Path, default=None, help="where to write PNGs (default <dir>/plots)")
    ap.add_argument("--no-png", action="store_true", help="only print the summary")
    a = ap.parse_args(argv)
    obs = {}
    for d in sorted(p for p in a.dir.iterdir() if p.is_dir()):
        arr = read_class(d)
        if arr is not None:
            obs[d.name] = observables(arr)
    if not obs:
        print(f"no class directories with ROOT files under {a.dir}", file=sys.stderr)
        return 1
    print(summarize(obs))
    if not a.no_png:
        for p in plot(obs, a.png_dir or a.dir / "plots"):
            print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
