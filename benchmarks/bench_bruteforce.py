"""Overhead of the harness's login attempts against a bare paramiko login loop (issue 4 goal: <= 5%).

Both loops log in with wrong passwords to the same real SSH server (paramiko server, no delay) in the
test 'dut' namespace, from the lab namespace, alternating in rounds so load changes hit both alike.

    python benchmarks/bench_bruteforce.py [--attempts 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import sys
import time
from ipaddress import ip_network

import paramiko

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))  # for tests.netlab

from fixtures.labconfig import NetworkScope
from fixtures.net.logins import LoginTarget, attempt
from fixtures.scope import ScopeGuard
from tests.netlab import NetPair, two_namespaces


def bare(host: str, port: int, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        sock = socket.create_connection((host, port), timeout=15)
        t = paramiko.Transport(sock)
        try:
            t.start_client(timeout=15)
            with contextlib.suppress(paramiko.AuthenticationException):
                t.auth_password("admin", f"wrong-{i}")
        finally:
            t.close()
            sock.close()
    return (time.perf_counter() - start) / n


def harness(pair: NetPair, port: int, n: int) -> float:
    guard = ScopeGuard(NetworkScope(lab_interface=pair.lab_if, allowed_networks=[ip_network(pair.subnet)]),
                       [pair.dut_addr])
    target = LoginTarget(mechanism="ssh", kind="ssh", host=pair.dut_addr, port=port, username="admin")
    start = time.perf_counter()
    for i in range(n):
        attempt(target, f"wrong-{i}", guard, label="wrong")
    return (time.perf_counter() - start) / n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with two_namespaces("jcsbf") as pair:
        pair.start_in_dut([sys.executable, "-m", "tests.servers.login_server", "ssh", "2222", "--password", "x" * 12],
                          ready_port=2222)
        b, h = [], []
        for _ in range(args.rounds):
            b.append(pair.run_in_lab(bare, pair.dut_addr, 2222, args.attempts))
            h.append(pair.run_in_lab(harness, pair, 2222, args.attempts))
    mb, mh = statistics.median(b), statistics.median(h)
    print(f"{'loop':<24}{'median ms/attempt':>20}{'min':>10}{'max':>10}")
    print(f"{'bare paramiko':<24}{mb * 1000:>20.2f}{min(b) * 1000:>10.2f}{max(b) * 1000:>10.2f}")
    print(f"{'harness attempt()':<24}{mh * 1000:>20.2f}{min(h) * 1000:>10.2f}{max(h) * 1000:>10.2f}")
    print(f"overhead: {(mh / mb - 1) * 100:+.1f}% (goal <= +5%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
