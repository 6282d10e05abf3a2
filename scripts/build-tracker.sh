#!/usr/bin/env bash
# Rebuilds assets/tracker/tp.min.js (the file Touchpoint serves at /js/tp.js)
# from the readable assets/tracker/tp.js with a pinned terser from npm. The
# first line records the source's SHA-256 prefix; a test fails if tp.js changed
# without a rebuild, or if the result is over the size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
src=assets/tracker/tp.js
sum=$(sha256sum "$src" | cut -c1-16)
min=$(npx --yes terser@5.51.2 "$src" --compress passes=3,unsafe_arrows=false --mangle --ecma 2017 --format ascii_only=true 2>/dev/null)
printf '/*tp.js %s*/%s\n' "$sum" "$min" > assets/tracker/tp.min.js
printf 'tp.min.js: %s bytes, %s gzipped\n' "$(wc -c < assets/tracker/tp.min.js)" "$(gzip -9 -c assets/tracker/tp.min.js | wc -c)"
