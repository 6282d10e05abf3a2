#!/usr/bin/env bash
# Online backup under load. The 10 M-event bench store (seeded and cached by
# `cargo bench --bench query` under target/bench-data/) is copied to a fresh
# data dir and served; a steady ~5,000 events/s (scripts/rate.lua: $CONN
# connections, 10 ms apart) runs for $DUR s twice: once alone, once while
# `touchpoint backup` copies the store. Prints the backup's size, time and
# MB/s, and the ingest p50 / p99 / max of both runs.
# Needs wrk (Debian: apt-get install -y wrk).
# Env: DUR (30), CONN (50), STORE (the bench store's file).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-30}
CONN=${CONN:-50}
STORE=${STORE:-target/bench-data/v3-10000000/touchpoint.redb}
[ -f "$STORE" ] || { echo "no bench store at $STORE: run cargo bench --bench query first" >&2; exit 1; }
cargo build --release --bin touchpoint >/dev/null
BIN=$PWD/target/release/touchpoint
DATA=$(mktemp -d)
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DATA" "$OUT"' EXIT
cp "$STORE" "$DATA/touchpoint.redb"
export TOUCHPOINT__STORAGE__DATA_DIR=$DATA TOUCHPOINT__SERVER__TRUSTED_PROXIES=127.0.0.1/32 \
       TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= RUST_LOG=warn
URL=http://127.0.0.1:18080
TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 $BIN serve >/dev/null & TP=$!
sleep 2
run_wrk() { # label
  wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s scripts/rate.lua "$URL" | awk -v l="$1" '
    /Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Latency/ && !max {max=$4}
    /Non-2xx/ {bad=$5}
    END {print l ": requests/s=" rps " p50=" p50 " p99=" p99 " max=" max " non2xx=" (bad ? bad : 0)}'
}
echo "store: $(du -m "$DATA/touchpoint.redb" | cut -f1) MB"
run_wrk "ingest alone"
run_wrk "ingest during the backup" & W=$!
sleep 3
t0=$(date +%s.%N)
$BIN backup "$OUT/copy.redb" >/dev/null
t1=$(date +%s.%N)
size=$(stat -c %s "$OUT/copy.redb")
python3 -c "s=$size/1e6; t=$t1-$t0; print(f'backup: {s:.0f} MB in {t:.1f} s = {s/t:.0f} MB/s')"
wait $W
