"""Time our full TLS assessment of one server against testssl.sh on the same server, in the same run.

    sudo python benchmarks/bench_tls.py [--rounds 3]

Needs root (network namespaces), openssl and, for the comparison, testssl.sh (Debian package testssl.sh).
It builds the same isolated lab/dut namespace pair the tests use, starts `openssl s_server` in the dut
namespace (OpenSSL's default configuration, and the weak TLS 1.0 / 1024-bit configuration), and runs
both tools from the lab namespace against the dut address only. It also measures the parser decision
noted in fixtures/net/tls_records.py: our flight parser against scapy's TLS layer on the same bytes.
Everything it starts is stopped, and the namespaces removed, when it ends.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from ipaddress import ip_network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.labconfig import NetworkScope
from fixtures.net.tls_probe import TlsAssessment, assess_tls
from fixtures.net.tls_records import parse_server_flight
from fixtures.scope import ScopeGuard
from tests.netlab import NetPair, two_namespaces

SERVERS = {
    "openssl default (TLS1.2+1.3)": ("rsa:2048", "sha256", ()),
    "weak (TLS1.0, AES128-SHA, RSA-1024)": (
        "rsa:1024",
        "sha1",
        ("-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"),
    ),
    "legacy (TLS1.0-1.2, NULL and anon too)": (
        "rsa:1024",
        "sha1",
        ("-no_tls1_3", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"),
    ),
}


def _assess(host: str, port: int, guard: ScopeGuard) -> TlsAssessment:
    return assess_tls(host, port, guard, timeout=5)


def _cert(folder: Path, name: str, newkey: str, digest: str) -> tuple[str, str]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            newkey,
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "7",
            "-subj",
            f"/CN={name}",
            f"-{digest}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


def _timed(fn: Callable[[], object], rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_server(pair: NetPair, port: int, folder: Path, label: str, rounds: int) -> list[str]:
    newkey, digest, options = SERVERS[label]
    cert, key = _cert(folder, f"s{port}", newkey, digest)
    pair.start_in_dut(
        ["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-quiet", *options],
        ready_port=port,
    )
    scope = NetworkScope(lab_interface=pair.lab_if, allowed_networks=[ip_network(pair.subnet)])
    guard = ScopeGuard(scope, [pair.dut_addr])
    ours_s, ours = _timed(lambda: pair.run_in_lab(_assess, pair.dut_addr, port, guard, timeout=300), rounds)
    assert isinstance(ours, TlsAssessment)
    suites = sum(len(p.suites) for p in ours.protocols)
    rows = [
        f"| {label} | this harness (assess_tls) | {ours_s:.2f} | {ours.probes} | "
        f"{', '.join(ours.accepted_versions)}; {suites} suites |"
    ]
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl is None:
        rows.append(f"| {label} | testssl.sh | not installed | - | - |")
        return rows
    argv = [
        "ip",
        "netns",
        "exec",
        pair.lab_ns,
        testssl,
        "--quiet",
        "--warnings",
        "off",
        "--color",
        "0",
        "-p",
        "-E",
        "-f",
        "-S",
        "--connect-timeout",
        "5",
        "--openssl-timeout",
        "5",
        f"{pair.dut_addr}:{port}",
    ]
    version = subprocess.run([testssl, "--version"], capture_output=True, text=True, check=False).stdout
    ver = next((w for w in version.split() if w[:1].isdigit()), "?")
    their_s, _ = _timed(lambda: subprocess.run(argv, capture_output=True, timeout=900, check=False), rounds)
    rows.append(f"| {label} | testssl.sh {ver} (-p -E -f -S) | {their_s:.2f} | - | same scope |")
    return rows


def bench_parser(der: bytes, rounds: int = 2000) -> list[str]:
    """Our parser vs scapy's TLS layer on one TLS 1.2 first flight (ServerHello .. ServerHelloDone)."""

    def hs(mtype: int, body: bytes) -> bytes:
        return bytes([mtype]) + len(body).to_bytes(3, "big") + body

    hello = hs(2, b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\xc0\x2f\x00")
    chain = len(der).to_bytes(3, "big") + der
    point = b"\x04" + b"\x01" * 64
    ske = hs(12, b"\x03\x00\x17" + bytes([len(point)]) + point + b"\x08\x04\x01\x00" + b"s" * 256)
    msgs = hello + hs(11, len(chain).to_bytes(3, "big") + chain) + ske + hs(14, b"")
    data = struct.pack("!BHH", 22, 0x0303, len(msgs)) + msgs
    start = time.perf_counter()
    for _ in range(rounds):
        parse_server_flight(data)
    ours_us = (time.perf_counter() - start) / rounds * 1e6
    start = time.perf_counter()
    from scapy.layers.tls.record import TLS

    import_s = time.perf_counter() - start
    scapy_rounds = max(1, rounds // 20)
    start = time.perf_counter()
    for _ in range(scapy_rounds):
        TLS(data)  # type: ignore[no-untyped-call]
    scapy_us = (time.perf_counter() - start) / scapy_rounds * 1e6
    return [
        f"| flight parser ({len(data)} bytes) | fixtures.net.tls_records | {ours_us:.0f} µs per flight | - |",
        f"| flight parser ({len(data)} bytes) | scapy TLS layer | {scapy_us:.0f} µs per flight | "
        f"import {import_s * 1000:.0f} ms |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="repetitions per tool (the median is shown)")
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        print("needs the openssl command", file=sys.stderr)
        return 2
    rows = ["| server | tool | seconds | connections | result |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp, two_namespaces("bench") as pair:
        for index, label in enumerate(SERVERS):
            rows += bench_server(pair, 4433 + index, Path(tmp), label, args.rounds)
        cert = Path(tmp) / "s4433.pem"
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        der = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(Encoding.DER)
    print("\n".join(rows))
    print()
    print("| what | parser | time | note |\n|---|---|---|---|")
    print("\n".join(bench_parser(der)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
