"""Independent awkward-array/numpy implementations of the queries in queries/*.sql.

Nothing here calls hepfusion. Every function takes the event record array made by
``load_flat`` (built from the *flat* CMS Parquet file, so it does not even share the
restructured file with the SQL side) and returns ``{column: awkward/numpy array}`` with the
same column names as the SQL query. Rows are events (or histogram rows), keyed by
``run, luminosityBlock, event`` where the query has them.

Type mimicry: the SQL physics functions compute in float64 and return float32 when their
inputs are float32 (spec). Where a query compares or minimises such a result we do the same
(``_f32``) so that selections at a cut boundary agree bit for bit; plain arithmetic on the
float32 inputs is done in float64.
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np

F32, F64 = np.float32, np.float64
KEYS = ["run", "luminosityBlock", "event"]

FIELDS = {
    "Muon": ["pt", "eta", "phi", "mass", "charge", "pfRelIso03_all", "tightId"],
    "Electron": ["pt", "eta", "phi", "mass", "charge", "pfRelIso03_all", "cutBasedId"],
    "Jet": ["pt", "eta", "phi", "mass", "puId", "btag"],
}
MET_FIELDS = ["pt", "phi", "sumet"]


def flat_columns() -> list[str]:
    cols = list(KEYS) + [f"MET_{f}" for f in MET_FIELDS]
    for coll, fields in FIELDS.items():
        cols += [f"{coll}_{f}" for f in fields]
    return cols


def _o64(x):
    """64-bit list offsets (Parquet gives 32-bit; some awkward kernels want 64-bit)."""
    lay = ak.to_layout(x)
    return ak.Array(lay.to_ListOffsetArray64(False)) if hasattr(lay, "to_ListOffsetArray64") else x


def events_from_flat(arr: ak.Array) -> ak.Array:
    """Event records {run, luminosityBlock, event, MET{...}, Muon[...], Electron[...], Jet[...]}."""
    ev = {k: arr[k] for k in KEYS}
    ev["MET"] = ak.zip({f: arr[f"MET_{f}"] for f in MET_FIELDS})
    for coll, fields in FIELDS.items():
        ev[coll] = ak.zip({f: _o64(arr[f"{coll}_{f}"]) for f in fields})
    return ak.zip(ev, depth_limit=1)


def load_flat(path) -> ak.Array:
    return events_from_flat(ak.from_parquet(str(path), columns=flat_columns()))


# ----------------------------------------------------------------------------- physics

def _f64(x):
    return ak.values_astype(x, F64)


def _f32(x):
    return ak.values_astype(x, F32)


def wrap_phi(d):
    """d wrapped to [-pi, pi)."""
    return (d + math.pi) % (2 * math.pi) - math.pi


def delta_phi64(phi1, phi2):
    return wrap_phi(_f64(phi1) - _f64(phi2))


def delta_r64(a, b):
    deta = _f64(a.eta) - _f64(b.eta)
    dphi = delta_phi64(a.phi, b.phi)
    return np.sqrt(deta * deta + dphi * dphi)


def cartesian4(v):
    pt, eta, phi, m = _f64(v.pt), _f64(v.eta), _f64(v.phi), _f64(v.mass)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px * px + py * py + pz * pz + m * m)
    return px, py, pz, e


def mass_of_sum(*vs):
    px = py = pz = e = 0.0
    for v in vs:
        a, b, c, d = cartesian4(v)
        px, py, pz, e = px + a, py + b, pz + c, e + d
    return np.sqrt(np.maximum(e * e - (px * px + py * py + pz * pz), 0.0))


def pt_eta_phi_m_from_cartesian(px, py, pz, e):
    pt = np.hypot(px, py)
    eta = np.arcsinh(pz / pt)
    phi = np.arctan2(py, px)
    mass = np.sqrt(np.maximum(e * e - (px * px + py * py + pz * pz), 0.0))
    return pt, eta, phi, mass


def sum_p4_list(lst):
    """Vector sum over the innermost list of four-vector records."""
    px, py, pz, e = cartesian4(lst)
    with np.errstate(all="ignore"):  # empty list: eta = asinh(0/0)
        return pt_eta_phi_m_from_cartesian(ak.sum(px, axis=-1), ak.sum(py, axis=-1),
                                       ak.sum(pz, axis=-1), ak.sum(e, axis=-1))


def isolation(p, others, cone, exclude_self=False):
    """sum(pt of others within delta_r < cone) / p.pt, per element of p (float32 out)."""
    a, b = ak.unzip(ak.cartesian([p, others], axis=1, nested=True))
    dr = delta_r64(a, b)
    sel = dr < cone
    if exclude_self:
        sel = sel & ~(dr < 1e-4)
    s = ak.sum(ak.where(sel, _f64(b.pt), 0.0), axis=-1)
    return _f32(s / _f64(p.pt))


# ----------------------------------------------------------------------------- list helpers

def _offsets(counts):
    return np.concatenate([[0], np.cumsum(counts)])[:-1]


def argsort_stable(keys, desc=False):
    """0-based stable argsort per event of a jagged array that may hold None; nulls last."""
    counts = ak.to_numpy(ak.num(keys, axis=1))
    flat = ak.flatten(keys, axis=1)
    isnull = ak.to_numpy(ak.is_none(flat, axis=0)).astype(np.int8)
    vals = ak.to_numpy(ak.fill_none(flat, 0)).astype(F64)
    if desc:
        vals = -vals
    ev = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((np.arange(len(vals)), vals, isnull, ev))
    local = order - _offsets(counts)[ev]
    return ak.unflatten(local, counts)


def first_index_of_extreme(keys, which):
    """1-based index of the first min/max key per event (nulls ignored); None if none."""
    idx = (ak.argmin if which == "min" else ak.argmax)(keys, axis=1)
    return idx + 1


def take_1based(lst, idx1):
    """lst[idx1-1] per event (idx1 may be None -> None)."""
    i0 = ak.singletons(idx1 - 1)
    return ak.firsts(lst[i0])


TAKE_IDX = (1, 3, -1, 0, 10)  # i_lists.sql: array_take(jet pts, [1, 3, -1, 0, 10])


def take_const(lst, i):
    """Element at constant 1-based index i per event (negative: from the end; 0 or out of
    range: None)."""
    counts = ak.to_numpy(ak.num(lst, axis=1))
    flat = ak.to_numpy(ak.flatten(lst, axis=1))
    pos = np.full(len(counts), i - 1) if i > 0 else counts + i
    ok = (pos >= 0) & (pos < counts) & (i != 0)
    g = np.where(ok, _offsets(counts) + pos, 0)
    vals = flat[g] if len(flat) else np.zeros(len(counts), flat.dtype)
    return ak.mask(vals, ok)


def pad_each(lst, lengths, fill):
    """Per event: lst padded with fill to lengths[event] (>= its length); float64."""
    counts = ak.to_numpy(ak.num(lst, axis=1))
    flat = ak.to_numpy(ak.flatten(lst, axis=1)).astype(F64)
    lengths = np.asarray(lengths, dtype=np.int64)
    ev = np.repeat(np.arange(len(lengths)), lengths)
    li = np.arange(lengths.sum()) - np.repeat(_offsets(lengths), lengths)
    ok = li < counts[ev]
    g = np.where(ok, _offsets(counts)[ev] + li, 0)
    vals = np.where(ok, flat[g] if len(flat) else 0.0, fill)
    return ak.unflatten(vals, lengths)


def keycols(ev):
    return {k: ev[k] for k in KEYS}


# ----------------------------------------------------------------------------- queries

def good_muon_mask(mu):
    return (mu.pt > 10) & (abs(_f64(mu.eta)) < 2.4) & mu.tightId


def good_electron_mask(el):
    return (el.pt > 10) & (abs(_f64(el.eta)) < 2.5) & el.cutBasedId


def q_leading_muon(ev):
    mu = ev.Muon
    imax = first_index_of_extreme(mu.pt, "max")
    lead = take_1based(mu, imax)
    order_desc = argsort_stable(mu.pt, desc=True)
    order_eta = argsort_stable(mu.eta)
    imin = first_index_of_extreme(mu.pt, "min")
    return {**keycols(ev),
            "lead_pt": lead.pt, "lead_eta": lead.eta, "lead_idx": imax,
            "sorted_lead_pt": ak.firsts(mu.pt[order_desc]),
            "eta_by_pt_desc": mu.eta[order_desc],
            "eta_sorted_asc": mu.eta[order_eta],
            "min_pt": take_1based(mu, imin).pt}


def q_good_muons(ev):
    mu = ev.Muon
    good = mu[good_muon_mask(mu)]
    pt2 = _f64(mu.pt * mu.pt)  # float32 product, float64 accumulator (as in the SQL)
    return {**keycols(ev),
            "n_good": ak.num(good, axis=1),
            "sum_pt_good": ak.sum(_f64(good.pt), axis=1),
            "n_pos": ak.sum(mu.charge > 0, axis=1),
            "pt_quadsum": np.sqrt(ak.sum(pt2, axis=1)),
            "any_iso": ak.any(mu.pfRelIso03_all < 0.1, axis=1),
            "all_tight": ak.all(mu.tightId, axis=1),
            "tight_pt": mu[mu.tightId].pt}


def q_zpeak(ev):
    mu = ev.Muon
    pairs = ak.combinations(mu, 2)
    idx = ak.argcombinations(mu, 2)
    m = _f32(mass_of_sum(pairs["0"], pairs["1"]))
    m64 = _f64(m)
    sel = (pairs["0"].charge * pairs["1"].charge < 0) & (m64 >= 60) & (m64 <= 120)
    zc, zm, zi = pairs[sel], m[sel], idx[sel]
    best = first_index_of_extreme(abs(_f64(zm) - 91.19), "min")
    bi = take_1based(zi, best)
    return {**keycols(ev),
            "n_pairs": ak.num(pairs, axis=1),
            "n_z": ak.num(zc, axis=1),
            "z_masses": zm,
            "best_mass": take_1based(zm, best),
            "best_i1": bi["0"] + 1, "best_i2": bi["1"] + 1}


def q_clean_jets(ev):
    mu, el, jet = ev.Muon, ev.Electron, ev.Jet
    gm, ge = mu[good_muon_mask(mu)], el[good_electron_mask(el)]
    lep = ak.concatenate([ak.zip({"eta": gm.eta, "phi": gm.phi}),
                          ak.zip({"eta": ge.eta, "phi": ge.phi})], axis=1)
    j, l = ak.unzip(ak.cartesian([jet, lep], axis=1, nested=True))
    near = ak.any(_f64(_f32(delta_r64(j, l))) < 0.4, axis=-1)
    cj = jet[(jet.pt > 30) & ~near]
    return {**keycols(ev),
            "n_leptons": ak.num(lep, axis=1),
            "n_jets": ak.num(cj, axis=1),
            "ht": ak.sum(_f64(cj.pt), axis=1),
            "jet_pt": cj.pt}


def q_trijet(ev):
    ev = ev[ak.num(ev.Jet, axis=1) >= 3]
    jet = ev.Jet
    tri = ak.combinations(jet, 3)
    idx = ak.argcombinations(jet, 3)
    m = _f32(mass_of_sum(tri["0"], tri["1"], tri["2"]))
    best = first_index_of_extreme(abs(_f64(m) - 172.5), "min")
    bt = take_1based(tri, best)
    bi = take_1based(idx, best)
    px = py = pz = e = 0.0
    for k in "012":
        a, b, c, d = cartesian4(bt[k])
        px, py, pz, e = px + a, py + b, pz + c, e + d
    pt, _, _, mass = pt_eta_phi_m_from_cartesian(px, py, pz, e)
    return {**keycols(ev),
            "trijet_pt": _f32(pt),
            "trijet_mass": take_1based(m, best),
            "trijet_mass_list": _f32(mass),
            "max_btag": np.maximum(np.maximum(bt["0"].btag, bt["1"].btag), bt["2"].btag),
            "best_i1": bi["0"] + 1, "best_i2": bi["1"] + 1, "best_i3": bi["2"] + 1}


def q_mt_dphi(ev):
    mu, met = ev.Muon, ev.MET
    lead = take_1based(mu, first_index_of_extreme(mu.pt, "max"))
    met_pt, met_phi = _f64(met.pt), _f64(met.phi)
    pt, phi = _f64(lead.pt), _f64(lead.phi)
    mt = np.sqrt(2 * pt * met_pt * (1 - np.cos(phi - met_phi)))
    n = len(ev)
    return {**keycols(ev),
            "mt": _f32(mt),
            "dphi": _f32(wrap_phi(phi - met_phi)),
            "dphi_rev": _f32(wrap_phi(met_phi - phi)),
            "dphi_shift": wrap_phi((phi + 2 * math.pi) - met_phi),
            "dphi_c1": np.full(n, wrap_phi(3.0 - (-3.0))),
            "dphi_c2": np.full(n, wrap_phi(-3.0 - 3.0)),
            "dphi_pi": np.full(n, -math.pi),
            "dphi_mpi": np.full(n, -math.pi),
            "dphi_7": np.full(n, wrap_phi(7.0 - 0.0))}


def q_isolation(ev):
    mu, jet = ev.Muon, ev.Jet
    iso = isolation(mu, jet, 0.4)
    return {**keycols(ev),
            "mu_iso_jet": iso,
            "mu_iso_mu": isolation(mu, mu, 0.4, exclude_self=True),
            "most_isolated": first_index_of_extreme(iso, "min"),
            "least_isolated": first_index_of_extreme(iso, "max")}


def _hist_counts(x, lo, hi, nbins):
    """Counts in [lo, hi) and the flow apart, as ROOT's TH1 and boost-histogram keep it."""
    x = np.asarray(x, dtype=F64)
    x = x[~np.isnan(x)]
    counts, edges = np.histogram(x[(x >= lo) & (x < hi)], bins=nbins, range=(lo, hi))
    return edges, counts, int(np.sum(x < lo)), int(np.sum(x >= hi))


