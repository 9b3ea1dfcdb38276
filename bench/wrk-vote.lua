-- wrk script for bench/community.sh: each connection votes on one paper and takes the vote
-- back, in turn, with the API token in PAPERBOY_BENCH_TOKEN. Every request writes.
local token = os.getenv("PAPERBOY_BENCH_TOKEN")
local path = "/api/papers/2606.00124/vote"
local requests = {}

function init(args)
  requests[1] = wrk.format("POST", path, { ["Authorization"] = "Bearer " .. token })
  requests[2] = wrk.format("DELETE", path, { ["Authorization"] = "Bearer " .. token })
end

local turn = 0
function request()
  turn = turn + 1
  return requests[(turn % 2) + 1]
end
