"""Power and network disruptions for S1.1-14 (and the boot-log check of S1.1-13), through the lab's
equipment: the profile's [lab_hookup] names the equipment, the lab config says how to drive it
(fixtures/power, fixtures/outage). On the reference bench these are its simulated SNMP PDU and its
own link control."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from fixtures.outage import network_switch_for
from fixtures.power import power_switch_for
from fixtures.session import EvaluationSession
from fixtures.verdict import MissingIxit


class Disruption(Protocol):
    def describe(self) -> str: ...

    def cycle(self, off_seconds: float) -> float:
        """Cut, wait, restore; returns the monotonic time at which it was restored."""
        ...


class _Equipment:
    def __init__(self, switch: Any, equipment: str) -> None:
        self.switch = switch
        self.equipment = equipment

    def describe(self) -> str:
        return f"{self.equipment}, {self.switch.where}"

    def cycle(self, off_seconds: float) -> float:
        restored: float = self.switch.cycle(off_seconds)
        return restored


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
    else:
        switch = network_switch_for(evaluation.lab, equipment, evaluation.audit, evaluator=evaluator,
                                    bench=evaluation.bench)
    return _Equipment(switch, equipment)
