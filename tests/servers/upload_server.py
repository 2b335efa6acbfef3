"""A test HTTP server that answers every POST with what it received: content type, length, SHA-256.

    python -m tests.servers.upload_server PORT

Real HTTP over a real socket, for the upload actions' tests (named a test server: it is no device).
"""

from __future__ import annotations

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        reply = json.dumps({
            "content_type": self.headers.get("Content-Type", ""),
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "head": body[:200].decode("latin-1"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
