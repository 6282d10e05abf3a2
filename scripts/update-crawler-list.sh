#!/bin/sh
# Refreshes assets/crawlers/ from the npm package crawler-user-agents
# (https://github.com/monperrus/crawler-user-agents, MIT): the list of crawler
# user-agent patterns the bot filter embeds (src/ingest/useragent/crawlers.rs).
# Usage: scripts/update-crawler-list.sh [VERSION]   (needs npm)
# After an update run `cargo test --lib useragent`: a new pattern that matches a
# real browser shows up there and goes into EXCLUDED with its reason.
set -eu
VERSION=${1:-1.60.0}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "crawler-user-agents@$VERSION" >/dev/null &&
    tar xzf "crawler-user-agents-$VERSION.tgz")
cp "$tmp/package/crawler-user-agents.json" assets/crawlers/crawler-user-agents.json
cp "$tmp/package/LICENSE" assets/crawlers/LICENSE
echo "$VERSION" >assets/crawlers/VERSION
echo "assets/crawlers: crawler-user-agents $VERSION"
