# Shared by the wrk benchmarks (bench/http.sh, bench/community.sh); sourced, not run.
# Expects $runs and $duration to be set.

# wrk's summary -> "requests/s p50 p99 errors" with latencies in milliseconds.
summarise() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors }'
}

# Runs one case `runs` times; prints its medians.
measure() {
    local name="$1" connections="$2"; shift 2
    local results=()
    for _ in $(seq 1 "$runs"); do
        results+=("$(wrk -t2 -c"$connections" -d"$duration" --latency "$@" | summarise)")
    done
    printf '%s\n' "${results[@]}" | sort -n -k1 | awk -v name="$name" -v c="$connections" -v n="$runs" '
        { rps[NR] = $1; p50[NR] = $2; p99[NR] = $3; errors += $4 }
        END {
            m = int((n + 1) / 2)
            printf "| %-26s | %5d | %8.0f | %7.2f | %7.2f | %6d |\n", name, c, rps[m], p50[m], p99[m], errors
        }'
}
