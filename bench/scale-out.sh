#!/usr/bin/env bash
# The scale-out run: a million papers on PostgreSQL, two `paperboy serve` and one `paperboy
# worker` on this machine, each with its own data directory, under a mixed load of readers and
# members (`paperboy bench load`). Reports requests/s, p50 and p99 per kind of request and
# errors; each process's resident memory; how long each server's keyword and vector indexes
# took to take in papers imported during the load; and how long a vote on one server took to
# show on the other.
#
#   bench/scale-out.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# Steps, each timed (a later run with the same COPIES starts at the servers): the catalog
# (python3 bench/scale_sample.py COPIES: 14 copies of the shared sample, 1,046,192 papers) is
# imported into a fresh PostgreSQL database with its keyword index; every paper gets a
# synthetic vector shaped like the model's (`bench synthetic-vectors`: the model would take
# most of a day on two cores, and the copies' texts are the same); the servers embed queries
# and new papers with --hash-embedder (BENCHMARKS.md says what the model's embedding of a query
# adds); the first server builds the vector graph, and the second starts from a copy of the
# first's data directory, as an operator would start one. Members are made with `paperboy user
# add` (one sign-in link each). The servers keep their default quotas and trust
# X-Forwarded-For, in which the load names 1,000 readers' addresses and each member's own.
# Two loads follow: at a reader's pace (each connection waits PAUSE_MS after an answer), with
# 1,000 new papers imported and embedded a third of the way in, each server's /metrics telling
# when its indexes have taken them in; then as fast as the servers answer.
#
# Environment:
#   PAPERBOY_SCALE_COPIES   copies of the sample (14; 1 gives a quick trial on 74,728 papers)
#   PAPERBOY_SCALE_DIR      where the catalog file, the data directories and the logs are kept
#                           (~/.cache/paperboy/scale); an imported database and built indexes
#                           are reused by the next run with the same COPIES
#   PAPERBOY_SCALE_PG       PostgreSQL server (postgres://postgres@127.0.0.1:5432)
#   PAPERBOY_BENCH_SECONDS  how long each of the two loads runs (90)
#   PAPERBOY_BENCH_PAUSE_MS the first load's pause after each answer (250)
#   PAPERBOY_BENCH_CONNECTIONS  load connections (64, 8 of them members)
#   PAPERBOY_SCALE_MEMORY_CAP   run each server in a memory cgroup of this size (e.g. 2G; needs
#                           root and a writable cgroup v1 or v2 memory controller): the page
#                           cache is dropped first, so the index files a server reads are
#                           charged to it, and the kernel keeps heap and cached pages under the
#                           cap together, as a container's limit would
set -euo pipefail
cd "$(dirname "$0")/.."

binary="$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}")"
copies="${PAPERBOY_SCALE_COPIES:-14}"
dir="${PAPERBOY_SCALE_DIR:-$HOME/.cache/paperboy/scale}"
pg="${PAPERBOY_SCALE_PG:-postgres://postgres@127.0.0.1:5432}"
seconds="${PAPERBOY_BENCH_SECONDS:-90}"
pause="${PAPERBOY_BENCH_PAUSE_MS:-250}"
connections="${PAPERBOY_BENCH_CONNECTIONS:-64}"
members=300
cap="${PAPERBOY_SCALE_MEMORY_CAP:-}"
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 1; }

mkdir -p "$dir"
database="paperboy_scale_$copies"
url="$pg/$database"
catalog="$dir/sample-x$copies.jsonl.gz"
run="$dir/run-x$copies"
a="$run/server-a" b="$run/server-b" w="$run/worker"
ports=(18090 18091)
servers=("http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}")
pids=()
groups=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for group in "${groups[@]}"; do rmdir "$group" 2>/dev/null || true; done
}
trap cleanup EXIT

# Seconds since the epoch, with fractions.
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
flags=(--database-url "$url" --hash-embedder)
paperboy() { "$binary" "${flags[@]}" "$@"; }

# The value of an index's lag in a server's /metrics (empty when it does not answer).
lag() { curl -sf "$1/metrics" | awk -v index_name="$2" '$1 == "paperboy_index_lag_papers{index=\"" index_name "\"}" { print $2 }'; }

