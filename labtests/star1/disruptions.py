"""Power and network disruptions for S1.1-14, through the lab's equipment.

On the reference bench the bench itself switches the power (its simulated PDU) and the link; for a
real device the lab's power switch and network switch come from the lab configuration.
"""

from __future__ import annotations

import time
from typing import Any, Literal, Protocol

from fixtures.session import EvaluationSession
from fixtures.verdict import LabEquipmentFault


class Disruption(Protocol):
    def describe(self) -> str: ...

    def cycle(self, off_seconds: float) -> float:
        """Cut, wait, restore; returns the monotonic time at which it was restored."""
        ...


class BenchPower:
    def __init__(self, bench: Any) -> None:
        self.bench = bench

    def describe(self) -> str:
        return "reference bench power (QEMU killed, like pulling the plug)"

    def cycle(self, off_seconds: float) -> float:
        self.bench.power_off()
        time.sleep(off_seconds)
        self.bench.power_on()
        return time.monotonic()


class BenchLink:
    def __init__(self, bench: Any) -> None:
        self.bench = bench

    def describe(self) -> str:
        return "reference bench link (the device's network cable unplugged)"

    def cycle(self, off_seconds: float) -> float:
        self.bench.link_down()
        try:
            time.sleep(off_seconds)
        finally:
            self.bench.link_up()
        return time.monotonic()


def disruption_for(kind: Literal["power", "network"] | str, evaluation: EvaluationSession) -> Disruption:
    """The means to cut the device's power or network in this lab."""
    if evaluation.bench is not None:
        return BenchPower(evaluation.bench) if kind == "power" else BenchLink(evaluation.bench)
    raise LabEquipmentFault(f"no {kind} switch is configured for this device: name the lab's power switch in the "
                            f"profile's [power] table and its control settings in the lab configuration")
