"""The bench's UART fault switch without a bench: the byte mangling (deterministic with a seed, never raising,
bounded), the daemon's ``uart`` control request on a daemon object that starts nothing (no QEMU, no
namespaces: a pty and sockets in a temporary folder), and the CLI and client method that send it."""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbench import cli, uart_fault
from refbench.bench import ReferenceBench
from refbench.daemon import Daemon, DaemonConfig
from refbench.uart_fault import CORRUPT, FLOOD_BURST, FLOOD_RATE, INSERT, UART_MODES, UartFault, parse_mode

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = b"".join(b"[ %6d.000000] rb100: a line of the boot log, nothing secret in it\r\n" % n for n in range(2000))


# -- the mangling ------------------------------------------------------------------------------------
def test_clean_passes_every_byte_unchanged() -> None:
    fault = UartFault()
    assert fault.mode == "clean"
    assert fault.mangle(TEXT) == TEXT and fault.flood(0.0) == b"" and fault.flood(100.0) == b""


def test_garble_is_repeatable_with_a_seed_and_differs_without() -> None:
    one, two = UartFault("garble", seed=7), UartFault("garble", seed=7)
    assert one.mangle(TEXT) == two.mangle(TEXT) != TEXT
    assert UartFault("garble", seed=8).mangle(TEXT) != UartFault("garble", seed=7).mangle(TEXT)
    # switching with a seed restarts the same bytes
    one.set_mode("garble", seed=7)
    assert one.mangle(TEXT) == UartFault("garble", seed=7).mangle(TEXT)


def test_garble_changes_and_inserts_about_the_declared_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    out = UartFault("garble", seed=1).mangle(TEXT)
    inserted = len(out) - len(TEXT)
    assert 0.5 * INSERT * len(TEXT) < inserted < 1.5 * INSERT * len(TEXT)
    # most of the text survives: the harness must still tell a garbled line from a dead one
    assert b"rb100: a line of the boot log" in out
    monkeypatch.setattr(uart_fault, "INSERT", 0.0)  # without insertions the changed bytes line up
    out = UartFault("garble", seed=1).mangle(TEXT)
    changed = sum(a != b for a, b in zip(out, TEXT, strict=True))
    assert 0.5 * CORRUPT * len(TEXT) < changed < 1.5 * CORRUPT * len(TEXT)


def test_flood_gives_its_rate_and_never_more_than_a_burst() -> None:
    fault = UartFault("flood", seed=3)
    assert fault.flood(100.0) == b""  # the first call starts the clock
    total = sum(len(fault.flood(100.0 + n * 0.05)) for n in range(1, 201))  # ten seconds
    assert abs(total - 10 * FLOOD_RATE) <= 1
    assert len(fault.flood(10_000.0)) == FLOOD_BURST  # after a long stall: one burst, no catching up
    assert fault.flood(50.0) == b""  # time running backwards gives nothing
    assert len(fault.flood(10_000.125)) == FLOOD_RATE // 8
    # the flood is random bytes, the device's output in flood mode is garbled as well
    assert fault.mangle(TEXT) != TEXT


def test_flood_stops_when_switched_to_garble_or_clean() -> None:
    fault = UartFault("flood", seed=3)
    fault.flood(0.0)
    assert fault.flood(1.0)
    for mode in ("garble", "clean"):
        fault.set_mode(mode)  # type: ignore[arg-type]
        assert fault.flood(2.0) == b"" and fault.flood(3.0) == b""
    fault.set_mode("flood")
    assert fault.flood(10.0) == b"" and len(fault.flood(10.25)) == FLOOD_RATE // 4  # restarts from now


@pytest.mark.parametrize("bad", ["Garble", "noise", "", None, 1, ["flood"]])
def test_an_unknown_mode_is_refused_naming_the_modes(bad: object) -> None:
    with pytest.raises(ValueError, match="use one of clean, garble, flood"):
        parse_mode(bad)
    fault = UartFault("garble", seed=1)
    with pytest.raises(ValueError):
        fault.set_mode(bad)  # type: ignore[arg-type]
    assert fault.mode == "garble"  # a refused switch changes nothing


@FUZZ
@given(st.binary(max_size=5000), st.sampled_from(UART_MODES), st.integers(0, 2**32))
def test_mangle_never_raises_and_stays_bounded(data: bytes, mode: Any, seed: int) -> None:
    fault = UartFault(mode, seed=seed)
    out = fault.mangle(data)
    assert len(out) <= 2 * len(data)
    if mode == "clean":
        assert out == data
    assert out == UartFault(mode, seed=seed).mangle(data)


@FUZZ
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=60), st.integers(1, 10**6))
def test_flood_never_raises_and_stays_under_its_rate(times: list[float], rate: int) -> None:
    fault = UartFault("flood", seed=0, rate=rate)
    got = [len(fault.flood(t)) for t in times]
    assert all(0 <= n <= FLOOD_BURST for n in got)
    # time only counts forwards: never more than the rate over the furthest the clock got
    span = max(times) - times[0] if times else 0.0
    assert sum(got) <= rate * max(span, 0.0) + 1


