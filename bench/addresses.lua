-- wrk script for bench/quotas.sh: each request comes from one of ADDRESSES client addresses
-- (sent as X-Forwarded-For to a server run with --trust-forwarded-for), drawn at random.
local addresses = tonumber(os.getenv("ADDRESSES") or "1000")

request = function()
    local n = math.random(0, addresses - 1)
    local address = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    return wrk.format(nil, nil, { ["X-Forwarded-For"] = address })
end
