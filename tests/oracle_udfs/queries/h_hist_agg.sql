-- (h) histogram aggregate: MET pt, leading-muon pt (null for events without muons: skipped),
--     all jet pts (under/overflow counted apart from the bins)
SELECT histogram(MET.pt, 0, 200, 20)                                AS h_met,
       histogram(array_max_by(Muon, m -> m.pt)['pt'], 0, 100, 10)   AS h_lead_mu,
       (SELECT histogram(j.pt, 20, 220, 8)
        FROM (SELECT unnest(Jet) AS j FROM events))                 AS h_jet
FROM events
