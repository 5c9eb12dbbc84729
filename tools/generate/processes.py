"""Pythia 8 settings per event class, seeds, and the generator-level QCD filter.

Classes and their downstream labels: qcd = 0, ttbar = 1, wjets = 2 (SparkDLTrigger order).
Facts behind the settings: shared/docs/burn-and-pythia.md section B.
"""
from __future__ import annotations

import os

import numpy as np

CLASSES = {"qcd": 0, "ttbar": 1, "wjets": 2}

COMMON = [
    "Beams:eCM = 13000.",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Print:quiet = on",
    # Luminous region (beam spot), Gaussian, in mm: enters every production vertex.
    "Beams:allowVertexSpread = on",
    "Beams:sigmaVertexX = 0.015",
    "Beams:sigmaVertexY = 0.015",
    "Beams:sigmaVertexZ = 35.",
]

WJETS = [
    "WeakBosonAndParton:qqbar2Wg = on",
    "WeakBosonAndParton:qg2Wq = on",
    "PhaseSpace:pTHatMin = 20.",
    "24:onMode = off",
    "24:onIfAny = 11 13",
]

TTBAR = ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off"]
# Semileptonic: one W to e/mu + nu, the other to quarks. Both charge configurations,
# alternating by chunk (even chunk: W+ -> l nu, odd chunk: W- -> l nu).
TTBAR_LEP_PLUS = ["24:onPosIfAny = 11 13", "24:onNegIfAny = 1 2 3 4 5"]
TTBAR_LEP_MINUS = ["24:onPosIfAny = 1 2 3 4 5", "24:onNegIfAny = 11 13"]

# Heavy-flavour enriched QCD: b bbar production with forced semileptonic B decays
# ("qcdbbsl" in burn-and-pythia.md B2), plus a generator-level lepton filter (below).
QCD = ["HardQCD:hardbbbar = on", "PhaseSpace:pTHatMin = 30."]
for _b in (511, 521, 531, 5122):
    QCD += [f"{_b}:onMode = off", f"{_b}:onIfAny = 11 13"]

# Generator-level filter for qcd: at least one final-state e or mu with these cuts.
QCD_FILTER_PT = 20.0
QCD_FILTER_ETA = 2.5


def settings(cls: str, chunk: int) -> list[str]:
    if cls == "wjets":
        return COMMON + WJETS
    if cls == "ttbar":
        return COMMON + TTBAR + (TTBAR_LEP_PLUS if chunk % 2 == 0 else TTBAR_LEP_MINUS)
    if cls == "qcd":
        return COMMON + QCD
    raise ValueError(f"unknown class {cls!r}; known: {', '.join(CLASSES)}")


def seeds(base_seed: int, cls: str, chunk: int) -> tuple[int, int]:
    """(pythia seed in 1..900000000, numpy seed) from (base seed, class, chunk index) only."""
    ss = np.random.SeedSequence([int(base_seed), CLASSES[cls], int(chunk)])
    a, b = ss.generate_state(2, dtype=np.uint64)
    return int(a % 900_000_000) + 1, int(b)


def import_pythia():
    """pythia8mc, imported from this directory: its initialisation executes the files of a
    directory named `python` in the working directory, and the repository root has one (the
    Python package), which makes the import fail."""
    cwd = os.getcwd()
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    try:
        import pythia8mc
    finally:
        os.chdir(cwd)
    return pythia8mc


def make_pythia(cls: str, chunk: int, pythia_seed: int):
    pythia8mc = import_pythia()

    py = pythia8mc.Pythia("", False)  # no banner
    for s in settings(cls, chunk) + ["Random:setSeed = on", f"Random:seed = {pythia_seed}"]:
        if not py.readString(s):
            raise RuntimeError(f"pythia rejected setting {s!r}")
    if not py.init():
        raise RuntimeError(f"pythia init failed for {cls}")
    return py


def passes_filter(cls: str, event) -> bool:
    """Generator-level filter, applied before the (more expensive) particle extraction."""
    if cls != "qcd":
        return True
    for p in event:
        a = p.idAbs()
        if (a == 11 or a == 13) and p.isFinal() and p.pT() > QCD_FILTER_PT and abs(p.eta()) < QCD_FILTER_ETA:
            return True
    return False
