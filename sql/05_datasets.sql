-- 5. Training and test sets: undersampling to equal classes, an 80/20 split within each class,
--    scaling fitted on the training split only, shuffling; all seeded by ${seed} (default 42)
--    and independent of the number of cores.
--
-- Outputs (Parquet, snappy):
--   train.parquet, test.parquet   label, the 14 HLF min-max scaled to [0, 1] (by the training
--                                 ranges; test values may fall outside), n_particles, particles
--                                 (the 19 features; the 13 continuous ones standardised, the
--                                 type flags and the charge as they are)
--   hlf_scaler.parquet            <feature>_min, <feature>_max of the training split
--   particle_scaler.parquet       <feature>_mean, <feature>_std over all training particles

CREATE EXTERNAL TABLE selected STORED AS PARQUET LOCATION '${out}/events.parquet';

-- Every event's seeded uniform number, from its own values only (the same hash as step 4's order).
CREATE VIEW keyed AS
SELECT *, hash_uniform(${seed:-42}, lep_pt, lep_eta, lep_phi, met, met_phi) AS u FROM selected;

-- A class without events would make undersampling empty everything: stop here, with its name.
SELECT c.class, coalesce(n, 0) AS selected_events,
       assert_true(coalesce(n, 0) > 0, 'class ' || c.class || ' (label ' || c.label || ') has no events after the trigger selection: nothing to train on') IS NULL AS ok
FROM classes c LEFT JOIN (SELECT label, count(*) AS n FROM selected GROUP BY label) s ON c.label = s.label
ORDER BY c.label;

-- Undersampling keeps the n_min events of each class with the smallest u (exactly n_min, unlike
-- a Bernoulli sample); the first 80 % of them are the training split.
CREATE TABLE assignment AS
WITH ranked AS (
  SELECT label, u, row_number() OVER (PARTITION BY label ORDER BY u) AS k FROM keyed),
smallest AS (
  SELECT min(n) AS n_min FROM (SELECT count(*) AS n FROM selected GROUP BY label))
SELECT label, u, CASE WHEN k <= round(0.8 * n_min) THEN 'train' ELSE 'test' END AS part
FROM ranked CROSS JOIN smallest
WHERE k <= n_min;

CREATE VIEW training_events AS
SELECT keyed.* FROM keyed JOIN assignment USING (label, u) WHERE part = 'train';

CREATE TABLE hlf_scaler AS
SELECT min(ht) AS ht_min, max(ht) AS ht_max, min(met) AS met_min, max(met) AS met_max,
       min(met_phi) AS met_phi_min, max(met_phi) AS met_phi_max, min(mt) AS mt_min, max(mt) AS mt_max,
       min(n_jets) AS n_jets_min, max(n_jets) AS n_jets_max, min(n_bjets) AS n_bjets_min, max(n_bjets) AS n_bjets_max,
       min(lep_pt) AS lep_pt_min, max(lep_pt) AS lep_pt_max, min(lep_eta) AS lep_eta_min, max(lep_eta) AS lep_eta_max,
       min(lep_phi) AS lep_phi_min, max(lep_phi) AS lep_phi_max,
       min(lep_iso_ch) AS lep_iso_ch_min, max(lep_iso_ch) AS lep_iso_ch_max,
       min(lep_iso_gamma) AS lep_iso_gamma_min, max(lep_iso_gamma) AS lep_iso_gamma_max,
       min(lep_iso_neu) AS lep_iso_neu_min, max(lep_iso_neu) AS lep_iso_neu_max,
       min(lep_charge) AS lep_charge_min, max(lep_charge) AS lep_charge_max,
       min(lep_is_ele) AS lep_is_ele_min, max(lep_is_ele) AS lep_is_ele_max
FROM training_events;

CREATE TABLE particle_scaler AS
SELECT avg(p['e']) AS e_mean, stddev_pop(p['e']) AS e_std, avg(p['px']) AS px_mean, stddev_pop(p['px']) AS px_std,
       avg(p['py']) AS py_mean, stddev_pop(p['py']) AS py_std, avg(p['pz']) AS pz_mean, stddev_pop(p['pz']) AS pz_std,
       avg(p['pt']) AS pt_mean, stddev_pop(p['pt']) AS pt_std, avg(p['eta']) AS eta_mean, stddev_pop(p['eta']) AS eta_std,
       avg(p['phi']) AS phi_mean, stddev_pop(p['phi']) AS phi_std,
       avg(p['vtx_x']) AS vtx_x_mean, stddev_pop(p['vtx_x']) AS vtx_x_std,
       avg(p['vtx_y']) AS vtx_y_mean, stddev_pop(p['vtx_y']) AS vtx_y_std,
       avg(p['vtx_z']) AS vtx_z_mean, stddev_pop(p['vtx_z']) AS vtx_z_std,
       avg(p['iso_ch']) AS iso_ch_mean, stddev_pop(p['iso_ch']) AS iso_ch_std,
       avg(p['iso_gamma']) AS iso_gamma_mean, stddev_pop(p['iso_gamma']) AS iso_gamma_std,
       avg(p['iso_neu']) AS iso_neu_mean, stddev_pop(p['iso_neu']) AS iso_neu_std
FROM (SELECT unnest(particles) AS p FROM training_events);

