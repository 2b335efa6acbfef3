"""A hostile device for fault injection on the reference bench (issue 8).

    python -m refbench.hostile --mode MODE --bind ADDR [--bind ADDR6 ...] --ports 22,80,443,8443
                               [--max-seconds N] [--max-bytes N]

The fault runner starts it inside a bench namespace, at the device's addresses, while the real device
is powered off: the harness then meets a device that misbehaves on every port it expects a service on.
A hostile device must not crash the run or hang it: each unit has to end INCONCLUSIVE with a reason, or
FAIL, and never PASS. The tests of the harness's network code (``tests/refbench/test_hostile.py``) use
it the same way, in throwaway namespaces.

The protocol it fakes is chosen by port: 22 SSH, 80 and 8080 HTTP, 443 and 8443 TLS, any other port a
raw banner service. MODE is one of:

``huge-banner``
    SSH: ``SSH-2.0-`` and then megabytes without a newline, or thousands of lines before the version;
    HTTP: a status line and then endless header lines (or one endless header, or an endless body); TLS:
    garbage forever, or a flood of TLS records around an oversized handshake message; raw: an endless
    banner.
``malformed-handshake``
    SSH: a valid version line, then a binary packet with an absurd length, lying name-list lengths, a
    garbage KEXINIT or an impossible padding; TLS: the ClientHello answered by a record whose length
    lies, an unknown content type, a truncated ServerHello, lying inner lengths or a bad record version;
    HTTP: a malformed status line, or broken chunked encoding; raw: control characters, invalid UTF-8
    and cut-off telnet commands.
``drop``
    accept and reset at once (SO_LINGER 0), or after reading the client's first bytes, or after the
    first bytes of a plausible answer.
``stall``
    accept, read and never answer (a tarpit).
``trickle``
    a plausible answer (the SSH version, an HTTP head announcing a long body, a TLS record header, a
    banner), one byte every 0.2 s and never a line end: each read of the client gets a byte well inside
    any timeout, so only a deadline for the whole exchange ends it.

Each mode has a few variants; every listening port takes them in turn, one per connection (the first
connection gets the first variant), so a client that connects several times meets several of them.

Everything is bounded: bytes sent per connection (``--max-bytes``, 32 MiB), bytes read per connection
(the same), connections at once (64; more are reset), every socket operation (0.5 s, so a stop is seen
at once), and the whole run (``--max-seconds``). SIGTERM or SIGINT stop it cleanly. It prints ``ready``
on stdout once every port listens, and a one-line summary when it stops. Standard library only.

Exit status: 0 after a clean stop, 4 on bad arguments or when a port cannot be bound.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from types import FrameType
from typing import Literal

MODES = ("huge-banner", "malformed-handshake", "drop", "stall", "trickle")
Mode = Literal["huge-banner", "malformed-handshake", "drop", "stall", "trickle"]
Kind = Literal["ssh", "http", "tls", "raw"]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_SECONDS = 600.0
MAX_CONNECTIONS = 64  # at once; a client that opens more meets resets
IO_SLICE = 0.5  # every blocking socket operation, so that a stop or the deadline is noticed quickly
REQUEST_WAIT = 1.0  # how long to wait for a client's request before answering anyway
MAX_REQUEST = 64 * 1024  # the most of a client's request read before answering
CHUNK = 64 * 1024
HOLD_SECONDS = 30.0  # after a malformed answer, how long to keep the connection open at most
TRICKLE_EVERY = 0.2  # seconds between two bytes in the trickle mode
SSH_VERSION = b"SSH-2.0-OpenSSH_9.6 hostile\r\n"


def kind_for(port: int) -> Kind:
    """The protocol a port fakes: 22 SSH, 80/8080 HTTP, 443/8443 TLS, anything else a raw banner."""
    if port == 22:
        return "ssh"
    if port in (80, 8080):
        return "http"
    if port in (443, 8443):
        return "tls"
    return "raw"


# -- one connection --------------------------------------------------------------------------------


class Connection:
    """One accepted connection: bounded sends and reads, each checking the stop flag and the deadline."""

    def __init__(
        self, sock: socket.socket, stop: threading.Event, deadline: float, max_bytes: int
    ) -> None:
        self.sock = sock
        self.stop = stop
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.sent = 0
        self.received = 0
        self.closed_by_peer = False
        sock.settimeout(IO_SLICE)

    def alive(self) -> bool:
        return not self.stop.is_set() and not self.closed_by_peer and time.monotonic() < self.deadline

    def send(self, data: bytes) -> bool:
        """Send ``data`` (cut at the byte cap). False once the peer is gone, the cap is reached, or we stop."""
        room = self.max_bytes - self.sent
        view = memoryview(data)[: max(0, room)]
        while view and self.alive():
            try:
                n = self.sock.send(view)
            except TimeoutError:
                continue  # the client does not read: wait, but keep checking stop and deadline
            except OSError:
                self.closed_by_peer = True
                return False
            view = view[n:]
            self.sent += n
        return not view and len(data) <= room and self.alive()

    def stream(self, pieces: Callable[[int], bytes], count: int | None = None) -> None:
        """Send ``pieces(0)``, ``pieces(1)`` ... (at most ``count``, or until the cap) while the peer takes them."""
        for i in itertools.count() if count is None else range(count):
            if not self.send(pieces(i)):
                return

    def read(self, wait: float, until: Callable[[bytes], bool] | None = None, limit: int = MAX_REQUEST) -> bytes:
        """Read the client's bytes for at most ``wait`` seconds, ``limit`` bytes, or until ``until(data)``."""
        buf = bytearray()
        end = min(self.deadline, time.monotonic() + wait)
        while len(buf) < limit and time.monotonic() < end and self.alive():
            if until is not None and until(bytes(buf)):
                break
            try:
                chunk = self.sock.recv(min(CHUNK, limit - len(buf)))
            except TimeoutError:
                continue
            except OSError:
                self.closed_by_peer = True
                break
            if not chunk:
                self.closed_by_peer = True
                break
            buf += chunk
            self.received += len(chunk)
        return bytes(buf)

    def hold(self, seconds: float | None = None) -> None:
        """Read and discard what the client sends, never answering, until it closes, the byte cap, the
        deadline, a stop, or ``seconds``."""
        end = self.deadline if seconds is None else min(self.deadline, time.monotonic() + seconds)
        while self.alive() and time.monotonic() < end and self.received < self.max_bytes:
            try:
                chunk = self.sock.recv(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                self.closed_by_peer = True
                return
            if not chunk:
                self.closed_by_peer = True
                return
            self.received += len(chunk)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN (SO_LINGER on, zero seconds)."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Behaviour = Callable[[Connection], None]


def _http_request_done(data: bytes) -> bool:
    return b"\r\n\r\n" in data or b"\n\n" in data


def _tls_record_done(data: bytes) -> bool:
    return len(data) >= 5 and len(data) >= 5 + (data[3] << 8 | data[4])


def _read_request(conn: Connection, kind: Kind) -> None:
    """Let the client send its request (HTTP head, ClientHello) first, as the real service would."""
    if kind == "http":
        conn.read(REQUEST_WAIT, _http_request_done)
    elif kind == "tls":
        conn.read(REQUEST_WAIT, _tls_record_done)


# -- huge-banner -----------------------------------------------------------------------------------

_FILLER = b"A" * CHUNK
_GARBAGE = os.urandom(CHUNK)


def _ssh_long_version(conn: Connection) -> None:
    conn.send(b"SSH-2.0-")
    conn.stream(lambda _: _FILLER)


def _ssh_pre_banner_lines(conn: Connection) -> None:
    # RFC 4253 4.2 lets a server send lines before its version; thousands of them, and no version.
    conn.stream(lambda i: b"".join(b"%07d hostile pre-banner line\r\n" % (i * 100 + j) for j in range(100)), 20000)
    conn.hold(HOLD_SECONDS)


def _http_endless_headers(conn: Connection) -> None:
    _read_request(conn, "http")
    conn.send(b"HTTP/1.1 200 OK\r\nServer: hostile\r\n")
    value = b"v" * 100
    conn.stream(lambda i: b"".join(b"X-Hostile-%d: %s\r\n" % (i * 256 + j, value) for j in range(256)))


def _http_endless_header_line(conn: Connection) -> None:
    _read_request(conn, "http")
    conn.send(b"HTTP/1.1 200 OK\r\nX-Endless: ")
    conn.stream(lambda _: _FILLER)


def _http_endless_body(conn: Connection) -> None:
    _read_request(conn, "http")
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body>")
    links = b"".join(b'<a href="/page%d">page</a>\n' % j for j in range(2000))
    conn.stream(lambda _: links)


def _tls_garbage(conn: Connection) -> None:
    conn.stream(lambda _: _GARBAGE)


def _tls_record_flood(conn: Connection) -> None:
    # Well-framed handshake records around a ServerHello that claims 16 MiB, then more records forever.
    _read_request(conn, "tls")
    body = b"\x02\xff\xff\xff" + b"\x03\x03" + _GARBAGE[: 16384 - 6]
    conn.send(b"\x16\x03\x03" + struct.pack("!H", len(body)) + body)
    record = b"\x16\x03\x03" + struct.pack("!H", 16384) + _FILLER[:16384]
    conn.stream(lambda _: record * 4)


def _raw_endless_banner(conn: Connection) -> None:
    conn.send(b"220 hostile ")
    conn.stream(lambda _: _FILLER)


def _raw_endless_lines(conn: Connection) -> None:
    conn.stream(lambda i: b"".join(b"220-hostile greeting line %d\r\n" % (i * 1000 + j) for j in range(1000)))


# -- malformed-handshake ---------------------------------------------------------------------------


def _ssh_packet(payload: bytes, pad: int | None = None, length: int | None = None) -> bytes:
    padding = pad if pad is not None else 4 + (8 - (5 + len(payload) + 4) % 8) % 8
    size = length if length is not None else 1 + len(payload) + padding
    return struct.pack("!IB", size, padding) + payload + bytes(min(padding, 255))


def _ssh_then(packet: bytes) -> Behaviour:
    def behave(conn: Connection) -> None:
        if conn.send(SSH_VERSION + packet):
            conn.hold(HOLD_SECONDS)

    return behave


_KEXINIT_LYING = b"\x14" + bytes(16) + struct.pack("!I", 0x7FFFFFF0) + b"curve25519-sha256"
_KEXINIT_GARBAGE = b"\x14" + _GARBAGE[:600]
_KEXINIT_NOT_ASCII = (
    b"\x14" + bytes(16) + struct.pack("!I", 12) + b"\xff\xfe\xfd,cur\x00ve\x80"
    + b"".join(struct.pack("!I", 4) + b"none" for _ in range(9)) + b"\x00" + bytes(4)
)
_SSH_MALFORMED: tuple[tuple[str, Behaviour], ...] = (
    ("absurd-packet-length", _ssh_then(struct.pack("!IB", 0xFFFFFFF0, 4) + _GARBAGE[:64])),
    ("lying-name-list-length", _ssh_then(_ssh_packet(_KEXINIT_LYING))),
    ("garbage-kexinit", _ssh_then(_ssh_packet(_KEXINIT_GARBAGE))),
    ("impossible-padding", _ssh_then(_ssh_packet(b"\x14" + bytes(40), pad=250, length=12))),
    ("names-not-ascii", _ssh_then(_ssh_packet(_KEXINIT_NOT_ASCII))),
)


def _tls_answer(data: bytes, close: bool) -> Behaviour:
    def behave(conn: Connection) -> None:
        _read_request(conn, "tls")
        if conn.send(data) and not close:
            conn.hold(HOLD_SECONDS)

    return behave


def _server_hello(session_id_length: int = 0) -> bytes:
    """A ServerHello body (TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) with a chosen session id length."""
    return b"\x03\x03" + _GARBAGE[:32] + bytes([session_id_length]) + b"\xc0\x2f\x00"


def _handshake(msg_type: int, body: bytes, length: int | None = None) -> bytes:
    n = len(body) if length is None else length
    return bytes([msg_type]) + n.to_bytes(3, "big") + body


def _record(content_type: int, body: bytes, version: bytes = b"\x03\x03", length: int | None = None) -> bytes:
    return bytes([content_type]) + version + struct.pack("!H", len(body) if length is None else length) + body


_TLS_MALFORMED: tuple[tuple[str, Behaviour], ...] = (
    # The record says 16 KiB; a 42-byte ServerHello comes, then nothing more.
    ("record-length-lies", _tls_answer(_record(22, _handshake(2, _server_hello()), length=16384)[:65], False)),
    ("unknown-content-type", _tls_answer(_record(0x63, _GARBAGE[:200]), True)),
    # The ServerHello claims 70 bytes; the record carries its first 10, then the server closes.
    ("truncated-server-hello", _tls_answer(_record(22, _handshake(2, _server_hello()[:6], length=70)), True)),
    # Record and message lengths agree, but the session id claims 200 bytes of a 38-byte body.
    ("inner-lengths-lie", _tls_answer(_record(22, _handshake(2, _server_hello(200))), False)),
    ("bad-record-version", _tls_answer(_record(22, _handshake(2, _server_hello()), version=b"\x09\x09"), True)),
)


def _http_answer(data: bytes) -> Behaviour:
    def behave(conn: Connection) -> None:
        _read_request(conn, "http")
        conn.send(data)

    return behave


_HTTP_MALFORMED: tuple[tuple[str, Behaviour], ...] = (
    ("status-not-a-number", _http_answer(b"HTTP/1.1 2x0 Hostile\r\nContent-Length: 0\r\n\r\n")),
    ("not-http", _http_answer(b"\x00\xff\xfeHTXP/9.9 999999999999 \x1b[2J\x07\r\n\r\n")),
    ("broken-chunked", _http_answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\nzz;\r\nabc\r\n"
    )),
    ("huge-chunk-size", _http_answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc\r\n"
    )),
)


