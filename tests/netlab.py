"""A two-host test network for driver tests: a 'lab' and a 'dut' network namespace joined by a veth link.

Neither namespace has a route anywhere else, so nothing a test sends can leave the machine. Real
servers run in the 'dut' namespace; the code under test runs in the 'lab' namespace (in a forked
child that enters it), exactly as the harness does against a real device.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from fixtures import netns

T = TypeVar("T")

needs_netns = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2 (network namespaces)"
)


@dataclass
class NetPair:
    lab_ns: str
    dut_ns: str
    lab_if: str = "lab0"
    dut_if: str = "dut0"
    lab_addr: str = "198.51.100.1"
    dut_addr: str = "198.51.100.10"
    lab_addr6: str = "2001:db8:100::1"
    dut_addr6: str = "2001:db8:100::10"
    subnet: str = "198.51.100.0/24"
    subnet6: str = "2001:db8:100::/64"
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_in_dut(
        self, argv: list[str], ready_port: int | None = None, timeout: float = 10
    ) -> subprocess.Popen[bytes]:
        """Start a real server in the device namespace; wait until ``ready_port`` (TCP) listens."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.dut_ns, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        if ready_port is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                out = subprocess.run(
                    ["ip", "netns", "exec", self.dut_ns, "ss", "-Htln", f"sport = :{ready_port}"],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout
                if out.strip():
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"server {argv[0]} exited with {proc.returncode}")
                time.sleep(0.05)
            else:
                raise RuntimeError(f"server {argv[0]} did not listen on {ready_port} within {timeout} s")
        return proc

    def run_in_lab(self, fn: Callable[..., T], *args: Any, timeout: float = 120) -> T:
        """Run ``fn(*args)`` in a forked child inside the lab namespace and return its result."""
        return run_in_namespace(self.lab_ns, fn, *args, timeout=timeout)


def _child(ns: str, fn: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    try:
        netns.enter(ns)
        queue.put(("ok", fn(*args)))
    except BaseException as exc:  # report everything to the parent, including KeyboardInterrupt
        queue.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def run_in_namespace(ns: str, fn: Callable[..., T], *args: Any, timeout: float = 120) -> T:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(ns, fn, args, queue))
    proc.start()
    try:
        status, value = queue.get(timeout=timeout)
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    if status != "ok":
        raise AssertionError(f"in namespace {ns}: {value}")
    result: T = value
    return result


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _kill_namespace(ns: str) -> None:
    pids = subprocess.run(
        ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
    ).stdout.split()
    for pid in pids:
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


@contextmanager
def two_namespaces(prefix: str) -> Iterator[NetPair]:
    """Create the lab/dut namespaces (names start with ``prefix``); remove them and their processes after."""
    tag = f"{prefix}-{os.getpid()}"
    pair = NetPair(lab_ns=f"{tag}-lab", dut_ns=f"{tag}-dut")
    try:
        _ip("netns", "add", pair.lab_ns)
        _ip("netns", "add", pair.dut_ns)
        _ip(
            "link",
            "add",
            pair.lab_if,
            "netns",
            pair.lab_ns,
            "type",
            "veth",
            "peer",
            "name",
            pair.dut_if,
            "netns",
            pair.dut_ns,
        )
        for ns, ifname, a4, a6 in (
            (pair.lab_ns, pair.lab_if, pair.lab_addr, pair.lab_addr6),
            (pair.dut_ns, pair.dut_if, pair.dut_addr, pair.dut_addr6),
        ):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "addr", "add", f"{a4}/24", "dev", ifname)
            _ip("-n", ns, "addr", "add", f"{a6}/64", "dev", ifname, "nodad")
            _ip("-n", ns, "link", "set", ifname, "up")
        yield pair
    finally:
        for proc in pair.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        _kill_namespace(pair.dut_ns)
        _kill_namespace(pair.lab_ns)


@pytest.fixture
def netpair(request: pytest.FixtureRequest) -> Iterator[NetPair]:
    """A fresh lab/dut namespace pair for one test (needs root)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 (network namespaces)")
    with two_namespaces("jcst") as pair:
        yield pair
