#!/usr/bin/env bash
# HTTP speed of `paperboy serve`, measured with wrk (Debian package `wrk`) on this machine.
#
# Starts the release binary on a fresh data directory with the bundled demo data (3,841
# papers), waits until its keyword index has them, then runs wrk three times per case and
# prints the median requests per second and latencies, beside a baseline measured in the same
# run: /healthz, a handler that does no work, which is what the HTTP stack itself costs here.
#
#   bench/http.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# The server runs with its request log on (written to a file) and a rate limit too high to
# refuse anything, so the limiter's bookkeeping is measured too. Cases:
#   day page        GET /papers/date/2026-06-02 (50 cards, from the page cache)
#   search API      GET /api/papers/search, keyword mode, 20 results, the 40 queries of
#                   bench/search-queries.txt in turn (bench/wrk-search.lua)
# each at 64 connections, and again at 256 for the tail latency; and the search API with 256
# connections that each pause 256 ms after an answer, like readers, offering at most about
# 1,000 searches a second in all (PAPERBOY_BENCH_PAUSE_MS, read by bench/wrk-search.lua).
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
port="${PAPERBOY_BENCH_PORT:-18080}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }

data="$(mktemp -d)"
log="$data/serve.log"
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"; }
"$binary" --data-dir "$data" serve --listen "127.0.0.1:$port" --rate-limit 1000000000/60s 2>"$log" &
server=$!
trap cleanup EXIT
for _ in $(seq 1 300); do
    if curl -sf "$base/api/papers/search?q=graph&mode=keyword" | grep -q '"id"'; then break; fi
    sleep 0.5
done
curl -sf "$base/api/papers/search?q=graph&mode=keyword" | grep -q '"id"' || { cat "$log" >&2; exit 1; }

source bench/wrk-lib.sh

curl -sf -o /dev/null "$base/papers/date/2026-06-02"
wrk -t2 -c64 -d3s "$base/papers/date/2026-06-02" >/dev/null
wrk -t2 -c64 -d3s -s bench/wrk-search.lua "$base" >/dev/null

echo "paperboy serve, $(nproc) cores, wrk -t2 -d$duration, median of $runs runs"
echo
echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
measure "baseline: /healthz" 64 "$base/healthz"
measure "day page" 64 "$base/papers/date/2026-06-02"
measure "search API (keyword)" 64 -s bench/wrk-search.lua "$base"
measure "baseline: /healthz" 256 "$base/healthz"
measure "day page" 256 "$base/papers/date/2026-06-02"
measure "search API (keyword)" 256 -s bench/wrk-search.lua "$base"
export PAPERBOY_BENCH_PAUSE_MS=256
measure "search API, 256 ms pauses" 256 -s bench/wrk-search.lua "$base"
unset PAPERBOY_BENCH_PAUSE_MS
echo
echo "server peak RSS: $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/$server/status")"
