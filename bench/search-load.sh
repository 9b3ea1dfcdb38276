#!/usr/bin/env bash
# The search API under load on the 74,728-paper sample (no demo data), beside a baseline binary
# in the same run: GET /api/papers/search, keyword mode, 20 results, the 40 queries of
# bench/search-queries.txt in turn (bench/wrk-search.lua), at 64 and 256 connections, with wrk
# (Debian package `wrk`) on the same two cores as the server. The goal at 256 connections is
# p99 <= 100 ms with no errors.
#
#   bench/search-load.sh BASELINE_BINARY [PAPERBOY_BINARY]
#                        (default PAPERBOY_BINARY: $CARGO_TARGET_DIR or target, release)
#
# Two kinds of load: the 40 queries again and again (popular queries, which a server may answer
# from rankings it kept), and a query never asked before on every request (three words drawn
# from those queries, PAPERBOY_BENCH_UNIQUE=1 in bench/wrk-search.lua), which must be scored.
#
# The sample is imported once by the baseline binary; each binary serves its own copy (the
# newer one migrates its copy), alone on the machine, with a rate limit too high to refuse
# anything. Each case: wrk -t2 for PAPERBOY_BENCH_DURATION (10s), the median of
# PAPERBOY_BENCH_RUNS (3) runs. The binaries take turns, baseline first, PAPERBOY_BENCH_ROUNDS
# (1) times, so that drift of the machine falls on both alike.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline="${1:?give the baseline binary (a build of the commit before)}"
binary="${2:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
rounds="${PAPERBOY_BENCH_ROUNDS:-1}"
port="${PAPERBOY_BENCH_PORT:-18082}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

work="$(mktemp -d)"
server=""
cleanup() { [[ -n "$server" ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
"$baseline" --data-dir "$work/sample" import ../shared/data/arxiv-2025-2026.jsonl.gz >/dev/null 2>&1

source bench/wrk-lib.sh

for round in $(seq 1 "$rounds"); do
    for which in baseline new; do
        program="$baseline"; [[ "$which" == new ]] && program="$binary"
        rm -rf "$work/serving" && cp -r "$work/sample" "$work/serving"
        "$program" --data-dir "$work/serving" serve --no-demo --listen "127.0.0.1:$port" \
            --rate-limit 1000000000/60s 2>"$work/serve.log" &
        server=$!
        for _ in $(seq 1 600); do
            curl -sf "$base/api/papers/search?q=graph&mode=keyword" | grep -q '"id"' && break
            sleep 0.5
        done
        wrk -t2 -c64 -d3s -s bench/wrk-search.lua "$base" >/dev/null
        echo "$which ($program), round $round, wrk -t2 -d$duration, median of $runs runs"
        echo
        echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
        echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
        measure "40 queries, repeated" 64 -s bench/wrk-search.lua "$base"
        measure "40 queries, repeated" 256 -s bench/wrk-search.lua "$base"
        export PAPERBOY_BENCH_UNIQUE=1
        measure "a new query each time" 64 -s bench/wrk-search.lua "$base"
        measure "a new query each time" 256 -s bench/wrk-search.lua "$base"
        unset PAPERBOY_BENCH_UNIQUE
        echo
        echo "server peak RSS: $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/$server/status")"
        echo
        kill "$server"; wait "$server" 2>/dev/null || true; server=""
    done
done