def _hist(x, lo, hi, nbins):
    edges, counts, under, over = _hist_counts(x, lo, hi, nbins)
    return [{"edges": edges.tolist(), "counts": counts.tolist(), "underflow": under, "overflow": over}]


def q_hist_agg(ev):
    lead = take_1based(ev.Muon, first_index_of_extreme(ev.Muon.pt, "max"))
    return {"h_met": _hist(ak.to_numpy(ev.MET.pt), 0, 200, 20),
            "h_lead_mu": _hist(ak.to_numpy(ak.drop_none(lead.pt)), 0, 100, 10),
            "h_jet": _hist(ak.to_numpy(ak.flatten(ev.Jet.pt)), 20, 220, 8)}


def q_hist_bin(ev):
    lo, hi, nb = 0.0, 200.0, 20
    edges, counts, under, over = _hist_counts(ak.to_numpy(ev.MET.pt), lo, hi, nb)
    centres = np.concatenate([[-np.inf], (edges[:-1] + edges[1:]) / 2, [np.inf]])
    n = np.concatenate([[under], counts, [over]])
    keep = n > 0
    return {"bin": centres[keep], "n": n[keep]}


def q_lists(ev):
    mu, jet = ev.Muon, ev.Jet
    order = argsort_stable(mu.pt, desc=True)
    jpt = jet.pt
    n = ak.num(jpt, axis=1)
    jet_take = ak.concatenate([take_const(jpt, i)[:, np.newaxis] for i in TAKE_IDX], axis=1)
    m, j = ak.unzip(ak.cartesian([mu, jet], axis=1))
    im, ij = ak.unzip(ak.argcartesian([mu, jet], axis=1))
    dr = _f32(delta_r64(m, j))
    best = first_index_of_extreme(dr, "min")
    # zip_with(Muon pts, Jet pts, coalesce(a, 0) + coalesce(b, 0)): shorter padded with nulls
    nm = ak.to_numpy(ak.num(mu, axis=1))
    nj = ak.to_numpy(n)
    nmax = np.maximum(nm, nj)
    zsum = pad_each(mu.pt, nmax, 0.0) + pad_each(jpt, nmax, 0.0)
    lidx = ak.local_index(mu, axis=1) + 1
    pad = _f32(pad_each(jpt, np.maximum(nj, 4), -1.0))
    sort_cmp = jpt[argsort_stable(jpt, desc=True)]
    btagged = jet[jet.btag > 0.5]
    return {**keycols(ev),
            "mu_order": order + 1,
            "mu_pt_sorted": mu.pt[order],
            "jet_take": jet_take,
            "n_mu_jet_pairs": ak.num(m, axis=1),
            "min_dr_mu_jet": take_1based(dr, best),
            "min_dr_i1": take_1based(im, best) + 1,
            "min_dr_i2": take_1based(ij, best) + 1,
            "zip_pt_sum": zsum,
            "mu_p": _f64(mu.pt) * np.cosh(_f64(mu.eta)),
            "idx_charge": lidx * 100 + mu.charge,
            "odd_jets": ak.num(jet[ak.local_index(jet, axis=1) % 2 == 0], axis=1),
            "first_btag_pt": ak.firsts(btagged.pt),
            "jet_pt_cmp_sorted": sort_cmp,
            "jet_pt_pad4": pad,
            "jet_pt_trunc2": jpt[:, :2]}


