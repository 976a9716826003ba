-- Appends the p95 latency to any wrk run (wrk --latency prints 50/75/90/99 only).
done = function(summary, latency, requests)
  io.write(string.format("P95_US %d\n", latency:percentile(95.0)))
end
