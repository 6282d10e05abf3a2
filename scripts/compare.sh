#!/usr/bin/env bash
# Touchpoint beside its peers in one run, on this machine:
#   1. ingest: Touchpoint against a null actix-web handler that reads the body
#      (scripts/load.sh), at 256 and 512 connections, rounds alternating;
#   2. reports: the 10-million-event report table on the embedded engine
#      (with and without day segments) against ClickHouse holding the same
#      events in Plausible-shaped tables (cargo bench --bench compare, which
#      starts Debian's clickhouse-server itself);
# then prints the query table from criterion's medians.
# Needs wrk, curl and clickhouse-server (the README's test command installs them).
# Usage: scripts/compare.sh [seconds per ingest run, default 15]
# Env: ROUNDS (ingest rounds per connection count, default 3), SKIP_INGEST=1.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GB RAM, $(date -u +%F)"
if [ -z "${SKIP_INGEST:-}" ]; then
  for c in 256 512; do
    echo "== ingest, $c connections"
    CONN=$c RSS_DUR=0 ROUNDS=${ROUNDS:-3} scripts/load.sh "${1:-15}"
  done
fi
echo "== reports"
cargo bench --bench compare -- --noplot 2>&1 | grep -E 'ClickHouse .*loaded|day segments|^compare_|time:' || true
python3 - <<'PY'
import glob, json, os
rows = {}
for f in glob.glob("target/criterion/compare_*/*/new/estimates.json"):
    name = f.split("/")[3]
    for engine in ("touchpoint_rows", "touchpoint", "clickhouse"):
        if name.endswith("_" + engine):
            q = name[: -len(engine) - 1]
            rows.setdefault(q, {})[engine] = json.load(open(f))["median"]["point_estimate"] / 1e6
            break
order = ["aggregate_30d", "timeseries_30d_by_day", "breakdown_pages_30d", "breakdown_sources_30d",
         "breakdown_pages_30d_filtered_country", "breakdown_sources_30d_filtered_page",
         "aggregate_30d_filtered_country"]
print("| query, 30 days | Touchpoint | Touchpoint, rows only | ClickHouse | ratio |")
print("| --- | --- | --- | --- | --- |")
for q in order:
    r = rows.get(q, {})
    tp, ch = r.get("touchpoint"), r.get("clickhouse")
    ms = lambda v: f"{v:.1f} ms" if v >= 10 else f"{v:.3g} ms"
    rows_only = ms(r["touchpoint_rows"]) if "touchpoint_rows" in r else "—"
    if tp and ch:
        print(f"| {q} | {ms(tp)} | {rows_only} | {ms(ch)} | {tp / ch:.2g} |")
PY
