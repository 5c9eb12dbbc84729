-- (b) good muons: filter + aggregate (with and without finaliser), any_match (= exists),
--     forall, (x, i) filter
SELECT run, luminosityBlock, event,
       cardinality(filter(Muon, m -> m.pt > 10 AND abs(m.eta) < 2.4 AND m.tightId))   AS n_good,
       aggregate(filter(Muon, m -> m.pt > 10 AND abs(m.eta) < 2.4 AND m.tightId),
                 0.0, (acc, m) -> acc + m.pt)                                       AS sum_pt_good,
       aggregate(Muon, 0, (acc, m) -> acc + CASE WHEN m.charge > 0 THEN 1 ELSE 0 END) AS n_pos,
       aggregate(Muon, 0.0, (acc, m) -> acc + m.pt * m.pt, acc -> sqrt(acc))         AS pt_quadsum,
       any_match(Muon, m -> m.pfRelIso03_all < 0.1)                                  AS any_iso,
       forall(Muon, m -> m.tightId)                                                  AS all_tight,
       transform(filter(Muon, (m, i) -> m.tightId AND i > 0), m -> m.pt)             AS tight_pt
FROM events
