-- wrk script: GET /api/papers/search with the benchmark queries in turn (bench/search-queries.txt),
-- keyword mode, 20 results. Each wrk thread walks the list from its own starting point.
--   wrk -s bench/wrk-search.lua http://127.0.0.1:8080
-- PAPERBOY_BENCH_PAUSE_MS=N makes each connection wait N ms after an answer before its next
-- request, like a reader, so that C connections offer at most C * 1000 / N requests a second.
-- PAPERBOY_BENCH_UNIQUE=1 asks a query never asked before instead, nearly always: three words
-- drawn at random from the plain words of the list (about a million combinations), so that no
-- ranking kept from an earlier search can answer it.
local queries = {}
local words = {}
for line in io.lines(os.getenv("PAPERBOY_BENCH_QUERIES") or "bench/search-queries.txt") do
  if line ~= "" and not line:match("^#") then
    table.insert(queries, line)
    if not line:match("[:\"]") then
      for word in line:gmatch("[%a%d%-]+") do
        table.insert(words, word)
      end
    end
  end
end

local function encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local path = "/api/papers/search?mode=keyword&limit=20&q="

-- The requests are built once, so that wrk spends its share of the two cores sending them.
local requests = {}
for i, query in ipairs(queries) do
  requests[i] = wrk.format("GET", path .. encode(query))
end

-- Each thread's Lua state gets its own seed (a table's address differs between states).
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
local next_query = math.random(#requests)
local unique = os.getenv("PAPERBOY_BENCH_UNIQUE") == "1"

request = function()
  if unique then
    local query = words[math.random(#words)] .. " " .. words[math.random(#words)] .. " " .. words[math.random(#words)]
    return wrk.format("GET", path .. encode(query))
  end
  next_query = next_query % #requests + 1
  return requests[next_query]
end

local pause = tonumber(os.getenv("PAPERBOY_BENCH_PAUSE_MS") or "0")

delay = function()
  return pause
end
