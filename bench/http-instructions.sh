#!/usr/bin/env bash
# What one request costs `paperboy serve`, in CPU instructions counted by valgrind's callgrind:
# the same count for the same binary and requests however busy the machine is, so two builds
# can be compared within a fraction of a percent where wrk's requests per second vary by 10%.
#
#   bench/http-instructions.sh PAPERBOY_BINARY [BASELINE_BINARY]
#
# Starts each binary under callgrind, with counting off, on a fresh data directory with the
# bundled demo data, waits until its keyword index has the papers and sends every case once to
# warm it up; then counts, case by case, the server's instructions (all its threads) while one
# keep-alive connection sends the case's requests one after another. Prints instructions per
# request, and with a baseline binary (run second) its count and the ratio:
#   /healthz            a handler that does no work: the HTTP stack and the middleware
#   day page            GET /papers/date/2026-06-02 from the page cache
#   paper page          GET /papers/2606.00124 from the page cache
#   search API          GET /api/papers/search, keyword mode, 20 results, the 40 queries of
#                       bench/search-queries.txt five times
# Needs valgrind (callgrind_control) and python3. About a minute per binary.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -ge 1 ]] || { sed -n '2,18p' "$0" >&2; exit 2; }
command -v callgrind_control >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
port="${PAPERBOY_BENCH_PORT:-18082}"
work="$(mktemp -d)"
server=""
cleanup() { [[ -z "$server" ]] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The requests of one case (or of all, "warm") on one keep-alive connection.
send() {
    python3 - "$port" "$1" <<'EOF'
import http.client, sys, urllib.parse
port, case = int(sys.argv[1]), sys.argv[2]
with open("bench/search-queries.txt") as lines:
    queries = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
cases = {
    "healthz": ["/healthz"] * 500,
    "day": ["/papers/date/2026-06-02"] * 500,
    "paper": ["/papers/2606.00124"] * 500,
    "search": [f"/api/papers/search?mode=keyword&limit=20&q={urllib.parse.quote(q)}" for q in queries] * 5,
}
paths = sum(cases.values(), []) if case == "warm" else cases[case]
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
for path in paths:
    connection.request("GET", path)
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"{path}: {answer.status}")
print(len(paths))
EOF
}

# Prints "case instructions-per-request" for each case, for one binary.
count() {
    local binary="$1" name="$2" data="$work/$2"
    [[ -x "$binary" ]] || { echo "no binary at $binary" >&2; exit 1; }
    mkdir -p "$data"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$data/callgrind.out" \
        "$binary" --data-dir "$data/db" serve --listen "127.0.0.1:$port" \
        --rate-limit 1000000000/60s 2>"$data/serve.log" &
    server=$!
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$port/api/papers/search?q=graph&mode=keyword" | grep -q '"id"' && break
        sleep 1
    done
    send warm >/dev/null
    for case in healthz day paper search; do
        callgrind_control -z "$server" >/dev/null 2>&1
        callgrind_control -i on "$server" >/dev/null 2>&1
        local requests
        requests="$(send "$case")"
        callgrind_control -i off "$server" >/dev/null 2>&1
        callgrind_control -d "$case" "$server" >/dev/null 2>&1
        local dump
        dump="$(grep -l "^desc: Trigger: dump $case\$" "$data"/callgrind.out.*)"
        awk -v name="$case" -v n="$requests" '/^totals:/ { printf "%s %.0f\n", name, $2 / n }' "$dump"
    done
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=""
}

count "$1" measured >"$work/measured.txt"
if [[ $# -ge 2 ]]; then
    count "$2" baseline >"$work/baseline.txt"
    echo "instructions per request, paperboy serve under callgrind: $1 beside $2"
    echo
    echo "| case | instructions | baseline | ratio |"
    echo "| --- | --- | --- | --- |"
    paste -d' ' "$work/measured.txt" "$work/baseline.txt" |
        awk '{ printf "| %s | %d | %d | %.3fx |\n", $1, $2, $4, $2 / $4 }'
else
    echo "instructions per request, paperboy serve under callgrind: $1"
    echo
    echo "| case | instructions |"
    echo "| --- | --- |"
    awk '{ printf "| %s | %d |\n", $1, $2 }' "$work/measured.txt"
fi
