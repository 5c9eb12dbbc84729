-- (h) hist_bin + GROUP BY gives the same counts as the histogram aggregate
SELECT hist_bin(MET.pt, 0, 200, 20) AS bin, count(*) AS n
FROM events
GROUP BY hist_bin(MET.pt, 0, 200, 20)
ORDER BY bin
