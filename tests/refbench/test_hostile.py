"""The harness's network code against a hostile device (issue 8): ``refbench.hostile`` runs in the test
'dut' namespace, one instance per mode at its own addresses, and every entry point of ``fixtures/net``
that talks to a device runs against it from the 'lab' namespace, in forked children with a time limit.

For each (mode, entry point) the test proves three things: the entry point returns, or raises only the
harness's own clean errors (an ``Inconclusive`` subclass, or what its docstring promises); it ends
within a bounded time (a hang fails the test instead of hanging CI); and it keeps bounded data (the
sizes of what its result stores, and the child's peak memory growth while the device sends up to
32 MiB per connection). No login against the hostile device is ever ACCEPTED, no TLS version ever
supported, no SSH service ever assessed: a hostile device can make a unit INCONCLUSIVE, never PASS.

Entry points that open one connection per call run once per variant of the mode (the device takes its
variants in turn, one per connection), so each of them meets every variant. To keep the file fast,
the five modes of one entry point run at the same time, each against its own device.

This is no bench test: it uses tests/netlab.py's throwaway namespaces, not the reference bench.
"""

from __future__ import annotations

import multiprocessing
import select
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from fixtures import netns
from fixtures.labconfig import NetworkScope
from fixtures.net.discovery import discover
from fixtures.net.logins import Attempt, LoginTarget, Outcome, attempt
from fixtures.net.services import MAX_BANNER, TEXT_LIMIT, http_get, identify_services
from fixtures.net.ssh_audit import MAX_LINE, assess_ssh
from fixtures.net.tls_probe import assess_tls
from fixtures.net.vulnscan import nmap_vuln_scan
from fixtures.net.webaccess import MAX_BODY, MAX_PAGES, WebClient, crawl
from fixtures.profile import HttpLogin
from fixtures.scope import ScopeGuard
from fixtures.verdict import Inconclusive
from refbench.hostile import MODES, behaviours, kind_for, main
from tests.netlab import NetPair, needs_netns, two_namespaces

pytestmark = needs_netns

PORTS = {"ssh": 22, "http": 80, "tls": 443, "raw": 2323}
TIMEOUT = 1.0  # each connection of an entry point: short, so that the stall and trickle modes cost little
WALL_LIMIT = 20.0  # the longest an entry point may take against any mode, all its variants together
MEMORY_LIMIT = 24 * 1024 * 1024  # peak memory growth of a child; the device sends up to 32 MiB a connection
TEXT_CAP = TEXT_LIMIT + 32  # a sanitised banner with its "…[n more characters]" note


@dataclass(frozen=True)
class HostileLab:
    pair: NetPair
    guard: ScopeGuard
    address: dict[str, str]  # mode -> the hostile device's IPv4 address for that mode
    address6: dict[str, str]
    folder: Path  # for the files an entry point writes (nmap's XML)


@dataclass(frozen=True)
class Ran:
    """What one entry point did against one mode (all its calls), measured in the lab child."""

    calls: int
    raised: list[str]  # "Type: message" of each call that raised
    clean: bool  # every call returned, or raised only what the entry point may raise
    seconds: float  # all calls together
    memory_growth: int  # bytes: peak resident size minus the size at the start
    sizes: dict[str, int] = field(default_factory=dict)  # the largest of what the results keep
    outcomes: list[str] = field(default_factory=list)  # a login's outcome, the protocols found ...


