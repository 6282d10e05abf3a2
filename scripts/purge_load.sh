#!/usr/bin/env bash
# Ingest latency while the retention purge deletes a 10-million-event store:
# a copy of the benchmark store (all of it older than the retention) is served,
# a steady ~5,000 events/s load runs for WINDOW seconds (default 8) without a
# purge, then for as long again from the moment the purge job (scheduled to fire
# between the two runs) starts deleting it all (about 7 s on this machine).
# Needs wrk, and the cached benchmark store (cargo bench --bench query makes it).
# Usage: scripts/purge_load.sh [store dir, default target/bench-data/v3-10000000]
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-target/bench-data/v3-10000000}
[ -d "$SRC" ] || { echo "no benchmark store at $SRC (run cargo bench --bench query once)"; exit 1; }
cargo build --release --bin touchpoint >/dev/null
BIN=target/release/touchpoint
DATA=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DATA"' EXIT
cp -r "$SRC"/. "$DATA"/
start=$(date -u +%s)
at=$((start + 45))
export TOUCHPOINT__STORAGE__DATA_DIR=$DATA TOUCHPOINT__SERVER__TRUSTED_PROXIES=127.0.0.1/32 \
       TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= TOUCHPOINT__JOBS__PURGE_SCHEDULE="$(date -u -d @$at +'%-S %-M %-H') * * *" \
       RUST_LOG=warn,touchpoint::privacy::retention=info
TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 $BIN serve >"$DATA/serve.log" 2>&1 & TP=$!
sleep 3
WINDOW=${WINDOW:-8}
load() { # name
  wrk -t1 -c74 -d"${WINDOW}s" --latency -s scripts/rate.lua http://127.0.0.1:18080 \
    | awk -v n="$1" '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Latency/ && !/Distribution/ {max=$4}
                     END {print n ": requests/s=" rps " p50=" p50 " p99=" p99 " max=" max}'
}
sleep 10
load "no purge    "
sleep $((at - $(date -u +%s)))
load "during purge"
while ! grep -q "retention purge" "$DATA/serve.log"; do sleep 1; done
grep "retention purge" "$DATA/serve.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -1
kill $TP; wait $TP 2>/dev/null || true
