#!/usr/bin/env bash
# Author pages and profiles at the size of the shared sample (74,728 papers), beside the day page
# in the same run.
#
#   bench/people.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# Imports the sample plus 500 papers by one made-up author ("Ada Benchmark", some written
# "A. Benchmark", which joins her page) into a fresh data directory and serves it. Then:
#   1. render time: each page asked PAPERBOY_BENCH_RENDERS times (default 50) under a new query
#      string, so every answer is rendered (the page cache keys on the whole URI), one at a
#      time; the median and 90th percentile of curl's total time. Cases: the author with 500
#      papers, the sample's most prolific author (Yang Liu, 289), a profile, and the day page.
#   2. cached: wrk on the same pages as readers get them, from the page cache.
#   3. collections and For you: ada (signed in through the link `user add` prints) keeps a public
#      collection of 1,000 papers and saved 20 recent cs.RO papers; render times of the
#      collection's first page (100 papers), its JSON with all 1,000, its BibTeX, and her For
#      you page (the last 14 feed days ranked for her), beside the day page, as in 1.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
renders="${PAPERBOY_BENCH_RENDERS:-50}"
port="${PAPERBOY_BENCH_PORT:-18081}"
sample="${PAPERBOY_BENCH_SAMPLE:-../shared/data/arxiv-2025-2026.jsonl.gz}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }

data="$(mktemp -d)"
log="$data/serve.log"
server=""
cleanup() { [[ -n "$server" ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; rm -rf "$data"; }
trap cleanup EXIT

python3 - "$data/ada.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(500):
        day = f"2025-{1 + i % 9:02d}-{1 + i % 28:02d}"  # inside the sample's span
        name = "A. Benchmark" if i % 10 == 0 else "Ada Benchmark"
        out.write(json.dumps({
            "id": f"2609.{90000 + i:05d}", "title": f"Benchmarks of the analytical engine, part {i}",
            "summary": "We measure how fast an author page renders when one author wrote five hundred papers.",
            "authors": [name, "Charles Babbage"], "categories": ["cs.PF"], "announce_date": day,
        }) + "\n")
PY
"$binary" --data-dir "$data" import "$sample" "$data/ada.jsonl" >/dev/null 2>&1
link="$("$binary" --data-dir "$data" user add ada@example.org --name ada --base-url "$base" | grep -o 'http[^ ]*token=[A-Za-z0-9_-]*')"
"$binary" --data-dir "$data" serve --listen "127.0.0.1:$port" --base-url "$base" --rate-limit 1000000000/60s \
    --no-action-limits 2>"$log" &
server=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.5; done
curl -sf -o /dev/null "$base/healthz" || { cat "$log" >&2; exit 1; }

# The home page is the newest day's page; its canonical address names the day.
day_page="$(curl -sf "$base/" | grep -o '<link rel="canonical" href="[^"]*"' | grep -o '/papers/date/[0-9-]*')"
pages=("/authors/Ada%20Benchmark" "/authors/Yang%20Liu" "/users/ada" "$day_page")
for page in "${pages[@]}"; do
    curl -sf -o /dev/null "$base$page" || { echo "$page does not answer 200" >&2; exit 1; }
done

echo "paperboy serve, $(nproc) cores, the sample and 500 papers by one author"
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
measure "author, 500 papers" 64 "$base/authors/Ada%20Benchmark"
measure "profile" 64 "$base/users/ada"

# Sign ada in, make her a token, and fill her collections through the API.
jar="$data/cookies"
csrf="$(curl -sf -c "$jar" "$link" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
curl -sf -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&token=${link##*token=}" "$base/links/login"
session="$(awk '$6 == "pb_session" { print $7 }' "$jar")"
csrf="$(curl -sf -b "pb_session=$session" "$base/settings" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
token="$(curl -sf -b "pb_session=$session" -d "csrf=$csrf&name=bench" "$base/settings/tokens" | grep -o 'pb_[A-Za-z0-9_-]*' | head -1)"
[[ -n "$token" ]] || { echo "could not sign in and make a token" >&2; cat "$log" >&2; exit 1; }
collection="$(python3 - "$base" "$token" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)
every = call("POST", "/api/collections", {"title": "A thousand papers"})["slug"]
liked = call("POST", "/api/collections", {"title": "Robots", "private": True})["slug"]
papers, robots, page = [], [], 0
while len(papers) < 1000 or len(robots) < 20:
    for item in call("GET", f"/api/daily_papers?limit=100&p={page}"):
        papers.append(item["paper"]["id"])
        if "cs.RO" in item["paper"]["categories"]:
            robots.append(item["paper"]["id"])
    page += 1
for paper in papers[:1000]:
    call("POST", f"/api/collections/{every}/items", {"item": {"id": paper, "type": "paper"}})
for paper in robots[:20]:
    call("POST", f"/api/collections/{liked}/items", {"item": {"id": paper, "type": "paper"}})
print(every)
PY
)"
echo
echo "Collections and For you, rendered, one request at a time, $renders each:"
echo
echo "| page                                   | median ms | p90 ms |"
echo "| -------------------------------------- | --------- | ------ |"
render_case() {
    local name="$1" url="$2"; shift 2
    for i in $(seq 1 "$renders"); do
        curl -sf -o /dev/null -w '%{time_total}\n' "$@" "$url?render=$i"
    done | sort -n | awk -v name="$name" '
        { t[NR] = $1 * 1000 }
        END { printf "| %-38s | %9.2f | %6.2f |\n", name, t[int((NR + 1) / 2)], t[int(NR * 0.9)] }'
}
render_case "day page" "$base$day_page"
render_case "collection, page 1 of 10 (100 papers)" "$base/collections/$collection"
render_case "collection JSON, 1,000 papers" "$base/api/collections/$collection"
render_case "collection BibTeX, 1,000 papers" "$base/collections/$collection.bib"
render_case "For you, 20 saved papers" "$base/papers/for-you" -H "Cookie: pb_session=$session"
