"""A real SMTP server (aiosmtpd) for the mail tests: listens on a free
loopback port, prints it on the first line, and writes every message it
accepts to OUT_DIR as N.json: envelope recipients, headers, and each MIME
part (content type, content id, text or base64 bytes). The file is written
before the server answers 250, so a sent message is on disk once the
client's send returns.

Usage: smtp_sink.py OUT_DIR
"""

import asyncio
import base64
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                parts.append({"content_type": part.get_content_type(), "multipart": True})
                continue
            payload = part.get_payload(decode=True) or b""
            entry = {
                "content_type": part.get_content_type(),
                "content_id": part.get("Content-ID", ""),
                "disposition": part.get_content_disposition() or "",
                "base64": base64.b64encode(payload).decode(),
            }
            if part.get_content_maintype() == "text":
                entry["text"] = part.get_content()
            parts.append(entry)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "parts": parts,
        }
        self.count += 1
        path = os.path.join(self.out_dir, f"{self.count:04}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


async def main(out_dir):
    loop = asyncio.get_running_loop()
    sink = Sink(out_dir)
    server = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Ends when the test closes stdin (or kills the process).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
