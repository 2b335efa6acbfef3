"""The test network itself: isolated, reachable inside, cleaned up after."""

from __future__ import annotations

import socket
import subprocess

from tests.netlab import NetPair


def _connect(addr: str, port: int) -> str:
    with socket.create_connection((addr, port), timeout=3) as s:
        return s.recv(100).decode()


def _route_dev(addr: str) -> str:
    return subprocess.run(["ip", "route", "get", addr], capture_output=True, text=True, check=False).stdout


def test_lab_reaches_a_server_in_the_dut_namespace(netpair: NetPair) -> None:
    netpair.start_in_dut(
        [
            "python3",
            "-c",
            (
                "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
                "s.bind(('0.0.0.0',2222));s.listen();c,_=s.accept();c.send(b'SSH-2.0-test\\r\\n');c.close()"
            ),
        ],
        ready_port=2222,
    )
    assert netpair.run_in_lab(_connect, netpair.dut_addr, 2222).startswith("SSH-2.0-test")


def test_the_lab_namespace_has_no_route_out(netpair: NetPair) -> None:
    assert "dev lab0" in netpair.run_in_lab(_route_dev, netpair.dut_addr)
    assert netpair.run_in_lab(_route_dev, "192.0.2.1") == ""  # unreachable: no default route


def test_namespaces_are_gone_afterwards() -> None:
    from tests.netlab import two_namespaces

    with two_namespaces("jcst-gone") as pair:
        names = (pair.lab_ns, pair.dut_ns)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    assert not any(n in listed for n in names)
