# Shared by the benchmarks that compare a baseline binary with a new one in one run
# (bench/api-cache.sh, bench/quotas.sh, bench/search-load.sh); sourced from the repository's
# root with the script's arguments, BASELINE_BINARY [PAPERBOY_BINARY], after setting
# default_port. Sets baseline, binary, duration, runs, port, base and work (a temporary
# directory that goes, with the server in $server, when the script exits), and brings in
# bench/wrk-lib.sh's measure.

baseline="${1:?give the baseline binary (a build of the commit before)}"
binary="${2:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
duration="${PAPERBOY_BENCH_DURATION:-10s}"
runs="${PAPERBOY_BENCH_RUNS:-3}"
port="${PAPERBOY_BENCH_PORT:-$default_port}"
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }

work="$(mktemp -d)"
server=""

# Stops the server started last, if one runs.
stop_server() {
    if [[ -n "$server" ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}

cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT

# Imports the shared sample (74,728 papers) once, into $work/sample, with the binary given.
import_sample() {
    "$1" --data-dir "$work/sample" import ../shared/data/arxiv-2025-2026.jsonl.gz >/dev/null 2>&1
}

# Serves a fresh copy of the imported sample with the binary given (no demo data, a rate limit
# too high to refuse anything) and waits until the address given answers with papers.
serve_sample() {
    local program="$1" ready="$2"
    rm -rf "$work/serving" && cp -r "$work/sample" "$work/serving"
    "$program" --data-dir "$work/serving" serve --no-demo --listen "127.0.0.1:$port" \
        --rate-limit 1000000000/60s 2>"$work/serve.log" &
    server=$!
    for _ in $(seq 1 600); do
        curl -sf "$ready" | grep -q '"id"' && return
        sleep 0.5
    done
    cat "$work/serve.log" >&2
    return 1
}

source bench/wrk-lib.sh
