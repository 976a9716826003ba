-- A resident's whole vote, as a browser does it, over and over on one connection per
-- thread (run with as many threads as connections): the clause, acknowledged; the identity
-- form (an edition confirmed without a code); the choices page and one choice; the review;
-- the cast; the receipt. Each journey is a new person with a new session.
-- args: <edition slug> <run stamp>
local counter = 0
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
  thread:set("journeys", 0)
  thread:set("broken", 0)
end

init = function(args)
  slug = args[1]
  stamp = tonumber(args[2])
  base = "/e/" .. slug .. "/vote"
  step = 1
  cookie = nil
  csrf = nil
  project = nil
  receipt = nil
  journeys = 0
  broken = 0
end

-- names take letters only: a number written in letters (0 -> a, 25 -> z, 26 -> ba, ...)
local function letters(n)
  local out = ""
  repeat
    out = string.char(97 + n % 26) .. out
    n = math.floor(n / 26)
  until n == 0
  return out
end

local function form(path, body)
  return wrk.format("POST", path, {
    ["Cookie"] = "urna_sid=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

local function get(path)
  if cookie then
    return wrk.format("GET", path, { ["Cookie"] = "urna_sid=" .. cookie })
  end
  return wrk.format("GET", path)
end

request = function()
  if step == 1 then
    cookie = nil
    return get(base)
  elseif step == 2 then
    return form(base, "acknowledge=yes&csrf_token=" .. csrf)
  elseif step == 3 then
    return get(base .. "/identity")
  elseif step == 4 then
    counter = counter + 1
    local who = "first_name=Jan&last_name=Bench" .. letters(stamp) .. "x" .. letters(tid)
      .. "x" .. letters(counter)
      .. "&street=ul.+Lipowa&house_number=" .. (counter % 200 + 1)
      .. "&birth_date=1980-01-01&csrf_token=" .. csrf
    return form(base .. "/identity", who)
  elseif step == 5 then
    return get(base .. "/choices")
  elseif step == 6 then
    return form(base .. "/choices", "project=" .. project .. "&csrf_token=" .. csrf)
  elseif step == 7 then
    return get(base .. "/review")
  elseif step == 8 then
    return form(base .. "/cast", "csrf_token=" .. csrf)
  else
    return get(receipt)
  end
end

local last_status = 0
local function restart()
  broken = broken + 1
  if os.getenv("JOURNEY_DEBUG") then
    io.stderr:write(string.format("broken at step %d: status %d\n", step, last_status))
  end
  step = 1
end

local function handle(status, headers, body)
  last_status = status
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local sid = set:match("urna_sid=([^;]+)")
    if sid and sid ~= "" then cookie = sid end
  end
  local token = body:match('name="csrf_token" value="([^"]+)"')
  if token then csrf = token end
  if step == 1 or step == 3 or step == 7 then
    if status ~= 200 then return restart() end
  elseif step == 5 then
    if status ~= 200 then return restart() end
    project = body:match('name="project" value="(%d+)"')
    if not project then return restart() end
  elseif step == 9 then
    if status ~= 200 then return restart() end
    journeys = journeys + 1
    step = 1
    return
  else
    if status ~= 303 then return restart() end
    if step == 8 then
      receipt = headers["Location"] or headers["location"]
    end
  end
  if step == 4 and not (headers["Location"] or headers["location"] or ""):match("/choices$") then
    return restart()
  end
  step = step + 1
end

response = function(status, headers, body)
  handle(status, headers, body)
  wrk.thread:set("journeys", journeys)
  wrk.thread:set("broken", broken)
end

done = function(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("journeys")
    failed = failed + thread:get("broken")
  end
  io.write(string.format("JOURNEYS %d\nBROKEN %d\n", total, failed))
  io.write(string.format("P95_US %d\n", latency:percentile(95.0)))
end
