#!/bin/sh
# Runs baton_ingest_bench with the default options and the README's variations (closed loop,
# open loop at a fixed rate, control queries beside the ingest) and prints the results as a
# Markdown table. A run during which other processes used more than 0.1 cores of
# the machine is repeated (up to $TRIES times, default 5): producers, daemon and SQLite share
# the cores, so another process running meanwhile skews the numbers.
# Usage: bench/run_matrix.sh [path/to/baton_ingest_bench] [extra options for every run]
set -eu

bench=${1:-build/bench/baton_ingest_bench}
[ $# -gt 0 ] && shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT

extra="$*"  # options added to every run
tries=${TRIES:-5}

run() {
    label=$1
    shift
    try=1
    while :; do
        # shellcheck disable=SC2086
        line=$("$bench" --json "$@" $extra 2>/dev/null || true)
        [ -n "$line" ] || { echo "run '$label' failed" >&2; exit 1; }
        noisy=$(printf '%s' "$line" | python3 -c 'import json,sys; j=json.load(sys.stdin);
print(int(max(j["other_cores"].values()) > 0.1))')
        if [ "$noisy" = 0 ] || [ $try -ge "$tries" ]; then break; fi
        echo "run '$label': the machine was busy, again in 20 s" >&2
        try=$((try + 1))
        sleep 20
    done
    printf '%s\t%s\n' "$label" "$line" >>"$out"
}

run "default (4 producers, window 1000, batch 1000)"
run "1 producer" --producers 1
run "8 producers" --producers 8
run "window 100" --window 100
run "batch.max_events 5000" --batch-events 5000
run "8 producers, batch.max_events 5000" --producers 8 --batch-events 5000
# Open loop: latency from each event's scheduled send time, at a load the daemon can carry.
run "open loop, 5,000 events/s for 30 s" --rate 5000 --seconds 30
run "open loop, 20,000 events/s for 30 s" --rate 20000 --seconds 30
# The same run without and with 50 clients asking kpi all along. 50,000 events, not the default
# 500,000: each kpi request takes the loop longer as orders accumulate.
run "15,000 events warm-up, 50,000 events" --warmup-events 15000 --events 50000
run "the same, 50 clients asking kpi" --warmup-events 15000 --events 50000 \
    --query-clients 50 --query kpi

python3 - "$out" <<'EOF'
import json, sys
def n(x):  # a figure, or '-' when the run has none
    return "-" if not x else f"{x:,.0f}"
print("| run | producers | window | batch | target events/s | acked events/s | p50 µs | p99 µs "
      "| p99.9 µs | max µs | queries/s | query p50 µs | query p99 µs | raw PUSH/PULL msgs/s "
      "| ratio | batches | events/batch | SQLite MB | other load |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for row in open(sys.argv[1]):
    label, line = row.rstrip("\n").split("\t", 1)
    j = json.loads(line)
    lat = j["ack_latency_us"]
    q = j.get("queries", {})
    qlat = q.get("latency_us", {})
    batches = j["batches"] or 0
    ratio = f"{j['ratio']:.3f}" if j["ratio"] else "-"
    print(f"| {label} | {j['producers']} | {j['window']} | {j.get('batch_max_events', '-')} "
          f"| {n(j.get('open_loop', {}).get('target_per_s'))} | {j['acked_per_s']:,.0f} "
          f"| {lat['p50']:,.0f} | {lat['p99']:,.0f} | {lat['p999']:,.0f} | {lat['max']:,.0f} "
          f"| {n(q.get('per_s'))} | {n(qlat.get('p50'))} | {n(qlat.get('p99'))} "
          f"| {n(j['raw_push_pull_per_s'])} | {ratio} | {batches:,} "
          f"| {j['events'] / batches if batches else 0:,.0f} | {j['sqlite_bytes'] / 1e6:,.0f} "
          f"| {max(j['other_cores'].values()):.2f} |")
EOF
