-- 4. High-level features, the 14 of SparkDLTrigger in its order, and the ingestion output:
--    ${out}/events.parquet, one row per selected event (label, 14 HLF, particles).
--
--   ht, n_jets, n_bjets   jets with pT > 30 GeV and |η| < 2.6: Σ pT, count, count with BTag
--   met, met_phi          MissingET (φ absolute, as at CERN)
--   mt                    W transverse mass √(2 MET pT (1 − cos Δφ)) (CERN: without the √)
--   lep_pt, lep_eta, lep_phi, lep_iso_ch, lep_iso_gamma, lep_iso_neu, lep_charge, lep_is_ele

CREATE VIEW event_features AS
WITH jets AS (
  SELECT *, filter(Jet, j -> j.PT > 30 AND abs(j.Eta) < 2.6) AS good_jets FROM particle_features)
SELECT CAST(label AS INT) AS label,
       CAST(coalesce(array_sum(transform(good_jets, j -> CAST(j.PT AS DOUBLE))), 0) AS REAL) AS ht,
       CAST(met.MET AS REAL) AS met,
       CAST(met.Phi AS REAL) AS met_phi,
       CAST(transverse_mass(met.MET, met.Phi, lepton.pt, lepton.phi) AS REAL) AS mt,
       CAST(cardinality(good_jets) AS REAL) AS n_jets,
       CAST(cardinality(filter(good_jets, j -> j.BTag > 0)) AS REAL) AS n_bjets,
       CAST(lepton.pt AS REAL) AS lep_pt,
       CAST(lepton.eta AS REAL) AS lep_eta,
       CAST(lepton.phi AS REAL) AS lep_phi,
       CAST(lepton.iso_ch AS REAL) AS lep_iso_ch,
       CAST(lepton.iso_gamma AS REAL) AS lep_iso_gamma,
       CAST(lepton.iso_neu AS REAL) AS lep_iso_neu,
       CAST(lepton.charge AS REAL) AS lep_charge,
       CAST(CASE WHEN lepton.is_ele THEN 1 ELSE 0 END AS REAL) AS lep_is_ele,
       CAST(cardinality(particles) AS INT) AS n_particles,
       particles
FROM jets;

-- In the order of the input, partition by partition in turn (a batch of each): the same file on
-- every run with the same number of partitions, and no sort of every event's particles to pay.
COPY (SELECT * FROM event_features)
  TO '${out}/events.parquet' STORED AS PARQUET OPTIONS (
    'format.compression' 'snappy', 'format.max_row_group_size' '4096',
    -- Dictionaries only where values repeat (type flags, charge): on the measured floats the
    -- writer's dictionary attempt cost a fifth of the step for nothing.
    'format.dictionary_enabled' 'false',
    'format.dictionary_enabled::particles.list.item.is_ch_had' 'true',
    'format.dictionary_enabled::particles.list.item.is_neu_had' 'true',
    'format.dictionary_enabled::particles.list.item.is_gamma' 'true',
    'format.dictionary_enabled::particles.list.item.is_ele' 'true',
    'format.dictionary_enabled::particles.list.item.is_mu' 'true',
    'format.dictionary_enabled::particles.list.item.charge' 'true');
