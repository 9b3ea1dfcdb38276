#!/usr/bin/env bash
# What counting quotas in the database costs a cached page view, beside a binary that counts
# them in process memory, in one run: the latest day page (cached HTML) of the demo data, with
# wrk (Debian package `wrk`), for clients from one address, from 1,000 addresses (each comes
# back: its quota is leased in blocks), and from a new address on nearly every request (each
# costs a lease: a database write), sent as X-Forwarded-For (bench/addresses.lua).
#
#   bench/quotas.sh BASELINE_BINARY [PAPERBOY_BINARY]
#                        (default PAPERBOY_BINARY: $CARGO_TARGET_DIR or target, release)
#
# Each binary serves a fresh embedded database with the demo data, with a quota of 3,000 page
# views per 5 minutes per address (one address gets 10^9, so that nothing is refused). Each
# case: wrk -t2 -c64 for PAPERBOY_BENCH_DURATION (10s), the median of PAPERBOY_BENCH_RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."

default_port=18082
source bench/compare-lib.sh "$@"

start() {
    local program="$1" quota="$2"
    rm -rf "$work/data"
    "$program" --data-dir "$work/data" serve --listen "127.0.0.1:$port" --trust-forwarded-for \
        --rate-limit "$quota" 2>"$work/serve.log" &
    server=$!
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null "$base/papers" && break
        sleep 0.5
    done
    wrk -t2 -c64 -d2s "$base/papers" >/dev/null
}

for which in baseline new; do
    program="$baseline"; [[ "$which" == new ]] && program="$binary"
    echo "$which ($program), wrk -t2 -c64 -d$duration, median of $runs runs"
    echo
    echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
    echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
    start "$program" 1000000000/300s
    measure "one address" 64 "$base/papers"
    stop_server
    start "$program" 3000/300s
    export ADDRESSES=1000
    measure "1,000 addresses" 64 -s bench/addresses.lua "$base/papers"
    export ADDRESSES=16777216
    measure "a new address each time" 64 -s bench/addresses.lua "$base/papers"
    stop_server
    echo
done
