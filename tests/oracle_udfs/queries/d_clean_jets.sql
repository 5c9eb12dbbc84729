-- (d) jets with pt > 30 and no good muon/electron within delta_r < 0.4 (nested lambda
--     capturing the outer lambda's variable and an outer column), their count and HT
WITH s AS (
    SELECT run, luminosityBlock, event, Jet,
           array_concat_struct(
               filter(Muon, m -> m.pt > 10 AND abs(m.eta) < 2.4 AND m.tightId),
               filter(Electron, e -> e.pt > 10 AND abs(e.eta) < 2.5 AND e.cutBasedId)) AS leptons
    FROM events),
c AS (
    SELECT run, luminosityBlock, event, leptons,
           filter(Jet, j -> j.pt > 30 AND NOT exists(leptons, l -> delta_r(j, l) < 0.4)) AS cj
    FROM s)
SELECT run, luminosityBlock, event,
       cardinality(leptons)                       AS n_leptons,
       cardinality(cj)                            AS n_jets,
       aggregate(cj, 0.0, (acc, j) -> acc + j.pt) AS ht,
       transform(cj, j -> j.pt)                   AS jet_pt
FROM c
