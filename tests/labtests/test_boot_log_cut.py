"""S1.1-13's boot-log power cycle must see the device go silent before the log counts as a boot: a PDU
that switches another outlet leaves a device printing its usual lines, with no secret in them, and that
must never pass. The console and the PDU outlet are small fakes here (named so); the cut watch, the
unit recorder, the profile and the verdict logic are the real ones."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fixtures.console import BootLog
from fixtures.evidence import RunFolder
from fixtures.labconfig import NetworkScope
from fixtures.profile import DeviceProfile, load_profile
from fixtures.scope import ScopeGuard
from fixtures.verdict import LabEquipmentFault, TestUnit
from labtests.star1 import consoles, disruptions
from labtests.star1.disruptions import _Equipment, watched_ports
from reports.model import Reason, Verdict
from tests.labtests.test_disruptions import FakeSwitch

PROFILE = Path(__file__).parents[2] / "device_profiles" / "refbench-hardened.toml"
PERIODIC = "[  120.0] heartbeat ok\n" * 40  # what a device that was never cut goes on printing


class FakeConsole:
    """Stands in for the serial console: returns a clean, periodic log with no secret in it."""

    baudrate = 115200

    def discard_pending(self) -> None:
        pass

    def boot_log(self, duration: float, allow_garbled: bool) -> BootLog:
        return BootLog(text=PERIODIC, bytes_read=len(PERIODIC), ended="duration", login_prompt_seen=False,
                       unreadable_bytes=0, seconds=duration)

    def close(self) -> None:
        pass


class FakeAudit:
    """Stands in for the audit log: a step is a no-op context."""

    @contextlib.contextmanager
    def step(self, *args: Any, **kwargs: Any) -> Iterator[None]:
        yield


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: DeviceProfile,
         device_answers_after_cut: bool) -> tuple[TestUnit, FakeSwitch, list[tuple[str, list[int]]]]:
    monkeypatch.setattr(disruptions, "CUT_CONFIRM_SECONDS", 1.5)
    monkeypatch.setattr(consoles, "OFF_SECONDS", 0.2)
    outlet = FakeSwitch()
    monkeypatch.setattr(consoles, "disruption_for",
                        lambda kind, evaluation: _Equipment(outlet, "PDU-1", outlet.off, outlet.on))

    def open_console(unit: TestUnit, interface: Any, evaluation: Any, name: str, secrets: Any = None) -> FakeConsole:
        unit.folder.mkdir(parents=True, exist_ok=True)
        (unit.folder / name).write_text(PERIODIC, encoding="utf-8")  # the real console writes its transcript
        return FakeConsole()

    monkeypatch.setattr(consoles, "_open", open_console)
    monkeypatch.setattr(consoles, "known_secrets", lambda profile, credentials: {})
    probes: list[tuple[str, list[int]]] = []

    def answers(host: str, ports: list[int], guard: ScopeGuard) -> bool:
        probes.append((host, list(ports)))
        return device_answers_after_cut

    monkeypatch.setattr(consoles, "device_answers", answers)
    guard = ScopeGuard(NetworkScope(lab_interface="lo", allowed_networks=[ip_network("192.0.2.0/24")]),
                       ["192.0.2.10"])
    evaluation: Any = SimpleNamespace(scope_guard=guard, audit=FakeAudit())
    no_credentials: Any = None  # known_secrets is replaced above
    unit = TestUnit(nodeid="labtests/x.py::test_boot", name="test_boot", item="S1.1-13",
                    run=RunFolder(tmp_path / "run", "JCL-2026-0001"), na_justification=None)
    uart = next(p for p in profile.physical_interfaces if p.kind == "uart")
    try:
        consoles.check_boot_log(unit, uart, evaluation, profile, credentials=no_credentials)
    except LabEquipmentFault as fault:
        unit.inconclusive(Reason.LAB_EQUIPMENT_FAULT, str(fault))  # what the plugin does with the exception
    return unit, outlet, probes


def test_a_pdu_that_does_not_cut_the_device_gives_no_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = load_profile(PROFILE)
    unit, outlet, probes = _run(tmp_path, monkeypatch, profile, device_answers_after_cut=True)
    assert unit.recorded is not None
    assert unit.recorded.verdict is Verdict.INCONCLUSIVE
    assert unit.recorded.reason is Reason.LAB_EQUIPMENT_FAULT
    assert "did not cut it" in unit.recorded.rationale
    assert outlet.calls == ["off", "on"]  # power given back before the unit stops
    assert probes and probes[0] == ("192.0.2.10", watched_ports(profile))


def test_a_cut_seen_lets_a_clean_boot_log_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unit, outlet, probes = _run(tmp_path, monkeypatch, load_profile(PROFILE), device_answers_after_cut=False)
    assert unit.recorded is not None and unit.recorded.verdict is Verdict.PASS
    assert outlet.calls == ["off", "on"] and len(probes) == 1


def test_without_a_tcp_port_to_watch_a_clean_log_is_not_a_pass(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    profile = load_profile(PROFILE)
    serial_only = profile.model_copy(update={
        "services": [], "authentication": [a for a in profile.authentication if a.kind == "serial_login"]})
    assert watched_ports(serial_only) == []
    unit, outlet, probes = _run(tmp_path, monkeypatch, serial_only, device_answers_after_cut=True)
    assert unit.recorded is not None
    assert unit.recorded.verdict is Verdict.INCONCLUSIVE and unit.recorded.reason is Reason.MISSING_IXIT
    assert outlet.calls == ["cycle 0.2"] and probes == []


def test_watched_ports_are_the_tcp_services_and_every_network_login() -> None:
    profile = load_profile(PROFILE)
    tcp = {s.port for s in profile.services if s.transport == "tcp"}
    assert set(watched_ports(profile)) == tcp and tcp
