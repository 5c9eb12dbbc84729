-- 3. Low-level features: the selected lepton, then up to 450 tracks, 150 photons and 200
--    neutral hadrons, 19 features each, ordered by decreasing ΔR from the lepton (the lepton
--    itself comes last). Only the real particles are stored, with their count: padding to 801
--    rows is the model's business, at training time.
--
-- The 19 features, in SparkDLTrigger's order (all float32):
--   e, px, py, pz            massless four-vector from (pT, η, φ)
--   pt, eta, phi             as measured (ET for photons and neutral hadrons)
--   vtx_x, vtx_y, vtx_z      track production vertex (mm); 0 for the other types
--   iso_ch, iso_gamma, iso_neu   isolations in a cone of 0.3 against the step 2 inputs
--   is_ch_had, is_neu_had, is_gamma, is_ele, is_mu   type (every track is a charged hadron)
--   charge                   the lepton's or track's charge; 0 for neutrals

CREATE VIEW particle_features AS
WITH kept AS (
  SELECT label, lepton, Jet, met, tracks, photons, neutrals,
         -- Collection order, capped; the lepton's own track (ΔR < 1e-4) is not a track here.
         array_truncate(filter(tracks, t -> delta_r(t, lepton) > 1e-4), 450) AS trk,
         -- Photons then neutral hadrons, as one list (their features differ only by type).
         array_concat(
           transform(array_truncate(photons, 150), g -> named_struct('ET', g.ET, 'Eta', g.Eta, 'Phi', g.Phi, 'is_gamma', 1.0)),
           transform(array_truncate(neutrals, 200), h -> named_struct('ET', h.ET, 'Eta', h.Eta, 'Phi', h.Phi, 'is_gamma', 0.0))
         ) AS calo
  FROM triggered)
SELECT label, lepton, Jet, met,
  array_sort_by(
    array_concat(
      [named_struct(
        'e', CAST(lepton.pt * cosh(lepton.eta) AS REAL), 'px', CAST(lepton.pt * cos(lepton.phi) AS REAL),
        'py', CAST(lepton.pt * sin(lepton.phi) AS REAL), 'pz', CAST(lepton.pt * sinh(lepton.eta) AS REAL),
        'pt', CAST(lepton.pt AS REAL), 'eta', CAST(lepton.eta AS REAL), 'phi', CAST(lepton.phi AS REAL),
        'vtx_x', CAST(0 AS REAL), 'vtx_y', CAST(0 AS REAL), 'vtx_z', CAST(0 AS REAL),
        'iso_ch', CAST(lepton.iso_ch AS REAL), 'iso_gamma', CAST(lepton.iso_gamma AS REAL), 'iso_neu', CAST(lepton.iso_neu AS REAL),
        'is_ch_had', CAST(0 AS REAL), 'is_neu_had', CAST(0 AS REAL), 'is_gamma', CAST(0 AS REAL),
        'is_ele', CAST(CASE WHEN lepton.is_ele THEN 1 ELSE 0 END AS REAL),
        'is_mu', CAST(CASE WHEN lepton.is_ele THEN 0 ELSE 1 END AS REAL),
        'charge', CAST(lepton.charge AS REAL))],
      transform(
        arrays_zip(trk, isolation(trk, tracks, 0.3, true), isolation(trk, photons, 0.3), isolation(trk, neutrals, 0.3)),
        z -> named_struct(
          'e', CAST(z['1'].PT * cosh(z['1'].Eta) AS REAL), 'px', CAST(z['1'].PT * cos(z['1'].Phi) AS REAL),
          'py', CAST(z['1'].PT * sin(z['1'].Phi) AS REAL), 'pz', CAST(z['1'].PT * sinh(z['1'].Eta) AS REAL),
          'pt', CAST(z['1'].PT AS REAL), 'eta', CAST(z['1'].Eta AS REAL), 'phi', CAST(z['1'].Phi AS REAL),
          'vtx_x', CAST(z['1'].X AS REAL), 'vtx_y', CAST(z['1'].Y AS REAL), 'vtx_z', CAST(z['1'].Z AS REAL),
          'iso_ch', CAST(z['2'] AS REAL), 'iso_gamma', CAST(z['3'] AS REAL), 'iso_neu', CAST(z['4'] AS REAL),
          'is_ch_had', CAST(1 AS REAL), 'is_neu_had', CAST(0 AS REAL), 'is_gamma', CAST(0 AS REAL),
          'is_ele', CAST(0 AS REAL), 'is_mu', CAST(0 AS REAL), 'charge', CAST(z['1'].Charge AS REAL))),
      transform(
        arrays_zip(calo, isolation(calo, tracks, 0.3), isolation(calo, photons, 0.3), isolation(calo, neutrals, 0.3)),
        z -> named_struct(
          'e', CAST(z['1'].ET * cosh(z['1'].Eta) AS REAL), 'px', CAST(z['1'].ET * cos(z['1'].Phi) AS REAL),
          'py', CAST(z['1'].ET * sin(z['1'].Phi) AS REAL), 'pz', CAST(z['1'].ET * sinh(z['1'].Eta) AS REAL),
          'pt', CAST(z['1'].ET AS REAL), 'eta', CAST(z['1'].Eta AS REAL), 'phi', CAST(z['1'].Phi AS REAL),
          'vtx_x', CAST(0 AS REAL), 'vtx_y', CAST(0 AS REAL), 'vtx_z', CAST(0 AS REAL),
          'iso_ch', CAST(z['2'] AS REAL), 'iso_gamma', CAST(z['3'] AS REAL), 'iso_neu', CAST(z['4'] AS REAL),
          'is_ch_had', CAST(0 AS REAL), 'is_neu_had', CAST(1 - z['1'].is_gamma AS REAL), 'is_gamma', CAST(z['1'].is_gamma AS REAL),
          'is_ele', CAST(0 AS REAL), 'is_mu', CAST(0 AS REAL), 'charge', CAST(0 AS REAL)))),
    p -> delta_r(p, lepton), 'desc') AS particles
FROM kept;