# Resident memory of a process, now (of it: the heap, and pages of mapped files such as the
# keyword index, which the kernel can drop and read again) and at its peak, in MiB.
rss() {
    awk '/VmRSS/ { now = $2 } /RssAnon/ { anon = $2 } /RssFile/ { files = $2 } /VmHWM/ { peak = $2 }
         END { printf "%.0f MiB now (%.0f heap, %.0f mapped files), %.0f MiB peak", now / 1024, anon / 1024, files / 1024, peak / 1024 }' "/proc/$1/status"
}

# A memory cgroup named $1 capped at $cap (cgroup v2 `memory.max`, else v1
# `memory.limit_in_bytes`); prints its directory.
memory_group() {
    local group
    if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
        group="/sys/fs/cgroup/$1" && mkdir -p "$group" && echo "$cap" >"$group/memory.max"
    else
        group="/sys/fs/cgroup/memory/$1" && mkdir -p "$group" && echo "$cap" >"$group/memory.limit_in_bytes"
    fi || { echo "cannot make a memory cgroup for PAPERBOY_SCALE_MEMORY_CAP=$cap (root and cgroups needed)" >&2; return 1; }
    echo "$group"
}

# The most memory the cgroup $1 has held, in MiB, and how often it reached its cap.
group_peak() {
    local peak fails
    peak=$(cat "$1/memory.peak" 2>/dev/null || cat "$1/memory.max_usage_in_bytes" 2>/dev/null) ||
        { echo "peak unknown (no memory.peak before Linux 5.19)"; return; }
    fails=$(awk '/^max / { print $2 }' "$1/memory.events" 2>/dev/null || cat "$1/memory.failcnt")
    echo "$((peak >> 20)) MiB in its cgroup at peak, at the cap $fails times"
}

# Starts `serve` on data directory $1 and port $2 (inside a capped memory cgroup when
# PAPERBOY_SCALE_MEMORY_CAP is set), and waits until it answers with papers.
serve() {
    local group=""
    if [[ -n "$cap" ]]; then
        group=$(memory_group "paperboy-scale-$2") || exit 1
        groups+=("$group")
    fi
    # The shell joins the cgroup, then becomes the server.
    sh -c 'if [ -n "$0" ]; then echo $$ >"$0/cgroup.procs" || exit 1; fi; exec "$@"' "$group" \
        "$binary" "${flags[@]}" --data-dir "$1" serve --no-demo --listen "127.0.0.1:$2" --base-url "http://127.0.0.1:$2" \
        --trust-forwarded-for 2>>"$1.log" &
    pids+=($!)
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$2/api/daily_papers" | grep -q '"id"' && return
        sleep 1
    done
    tail -20 "$1.log" >&2
    return 1
}

echo "== scale-out: $copies copies of the sample, PostgreSQL $database, $(nproc) cores"
if [[ ! -f "$catalog" ]]; then
    start=$(now)
    python3 bench/scale_sample.py "$copies" "$catalog" >/dev/null
    echo "catalog file written in $(since "$start") s"
fi

if [[ ! -f "$run/ready" ]]; then
    rm -rf "$run" && mkdir -p "$run"
    psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
    start=$(now)
    paperboy --data-dir "$a" import "$catalog" >"$run/import.log" 2>&1
    echo "import with the keyword index: $(since "$start") s ($(grep -o '[0-9]* records in [0-9.]* s' "$run/import.log" | head -1) into the database)"
    start=$(now)
    paperboy bench synthetic-vectors >"$run/embed.log" 2>&1
    echo "synthetic vectors stored: $(since "$start") s"
    start=$(now)
    serve "$a" "${ports[0]}"
    until compgen -G "$a/vectors/*.cursor" >/dev/null; do sleep 5; done
    echo "first server's vector graph built: $(since "$start") s ($(grep -o 'seconds=[0-9]*' "$a.log" | tail -1))"
    cleanup && pids=() && groups=()
    touch "$run/ready"
fi

# Each run starts from the built state: the second server and the worker get copies.
rm -rf "$b" "$w" && cp -r "$a" "$b" && mkdir -p "$w"
if [[ -n "$cap" ]]; then
    # Pages cached by the copy would be charged to this shell, not to the servers that read them.
    sync && echo 1 >/proc/sys/vm/drop_caches
    echo "each server capped at $cap of memory (page cache dropped first)"
