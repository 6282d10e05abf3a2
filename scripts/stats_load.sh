#!/usr/bin/env bash
# Stats API latency over HTTP on the self-seeded 10M-event store (built by
# `cargo bench --bench query` into target/bench-data). Sequential requests, so
# the numbers are per-query latency: p50 and p99 for each query shape.
# Needs hey (Debian: apt-get install -y hey).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
STORE=$(ls -d target/bench-data/v*-10000000 2>/dev/null | tail -1)
[ -n "$STORE" ] || { echo "no seeded store: run cargo bench --bench query first"; exit 1; }
cargo build --release --bin touchpoint >/dev/null
BIN=target/release/touchpoint
export TOUCHPOINT__STORAGE__DATA_DIR=$STORE TOUCHPOINT__JOBS__ROLLUP_SCHEDULE= RUST_LOG=warn
KEY=$($BIN apikey create --name stats-load | tail -1)
TOUCHPOINT__SERVER__LISTEN=127.0.0.1:18090 $BIN serve >/dev/null & TP=$!
trap 'kill $TP 2>/dev/null || true' EXIT
sleep 1
TMP=$(mktemp)
query() { # name json
  echo "$2" > "$TMP"
  local out; out=$(hey -n "$N" -c 1 -m POST -T application/json -H "Authorization: Bearer $KEY" -D "$TMP" http://127.0.0.1:18090/api/v2/query)
  local p50 p99
  p50=$(awk '/50%% in/ || /50% in/ {print $3*1000}' <<<"$out")
  p99=$(awk '/99% in/ {print $3*1000}' <<<"$out")
  printf '%-40s p50=%8.2f ms  p99=%8.2f ms  %s\n' "$1" "$p50" "$p99" "$(grep -o '\[200\].*' <<<"$out")"
}
R='"date_range":["2024-01-01","2024-01-30"]'
M='"metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"]'
query aggregate_30d "{\"site_id\":\"example.com\",$M,$R}"
query timeseries_30d_by_day "{\"site_id\":\"example.com\",$M,$R,\"dimensions\":[\"time:day\"]}"
query breakdown_pages_30d "{\"site_id\":\"example.com\",$M,$R,\"dimensions\":[\"event:page\"],\"pagination\":{\"limit\":100}}"
query breakdown_sources_30d "{\"site_id\":\"example.com\",$M,$R,\"dimensions\":[\"visit:source\"]}"
query breakdown_pages_filtered_country "{\"site_id\":\"example.com\",$M,$R,\"dimensions\":[\"event:page\"],\"filters\":[[\"is\",\"visit:country\",[\"US\"]]],\"pagination\":{\"limit\":100}}"
query breakdown_sources_filtered_page "{\"site_id\":\"example.com\",$M,$R,\"dimensions\":[\"visit:source\"],\"filters\":[[\"is\",\"event:page\",[\"/docs/page-3\"]]]}"
rm -f "$TMP"
