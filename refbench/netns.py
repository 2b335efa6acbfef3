"""Bench network: subnet choice, namespaces, veth/bridge/tap wiring, sockets inside a namespace.

Layout::

    [lab netns jcsrb-lab]                 [dut netns jcsrb-dut]
      lo, rb-lab0 (.1) <---- veth ---->  rb-dut0 -- rb-br0 -- rb-tap0 <- QEMU (device .10)

The lab namespace holds only ``lo`` and the veth end, with no default route, so nothing sent from it
can leave the bench.  The dut namespace carries no addresses at all (IPv6 disabled), it only bridges.
"""

from __future__ import annotations

import ctypes
import ipaddress
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from refbench.config import (
    BRIDGE,
    DEVICE_HOST,
    DEVICE_HOST6,
    DUT_NETNS,
    DUT_VETH,
    LAB_HOST,
    LAB_HOST6,
    LAB_IF,
    LAB_NETNS,
    NETNS_PREFIX,
    SUBNET_CANDIDATES,
    TAP,
)
from refbench.errors import BenchError

CLONE_NEWNET = 0x40000000
_setns_lock = threading.Lock()


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise BenchError(f"'ip {' '.join(args)}' failed: {proc.stderr.strip()}")
    return proc


def host_routes() -> list[dict[str, Any]]:
    """All IPv4 and IPv6 routes of the host namespace (every table), as iproute2 JSON."""
    routes: list[dict[str, Any]] = []
    for fam in ("-4", "-6"):
        proc = _ip("-j", fam, "route", "show", "table", "all", check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            for r in json.loads(proc.stdout):
                r["family"] = fam
                routes.append(r)
    return routes


def _route_network(route: dict[str, Any]) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    dst = str(route.get("dst", ""))
    if dst in ("", "default") or route.get("type") == "multicast":
        return None  # why: a default route "overlaps" everything; it is not a conflict
    try:
        net = ipaddress.ip_network(dst, strict=False)
    except ValueError:
        return None
    return None if net.prefixlen == 0 else net


def pick_subnet(routes: Iterable[dict[str, Any]], candidates: Iterable[str] = SUBNET_CANDIDATES) -> str:
    """First candidate subnet that overlaps no (non-default) route; BenchError if none is free."""
    nets = [n for n in (_route_network(r) for r in routes) if n is not None]
    tried = []
    for cand in candidates:
        c = ipaddress.ip_network(cand)
        clash = [str(n) for n in nets if n.version == c.version and n.overlaps(c)]
        if not clash:
            return cand
        tried.append(f"{cand} (overlaps host route {', '.join(clash)})")
    raise BenchError("no free bench subnet: " + "; ".join(tried) + ". Remove the overlapping route or free one "
                     "of the candidate subnets; the bench never uses a subnet that the host routes elsewhere.")


def addresses(subnet: str) -> tuple[str, str]:
    """(lab address, device address) inside ``subnet``: ``.1``/``.10`` in IPv4, ``::1``/``::10`` in IPv6."""
    net = ipaddress.ip_network(subnet)
    lab, dut = (LAB_HOST, DEVICE_HOST) if net.version == 4 else (LAB_HOST6, DEVICE_HOST6)
    return str(net.network_address + lab), str(net.network_address + dut)


def list_namespaces() -> list[str]:
    """Names of all network namespaces."""
    proc = _ip("netns", "list", check=False)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def bench_namespaces() -> list[str]:
    """Namespaces that belong to a bench (by name prefix)."""
    return [n for n in list_namespaces() if n.startswith(NETNS_PREFIX)]


def netns_pids(name: str) -> list[int]:
    """Processes whose network namespace is ``name``."""
    proc = _ip("netns", "pids", name, check=False)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def _sysctl(ns: str, key: str, value: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"], capture_output=True,
                   check=False)


def create_network(subnet: str, subnet6: str | None) -> None:
    """Create both namespaces, the veth link, the bridge and the tap; verify the route."""
    lab, dut = addresses(subnet)
    prefix = ipaddress.ip_network(subnet).prefixlen
    _ip("netns", "add", LAB_NETNS)
    _ip("netns", "add", DUT_NETNS)
    _ip("-n", LAB_NETNS, "link", "set", "lo", "up")
    _ip("-n", DUT_NETNS, "link", "set", "lo", "up")
    # dut namespace: pure layer 2, no addresses of its own
    _sysctl(DUT_NETNS, "net.ipv6.conf.all.disable_ipv6", "1")
    _sysctl(DUT_NETNS, "net.ipv6.conf.default.disable_ipv6", "1")
    for key in ("accept_ra", "autoconf", "accept_dad"):
        _sysctl(LAB_NETNS, f"net.ipv6.conf.default.{key}", "0")
        _sysctl(LAB_NETNS, f"net.ipv6.conf.all.{key}", "0")
    _ip("link", "add", LAB_IF, "netns", LAB_NETNS, "type", "veth", "peer", "name", DUT_VETH, "netns", DUT_NETNS)
    _ip("-n", DUT_NETNS, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0")
    _ip("-n", DUT_NETNS, "link", "set", DUT_VETH, "master", BRIDGE)
    _ip("-n", DUT_NETNS, "tuntap", "add", "dev", TAP, "mode", "tap")
    _ip("-n", DUT_NETNS, "link", "set", TAP, "master", BRIDGE)
    for dev in (BRIDGE, DUT_VETH, TAP):
        _ip("-n", DUT_NETNS, "link", "set", dev, "up")
    _ip("-n", LAB_NETNS, "addr", "add", f"{lab}/{prefix}", "dev", LAB_IF)
    if subnet6:
        lab6, _ = addresses(subnet6)
        _ip("-n", LAB_NETNS, "-6", "addr", "add", f"{lab6}/64", "dev", LAB_IF, "nodad")
    _ip("-n", LAB_NETNS, "link", "set", LAB_IF, "up")
    verify_isolation(dut)


def verify_isolation(dut_address: str) -> None:
    """The lab namespace must route the device address via the bench veth and have nothing else."""
    proc = _ip("-n", LAB_NETNS, "-j", "route", "get", dut_address, check=False)
    dev = json.loads(proc.stdout)[0].get("dev") if proc.returncode == 0 and proc.stdout.strip() else None
    if dev != LAB_IF:
        raise BenchError(f"route check failed: 'ip route get {dut_address}' in {LAB_NETNS} names {dev!r}, "
                         f"not {LAB_IF}; refusing to run the bench")
    links = json.loads(_ip("-n", LAB_NETNS, "-j", "link", "show").stdout)
    names = sorted(str(li["ifname"]) for li in links)
    if names != sorted(["lo", LAB_IF]):
        raise BenchError(f"lab namespace has unexpected interfaces {names}")
    for fam in ("-4", "-6"):
        out = _ip("-n", LAB_NETNS, "-j", fam, "route", "show").stdout
        if out.strip() and any(r.get("dst") == "default" for r in json.loads(out)):
            raise BenchError(f"lab namespace has a default route ({fam}); refusing to run the bench")


def delete_namespaces(names: Iterable[str] | None = None) -> list[str]:
    """Kill every process inside the bench namespaces, then delete them (links go with them)."""
    removed = []
    for name in list(names) if names is not None else bench_namespaces():
        if name not in list_namespaces():
            continue
        for _ in range(20):
            pids = netns_pids(name)
            if not pids:
                break
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, 9)
            import time

            time.sleep(0.05)
        _ip("netns", "del", name, check=False)
        removed.append(name)
    return removed


@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Switch the *calling thread* into a network namespace and back (sockets made inside stay there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with _setns_lock:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        except FileNotFoundError as exc:
            os.close(own)
            raise BenchError(f"network namespace {name} does not exist (is the bench up?)") from exc
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed (needs root)")
            try:
                yield
            finally:
                if libc.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back failed")
        finally:
            os.close(target)
            os.close(own)


def netns_socket(name: str, family: int = socket.AF_INET, type_: int = socket.SOCK_STREAM) -> socket.socket:
    """A socket that lives in namespace ``name`` (usable from any thread afterwards)."""
    with in_netns(name):
        return socket.socket(family, type_)


def netns_connect(name: str, host: str, port: int, timeout: float = 5.0) -> socket.socket:
    """TCP connection from inside namespace ``name``."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = netns_socket(name, fam)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except OSError:
        s.close()
        raise
    return s