def _raw_then_close(data: bytes) -> Behaviour:
    def behave(conn: Connection) -> None:
        conn.send(data)

    return behave


_RAW_MALFORMED: tuple[tuple[str, Behaviour], ...] = (
    ("control-characters", _raw_then_close(b"\x00\xff\xfe\x1b[2J\x07\xc3\x28\xed\xa0\x80 login: \r\n")),
    ("cut-telnet-command", _raw_then_close(b"\xff\xfb\x01\xff\xfa\x18\x01" + _GARBAGE[:100] + b"\xff")),
)


# -- drop and stall --------------------------------------------------------------------------------

_FIRST_BYTES: dict[Kind, bytes] = {
    "ssh": b"SSH-2.0-Open",
    "http": b"HTTP/1.1 200 OK\r\nContent-Le",
    "tls": b"\x16\x03\x03\x00\x4a\x02\x00",
    "raw": b"220 hostile",
}


def _drop_behaviours(kind: Kind) -> tuple[tuple[str, Behaviour], ...]:
    def at_once(conn: Connection) -> None:
        conn.reset()

    def after_first_bytes(conn: Connection) -> None:
        conn.read(REQUEST_WAIT, lambda data: bool(data))
        conn.reset()

    def mid_answer(conn: Connection) -> None:
        _read_request(conn, kind)
        conn.send(_FIRST_BYTES[kind])
        time.sleep(0.05)  # let the bytes leave before the RST overtakes them
        conn.reset()

    return (
        ("reset-at-once", at_once),
        ("reset-after-first-bytes", after_first_bytes),
        ("reset-mid-answer", mid_answer),
    )


