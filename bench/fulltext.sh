#!/usr/bin/env bash
# A paper's full text served: its Markdown (/papers/ID.md) and its reading view (/papers/ID/read),
# rendered and from the page cache, beside the day page and the paper's own page in the same run.
#
#   bench/fulltext.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# Serves the bundled demo data in a fresh data directory, and gives one demo paper the recorded
# arXiv page and a recorded PDF as its content: `paperboy fulltext` fetches them from a local
# HTTP server (python3 -m http.server), never from arXiv. Then:
#   1. render time: each page asked PAPERBOY_BENCH_RENDERS times (default 50) under a new query
#      string, so every answer is rendered, one at a time; median and 90th percentile;
#   2. cached: wrk -t2 -c64 on the same pages as readers get them, median of PAPERBOY_BENCH_RUNS,
#      as they are and gzipped (as browsers and Hugging Face's client ask for them).
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
renders="${PAPERBOY_BENCH_RENDERS:-50}"
port="${PAPERBOY_BENCH_PORT:-18082}"
arxiv_port=$((port + 1))
fixtures="${PAPERBOY_BENCH_FIXTURES:-../shared/fixtures/arxiv-fulltext}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }

data="$(mktemp -d)"
log="$data/serve.log"
server="" arxiv=""
cleanup() {
    for pid in $server $arxiv; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$data"
}
trap cleanup EXIT

"$binary" --data-dir "$data" serve --listen "127.0.0.1:$port" --base-url "$base" --rate-limit 1000000000/60s \
    --no-action-limits 2>"$log" &
server=$!
for _ in $(seq 1 240); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.5; done
curl -sf -o /dev/null "$base/healthz" || { cat "$log" >&2; exit 1; }

day_page="$(curl -sf "$base/" | grep -o '<link rel="canonical" href="[^"]*"' | grep -o '/papers/date/[0-9-]*')"
paper="$(curl -sf "$base$day_page" | grep -o 'href="/papers/[0-9]\{4\}\.[0-9]\{4,5\}"' | head -1 | grep -o '[0-9]\{4\}\.[0-9]*')"
mkdir -p "$data/arxiv/html" "$data/arxiv/pdf"
# Under the bare id and under each version the catalog might name.
for name in "$paper" "${paper}v1" "${paper}v2" "${paper}v3"; do
    cp "$fixtures/html/2501.11120v1.html" "$data/arxiv/html/$name"
    cp "$fixtures/pdf/2304.02623v1.pdf" "$data/arxiv/pdf/$name"
done
python3 -m http.server "$arxiv_port" --bind 127.0.0.1 --directory "$data/arxiv" >/dev/null 2>&1 &
arxiv=$!
sleep 1
"$binary" --data-dir "$data" fulltext --ids "$paper" --delay 0 --arxiv-web-url "http://127.0.0.1:$arxiv_port" >/dev/null
pages=("$day_page" "/papers/$paper" "/papers/$paper.md" "/papers/$paper/read")
for page in "${pages[@]}"; do
    curl -sf -o /dev/null "$base$page" || { echo "$page does not answer 200" >&2; exit 1; }
done

echo "paperboy serve, $(nproc) cores, the demo data; paper $paper has the recorded arXiv page as its full text"
echo
echo "Rendered (not from the cache), one request at a time, $renders each:"
echo
echo "| page                          | median ms | p90 ms |"
echo "| ----------------------------- | --------- | ------ |"
for page in "${pages[@]}"; do
    for i in $(seq 1 "$renders"); do
        curl -sf -o /dev/null -w '%{time_total}\n' "$base$page?render=$i"
    done | sort -n | awk -v page="$page" '
        { t[NR] = $1 * 1000 }
        END { printf "| %-29s | %9.2f | %6.2f |\n", page, t[int((NR + 1) / 2)], t[int(NR * 0.9)] }'
done

source bench/wrk-lib.sh
echo
echo "From the page cache, wrk -t2 -d$duration, median of $runs runs:"
echo
echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
measure "day page" 64 "$base$day_page"
measure "paper page" 64 "$base/papers/$paper"
measure "Markdown (.md)" 64 "$base/papers/$paper.md"
measure "reading view" 64 "$base/papers/$paper/read"
gzip=(-H "Accept-Encoding: gzip")
measure "day page, gzip" 64 "${gzip[@]}" "$base$day_page"
measure "paper page, gzip" 64 "${gzip[@]}" "$base/papers/$paper"
measure "Markdown (.md), gzip" 64 "${gzip[@]}" "$base/papers/$paper.md"
measure "reading view, gzip" 64 "${gzip[@]}" "$base/papers/$paper/read"
