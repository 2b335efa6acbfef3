"""S1.1-13: unneeded, high-risk interfaces are disabled (requirement 6-1).

Discovery (every TCP port, the common IoT UDP ports, service identification, mDNS and SSDP, over
IPv4 and IPv6) is compared with the profile's declared services: an undeclared open port fails, and a
high-risk service (criteria/high_risk_services.toml) fails unless declared with a justification.
The vulnerability scan JC-STAR asks for runs nmap's safe vulnerability scripts on every open port and
compares the software versions the services announce with criteria/known_vulnerable_versions.toml; a
lab's or vendor's own scanner report named in the profile is attached as external evidence.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import pytest

from criteria.high_risk import load_high_risk
from criteria.known_vulnerable import SoftwareMatch, match_software
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import Discovered
from fixtures.net.discovery import declared_but_closed, port_map, undeclared
from fixtures.net.vulnscan import SCRIPTS, VulnScanResult, nmap_vuln_scan, transcript_path
from fixtures.profile import DeviceProfile, PhysicalInterface
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import TestUnit
from labtests.star1.consoles import check_boot_log, check_console
from labtests.star1.reviews import run_review
from reports.model import Reason


@pytest.mark.jcstar("S1.1-13", timeout=1800)
def test_only_declared_services_listen(unit: TestUnit, discovery: Discovered, profile: DeviceProfile) -> None:
    unit.cite(discovery.evidence)
    result = discovery.result
    unit.figure(port_map(result, profile.services))  # the report's picture of open and declared ports
    cut_short = result.incomplete_scans()
    if cut_short:
        # A scan stopped by its time limit has not looked at every port: no PASS can rest on it.
        unit.inconclusive(Reason.TIMEOUT, "the scan stopped at its time limit for: " + ", ".join(cut_short))
        return
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


@pytest.mark.jcstar("S1.1-13", timeout=2400)
def test_no_known_vulnerability(unit: TestUnit, discovery: Discovered, profile: DeviceProfile,
                                evaluation: EvaluationSession, scope_guard: ScopeGuard) -> None:
    """JC-STAR's vulnerability scan: nmap's safe vulnerability scripts on every open port, and the
    software versions the services announce against criteria/known_vulnerable_versions.toml."""
    unit.cite(discovery.evidence)
    result = discovery.result
    for i, rep in enumerate(profile.vulnerability_scan_reports):
        unit.attach_external(evaluation.profile_path.parent / rep.path, f"{rep.provider} ({rep.tool}, {rep.date})",
                             f"external vulnerability scan report [{i}]" + (f": {rep.scope}" if rep.scope else ""))
    interface = evaluation.lab.network.lab_interface
    jobs = [(n, target, result.open_ports("tcp", target), result.open_ports("udp", target))
            for n, target in enumerate(result.addresses)]
    jobs = [j for j in jobs if j[2] or j[3]]

    def scan(n: int, target: str, tcp: list[int], udp: list[int]) -> VulnScanResult:
        xml = unit.folder / f"nmap-vuln-{n}.xml"
        try:
            return nmap_vuln_scan(target, tcp, udp, scope_guard, interface, xml, audit=evaluation.audit)
        finally:
            for written in (xml, transcript_path(xml)):
                if written.exists():
                    unit.register(written, f"nmap vulnerability scan of {target}")

    # One nmap per address, side by side: most of a scan is waiting for the device's answers.
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        scans = list(pool.map(lambda job: scan(*job), jobs))
    announced = sorted({text for s in result.services for text in (s.server, s.detail, _first_line(s.banner))
                        if text} | {v.software for scan in scans for v in scan.versions if v.software})
    unit.save_text("vulnerability-scan.json", json.dumps({
        "announced_software": announced, "scans": [s.model_dump(mode="json") for s in scans]}, indent=2),
        "vulnerability scan: nmap's findings, the versions it identified, the software the services announce")
    findings = [f"{f.script} on {f'port {f.port}/{f.transport}' if f.port else 'the host'}: {f.state}: {f.title}"
                + (f" ({', '.join(f.ids)})" if f.ids else "") for s in scans for f in s.findings]
    versions: dict[tuple[str, str], list[SoftwareMatch]] = {}
    for text in announced:
        for m in match_software(text):
            versions.setdefault((m.entry.name, m.version), []).append(m)
    findings += [f"{name} {version} ({' / '.join(repr(m.announced) for m in ms)}): {ms[0].entry.why} "
                 f"({', '.join(ms[0].entry.cves)}"
                 + ("" if ms[0].entry.status == "confirmed" else "; rule from public CVE data, see the criteria file")
                 + ")" for (name, version), ms in versions.items()]
    external = f"; external reports attached: {len(profile.vulnerability_scan_reports)}" \
        if profile.vulnerability_scan_reports else ""
    cut_short = result.incomplete_scans() + [f"nmap on {s.target}: {s.problem}" for s in scans if not s.complete]
    if findings:
        unit.failed("known vulnerabilities found: " + "; ".join(findings) + external)
    elif cut_short:
        unit.inconclusive(Reason.TIMEOUT, "the scan did not finish, so vulnerabilities may be missed: "
                          + "; ".join(cut_short))
    else:
        scripts = sorted({n.script for s in scans for n in s.notes if not n.failed})
        failed = sorted({n.script for s in scans for n in s.notes if n.failed})
        unit.passed(f"no known vulnerability: nmap's vulnerability scripts ({SCRIPTS}) on "
                    + (", ".join(f"{s.target} TCP {s.tcp_ports} UDP {s.udp_ports}" for s in scans) or "no open port")
                    + f" reported none{f' (scripts with output: {scripts})' if scripts else ''}"
                    + (f" (scripts that failed, see the XML: {failed})" if failed else "") + "; announced software "
                    f"({'; '.join(announced) or 'none'}) matches no known-vulnerable version" + external)


def _first_line(banner: str) -> str:
    """The first line of a sanitised banner (line ends are escaped in it), at most 200 characters."""
    return re.split(r"\\r\\n|\\n|[\r\n]", banner, maxsplit=1)[0][:200]


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


@pytest.mark.jcstar("S1.1-13", timeout=300)
def test_boot_log_reveals_nothing(
    unit: TestUnit, debug_uart: PhysicalInterface, evaluation: EvaluationSession, profile: DeviceProfile,
    credentials: CredentialStore,
) -> None:
    """The device is power-cycled with the console open: its boot log must show no secret (the current
    passwords among them) and no debug access (a shell, a boot loader that stops for any key)."""
    check_boot_log(unit, debug_uart, evaluation, profile, credentials)


@pytest.mark.jcstar("S1.1-13", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
