-- 2. Trigger emulation: an electron or tight muon with pT > 23 GeV and relative isolation
--    (charged + neutral hadron + photon, cone ΔR < 0.3) below 0.45. The event keeps the leading
--    such lepton (highest pT; SparkDLTrigger compared η here, a porting bug, see README.md).

-- The isolation inputs (tracks pT > 0.5 GeV, neutral hadrons and photons ET > 1 GeV); an event
-- without any of the three is dropped, as at CERN.
CREATE VIEW isolation_maps AS
SELECT label,
       filter(EFlowTrack, t -> t.PT > 0.5) AS tracks,
       filter(EFlowPhoton, g -> g.ET > 1.0) AS photons,
       filter(EFlowNeutralHadron, h -> h.ET > 1.0) AS neutrals,
       Electron, MuonTight, Jet, MissingET[1] AS met
FROM events
WHERE cardinality(filter(EFlowTrack, t -> t.PT > 0.5)) > 0
  AND cardinality(filter(EFlowPhoton, g -> g.ET > 1.0)) > 0
  AND cardinality(filter(EFlowNeutralHadron, h -> h.ET > 1.0)) > 0;

-- Lepton candidates above threshold, electrons first, in one shape.
CREATE VIEW lepton_candidates AS
SELECT *,
       array_concat(
         transform(filter(Electron, e -> e.PT > 23),
                   e -> named_struct('pt', e.PT, 'eta', e.Eta, 'phi', e.Phi, 'charge', e.Charge, 'is_ele', true)),
         transform(filter(MuonTight, m -> m.PT > 23),
                   m -> named_struct('pt', m.PT, 'eta', m.Eta, 'phi', m.Phi, 'charge', m.Charge, 'is_ele', false))
       ) AS candidates
FROM isolation_maps;

-- Each candidate's three isolations (its own track excluded from the charged one), then the
-- isolated ones, then the leading one.
CREATE VIEW triggered AS
SELECT label, tracks, photons, neutrals, Jet, met, lepton
FROM (
  SELECT *,
         array_max_by(
           filter(
             transform(arrays_zip(candidates,
                                  isolation(candidates, tracks, 0.3, true),
                                  isolation(candidates, photons, 0.3),
                                  isolation(candidates, neutrals, 0.3)),
                       z -> named_struct('pt', z['1'].pt, 'eta', z['1'].eta, 'phi', z['1'].phi,
                                         'charge', z['1'].charge, 'is_ele', z['1'].is_ele,
                                         'iso_ch', z['2'], 'iso_gamma', z['3'], 'iso_neu', z['4'])),
             l -> l.iso_ch + l.iso_gamma + l.iso_neu < 0.45),
           l -> l.pt) AS lepton
  FROM lepton_candidates
  WHERE cardinality(candidates) > 0)
WHERE lepton IS NOT NULL;