def exists3(pred):
    """Spark's three-valued exists per list: true if any is true, else null if any is null."""
    any_true = ak.any(ak.fill_none(pred, False), axis=1)
    any_null = ak.any(ak.is_none(pred, axis=1), axis=1)
    return ak.mask(any_true, any_true | ~any_null)


def q_nulls(ev):
    mu = ev.Muon
    k = ak.mask(mu.pt, mu.pt > 20)  # null where pt <= 20
    order_desc = argsort_stable(k, desc=True)
    order_asc = argsort_stable(k)
    hi_pt = mu[~ak.is_none(k, axis=1)]
    return {**keycols(ev),
            "k": k,
            "argsort_desc": order_desc + 1,
            "argsort_asc": order_asc + 1,
            "sortby_pt": mu.pt[order_asc],
            "argmax_null": first_index_of_extreme(k, "max"),
            "argmin_null": first_index_of_extreme(k, "min"),
            "maxby_pt": take_1based(mu, first_index_of_extreme(k, "max")).pt,
            "n_filter_null": ak.num(hi_pt, axis=1),
            # Spark's three-valued exists: true if any is true, else null if any is null.
            "exists_null": exists3(k > 30),
            "first_null": ak.firsts(hi_pt.pt)}


def q_physics(ev):
    jet, mu = ev.Jet, ev.Muon
    has = ak.num(jet, axis=1) > 0
    pt, eta, phi, mass = sum_p4_list(jet)  # empty lists give NaN eta: masked below
    px, py, pz, e = cartesian4(jet)
    # the SQL round trip goes through a float32 Struct<px, py, pz, e>
    rpt, reta, rphi, rmass = pt_eta_phi_m_from_cartesian(*(_f64(_f32(c)) for c in (px, py, pz, e)))
    m0, m1 = ak.firsts(mu[:, :1]), ak.firsts(mu[:, 1:2])
    dr_scalar = _f32(delta_r64(m0, m1))
    return {**keycols(ev),
            "ht_p4_pt": ak.mask(_f32(pt), has),
            "ht_p4_eta": ak.mask(_f32(eta), has),
            "ht_p4_phi": ak.mask(_f32(phi), has),
            "ht_p4_mass": ak.mask(_f32(mass), has),
            "jet_px": _f32(px), "jet_e": _f32(e),
            "rt_pt": _f32(rpt), "rt_eta": _f32(reta), "rt_mass": _f32(rmass),
            "mu_inv_mass_all": ak.mask(_f32(mass_of_sum_list(mu)), ak.num(mu, axis=1) > 0),
            "dr_mu12": dr_scalar}