-- (x - min) / (max - min), 0 where the training split has one value only; (x - mean) / std
-- likewise. Computed in float64, stored as float32.
CREATE VIEW scaled AS
SELECT a.part, k.label,
  CAST(coalesce((k.ht - s.ht_min) / nullif(s.ht_max - s.ht_min, 0), 0) AS REAL) AS ht,
  CAST(coalesce((k.met - s.met_min) / nullif(s.met_max - s.met_min, 0), 0) AS REAL) AS met,
  CAST(coalesce((k.met_phi - s.met_phi_min) / nullif(s.met_phi_max - s.met_phi_min, 0), 0) AS REAL) AS met_phi,
  CAST(coalesce((k.mt - s.mt_min) / nullif(s.mt_max - s.mt_min, 0), 0) AS REAL) AS mt,
  CAST(coalesce((k.n_jets - s.n_jets_min) / nullif(s.n_jets_max - s.n_jets_min, 0), 0) AS REAL) AS n_jets,
  CAST(coalesce((k.n_bjets - s.n_bjets_min) / nullif(s.n_bjets_max - s.n_bjets_min, 0), 0) AS REAL) AS n_bjets,
  CAST(coalesce((k.lep_pt - s.lep_pt_min) / nullif(s.lep_pt_max - s.lep_pt_min, 0), 0) AS REAL) AS lep_pt,
  CAST(coalesce((k.lep_eta - s.lep_eta_min) / nullif(s.lep_eta_max - s.lep_eta_min, 0), 0) AS REAL) AS lep_eta,
  CAST(coalesce((k.lep_phi - s.lep_phi_min) / nullif(s.lep_phi_max - s.lep_phi_min, 0), 0) AS REAL) AS lep_phi,
  CAST(coalesce((k.lep_iso_ch - s.lep_iso_ch_min) / nullif(s.lep_iso_ch_max - s.lep_iso_ch_min, 0), 0) AS REAL) AS lep_iso_ch,
  CAST(coalesce((k.lep_iso_gamma - s.lep_iso_gamma_min) / nullif(s.lep_iso_gamma_max - s.lep_iso_gamma_min, 0), 0) AS REAL) AS lep_iso_gamma,
  CAST(coalesce((k.lep_iso_neu - s.lep_iso_neu_min) / nullif(s.lep_iso_neu_max - s.lep_iso_neu_min, 0), 0) AS REAL) AS lep_iso_neu,
  CAST(coalesce((k.lep_charge - s.lep_charge_min) / nullif(s.lep_charge_max - s.lep_charge_min, 0), 0) AS REAL) AS lep_charge,
  CAST(coalesce((k.lep_is_ele - s.lep_is_ele_min) / nullif(s.lep_is_ele_max - s.lep_is_ele_min, 0), 0) AS REAL) AS lep_is_ele,
  k.n_particles,
  transform(k.particles, p -> named_struct(
    'e', CAST(coalesce((p.e - q.e_mean) / nullif(q.e_std, 0), 0) AS REAL),
    'px', CAST(coalesce((p.px - q.px_mean) / nullif(q.px_std, 0), 0) AS REAL),
    'py', CAST(coalesce((p.py - q.py_mean) / nullif(q.py_std, 0), 0) AS REAL),
    'pz', CAST(coalesce((p.pz - q.pz_mean) / nullif(q.pz_std, 0), 0) AS REAL),
    'pt', CAST(coalesce((p.pt - q.pt_mean) / nullif(q.pt_std, 0), 0) AS REAL),
    'eta', CAST(coalesce((p.eta - q.eta_mean) / nullif(q.eta_std, 0), 0) AS REAL),
    'phi', CAST(coalesce((p.phi - q.phi_mean) / nullif(q.phi_std, 0), 0) AS REAL),
    'vtx_x', CAST(coalesce((p.vtx_x - q.vtx_x_mean) / nullif(q.vtx_x_std, 0), 0) AS REAL),
    'vtx_y', CAST(coalesce((p.vtx_y - q.vtx_y_mean) / nullif(q.vtx_y_std, 0), 0) AS REAL),
    'vtx_z', CAST(coalesce((p.vtx_z - q.vtx_z_mean) / nullif(q.vtx_z_std, 0), 0) AS REAL),
    'iso_ch', CAST(coalesce((p.iso_ch - q.iso_ch_mean) / nullif(q.iso_ch_std, 0), 0) AS REAL),
    'iso_gamma', CAST(coalesce((p.iso_gamma - q.iso_gamma_mean) / nullif(q.iso_gamma_std, 0), 0) AS REAL),
    'iso_neu', CAST(coalesce((p.iso_neu - q.iso_neu_mean) / nullif(q.iso_neu_std, 0), 0) AS REAL),
    'is_ch_had', p.is_ch_had, 'is_neu_had', p.is_neu_had, 'is_gamma', p.is_gamma,
    'is_ele', p.is_ele, 'is_mu', p.is_mu, 'charge', p.charge)) AS particles,
  -- The order rows are written in: a second seeded hash, so train and test are both shuffled.
  hash_uniform(${seed:-42} + 1, k.u) AS shuffle
FROM keyed k JOIN assignment a USING (label, u) CROSS JOIN hlf_scaler s CROSS JOIN particle_scaler q;

COPY (SELECT * EXCLUDE (part, shuffle) FROM scaled WHERE part = 'train' ORDER BY shuffle)
  TO '${out}/train.parquet' STORED AS PARQUET OPTIONS ('format.compression' 'snappy', 'format.max_row_group_size' '4096');
COPY (SELECT * EXCLUDE (part, shuffle) FROM scaled WHERE part = 'test' ORDER BY shuffle)
  TO '${out}/test.parquet' STORED AS PARQUET OPTIONS ('format.compression' 'snappy', 'format.max_row_group_size' '4096');
COPY hlf_scaler TO '${out}/hlf_scaler.parquet' STORED AS PARQUET;
COPY particle_scaler TO '${out}/particle_scaler.parquet' STORED AS PARQUET;
