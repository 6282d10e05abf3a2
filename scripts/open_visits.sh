#!/usr/bin/env bash
# The cost of the bound on open visits in memory, side by side in one run:
# Touchpoint on its default `ingest.max_open_visits` against the same binary
# with a bound no run reaches, alternating, each on a fresh store. Every
# request of scripts/event.lua comes from a new visitor, so the default bound
# is passed within seconds and visits are pushed out from then on.
# Prints req/s, p99 and the server's CPU ticks (utime + stime) per run.
# Needs wrk (Debian: apt-get install -y wrk).
# Env: CONN (256), DUR (20), ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin touchpoint >/dev/null
BIN=target/release/touchpoint
URL=http://127.0.0.1:18080
run() { # label max_open_visits
  local data tp out
  data=$(mktemp -d)
  export TOUCHPOINT__STORAGE__DATA_DIR=$data TOUCHPOINT__SERVER__TRUSTED_PROXIES=127.0.0.1/32 \
         TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= RUST_LOG=error
  $BIN site add example.com >/dev/null 2>&1
  TOUCHPOINT__INGEST__MAX_OPEN_VISITS=$2 TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 \
    $BIN serve >/dev/null 2>&1 & tp=$!
  sleep 1
  out=$(wrk -t1 -c"${CONN:-256}" -d"${DUR:-20}s" --latency -s scripts/event.lua "$URL")
  echo "$1: $(awk '/Requests\/sec/ {print $2}' <<<"$out") req/s," \
       "p99 $(awk '$1=="99%" {print $2}' <<<"$out"), cpu ticks $(awk '{print $14 + $15}' "/proc/$tp/stat")"
  kill "$tp"; wait "$tp" 2>/dev/null || true
  rm -rf "$data"
}
for _ in $(seq "${ROUNDS:-2}"); do
  run "default bound" 100000
  run "no bound reached" 100000000
done
