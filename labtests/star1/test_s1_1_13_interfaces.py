"""S1.1-13: unneeded, high-risk interfaces are disabled (requirement 6-1).

Discovery (every TCP port, the common IoT UDP ports, service identification, mDNS and SSDP, over
IPv4 and IPv6) is compared with the profile's declared services: an undeclared open port fails, and a
high-risk service (criteria/high_risk_services.toml) fails unless declared with a justification.
Versions named in banners are recorded for the vulnerability check, which JC-STAR asks for and which
rests on an external scanner's report: that unit waits for the evaluator.
"""

from __future__ import annotations

from typing import Literal

import pytest

from criteria.high_risk import load_high_risk
from fixtures.device_fixtures import Discovered
from fixtures.net.discovery import declared_but_closed, undeclared
from fixtures.profile import DeviceProfile, PhysicalInterface
from fixtures.session import EvaluationSession
from fixtures.verdict import TestUnit
from labtests.star1.consoles import check_console
from reports.model import Reason


@pytest.mark.jcstar("S1.1-13", timeout=1800)
def test_only_declared_services_listen(unit: TestUnit, discovery: Discovered, profile: DeviceProfile) -> None:
    unit.cite(discovery.evidence)
    result = discovery.result
    missing = declared_but_closed(result, profile.services)
    if missing:
        # A scan that does not see the declared services cannot be trusted to see undeclared ones.
        unit.inconclusive(Reason.HARNESS_ERROR, "the scan did not see declared services open, so it cannot show that "
                          "nothing else listens: " + "; ".join(f.detail for f in missing))
        return
    findings = undeclared(result, profile.services)
    scanned = ", ".join(f"{s.target} {s.transport} {s.ports_scanned} ports" for s in [*result.tcp, *result.udp])
    if findings:
        unit.failed("undeclared open ports: " + "; ".join(
            f"{f.address} {f.port}/{f.transport} ({f.protocol or 'unidentified'}: {f.detail})" for f in findings))
    else:
        open_tcp = result.open_ports("tcp")
        open_udp = result.open_ports("udp")
        unit.passed(f"only declared services answer: TCP {open_tcp or 'none'}, UDP {open_udp or 'none'} "
                    f"(scanned {scanned})")


@pytest.mark.jcstar("S1.1-13")
def test_no_unjustified_high_risk_service(unit: TestUnit, discovery: Discovered, profile: DeviceProfile) -> None:
    unit.cite(discovery.evidence)
    result = discovery.result
    declared = {(s.port, s.transport): s for s in profile.services}
    problems, justified = [], []
    transports: tuple[Literal["tcp"], Literal["udp"]] = ("tcp", "udp")
    for transport in transports:
        for port in result.open_ports(transport):
            tcp = transport == "tcp"
            identified = next((s.protocol for s in result.services if s.port == port), None) if tcp else None
            for risk in load_high_risk():
                if not risk.matches(port, transport, identified):
                    continue
                service = declared.get((port, transport))
                if service is not None and service.justification:
                    justified.append(f"{port}/{transport} {risk.name} (justified: {service.justification})")
                else:
                    problems.append(f"{port}/{transport} is {risk.name}: {risk.why}"
                                    + ("" if risk.status == "confirmed" else " [rule from background knowledge]"))
    if problems:
        unit.failed("high-risk services open without a declared justification: " + "; ".join(problems))
    else:
        unit.passed("no high-risk service is open" + (f" except justified ones: {'; '.join(justified)}"
                                                        if justified else ""))


@pytest.mark.jcstar("S1.1-13")
def test_known_vulnerabilities_checked(unit: TestUnit, discovery: Discovered) -> None:
    unit.cite(discovery.evidence)
    versions = sorted({f"{s.port}/tcp: {s.server or s.detail}" for s in discovery.result.services
                       if s.server or s.detail})
    unit.save_text("versions.txt", "\n".join(versions) + "\n",
                   "software versions named by the device's services, for the vulnerability scan")
    unit.inconclusive(Reason.EVALUATOR_INPUT_PENDING,
                      "the vulnerability scan is external evidence: the evaluator attaches the scanner's report and "
                      f"records whether an exploitable known vulnerability was found (versions seen: "
                      f"{'; '.join(versions) or 'none'})")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from fixtures.plugin import session_of

    if "debug_uart" in metafunc.fixturenames:
        ev = session_of(metafunc.config)
        uarts = [p for p in ev.profile.physical_interfaces if p.kind == "uart" and p.status != "absent"] if ev else []
        metafunc.parametrize("debug_uart", uarts, ids=[p.name for p in uarts])


@pytest.mark.jcstar("S1.1-13", timeout=120)
def test_debug_console_not_open(unit: TestUnit, debug_uart: PhysicalInterface, evaluation: EvaluationSession) -> None:
    """A UART declared 'protected' or 'disabled' must not give a shell without credentials."""
    check_console(unit, debug_uart, evaluation)
