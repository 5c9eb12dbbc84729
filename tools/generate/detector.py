"""A simple, deterministic Delphes-like detector emulation (documented in README.md).

Per event, `extract` pulls the generator-level information out of `pythia.event` (a Python loop,
the only per-particle Python code). `emulate` then works on a whole chunk of events at once with
numpy/awkward: tracking, calorimetry, lepton identification, anti-kt jets (fastjet), b-tagging
and missing ET. All randomness comes from the numpy Generator passed in, drawn in a fixed order.
"""
from __future__ import annotations

import awkward as ak
import numpy as np

# ---- acceptance, efficiencies, resolutions (see README.md, "Detector emulation") ----
TRACK_ETA_MAX = 2.5
TRACK_PT_MIN = 0.5        # GeV, on the stored (smeared) pT
BARREL_ETA = 1.5
CALO_ETA_MAX = 3.0
PHOTON_E_MIN = 0.5        # GeV, ECAL deposit threshold
NEUTRAL_E_MIN = 1.0       # GeV, HCAL deposit threshold
ELECTRON_ETA_MAX = 2.5
MUON_ETA_MAX = 2.4
LEPTON_PT_MIN = 10.0      # GeV
ISO_CONE = 0.3
JET_R = 0.4
JET_PT_MIN = 20.0         # GeV
BTAG_ETA_MAX = 2.5
BTAG_EFF = {5: 0.70, 4: 0.10, 0: 0.01}   # b, c, light (mistag)
HF_HADRON_PT_MIN = 5.0    # GeV, b/c hadrons used for the flavour matching
HF_MATCH_DR = 0.4

NEUTRINOS = (12, 14, 16)


