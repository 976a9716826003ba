-- GET a page with one session cookie, as a returning visitor's browser would.
-- args: <session id> <path>
local request_text
init = function(args)
  request_text = wrk.format("GET", args[2], { ["Cookie"] = "urna_sid=" .. args[1] })
end
request = function()
  return request_text
end
done = function(summary, latency, requests)
  io.write(string.format("P95_US %d\n", latency:percentile(95.0)))
end