def _stall(conn: Connection) -> None:
    conn.hold()


_TRICKLE_HEAD: dict[Kind, bytes] = {
    "ssh": b"SSH-2.0-",
    "http": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n<html>",
    "tls": b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc\x03\x03",  # a 16 KiB record, a ServerHello of as much
    "raw": b"220 ",
}


def _trickle(kind: Kind) -> Behaviour:
    head = _TRICKLE_HEAD[kind]

    def behave(conn: Connection) -> None:
        _read_request(conn, kind)
        for i in itertools.count():  # ends with the connection, the byte cap or the deadline
            if not conn.send(head[i : i + 1] if i < len(head) else b"A") or conn.stop.wait(TRICKLE_EVERY):
                return

    return behave


def behaviours(mode: Mode, kind: Kind) -> tuple[tuple[str, Behaviour], ...]:
    """The variants of ``mode`` for a port that fakes ``kind``, in the order connections get them."""
    if mode == "huge-banner":
        return {
            "ssh": (("long-version", _ssh_long_version), ("pre-banner-lines", _ssh_pre_banner_lines)),
            "http": (
                ("endless-headers", _http_endless_headers),
                ("endless-header-line", _http_endless_header_line),
                ("endless-body", _http_endless_body),
            ),
            "tls": (("garbage", _tls_garbage), ("record-flood", _tls_record_flood)),
            "raw": (("endless-banner", _raw_endless_banner), ("endless-lines", _raw_endless_lines)),
        }[kind]
    if mode == "malformed-handshake":
        return {"ssh": _SSH_MALFORMED, "tls": _TLS_MALFORMED, "http": _HTTP_MALFORMED, "raw": _RAW_MALFORMED}[kind]
    if mode == "drop":
        return _drop_behaviours(kind)
    if mode == "trickle":
        return (("one-byte-at-a-time", _trickle(kind)),)
    return (("tarpit", _stall),)


