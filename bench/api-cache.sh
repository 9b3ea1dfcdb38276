#!/usr/bin/env bash
# The JSON API's answers from the page cache, beside a binary without it, in one run: the
# daily feed API (/api/daily_papers?date=, the endpoint bots poll), a paper (/api/papers/ID)
# and the HTML day page, with wrk (Debian package `wrk`), on the 74,728-paper sample without
# demo data.
#
#   bench/api-cache.sh BASELINE_BINARY [PAPERBOY_BINARY]
#                        (default PAPERBOY_BINARY: $CARGO_TARGET_DIR or target, release)
#
# The sample is imported once by the baseline binary; each binary serves its own copy (the
# newer one migrates its copy), alone on the machine, with a rate limit too high to refuse
# anything. Each case: wrk -t2 -c64 for PAPERBOY_BENCH_DURATION (10s), the median of
# PAPERBOY_BENCH_RUNS (3) runs.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline="${1:?give the baseline binary (a build of the commit before)}"
binary="${2:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
port="${PAPERBOY_BENCH_PORT:-18081}"
base="http://127.0.0.1:$port"
day="2026-06-30"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

work="$(mktemp -d)"
server=""
cleanup() { [[ -n "$server" ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
"$baseline" --data-dir "$work/sample" import ../shared/data/arxiv-2025-2026.jsonl.gz >/dev/null 2>&1
paper="$(zcat ../shared/data/arxiv-2025-2026.jsonl.gz | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

source bench/wrk-lib.sh

for which in baseline new; do
    program="$baseline"; [[ "$which" == new ]] && program="$binary"
    rm -rf "$work/serving" && cp -r "$work/sample" "$work/serving"
    "$program" --data-dir "$work/serving" serve --no-demo --listen "127.0.0.1:$port" \
        --rate-limit 1000000000/60s 2>"$work/serve.log" &
    server=$!
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null "$base/api/daily_papers?date=$day" && break
        sleep 0.5
    done
    for uri in "/api/daily_papers?date=$day" "/api/papers/$paper" "/papers/date/$day"; do
        wrk -t2 -c64 -d2s "$base$uri" >/dev/null
    done
    echo "$which ($program), wrk -t2 -c64 -d$duration, median of $runs runs"
    echo
    echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
    echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
    measure "daily papers API" 64 "$base/api/daily_papers?date=$day"
    measure "paper API" 64 "$base/api/papers/$paper"
    measure "day page (HTML)" 64 "$base/papers/date/$day"
    echo
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