def start_hostile(pair: NetPair, mode: str, binds: list[str], timeout: float = 10) -> subprocess.Popen[bytes]:
    """Start refbench.hostile in the dut namespace and wait for its "ready" line."""
    argv = [sys.executable, "-m", "refbench.hostile", "--mode", mode, "--ports", ",".join(map(str, PORTS.values())),
            "--max-seconds", "600"]
    for b in binds:
        argv += ["--bind", b]
    proc = subprocess.Popen(["ip", "netns", "exec", pair.dut_ns, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    pair.procs.append(proc)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else b""
    if line.strip() != b"ready":
        proc.kill()
        _, err = proc.communicate(timeout=5)
        raise RuntimeError(f"refbench.hostile --mode {mode} did not get ready: {line!r} {err!r}")
    return proc


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileLab]:
    """One hostile device per mode, each at its own IPv4 and IPv6 address in the dut namespace."""
    with two_namespaces("jcst") as pair:
        address = {m: f"198.51.100.{21 + i}" for i, m in enumerate(MODES)}
        address6 = {m: f"2001:db8:100::{21 + i:x}" for i, m in enumerate(MODES)}
        for m in MODES:
            for a, plen in ((address[m], 24), (address6[m], 64)):
                subprocess.run(["ip", "-n", pair.dut_ns, "addr", "add", f"{a}/{plen}", "dev", pair.dut_if, "nodad"],
                               check=True, capture_output=True)
        for m in MODES:
            start_hostile(pair, m, [address[m], address6[m]])
        scope = NetworkScope(lab_interface=pair.lab_if,
                             allowed_networks=[ip_network(pair.subnet), ip_network(pair.subnet6)])
        guard = ScopeGuard(scope, [*address.values(), *address6.values()])
        yield HostileLab(pair, guard, address, address6, tmp_path_factory.mktemp("hostile"))


# -- the entry points, as run in the lab child ----------------------------------------------------
# Each takes (address, guard, folder) and returns (sizes of what its result keeps, an outcome text).

Call = Callable[[str, ScopeGuard, Path], tuple[dict[str, int], str]]


@dataclass(frozen=True)
class Entry:
    call: Call
    may_raise: tuple[type[BaseException], ...] = ()  # besides returning
    port: int | None = None  # one connection per call, to this port: run once per variant
    limit: float = WALL_LIMIT


def _identify(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    found = identify_services(addr, PORTS.values(), guard, timeout=TIMEOUT, banner_wait=0.3)
    sizes = {
        "banner": max(len(s.banner) for s in found),
        "banner_bytes": max(s.banner_bytes for s in found),
        "detail": max(len(s.detail) for s in found),
        "server": max(len(s.server or "") for s in found),
        "probes": max(len("; ".join(s.probes)) for s in found),
    }
    return sizes, ",".join(f"{s.port}:{s.protocol}" for s in found)


def _http_get(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    status, body, how = http_get(addr, PORTS["http"], "/", guard, timeout=TIMEOUT, max_bytes=MAX_BODY)
    return {"body": len(body)}, f"{status} ({how})"


def _assess_ssh(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    a = assess_ssh(addr, PORTS["ssh"], guard, timeout=TIMEOUT)
    return {"identification": len(a.identification)}, "assessed"


def _assess_tls(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    a = assess_tls(addr, PORTS["tls"], guard, timeout=TIMEOUT, max_seconds=10)
    return {"anomalies": len("; ".join(a.anomalies))}, "supported: " + ",".join(a.accepted_versions)


def _login(kind: str, port: int, tls: bool = False) -> Call:
    http = HttpLogin(login_path="/login", success_status=[200], success_text="Welcome, admin")

    def run(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
        target = LoginTarget(mechanism=kind, kind=kind, host=addr, port=port, tls=tls,  # type: ignore[arg-type]
                             username="admin", http=http if kind.startswith("http") else None)
        a: Attempt = attempt(target, "hostile-test", guard, label="test", timeout=TIMEOUT)
        return {"detail": len(a.detail)}, a.outcome.value

    return run


def _web_request(port: int, tls: bool) -> Call:
    def run(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
        status, headers, body = WebClient(addr, port, tls, guard, timeout=TIMEOUT).request("GET", "/")
        return {"body": len(body), "headers": sum(map(len, headers.values()))}, str(status)

    return run


def _web_crawl(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    pages = crawl(WebClient(addr, PORTS["http"], False, guard, timeout=TIMEOUT), {}, ["/"])
    return {"pages": len(pages)}, f"{len(pages)} pages"


def _discover(addr: str, guard: ScopeGuard, _: Path) -> tuple[dict[str, int], str]:
    r = discover(guard, [addr], tcp_ports=list(PORTS.values()), udp_ports=[53], tcp_method="connect",
                 service_timeout=TIMEOUT, banner_wait=0.3, mdns=False, ssdp=False)
    sizes = {"banner": max((len(s.banner) for s in r.services), default=0),
             "banner_bytes": max((s.banner_bytes for s in r.services), default=0),
             "summary": len(r.summary())}
    return sizes, f"open {r.open_ports('tcp')}: " + ",".join(f"{s.port}:{s.protocol}" for s in r.services)


def _vuln_scan(addr: str, guard: ScopeGuard, folder: Path) -> tuple[dict[str, int], str]:
    r = nmap_vuln_scan(addr, list(PORTS.values()), [], guard, "lab0", folder / f"nmap-{addr}.xml",
                       host_timeout=10, script_timeout=5, max_rate=300)
    return {"findings": len(r.findings)}, f"complete={r.complete}"


ENTRIES: dict[str, Entry] = {
    "identify_services": Entry(_identify),  # "nothing the device sends can raise out of identify_service"
    "http_get": Entry(_http_get, (OSError, TimeoutError), PORTS["http"]),  # its docstring: cannot connect
    "assess_ssh": Entry(_assess_ssh, (Inconclusive,), PORTS["ssh"]),
    "assess_tls": Entry(_assess_tls, (Inconclusive,)),
    "login_ssh": Entry(_login("ssh", PORTS["ssh"]), (), PORTS["ssh"]),  # "never raises for what the device answers"
    "login_http_form": Entry(_login("http_form", PORTS["http"]), (), PORTS["http"]),
    "login_https_basic": Entry(_login("http_basic", PORTS["tls"], tls=True), (), PORTS["tls"]),
    "login_telnet": Entry(_login("telnet", PORTS["raw"]), (), PORTS["raw"]),
    "login_mqtt": Entry(_login("mqtt", PORTS["raw"]), (), PORTS["raw"]),
    "web_request_http": Entry(_web_request(PORTS["http"], tls=False), (Inconclusive,), PORTS["http"]),
    "web_request_https": Entry(_web_request(PORTS["tls"], tls=True), (Inconclusive,), PORTS["tls"]),
    "web_crawl": Entry(_web_crawl, (Inconclusive,)),
    "discover": Entry(_discover, (Inconclusive,)),
    "nmap_vuln_scan": Entry(_vuln_scan, (Inconclusive,), limit=40),
}


def _rss(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _measure(entry: Entry, mode: str, addr: str, guard: ScopeGuard, folder: Path) -> Ran:
    """In the lab child: the entry point, once per variant if it opens one connection per call."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident size (VmHWM) to now
    start_rss = _rss("VmRSS")
    calls = len(behaviours(mode, kind_for(entry.port))) if entry.port else 1  # type: ignore[arg-type]
    raised: list[str] = []
    clean = True
    sizes: dict[str, int] = {}
    outcomes: list[str] = []
    start = time.monotonic()
    for _ in range(calls):
        try:
            got, outcome = entry.call(addr, guard, folder)
        except Exception as exc:
            raised.append(f"{type(exc).__name__}: {str(exc)[:300]}")
            clean = clean and isinstance(exc, entry.may_raise)
            outcomes.append(type(exc).__name__)
            continue
        outcomes.append(outcome[:300])
        for key, size in got.items():
            sizes[key] = max(size, sizes.get(key, 0))
    return Ran(calls, raised, clean, round(time.monotonic() - start, 3), max(0, _rss("VmHWM") - start_rss),
               sizes, outcomes)


def _child(ns: str, fn: Callable[..., Any], args: tuple[Any, ...], pipe: Any) -> None:
    try:
        netns.enter(ns)
        pipe.send(("ok", fn(*args)))
    except BaseException as exc:
        pipe.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def run_against_modes(lab: HostileLab, name: str, ipv6: bool = False) -> dict[str, Ran | str]:
    """Run entry point ``name`` against every mode's device at once, each in its own lab child. A mode
    whose child has not answered within the entry's limit (plus a margin) gets a text saying so."""
    entry = ENTRIES[name]
    ctx = multiprocessing.get_context("fork")
    children = {}
    for mode in MODES:
        addr = (lab.address6 if ipv6 else lab.address)[mode]
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(lab.pair.lab_ns, _measure, (entry, mode, addr, lab.guard, lab.folder),
                                                sender))
        proc.start()
        sender.close()
        children[mode] = (proc, receiver)
    deadline = time.monotonic() + entry.limit + 15
    results: dict[str, Ran | str] = {}
    for mode, (proc, receiver) in children.items():
        if receiver.poll(max(0.0, deadline - time.monotonic())):
            try:
                status, value = receiver.recv()
            except EOFError:
                status, value = "error", "the child ended without an answer"
            results[mode] = value if status == "ok" else f"{status}: {value}"
        else:
            results[mode] = f"{name} against {mode} did not end within {entry.limit + 15:g} s: the harness hangs"
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    return results


@pytest.fixture(scope="module")
def outcomes(hostile: HostileLab) -> Callable[[str], dict[str, Ran | str]]:
    """Each entry point's results against every mode, run on first use."""
    cache: dict[str, dict[str, Ran | str]] = {}

    def get(name: str) -> dict[str, Ran | str]:
        if name not in cache:
            cache[name] = run_against_modes(hostile, name)
        return cache[name]

    return get


def check_bounded(name: str, ran: Ran) -> None:
    """What the result keeps is capped, whatever the device sent."""
    assert ran.memory_growth < MEMORY_LIMIT, f"{name} grew by {ran.memory_growth} bytes: {ran}"
    caps = {
        "banner": TEXT_CAP,
        "banner_bytes": MAX_BANNER,
        "detail": 500,
        "server": 300,
        "probes": 2000,
        "body": MAX_BODY,
        "headers": 100 * 65536,
        "pages": MAX_PAGES,
        "identification": MAX_LINE,
        "anomalies": 20000,
        "summary": 20000,
        "findings": 0,  # nmap must not report a hostile device's garbage as a vulnerability
    }
    for key, size in ran.sizes.items():
        assert size <= caps[key], f"{name}: {key} keeps {size} (cap {caps[key]}): {ran}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(ENTRIES))
def test_entry_point_survives_the_hostile_device(
    outcomes: Callable[[str], dict[str, Ran | str]], name: str, mode: str
) -> None:
    if name == "nmap_vuln_scan" and subprocess.run(["which", "nmap"], capture_output=True).returncode != 0:
        pytest.skip("needs nmap")
    ran = outcomes(name)[mode]
    assert isinstance(ran, Ran), ran
    entry = ENTRIES[name]
    assert ran.clean, f"{name} against {mode} raised {ran.raised} (allowed: {[t.__name__ for t in entry.may_raise]})"
    assert ran.seconds < entry.limit, f"{name} against {mode} took {ran.seconds} s (limit {entry.limit} s): {ran}"
    check_bounded(name, ran)
    if name.startswith("login_"):
        assert Outcome.ACCEPTED.value not in ran.outcomes, f"a hostile device's {name} counted as a login: {ran}"
    if name == "assess_tls":
        assert all(o == "supported: " for o in ran.outcomes if o.startswith("supported")), \
            f"a hostile device 'supports' TLS: {ran}"
    if name == "assess_ssh":
        assert "assessed" not in ran.outcomes, f"a hostile device was assessed as an SSH service: {ran}"


def test_every_mode_listens_on_ipv6_too(hostile: HostileLab) -> None:
    for mode, ran in run_against_modes(hostile, "identify_services", ipv6=True).items():
        assert isinstance(ran, Ran) and ran.clean, (mode, ran)
        check_bounded("identify_services", ran)


def test_hostile_device_stops_cleanly_on_sigterm(hostile: HostileLab) -> None:
    pair = hostile.pair
    proc = start_hostile(pair, "trickle", [pair.dut_addr])
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0 and b"stopped: mode trickle" in out
    assert time.monotonic() - started < 10


def test_hostile_device_refuses_bad_arguments() -> None:
    assert main(["--mode", "stall", "--bind", "not-an-address", "--ports", "22"]) == 4
    assert main(["--mode", "stall", "--bind", "127.0.0.1", "--ports", "22,99999"]) == 4
    assert main(["--mode", "sulk", "--bind", "127.0.0.1", "--ports", "22"]) == 4
    assert [kind_for(p) for p in (22, 80, 8080, 443, 8443, 23)] == ["ssh", "http", "http", "tls", "tls", "raw"]
