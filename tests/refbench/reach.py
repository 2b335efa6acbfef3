"""Reachability checks of the bench device over IPv4 and IPv6, shared by the bench test modules.

They make exactly one attempt per check, with no retry: once the device answers on one address, it
must answer on every address, because the guest configures and verifies all of them before it
starts any service.  A retry here would hide a race.
"""

from __future__ import annotations

import json
import subprocess
import time

from refbench import labclient as lc
from refbench.bench import ReferenceBench


def assert_services_answer(bench: ReferenceBench, password: str, *, ipv6: bool) -> None:
    """SSH (login and a CLI command) and HTTPS (a REST request) answer on one address family, at once."""
    info = bench.info
    fam = "IPv6" if ipv6 else "IPv4"
    host = lc.device_host(info, ipv6)
    for port in (22, 443):
        assert lc.tcp_port_open(info, port, ipv6=ipv6, timeout=3), f"TCP {port} closed on {fam} {host}"
    rc, out = lc.ssh_run(info, password, "show version", ipv6=ipv6)
    assert rc == 0 and "firmware_version:" in out, f"SSH over {fam} {host}: rc={rc} {out!r}"
    st, _, body = lc.http_request(info, "GET", "/api/v1/model", ipv6=ipv6, timeout=10)
    assert st in (200, 404), f"HTTPS over {fam} {host}: HTTP {st}"  # 404: the no_model_number defect
    if st == 200:
        assert json.loads(body)["model_number"] == "RB-100"


def assert_ipv6_neighbour_reachable(bench: ReferenceBench) -> None:
    """The lab's neighbour entry for the device is a live one (not FAILED/INCOMPLETE)."""
    info = bench.info
    out = subprocess.run(["ip", "-n", info.lab_netns, "-6", "neigh", "show", "to", str(info.dut_ipv6)],
                         capture_output=True, text=True, check=True).stdout
    assert info.mac in out and "FAILED" not in out and "INCOMPLETE" not in out, out


def assert_no_network_setup_errors(bench: ReferenceBench, boot: int | None = None) -> None:
    """The console shows the network up with both addresses, and no network setup failure."""
    info = bench.info
    text = info.uart_log.read_text(errors="replace")
    if boot is not None:
        text = text.split(f"--- power on #{boot} ---", 1)[-1]
    device_lines = "\n".join(line for line in text.splitlines() if "rb100:" in line) or "(no rb100 lines)"
    assert "network setup" not in text, device_lines
    assert f"network: eth0 up with {info.dut_address}/" in text and f" {info.dut_ipv6}/64" in text, device_lines


def wait_ready_ipv4_only(bench: ReferenceBench, timeout: float = 60) -> None:
    """Wait for SSH and HTTPS over IPv4 only (so the IPv6 checks that follow are not helped by waiting)."""
    info = bench.info
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lc.tcp_port_open(info, 22, timeout=1) and lc.tcp_port_open(info, 443, timeout=1):
            try:
                if lc.http_request(info, "GET", "/api/v1/model", timeout=5)[0] in (200, 404):
                    return
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"no SSH/HTTPS over IPv4 within {timeout} s")


def power_cycle_then_check_ipv6(bench: ReferenceBench, password: str) -> None:
    """Power off and on, wait for IPv4 only, then IPv6 must answer at the first attempt."""
    bench.power_off()
    time.sleep(0.5)
    bench.power_on()
    wait_ready_ipv4_only(bench)
    assert_services_answer(bench, password, ipv6=True)
    assert_ipv6_neighbour_reachable(bench)
    assert_no_network_setup_errors(bench, boot=int(bench.status()["boots"]))
    bench.wait_ready(30)  # the bench's own readiness covers IPv6 too
