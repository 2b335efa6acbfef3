"""A login server for driver tests: SSH (paramiko), HTTP form login, telnet or MQTT, with optional
brute-force protection (a fixed delay after each failure, and a lockout after N failures).

    python -m tests.servers.login_server KIND PORT --user admin --password PW [--delay S]
        [--lock-after N --lock-seconds S] [--ipv6]

Not a device model: just enough of each protocol, spoken for real, to test the harness's drivers.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paramiko


class Guard:
    """Failure counting shared by every connection: delay and lockout. Also holds the current password,
    which an authenticated client may change (SSH `passwd-set NEW`, HTTP POST /api/password)."""

    def __init__(self, delay: float, lock_after: int, lock_seconds: float) -> None:
        self.delay, self.lock_after, self.lock_seconds = delay, lock_after, lock_seconds
        self.failures = 0
        self.locked_until = 0.0
        self.lock = threading.Lock()
        self.password = ""

    def check(self, ok: bool) -> bool:
        with self.lock:
            if time.monotonic() < self.locked_until:
                ok_now = False
            else:
                ok_now = ok
                if ok:
                    self.failures = 0
                else:
                    self.failures += 1
                    if self.lock_after and self.failures >= self.lock_after:
                        self.locked_until = time.monotonic() + self.lock_seconds
                        self.failures = 0
        if not ok_now and self.delay:
            time.sleep(self.delay)
        return ok_now


def serve_ssh(port: int, user: str, password: str, guard: Guard, family: int) -> None:
    host_key = paramiko.ECDSAKey.generate()

    class Server(paramiko.ServerInterface):
        def check_auth_password(self, username: str, pw: str) -> int:
            ok = guard.check(username == user and pw == guard.password)
            return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

        def get_allowed_auths(self, username: str) -> str:
            return "password"

        def check_channel_request(self, kind: str, chanid: int) -> int:
            return (
                paramiko.OPEN_SUCCEEDED
                if kind == "session"
                else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
            )

        def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes | str) -> bool:
            # Answer after paramiko has confirmed the request, as a real server's child process would.
            threading.Thread(
                target=run_command,
                args=(channel, command.decode() if isinstance(command, bytes) else command),
                daemon=True,
            ).start()
            return True

    def run_command(channel: paramiko.Channel, cmd: str) -> None:
        time.sleep(0.05)
        if cmd.startswith("passwd-set "):
            guard.password = cmd.split(" ", 1)[1]
            channel.sendall(b"password changed\n")
        else:
            channel.sendall(f"ran: {cmd}\n".encode())
        channel.send_exit_status(0)
        channel.close()

    def handle(conn: socket.socket) -> None:
        t = paramiko.Transport(conn)
        t.add_server_key(host_key)
        try:
            t.start_server(server=Server())
            chan = t.accept(20)  # keep a reference: a collected channel closes itself
            while t.is_active() and chan is not None:
                time.sleep(0.1)
        except Exception:
            pass
        finally:
            t.close()

    listen(port, family, handle)


def listen(port: int, family: int, handle) -> None:  # type: ignore[no-untyped-def]
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def serve_http(port: int, user: str, password: str, guard: Guard, family: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: bytes, cookie: str | None = None) -> None:
            self.send_response(status)
            if cookie:
                self.send_header("Set-Cookie", f"session={cookie}; HttpOnly")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length", 0)), 65536)
            raw = self.rfile.read(length).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                fields = json.loads(raw)
            else:
                fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
            if self.path == "/api/password":
                if self.headers.get("Cookie", "") != f"session={SESSION}":
                    self.reply(401, b"login first")
                    return
                guard.password = fields["new_password"]
                self.reply(200, b"password changed")
                return
            ok = guard.check(fields.get("username") == user and fields.get("password") == guard.password)
            if ok:
                self.reply(200, b"<p>Welcome, administrator</p>", cookie=SESSION)
            else:
                self.reply(401, b"<p>Login failed</p>")

    class Server(ThreadingHTTPServer):
        address_family = family

    SESSION = secrets.token_hex(8)
    Server(("::" if family == socket.AF_INET6 else "0.0.0.0", port), Handler).serve_forever()


def serve_telnet(port: int, user: str, password: str, guard: Guard, family: int) -> None:
    def handle(conn: socket.socket) -> None:
        f = conn.makefile("rb")
        try:
            conn.sendall(bytes([255, 251, 1, 255, 251, 3]) + b"\r\ndevice login: ")
            line = f.readline()
            while b"\xff" in line:  # drop the client's 3-byte option answers (IAC WONT/DONT x)
                i = line.index(b"\xff")
                line = line[:i] + line[i + 3 :]
            name = line.strip().decode(errors="replace")
            conn.sendall(b"Password: ")
            pw = f.readline().strip().decode(errors="replace")
            if guard.check(name == user and pw == guard.password):
                conn.sendall(b"\r\nBusyBox built-in shell\r\n# ")
                time.sleep(0.5)
            else:
                conn.sendall(b"\r\nLogin incorrect\r\ndevice login: ")
        except OSError:
            pass
        finally:
            conn.close()

    listen(port, family, handle)


def serve_mqtt(port: int, user: str, password: str, guard: Guard, family: int) -> None:
    def handle(conn: socket.socket) -> None:
        try:
            data = conn.recv(1024)
            body = data[2:]
            pos = 2 + int.from_bytes(body[0:2], "big") + 4  # protocol name, level, flags, keepalive
            fields = []
            while pos + 2 <= len(body):
                n = int.from_bytes(body[pos : pos + 2], "big")
                fields.append(body[pos + 2 : pos + 2 + n].decode(errors="replace"))
                pos += 2 + n
            ok = len(fields) >= 3 and guard.check(fields[1] == user and fields[2] == guard.password)
            conn.sendall(bytes([0x20, 2, 0, 0 if ok else 5]))
        except OSError:
            pass
        finally:
            conn.close()

    listen(port, family, handle)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["ssh", "http", "telnet", "mqtt"])
    p.add_argument("port", type=int)
    p.add_argument("--user", default="admin")
    p.add_argument("--password", required=True)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--lock-after", type=int, default=0)
    p.add_argument("--lock-seconds", type=float, default=0.0)
    p.add_argument("--ipv6", action="store_true")
    a = p.parse_args()
    guard = Guard(a.delay, a.lock_after, a.lock_seconds)
    guard.password = a.password
    family = socket.AF_INET6 if a.ipv6 else socket.AF_INET
    {"ssh": serve_ssh, "http": serve_http, "telnet": serve_telnet, "mqtt": serve_mqtt}[a.kind](
        a.port, a.user, a.password, guard, family
    )


if __name__ == "__main__":
    main()
