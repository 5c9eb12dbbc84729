-- (c) Z -> mu mu: opposite-charge pairs from combinations(Muon, 2) with 60 <= m <= 120;
--     the pair closest to 91.19 GeV (array_min_by) and its 1-based indices
WITH z AS (
    SELECT run, luminosityBlock, event,
           cardinality(combinations(Muon, 2)) AS n_pairs,
           filter(combinations(Muon, 2),
                  p -> p.p1.charge * p.p2.charge < 0
                       AND invariant_mass(p.p1, p.p2) BETWEEN 60 AND 120) AS zc
    FROM events),
b AS (
    SELECT run, luminosityBlock, event, n_pairs, zc,
           array_min_by(zc, p -> abs(invariant_mass(p.p1, p.p2) - 91.19)) AS best
    FROM z)
SELECT run, luminosityBlock, event, n_pairs,
       cardinality(zc)                                 AS n_z,
       transform(zc, p -> invariant_mass(p.p1, p.p2))  AS z_masses,
       invariant_mass(best.p1, best.p2)                AS best_mass,
       best.i1                                         AS best_i1,
       best.i2                                         AS best_i2
FROM b
