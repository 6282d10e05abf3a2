"""A stand-in for Segment's API that records what an SDK sends: every request's
method, path, the headers that matter (Authorization, Content-Type,
Content-Encoding, User-Agent, X-Retry-Count) and its body (gunzipped when
Content-Encoding is gzip, parsed as JSON when it is JSON), answering 200 `{}`.
Used to make tests/fixtures/segment/*_capture.json:

    python3 tests/scripts/segment_capture.py OUT.json &   # prints "port N"
    target/py/bin/python tests/scripts/segment_python.py http://127.0.0.1:N wk scenario.json
    kill %1

Usage: segment_capture.py OUT.json [PORT]  (PORT 0 or none: a free one)
OUT.json is rewritten after each request with the list of requests so far.
"""

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADERS = ("Authorization", "Content-Type", "Content-Encoding", "User-Agent", "X-Retry-Count")


def main(out_path: str, port: int) -> None:
    captured = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _record(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                raw = gzip.decompress(raw)
            text = raw.decode("utf-8")
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            entry = {
                "method": self.command,
                "path": self.path,
                "headers": {h: self.headers[h] for h in HEADERS if h in self.headers},
                "body": body,
            }
            with lock:
                captured.append(entry)
                with open(out_path, "w", encoding="utf-8") as f:
                    json.dump(captured, f, indent=2, ensure_ascii=False)
                    f.write("\n")
            reply = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_POST = do_PUT = do_GET = _record

        def log_message(self, fmt, *args):
            sys.stderr.write("capture: " + (fmt % args) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 0)
