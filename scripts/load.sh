#!/usr/bin/env bash
# Ingest benchmark over HTTP on loopback, Touchpoint against a null actix-web
# handler in the same run, then peak RSS at a fixed 5,000 events/s.
# Needs wrk and curl (Debian: apt-get install -y wrk curl).
# Usage: scripts/load.sh [seconds per throughput run, default 20]
# Env: CONN (default 512), ROUNDS (default 3), RSS_DUR (default 60; 0 skips the RSS part), RSS_CONN (default 74),
# BIN (a Touchpoint binary to measure instead of this checkout's).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-20}
CONN=${CONN:-512}
cargo build --release --bin touchpoint --example null_server >/dev/null
BIN=${BIN:-target/release/touchpoint}
DATA=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TOUCHPOINT__STORAGE__DATA_DIR=$DATA TOUCHPOINT__SERVER__TRUSTED_PROXIES=127.0.0.1/32 \
       TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= RUST_LOG=warn
$BIN site add example.com >/dev/null

run_wrk() { # name url
  local out; out=$(wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s scripts/event.lua "$2")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$1 requests/s=$rps p50=$p50 p99=$p99 non2xx=${non2xx:-0}"
  echo "$rps" > "$DATA/$1.rps"
}

TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 $BIN serve >/dev/null & TP=$!
target/release/examples/null_server 127.0.0.1:18099 >/dev/null & NULL=$!
sleep 1
# Alternate the two servers so drift on a shared machine hits both alike.
RATIOS=()
for round in $(seq "${ROUNDS:-3}"); do
  run_wrk null http://127.0.0.1:18099
  run_wrk touchpoint http://127.0.0.1:18080
  RATIOS+=("$(python3 -c "print('%.2f' % (float(open('$DATA/touchpoint.rps').read()) / float(open('$DATA/null.rps').read())))")")
  echo "round $round ratio touchpoint/null = ${RATIOS[-1]}"
done
echo "median ratio = $(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
kill $NULL; kill $TP; wait $TP 2>/dev/null || true

# Peak RSS at about 5,000 events/s, every event from a new visitor, on a fresh store.
[ "${RSS_DUR:-60}" = 0 ] && exit 0
rm -rf "${DATA:?}"/*; $BIN site add example.com >/dev/null
TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 $BIN serve >/dev/null & TP=$!
sleep 1
RSS_CONN=${RSS_CONN:-74}
wrk -t1 -c"$RSS_CONN" -d"${RSS_DUR:-60}s" --latency -s scripts/rate.lua http://127.0.0.1:18080 \
  | awk '/Requests\/sec/ {print "steady load: requests/s=" $2} $1=="99%" {print "p99=" $2} /Non-2xx/ {print}'
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$TP/status)"
curl -s http://127.0.0.1:18080/metrics | grep -E '^touchpoint_events_accepted_total'
kill $TP; wait $TP 2>/dev/null || true
