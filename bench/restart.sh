#!/bin/sh
# Restart benchmark: how long batond takes from its start to ready (/readyz answers 200) on a
# store with history, and its VmRSS then. The store is made once by baton_ingest_bench with
# --keep-data (full order lifecycles, as many events as asked) and kept for the next runs.
#
# Each batond is stopped with SIGTERM, as systemd stops it: that clean stop leaves the duplicate
# window in baton.dedup beside the store, which the next start reads (a store just made has
# the one its benchmark's stop left).
#
# Usage: bench/restart.sh [-n EVENTS] [-r RUNS] [-b BUILD_DIR] [-d DATA_PARENT] [--rebuild-state]
#                         [--without-checkpoint]
#   -n  events in the journal (default 2000000); the store is made when none of that size is kept
#   -r  restarts to time (default 3)
#   -b  build tree with daemon/batond and bench/baton_ingest_bench (default ./build)
#   -d  where the kept store lives (default /tmp/baton-restart-bench); put it on the disk to measure
#   --rebuild-state  time batond --rebuild-state instead (the whole journal replayed)
#   --without-checkpoint  remove baton.dedup before each start, as after a crash: the window is
#                         read from the journal
# Prints one line per restart: seconds to ready, VmRSS at ready, and what batond logged about
# its start (when it started; each phase of recovery with its time: the duplicate window, the
# order states, the engine's restore and replay, the desk).
set -eu
events=2000000
runs=3
build=build
parent=/tmp/baton-restart-bench
rebuild=
without_checkpoint=
while [ $# -gt 0 ]; do
    case $1 in
        -n) events=$2; shift 2 ;;
        -r) runs=$2; shift 2 ;;
        -b) build=$2; shift 2 ;;
        -d) parent=$2; shift 2 ;;
        --rebuild-state) rebuild=--rebuild-state; shift ;;
        --without-checkpoint) without_checkpoint=1; shift ;;
        -h|--help) sed -n 2,21p "$0"; exit 0 ;;
        *) echo "restart.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
batond=$build/daemon/batond
bench=$build/bench/baton_ingest_bench
for f in "$batond" "$bench"; do
    [ -x "$f" ] || { echo "restart.sh: $f not built" >&2; exit 2; }
done
store=$parent/events-$events
if [ ! -f "$store/ready" ]; then
    echo "making a store of $events events in $store (once) ..."
    rm -rf "$store"
    mkdir -p "$store"
    "$bench" --skip-raw --events "$events" --data-dir "$store" --keep-data --json > "$store/bench.json"
    made=$(find "$store" -maxdepth 2 -name baton.db | head -n 1)
    mv "$(dirname "$made")" "$store/data"
    touch "$store/ready"
fi
# A free port below the kernel's ephemeral range (32768 on), so that no client connection made
# meanwhile (curl's polls, the previous run's) can take it before batond binds it.
free_port() {
    python3 -c '
import random, socket
while True:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(20000, 32000)))
        print(s.getsockname()[1])
        break
    except OSError:
        s.close()'
}
# The feed file stays beside the store, as a plant's does: a feed file missing at start is written
# again from the store (every line), which is not what a restart costs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
metrics=$(free_port)
cat > "$work/baton.yaml" <<EOF
data_dir: $store/data
schemas: $root/schemas
flow: $root/config/flow.yaml
customers: $root/config/customers.yaml
bus:
  ingest: tcp://127.0.0.1:$(free_port)
  relay: tcp://127.0.0.1:$(free_port)
  control: tcp://127.0.0.1:$(free_port)
feed:
  path: $store/exceptions.jsonl
log:
  level: info
metrics:
  listen: 127.0.0.1:$metrics
EOF
echo "store: $(du -sh "$store/data" | cut -f1), $events events"
i=1
while [ "$i" -le "$runs" ]; do
    [ -n "$without_checkpoint" ] && rm -f "$store/data/baton.dedup"
    start=$(date +%s.%N)
    "$batond" --config "$work/baton.yaml" $rebuild > "$work/log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$metrics/readyz" > /dev/null 2>&1; do
        if ! kill -0 "$pid" 2> /dev/null; then
            echo "restart.sh: batond exited before it was ready:" >&2
            cat "$work/log" >&2
            exit 1
        fi
        sleep 0.02
    done
    ready=$(date +%s.%N)
    rss=$(awk '/^VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$pid/status")
    kill -TERM "$pid"
    wait "$pid" || true
    printf 'restart %d: ready after %.2f s, VmRSS %s\n' "$i" "$(echo "$ready - $start" | bc)" "$rss"
    grep -E "starting|duplicate window|order state|snapshot log|exceptions:" "$work/log" | sed 's/^/    /'
    i=$((i + 1))
done
