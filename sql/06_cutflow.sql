-- 6. Cut-flow: events per class after each step, printed and written to ${out}/cutflow.csv.
--   generated       events in the ROOT files
--   isolation_maps  at least one track (pT > 0.5), photon and neutral hadron (ET > 1)
--   lepton_pt23     and an electron or tight muon with pT > 23 GeV
--   triggered       and one of them isolated (the selected events, events.parquet)
--   undersampled    equal classes
--   train, test     the 80/20 split

CREATE TABLE cutflow AS
WITH steps AS (
  SELECT label, count(*) AS generated,
         count(*) FILTER (WHERE maps) AS isolation_maps,
         count(*) FILTER (WHERE maps AND (exists(Electron, e -> e.PT > 23) OR exists(MuonTight, m -> m.PT > 23))) AS lepton_pt23
  FROM (SELECT label, Electron, MuonTight,
               exists(EFlowTrack, t -> t.PT > 0.5) AND exists(EFlowPhoton, g -> g.ET > 1.0)
                 AND exists(EFlowNeutralHadron, h -> h.ET > 1.0) AS maps
        FROM events)
  GROUP BY label),
selected_counts AS (SELECT label, count(*) AS triggered FROM selected GROUP BY label),
split_counts AS (
  SELECT label, count(*) AS undersampled, count(*) FILTER (WHERE part = 'train') AS train,
         count(*) FILTER (WHERE part = 'test') AS test
  FROM assignment GROUP BY label)
SELECT c.class, coalesce(generated, 0) AS generated, coalesce(isolation_maps, 0) AS isolation_maps,
       coalesce(lepton_pt23, 0) AS lepton_pt23, coalesce(triggered, 0) AS triggered,
       coalesce(undersampled, 0) AS undersampled, coalesce(train, 0) AS train, coalesce(test, 0) AS test
FROM classes c
  LEFT JOIN steps ON c.label = steps.label
  LEFT JOIN selected_counts ON c.label = selected_counts.label
  LEFT JOIN split_counts ON c.label = split_counts.label
ORDER BY c.label;

COPY cutflow TO '${out}/cutflow.csv' STORED AS CSV OPTIONS ('format.has_header' 'true');

SELECT * FROM cutflow;
