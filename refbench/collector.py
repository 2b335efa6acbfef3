"""Tiny optional telemetry collector: a TLS (and cleartext-tolerant) line receiver at the lab address.

The device connects to ``<lab address>:9443`` and sends one JSON line.  The collector accepts TLS
(with the certificate the device pins) and, to record the ``cleartext_telemetry`` defect, also a
plain connection (it peeks at the first byte: 0x16 starts a TLS handshake).  Each message is
appended to ``--out`` as JSON with a ``"tls"`` flag.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import threading
import time
from pathlib import Path


def serve(host: str, port: int, cert: Path, key: Path, out: Path) -> None:
    """Accept connections forever."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    lock = threading.Lock()
    srv = socket.create_server((host, port), reuse_port=False)

    def handle(conn: socket.socket, addr: tuple[str, int]) -> None:
        conn.settimeout(10)
        tls = False
        try:
            first = conn.recv(1, socket.MSG_PEEK)
            stream: socket.socket = conn
            if first == b"\x16":
                stream = ctx.wrap_socket(conn, server_side=True)
                tls = True
            data = b""
            while len(data) < 65536:
                chunk = stream.recv(4096)
                if not chunk:
                    break
                data += chunk
            rec = {"time": time.time(), "source": addr[0], "tls": tls,
                   "tls_version": stream.version() if isinstance(stream, ssl.SSLSocket) else None,
                   "message": data.decode("utf-8", "replace").strip()}
        except (OSError, ssl.SSLError) as exc:
            rec = {"time": time.time(), "source": addr[0], "tls": tls, "error": repr(exc)}
        finally:
            conn.close()
        with lock, out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")

    while True:
        c, a = srv.accept()
        threading.Thread(target=handle, args=(c, a), daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m refbench.collector --host H --port P --cert C --key K --out F``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", type=Path, required=True)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    serve(a.host, a.port, a.cert, a.key, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
