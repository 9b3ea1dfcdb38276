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

source bench/wrk-lib.sh

signed_in=(-H "Cookie: pb_session=$session" -H "Accept-Encoding: gzip")
anonymous=(-H "Accept-Encoding: gzip")
wrk -t2 -c64 -d3s "${anonymous[@]}" "$base/papers/date/2026-06-02" >/dev/null
wrk -t2 -c64 -d3s "${signed_in[@]}" "$base/papers/2606.00124" >/dev/null

echo "paperboy serve, $(nproc) cores, wrk -t2 -c64 -d$duration, gzip accepted, median of $runs runs"
echo
echo "| case                       | conns |  req/s   | p50 ms  | p99 ms  | errors |"
echo "| -------------------------- | ----- | -------- | ------- | ------- | ------ |"
measure "day page, anonymous" 64 "${anonymous[@]}" "$base/papers/date/2026-06-02"
measure "day page, signed in" 64 "${signed_in[@]}" "$base/papers/date/2026-06-02"
measure "paper page, anonymous" 64 "${anonymous[@]}" "$base/papers/2606.00124"
measure "paper page, signed in" 64 "${signed_in[@]}" "$base/papers/2606.00124"
PAPERBOY_BENCH_TOKEN="$token" measure "vote API (writes)" 64 -s bench/wrk-vote.lua "$base"
echo
echo "upvotes of 2606.00124 after the run: $(curl -sf "$base/api/papers/2606.00124" | grep -o '"upvotes":[0-9]*')"
echo "server peak RSS: $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/$server/status")"
