-- (g) isolation of each muon w.r.t. jets (and muons, excluding itself); per event the
--     1-based index of the most / least isolated muon
SELECT run, luminosityBlock, event,
       transform(Muon, m -> isolation(m, Jet, 0.4))         AS mu_iso_jet,
       transform(Muon, m -> isolation(m, Muon, 0.4, true))  AS mu_iso_mu,
       array_argmin_by(Muon, m -> isolation(m, Jet, 0.4))   AS most_isolated,
       array_argmax_by(Muon, m -> isolation(m, Jet, 0.4))   AS least_isolated
FROM events
