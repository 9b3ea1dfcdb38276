#!/usr/bin/env bash
# What being signed in and voting cost `paperboy serve`, measured with wrk on this machine.
#
# Starts the release binary on a fresh data directory with the bundled demo data and its demo
# community, signs a user in through an emailed link (printed by `paperboy user add`), makes
# an API token on the settings page, then runs wrk three times per case at 64 connections and
# prints medians. Baselines in the same run: the same pages for a reader who is not signed in.
#
#   bench/community.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# Cases:
#   day page, anonymous     GET /papers/date/2026-06-02 from the page cache
#   day page, signed in     the same cached page with the reader's account corner put in
#   paper page, anonymous   GET /papers/2606.00124 from the page cache
#   paper page, signed in   rendered for the reader (their vote, the forms' token)
#   vote API                POST and DELETE /api/papers/2606.00124/vote in turn, with the
#                           token: every request a write transaction (bench/wrk-vote.lua)
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
port="${PAPERBOY_BENCH_PORT:-18081}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }

data="$(mktemp -d)"
log="$data/serve.log"
jar="$data/cookies"
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"; }
"$binary" --data-dir "$data" serve --listen "127.0.0.1:$port" --base-url "$base" \
    --rate-limit off --no-action-limits 2>"$log" &
server=$!
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$base/papers/2606.00124" && break
    sleep 0.5
done

# Sign in through the link `user add` prints, and make a token on the settings page.
link="$("$binary" --data-dir "$data" user add bench@example.org --name bench --base-url "$base" | grep -o 'http[^ ]*token=[A-Za-z0-9_-]*')"
csrf="$(curl -sf -c "$jar" "$link" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
curl -sf -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&token=${link##*token=}" "$base/links/login"
session="$(awk '$6 == "pb_session" { print $7 }' "$jar")"
[[ -n "$session" ]] || { echo "could not sign in" >&2; cat "$log" >&2; exit 1; }
csrf="$(curl -sf -b "pb_session=$session" "$base/settings" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
token="$(curl -sf -b "pb_session=$session" -d "csrf=$csrf&name=bench" "$base/settings/tokens" | grep -o 'pb_[A-Za-z0-9_-]*' | head -1)"
[[ -n "$token" ]] || { echo "could not make a token" >&2; exit 1; }

summarise() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors }'
}

measure() {
    local name="$1"; shift
    local results=()
    for _ in $(seq 1 "$runs"); do
        results+=("$(wrk -t2 -c64 -d"$duration" --latency "$@" | summarise)")
    done
    printf '%s\n' "${results[@]}" | sort -n -k1 | awk -v name="$name" -v n="$runs" '
        { rps[NR] = $1; p50[NR] = $2; p99[NR] = $3; errors += $4 }
        END {
            m = int((n + 1) / 2)
            printf "| %-24s | %8.0f | %7.2f | %7.2f | %6d |\n", name, rps[m], p50[m], p99[m], errors
        }'
}

signed_in=(-H "Cookie: pb_session=$session" -H "Accept-Encoding: gzip")
anonymous=(-H "Accept-Encoding: gzip")
wrk -t2 -c64 -d3s "${anonymous[@]}" "$base/papers/date/2026-06-02" >/dev/null
wrk -t2 -c64 -d3s "${signed_in[@]}" "$base/papers/2606.00124" >/dev/null

echo "paperboy serve, $(nproc) cores, wrk -t2 -c64 -d$duration, gzip accepted, median of $runs runs"
echo
echo "| case                     |  req/s   | p50 ms  | p99 ms  | errors |"
echo "| ------------------------ | -------- | ------- | ------- | ------ |"
measure "day page, anonymous" "${anonymous[@]}" "$base/papers/date/2026-06-02"
measure "day page, signed in" "${signed_in[@]}" "$base/papers/date/2026-06-02"
measure "paper page, anonymous" "${anonymous[@]}" "$base/papers/2606.00124"
measure "paper page, signed in" "${signed_in[@]}" "$base/papers/2606.00124"
PAPERBOY_BENCH_TOKEN="$token" measure "vote API (writes)" -s bench/wrk-vote.lua "$base"
echo
echo "upvotes of 2606.00124 after the run: $(curl -sf "$base/api/papers/2606.00124" | grep -o '"upvotes":[0-9]*')"
echo "server peak RSS: $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/$server/status")"
