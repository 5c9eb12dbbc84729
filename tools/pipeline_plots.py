#!/usr/bin/env python3
"""Plots of a pipeline run (sql/run OUT): the 14 high-level features per class from
OUT/events.parquet (before scaling, normalised histograms), the particle multiplicity, and the
cut-flow from OUT/cutflow.csv. Writes OUT/plots/{hlf,cutflow}.png.

Usage: tools/pipeline_plots.py OUT     (with the generator's venv: matplotlib, pyarrow)
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

CLASSES = ["QCD", "tt̄", "W+jets"]
HLF = [("ht", "HT [GeV]"), ("met", "MET [GeV]"), ("met_phi", "φ(MET)"), ("mt", "m_T(ℓ, MET) [GeV]"),
       ("n_jets", "jets"), ("n_bjets", "b-tagged jets"), ("lep_pt", "lepton pT [GeV]"), ("lep_eta", "lepton η"),
       ("lep_phi", "lepton φ"), ("lep_iso_ch", "lepton charged iso"), ("lep_iso_gamma", "lepton photon iso"),
       ("lep_iso_neu", "lepton neutral iso"), ("lep_charge", "lepton charge"), ("lep_is_ele", "lepton is electron"),
       ("n_particles", "particles per event")]


def plot_hlf(out: Path) -> Path:
    t = pq.read_table(out / "events.parquet", columns=["label"] + [c for c, _ in HLF])
    label = t.column("label").to_numpy()
    fig, axes = plt.subplots(3, 5, figsize=(18, 10))
    for ax, (col, title) in zip(axes.flat, HLF):
        x = t.column(col).to_numpy().astype(np.float64)
        discrete = col in ("n_jets", "n_bjets", "lep_charge", "lep_is_ele")
        hi = np.percentile(x, 99.5) if not discrete else x.max()
        bins = np.arange(x.min() - 0.5, hi + 1.5) if discrete else np.linspace(x.min(), hi, 40)
        for k, name in enumerate(CLASSES):
            sel = x[label == k]
            if len(sel):
                ax.hist(sel, bins=bins, histtype="step", density=True, label=f"{name} ({len(sel)})", linewidth=1.4)
        # The continuous features are drawn up to their 99.5th percentile: the events beyond the
        # last bin (overflow, as ROOT keeps it apart) are counted in the title, not hidden.
        over = int((x > bins[-1]).sum()) if not discrete else 0
        ax.set_title(f"{title} ({over} overflow)" if over else title, fontsize=10)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Selected events (events.parquet): the 14 high-level features and the particle count, per class")
    fig.tight_layout()
    path = out / "plots" / "hlf.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def plot_cutflow(out: Path) -> Path:
    with open(out / "cutflow.csv") as f:
        rows = list(csv.DictReader(f))
    steps = [s for s in rows[0] if s != "class"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(rows)
    for i, r in enumerate(rows):
        ax.bar(np.arange(len(steps)) + i * width, [int(r[s]) for s in steps], width, label=r["class"])
    ax.set_xticks(np.arange(len(steps)) + width * (len(rows) - 1) / 2, steps)
    ax.set_yscale("log")
    ax.set_ylabel("events")
    ax.set_title("Cut-flow per class")
    ax.legend()
    fig.tight_layout()
    path = out / "plots" / "cutflow.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    out = Path(argv[0])
    (out / "plots").mkdir(exist_ok=True)
    for path in (plot_hlf(out), plot_cutflow(out)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
