-- (a) leading muon: array_max_by / array_argmax_by / array_sort_by / array_min_by
SELECT run, luminosityBlock, event,
       array_max_by(Muon, m -> m.pt)['pt']                              AS lead_pt,
       array_max_by(Muon, m -> m.pt)['eta']                             AS lead_eta,
       array_argmax_by(Muon, m -> m.pt)                                 AS lead_idx,
       array_sort_by(Muon, m -> m.pt, 'desc')[1]['pt']                  AS sorted_lead_pt,
       transform(array_sort_by(Muon, m -> m.pt, 'desc'), m -> m.eta)    AS eta_by_pt_desc,
       transform(array_sort_by(Muon, m -> m.eta), m -> m.eta)           AS eta_sorted_asc,
       array_min_by(Muon, m -> m.pt)['pt']                              AS min_pt
FROM events
