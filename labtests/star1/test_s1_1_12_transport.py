"""S1.1-12: protected information sent over the network is protected (requirements 5-1, 5-7).

Every declared TLS service is assessed by offering every protocol version and cipher suite itself
(legacy ones included) and judged against the CRYPTREC-based policy in criteria/; every SSH service's
key exchange, host keys, ciphers and MACs likewise. Management and login protocols that carry
credentials in cleartext (telnet, FTP, plain HTTP admin) fail wherever discovery finds them.
"""

from __future__ import annotations

import time

import pytest

from fixtures.actions import ActionRunner
from fixtures.credentials import CredentialStore
from fixtures.device_fixtures import Discovered, network_mechanisms
from fixtures.net.canary import new_canary
from fixtures.net.capture import Capture
from fixtures.net.capture_analysis import analyze_capture
from fixtures.net.capture_verdict import assess
from fixtures.net.crypto_judge import judge_ssh, judge_tls, overall
from fixtures.net.endpoint import LabEndpoint
from fixtures.net.logins import attempt, target_for
from fixtures.net.ssh_audit import assess_ssh
from fixtures.net.tls_probe import assess_tls
from fixtures.net.webaccess import WebClient
from fixtures.profile import DeviceProfile, Service
from fixtures.review import Reviewer
from fixtures.scope import ScopeGuard
from fixtures.session import EvaluationSession
from fixtures.verdict import TestUnit
from labtests.star1.reviews import run_review
from reports.model import Reason, Verdict

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


OBSERVE_SECONDS = 25.0  # long enough for periodic telemetry (the reference device reports every 10 s)


@pytest.mark.jcstar("S1.1-12", timeout=900)
def test_no_protected_data_in_cleartext(
    unit: TestUnit, profile: DeviceProfile, actions: ActionRunner, credentials: CredentialStore,
    evaluation: EvaluationSession, scope_guard: ScopeGuard, dut_address: str,
) -> None:
    """Plant canaries (a setting, a new password), let the device work (logins, its own connections to
    a lab endpoint), capture everything with tshark, and search the reassembled streams."""
    setting = new_canary("setting value (hostname)", 16, prefix="jcs")
    password = new_canary("admin password", 16, prefix="Jc9-")
    canaries = [setting, password]
    logins = network_mechanisms(profile)
    path = unit.folder / "capture.pcapng"
    steps = []
    planted: list[str] = []
    with LabEndpoint(profile.outbound, scope_guard.targets) as endpoint, \
            Capture(evaluation.lab.network.lab_interface, scope_guard.targets, path, audit=evaluation.audit) as cap:
        if actions.declared("set_setting"):
            done = actions.run("set_setting", value=str(setting.value))
            steps.append(f"set_setting: {done.status}")
            if done.ok:
                planted.append(setting.name)
        if actions.declared("change_password") and logins and logins[0].credential is not None:
            first = logins[0]
            assert first.credential is not None
            old = credentials.password(first)
            result = actions.run("change_password", current_password=old, new_password=str(password.value))
            steps.append(f"change_password: {result.status}")
            if result.ok:
                credentials.update(first.credential, str(password.value))
                planted.append(password.name)
        for mech in logins:
            a = attempt(target_for(mech, profile, dut_address), credentials.password(mech), scope_guard,
                        label="current password")
            steps.append(f"login {mech.id}: {a.outcome.value}")
        time.sleep(OBSERVE_SECONDS)
    unit.register(path, "everything the device sent and received during the operations (tshark, pcapng)")
    analysis = analyze_capture(path, canaries)
    unit.save_text("capture-analysis.json", analysis.model_dump_json(indent=2), "flows, canary hits, leaks")
    unit.save_text("operations.txt", "\n".join(steps + [f"endpoint: {r}" for r in endpoint.received]) + "\n",
                   "what was done during the capture")
    verdict = assess(analysis, capture_complete=cap.complete)
    device_cleartext = [
        f for f in analysis.flows
        if f.key.client in scope_guard.targets and not f.encrypted and f.bytes_client_to_server > 0
    ]
    if verdict.verdict is Verdict.FAIL or device_cleartext:
        parts = [verdict.rationale] if verdict.verdict is Verdict.FAIL else []
        parts += [f"the device sent {f.bytes_client_to_server} bytes in cleartext on {f.key} ({f.protocol})"
                  for f in device_cleartext]
        unit.failed("; ".join(parts))
    elif not planted:
        # Nothing protected travelled during the capture: its silence shows nothing either way.
        unit.inconclusive(Reason.MISSING_IXIT, "no canary could be planted (set_setting and change_password are "
                          f"missing or failed: {', '.join(steps) or 'none declared'}); the capture proves nothing")
    elif verdict.verdict is Verdict.PASS:
        unit.passed(f"{verdict.rationale}; operations: {', '.join(steps)}; the device's own connections "
                    f"({', '.join(o.name for o in profile.outbound) or 'none declared'}) were encrypted")
    else:
        unit.inconclusive(verdict.reason or Reason.LAB_EQUIPMENT_FAULT, verdict.rationale)


@pytest.mark.jcstar("S1.1-12", timeout=3600, device=False)
def test_design_review(unit: TestUnit, reviewer: Reviewer) -> None:
    """Conceptual: the design the IXIT declares, reviewed by the evaluator against the criteria."""
    run_review(unit, reviewer)
