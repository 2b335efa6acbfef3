"""Shared by S1.1-01 and S1.1-13: what a declared serial console gives without credentials, and what
the device prints on it while it boots."""

from __future__ import annotations

from fixtures.bootlog import ConsoleScanner
from fixtures.console import Console, console_access, resolve_url, too_garbled
from fixtures.console_baud import find_baud
from fixtures.credentials import CredentialStore
from fixtures.profile import DeviceProfile, PhysicalInterface
from fixtures.session import EvaluationSession
from fixtures.verdict import DeviceUnreachable, MissingIxit, TestUnit
from labtests.star1.disruptions import device_answers, disruption_for, watched_ports
from reports.model import Reason

OFF_SECONDS = 3.0


def _open(unit: TestUnit, interface: PhysicalInterface, evaluation: EvaluationSession, name: str,
          secrets: list[str] | None = None) -> Console:
    if interface.serial is None:
        raise MissingIxit(f"physical interface '{interface.name}' is a UART but the profile gives no [serial] "
                          f"url and baud rate to reach it")
    url = resolve_url(interface.serial.url, evaluation.bench)
    # the transcript goes to the evidence folder as it is produced: a crash keeps what was seen
    unit.folder.mkdir(parents=True, exist_ok=True)
    return Console(url, interface.serial.baudrate, name=interface.name, transcript_file=unit.folder / name,
                   secrets=secrets or [])


def check_console(unit: TestUnit, interface: PhysicalInterface, evaluation: EvaluationSession) -> None:
    console = _open(unit, interface, evaluation, "console-transcript.txt")
    try:
        with evaluation.audit.step("console.access", interface=interface.name, target=interface.serial.url
                                   if interface.serial else None):
            state, detail = console_access(console)
    finally:
        console.close()
        unit.register(unit.folder / "console-transcript.txt", f"everything sent to and received from {interface.name}")
    if state == "shell":
        unit.failed(f"{interface.name}: a shell without credentials ({detail.strip()[:160]!r})")
    elif state == "login":
        unit.passed(f"{interface.name}: {detail}")
    else:
        assert interface.serial is not None
        # silent at the declared speed: a bounded sweep tells a wrong baud rate from a dead line
        sweep = find_baud(resolve_url(interface.serial.url, evaluation.bench), name=interface.name)
        unit.save_text("baud-sweep.json", sweep.model_dump_json(indent=2), "what the console printed at each rate")
        if sweep.best is not None and sweep.best != interface.serial.baudrate:
            hint = f"it answers readably at {sweep.best} baud: correct the profile's baudrate"
        elif sweep.best is not None:
            hint = "it is readable at the declared rate but gave no prompt to judge (see the transcript)"
        else:
            hint = "no rate gave readable output: check the adapter, the wiring and the device's power"
        raise DeviceUnreachable(f"{interface.name}: no prompt within the time limit at the declared "
                                f"{interface.serial.baudrate} baud ({detail.strip()[:200]}); {hint}")


def known_secrets(profile: DeviceProfile, credentials: CredentialStore) -> dict[str, str]:
    """The current value of every credential the profile declares, by a name fit for a report."""
    out: dict[str, str] = {}
    for mech in profile.authentication:
        if mech.credential is not None and mech.credential.env not in out:
            try:
                out[mech.credential.env] = credentials.password(mech)
            except MissingIxit:
                continue
    return {f"password in {env}": value for env, value in out.items()}


def check_boot_log(unit: TestUnit, interface: PhysicalInterface, evaluation: EvaluationSession,
                   profile: DeviceProfile, credentials: CredentialStore) -> None:
    """Power-cycle the device with the console open; the boot log must show no secret and no debug access."""
    secrets = known_secrets(profile, credentials)
    switch = disruption_for("power", evaluation)
    # The cut must be seen on the network, or a PDU that did not switch would leave a device printing
    # its usual lines, with no boot in them, and that would pass.
    guard = evaluation.scope_guard
    host, ports = (guard.targets[0] if guard.targets else ""), watched_ports(profile)
    watch = (lambda: device_answers(host, ports, guard)) if host and ports else None
    console = _open(unit, interface, evaluation, "boot-transcript.txt", list(secrets.values()))
    scanner = ConsoleScanner(secrets)
    try:
        with evaluation.audit.step("console.boot_log", interface=interface.name, detail=switch.describe()):
            console.discard_pending()
            switch.cycle(OFF_SECONDS, answers=watch)
            # garbled logs are returned, not raised: a secret still readable in one is a FAIL
            boot = console.boot_log(duration=float(profile.resilience.recovery_seconds) + 30, allow_garbled=True)
        scanner.feed(boot.text.encode("utf-8", "replace"))
    finally:
        console.close()
        unit.register(unit.folder / "boot-transcript.txt", f"what {interface.name} printed while the device booted "
                      f"(known secrets shown as [secret])")
    scan = scanner.finish()
    unit.save_text("boot-scan.json", scan.model_dump_json(indent=2), "secrets and debug access found in the boot log")
    if boot.bytes_read == 0:
        raise DeviceUnreachable(f"{interface.name}: nothing was printed while the device booted; check the adapter, "
                                f"the baud rate and the wiring")
    failures = scan.failures()
    if failures:
        unit.failed(f"{interface.name} boot log: " + "; ".join(f.what for f in failures[:8]))
    elif too_garbled(boot.unreadable_bytes, boot.bytes_read):
        unit.inconclusive(Reason.LAB_EQUIPMENT_FAULT, f"{interface.name}: the boot log is garbled "
                          f"({boot.unreadable_bytes} of its {boot.bytes_read} bytes are not text), so finding no "
                          f"secret in it proves nothing; check the baud rate ({console.baudrate}), the TX/RX/GND "
                          "wiring and the ground, then repeat")
    elif boot.ended == "size_limit":
        unit.inconclusive(Reason.LAB_EQUIPMENT_FAULT, f"{interface.name}: the boot log reached the "
                          f"{boot.bytes_read}-byte limit, so the rest of it was not scanned")
    elif watch is None:
        unit.inconclusive(Reason.MISSING_IXIT, f"{interface.name}: no secret in the boot log, but the power cut "
                          "could not be seen: the profile declares no TCP service (and no device address) by which "
                          "the harness sees the device go silent, so the log may not come from a boot; declare one")
    else:
        notes = [f.what for f in scan.findings if f.severity == "note"]
        unit.passed(f"{interface.name}: {boot.bytes_read} bytes printed during boot ({boot.ended}); no secret, no "
                    f"debug shell, no boot loader stop" + (f" (notes: {'; '.join(notes[:5])})" if notes else ""))
