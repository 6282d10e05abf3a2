#!/usr/bin/env bash
# Rebuilds the served tracker files from the readable assets/tracker/tp.js
# with a pinned terser from npm:
#   tp.min.js       /js/tp.js       core (TP_FULL=false removes consent and forms)
#   tp.full.min.js  /js/tp.full.js  with consent modes, identify, form capture
#   tp-consent.min.js /js/tp-consent.js  the optional consent banner (from tp-consent.js)
#   tp-extras.min.js  /js/tp-extras.js   outbound links and file downloads (from tp-extras.js)
# Each starts with the source's SHA-256 prefix; tests fail if tp.js changed
# without a rebuild, or if the core is over its size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
src=assets/tracker/tp.js
sum=$(sha256sum "$src" | cut -c1-16)
for variant in "tp.min.js false" "tp.full.min.js true"; do
    set -- $variant
    min=$(npx --yes terser@5.51.2 "$src" --define "TP_FULL=$2" --compress passes=3 --mangle \
        --ecma 2017 --format ascii_only=true 2>/dev/null)
    printf '/*tp.js %s*/%s\n' "$sum" "$min" > "assets/tracker/$1"
    printf '%s: %s bytes, %s gzipped\n' "$1" "$(wc -c < "assets/tracker/$1")" \
        "$(gzip -9 -c "assets/tracker/$1" | wc -c)"
done
for extra in tp-consent tp-extras; do
    src=assets/tracker/$extra.js
    sum=$(sha256sum "$src" | cut -c1-16)
    min=$(npx --yes terser@5.51.2 "$src" --compress passes=3 --mangle --ecma 2017 --format ascii_only=true 2>/dev/null)
    printf '/*%s.js %s*/%s\n' "$extra" "$sum" "$min" > "assets/tracker/$extra.min.js"
    printf '%s.min.js: %s bytes, %s gzipped\n' "$extra" "$(wc -c < "assets/tracker/$extra.min.js")" \
        "$(gzip -9 -c "assets/tracker/$extra.min.js" | wc -c)"
done
