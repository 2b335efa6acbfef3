"""Small clients that talk to the bench device from inside the lab namespace (tests, benchmark, CLI).

Every socket is created inside ``info.lab_netns`` (thread-local ``setns``), so traffic takes the
bench veth and nothing else; the calling process stays in its own namespace.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import subprocess
import warnings
from typing import Any

from refbench.bench import BenchInfo
from refbench.netns import netns_connect, netns_socket


def insecure_tls_context(*, legacy: bool = False) -> ssl.SSLContext:
    """Client context that accepts the device's self-signed certificate (lab use)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


class _NetnsHTTPS(http.client.HTTPSConnection):
    def __init__(self, netns: str, host: str, port: int, ctx: ssl.SSLContext | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ctx or insecure_tls_context(legacy=True))
        self._netns = netns

    def connect(self) -> None:
        raw = netns_connect(self._netns, self.host, self.port, self.timeout or 10)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class _NetnsHTTP(http.client.HTTPConnection):
    def __init__(self, netns: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._netns = netns

    def connect(self) -> None:
        self.sock = netns_connect(self._netns, self.host, self.port, self.timeout or 10)


def device_host(info: BenchInfo, ipv6: bool = False) -> str:
    """The device address to talk to: IPv4, or IPv6 if asked (an error if the bench has none)."""
    if not ipv6:
        return info.dut_address
    if not info.dut_ipv6:
        raise ValueError("the bench has no IPv6 subnet")
    return info.dut_ipv6


def http_request(info: BenchInfo, method: str, path: str, body: bytes | dict[str, Any] | None = None, *,
                 token: str | None = None, headers: dict[str, str] | None = None, tls: bool = True,
                 port: int | None = None, ctx: ssl.SSLContext | None = None,
                 timeout: float = 20.0, ipv6: bool = False) -> tuple[int, dict[str, str], bytes]:
    """One HTTP(S) request to the device; a dict body is sent as JSON.  Returns (status, headers, body)."""
    host = device_host(info, ipv6)
    hdrs = dict(headers or {})
    data: bytes | None
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    else:
        data = body
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    conn: http.client.HTTPConnection
    if tls:
        conn = _NetnsHTTPS(info.lab_netns, host, port or 443, ctx, timeout)
    else:
        conn = _NetnsHTTP(info.lab_netns, host, port or 80, timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def api_login(info: BenchInfo, password: str, *, tls: bool = True, ctx: ssl.SSLContext | None = None) -> str:
    """REST login; returns the bearer token (raises RuntimeError on a non-200 answer)."""
    status, _, body = http_request(info, "POST", "/api/v1/login", {"username": info.admin_user,
                                                                    "password": password}, tls=tls, ctx=ctx)
    if status != 200:
        raise RuntimeError(f"login failed with HTTP {status}: {body[:200]!r}")
    return str(json.loads(body)["token"])


def tcp_port_open(info: BenchInfo, port: int, *, ipv6: bool = False, timeout: float = 2.0) -> bool:
    """TCP connect test from the lab namespace."""
    try:
        netns_connect(info.lab_netns, device_host(info, ipv6), port, timeout).close()
        return True
    except OSError:
        return False


def udp_probe(info: BenchInfo, port: int, payload: bytes = b"probe\n", timeout: float = 2.0) -> bytes | None:
    """Send one UDP datagram and return the first answer (None if nothing came back)."""
    s = netns_socket(info.lab_netns, socket.AF_INET, socket.SOCK_DGRAM)
    with s:
        s.settimeout(timeout)
        s.sendto(payload, (info.dut_address, port))
        try:
            return s.recvfrom(65536)[0]
        except OSError:
            return None


def ssh_client(info: BenchInfo, password: str, *, user: str | None = None, timeout: float = 20.0,
               ipv6: bool = False) -> Any:
    """Logged-in paramiko SSHClient (socket made in the lab namespace)."""
    import paramiko

    host = device_host(info, ipv6)
    sock = netns_connect(info.lab_netns, host, 22, timeout)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, username=user or info.admin_user, password=password, sock=sock,
                   look_for_keys=False, allow_agent=False, timeout=timeout, auth_timeout=timeout,
                   banner_timeout=timeout)
    return client


def ssh_run(info: BenchInfo, password: str, command: str, *, ipv6: bool = False) -> tuple[int, str]:
    """Run one device CLI command over SSH: (exit status, output)."""
    c = ssh_client(info, password, ipv6=ipv6)
    try:
        _, out, err = c.exec_command(command, timeout=30)
        text = out.read().decode() + err.read().decode()
        return out.channel.recv_exit_status(), text
    finally:
        c.close()


def snmp(info: BenchInfo, op: str, value: int | None = None, *, version: str = "2c") -> str:
    """snmpget/snmpset on the PDU's outlet OID from the lab namespace (net-snmp CLI tools)."""
    oid = f".1.3.6.1.4.1.318.1.1.4.4.2.1.3.{info.pdu_outlet}"
    if version == "3":
        auth = ["-v3", "-l", "authPriv", "-u", info.pdu_v3_user, "-a", info.pdu_v3_auth_protocol, "-A",
                info.pdu_v3_auth, "-x", info.pdu_v3_priv_protocol, "-X", info.pdu_v3_priv]
    else:
        auth = ["-v2c", "-c", info.pdu_community]
    cmd = ["ip", "netns", "exec", info.lab_netns, "snmpset" if op == "set" else "snmpget", *auth, "-Ovq",
           f"{info.pdu_host}:{info.pdu_port}", oid]
    if op == "set":
        cmd += ["i", str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[4]} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def read_until(port: Any, patterns: tuple[bytes, ...], timeout: float) -> bytes:
    """Read from a pyserial port until one of ``patterns`` appears (or the timeout passes)."""
    import time

    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = port.read(port.in_waiting or 1)
        if chunk:
            buf += chunk
            if any(p in buf for p in patterns):
                break
    return buf


def console_command(info: BenchInfo, password: str | None, command: str, timeout: float = 30.0) -> str:
    """Log in on the UART (pyserial, like a USB-serial adapter), run one command, log out; returns the
    transcript.  With ``password=None`` it only sends ENTER and the command (for a shell without login)."""
    import serial

    port = serial.serial_for_url(info.serial_url, baudrate=115200, timeout=0.2)
    try:
        port.reset_input_buffer()
        out = b""
        port.write(b"\r")
        if password is not None:
            out += read_until(port, (b"login: ",), timeout)
            port.write(info.admin_user.encode() + b"\r")
            out += read_until(port, (b"Password: ",), timeout)
            port.write(password.encode() + b"\r")
            out += read_until(port, (b"rb100> ", b"Login incorrect"), timeout)
        else:
            out += read_until(port, (b"# ", b"$ "), timeout)
        port.write(command.encode() + b"\r")
        out += read_until(port, (b"rb100> ", b"# "), timeout)
        if password is not None:
            port.write(b"exit\r")
            out += read_until(port, (b"login: ",), 5)
        return out.decode("utf-8", "replace")
    finally:
        port.close()
