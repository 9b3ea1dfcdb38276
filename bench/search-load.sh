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

default_port=18082
source bench/compare-lib.sh "$@"
rounds="${PAPERBOY_BENCH_ROUNDS:-1}"
import_sample "$baseline"

for round in $(seq 1 "$rounds"); do
    for which in baseline new; do
        program="$baseline"; [[ "$which" == new ]] && program="$binary"
        serve_sample "$program" "$base/api/papers/search?q=graph&mode=keyword"
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
        stop_server
    done
done
