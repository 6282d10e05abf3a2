"""Sends a scenario of Segment calls to a server with Segment's official Python
SDK (PyPI segment-analytics-python), used the way an application would: a
Client with its host set, one SDK method per call, then flush and shutdown.
For the tests of Touchpoint's Segment-compatible HTTP API (POST /v1/batch).

Usage: target/py/bin/python tests/scripts/segment_python.py HOST WRITE_KEY SCENARIO.json
  HOST      e.g. http://127.0.0.1:8080 (the SDK posts to HOST/v1/batch)
  SCENARIO  a JSON list of calls, e.g.
            {"call": "page", "anonymousId": "a1", "name": "Home",
             "properties": {...}, "context": {...},
             "timestamp": "2024-03-15T09:58:00Z", "messageId": "m1"}
            call is one of page, screen, track, identify, group, alias; the
            other keys are those the SDK method takes, spelled as on the wire:
            userId, anonymousId, event, name, category, properties, traits,
            groupId, previousId, context, integrations, timestamp (ISO 8601,
            given to the SDK as a datetime), messageId.
Optional environment:
  SEGMENT_BATCH_SIZE  the SDK's upload_size, events per request (default 100)
  SEGMENT_GZIP=1      the SDK's gzip option (Content-Encoding: gzip)

Prints one line per call sent and `sent N` once the server has taken them all;
exits 1 (after printing the errors) if any request failed: the SDK retries
only twice here, so a failing server fails the run in a few seconds.
"""

import json
import os
import sys
import threading
from datetime import datetime

from segment.analytics import Client

# Scenario key -> the SDK method's keyword argument.
ARGS = {
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "event": "event",
    "name": "name",
    "category": "category",
    "properties": "properties",
    "traits": "traits",
    "groupId": "group_id",
    "previousId": "previous_id",
    "context": "context",
    "integrations": "integrations",
    "timestamp": "timestamp",
    "messageId": "message_id",
}
CALLS = ("page", "screen", "track", "identify", "group", "alias")


def parse_timestamp(value: str) -> datetime:
    # datetime.fromisoformat takes a trailing Z from Python 3.11 on.
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


def main(host: str, write_key: str, scenario_path: str) -> int:
    with open(scenario_path, encoding="utf-8") as f:
        calls = json.load(f)
    if not isinstance(calls, list):
        raise SystemExit("the scenario must be a JSON list of calls")

    errors = []
    lock = threading.Lock()

    def on_error(error, batch):
        with lock:
            errors.append((error, len(batch)))
        print(f"error: {error} ({len(batch)} events)", file=sys.stderr, flush=True)

    client = Client(
        write_key,
        host=host,
        on_error=on_error,
        gzip=os.environ.get("SEGMENT_GZIP") == "1",
        upload_size=int(os.environ.get("SEGMENT_BATCH_SIZE", "100")),
        upload_interval=0.05,
        max_retries=2,
        timeout=10,
    )

    sent = 0
    for i, call in enumerate(calls):
        kind = call.get("call")
        if kind not in CALLS:
            raise SystemExit(f"call {i}: unknown call {kind!r}")
        kwargs = {}
        for key, value in call.items():
            if key == "call":
                continue
            if key not in ARGS:
                raise SystemExit(f"call {i} ({kind}): unknown key {key!r}")
            if key == "timestamp" and value is not None:
                value = parse_timestamp(value)
            kwargs[ARGS[key]] = value
        ok, msg = getattr(client, kind)(**kwargs)
        if not ok:
            print(f"error: call {i} ({kind}) not queued (queue full)", file=sys.stderr)
            errors.append(("queue full", 1))
            continue
        sent += 1
        who = msg.get("userId") or msg.get("anonymousId")
        what = msg.get("event") or msg.get("name") or msg.get("groupId") or msg.get("previousId") or ""
        print(f"{kind} {who} {what} messageId={msg['messageId']}".replace("  ", " "), flush=True)

    client.flush()
    client.shutdown()

    if errors:
        failed = sum(n for _, n in errors)
        print(f"FAILED: {len(errors)} request(s), {failed} event(s) not delivered", file=sys.stderr)
        return 1
    print(f"sent {sent}", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
