"""S1.1-12: protected information sent over the network is protected (requirements 5-1, 5-7).

Every declared TLS service is assessed by offering every protocol version and cipher suite itself
(legacy ones included) and judged against the CRYPTREC-based policy in criteria/; every SSH service's
key exchange, host keys, ciphers and MACs likewise. Management and login protocols that carry
credentials in cleartext (telnet, FTP, plain HTTP admin) fail wherever discovery finds them.
"""

from __future__ import annotations

import pytest

from fixtures.device_fixtures import Discovered
from fixtures.net.crypto_judge import judge_ssh, judge_tls, overall
from fixtures.net.ssh_audit import assess_ssh
from fixtures.net.tls_probe import assess_tls
from fixtures.net.webaccess import WebClient
from fixtures.profile import DeviceProfile, Service
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import TestUnit
from reports.model import Reason

CLEARTEXT_LOGIN = {"telnet": "telnet", "ftp": "FTP"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from fixtures.plugin import session_of

    ev = session_of(metafunc.config)
    services = ev.profile.services if ev else []
    if "tls_service" in metafunc.fixturenames:
        tls = [s for s in services if s.tls and s.transport == "tcp"]
        metafunc.parametrize("tls_service", tls, ids=[s.name for s in tls])
    if "ssh_service" in metafunc.fixturenames:
        ssh = [s for s in services if s.protocol == "ssh"]
        metafunc.parametrize("ssh_service", ssh, ids=[s.name for s in ssh])


def end_year(profile: DeviceProfile) -> int | None:
    end = profile.documents.support_period_end
    return end.year if end else None


def conclude(unit: TestUnit, verdict: str, rationale: str) -> None:
    if verdict == "fail":
        unit.failed(rationale)
    elif verdict == "pass":
        unit.passed(rationale)
    else:
        unit.inconclusive(Reason.DEVICE_UNREACHABLE, rationale)


@pytest.mark.jcstar("S1.1-12", timeout=900)
def test_tls_service_uses_approved_crypto(
    unit: TestUnit, tls_service: Service, profile: DeviceProfile, evaluation: EvaluationSession,
    scope_guard: ScopeGuard, dut_address: str,
) -> None:
    a = assess_tls(dut_address, tls_service.port, scope_guard, audit=evaluation.audit)
    unit.save_text("tls-assessment.json", a.model_dump_json(indent=2), "versions, suites, groups, certificate")
    j = judge_tls(a, end_year=end_year(profile))
    unit.save_text("tls-judgement.json", j.model_dump_json(indent=2), "each finding with its rule and basis")
    o = overall([j])
    conclude(unit, o.verdict, f"{tls_service.name} ({tls_service.port}/tcp): {o.rationale}")


@pytest.mark.jcstar("S1.1-12", timeout=600)
def test_ssh_service_uses_approved_crypto(
    unit: TestUnit, ssh_service: Service, profile: DeviceProfile, evaluation: EvaluationSession,
    scope_guard: ScopeGuard, dut_address: str,
) -> None:
    a = assess_ssh(dut_address, ssh_service.port, scope_guard, audit=evaluation.audit)
    unit.save_text("ssh-assessment.json", a.model_dump_json(indent=2), "banner, KEXINIT lists, host keys")
    j = judge_ssh(a, end_year=end_year(profile))
    unit.save_text("ssh-judgement.json", j.model_dump_json(indent=2), "each finding with its rule and basis")
    o = overall([j])
    conclude(unit, o.verdict, f"{ssh_service.name} ({ssh_service.port}/tcp): {o.rationale}")


def serves_login(client: WebClient) -> str | None:
    """Why a plain-HTTP port carries credentials or management, or None if it only redirects to HTTPS."""
    for path in ("/", "/login", "/api/v1/login"):
        status, headers, body = client.request("GET", path)
        location = headers.get("location", "")
        if status in (301, 302, 303, 307, 308) and location.startswith("https://"):
            continue
        lowered = body.lower()
        if 'type="password"' in lowered or "type='password'" in lowered or "type=password" in lowered:
            return f"GET {path} serves a password form over plain HTTP"
        if path.startswith("/api/") and status in (200, 400, 401, 405) and "json" in headers.get("content-type", ""):
            return f"{path} answers over plain HTTP (HTTP {status})"
    return None


@pytest.mark.jcstar("S1.1-12")
def test_no_cleartext_login_or_management(
    unit: TestUnit, discovery: Discovered, profile: DeviceProfile, scope_guard: ScopeGuard, dut_address: str
) -> None:
    unit.cite(discovery.evidence)
    problems = []
    for info in discovery.result.services:
        if info.address != dut_address:
            continue
        if info.protocol in CLEARTEXT_LOGIN:
            problems.append(f"{info.port}/tcp speaks {CLEARTEXT_LOGIN[info.protocol]}: logins travel in cleartext")
        elif info.protocol == "http" and not info.tls:
            why = serves_login(WebClient(dut_address, info.port, False, scope_guard))
            if why:
                problems.append(f"{info.port}/tcp: {why}")
    for s in profile.services:
        if s.authentication and not s.tls and s.protocol in ("http", "telnet", "ftp", "mqtt"):
            problems.append(f"declared {s.name} ({s.port}/{s.transport}, {s.protocol}) needs a login without TLS")
    if problems:
        unit.failed("credentials or management in cleartext: " + "; ".join(dict.fromkeys(problems)))
    else:
        unit.passed("no open port carries logins or management in cleartext (telnet, FTP or plain HTTP)")