# -- the server ------------------------------------------------------------------------------------


@dataclass
class Listener:
    sock: socket.socket
    address: str
    port: int
    kind: Kind
    variants: tuple[tuple[str, Behaviour], ...]
    accepted: int = 0


@dataclass
class HostileDevice:
    """Listens on every (address, port) and treats each connection to the mode's next variant."""

    mode: Mode
    addresses: Sequence[str]
    ports: Sequence[int]
    max_bytes: int = DEFAULT_MAX_BYTES
    max_seconds: float = DEFAULT_MAX_SECONDS
    stop: threading.Event = field(default_factory=threading.Event)
    listeners: list[Listener] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(MAX_CONNECTIONS))
    connections: int = 0
    refused: int = 0

    def listen(self) -> None:
        """Bind and listen on every address and port (raises OSError naming the one that failed)."""
        for address in self.addresses:
            family = socket.AF_INET6 if ip_address(address).version == 6 else socket.AF_INET
            for port in self.ports:
                s = socket.socket(family, socket.SOCK_STREAM)
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    if family == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # an IPv4 --bind may share the port
                    s.bind((address, port))
                    s.listen(64)
                    s.setblocking(False)
                except OSError as exc:
                    s.close()
                    self.close()
                    raise OSError(exc.errno, f"cannot listen on {address} port {port}: {exc.strerror}") from None
                kind = kind_for(port)
                self.listeners.append(Listener(s, address, port, kind, behaviours(self.mode, kind)))

    def serve(self) -> None:
        """Accept until stopped or ``max_seconds`` have passed; then wait (bounded) for the connections."""
        deadline = time.monotonic() + self.max_seconds
        with selectors.DefaultSelector() as sel:
            for listener in self.listeners:
                sel.register(listener.sock, selectors.EVENT_READ, listener)
            while not self.stop.is_set() and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=min(IO_SLICE, max(0.0, deadline - time.monotonic()))):
                    self._accept(key.data, deadline)
                self.threads = [t for t in self.threads if t.is_alive()]
        self.stop.set()
        self.close()
        end = time.monotonic() + 5 * IO_SLICE + 1
        for t in self.threads:
            t.join(max(0.0, end - time.monotonic()))

    def _accept(self, listener: Listener, deadline: float) -> None:
        try:
            sock, _ = listener.sock.accept()
        except OSError:  # the client gave up before we accepted, or no fd left
            return
        if not self.slots.acquire(blocking=False):
            self.refused += 1
            Connection(sock, self.stop, deadline, self.max_bytes).reset()
            return
        name, behave = listener.variants[listener.accepted % len(listener.variants)]
        listener.accepted += 1
        self.connections += 1
        t = threading.Thread(
            target=self._run, args=(behave, Connection(sock, self.stop, deadline, self.max_bytes)),
            name=f"{listener.kind}:{listener.port}:{name}", daemon=True,
        )
        self.threads.append(t)
        t.start()

    def _run(self, behave: Behaviour, conn: Connection) -> None:
        try:
            behave(conn)
        except OSError:
            pass  # whatever the client did to the connection, this device does not care
        finally:
            conn.sock.close()
            self.slots.release()

    def close(self) -> None:
        for listener in self.listeners:
            listener.sock.close()


