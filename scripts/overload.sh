#!/usr/bin/env bash
# Peak memory (VmHWM) of one Touchpoint process on its defaults, on loopback:
# 1. overload: `wrk -t2 -c$CONN` for $DUR s of custom events near the largest
#    accepted body (scripts/event_large.lua): requests offered, events accepted
#    (202) and refused (503), offered ÷ accepted, and the peak RSS;
# 2. then $FILL_DUR s of small pageviews at full speed (scripts/event.lua), and
#    all-time Stats API queries over everything held: the peak RSS after each.
# 3. then QUERIES (8) all-time breakdowns by property at once: the peak RSS.
# Each query prints its HTTP status: a report that would hold more than
# storage.max_report_mb is refused with 400.
# Needs wrk, curl and python3 (Debian: apt-get install -y wrk curl).
# Env: DUR (30), CONN (2048), FILL_DUR (30), QUERIES (8), BIN (a binary to
# measure instead of building this checkout's).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-30}
CONN=${CONN:-2048}
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin touchpoint >/dev/null
  BIN=target/release/touchpoint
fi
DATA=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TOUCHPOINT__STORAGE__DATA_DIR=$DATA TOUCHPOINT__SERVER__TRUSTED_PROXIES=127.0.0.1/32 \
       TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= RUST_LOG=warn
URL=http://127.0.0.1:18080
$BIN site add example.com >/dev/null
KEY=$($BIN apikey create --name bench | tail -1)
TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18080 $BIN serve >/dev/null & TP=$!
sleep 1
hwm() { awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$TP/status"; }
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1==m {print $2}'; }
echo "idle: peak RSS $(hwm)"

out=$(wrk -t2 -c"$CONN" -d"${DUR}s" -s scripts/event_large.lua "$URL")
offered=$(awk '/requests in/ {print $1}' <<<"$out")
accepted=$(metric touchpoint_events_accepted_total)
refused=$(metric touchpoint_events_overloaded_total)
echo "overload: $offered requests in ${DUR}s ($CONN connections), $accepted accepted, ${refused:-0} refused (503)," \
     "offered/accepted = $(python3 -c "print(round($offered / max($accepted, 1), 1))"); peak RSS $(hwm)"

wrk -t1 -c256 -d"${FILL_DUR:-30}s" -s scripts/event.lua "$URL" >/dev/null
echo "held: $(metric touchpoint_events_accepted_total) events; peak RSS $(hwm)"
query() { # label json
  local t0 t1 code
  t0=$(date +%s.%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
       -H 'Content-Type: application/json' -d "$2" "$URL/api/v2/query")
  t1=$(date +%s.%N)
  echo "all-time $1: $code in $(python3 -c "print(round(($t1 - $t0) * 1000))") ms; peak RSS $(hwm)"
}
query aggregate '{"site_id":"example.com","metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"],"date_range":"all"}'
query "breakdown by page" '{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"all","dimensions":["event:page"]}'
query "breakdown by source" '{"site_id":"example.com","metrics":["visitors","visits","bounce_rate"],"date_range":"all","dimensions":["visit:source"]}'
query "breakdown by prop" '{"site_id":"example.com","metrics":["visitors","events"],"date_range":"all","dimensions":["event:props:prop_01"]}'
query "timeseries by hour" '{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"all","dimensions":["time:hour"]}'
# Several reports at once: they take turns (stats::gate), so memory is that
# of the few running, not of every request.
N=${QUERIES:-8}
t0=$(date +%s.%N)
for i in $(seq "$N"); do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
       -d '{"site_id":"example.com","metrics":["visitors","events"],"date_range":"all","dimensions":["event:props:prop_01"]}' \
       "$URL/api/v2/query" >"$DATA/status.$i" &
done
wait $(jobs -p | grep -v "^$TP$") 2>/dev/null || true
t1=$(date +%s.%N)
echo "$N all-time breakdowns by prop at once: $(sort "$DATA"/status.* | uniq -c | awk '{printf "%s× %s ", $1, $2}')in" \
     "$(python3 -c "print(round(($t1 - $t0) * 1000))") ms; peak RSS $(hwm)"
