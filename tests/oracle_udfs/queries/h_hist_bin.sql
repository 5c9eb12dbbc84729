-- (h) hist_bin + GROUP BY gives the same counts as the histogram aggregate, the flow in
--     groups of its own (-inf, +inf)
SELECT hist_bin(MET.pt, 0, 200, 20) AS bin, count(*) AS n
FROM events
GROUP BY hist_bin(MET.pt, 0, 200, 20)
ORDER BY bin