def parse_ports(text: str) -> list[int]:
    """``22,80,443`` as a list of ports (each 1-65535, no repeats)."""
    ports: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise ValueError(f"'{part}' is not a TCP port (1-65535)")
        if int(part) not in ports:
            ports.append(int(part))
    if not ports:
        raise ValueError("no port given")
    return ports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m refbench.hostile", description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--bind", action="append", required=True, metavar="ADDR", help="an address to listen on")
    ap.add_argument("--ports", required=True, help="comma-separated TCP ports, e.g. 22,80,443,8443")
    ap.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, help="stop after this long")
    ap.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="bytes sent per connection at most")
    try:
        a = ap.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 4
    try:
        ports = parse_ports(a.ports)
        addresses = [str(ip_address(b)) for b in a.bind]
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 4
    if not 0 < a.max_seconds <= 86400 or not 0 < a.max_bytes <= 1 << 30:
        print("ERROR: --max-seconds must be in (0, 86400] and --max-bytes in (0, 1 GiB]", file=sys.stderr)
        return 4
    device = HostileDevice(a.mode, addresses, ports, max_bytes=a.max_bytes, max_seconds=a.max_seconds)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        device.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        device.listen()
    except OSError as exc:
        print(f"ERROR: {exc.strerror or exc}", file=sys.stderr)
        return 4
    print("ready", flush=True)
    device.serve()
    print(f"stopped: mode {a.mode}, {device.connections} connections, {device.refused} refused", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
