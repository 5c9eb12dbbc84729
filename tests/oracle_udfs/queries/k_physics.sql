-- (k) physics helpers: sum_p4 of all jets (events with jets), pt/eta/phi/m <-> px/py/pz/e
--     round trip, invariant_mass of a whole list, scalar delta_r
SELECT run, luminosityBlock, event,
       CASE WHEN cardinality(Jet) > 0 THEN sum_p4(Jet)['pt'] END                     AS ht_p4_pt,
       CASE WHEN cardinality(Jet) > 0 THEN sum_p4(Jet)['eta'] END                    AS ht_p4_eta,
       CASE WHEN cardinality(Jet) > 0 THEN sum_p4(Jet)['phi'] END                    AS ht_p4_phi,
       CASE WHEN cardinality(Jet) > 0 THEN sum_p4(Jet)['mass'] END                   AS ht_p4_mass,
       transform(Jet, j -> pt_eta_phi_m_to_px_py_pz_e(j.pt, j.eta, j.phi, j.mass)['px']) AS jet_px,
       transform(Jet, j -> pt_eta_phi_m_to_px_py_pz_e(j.pt, j.eta, j.phi, j.mass)['e'])  AS jet_e,
       transform(transform(Jet, j -> pt_eta_phi_m_to_px_py_pz_e(j.pt, j.eta, j.phi, j.mass)),
                 c -> px_py_pz_e_to_pt_eta_phi_m(c.px, c.py, c.pz, c.e)['pt'])       AS rt_pt,
       transform(transform(Jet, j -> pt_eta_phi_m_to_px_py_pz_e(j.pt, j.eta, j.phi, j.mass)),
                 c -> px_py_pz_e_to_pt_eta_phi_m(c.px, c.py, c.pz, c.e)['eta'])      AS rt_eta,
       transform(transform(Jet, j -> pt_eta_phi_m_to_px_py_pz_e(j.pt, j.eta, j.phi, j.mass)),
                 c -> px_py_pz_e_to_pt_eta_phi_m(c.px, c.py, c.pz, c.e)['mass'])     AS rt_mass,
       CASE WHEN cardinality(Muon) > 0 THEN invariant_mass(Muon) END                AS mu_inv_mass_all,
       delta_r(Muon[1]['eta'], Muon[1]['phi'], Muon[2]['eta'], Muon[2]['phi'])               AS dr_mu12
FROM events
