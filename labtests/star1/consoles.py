"""Shared by S1.1-01 and S1.1-13: does a declared serial console give access without credentials?"""

from __future__ import annotations

from fixtures.console import Console, console_access, resolve_url
from fixtures.profile import PhysicalInterface
from fixtures.session import EvaluationSession
from fixtures.verdict import DeviceUnreachable, MissingIxit, TestUnit


def check_console(unit: TestUnit, interface: PhysicalInterface, evaluation: EvaluationSession) -> None:
    if interface.serial is None:
        raise MissingIxit(f"physical interface '{interface.name}' is a UART but the profile gives no [serial] "
                          f"url and baud rate to reach it")
    url = resolve_url(interface.serial.url, evaluation.bench)
    console = Console(url, interface.serial.baudrate)
    try:
        with evaluation.audit.step("console.access", interface=interface.name, target=interface.serial.url):
            state, detail = console_access(console)
    finally:
        console.close()
        unit.save_text("console-transcript.txt", console.transcript.decode("utf-8", "replace"),
                       f"everything sent to and received from {interface.name}")
    if state == "shell":
        unit.failed(f"{interface.name}: a shell without credentials ({detail.strip()[:160]!r})")
    elif state == "login":
        unit.passed(f"{interface.name}: {detail}")
    else:
        raise DeviceUnreachable(f"{interface.name}: no prompt within the time limit; check the adapter, the "
                                f"baud rate ({interface.serial.baudrate}) and the wiring")
