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

CREATE VIEW events AS
  SELECT 0 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM qcd_events
  UNION ALL
  SELECT 1 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM ttbar_events
  UNION ALL
  SELECT 2 AS label, EFlowTrack, EFlowPhoton, EFlowNeutralHadron, Electron, MuonTight, Jet, MissingET FROM wjets_events;

CREATE VIEW classes AS
  SELECT * FROM (VALUES (0, 'QCD'), (1, 'ttbar'), (2, 'W+jets')) AS c(label, class);