# -- the daemon's control request, without a bench ----------------------------------------------------
@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A daemon object in a temporary folder: its pty, its UART log and its sockets, nothing started."""
    cfg = DaemonConfig(
        run_dir=tmp_path, state_file=tmp_path / "state.json", kernel=tmp_path / "k", initrd=tmp_path / "i",
        flash_image=tmp_path / "f", otp_image=tmp_path / "o", mac="52:54:00:00:00:01", owner_pid=None,
        owner_start=None, lab_address="192.0.2.1", pdu_port=161, pdu_outlet=1, pdu_community="c",
        pdu_v3_user="u", pdu_v3_auth="a" * 8, pdu_v3_priv="p" * 8, subnet="192.0.2.0/24", collector=False,
        collector_port=0, keydir=tmp_path, python="python3", namespaces=[])
    d = Daemon(cfg)
    try:
        yield d
    finally:
        d._drop_qemu_conn()
        for s in (d.uart_srv, d.ctl_srv):
            s.close()
        os.close(d.master)
        d.uartlog.close()


def _read_all(fd: int, wait: float = 0.3) -> bytes:
    out = b""
    while select.select([fd], [], [], wait)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
        wait = 0.05
    return out


def _request(d: Daemon, req: object) -> dict[str, Any]:
    """One request through the daemon's control connection handling, as the client sends it."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    d.ctl_conns[ours.fileno()] = (ours, b"")
    with theirs:
        theirs.sendall(json.dumps(req).encode() + b"\n")
        d._control(ours)
        reply: dict[str, Any] = json.loads(theirs.makefile("rb").readline())
    return reply


def test_daemon_garbles_what_the_device_prints_and_logs_it_clean(daemon: Daemon, tmp_path: Path) -> None:
    qemu, device = socket.socketpair()
    daemon.qemu_conn = qemu
    qemu.setblocking(False)
    slave = os.open(daemon.serial_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)  # the harness opens the port
    try:
        assert _request(daemon, {"op": "uart", "mode": "garble", "seed": 5}) == {"ok": True, "uart": "garble"}
        assert _request(daemon, {"op": "status"})["uart"] == "garble"
        with device:
            got = b""
            # why: a piece at a time, read as it comes, as a harness does; the pty drops what does not fit
            for n in range(0, 20_000, 1000):
                device.sendall(TEXT[n : n + 1000])
                assert select.select([qemu], [], [], 2)[0]
                daemon._from_device()
                got += _read_all(slave, 0.05)
            assert len(got) >= 20_000 and got != TEXT[:20_000]
            assert _request(daemon, {"op": "uart", "mode": "clean"})["uart"] == "clean"
            device.sendall(b"refbench login: ")
            assert select.select([qemu], [], [], 2)[0]
            daemon._from_device()
            assert _read_all(slave) == b"refbench login: "
    finally:
        os.close(slave)
    log = (tmp_path / "uart.log").read_bytes()
    assert TEXT[:20_000] in log  # the device's own bytes, unchanged
    assert b"--- uart fault: garble ---" in log and b"--- uart fault: clean ---" in log
    assert "uart fault garble (seed 5)" in (tmp_path / "daemon.log").read_text()


def test_daemon_floods_the_port_only_while_it_is_open(daemon: Daemon) -> None:
    assert _request(daemon, {"op": "uart", "mode": "flood", "seed": 1})["uart"] == "flood"
    daemon._flood()  # starts the clock
    time.sleep(0.2)
    daemon._flood()  # nobody has the port open: dropped, like a closed adapter's input
    slave = os.open(daemon.serial_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        got = 0
        start = time.monotonic()
        while time.monotonic() - start < 1.0:
            time.sleep(0.05)
            daemon._flood()
            got += len(_read_all(slave, 0.0))
        got += len(_read_all(slave, 0.1))
        assert 0.5 * FLOOD_RATE < got < 1.5 * FLOOD_RATE + FLOOD_BURST
        _request(daemon, {"op": "uart", "mode": "clean"})
        daemon._flood()
        time.sleep(0.2)
        daemon._flood()
        assert _read_all(slave, 0.1) == b""
    finally:
        os.close(slave)


@pytest.mark.parametrize("req", [{"op": "uart", "mode": "noise"}, {"op": "uart"},
                                 {"op": "uart", "mode": "flood", "seed": "x"}])
def test_daemon_refuses_a_bad_uart_request_and_keeps_its_mode(daemon: Daemon, req: dict[str, Any]) -> None:
    reply = _request(daemon, req)
    assert reply["ok"] is False and "ValueError" in reply["error"]
    assert _request(daemon, {"op": "status"})["uart"] == "clean"


# -- the client method and the command line ------------------------------------------------------------
class _Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def _ctl(self, req: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(req)
        return {"ok": True}

    def uart_fault(self, mode: str, seed: int | None = None) -> None:
        ReferenceBench.uart_fault(self, mode, seed)  # type: ignore[arg-type]


def test_client_and_cli_send_the_uart_request(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rec = _Recorder()
    monkeypatch.setattr(ReferenceBench, "attach", classmethod(lambda cls: rec))
    for mode in UART_MODES:
        assert cli.run(["uart", mode]) == 0
    assert cli.run(["uart", "garble", "--seed", "9"]) == 0
    assert rec.requests == [{"op": "uart", "mode": m} for m in UART_MODES] + [
        {"op": "uart", "mode": "garble", "seed": 9}]
    with pytest.raises(SystemExit):
        cli.run(["uart", "noise"])
    assert "invalid choice: 'noise'" in capsys.readouterr().err
