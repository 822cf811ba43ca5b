#!/bin/sh
# A/B of two builds of baton_ingest_bench (two daemons: the benchmark runs the loop in-process):
# each run of the list below, first with A then with B, back to back, one JSON line each as
# "<run>\t<A|B>\t<json>". Used for bench/README.md "Issue 14, first steps".
# Usage: bench/compare.sh path/to/bench-A path/to/bench-B > results.tsv
set -eu
a=$1
b=$2
run() {
    label=$1
    shift
    for side in A B; do
        if [ "$side" = A ]; then bench=$a; else bench=$b; fi
        line=$("$bench" --json "$@" 2>/dev/null | tail -n 1) || true
        printf '%s\t%s\t%s\n' "$label" "$side" "$line"
    done
}
run closed --skip-raw
run closed-raw
run rate5000 --rate 5000 --seconds 30
run rate20000 --rate 20000 --seconds 30
run kpi-none --skip-raw --warmup-events 15000 --events 50000
run kpi-50 --skip-raw --warmup-events 15000 --events 50000 --query-clients 50 --query kpi
run closed-again --skip-raw