def mass_of_sum_list(lst):
    return sum_p4_list(lst)[3]


# name -> (function, sort key columns or None)
QUERIES = {
    "a_leading_muon": (q_leading_muon, KEYS),
    "b_good_muons": (q_good_muons, KEYS),
    "c_zpeak": (q_zpeak, KEYS),
    "d_clean_jets": (q_clean_jets, KEYS),
    "e_trijet": (q_trijet, KEYS),
    "f_mt_dphi": (q_mt_dphi, KEYS),
    "g_isolation": (q_isolation, KEYS),
    "h_hist_agg": (q_hist_agg, None),
    "h_hist_bin": (q_hist_bin, ["bin"]),
    "i_lists": (q_lists, KEYS),
    "j_nulls": (q_nulls, KEYS),
    "k_physics": (q_physics, KEYS),
}


def to_rows(cols: dict, sort_keys) -> list[dict]:
    """Column dict -> list of row dicts (plain Python values), sorted by sort_keys."""
    py = {k: (ak.to_list(v) if not isinstance(v, list) else v) for k, v in cols.items()}
    n = {len(v) for v in py.values()}
    assert len(n) == 1, f"columns of different lengths: { {k: len(v) for k, v in py.items()} }"
    rows = [dict(zip(py, vals)) for vals in zip(*py.values())]
    if sort_keys:
        rows.sort(key=lambda r: tuple(r[k] for k in sort_keys))
    return rows
