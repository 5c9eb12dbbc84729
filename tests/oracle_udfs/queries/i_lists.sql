-- (i) list functions: array_argsort + array_take, constant array_take with negative / 0 /
--     out-of-range indices, cartesian(Muon, Jet) min delta_r, zip_with padding,
--     transform/filter with index, array_first, array_sort comparator, array_pad/_truncate
SELECT run, luminosityBlock, event,
       array_argsort(transform(Muon, m -> m.pt), 'desc')                              AS mu_order,
       transform(array_take(Muon, array_argsort(transform(Muon, m -> m.pt), 'desc')),
                 m -> m.pt)                                                           AS mu_pt_sorted,
       array_take(transform(Jet, j -> j.pt), [1, 3, -1, 0, 10])                       AS jet_take,
       cardinality(cartesian(Muon, Jet))                                              AS n_mu_jet_pairs,
       array_min(transform(cartesian(Muon, Jet), p -> delta_r(p.p1, p.p2)))           AS min_dr_mu_jet,
       array_min_by(cartesian(Muon, Jet), p -> delta_r(p.p1, p.p2))['i1']             AS min_dr_i1,
       array_min_by(cartesian(Muon, Jet), p -> delta_r(p.p1, p.p2))['i2']             AS min_dr_i2,
       zip_with(transform(Muon, m -> m.pt), transform(Jet, j -> j.pt),
                (a, b) -> coalesce(a, 0) + coalesce(b, 0))                            AS zip_pt_sum,
       zip_with(transform(Muon, m -> m.pt), transform(Muon, m -> m.eta),
                (pt, eta) -> pt * cosh(eta))                                          AS mu_p,
       transform(Muon, (m, i) -> i * 100 + m.charge)                                  AS idx_charge,
       cardinality(filter(Jet, (j, i) -> i % 2 = 1))                                  AS odd_jets,
       array_first(Jet, j -> j.btag > 0.5)['pt']                                      AS first_btag_pt,
       array_sort(transform(Jet, j -> j.pt),
                  (a, b) -> CASE WHEN a > b THEN -1 WHEN a < b THEN 1 ELSE 0 END)     AS jet_pt_cmp_sorted,
       array_pad(transform(Jet, j -> j.pt), 4, CAST(-1 AS REAL))                      AS jet_pt_pad4,
       array_truncate(transform(Jet, j -> j.pt), 2)                                   AS jet_pt_trunc2
FROM events