fi
serve "$a" "${ports[0]}"
serve "$b" "${ports[1]}"
"$binary" "${flags[@]}" --data-dir "$w" worker 2>>"$w.log" &
pids+=($!)
worker=$!
echo "papers in the database: $(psql -tA "$url" -c 'SELECT count(*) FROM papers')"

# This run's number: its members and new papers are its own.
runs=$(cat "$run/runs" 2>/dev/null || echo 0)
echo $((runs + 1)) >"$run/runs"

# Members, each with a one-time sign-in link.
links="$run/links-$runs"
start=$(now)
for i in $(seq 1 "$members"); do
    paperboy user add "r${runs}m$i@example.org" --name "r${runs}m$i" --base-url "${servers[0]}" 2>/dev/null \
        | grep -o '/links/login?token=.*' || true
done >"$links"
echo "members: $(wc -l <"$links") sign-in links made in $(since "$start") s"

# New papers: the sample's first 1,000 records under ids no copy and no earlier run used (the
# months of 2017, from December back: twelve runs of a database).
fresh="$run/fresh.jsonl"
python3 - "$catalog" "$fresh" "$((12 - runs))" <<'EOF'
import gzip, json, sys
month = int(sys.argv[3])
if month < 1:
    sys.exit("this database has had its twelve runs: remove the run directory to import afresh")
with gzip.open(sys.argv[1], "rt") as lines, open(sys.argv[2], "w") as out:
    for number, line in zip(range(1, 1001), lines):
        record = json.loads(line)
        record["id"] = f"17{month:02d}.{number:05d}"
        out.write(json.dumps(record) + "\n")
EOF

# Two loads: first at a reader's pace (each connection waits PAUSE_MS after an answer), what
# members and readers see when the servers are not saturated, with 1,000 new papers imported
# a third of the way in; then as fast as the servers answer, their capacity.
# Each load signs members in with half of the links (a link works once).
head -n $((members / 2)) "$links" >"$links.paced"
tail -n +$((members / 2 + 1)) "$links" >"$links.saturating"
load() {
    "$binary" bench load "${servers[@]/#/--server=}" --papers "$catalog" --members "$links.$1" \
        --connections "$connections" --seconds "$seconds" --pause-ms "$2" --hybrid >"$run/load-$1.txt"
}
load paced "$pause" &
loading=$!

# A third of the way in, import the new papers, embed them, and watch each server take them in.
sleep $((seconds / 3))
start=$(now)
# Into server A's data directory: A holds its keyword index's writer, so the import leaves the
# indexing to the servers, as a harvest does.
caught=()
# Waits until each server's index $1 has taken in everything, and notes when.
catch_up() {
    for server in "${servers[@]}"; do
        waited=0
        until [[ "$(lag "$server" "$1")" == 0 ]] || ((waited++ > 1500)); do sleep 0.2; done
        caught+=("$server $1: $(since "$start") s (lag now $(lag "$server" "$1"))")
    done
}
paperboy --data-dir "$a" import "$fresh" >/dev/null 2>&1
imported=$(since "$start")
catch_up keyword
paperboy embed >/dev/null 2>&1
embedded=$(since "$start")
catch_up vectors

status=0
wait "$loading" || status=$?
echo
echo "== at a reader's pace: $pause ms after each answer"
cat "$run/load-paced.txt"
echo
echo "1,000 new papers imported ${imported} s and embedded ${embedded} s after the start; caught up (from the start):"
printf '  %s\n' "${caught[@]}"
echo "resident memory: server A $(rss "${pids[0]}"); server B $(rss "${pids[1]}"); worker $(rss "$worker")"

echo
echo "== as fast as the servers answer"
load saturating 0 || status=$?
cat "$run/load-saturating.txt"
echo
echo "resident memory: server A $(rss "${pids[0]}"); server B $(rss "${pids[1]}"); worker $(rss "$worker")"
names=(A B)
for i in "${!groups[@]}"; do echo "server ${names[$i]}: $(group_peak "${groups[$i]}")"; done
exit "$status"
