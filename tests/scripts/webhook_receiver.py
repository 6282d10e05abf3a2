"""A webhook receiver that verifies every request with the reference
Standard Webhooks library (PyPI `standardwebhooks`).

Usage: webhook_receiver.py SECRET_FILE OUT_FILE [FAIL_FIRST [ANSWER [DELAY_MS]]]
Prints the port it listens on (loopback), then serves until killed. Each
request is verified with the secret read from SECRET_FILE at that moment;
a verified one is appended to OUT_FILE as a JSON line
{"id", "verified": true, "body"} and answered 204, one that fails
verification is appended as {"verified": false, "error"} and answered
400. The first FAIL_FIRST verified requests are answered 500 instead (and
recorded with "answered": 500), to exercise retries; ANSWER replaces 204
as the answer to the others (410 to say the endpoint is gone), and each
answer waits DELAY_MS first (so a crash can come mid-delivery).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

SECRET_FILE, OUT_FILE = sys.argv[1], sys.argv[2]
FAIL_FIRST = int(sys.argv[3]) if len(sys.argv) > 3 else 0
ANSWER = int(sys.argv[4]) if len(sys.argv) > 4 else 204
DELAY = int(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0
lock = threading.Lock()
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            with open(SECRET_FILE) as f:
                secret = f.read().strip()
            Webhook(secret).verify(body, headers)
        except Exception as e:  # noqa: BLE001 - every failure is recorded
            record = {"verified": False, "error": repr(e)}
            status = 400
        else:
            with lock:
                seen["n"] += 1
                status = 500 if seen["n"] <= FAIL_FIRST else ANSWER
            record = {
                "verified": True,
                "id": headers.get("webhook-id"),
                "answered": status,
                "body": json.loads(body),
            }
        time.sleep(DELAY)
        with lock, open(OUT_FILE, "a") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
