-- (e) ADL benchmark query 6: in events with >= 3 jets, the trijet with mass closest to
--     172.5 GeV: its pt (sum_p4), its mass (both invariant_mass forms), max btag, indices
WITH t AS (
    SELECT run, luminosityBlock, event,
           array_min_by(combinations(Jet, 3),
                        t -> abs(invariant_mass(t.p1, t.p2, t.p3) - 172.5)) AS best
    FROM events
    WHERE cardinality(Jet) >= 3)
SELECT run, luminosityBlock, event,
       sum_p4(make_array(best.p1, best.p2, best.p3))['pt']      AS trijet_pt,
       invariant_mass(best.p1, best.p2, best.p3)                AS trijet_mass,
       invariant_mass(make_array(best.p1, best.p2, best.p3))    AS trijet_mass_list,
       greatest(best.p1.btag, best.p2.btag, best.p3.btag)       AS max_btag,
       best.i1 AS best_i1, best.i2 AS best_i2, best.i3 AS best_i3
FROM t
