-- wrk script: every request pushes one score write (a new change id each time) for the reviewer whose
-- token is in TOKEN; leaves and applicants rotate so writes spread over cells. Set by load.sh:
--   TOKEN, LEAVES (comma-separated points leaves), APPLICANTS (comma-separated)
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

local function split(s)
  local t = {}
  for x in string.gmatch(s, "([^,]+)") do table.insert(t, x) end
  return t
end

function init(args)
  leaves = split(os.getenv("LEAVES"))
  applicants = split(os.getenv("APPLICANTS"))
  token = os.getenv("TOKEN")
  reviewer = os.getenv("REVIEWER")
  math.randomseed(tid * 7919 + os.time())
  prefix = string.format("%08x-%04x", math.random(0, 0x7fffffff), tid)
end

function request()
  counter = counter + 1
  local leaf = leaves[(counter % #leaves) + 1]
  local applicant = applicants[(math.floor(counter / #leaves) % #applicants) + 1]
  local value = (counter % 3) * 0.5
  local body = string.format(
    '{"changes":[{"change_id":"%s-%012d","device":"wrk","kind":"set_points","reviewer":"%s","applicant":"%s","round":"初评","leaf":"%s","value":%.1f,"client_time":"2025-01-01T00:00:00.000Z"}]}',
    prefix, counter, reviewer, applicant, leaf, value)
  return wrk.format("POST", "/v1/panels/LOAD/changes",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"refused"') then
    errors = errors + 1
    if errors < 3 then io.stderr:write("unexpected: " .. status .. " " .. string.sub(body, 1, 300) .. "\n") end
  end
end
