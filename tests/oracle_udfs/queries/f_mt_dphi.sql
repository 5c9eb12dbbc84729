-- (f) transverse mass of the leading muon with MET; delta_phi and its wrapping to [-pi, pi)
WITH l AS (
    SELECT run, luminosityBlock, event, MET, array_max_by(Muon, m -> m.pt) AS mu
    FROM events)
SELECT run, luminosityBlock, event,
       transverse_mass(MET.pt, MET.phi, mu.pt, mu.phi)          AS mt,
       delta_phi(mu.phi, MET.phi)                               AS dphi,
       delta_phi(MET.phi, mu.phi)                               AS dphi_rev,
       delta_phi(mu.phi + 2 * pi(), MET.phi)                    AS dphi_shift,
       delta_phi(CAST(3.0 AS DOUBLE), CAST(-3.0 AS DOUBLE))     AS dphi_c1,
       delta_phi(CAST(-3.0 AS DOUBLE), CAST(3.0 AS DOUBLE))     AS dphi_c2,
       delta_phi(pi(), CAST(0.0 AS DOUBLE))                     AS dphi_pi,
       delta_phi(CAST(0.0 AS DOUBLE), pi())                     AS dphi_mpi,
       delta_phi(CAST(7.0 AS DOUBLE), CAST(0.0 AS DOUBLE))      AS dphi_7
FROM l
