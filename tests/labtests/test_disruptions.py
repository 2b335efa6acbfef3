"""A power or link cut must be seen before anything is judged: a switch that says "off" while the device
goes on answering (a relay that did not switch, the wrong outlet) makes the unit INCONCLUSIVE, never a
PASS on a device that never lost power."""

from __future__ import annotations

import socket
import time
from ipaddress import ip_network

import pytest

from fixtures.labconfig import NetworkScope
from fixtures.scope import ScopeError, ScopeGuard
from fixtures.verdict import LabEquipmentFault
from labtests.star1 import disruptions
from labtests.star1.disruptions import _Equipment, device_answers


class FakeSwitch:
    """Stands in for a PDU outlet: records the calls (no equipment is driven here)."""

    where = "outlet 1"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def off(self) -> None:
        self.calls.append("off")

    def on(self) -> None:
        self.calls.append("on")

    def cycle(self, off_seconds: float) -> float:
        self.calls.append(f"cycle {off_seconds:g}")
        return time.monotonic()


def equipment() -> tuple[FakeSwitch, _Equipment]:
    sw = FakeSwitch()
    return sw, _Equipment(sw, "PDU-1", sw.off, sw.on)


def test_a_cut_seen_is_restored_after_the_time_asked() -> None:
    sw, eq = equipment()
    looks = iter([True, False])
    start = time.monotonic()
    eq.cycle(1.5, answers=lambda: next(looks))
    assert sw.calls == ["off", "on"]
    assert eq.cut_seen_after is not None and time.monotonic() - start >= 1.5


def test_a_device_that_keeps_answering_was_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disruptions, "CUT_CONFIRM_SECONDS", 1.5)
    sw, eq = equipment()
    start = time.monotonic()
    with pytest.raises(LabEquipmentFault, match=r"still answered.*did not cut it"):
        eq.cycle(0.2, answers=lambda: True)
    assert sw.calls == ["off", "on"]  # power is given back before the unit stops
    assert time.monotonic() - start < 5


def test_power_comes_back_when_the_watch_is_interrupted() -> None:
    sw, eq = equipment()

    def interrupted() -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        eq.cycle(0.2, answers=interrupted)
    assert sw.calls == ["off", "on"]


def test_without_a_watch_the_switch_cycles_as_before() -> None:
    sw, eq = equipment()
    eq.cycle(3.0)
    assert sw.calls == ["cycle 3"]


def test_a_listening_or_refusing_device_answers_and_out_of_scope_is_refused() -> None:
    guard = ScopeGuard(NetworkScope(lab_interface="lo", allowed_networks=[ip_network("127.0.0.0/8")]),
                       ["127.0.0.10"])
    with socket.socket() as server:
        server.bind(("127.0.0.10", 0))
        server.listen()
        port = server.getsockname()[1]
        assert device_answers("127.0.0.10", [port], guard)
    assert device_answers("127.0.0.10", [port], guard)  # refused: a live TCP stack sent the reset
    with pytest.raises(ScopeError):
        device_answers("127.0.0.99", [port], guard)
