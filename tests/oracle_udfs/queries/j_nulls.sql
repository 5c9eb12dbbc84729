-- (j) null handling: k = muon pt where pt > 20, else NULL. Null keys sort last, are
--     ignored by argmin/argmax (all null -> NULL), a null predicate counts as false in
--     filter/array_first; exists is three-valued (Spark): no true but a null -> NULL.
WITH n AS (
    SELECT run, luminosityBlock, event, Muon,
           transform(Muon, m -> CASE WHEN m.pt > 20 THEN m.pt END) AS k
    FROM events)
SELECT run, luminosityBlock, event, k,
       array_argsort(k, 'desc')                                                AS argsort_desc,
       array_argsort(k)                                                        AS argsort_asc,
       transform(array_sort_by(Muon, m -> CASE WHEN m.pt > 20 THEN m.pt END), m -> m.pt) AS sortby_pt,
       array_argmax_by(k, x -> x)                                              AS argmax_null,
       array_argmin_by(k, x -> x)                                              AS argmin_null,
       array_max_by(Muon, m -> CASE WHEN m.pt > 20 THEN m.pt END)['pt']        AS maxby_pt,
       cardinality(filter(Muon, m -> CASE WHEN m.pt > 20 THEN true END))       AS n_filter_null,
       array_any_match(k, x -> x > 30)                                         AS exists_null,
       array_first(Muon, m -> CASE WHEN m.pt > 20 THEN true END)['pt']         AS first_null
FROM n