def heavy_flavour(a: int) -> int:
    """5 for a b hadron, 4 for a c hadron (no b), 0 otherwise; a = |PDG id|."""
    if a < 100:
        return 0
    q1, q2 = (a // 1000) % 10, (a // 100) % 10
    if q1 == 5 or q2 == 5:
        return 5
    if q1 == 4 or q2 == 4:
        return 4
    return 0


def extract(event):
    """Final-state particles and b/c hadrons of one pythia event as two numpy arrays.

    final: float64 (n, 8): id, px, py, pz, e, xProd, yProd, zProd (GeV, mm; vertex incl. beam spot)
    hf:    float64 (m, 4): flavour (5/4), px, py, pz
    """
    fin = []
    hf = []
    for p in event:
        if p.isFinal():
            fin.append((p.id(), p.px(), p.py(), p.pz(), p.e(), p.xProd(), p.yProd(), p.zProd()))
        elif p.isHadron():
            f = heavy_flavour(p.idAbs())
            if f:
                hf.append((f, p.px(), p.py(), p.pz()))
    return np.asarray(fin, dtype=np.float64).reshape(-1, 8), np.asarray(hf, dtype=np.float64).reshape(-1, 4)


_charge_cache: dict[int, int] = {}


def charges(ids: np.ndarray, particle_data) -> np.ndarray:
    """Integer charge for each PDG id, from pythia's ParticleData (cached per id)."""
    uniq, inv = np.unique(ids, return_inverse=True)
    out = np.empty(len(uniq), dtype=np.int32)
    for k, i in enumerate(uniq.tolist()):
        c = _charge_cache.get(i)
        if c is None:
            c = _charge_cache[i] = int(round(particle_data.charge(int(i))))
        out[k] = c
    return out[inv]


def _eta(px, py, pz):
    pt = np.hypot(px, py)
    r = np.divide(pz, pt, out=np.sign(pz) * 1e4, where=pt > 0)  # pT = 0: |eta| ~ 10
    return np.arcsinh(r)


def _dphi(a, b):
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def _collection(evt, nev, mask, fields: dict):
    counts = np.bincount(evt[mask], minlength=nev)
    return ak.zip({k: ak.unflatten(v[mask], counts) for k, v in fields.items()})


def emulate(events, rng: np.random.Generator, particle_data):
    """events: list of (final, hf) from `extract`. Returns {collection name: awkward array}."""
    nev = len(events)
    counts = np.array([len(f) for f, _ in events], dtype=np.int64)
    fin = np.concatenate([f for f, _ in events]) if nev else np.zeros((0, 8))
    evt = np.repeat(np.arange(nev), counts)
    n = len(fin)
    pid = fin[:, 0].astype(np.int32)
    apid = np.abs(pid)
    px, py, pz, e, vx, vy, vz = (fin[:, k] for k in range(1, 8))
    pt = np.hypot(px, py)
    eta = _eta(px, py, pz)
    phi = np.arctan2(py, px)
    aeta = np.abs(eta)
    barrel = aeta < BARREL_ETA
    q = charges(pid, particle_data) if n else np.zeros(0, np.int32)

    # random numbers, one of each per particle, always drawn in this order
    u_trk, g_trk, g_cal, u_lep, g_lep = rng.random(n), rng.standard_normal(n), rng.standard_normal(n), rng.random(n), rng.standard_normal(n)

    is_nu = np.isin(apid, NEUTRINOS)
    is_e, is_mu = apid == 11, apid == 13
    charged = q != 0

    # ---- tracking ----
    eff_had = np.where(barrel, np.where(pt < 1.0, 0.70, 0.95), np.where(pt < 1.0, 0.60, 0.85))
    eff_trk = np.where(is_e | is_mu, 0.99, eff_had)
    res_trk = np.where(barrel, np.hypot(0.01, 1e-4 * pt), np.hypot(0.02, 2e-4 * pt))
    pt_trk = pt * np.maximum(1 + res_trk * g_trk, 0.0)
    tracked = charged & (aeta < TRACK_ETA_MAX) & (u_trk < eff_trk) & (pt_trk > TRACK_PT_MIN)

    # ---- calorimeters: photons and electrons without a track go to ECAL, hadrons to HCAL ----
    in_calo = (aeta < CALO_ETA_MAX) & ~tracked & ~is_nu & ~is_mu
    ecal = in_calo & ((pid == 22) | is_e)
    hcal = in_calo & ~ecal
    esafe = np.maximum(e, 1e-9)
    res_cal = np.where(ecal, np.sqrt(0.05**2 / esafe + 0.01**2), np.sqrt(1.0**2 / esafe + 0.05**2))
    e_cal = e * np.maximum(1 + res_cal * g_cal, 0.0)
    ecal &= e_cal > PHOTON_E_MIN
    hcal &= e_cal > NEUTRAL_E_MIN

    # reconstructed (massless) kinematics of every particle-flow candidate
    cosh = np.cosh(eta)
    rpt = np.where(tracked, pt_trk, e_cal / cosh)
    rpx, rpy, rpz = rpt * np.cos(phi), rpt * np.sin(phi), rpt * np.sinh(eta)
    rE = rpt * cosh
    eflow = tracked | ecal | hcal

    out = {}
    f32 = np.float32
    out["EFlowTrack"] = _collection(evt, nev, tracked, {
        "PID": pid, "Charge": q.astype(np.int32),
        "P": (pt_trk * cosh).astype(f32), "PT": pt_trk.astype(f32), "Eta": eta.astype(f32), "Phi": phi.astype(f32),
        "CtgTheta": np.sinh(eta).astype(f32),
        "X": vx.astype(f32), "Y": vy.astype(f32), "Z": vz.astype(f32),
        "D0": np.divide(vx * py - vy * px, pt, out=np.zeros(n), where=pt > 0).astype(f32),
        "DZ": (vz - np.divide((vx * px + vy * py) * pz, pt * pt, out=np.zeros(n), where=pt > 0)).astype(f32),
    })
    for name, m in (("EFlowPhoton", ecal), ("EFlowNeutralHadron", hcal)):
        out[name] = _collection(evt, nev, m, {
            "ET": rpt.astype(f32), "Eta": eta.astype(f32), "Phi": phi.astype(f32), "E": e_cal.astype(f32)})

    # ---- leptons ----
    ev_iso = evt[eflow & (tracked | (rpt > 1.0))]
    iso_cands = ak.unflatten(
        ak.zip({"pt": rpt, "eta": eta, "phi": phi})[eflow & (tracked | (rpt > 1.0))],
        np.bincount(ev_iso, minlength=nev))
    for name, sel, etamax, eff in (
        ("Electron", is_e, ELECTRON_ETA_MAX, np.where(barrel, 0.95, 0.85)),
        ("MuonTight", is_mu, MUON_ETA_MAX, np.where(barrel, 0.95, 0.90)),
    ):
        if name == "Electron":
            res = np.sqrt(0.005**2 + 0.03**2 / esafe)
        else:
            res = res_trk
        lpt = pt * np.maximum(1 + res * g_lep, 0.0)
        m = sel & (aeta < etamax) & (u_lep < eff) & (lpt > LEPTON_PT_MIN)
        lep = _collection(evt, nev, m, {"PT": lpt.astype(f32), "Eta": eta.astype(f32), "Phi": phi.astype(f32),
                                        "Charge": q.astype(np.int32)})
        pairs = ak.cartesian([lep, iso_cands], nested=True)
        lp, c = ak.unzip(pairs)
        dr2 = (lp.Eta - c.eta) ** 2 + _dphi(lp.Phi, c.phi) ** 2
        iso = ak.sum(ak.where((dr2 < ISO_CONE**2) & (dr2 > 1e-8), c.pt, 0.0), axis=2) / lep.PT
        lep = ak.with_field(lep, ak.values_astype(iso, f32), "IsolationVar")
        order = ak.argsort(lep.PT, axis=1, ascending=False)
        out[name] = lep[order]

    # ---- jets: anti-kt R=0.4 on all particle-flow candidates ----
    out["Jet"] = _jets(evt, nev, eflow, rpx, rpy, rpz, rE, events, rng)

    # ---- missing ET: minus the vector sum of all particle-flow candidates ----
    sx = -np.bincount(evt[eflow], weights=rpx[eflow], minlength=nev)
    sy = -np.bincount(evt[eflow], weights=rpy[eflow], minlength=nev)
    sz = -np.bincount(evt[eflow], weights=rpz[eflow], minlength=nev)
    one = np.ones(nev, dtype=np.int64)
    out["MissingET"] = ak.zip({
        "MET": ak.unflatten(np.hypot(sx, sy).astype(f32), one),
        "Eta": ak.unflatten(_eta(sx, sy, sz).astype(f32), one),
        "Phi": ak.unflatten(np.arctan2(sy, sx).astype(f32), one),
    })
    return out


def _jets(evt, nev, eflow, rpx, rpy, rpz, rE, events, rng):
    import fastjet

    counts = np.bincount(evt[eflow], minlength=nev)
    cands = ak.unflatten(ak.zip({"px": rpx[eflow], "py": rpy[eflow], "pz": rpz[eflow], "E": rE[eflow]},
                                with_name="Momentum4D"), counts)
    jdef = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)
    if nev and counts.sum() > 0:
        jets = fastjet.ClusterSequence(cands, jdef).inclusive_jets(min_pt=JET_PT_MIN)
    else:
        jets = ak.Array([[] for _ in range(nev)], with_name="Momentum4D")
    jpx, jpy, jpz, jE = (ak.to_numpy(ak.flatten(jets[k])).astype(np.float64) for k in ("px", "py", "pz", "E"))
    jcount = ak.to_numpy(ak.num(jets))
    jev = np.repeat(np.arange(nev), jcount)
    jpt = np.hypot(jpx, jpy)
    jeta = _eta(jpx, jpy, jpz)
    jphi = np.arctan2(jpy, jpx)
    jm = np.sqrt(np.maximum(jE**2 - jpx**2 - jpy**2 - jpz**2, 0.0))

    # flavour: b if a b hadron (pT > 5 GeV) within dR < 0.4, else c if a c hadron, else light
    hf = np.concatenate([h for _, h in events]) if nev else np.zeros((0, 4))
    hcount = np.array([len(h) for _, h in events], dtype=np.int64)
    hev = np.repeat(np.arange(nev), hcount)
    hpt = np.hypot(hf[:, 1], hf[:, 2])
    keep = hpt > HF_HADRON_PT_MIN
    flav_j = np.zeros(len(jpt), dtype=np.uint32)
    if keep.any() and len(jpt):
        heta, hphi, hfl, hev = _eta(hf[:, 1], hf[:, 2], hf[:, 3])[keep], np.arctan2(hf[:, 2], hf[:, 1])[keep], hf[keep, 0], hev[keep]
        # pairs (jet, hadron) of the same event, via per-event offsets
        jstart = np.concatenate([[0], np.cumsum(jcount)])
        for f in (4, 5):  # b overrides c
            for jh in np.flatnonzero(hfl == f):
                ev = hev[jh]
                s, t = jstart[ev], jstart[ev + 1]
                if s == t:
                    continue
                dr2 = (jeta[s:t] - heta[jh]) ** 2 + _dphi(jphi[s:t], hphi[jh]) ** 2
                flav_j[s:t][dr2 < HF_MATCH_DR**2] = f
    eff = np.select([flav_j == 5, flav_j == 4], [BTAG_EFF[5], BTAG_EFF[4]], BTAG_EFF[0])
    u = rng.random(len(jpt))
    btag = ((u < eff) & (np.abs(jeta) < BTAG_ETA_MAX)).astype(np.uint32)

    # sort by pT, descending, within each event
    order = np.lexsort((-jpt, jev))
    f32 = np.float32
    fields = {"PT": jpt[order].astype(f32), "Eta": jeta[order].astype(f32), "Phi": jphi[order].astype(f32),
              "Mass": jm[order].astype(f32), "Flavor": flav_j[order], "BTag": btag[order]}
    return ak.zip({k: ak.unflatten(v, jcount) for k, v in fields.items()})
