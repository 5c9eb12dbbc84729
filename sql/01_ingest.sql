-- 1. Ingest: the three classes' ROOT files as one table of events, labelled by their source
--    (0 = QCD, 1 = tt̄, 2 = W+jets, SparkDLTrigger's order).
--
-- Variables: ${data} holds one directory per class (qcd/, ttbar/, wjets/) of ROOT files; their
-- tree is ${tree:-Delphes}. Real Delphes files (split TClonesArrays) and the generator's
-- files (NanoAOD-style counter + member branches, grouped by 'root.group_counters') give the
-- same List<Struct<PT, Eta, Phi, ...>> columns, so everything below reads either.

-- An event holds ~100 particles of 19 features: batches of 1024 events (~7 MB of particle
-- structs) keep every step's working set small and let the sorts of steps 4 and 5 spill.
SET datafusion.execution.batch_size = 1024;

CREATE EXTERNAL TABLE qcd_events STORED AS ROOT LOCATION '${data}/qcd/'
  OPTIONS ('root.tree' '${tree:-Delphes}', 'root.group_counters' 'true');
CREATE EXTERNAL TABLE ttbar_events STORED AS ROOT LOCATION '${data}/ttbar/'
  OPTIONS ('root.tree' '${tree:-Delphes}', 'root.group_counters' 'true');
CREATE EXTERNAL TABLE wjets_events STORED AS ROOT LOCATION '${data}/wjets/'
  OPTIONS ('root.tree' '${tree:-Delphes}', 'root.group_counters' 'true');

-- Of each collection, the members the pipeline uses: the branches of the others (a track's
-- PID, P, CtgTheta, D0, DZ; a jet's Phi, Mass, Flavor; ...) are then never read or unzipped.
CREATE VIEW events AS
SELECT label,
       transform(EFlowTrack, t -> named_struct('PT', t.PT, 'Eta', t.Eta, 'Phi', t.Phi, 'Charge', t.Charge,
                                               'X', t.X, 'Y', t.Y, 'Z', t.Z)) AS EFlowTrack,
       transform(EFlowPhoton, g -> named_struct('ET', g.ET, 'Eta', g.Eta, 'Phi', g.Phi)) AS EFlowPhoton,
       transform(EFlowNeutralHadron, h -> named_struct('ET', h.ET, 'Eta', h.Eta, 'Phi', h.Phi)) AS EFlowNeutralHadron,
       transform(Electron, e -> named_struct('PT', e.PT, 'Eta', e.Eta, 'Phi', e.Phi, 'Charge', e.Charge)) AS Electron,
       transform(MuonTight, m -> named_struct('PT', m.PT, 'Eta', m.Eta, 'Phi', m.Phi, 'Charge', m.Charge)) AS MuonTight,
       transform(Jet, j -> named_struct('PT', j.PT, 'Eta', j.Eta, 'BTag', j.BTag)) AS Jet,
       transform(MissingET, m -> named_struct('MET', m.MET, 'Phi', m.Phi)) AS MissingET
FROM (
  SELECT 0 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM qcd_events
  UNION ALL
  SELECT 1 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM ttbar_events
  UNION ALL
  SELECT 2 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM wjets_events);

CREATE VIEW classes AS
  SELECT * FROM (VALUES (0, 'QCD'), (1, 'ttbar'), (2, 'W+jets')) AS c(label, class);
