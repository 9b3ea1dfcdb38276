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

default_port=18081
source bench/compare-lib.sh "$@"
day="2026-06-30"
import_sample "$baseline"
paper="$(zcat ../shared/data/arxiv-2025-2026.jsonl.gz | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

for which in baseline new; do
    program="$baseline"; [[ "$which" == new ]] && program="$binary"
    serve_sample "$program" "$base/api/daily_papers?date=$day"
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
    stop_server
done
