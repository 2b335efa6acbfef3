"""Power and network disruptions for S1.1-14 (and the boot-log check of S1.1-13), through the lab's
equipment: the profile's [lab_hookup] names the equipment, the lab config says how to drive it
(fixtures/power, fixtures/outage). On the reference bench these are its simulated SNMP PDU and its
own link control."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from fixtures.device_fixtures import network_mechanisms
from fixtures.outage import network_switch_for
from fixtures.power import power_switch_for
from fixtures.profile import DeviceProfile
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import LabEquipmentFault, MissingIxit

# A device whose power or link is really cut stops answering at once; one that still answers this
# long after the switch said "off" was not cut (a relay that did not switch, the wrong outlet or port).
CUT_CONFIRM_SECONDS = 10.0
PROBE_TIMEOUT = 1.0


class Disruption(Protocol):
    def describe(self) -> str: ...

    def cycle(self, off_seconds: float, answers: Callable[[], bool] | None = None) -> float:
        """Cut, wait, restore; returns the monotonic time at which it was restored. With ``answers`` (does
        the device still answer?), the cut must be seen before it is restored, or LabEquipmentFault."""
        ...


class _Equipment:
    def __init__(self, switch: Any, equipment: str, cut: Callable[[], None], restore: Callable[[], None]) -> None:
        self.switch = switch
        self.equipment = equipment
        self._cut, self._restore = cut, restore
        self.cut_seen_after: float | None = None

    def describe(self) -> str:
        return f"{self.equipment}, {self.switch.where}"

    def cycle(self, off_seconds: float, answers: Callable[[], bool] | None = None) -> float:
        if answers is None:
            restored: float = self.switch.cycle(off_seconds)
            return restored
        self._cut()
        start = time.monotonic()
        try:
            seen = None
            # The first look waits a second: a probe that reaches a live device is a connection its login
            # protection may count, and a real cut takes effect at once.
            time.sleep(min(1.0, off_seconds))
            for _ in range(int(CUT_CONFIRM_SECONDS / 0.5) + 1):  # bounded in count and (below) in time
                if not answers():
                    seen = time.monotonic() - start
                    break
                if time.monotonic() - start > CUT_CONFIRM_SECONDS:
                    break
                time.sleep(0.5)
            time.sleep(max(0.0, off_seconds - (time.monotonic() - start)))
        finally:
            self._restore()  # never leave the device cut off, even when interrupted
        restored = time.monotonic()
        self.cut_seen_after = seen
        if seen is None:
            raise LabEquipmentFault(f"{self.describe()} was switched off, but the device still answered "
                                    f"{CUT_CONFIRM_SECONDS:g} s later: the switch did not cut it (a relay that did not "
                                    "switch, or the device is on another outlet or port). Check the wiring and the "
                                    "[lab_hookup] of the profile; nothing was judged")
        return restored


def watched_ports(profile: DeviceProfile) -> list[int]:
    """The TCP ports by which a cut is seen: every declared TCP service and every network login's port
    (a login is always checked over TCP, so a device with a network login always has one)."""
    services = {s.name: s for s in profile.services}
    ports = {s.port for s in profile.services if s.transport == "tcp"}
    ports |= {services[m.service].port for m in network_mechanisms(profile)
              if m.service is not None and m.service in services}
    return sorted(ports)


def device_answers(host: str, ports: Sequence[int], guard: ScopeGuard) -> bool:
    """Whether anything at the device's address still answers on one of ``ports``: an accepted connection
    or a refusal (a reset comes from a live TCP stack); silence or 'unreachable' is a device cut off."""
    guard.check_address(host)
    for port in ports:
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
                return True
        except ConnectionRefusedError:
            return True
        except OSError:
            continue
    return False


def disruption_for(kind: Literal["power", "network"] | str, evaluation: EvaluationSession) -> Disruption:
    """The lab's means to cut the device's power or network, as the profile's [lab_hookup] names it."""
    hookup = evaluation.profile.lab_hookup
    equipment = hookup.power if kind == "power" else hookup.network
    if equipment is None:
        raise MissingIxit(f"the profile's [lab_hookup] names no {kind} equipment: which lab {kind} switch is the "
                          f"device connected to (an equipment id from the lab config)?")
    evaluator = evaluation.record.evaluator.id
    if kind == "power":
        switch: Any = power_switch_for(evaluation.lab, equipment, evaluation.audit, evaluator=evaluator)
        return _Equipment(switch, equipment, switch.off, switch.on)
    switch = network_switch_for(evaluation.lab, equipment, evaluation.audit, evaluator=evaluator,
                                bench=evaluation.bench)
    return _Equipment(switch, equipment, switch.down, switch.up)
