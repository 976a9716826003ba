-- POST /e/<slug>/vote/cast with a prepared, confirmed session per request.
-- args: <sessions file> <threads> <path>
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
init = function(args)
  lines = {}
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  step = tonumber(args[2])
  path = args[3]
  index = tid
end
request = function()
  local line = lines[index]
  index = index + step
  if index > #lines then index = tid end
  local sid, csrf = line:match("(%S+) (%S+)")
  return wrk.format("POST", path, {
    ["Cookie"] = "urna_sid=" .. sid,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. csrf)
end
done = function(summary, latency, requests)
  io.write(string.format("P95_US %d\n", latency:percentile(95.0)))
end
